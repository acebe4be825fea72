"""``{% load jobq %}``: ``{% jobq_url "registry" queue.name "failed" %}`` links to a
jobq page wherever it is mounted (see :mod:`jobq.django_integration.urlnames`)."""

from __future__ import annotations

from typing import Any

from django import template

from ..urlnames import page_url
from ..views.untrusted import status_text

register = template.Library()


@register.simple_tag
def jobq_url(name: str, *args: Any) -> str:
    return page_url(name, *args)


@register.filter
def job_status(job: Any) -> str:
    """``{{ job|job_status }}``: the status, or why it cannot be read (never an error)."""
    return status_text(job)

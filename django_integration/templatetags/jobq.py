"""``{% load jobq %}``: ``{% jobq_url "registry" queue.name "failed" %}`` links to a
jobq page wherever it is mounted (see :mod:`jobq.django_integration.urlnames`)."""

from __future__ import annotations

from typing import Any

from django import template

from ..urlnames import page_url

register = template.Library()


@register.simple_tag
def jobq_url(name: str, *args: Any) -> str:
    return page_url(name, *args)

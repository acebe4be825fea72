"""Reverse jobq's page names wherever the pages are mounted.

A project that includes ``jobq.django_integration.urls`` reverses ``jobq:<name>``;
a project that only has ``admin.site.urls`` (as a django-rq project does) gets the
same pages from the admin, named ``admin:jobq_<name>``.
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse


def page_url(name: str, *args: Any) -> str:
    try:
        return reverse(f"jobq:{name}", args=args)
    except NoReverseMatch:
        return reverse(f"admin:jobq_{name}", args=args)

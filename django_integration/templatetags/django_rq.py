"""django-rq's template library (``{% load django_rq %}``): ``to_localtime`` and
``force_escape``, for templates written against django-rq."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def to_localtime(value: dt.datetime | None) -> dt.datetime | None:
    """An aware (or naive UTC) datetime in the project's time zone."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(timezone.get_default_timezone())


@register.filter
def force_escape(value: Any) -> SafeString:
    """HTML-escape ``value`` (a job's args or result) even if it was marked safe."""
    return escape(value)

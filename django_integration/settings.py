"""django-rq's ``settings`` module names, read when asked for (never at import)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from . import conf


def get_queues_list() -> list[dict[str, Any]]:
    """``RQ_QUEUES`` as django-rq's list: ``{"name", "connection_config"}``, sorted by name."""
    raw = getattr(settings, "RQ_QUEUES", None) or {}
    return [{"name": name, "connection_config": raw[name]} for name in sorted(raw)]


def get_queues_map() -> dict[str, int]:
    """Queue name → its index in :func:`get_queues_list`."""
    return {q["name"]: i for i, q in enumerate(get_queues_list())}


def __getattr__(name: str) -> Any:
    """``QUEUES``, ``QUEUES_LIST``, ``QUEUES_MAP``, ``SHOW_ADMIN_LINK`` as django-rq names them."""
    if name == "QUEUES":
        return conf.QUEUES
    if name == "QUEUES_LIST":
        return get_queues_list()
    if name == "QUEUES_MAP":
        return get_queues_map()
    if name == "SHOW_ADMIN_LINK":
        return conf.options().show_admin_link
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

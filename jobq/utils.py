"""rq's small helpers, under the names rq users import from ``rq.utils``."""

from __future__ import annotations

import datetime as dt
import importlib
import time
from typing import Any

import redis

_UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def as_text(v: bytes | str | None) -> str | None:
    if v is None or isinstance(v, str):
        return v
    return v.decode("utf-8")


def now() -> dt.datetime:
    """Aware UTC now."""
    return dt.datetime.now(dt.UTC)


def utcnow() -> dt.datetime:
    return now()


def utcformat(value: dt.datetime) -> str:
    return value.strftime(_UTC_FORMAT)


def utcparse(text: str) -> dt.datetime:
    try:
        parsed = dt.datetime.strptime(text, _UTC_FORMAT)
    except ValueError:
        parsed = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    return parsed.replace(tzinfo=dt.UTC)


def current_timestamp() -> int:
    """Seconds since the epoch, as an int."""
    return int(time.time())


def get_version(connection: redis.Redis) -> tuple[int, ...]:
    """The Redis server's version, e.g. ``(7, 0, 15)``."""
    info: Any = connection.info("server")
    return tuple(int(p) for p in str(info["redis_version"]).split(".")[:3])


def import_attribute(name: str) -> Any:
    """``"package.module.attr"`` → the attribute."""
    module, _, attr = name.rpartition(".")
    if not module:
        raise ValueError(f"{name!r} is not a dotted path (module.attribute)")
    return getattr(importlib.import_module(module), attr)

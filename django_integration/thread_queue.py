"""Enqueues held until the request finishes (django-rq's ``request_finished`` commit
mode): each is a prepared send, run when Django's ``request_finished`` signal
fires and dropped when the request raised (``got_request_exception``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_local = threading.local()


def get_queue() -> list[Callable[[], Any]]:
    """The sends held in this thread, oldest first."""
    held: list[Callable[[], Any]] = _local.__dict__.setdefault("held", [])
    return held


def add(send: Callable[[], Any]) -> None:
    get_queue().append(send)


def commit(*args: Any, **kwargs: Any) -> None:
    """Send every held enqueue (connected to ``request_finished``)."""
    held = get_queue()
    try:
        while held:
            held.pop(0)()
    finally:
        clear()


def clear(*args: Any, **kwargs: Any) -> None:
    """Drop the held enqueues (connected to ``got_request_exception``)."""
    _local.__dict__.pop("held", None)

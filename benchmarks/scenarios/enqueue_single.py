"""Case 1: enqueue one by one, one client call per job (``queue.enqueue(noop)``)."""

from __future__ import annotations

from typing import Any

from ..common import sizes
from ..systems import System
from ._enqueue import measure


def _one_by_one(system: System, queue: Any, n: int) -> None:
    for _ in range(n):
        system.enqueue(queue)


def run(redis_url: str, quick: bool) -> dict[str, Any]:
    return measure(
        redis_url,
        quick,
        scenario="enqueue_single",
        case="1. enqueue one by one",
        n=sizes(quick).jobs,
        send=_one_by_one,
        goal="ratio >= 4",
        peers={"huey": "ratio >= 1", "dramatiq": None},
    )

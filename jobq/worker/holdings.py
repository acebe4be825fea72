"""What a worker holds: jobs taken (leased) and the one running, per executor.

The supervisor keeps one ``Holdings`` per child, fed by the child's reports; an
in-process worker keeps one for itself. Leases are renewed from it, timeouts
enforced from it, and a dead executor's jobs are buried or handed back from it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Running:
    queue: str
    job_id: str
    started: float
    timeout: float | None

    def overdue(self, now: float, grace: float) -> bool:
        return self.timeout is not None and now > self.started + self.timeout + grace


@dataclass
class Holdings:
    #: queue → job ids held (insertion-ordered)
    held: dict[str, dict[str, None]] = field(default_factory=dict)
    running: Running | None = None
    ok: int = 0
    failed: int = 0

    def took(self, queue: str, job_ids: Sequence[str]) -> None:
        bucket = self.held.setdefault(queue, {})
        for job_id in job_ids:
            bucket[job_id] = None

    def started(self, queue: str, job_id: str, timeout: float | None) -> None:
        self.running = Running(queue, job_id, time.monotonic(), timeout)

    def acked(self, queue: str, job_ids: Sequence[str], ok: int, failed: int) -> None:
        bucket = self.held.get(queue, {})
        for job_id in job_ids:
            bucket.pop(job_id, None)
            if self.running is not None and self.running.job_id == job_id:
                self.running = None
        self.ok += ok
        self.failed += failed

    def snapshot(self) -> dict[str, list[str]]:
        return {q: list(ids) for q, ids in self.held.items() if ids}

    def clear(self) -> None:
        self.held.clear()
        self.running = None

"""rq's ways of naming a worker found in Redis: ``Worker.find_by_key(key)``, and
workers equal by name (two handles on one worker's record compare equal).

A worker handle built from a record reads nothing more and writes nothing: it is for
looking at (the admin's worker page), not for running jobs.
"""

from __future__ import annotations

from typing import Any, Self

import redis

from .. import connection as conn_mod
from .. import keys
from ..connection import text


class WorkerLookup:
    name: str

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkerLookup):
            return NotImplemented
        return self.name == other.name

    def __hash__(self) -> int:
        return hash(self.name)

    @classmethod
    def find_by_key(
        cls, worker_key: str, connection: redis.Redis | None = None, **kwargs: Any
    ) -> Self | None:
        """The worker whose record is at ``worker_key`` (``worker.key``), serving the
        queues its record names; None when there is no such record (it died and its
        record expired, or the key is not a jobq worker's)."""
        prefix = keys.worker("")
        if not worker_key.startswith(prefix):
            return None
        conn = conn_mod.resolve(connection)
        raw = conn.hgetall(worker_key)
        if not raw:
            return None
        record = {text(k): text(v) for k, v in raw.items()}
        queues = [q for q in record.get("queues", "").split(",") if q]
        name = record.get("name") or worker_key[len(prefix) :]
        return cls(queues, connection=conn, name=name, **kwargs)  # type: ignore[call-arg]

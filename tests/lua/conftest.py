"""Contract tests of the Lua transitions: given keys state → call → exact keys state.

``state(conn)`` dumps every key of the test database in plain Python values
(list, {member: score}, {field: value}, set, str) so a test can compare the
whole database after a call, not only the keys it expected to change.
"""

from __future__ import annotations

from typing import Any

import pytest
import redis

from jobq import transitions
from jobq.keys import QueueKeys

NOW = 1_700_000_000_000
Q = QueueKeys("q")


def _s(value: bytes) -> str:
    return value.decode()


def state(conn: redis.Redis) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for raw in sorted(conn.keys("*")):
        key = _s(raw)
        kind = _s(conn.type(raw))
        if kind == "list":
            out[key] = [_s(v) for v in conn.lrange(raw, 0, -1)]
        elif kind == "zset":
            out[key] = {_s(m): s for m, s in conn.zrange(raw, 0, -1, withscores=True)}
        elif kind == "hash":
            out[key] = {_s(k): _s(v) for k, v in conn.hgetall(raw).items()}
        elif kind == "set":
            out[key] = {_s(m) for m in conn.smembers(raw)}
        else:
            out[key] = _s(conn.get(raw))
    return out


def put_job(conn: redis.Redis, job_id: str, status: str, **fields: Any) -> dict[str, str]:
    """A job hash as the enqueue step leaves it, plus ``fields``; returns it as text."""
    mapping = {
        "func": "tests.fixtures.jobs.noop",
        "data": "[[],{}]",
        "queue": Q.name,
        "timeout": "180",
        "result_ttl": "500",
        "failure_ttl": "1000",
        "max_attempts": "1",
        "status": status,
        **{k: str(v) for k, v in fields.items()},
    }
    conn.hset(Q.job(job_id), mapping=mapping)
    return mapping


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> int:
    """Transitions that read the clock themselves read NOW."""
    monkeypatch.setattr(transitions, "now_ms", lambda: NOW)
    return NOW

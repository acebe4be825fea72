"""Flow control: unique keys, priorities, concurrency keys and queue limits.

Everything here is enforced inside the Lua transitions (``includes/flow.lua``);
this module only turns options into job fields, parses limits, and reads the
state for the admin and ``jobq info``. See docs/flow-control.md.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import redis

from .connection import slot_transaction, text
from .keys import QueueKeys, check_id

#: priorities run from -MAX_PRIORITY to MAX_PRIORITY (includes/flow.lua has the same bound)
MAX_PRIORITY = 1000
#: largest concurrency limit (per key or per queue) and largest burst
MAX_LIMIT = 1_000_000
_PERIODS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour|d|day)\s*$")

UniqueKey = str | Callable[..., str]


@dataclass(frozen=True, slots=True)
class FlowOptions:
    """The flow-control options of one enqueue (all off by default)."""

    unique_key: UniqueKey | None = None
    unique_until: Literal["start", "finish"] = "finish"
    concurrency_key: str | None = None
    concurrency_limit: int | None = None
    priority: int = 0

    def __post_init__(self) -> None:
        if self.unique_until not in ("start", "finish"):
            raise ValueError(f"unique_until must be 'start' or 'finish', got {self.unique_until!r}")
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise TypeError(f"priority must be an int, got {self.priority!r}")
        if not -MAX_PRIORITY <= self.priority <= MAX_PRIORITY:
            raise ValueError(
                f"priority must be in [-{MAX_PRIORITY}, {MAX_PRIORITY}], got {self.priority}"
            )
        if self.concurrency_key is not None:
            check_id(self.concurrency_key, "concurrency_key")
            _check_limit(self.concurrency_limit, "concurrency_limit")
        elif self.concurrency_limit is not None:
            raise ValueError("concurrency_limit needs a concurrency_key to count jobs by")

    @property
    def used(self) -> bool:
        return bool(self.unique_key or self.concurrency_key or self.priority)

    def fields(self, args: Any, kwargs: Mapping[str, Any]) -> dict[str, str]:
        """The job fields that carry these options into the Lua steps (none when unused)."""
        out: dict[str, str] = {"flow": "1"}  # the mark the finish step looks for
        if self.priority:
            out["pri"] = str(self.priority)
        if self.unique_key is not None:
            key = self.unique_key
            if callable(key):
                key = key(*args, **kwargs)
            out["ukey"] = check_id(key, "unique_key")
            if self.unique_until == "start":
                out["uuntil"] = "start"
        if self.concurrency_key is not None:
            out["ckey"] = self.concurrency_key
            out["climit"] = str(self.concurrency_limit)
        return out


def flow_options(
    unique_key: UniqueKey | None = None,
    unique_until: Literal["start", "finish"] = "finish",
    concurrency_key: str | None = None,
    concurrency_limit: int | None = None,
    priority: int | None = None,
) -> FlowOptions | None:
    """The options as one value, or None when none is used (the plain path)."""
    if unique_key is None and concurrency_key is None and not priority:
        if concurrency_limit is not None or unique_until != "finish":
            FlowOptions(None, unique_until, None, concurrency_limit)  # raises what is wrong
        return None
    return FlowOptions(unique_key, unique_until, concurrency_key, concurrency_limit, priority or 0)


def _check_limit(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise ValueError(f"{what} must be a whole number in [1, {MAX_LIMIT}], got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Rate:
    """A rate limit: ``count`` job starts per ``period_ms``."""

    count: int
    period_ms: int

    @classmethod
    def parse(cls, value: str | Rate) -> Rate:
        """``"20/s"``, ``"100/m"``, ``"1000/h"``, ``"5000/d"``."""
        if isinstance(value, Rate):
            return value
        match = _RATE.match(value) if isinstance(value, str) else None
        if not match or not 1 <= int(match.group(1)) <= MAX_LIMIT:
            raise ValueError(
                f"rate {value!r} must read COUNT/UNIT with COUNT in [1, {MAX_LIMIT}] and UNIT "
                "s, m, h or d, e.g. '20/s', '100/m', '1000/h'"
            )
        return cls(int(match.group(1)), _PERIODS[match.group(2)[0]])

    def __str__(self) -> str:
        unit = {v: k for k, v in _PERIODS.items()}[self.period_ms]
        return f"{self.count}/{unit}"


@dataclass(frozen=True, slots=True)
class Limits:
    """A queue's limits as stored in Redis (None: no such limit)."""

    rate: Rate | None = None
    burst: int = 1
    concurrency: int | None = None

    def describe(self) -> str:
        parts = []
        if self.rate:
            parts.append(f"rate {self.rate}" + (f" (burst {self.burst})" if self.burst > 1 else ""))
        if self.concurrency:
            parts.append(f"concurrency {self.concurrency}")
        return ", ".join(parts) or "none"


_LIMIT_FIELDS = ("rate", "period", "burst", "conc")


def set_limits(
    client: redis.Redis,
    q: QueueKeys,
    *,
    rate: str | Rate | None = None,
    burst: int | None = None,
    concurrency: int | None = None,
    clear: bool = False,
) -> Limits:
    """Store limits (``clear`` first removes every limit); returns what now holds.
    One hash, written in one MULTI: workers read it once per batch."""
    fields: dict[str, int] = {}
    if rate is not None:
        parsed = Rate.parse(rate)
        fields |= {"rate": parsed.count, "period": parsed.period_ms}
    if burst is not None:
        fields["burst"] = _check_limit(burst, "burst")
    if concurrency is not None:
        fields["conc"] = _check_limit(concurrency, "concurrency")
    pipe = slot_transaction(client, q.flow)
    if clear:
        pipe.hdel(q.flow, *_LIMIT_FIELDS, "tat")
    if fields:
        pipe.hset(q.flow, mapping=fields)
    pipe.execute()
    return get_limits(client, q)


def _limits_of(raw: Mapping[Any, Any]) -> Limits:
    """Limits from the flow hash, parsed strictly (garbage reads as no limit)."""

    def num(name: str, lo: int, hi: int) -> int | None:
        value = raw.get(name.encode())
        if not isinstance(value, bytes) or not value.isdigit() or not lo <= int(value) <= hi:
            return None
        return int(value)

    count, period = num("rate", 1, MAX_LIMIT), num("period", 1000, 86_400_000)
    rate = Rate(count, period) if count and period and period in _PERIODS.values() else None
    return Limits(rate, num("burst", 1, MAX_LIMIT) or 1, num("conc", 1, MAX_LIMIT))


def get_limits(client: redis.Redis, q: QueueKeys) -> Limits:
    return _limits_of(client.hgetall(q.flow))


@dataclass(frozen=True, slots=True)
class FlowState:
    """What flow control holds right now on one queue (for the admin and ``jobq info``)."""

    limits: Limits
    #: queued jobs the rate limit holds back now (0 while a token is free)
    held_by_rate: int
    #: queued jobs the queue's concurrency limit holds back now
    held_by_concurrency: int
    #: jobs parked behind each concurrency key whose slots are all taken
    held_by_key: dict[str, int]
    #: unique keys held by live jobs
    unique_keys: int
    #: jobs waiting by priority (outside the plain list)
    prioritized: int

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON (``jobq info --json``, the admin's stats)."""
        return {
            "limits": self.limits.describe(),
            "rate": str(self.limits.rate) if self.limits.rate else None,
            "burst": self.limits.burst,
            "concurrency": self.limits.concurrency,
            "held_by_rate": self.held_by_rate,
            "held_by_concurrency": self.held_by_concurrency,
            "held_by_key": dict(self.held_by_key),
            "unique_keys": self.unique_keys,
            "prioritized": self.prioritized,
        }


def flow_state(client: redis.Redis, q: QueueKeys) -> FlowState:
    """Read with a few commands and a SCAN of the queue's own keys (admin pages, CLI)."""
    pipe = client.pipeline(transaction=False)
    pipe.hgetall(q.flow)
    pipe.llen(q.queued)
    pipe.zcard(q.prio)
    pipe.zcard(q.qslots)
    raw, queued, prioritized, busy = pipe.execute()
    limits = _limits_of(raw)
    waiting = int(queued) + int(prioritized)
    by_rate = 0
    if limits.rate and waiting:
        step = limits.rate.period_ms * 1000 // limits.rate.count
        tat = raw.get(b"tat", b"0")
        tat_us = int(tat) if tat.isdigit() else 0
        now_us = int(time.time() * 1_000_000)  # the workers' clock, which the state uses
        if tat_us - now_us > (limits.burst - 1) * step:
            by_rate = waiting
    by_conc = waiting if limits.concurrency and int(busy) >= limits.concurrency else 0
    held = {}
    for key in client.scan_iter(match=_glob(q.held("")) + "*", count=1000):
        name = text(key)[len(q.held("")) :]
        held[name] = int(client.llen(key))
    unique = sum(1 for _ in client.scan_iter(match=_glob(q.unique("")) + "*", count=1000))
    return FlowState(limits, by_rate, by_conc, held, unique, int(prioritized))


def parked_ids(client: redis.Redis, q: QueueKeys) -> list[str]:
    """Ids of the jobs parked behind any concurrency key of the queue."""
    ids: list[str] = []
    for key in client.scan_iter(match=_glob(q.held("")) + "*", count=1000):
        ids += [text(i) for i in client.lrange(key, 0, -1)]
    return ids


def _glob(prefix: str) -> str:
    """``prefix`` as a literal SCAN pattern (the hash tag's braces are no pattern, but
    ``[``, ``*``, ``?`` and ``\\`` in a queue name would be)."""
    return re.sub(r"([\[\]*?\\])", r"\\\1", prefix)

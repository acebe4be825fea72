"""What the queues did over the last hour and day, read back from the buckets workers
write (see ``jobq/lua/includes/history.lua``): the one reader behind ``stats.json``,
the admin charts, ``jobq info --interval`` and the Prometheus histograms.

Workers sum their acknowledged jobs for about a second (:class:`Recorder`) and add
them to a 10-second bucket (kept an hour), a 1-minute bucket (kept a day) and the
queue's totals (kept forever): jobs finished, failed, retried and reaped, and two
time sketches, run time and wait time (enqueue to start). A sketch counts values in fixed log-spaced buckets, four per doubling
from 0.1 ms (:data:`BUCKETS` in all, the last open-ended): a percentile read from
it is the geometric middle of the bucket holding that rank, so it is within
:data:`RELATIVE_ERROR` (9.1 %) of a value in the same bucket as the exact one;
values under 0.1 ms read as 0.1 ms.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis

from . import keys
from .connection import text

#: smallest value a sketch tells apart (seconds); anything below is bucket 0
LOW = 1e-4
#: sketch buckets per doubling
PER_DOUBLING = 4
#: sketch buckets in all: 0.1 ms to about 3.5 days, the last open-ended
BUCKETS = 128
#: the most a percentile is off, relative to a value in the same bucket as the exact one
RELATIVE_ERROR = 2 ** (1 / (2 * PER_DOUBLING)) - 1
#: what a step counts per job
OUTCOMES = ("finished", "failed", "retried", "reaped")
#: percentiles shown everywhere
QUANTILES = (0.5, 0.95, 0.99)
#: the windows the reader serves: name -> (seconds per bucket, seconds shown)
WINDOWS = {"minute": (10, 70), "hour": (10, 3600), "day": (60, 86400)}
#: the largest count a bucket field may hold; beyond it a field is garbage
_MAX_COUNT = 10**15


def bucket_of(seconds: float) -> int:
    """The sketch bucket of a duration (NaN and negatives go to bucket 0): the number
    of bucket edges at or below it (one C call; the worker does this twice per job)."""
    return bisect_right(_EDGES, seconds) if seconds == seconds else 0


def bucket_bounds(b: int) -> tuple[float, float]:
    """[low, high) of sketch bucket ``b``, in seconds."""
    if b <= 0:
        return 0.0, LOW
    high = math.inf if b >= BUCKETS - 1 else LOW * 2 ** (b / PER_DOUBLING)
    return LOW * 2 ** ((b - 1) / PER_DOUBLING), high


def bucket_value(b: int) -> float:
    """The value a percentile in bucket ``b`` reads as: its geometric middle."""
    if b <= 0:
        return LOW
    return LOW * 2 ** ((b - 0.5) / PER_DOUBLING)


#: the upper edge of each bucket but the last (open-ended) one
_EDGES = [bucket_bounds(b)[1] for b in range(BUCKETS - 1)]


def bucket_ttls() -> list[int]:
    """Seconds each granularity's bucket lives after its last write (Lua's HISTORY_TTL)."""
    return [keep + step + keys.HISTORY_SPARE_SECONDS for step, keep in keys.HISTORY_STEPS]


@dataclass
class Sketch:
    """Counts of durations per log-spaced bucket."""

    counts: dict[int, int] = field(default_factory=dict)

    def add(self, b: int, n: int = 1) -> None:
        self.counts[b] = self.counts.get(b, 0) + n

    def merge(self, other: Sketch) -> None:
        for b, n in other.counts.items():
            self.add(b, n)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def quantile(self, q: float) -> float | None:
        """The nearest-rank ``q`` quantile in seconds; None when empty."""
        total = self.total
        if total == 0:
            return None
        rank, seen = max(1, math.ceil(q * total)), 0
        for b in sorted(self.counts):
            seen += self.counts[b]
            if seen >= rank:
                return round(bucket_value(b), 6)
        return None  # unreachable: seen reaches total

    def estimated_sum(self) -> float:
        return sum(bucket_value(b) * n for b, n in self.counts.items())

    def percentiles(self) -> dict[str, float | None]:
        return {_pname(q): self.quantile(q) for q in QUANTILES}


def _pname(q: float) -> str:
    return f"p{round(q * 100)}"


@dataclass
class Counts:
    """One queue's or function's outcomes and sketches, in one bucket or summed."""

    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    run: Sketch = field(default_factory=Sketch)
    wait: Sketch = field(default_factory=Sketch)

    def merge(self, other: Counts) -> None:
        for k, n in other.outcomes.items():
            self.outcomes[k] += n
        self.run.merge(other.run)
        self.wait.merge(other.wait)

    def summary(self) -> dict[str, Any]:
        return {
            **self.outcomes,
            "run": self.run.percentiles(),
            "wait": self.wait.percentiles(),
        }


@dataclass
class Bucket:
    """A bucket hash parsed: the queue's counts, each function's, the depth sampled."""

    queue: Counts = field(default_factory=Counts)
    functions: dict[str, Counts] = field(default_factory=dict)
    depth: int | None = None


def _count(raw: bytes) -> int | None:
    try:
        n = int(raw)
    except ValueError:
        return None
    return n if 0 <= n <= _MAX_COUNT else None


def _apply(counts: Counts, metric: str, n: int) -> None:
    """Add ``n`` to the field ``metric`` (an outcome, r<b> or w<b>); others are ignored."""
    if metric in counts.outcomes:
        counts.outcomes[metric] += n
    elif metric[:1] in ("r", "w") and metric[1:].isdigit():
        b = int(metric[1:])
        if b < BUCKETS:
            (counts.run if metric[0] == "r" else counts.wait).add(b, n)


def parse_bucket(raw: Mapping[bytes, bytes]) -> Bucket:
    """A bucket hash as read from Redis; fields that are no counts jobq writes are skipped."""
    bucket = Bucket()
    for k, v in raw.items():
        n = _count(v)
        if n is None:
            continue
        name = text(k)
        metric, at, func = name.partition("@")
        if metric == "depth" and not at:
            bucket.depth = n
        elif at:
            _apply(bucket.functions.setdefault(func, Counts()), metric, n)
        else:
            _apply(bucket.queue, metric, n)
    return bucket


def now_ms() -> int:
    return int(time.time() * 1000)


def bucket_starts(window: str, now_ms: int | None = None) -> tuple[int, list[int]]:
    """(seconds per bucket, the unix second each bucket of ``window`` starts at, oldest first)."""
    try:
        step, span = WINDOWS[window]
    except KeyError:
        raise ValueError(f"window must be one of {', '.join(WINDOWS)}, not {window!r}") from None
    now = (now_ms if now_ms is not None else int(time.time() * 1000)) // 1000
    last = now - now % step
    return step, [last - i * step for i in range(span // step - 1, -1, -1)]


def read_buckets(
    connection: redis.Redis, queues: Sequence[str], window: str, now_ms: int | None = None
) -> tuple[int, list[int], dict[str, list[Bucket]], list[int]]:
    """The raw buckets of ``window`` for each queue, and the workers alive per bucket:
    one pipelined round trip."""
    step, starts = bucket_starts(window, now_ms)
    pipe = connection.pipeline(transaction=False)
    for name in queues:
        q = keys.queue_keys(name)
        for start in starts:
            pipe.hgetall(q.history(step, start))
    for start in starts:
        pipe.hlen(keys.workers_history(step, start))
    replies = iter(pipe.execute())
    per_queue = {name: [parse_bucket(next(replies)) for _ in starts] for name in queues}
    workers = [int(next(replies)) for _ in starts]
    return step, starts, per_queue, workers


def _series(buckets: Sequence[Bucket]) -> dict[str, Any]:
    total = Counts()
    out: dict[str, Any] = {k: [] for k in OUTCOMES}
    out["depth"] = []
    out["run"] = {_pname(q): [] for q in QUANTILES}
    out["wait"] = {_pname(q): [] for q in QUANTILES}
    for b in buckets:
        total.merge(b.queue)
        for k in OUTCOMES:
            out[k].append(b.queue.outcomes[k])
        out["depth"].append(b.depth)
        for sketch_name in ("run", "wait"):
            sketch: Sketch = getattr(b.queue, sketch_name)
            for q in QUANTILES:
                out[sketch_name][_pname(q)].append(sketch.quantile(q))
    out["summary"] = total.summary()
    return out


def _functions(per_queue: Mapping[str, Sequence[Bucket]]) -> list[dict[str, Any]]:
    rows = []
    for queue, buckets in per_queue.items():
        summed: dict[str, Counts] = {}
        for b in buckets:
            for func, counts in b.functions.items():
                summed.setdefault(func, Counts()).merge(counts)
        rows += [{"queue": queue, "function": f, **c.summary()} for f, c in summed.items()]
    return rows


def read_history(
    connection: redis.Redis,
    queues: Sequence[str],
    window: str = "hour",
    now_ms: int | None = None,
) -> dict[str, Any]:
    """The history of ``queues`` over ``window`` ("minute", "hour", "day") as JSON-ready
    series: per queue the outcomes, depth and run/wait percentiles (seconds, None
    where a bucket is empty) per bucket plus a summary of the window; the workers alive
    per bucket; per (queue, function) the window's counts and percentiles."""
    step, starts, per_queue, workers = read_buckets(connection, queues, window, now_ms)
    return {
        "window": window,
        "step": step,
        "times": [s * 1000 for s in starts],
        "relative_error": round(RELATIVE_ERROR, 4),
        "queues": {name: _series(buckets) for name, buckets in per_queue.items()},
        "workers": workers,
        "functions": _functions(per_queue),
    }


def read_totals(connection: redis.Redis, queues: Iterable[str]) -> dict[str, Bucket]:
    """Each queue's counts since its first job (for Prometheus counters): one round trip."""
    names = list(queues)
    pipe = connection.pipeline(transaction=False)
    for name in names:
        pipe.hgetall(keys.queue_keys(name).history_total)
    return {name: parse_bucket(raw) for name, raw in zip(names, pipe.execute(), strict=True)}


#: seconds a worker sums its acknowledgements before it sends them to the history
RECORD_EVERY_SECONDS = 1.0
#: what a recorder sends per queue and bucket: (queue, bucket start ms, function -> counts)
Pending = tuple[str, int, dict[str, dict[str, int]]]


def tally(
    jobs: Iterable[tuple[Mapping[bytes, bytes], str, float]],
) -> dict[tuple[str, str, int, int], int]:
    """Count acknowledged jobs by (function, outcome, run bucket, wait bucket), each
    given as (its hash fields, its outcome, seconds it ran); the wait is the job's
    start less its last enqueue (0 when a field is missing or garbage). One pass and
    no call per job but the two C bisections: the worker pays this for every job."""
    counts: dict[tuple[str, str, int, int], int] = {}
    edges, find = _EDGES, bisect_right
    for fields, outcome, took in jobs:
        get = fields.get
        try:  # float() reads these ms stamps exactly, and faster than int()
            waited = (
                float(get(b"started") or b"") - float(get(b"enqueued") or get(b"created") or b"")
            ) / 1000
        except ValueError:
            waited = 0.0
        func = get(b"func") or b""
        key = (
            func.decode(errors="replace") if isinstance(func, bytes) else str(func),
            outcome,
            find(edges, took) if took == took else 0,
            find(edges, waited) if waited > 0 else 0,
        )
        counts[key] = counts.get(key, 0) + 1
    return counts


class Recorder:
    """A worker's history not sent yet: per (queue, 10 s bucket), per function, the
    counts of :data:`OUTCOMES` and the run and wait sketches. The worker adds each
    acknowledged job once Redis answered its acknowledgement (so lost leases are not
    counted, and a retry is told from a failure by the step's own code), and sends
    what it holds with a batch of acknowledgements about once a second."""

    def __init__(self) -> None:
        self.pending: dict[tuple[str, int], dict[str, dict[str, int]]] = {}
        self.last_sent = time.monotonic()

    def add(self, queue: str, at_ms: int, jobs: Mapping[tuple[str, str, int, int], int]) -> None:
        """Jobs that ended at ``at_ms``: (function, outcome, run bucket, wait bucket) ->
        how many (a batch's jobs counted with ``collections.Counter``)."""
        step_ms = keys.HISTORY_STEPS[0][0] * 1000
        start = at_ms - at_ms % step_ms
        per = self.pending.setdefault((queue, start), {})
        for (func, outcome, run, wait), n in jobs.items():
            fields = per.get(func)
            if fields is None:
                fields = per[func] = {}
            for name in (outcome, _RUN[run], _WAIT[wait]):
                fields[name] = fields.get(name, 0) + n

    def due(self) -> bool:
        return bool(self.pending) and (time.monotonic() - self.last_sent >= RECORD_EVERY_SECONDS)

    def take(self) -> list[Pending]:
        """What to send: (queue, bucket start ms, per function); forgets it."""
        out = [(queue, start, per) for (queue, start), per in self.pending.items()]
        self.pending = {}
        self.last_sent = time.monotonic()
        return out

    def give_back(self, taken: list[Pending]) -> None:
        """What :meth:`take` gave, not sent after all (Redis away): kept for later."""
        for queue, start, per in taken:
            mine = self.pending.setdefault((queue, start), {})
            for func, fields in per.items():
                into = mine.setdefault(func, {})
                for name, n in fields.items():
                    into[name] = into.get(name, 0) + n


#: field names of the sketch buckets, made once
_RUN = [f"r{b}" for b in range(BUCKETS)]
_WAIT = [f"w{b}" for b in range(BUCKETS)]


def rates(series: Mapping[str, Any], step: int, seconds: int = 60) -> dict[str, float]:
    """Jobs per second over the last ``seconds`` of a queue's series (its complete
    buckets: the current one is still filling), per outcome."""
    n = max(1, seconds // step)
    return {k: round(sum(series[k][-n - 1 : -1]) / (n * step), 3) for k in OUTCOMES}

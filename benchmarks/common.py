"""What every scenario shares: sizes, Redis counters, the row format run.py prints.

A scenario module exposes ``run(redis_url: str, quick: bool) -> dict`` and gets a
private, empty redis-server for itself; it runs jobq and rq on it one after the
other, calling :func:`reset` in between so that neither sees the other's keys
or counters.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
#: queue every scenario uses, on both systems
QUEUE = "default"
#: jobs are sent in chunks of this size by enqueue_many (both systems)
BULK_BATCH = 1000


@dataclass(frozen=True)
class Sizes:
    """How much work each case does; ``--quick`` keeps the whole run under a minute."""

    #: enqueue one by one, noop processing with SimpleWorker and jobq's Worker
    jobs: int
    #: bulk enqueue
    bulk_jobs: int
    #: rq's forking Worker (one fork per job, so fewer)
    fork_jobs: int
    #: the commands-per-job pass (MONITOR attached)
    count_jobs: int
    #: enqueue-to-result samples with an in-process worker / with a forking one
    latency_samples: int
    fork_latency_samples: int
    #: queued jobs whose memory is measured
    memory_jobs: int
    #: timed repetitions of the throughput cases (the median is reported)
    repeats: int


_FULL = Sizes(10_000, 20_000, 500, 3_000, 1_000, 300, 10_000, 3)
_QUICK = Sizes(1_000, 5_000, 50, 500, 60, 20, 2_000, 1)
_jobs_override: int | None = None


def set_jobs(n: int | None) -> None:
    """``--jobs N``: N jobs for the throughput and memory cases (the others scale)."""
    global _jobs_override
    _jobs_override = n


def sizes(quick: bool) -> Sizes:
    base = _QUICK if quick else _FULL
    n = _jobs_override
    if n is None:
        return base
    return Sizes(
        jobs=n,
        bulk_jobs=2 * n,
        fork_jobs=max(20, n // 20),
        count_jobs=min(n, base.count_jobs),
        latency_samples=base.latency_samples,
        fork_latency_samples=base.fork_latency_samples,
        memory_jobs=n,
        repeats=base.repeats,
    )


def sizes_dict(quick: bool) -> dict[str, int]:
    return asdict(sizes(quick))


# -- Redis ----------------------------------------------------------------------------

#: commands the harness itself sends; never counted as the systems' work
HARNESS_COMMANDS = frozenset({"INFO", "CONFIG", "ECHO", "FLUSHALL", "MEMORY", "SCAN", "DBSIZE"})


def admin(url: str) -> redis.Redis:
    """A plain client for the harness (never the one the systems use)."""
    return redis.Redis.from_url(url)


def reset(url: str) -> None:
    """Empty the server and zero its counters (loaded scripts stay, as in production)."""
    r = admin(url)
    r.flushall()
    r.config_resetstat()
    r.close()


def used_memory(r: redis.Redis) -> int:
    """``INFO memory`` used_memory: the server's allocation, in bytes."""
    return int(r.info("memory")["used_memory"])


def command_calls(r: redis.Redis) -> Counter[str]:
    """``INFO commandstats`` as command → calls, harness commands left out. Includes the
    commands that Lua scripts call (Redis counts those too)."""
    calls: Counter[str] = Counter()
    for name, stats in r.info("commandstats").items():
        command = name.removeprefix("cmdstat_").split("|")[0].upper()
        if command not in HARNESS_COMMANDS:
            calls[command] += int(stats["calls"])
    return calls


def redis_version(url: str) -> str:
    r = admin(url)
    try:
        return str(r.info("server")["redis_version"])
    finally:
        r.close()


_MONITOR_LINE = re.compile(r'^\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]+)"')


class CommandCounter:
    """Counts what a piece of work sends to Redis, split by who sent it.

    ``INFO commandstats`` gives every call including those made from Lua;
    ``MONITOR`` (through ``redis-cli``, which keeps up with a busy server) tags a
    call made from a script with ``[db lua]``, which separates top-level calls (one
    EVALSHA counts once) from the calls inside scripts. Sentinels sent with ECHO
    mark the start and the end of the work in the monitor stream.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.top: Counter[str] = Counter()
        self.lua: Counter[str] = Counter()
        self.stats: Counter[str] = Counter()
        self._dir = tempfile.TemporaryDirectory(prefix="jobq-bench-monitor-")
        self._out = Path(self._dir.name) / "monitor.txt"
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> CommandCounter:
        r = admin(self.url)
        with self._out.open("wb") as out:
            self._proc = subprocess.Popen(
                [redis_cli(), "-u", self.url, "monitor"], stdout=out, stderr=subprocess.DEVNULL
            )
        self._wait_for_sentinel(r, "jobq-bench-start")
        r.config_resetstat()
        r.close()
        return self

    def __exit__(self, *exc: object) -> None:
        r = admin(self.url)
        try:
            if exc[0] is None:
                self.stats = command_calls(r)
                self._wait_for_sentinel(r, "jobq-bench-end")
                self._parse()
        finally:
            r.close()
            self._stop()
            self._dir.cleanup()

    def _wait_for_sentinel(self, r: redis.Redis, word: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r.echo(word)
            time.sleep(0.02)
            if word.encode() in _tail(self._out):
                return
        raise RuntimeError(f"redis-cli monitor did not show {word!r} within {timeout} s")

    def _parse(self) -> None:
        inside = False
        with self._out.open("rb") as f:
            for raw in f:
                line = raw.decode(errors="replace")
                if '"jobq-bench-start"' in line:
                    inside = True
                    continue
                if '"jobq-bench-end"' in line:
                    break
                m = _MONITOR_LINE.match(line)
                if not inside or m is None:
                    continue
                command = m.group(2).upper()
                if command in HARNESS_COMMANDS:
                    continue
                (self.lua if m.group(1) == "lua" else self.top)[command] += 1

    def _stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def per_job(self, n: int) -> dict[str, Any]:
        """Amortised counts per job, and the breakdown by command."""
        return {
            "jobs": n,
            "top_level_per_job": sum(self.top.values()) / n,
            "lua_internal_per_job": sum(self.lua.values()) / n,
            "commandstats_total_per_job": sum(self.stats.values()) / n,
            "top_level": dict(self.top.most_common()),
            "lua_internal": dict(self.lua.most_common()),
            "commandstats": dict(self.stats.most_common()),
        }


def _tail(path: Path, size: int = 65536) -> bytes:
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - size))
        return f.read()


def redis_cli() -> str:
    from jobq.embedded import find_redis_server

    beside = Path(find_redis_server()).with_name("redis-cli")
    found = str(beside) if beside.exists() else shutil.which("redis-cli")
    if not found:
        raise RuntimeError("redis-cli not found (next to redis-server or on PATH)")
    return found


# -- numbers ----------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def percentiles(samples_s: list[float]) -> dict[str, float]:
    """p50/p90/p99/max of latencies given in seconds, in milliseconds."""
    ms = sorted(s * 1000 for s in samples_s)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "p50_ms": cuts[49],
        "p90_ms": cuts[89],
        "p99_ms": cuts[98],
        "max_ms": ms[-1],
        "mean_ms": statistics.fmean(ms),
        "samples": len(ms),
    }


def alternate(repeats: int, names: tuple[str, ...] = ("jobq", "rq")) -> Iterator[tuple[str, ...]]:
    """System order per repetition: as given, then reversed, and so on."""
    for i in range(repeats):
        yield names if i % 2 == 0 else tuple(reversed(names))


# -- rows ------------------------------------------------------------------------------


def row(
    case: str,
    metric: str,
    jobq: float | None,
    rq: float | None,
    *,
    goal: str | None = None,
    note: str = "",
    peer: str = "rq",
) -> dict[str, Any]:
    """One line of the table. ``goal`` reads ``"ratio >= 3"`` (jobq/peer) or ``"jobq <= 2"``.
    The ``rq`` column holds the figure of ``peer`` (rq unless said otherwise)."""
    ratio = jobq / rq if jobq is not None and rq else None
    return {
        "case": case,
        "metric": metric,
        "jobq": jobq,
        "peer": peer,
        "rq": rq,
        "ratio": ratio,
        "goal": goal,
        "met": goal_met(goal, jobq, ratio),
        "note": note,
    }


def goal_met(goal: str | None, jobq: float | None, ratio: float | None) -> bool | None:
    if not goal:
        return None
    subject, op, value = goal.split()
    actual = ratio if subject == "ratio" else jobq
    if actual is None:
        return None
    return actual >= float(value) if op == ">=" else actual <= float(value)


# -- processes -------------------------------------------------------------------------


def subprocess_env() -> dict[str, str]:
    """Environment for worker processes: the repository root on PYTHONPATH so that
    ``benchmarks.jobs`` imports, and no Redis URL that could point elsewhere."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("JOBQ_REDIS_URL", "RQ_REDIS_URL", "REDIS_URL")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def stop_process(proc: subprocess.Popen[Any], sig: int = signal.SIGTERM, grace: float = 15) -> None:
    """Stop a process we started (and its session, i.e. its children), by its pid."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait()

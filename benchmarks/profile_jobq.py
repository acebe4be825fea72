"""Profile jobq's hot paths on a private redis-server (not part of the benchmark run).

    python benchmarks/profile_jobq.py enqueue   [--jobs N]   # Queue.enqueue one by one
    python benchmarks/profile_jobq.py bulk      [--jobs N]   # Queue.enqueue_many, chunks of 1000
    python benchmarks/profile_jobq.py process   [--jobs N]   # SimpleWorker draining N noop jobs
    python benchmarks/profile_jobq.py latency   [--jobs N]   # where one job's round trip goes

The first three run under pyinstrument (``pip install pyinstrument``) and also
print the server time per job from ``INFO commandstats``. ``latency`` sends jobs
one at a time to an idle SimpleWorker with ``redis-cli MONITOR`` attached, and
prints the median time between the steps as Redis executed them. For
sampling a worker process from outside, ``py-spy record -o out.txt -f raw --
python -m benchmarks.worker_runner jobq simple URL --burst`` works as well.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import admin, redis_cli  # noqa: E402
from benchmarks.systems import JOBQ  # noqa: E402
from benchmarks.workers import WorkerProcess, WorkerSpec  # noqa: E402
from jobq import scripts  # noqa: E402
from jobq.embedded import EmbeddedRedis  # noqa: E402


def _profiled(label: str, n: int, url: str, fn: Any) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        sys.exit("pyinstrument is not installed: .venv/bin/pip install pyinstrument")
    r = admin(url)
    r.config_resetstat()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    began = time.perf_counter()
    fn()
    seconds = time.perf_counter() - began
    profiler.stop()
    stats = r.info("commandstats")
    evalsha = stats.get("cmdstat_evalsha", {"usec": 0, "calls": 0})
    print(profiler.output_text(unicode=False, color=False))
    print(
        f"{label}: {n} jobs in {seconds:.2f} s = {n / seconds:,.0f} jobs/s under the profiler; "
        f"server time in EVALSHA (scripts included) {evalsha['usec'] / n:.1f} us/job "
        f"over {evalsha['calls']} calls"
    )


def profile_enqueue(url: str, n: int, bulk: bool) -> None:
    conn = JOBQ.client(url)
    queue = JOBQ.queue(conn)
    JOBQ.enqueue_many(queue, 100)  # warm-up: scripts loaded, queue registered
    if bulk:
        _profiled("enqueue_many", n, url, lambda: JOBQ.enqueue_many(queue, n))
    else:
        _profiled("enqueue", n, url, lambda: [JOBQ.enqueue(queue) for _ in range(n)])


def profile_process(url: str, n: int) -> None:
    import jobq

    conn = JOBQ.client(url)
    JOBQ.enqueue_many(JOBQ.queue(conn), n)
    worker = jobq.SimpleWorker(["default"], conn)
    _profiled("SimpleWorker", n, url, lambda: worker.work(burst=True))


_LINE = re.compile(r'^(\d+\.\d+) \[\d+ ([^\]]+)\] "([^"]+)"(?: "([^"]*)")?')


def _events(path: Path) -> list[tuple[float, str, str]]:
    names = {s.sha: s.name for s in scripts.SCRIPTS.values()}
    out = []
    for line in path.read_text(errors="replace").splitlines():
        m = _LINE.match(line)
        if m is None or m.group(2) == "lua":
            continue
        command = m.group(3).upper()
        if command == "EVALSHA":
            command = names.get(m.group(4) or "", "script")
        out.append((float(m.group(1)), m.group(2), command))
    return out


def trace_latency(url: str, n: int) -> None:
    conn = JOBQ.client(url)
    queue = JOBQ.queue(conn)
    fd, name = tempfile.mkstemp(prefix="jobq-monitor-", suffix=".txt")
    os.close(fd)
    log = Path(name)
    with WorkerProcess(WorkerSpec("jobq", "simple", log_level="WARNING"), url, burst=False) as w:
        w.wait_ready()
        for _ in range(20):
            JOBQ.wait(JOBQ.enqueue(queue), 10)
        with log.open("wb") as out:
            monitor = subprocess.Popen([redis_cli(), "-u", url, "monitor"], stdout=out)
            time.sleep(0.3)
            took = []
            for _ in range(n):
                time.sleep(0.005)
                began = time.perf_counter()
                JOBQ.wait(JOBQ.enqueue(queue), 10)
                took.append(time.perf_counter() - began)
            time.sleep(0.3)
            monitor.terminate()
            monitor.wait()
    events = _events(log)
    log.unlink()
    client = next(who for _, who, cmd in events if cmd == "enqueue")
    runs: list[list[tuple[float, str, str]]] = []
    for event in events:
        if event[2] == "enqueue":
            runs.append([])
        if runs:
            runs[-1].append(event)
    shapes: dict[tuple[str, ...], list[list[tuple[float, str, str]]]] = {}
    for run in runs:
        shapes.setdefault(tuple(f"{c}@{w == client}" for _, w, c in run), []).append(run)
    common = max(shapes.values(), key=len)
    print(f"{len(common)} of {len(runs)} jobs took the usual path; median gap before each step:")
    for i in range(1, len(common[0])):
        gap = statistics.median(r[i][0] - r[i - 1][0] for r in common) * 1e6
        who = "client" if common[0][i][1] == client else "worker"
        print(f"  {gap:7.0f} us  {who:6s} {common[0][i][2]}")
    print(f"client-side enqueue-to-result p50 {statistics.median(took) * 1000:.2f} ms (MONITOR on)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("path", choices=["enqueue", "bulk", "process", "latency"])
    p.add_argument("--jobs", type=int)
    args = p.parse_args()
    default = {"enqueue": 10_000, "bulk": 50_000, "process": 30_000, "latency": 200}
    n = args.jobs or default[args.path]
    with EmbeddedRedis() as server:
        if args.path == "latency":
            trace_latency(server.url, n)
        elif args.path == "process":
            profile_process(server.url, n)
        else:
            profile_enqueue(server.url, n, bulk=args.path == "bulk")
    return 0


if __name__ == "__main__":
    sys.exit(main())

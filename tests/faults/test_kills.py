"""kill -9 of whole workers and of executor children, again and again while jobs
flow: every job ends, none is lost, and only jobs a kill caught in flight run twice."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess

import pytest

from tests.conftest import Processes, wait_until
from tests.helpers import alive, child_pids

from .conftest import Flow

pytestmark = pytest.mark.slow

LEASE = "1"
WORKERS = 2
CONCURRENCY = 2


def kill_workers_and_children(
    procs: Processes, flow: Flow, jobs: int, kills: int, name: str
) -> dict[str, object]:
    rng = random.Random(kills)
    workers: list[subprocess.Popen[bytes]] = [
        procs.worker("--lease", LEASE, "--concurrency", str(CONCURRENCY)) for _ in range(WORKERS)
    ]
    for start in range(0, jobs, 100):  # one chunk in four without a retry left
        flow.enqueue(min(100, jobs - start), seconds=0.005, retry=0 if start % 400 == 0 else 2)
    kinds = itertools.cycle(["worker", "child", "child"])
    worker_kills = child_kills = 0
    for k in range(1, kills + 1):
        # spread the kills over the run: the k-th when k/(kills+1) of the jobs have ended
        wait_until(lambda k=k: flow.ended() >= jobs * k // (kills + 1), timeout=120)
        victim = rng.choice(workers)
        kind = next(kinds)
        children = [pid for pid in child_pids(victim.pid) if alive(pid)]
        if kind == "child" and children:
            os.kill(rng.choice(children), signal.SIGKILL)
            child_kills += 1
        else:
            os.kill(victim.pid, signal.SIGKILL)  # its children die with it (PDEATHSIG)
            victim.wait()
            workers[workers.index(victim)] = procs.worker(
                "--lease", LEASE, "--concurrency", str(CONCURRENCY)
            )
            worker_kills += 1
        flow.faults += 1
    flow.wait_all_ended(timeout=180)
    assert all(w.poll() is None for w in workers)  # the pool goes on
    # in flight when a kill hit: the jobs running in the killed processes, plus the
    # results not yet acknowledged (acks are batched within a few ms)
    bound = worker_kills * CONCURRENCY * 4 + child_kills * 4
    return flow.account(
        name, max_duplicates=bound, worker_kills=worker_kills, child_kills=child_kills
    )


def test_repeated_kill_9_of_workers_and_executors(procs: Processes, flow: Flow) -> None:
    kill_workers_and_children(procs, flow, jobs=800, kills=8, name="kill9_short")


@pytest.mark.long
def test_repeated_kill_9_of_workers_and_executors_long(procs: Processes, flow: Flow) -> None:
    kill_workers_and_children(procs, flow, jobs=5000, kills=50, name="kill9_long")

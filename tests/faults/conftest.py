"""Fault-injection suite: every test starts its own redis-server (so it can restart,
pause or cut it) and its own jobq processes, injects faults while jobs flow, and
then accounts for every job: ended finished, or failed with a reason; none lost;
runs beyond the first only for jobs a fault caught in flight.

Each test writes its figures (faults, jobs, lost, duplicates) to
``var/faults/<test>.json``; the session prints their sum. The ``long`` variants
(e.g. 5,000 jobs and 50 kills) run when ``JOBQ_LONG_FAULTS=1`` (``.ci/run`` sets it).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from jobq import Queue, Retry
from jobq.connection import from_url
from jobq.embedded import EmbeddedRedis
from jobq.exceptions import DuplicateJobError
from tests.conftest import Processes, wait_until
from tests.helpers import assert_all_ended

from .figures import FIGURES, record

__all__ = ["FIGURES", "Flow", "record"]
WORK = "tests.faults.jobs.work"
#: figures the session summary adds up
SUMMED = (
    "faults", "jobs", "finished", "failed", "lost", "duplicates", "slots", "slots_lost",
    "slots_doubled", "bad_inputs",
)  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "long: long fault-injection runs (JOBQ_LONG_FAULTS=1)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("JOBQ_LONG_FAULTS") == "1":
        return
    skip = pytest.mark.skip(reason="long fault run: set JOBQ_LONG_FAULTS=1")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    started = getattr(terminalreporter.config, "_jobq_faults_started", None)
    if started is None or not FIGURES.exists():
        return
    total: Counter[str] = Counter()
    for path in sorted(FIGURES.glob("*.json")):
        if path.stat().st_mtime >= started:
            for k, v in json.loads(path.read_text()).items():
                if k in SUMMED:
                    total[k] += v
    if total:
        terminalreporter.write_line(
            "fault figures: " + ", ".join(f"{k} {v}" for k, v in sorted(total.items()))
        )


@pytest.fixture(autouse=True, scope="session")
def _figures_since(request: pytest.FixtureRequest) -> None:
    request.config._jobq_faults_started = time.time()  # type: ignore[attr-defined]


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., EmbeddedRedis]]:
    """Start a private redis-server (appendonly yes) in tmp_path; stopped at teardown."""
    servers: list[EmbeddedRedis] = []

    def make(*extra: str, appendonly: bool = True) -> EmbeddedRedis:
        server = EmbeddedRedis(
            tmp_path / f"redis-{len(servers)}", appendonly=appendonly, extra_args=list(extra)
        ).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def server(make_server: Callable[..., EmbeddedRedis]) -> EmbeddedRedis:
    return make_server()


@pytest.fixture
def procs(server: EmbeddedRedis, tmp_path: Path) -> Iterator[Processes]:
    p = Processes(server.url, tmp_path)
    yield p
    p.stop_all()


@pytest.fixture
def conn(server: EmbeddedRedis) -> Iterator[redis.Redis]:
    c = from_url(server.url)
    yield c
    c.close()


@dataclass
class Flow:
    """Jobs that record every run in ``runs``; what a test needs to account for them."""

    connection: redis.Redis
    runs: Path
    queue_name: str = "default"
    #: ids whose enqueue returned (acknowledged)
    ids: list[str] = field(default_factory=list)
    #: ids whose enqueue raised (Redis away): may or may not exist
    unacknowledged: list[str] = field(default_factory=list)
    faults: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def queue(self) -> Queue:
        return Queue(self.queue_name, connection=self.connection)

    def enqueue(self, n: int, seconds: float = 0.0, retry: int = 2) -> list[str]:
        """``n`` jobs in one pipelined round trip."""
        q = self.queue
        data = [
            q.prepare_data(
                WORK, args=[str(self.runs), seconds], retry=Retry(max=retry) if retry else None
            )
            for _ in range(n)
        ]
        ids = [j.id for j in q.enqueue_many(data)]
        self.ids.extend(ids)
        return ids

    def produce(self, url: str, total: int, seconds: float = 0.0, pace: float = 0.0) -> None:
        """Enqueue ``total`` jobs one call each from a thread with its own client,
        through whatever happens to Redis meanwhile; failed calls are noted, not retried
        with the same id."""

        def run() -> None:
            client = from_url(url)
            q = Queue(self.queue_name, connection=client)
            done = 0
            while done < total and not self._stop.is_set():
                job_id = f"p{done}"
                try:
                    q.enqueue_call(
                        WORK, args=[str(self.runs), seconds], job_id=job_id, retry=Retry(max=2)
                    )
                except (redis.ConnectionError, redis.TimeoutError):
                    self.unacknowledged.append(job_id)
                    time.sleep(0.05)
                except DuplicateJobError:
                    # redis-py resent the call after a lost reply: the first one landed
                    self.ids.append(job_id)
                else:
                    self.ids.append(job_id)
                done += 1
                if pace:
                    time.sleep(pace)
            client.close()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self._threads.append(thread)

    def join(self, timeout: float = 120) -> None:
        for thread in self._threads:
            thread.join(timeout)
            assert not thread.is_alive(), "the producer is stuck"

    def stop(self) -> None:
        self._stop.set()
        self.join()

    def ended(self) -> int:
        """Jobs in the finished or failed registry (every job of the queue is ours)."""
        q = self.queue
        pipe = self.connection.pipeline(transaction=False)
        pipe.zcard(q.keys.finished)
        pipe.zcard(q.keys.failed)
        return int(sum(pipe.execute()))

    def wait_all_ended(self, timeout: float = 120) -> None:
        wait_until(lambda: self.ended() >= len(self.ids) + self._landed(), timeout=timeout)

    def _landed(self) -> int:
        """Unacknowledged enqueues that nevertheless reached Redis."""
        pipe = self.connection.pipeline(transaction=False)
        for job_id in self.unacknowledged:
            pipe.exists(self.queue.keys.job(job_id))
        return sum(int(x) for x in pipe.execute()) if self.unacknowledged else 0

    def run_counts(self) -> Counter[str]:
        text = self.runs.read_text() if self.runs.exists() else ""
        return Counter(text.split())

    def account(self, name: str, max_duplicates: int, **extra: Any) -> dict[str, Any]:
        """Check every job and record the figures; returns them."""
        landed = [i for i in self.unacknowledged if self.connection.exists(self.queue.keys.job(i))]
        everything = self.ids + landed
        assert len(set(everything)) == len(everything)
        assert_all_ended(self.connection, self.queue_name, everything)  # none lost
        q = self.queue
        finished, failed = q.finished_job_registry.count, q.failed_job_registry.count
        assert finished + failed == len(everything)  # the counts add up
        runs = self.run_counts()
        assert set(runs) <= set(everything)
        failed_ids = set(q.failed_job_registry.get_job_ids())
        never_ran = [i for i in everything if runs[i] == 0]
        # a job that never ran can only have failed (its executor died before it began)
        assert all(i in failed_ids for i in never_ran), never_ran[:5]
        duplicates = sum(n - 1 for n in runs.values() if n > 1)
        figures = {
            "faults": self.faults,
            "jobs": len(everything),
            "acknowledged": len(self.ids),
            "unacknowledged_landed": len(landed),
            "finished": finished,
            "failed": failed,
            "lost": 0,
            "duplicates": duplicates,
            "max_runs": max(runs.values(), default=0),
            **extra,
        }
        record(name, figures)
        assert duplicates <= max_duplicates, figures
        return figures


@pytest.fixture
def flow(conn: redis.Redis, tmp_path: Path) -> Iterator[Flow]:
    f = Flow(conn, tmp_path / "runs")
    yield f
    f._stop.set()

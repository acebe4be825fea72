"""Failover under load: the master (Sentinel) or a slot's primary (Cluster) is
killed with SIGKILL while a producer enqueues, workers run jobs and a scheduler
fires a schedule (which must go on firing after the failover). The producer
makes each enqueue durable (Redis WAIT for one replica, what the durable enqueue
option does), so no acknowledged job may be lost: every one ends finished, once
in the registry, however often the failover made it run (at-least-once)."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from jobq import Queue
from jobq.connection import UNAVAILABLE, from_url, wait_for_replicas
from jobq.exceptions import DuplicateJobError
from jobq.scheduler import Scheduler
from tests.conftest import Processes, wait_until
from tests.fixtures import jobs

from .servers import LocalCluster, SentinelSetup

pytestmark = pytest.mark.slow

TOTAL = 300


@pytest.fixture
def own_sentinel(tmp_path: Path) -> Iterator[SentinelSetup]:
    setup = SentinelSetup(tmp_path / "sentinel")
    try:
        yield setup.start()
    finally:
        setup.close()


class Producer(threading.Thread):
    """Enqueues TOTAL jobs with fixed ids, each made durable by WAIT; a failed attempt
    is repeated with the same id (a duplicate means the first one got through)."""

    def __init__(self, url: str, queue: str, replicas: int) -> None:
        super().__init__(daemon=True)
        self.url, self.queue_name, self.replicas = url, queue, replicas
        self.acked: list[str] = []
        self.errors = 0

    def run(self) -> None:
        connection = from_url(self.url)
        queue = Queue(self.queue_name, connection=connection)
        for n in range(TOTAL):
            job_id = f"job-{n}"
            while True:
                try:
                    with contextlib.suppress(DuplicateJobError):  # the last try got through
                        queue.enqueue(jobs.add, n, 1, job_id=job_id)
                    if not self.replicas:
                        break
                    if wait_for_replicas(connection, queue.keys.queued, 1, 2000) >= 1:
                        break
                except UNAVAILABLE:
                    self.errors += 1
                    time.sleep(0.1)
            self.acked.append(job_id)
            time.sleep(0.005)
        connection.close()


def _failover_under_load(
    url: str, queue_name: str, kill_primary: object, tmp_path: Path, replicas: int = 1
) -> tuple[Producer, Queue]:
    processes = Processes(url, tmp_path)
    try:
        for _ in range(2):
            processes.worker(queue_name, "--lease", "2", "--concurrency", "2")
        producer = Producer(url, queue_name, replicas)
        producer.start()
        connection = from_url(url)
        queue = Queue(queue_name, connection=connection)
        # a scheduler fires a schedule into queue "ticks" (on another slot) meanwhile
        ticks = Queue("ticks", connection=connection)
        Scheduler(queue=ticks).schedule(dt.datetime.now(dt.UTC), jobs.noop, interval=0.25)
        processes.start("scheduler", "--interval", "0.5")
        wait_until(lambda: len(producer.acked) >= TOTAL // 3, timeout=30)
        kill_primary()  # type: ignore[operator]
        after_failover = dt.datetime.now(dt.UTC)
        producer.join(90)
        assert not producer.is_alive()
        assert len(producer.acked) == TOTAL

        def all_finished() -> bool:
            try:
                return queue.finished_job_registry.count == TOTAL
            except UNAVAILABLE:
                return False

        try:
            wait_until(all_finished, timeout=60, interval=0.2)
        except AssertionError:
            counts = {r.key: r.count for r in queue.registries} | {"queued": queue.count}
            logs = "\n".join(processes.log(p)[-3000:] for p in processes.procs)
            raise AssertionError(f"not all finished: {counts}\n{logs}") from None
        # the scheduler followed the failover too: it goes on firing
        wait_until(lambda: _last_slot(ticks) > after_failover, timeout=30, interval=0.2)
        return producer, queue
    finally:
        processes.stop_all()


def _last_slot(queue: Queue) -> dt.datetime:
    try:
        slots = [j.slot for j in queue.jobs if j.slot is not None]
    except UNAVAILABLE:
        slots = []
    return max(slots, default=dt.datetime.min.replace(tzinfo=dt.UTC))


def _failed_over(cluster: LocalCluster, port: int, key: str) -> bool:
    """A replica owns ``key``'s slot now (not ``port``), and the cluster is whole again.
    (Restarting the node before that would bring it back empty with its old slots.)"""
    live = [n.port for n in cluster.nodes if n.process is not None]
    try:
        with redis.Redis(port=live[0]) as r:
            slot = int(r.execute_command("CLUSTER", "KEYSLOT", key))
            for start, end, owner, *_ in r.execute_command("CLUSTER", "SLOTS"):
                if int(start) <= slot <= int(end):
                    return int(owner[1]) != port and cluster.healthy()
    except redis.RedisError:
        pass
    return False


def _check_counts(queue: Queue, producer: Producer) -> None:
    finished = set(queue.finished_job_registry.get_job_ids())
    assert finished == set(producer.acked)
    assert queue.count == 0
    assert queue.failed_job_registry.count == 0
    assert queue.started_job_registry.count == 0
    for job_id in ("job-0", f"job-{TOTAL - 1}"):
        job = queue.fetch_job(job_id)
        assert job is not None
        assert job.result == int(job_id.split("-")[1]) + 1


def test_sentinel_failover_under_load_loses_no_acknowledged_job(
    own_sentinel: SentinelSetup, tmp_path: Path
) -> None:
    old_port = own_sentinel.master_port()
    promoted: list[int] = []

    def kill_master() -> None:
        own_sentinel.master.kill()
        wait_until(lambda: own_sentinel.master_port() != old_port, timeout=30, interval=0.2)
        promoted.append(own_sentinel.master_port())
        # back as a replica of the new master (as Sentinel would make it, only sooner),
        # so that durable enqueues find a replica again
        own_sentinel.master.extra_args += [
            "--replicaof",
            "127.0.0.1",
            str(own_sentinel.master_port()),
        ]
        own_sentinel.master.start()

    producer, queue = _failover_under_load(own_sentinel.url, "default", kill_master, tmp_path)
    # the replica took over; on a loaded machine Sentinel (down-after 1 s) may later
    # fail over again, back to the restarted node: the counts must hold either way
    assert promoted and promoted[0] != old_port
    _check_counts(queue, producer)
    queue.connection.close()


def test_cluster_primary_failover_under_load_loses_no_acknowledged_job(
    cluster_with_replicas: LocalCluster, tmp_path: Path
) -> None:
    probe: redis.Redis = from_url(cluster_with_replicas.url)
    slot_key = Queue("default", connection=probe).keys.queued
    owner = probe.get_node_from_key(slot_key)  # type: ignore[attr-defined]
    port = int(owner.port)
    probe.close()
    node = cluster_with_replicas.node(port)

    promoted: list[bool] = []

    def kill_primary() -> None:
        node.kill()
        wait_until(
            lambda: _failed_over(cluster_with_replicas, port, slot_key), timeout=30, interval=0.2
        )
        promoted.append(True)
        node.start()  # back as a replica of the promoted one

    producer, queue = _failover_under_load(
        cluster_with_replicas.url, "default", kill_primary, tmp_path
    )
    assert promoted  # the replica took over (a later failover back must not change the counts)
    _check_counts(queue, producer)
    queue.connection.close()


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    cluster = LocalCluster(tmp_path / "cluster", masters=3)
    try:
        yield cluster.start()
    finally:
        cluster.close()


def test_resharding_a_queues_slot_under_load(own_cluster: LocalCluster, tmp_path: Path) -> None:
    """The queue's slot moves to another primary while jobs are enqueued and run:
    clients follow ASK, TRYAGAIN and then MOVED; nothing is lost or run twice."""
    probe: Any = from_url(own_cluster.url)
    slot_key = Queue("default", connection=probe).keys.queued
    slot = int(probe.keyslot(slot_key))
    source = int(probe.get_node_from_key(slot_key).port)
    target = next(p for p in own_cluster.primary_ports() if p != source)
    probe.close()

    def reshard() -> None:
        own_cluster.move_slot(slot, target)

    producer, queue = _failover_under_load(own_cluster.url, "default", reshard, tmp_path, 0)
    client: Any = queue.connection
    assert int(client.get_node_from_key(slot_key).port) == target
    _check_counts(queue, producer)
    queue.connection.close()


def test_worker_and_scheduler_started_before_the_cluster_wait_for_it(tmp_path: Path) -> None:
    """A cluster client connects as it is made: started before the cluster is up (a
    reboot), a worker and a scheduler wait with backoff instead of exiting."""
    cluster = LocalCluster(tmp_path / "late", masters=3)
    procs = Processes(cluster.url, tmp_path)
    try:
        worker = procs.worker("default")
        scheduler = procs.start("scheduler", "--interval", "0.2")
        for proc in (worker, scheduler):
            wait_until(lambda p=proc: "Redis unavailable at start" in procs.log(p), timeout=60)
        cluster.start()
        connection = from_url(cluster.url)
        job = Queue(connection=connection).enqueue(jobs.add, 2, 3)
        assert job.wait(timeout=60) == 5
        assert worker.poll() is None and scheduler.poll() is None
        connection.close()
    finally:
        procs.stop_all()
        cluster.close()

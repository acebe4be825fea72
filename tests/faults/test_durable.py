"""Durable enqueue: WAIT for a replica, a local fsync (WAITAOF on Redis >= 7.2,
appendfsync always before), a clear error when it cannot be had, and what it costs
(enqueues per second with and without, recorded in var/faults)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis

from jobq import Queue
from jobq.connection import check_version, from_url
from jobq.durability import WAITAOF_VERSION, DurabilityError, Durable
from jobq.embedded import EmbeddedRedis
from jobq.exceptions import ConfigurationError
from tests.conftest import wait_until

from .conftest import record

NOOP = "tests.fixtures.jobs.noop"


def rate(queue: Queue, seconds: float = 0.5) -> float:
    """Single enqueues per second, one after another, for ``seconds``."""
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        queue.enqueue(NOOP)
        n += 1
    return n / (time.perf_counter() - start)


def replica_of(make_server: Callable[..., EmbeddedRedis], primary: EmbeddedRedis) -> EmbeddedRedis:
    replica = make_server("--replicaof", "127.0.0.1", str(primary.port), appendonly=False)
    probe = redis.Redis(port=replica.port)
    wait_until(lambda: probe.info("replication").get("master_link_status") == "up", timeout=20)
    probe.close()
    return replica


def test_durable_enqueue_waits_for_a_replica(make_server: Callable[..., EmbeddedRedis]) -> None:
    primary = make_server(appendonly=False)
    conn = from_url(primary.url)
    plain = Queue("plain", connection=conn)
    durable = Queue("durable", connection=conn, durable=Durable(replicas=1, fsync=False))
    with pytest.raises(DurabilityError, match=r"not made durable within 0.2 s .*replicas 0 of 1"):
        Queue("q", connection=conn, durable=Durable(replicas=1, fsync=False, timeout=0.2)).enqueue(
            NOOP
        )
    replica = replica_of(make_server, primary)
    job = durable.enqueue(NOOP)
    # acknowledged by the replica: it is there the moment enqueue returns
    assert redis.Redis(port=replica.port).exists(durable.keys.job(job.id))
    jobs = durable.enqueue_many([Queue.prepare_data(NOOP) for _ in range(50)])
    assert len(jobs) == 50
    conn.script_flush()  # as after a Redis restart: reloaded, and still waited for
    again = durable.enqueue(NOOP)
    assert redis.Redis(port=replica.port).exists(durable.keys.job(again.id))
    without, with_replica = rate(plain), rate(durable)
    record(
        "durable_enqueue_replica",
        {
            "enqueue_per_s_plain": round(without),
            "enqueue_per_s_wait_1_replica": round(with_replica),
        },
    )
    conn.close()


def test_durable_enqueue_with_local_fsync(make_server: Callable[..., EmbeddedRedis]) -> None:
    everysec = make_server("--appendfsync", "everysec")
    conn = from_url(everysec.url)
    queue = Queue(connection=conn, durable=True)
    if check_version(conn) < WAITAOF_VERSION:
        # no WAITAOF: only a server that fsyncs every write can promise it
        with pytest.raises(ConfigurationError, match="appendfsync always"):
            queue.enqueue(NOOP)
    else:
        queue.enqueue(NOOP)
    plain_everysec = rate(Queue("plain", connection=conn))
    conn.close()

    always = make_server("--appendfsync", "always")
    conn = from_url(always.url)
    durable = Queue(connection=conn, durable=True)
    job = durable.enqueue(NOOP)
    assert conn.exists(durable.keys.job(job.id))
    record(
        "durable_enqueue_fsync",
        {
            "enqueue_per_s_appendfsync_everysec": round(plain_everysec),
            "enqueue_per_s_appendfsync_always": round(rate(Queue("plain", connection=conn))),
            "enqueue_per_s_durable_fsync": round(rate(durable)),
            "redis": ".".join(map(str, check_version(conn))),
        },
    )
    conn.close()


def test_durable_settings_are_checked() -> None:
    from jobq.durability import resolve

    assert resolve(None) is None and resolve(False) is None
    assert resolve(True) == Durable(replicas=0, fsync=True)
    with pytest.raises(ConfigurationError, match="replicas >= 1 or fsync=True"):
        Durable(replicas=0, fsync=False)
    with pytest.raises(ConfigurationError, match="timeout a positive number"):
        Durable(timeout=0)
    with pytest.raises(ConfigurationError, match="durable takes True, False or a Durable"):
        resolve("yes")  # type: ignore[arg-type]

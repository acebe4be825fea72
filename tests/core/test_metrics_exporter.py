"""``jobq metrics --port``: the Prometheus exporter for deployments without Django
(docs/observability.md, "Prometheus exporter"); the same text as Django's view."""

from __future__ import annotations

import signal
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import redis

from jobq import Queue
from jobq.cli.info import collect
from jobq.connection import from_url
from jobq.embedded import free_port
from jobq.metrics import CONTENT_TYPE, MetricsServer, prometheus_text
from tests.conftest import Processes, wait_until
from tests.fixtures.jobs import add, fail
from tests.helpers import burst


def _scrape(port: int, path: str = "/metrics") -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
            return reply.status, reply.headers["Content-Type"], reply.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read().decode()


@pytest.fixture
def exporter(connection: redis.Redis) -> Iterator[MetricsServer]:
    server = MetricsServer(lambda: collect(connection))
    yield server
    server.close()


def test_prometheus_text_counts_jobs_per_queue_and_registry_and_workers(
    connection: redis.Redis,
) -> None:
    q = Queue("default", connection)
    q.enqueue(fail, "x")
    q.enqueue(add, 1, 2)
    burst(q, connection)
    q.enqueue(add, 3, 4)
    text = prometheus_text(collect(connection))
    assert "# TYPE jobq_jobs gauge" in text
    assert 'jobq_jobs{queue="default",registry="queued"} 1' in text
    assert 'jobq_jobs{queue="default",registry="failed"} 1' in text
    assert 'jobq_jobs{queue="default",registry="finished"} 1' in text
    assert "jobq_suspended 0" in text
    assert text.endswith("\n")


def test_the_exporter_serves_the_metrics_read_at_each_scrape(
    connection: redis.Redis, exporter: MetricsServer
) -> None:
    port = exporter.address[1]
    q = Queue("default", connection)
    q.enqueue(add, 1, 2)
    status, kind, body = _scrape(port)
    assert status == 200 and kind == CONTENT_TYPE
    assert body == prometheus_text(collect(connection))
    q.enqueue(add, 1, 2)
    assert 'jobq_jobs{queue="default",registry="queued"} 2' in _scrape(port, "/")[2]
    assert _scrape(port, "/other")[0] == 404


def test_the_exporter_answers_503_in_one_line_while_redis_is_down_and_stays_up() -> None:
    down = from_url(f"redis://127.0.0.1:{free_port()}/0")
    server = MetricsServer(lambda: collect(down))
    try:
        for _ in range(2):
            status, _, body = _scrape(server.address[1])
            assert status == 503
            assert body.startswith("cannot reach Redis") and body.count("\n") == 1
    finally:
        server.close()


def test_jobq_metrics_serves_on_its_port_and_stops_on_sigterm(
    connection: redis.Redis, processes: Processes
) -> None:
    Queue("reports", connection).enqueue(add, 1, 2)
    port = free_port()
    proc = processes.start("metrics", "--port", str(port), "reports")
    replies: list[tuple[int, str, str]] = []

    def scraped() -> bool:
        try:
            replies.append(_scrape(port))
        except OSError:
            return False
        return True

    wait_until(scraped)
    status, _, body = replies[-1]
    assert status == 200
    assert 'jobq_jobs{queue="reports",registry="queued"} 1' in body
    assert 'queue="default"' not in body  # only the queues named
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def test_jobq_metrics_on_a_busy_port_says_so_in_one_line(processes: Processes) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        proc = processes.start("metrics", "--port", str(busy.getsockname()[1]))
        assert proc.wait(timeout=20) == 1
    log = processes.log(proc)
    assert "cannot listen on 127.0.0.1:" in log and "Traceback" not in log
    assert len(log.strip().splitlines()) == 1

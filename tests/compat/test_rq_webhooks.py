"""rq's webhooks: plain-data HTTP requests the worker sends when a job ends."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import redis

from jobq import Job, Queue, SimpleWorker
from jobq.decorators import job
from jobq.webhook import Webhook
from tests.fixtures.jobs import add, fail


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, **json.loads(body)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()
    thread.join()


def test_webhook_values_are_checked() -> None:
    with pytest.raises(ValueError, match="http"):
        Webhook("ftp://example.com/x", "finished")
    with pytest.raises(ValueError, match="job_status"):
        Webhook("https://example.com/x", "started")


def test_webhooks_are_stored_with_the_job(connection: redis.Redis) -> None:
    hooks = [Webhook("https://example.com/done", "finished", method="POST")]
    wrapped = job(queue="hooks", connection=connection, webhooks=hooks)(add)
    assert Job.fetch(wrapped.delay(1, 2).id, connection).webhooks == hooks


def test_worker_sends_the_matching_webhook(connection: redis.Redis, receiver: Any) -> None:
    url, received = receiver
    queue = Queue("hooks", connection=connection)
    done = queue.enqueue(
        add,
        1,
        2,
        webhooks=[
            Webhook(f"{url}/ok", "finished", method="POST"),
            Webhook(f"{url}/bad", "failed", method="POST"),
        ],
    )
    broken = queue.enqueue(fail, "boom", webhooks=[Webhook(f"{url}/bad", "failed", method="POST")])
    SimpleWorker([queue], connection=connection).work(burst=True)
    by_path = {r["path"]: r for r in received}
    assert set(by_path) == {"/ok", "/bad"}
    assert by_path["/ok"]["job_id"] == done.id and by_path["/ok"]["status"] == "finished"
    assert by_path["/bad"]["job_id"] == broken.id and "boom" in by_path["/bad"]["exc_info"]


def test_unreachable_webhook_does_not_fail_the_job(connection: redis.Redis) -> None:
    queue = Queue("hooks", connection=connection)
    done = queue.enqueue(
        add, 1, 2, webhooks=[Webhook("http://127.0.0.1:9/x", "finished", timeout=1)]
    )
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert done.result == 3

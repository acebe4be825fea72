"""A unix:// URL reaches a redis-server listening on a socket."""

from __future__ import annotations

from pathlib import Path

from jobq import Queue, SimpleWorker
from jobq.connection import from_url
from jobq.embedded import EmbeddedRedis


def test_queue_and_worker_over_a_unix_socket(tmp_path: Path) -> None:
    sock = tmp_path / "redis.sock"
    server = EmbeddedRedis(
        tmp_path / "data", extra_args=["--unixsocket", str(sock), "--unixsocketperm", "700"]
    )
    with server:
        connection = from_url(f"unix://{sock}?db=0")
        queue = Queue("default", connection=connection)
        job = queue.enqueue("tests.fixtures.jobs.add", 2, 3)
        SimpleWorker([queue], connection=connection).work(burst=True)
        assert job.result == 5
        connection.close()

"""Enqueue jobs from plain Python, run them in a worker process, wait for results.

python examples/plain/basic.py          # embedded Redis unless REDIS_URL is set
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import redis_url, worker
from tasks import count_words, flaky, slow_square

from jobq import JobFailedError, Queue, Retry
from jobq.connection import from_url


def main() -> int:
    with redis_url() as url, worker(url, "--concurrency", "2"):
        connection = from_url(url)
        queue = Queue("default", connection=connection)

        words = count_words.delay("the quick brown fox jumps over the lazy dog")
        squares = queue.enqueue_many([Queue.prepare_data(slow_square, (n,)) for n in range(5)])
        retried = queue.enqueue(flaky, "demo", retry=Retry(max=2, interval=0))
        failing = queue.enqueue("tasks.no_such_function")

        print(f"count_words -> {words.wait(timeout=30)}")
        print(f"squares     -> {[j.wait(timeout=30) for j in squares]}")
        print(f"flaky       -> {retried.wait(timeout=30)}")
        try:
            failing.wait(timeout=30)
        except JobFailedError as e:
            print(f"unknown fn  -> failed as expected: {e.exc_info.strip().splitlines()[-1]}")
        print(
            f"registries  -> finished={queue.finished_job_registry.count} failed={queue.failed_job_registry.count}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

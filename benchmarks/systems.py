"""jobq and rq behind one small interface, so each scenario is written once.

Each side uses its own public API the way its users do: its own client
(``jobq.connection.from_url`` / ``redis.Redis.from_url``, both with hiredis),
``Queue.enqueue``, ``Queue.enqueue_many([Queue.prepare_data(...)])``, and its
own way of waiting for a result.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import redis
import rq
import rq.registry

import jobq
from jobq import connection as jobq_connection
from jobq.keys import QueueKeys

from .common import BULK_BATCH, QUEUE
from .jobs import noop


class System(Protocol):
    name: str
    #: how ``wait`` waits for a result, for the notes
    wait_method: str

    def client(self, url: str) -> redis.Redis: ...

    def queue(self, connection: redis.Redis) -> Any: ...

    def enqueue(self, queue: Any) -> Any: ...

    def enqueue_many(self, queue: Any, n: int) -> None: ...

    def counts(self, connection: redis.Redis) -> dict[str, int]: ...

    def wait(self, job: Any, timeout: float) -> None: ...


class Jobq:
    name = "jobq"
    wait_method = "job.wait(timeout): BLPOP on the job's notify list"

    def client(self, url: str) -> redis.Redis:
        return jobq_connection.from_url(url)

    def queue(self, connection: redis.Redis) -> jobq.Queue:
        return jobq.Queue(QUEUE, connection=connection)

    def enqueue(self, queue: jobq.Queue) -> jobq.Job:
        return queue.enqueue(noop)

    def enqueue_many(self, queue: jobq.Queue, n: int) -> None:
        for start in range(0, n, BULK_BATCH):
            size = min(BULK_BATCH, n - start)
            queue.enqueue_many([jobq.Queue.prepare_data(noop) for _ in range(size)])

    def counts(self, connection: redis.Redis) -> dict[str, int]:
        k = QueueKeys(QUEUE)
        return {
            "queued": int(connection.llen(k.queued)),
            "finished": int(connection.zcard(k.finished)),
            "failed": int(connection.zcard(k.failed)),
        }

    def wait(self, job: jobq.Job, timeout: float) -> None:
        job.wait(timeout)


class Rq:
    name = "rq"

    def __init__(self, blocking: bool = False) -> None:
        #: False: poll get_status() in a tight loop; True: latest_result(timeout), a blocking XREAD
        self.blocking = blocking
        self.wait_method = (
            "job.latest_result(timeout): blocking XREAD on the result stream"
            if blocking
            else "tight loop on job.get_status() (HGET), then job.return_value(refresh=True)"
        )

    def client(self, url: str) -> redis.Redis:
        return redis.Redis.from_url(url)

    def queue(self, connection: redis.Redis) -> rq.Queue:
        return rq.Queue(QUEUE, connection=connection)

    def enqueue(self, queue: rq.Queue) -> rq.job.Job:
        return queue.enqueue(noop)

    def enqueue_many(self, queue: rq.Queue, n: int) -> None:
        for start in range(0, n, BULK_BATCH):
            size = min(BULK_BATCH, n - start)
            queue.enqueue_many([rq.Queue.prepare_data(noop) for _ in range(size)])

    def counts(self, connection: redis.Redis) -> dict[str, int]:
        q = rq.Queue(QUEUE, connection=connection)
        return {
            "queued": int(connection.llen(q.key)),
            "finished": int(connection.zcard(rq.registry.FinishedJobRegistry(queue=q).key)),
            "failed": int(connection.zcard(rq.registry.FailedJobRegistry(queue=q).key)),
        }

    def wait(self, job: rq.job.Job, timeout: float) -> None:
        if self.blocking:
            result = job.latest_result(timeout=max(1, int(timeout)))
            if result is None or result.type != result.Type.SUCCESSFUL:
                raise RuntimeError(f"rq job {job.id} did not succeed: {result!r}")
            return
        deadline = time.monotonic() + timeout
        while True:
            status = job.get_status(refresh=True)
            if status == rq.job.JobStatus.FINISHED:
                break
            if status == rq.job.JobStatus.FAILED or time.monotonic() > deadline:
                raise RuntimeError(f"rq job {job.id} did not finish: {status}")
        job.return_value(refresh=True)


JOBQ = Jobq()
RQ = Rq()
RQ_BLOCKING = Rq(blocking=True)
SYSTEMS: dict[str, System] = {"jobq": JOBQ, "rq": RQ}

"""rq's worker commands: ask one worker, by name, to shut down or to kill its running
jobs; stop one running job.

A command is a key the worker reads (and deletes) at its start and at each
heartbeat (every ``defaults.HEARTBEAT_SECONDS``); rq sends them over pub/sub,
jobq keeps them until the worker reads them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import redis

from . import defaults, keys, run_endings
from .job import Job


def send_command(connection: redis.Redis, worker_name: str, command: str) -> None:
    """Leave ``command`` for worker ``worker_name``; it expires with the worker record."""
    connection.set(keys.worker_command(worker_name), command, ex=defaults.WORKER_TTL_SECONDS)


def send_shutdown_command(connection: redis.Redis, worker_name: str) -> None:
    """Warm shutdown, as the worker's first SIGTERM: running jobs finish first."""
    send_command(connection, worker_name, "shutdown")


def send_kill_horse_command(connection: redis.Redis, worker_name: str) -> None:
    """Kill the executors of a :class:`~jobq.Worker` (rq's "horse"); their jobs are
    handled as those of a dead executor. A :class:`~jobq.SimpleWorker` has none."""
    send_command(connection, worker_name, "kill-horse")


def send_stop_job_command(
    connection: redis.Redis, job_id: str, serializer: Any = None, queue: str | None = None
) -> None:
    """Stop a running job (rq's command): at once it ends with status "stopped", filed
    in the failed registry, and its result will be dropped; the worker that ran it
    kills the executor running it (a :class:`~jobq.SimpleWorker`, which runs jobs in
    its own process, lets the run go on) and calls the job's ``on_stopped``, at its
    next upkeep. Raises InvalidJobOperation when the job is not running.
    ``serializer``: rq's argument, unused (the command carries no payload)."""
    job = Job.fetch(job_id, connection, queue=queue)
    worker = run_endings.stop(connection, keys.queue_keys(job.origin), job_id)
    stops = keys.worker_stops(worker)
    pipe = connection.pipeline(transaction=False)
    pipe.sadd(stops, json.dumps([job.origin, job_id]))
    pipe.expire(stops, defaults.WORKER_TTL_SECONDS)
    pipe.execute()


def parse_stop_requests(raw: Iterable[bytes | str]) -> list[tuple[str, str]]:
    """The (queue, job id) of each stop request a worker took from its set."""
    out: list[tuple[str, str]] = []
    for item in raw:
        try:
            queue, job_id = json.loads(item)
        except (ValueError, TypeError):
            continue  # not written by send_stop_job_command: no request
        if isinstance(queue, str) and isinstance(job_id, str):
            out.append((queue, job_id))
    return out

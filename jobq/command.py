"""rq's worker commands: ask one worker, by name, to shut down or to kill its running jobs.

A command is a key the worker reads (and deletes) at its start and at each
heartbeat (every ``defaults.HEARTBEAT_SECONDS``); rq sends them over pub/sub,
jobq keeps them until the worker reads them.
"""

from __future__ import annotations

import redis

from . import defaults, keys


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

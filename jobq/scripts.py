"""Loads the Lua transitions, inlines their includes, and calls them by EVALSHA.

A script's SHA depends only on its text, so it is computed once per process and
valid for every client; a server that does not know it (restart, SCRIPT FLUSH)
answers NOSCRIPT and the script is loaded and the call repeated.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from dataclasses import dataclass
from enum import IntEnum
from importlib import resources
from typing import Any

import redis
from redis.client import Pipeline

from . import defaults, history
from .connection import pipeline_commands
from .exceptions import (
    DuplicateJobError,
    InvalidJobOperation,
    JobqError,
    LeaseLost,
    NoSuchJobError,
    ScriptError,
)
from .status import JobStatus

_INCLUDE = re.compile(r"^--- @include (\w+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Script:
    name: str
    numkeys: int
    source: str
    sha: str

    def __call__(self, client: redis.Redis, keys: list[str], args: list[Any]) -> Any:
        try:
            return _execute(client, "EVALSHA", self.sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            client.script_load(self.source)
            return _execute(client, "EVALSHA", self.sha, len(keys), *keys, *args)

    async def acall(self, client: Any, keys: list[str], args: list[Any]) -> Any:
        """:meth:`__call__` on a ``redis.asyncio`` client."""
        try:
            return await client.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            await client.script_load(self.source)
            return await client.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)

    def queue_in(self, pipe: Pipeline, keys: list[str], args: list[Any]) -> None:
        """Add the call to a pipeline; run the pipeline with :func:`execute_pipeline`."""
        # EVALSHA through execute_command: a cluster pipeline refuses pipe.evalsha()
        pipe.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)

    def queue_source_in(self, pipe: Pipeline, keys: list[str], args: list[Any]) -> None:
        """Add the call by EVAL (the server caches the script): for a pipeline whose
        later commands must not run without it, which a NOSCRIPT would cause."""
        pipe.execute_command("EVAL", self.source, len(keys), *keys, *args)


# redis-py before 5.3 wants a command name (and 5.3+ warns when given one)
_GET_PARAMS = inspect.signature(redis.ConnectionPool.get_connection).parameters
_NAMED_GET = (
    "command_name" in _GET_PARAMS and _GET_PARAMS["command_name"].default is inspect.Parameter.empty
)


def _execute(client: redis.Redis, *args: Any) -> Any:
    """A script call straight on a connection of a plain client's pool.

    A script call is every transition of a job, and redis-py's client layer (retry
    wrapper, response callbacks, observability records) costs about as much client CPU
    as the rest of an enqueue; a script reply needs none of it. Anything but the plain
    client, and any connection error (the call may or may not have landed: every
    script is safe to send again), takes redis-py's own path and its retry policy.
    """
    if type(client) is not redis.Redis or client.connection is not None:
        return client.execute_command(*args)
    pool = client.connection_pool
    conn = pool.get_connection("EVALSHA") if _NAMED_GET else pool.get_connection()
    try:
        conn.send_packed_command(conn.pack_command(*args))
        return conn.read_response()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
        conn.disconnect()
    finally:
        pool.release(conn)
    return client.execute_command(*args)


def _read(rel: str) -> str:
    if rel == "includes/defaults.lua":
        return _defaults_include()
    return resources.files("jobq.lua").joinpath(rel).read_text(encoding="utf-8")


def _defaults_include() -> str:
    """Job fields equal to their default are not stored (a queued job costs less
    memory); scripts read the same defaults from :mod:`jobq.defaults` through this."""
    return (
        "-- generated from jobq.defaults by jobq.scripts\n"
        f"local DEFAULT_RESULT_TTL = {defaults.RESULT_TTL!r}\n"
        f"local DEFAULT_FAILURE_TTL = {defaults.FAILURE_TTL!r}\n"
        f"local HISTORY_BUCKETS = {history.BUCKETS!r}\n"
        f"local HISTORY_MAX_FUNCTIONS = {defaults.HISTORY_MAX_FUNCTIONS!r}\n"
        f"local HISTORY_TTL = {{ {', '.join(str(ttl) for ttl in history.bucket_ttls())} }}\n"
    )


def _inline(source: str, seen: set[str], stack: tuple[str, ...]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in stack:
            raise JobqError(f"Lua include cycle: {' -> '.join((*stack, name))}")
        if name in seen:
            return ""
        try:
            text = _read(f"includes/{name}.lua")
        except FileNotFoundError as e:
            raise JobqError(f"Lua include {name!r} not found in jobq/lua/includes/") from e
        body = _inline(text, seen, (*stack, name))
        seen.add(name)
        return body

    return _INCLUDE.sub(replace, source)


def _load(filename: str) -> Script:
    name, numkeys = filename.removesuffix(".lua").rsplit("-", 1)
    source = _inline(_read(filename), set(), (name,))
    return Script(name, int(numkeys), source, hashlib.sha1(source.encode()).hexdigest())


def _load_all() -> dict[str, Script]:
    found = {}
    for entry in resources.files("jobq.lua").iterdir():
        if entry.name.endswith(".lua"):
            script = _load(entry.name)
            found[script.name] = script
    return found


SCRIPTS: dict[str, Script] = _load_all()


def get(name: str) -> Script:
    return SCRIPTS[name]


def execute_pipeline(
    client: redis.Redis, pipe: Pipeline, must_land: int | None = None
) -> list[Any]:
    """Run a pipeline of script calls; calls that met NOSCRIPT are repeated after loading.
    The first error is raised; with ``must_land``, only one of the first ``must_land``
    calls (the later ones' errors are returned in their place)."""
    stack = pipeline_commands(pipe)
    results: list[Any] = pipe.execute(raise_on_error=False)
    missing = [i for i, r in enumerate(results) if isinstance(r, redis.exceptions.NoScriptError)]
    if missing:
        for script in SCRIPTS.values():
            client.script_load(script.source)
        retry = client.pipeline(transaction=False)
        for i in missing:
            args, options = stack[i]
            retry.execute_command(*args, **options)
        for i, value in zip(missing, retry.execute(raise_on_error=False), strict=True):
            results[i] = value
    for r in results[:must_land]:
        if isinstance(r, Exception):
            raise r
    return results


async def aexecute_pipeline(client: Any, pipe: Any) -> list[Any]:
    """:func:`execute_pipeline` for a ``redis.asyncio`` client and pipeline."""
    stack = pipeline_commands(pipe)
    results: list[Any] = await pipe.execute(raise_on_error=False)
    missing = [i for i, r in enumerate(results) if isinstance(r, redis.exceptions.NoScriptError)]
    if missing:
        for script in SCRIPTS.values():
            await client.script_load(script.source)
        retry = client.pipeline(transaction=False)
        for i in missing:
            args, options = stack[i]
            retry.execute_command(*args, **options)
        for i, value in zip(missing, await retry.execute(raise_on_error=False), strict=True):
            results[i] = value
    for r in results:
        if isinstance(r, Exception):
            raise r
    return results


# -- what the transitions answer ------------------------------------------------------
# One enum per script whose positive codes mean something (the headers of the Lua
# files say the same); negative codes are errors, raised through ERRORS below.


class Enqueued(IntEnum):
    """enqueue-7.lua and enqueue_many-7.lua, per job: where the new job went."""

    QUEUED = 1
    SCHEDULED = 2
    DEFERRED = 3
    #: a dependency it must wait for has failed already
    CANCELED = 4

    @property
    def status(self) -> JobStatus:
        return JobStatus(self.name.lower())


#: enqueue code → the new job's status (a dict: read on every enqueue)
PLACED: dict[int, str] = {int(e): e.status.value for e in Enqueued}


class Finished(IntEnum):
    """finish-7.lua, per job."""

    FINISHED = 1
    #: another worker, a cancel or a delete took the job meanwhile: nothing written
    LEASE_LOST = -2


class Failed(IntEnum):
    """fail-7.lua, per job; and retry_returned-7.lua's (a job function returned a
    Retry: FAILED when that Retry's max was used up, "max retries exceeded")."""

    FAILED = 1
    #: queued or scheduled again, per its Retry
    RETRIED = 2
    LEASE_LOST = -2


class Fired(IntEnum):
    """fire-7.lua: what became of the slot."""

    #: the schedule is gone or moved on since it was read
    NOTHING = 0
    FIRED = 1
    FIRED_AND_ENDED = 2
    #: the slot's run id is held by a live job; the schedule advanced
    RUN_STILL_LIVE = 3
    #: max_instances runs are still live: the slot's run is recorded as skipped
    SKIPPED = 4
    SKIPPED_AND_ENDED = 5


class Taken(IntEnum):
    """take-3.lua: what became of the job."""

    TAKEN = 1
    #: this worker held it already; its lease was renewed
    HELD = 0
    #: the queue has limits (rate, concurrency, priorities): only dequeue keeps them
    FLOW_CONTROLLED = -5


class Filed(IntEnum):
    """file-7.lua: what became of the job."""

    FILED = 1
    #: ``xx``: the job was not in that registry, nothing changed
    NOT_THERE = 0


class Settled(IntEnum):
    """settle-5.lua (Queue.enqueue_dependents)."""

    #: the job has not ended, or was stopped: its dependents keep waiting
    NOT_ENDED = 0
    SETTLED = 1


class Pushed(IntEnum):
    """push-2.lua (Queue.push_job_id)."""

    ALREADY_THERE = 0
    PUSHED = 1


#: script name → the enum of its replies
REPLIES: dict[str, type[IntEnum]] = {
    "enqueue": Enqueued,
    "enqueue_many": Enqueued,
    "finish": Finished,
    "fail": Failed,
    "retry_returned": Failed,
    "fire": Fired,
    "take": Taken,
    "file": Filed,
    "settle": Settled,
    "push": Pushed,
}


#: negative codes the scripts return → exception classes
ERRORS: dict[int, type[JobqError]] = {
    -1: DuplicateJobError,
    -2: LeaseLost,
    -3: NoSuchJobError,
    -4: InvalidJobOperation,
}

_MESSAGES = {
    -1: "a job with id {job_id!r} is already queued, scheduled, deferred or running",
    -2: "job {job_id!r} is no longer held by this worker",
    -3: "no job with id {job_id!r} in this queue",
    -4: "job {job_id!r} is not in a state that allows {transition}",
}


def raise_for_code(transition: str, code: int, job_id: str | None = None) -> None:
    if code >= 0:
        return
    exc = ERRORS.get(code)
    if exc is None:
        raise ScriptError(transition, code, job_id)
    error = exc(_MESSAGES[code].format(job_id=job_id, transition=transition))
    error.job_id, error.transition = job_id, transition
    raise error

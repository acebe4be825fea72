"""Waiting for a job's end: the watch and unwatch transitions (re-exported by
:mod:`jobq.transitions`), and the one-round-trip wait built on them."""

from __future__ import annotations

from typing import Any

import redis

from . import scripts
from .keys import QueueKeys


def _watch_keys(q: QueueKeys, job_id: str) -> list[str]:
    return [q.job(job_id), q.notify(job_id)]


def watch(client: redis.Redis, q: QueueKeys, job_id: str) -> str | None:
    """Register a waiter; returns the terminal status ('' if no such job) or None when registered."""
    reply = scripts.get("watch")(client, _watch_keys(q, job_id), [])
    if reply is None:
        return None
    return reply.decode() if isinstance(reply, bytes) else str(reply)


_ENDED = {b"finished", b"failed", b"canceled", b"stopped", b"skipped"}


def wait_for_end(
    client: redis.Redis,
    q: QueueKeys,
    job_id: str,
    block: float,
    *,
    register: bool,
    token: str = "",
) -> dict[bytes, bytes] | None:
    """Block up to ``block`` seconds for a job to end, in one round trip: register
    (the first time), BLPOP its notify list, read its hash. Returns the hash once the
    job has ended (``{}`` if it is gone), None if it is still going."""
    pipe = client.pipeline(transaction=False)
    if register:
        # EVAL, not EVALSHA: a NOSCRIPT here would leave the BLPOP behind it blocking
        scripts.get("watch").queue_source_in(pipe, _watch_keys(q, job_id), _token(token))
    pipe.blpop([q.notify(job_id)], timeout=block)
    pipe.hgetall(q.job(job_id))
    fields: dict[bytes, bytes] = scripts.execute_pipeline(client, pipe)[-1]
    if not fields or fields.get(b"status") in _ENDED:
        return fields
    return None


async def wait_for_end_async(
    client: Any, q: QueueKeys, job_id: str, block: float, *, register: bool, token: str = ""
) -> dict[bytes, bytes] | None:
    """:func:`wait_for_end` on a ``redis.asyncio`` client."""
    pipe = client.pipeline(transaction=False)
    watch = scripts.get("watch")
    if register:  # EVAL, as in wait_for_end
        keys = _watch_keys(q, job_id)
        pipe.execute_command("EVAL", watch.source, len(keys), *keys, *_token(token))
    pipe.blpop([q.notify(job_id)], timeout=block)
    pipe.hgetall(q.job(job_id))
    replies = await pipe.execute(raise_on_error=False)
    for r in replies:
        if isinstance(r, Exception):
            raise r
    fields: dict[bytes, bytes] = replies[-1]
    if not fields or fields.get(b"status") in _ENDED:
        return fields
    return None


def _token(token: str) -> list[str]:
    """watch-2.lua's ARGV: the wait's own token, which makes a resent registration
    count once (``wait_for_end``'s round trip may be sent again by redis-py)."""
    return [token] if token else []


def unwatch(client: redis.Redis, q: QueueKeys, job_id: str, token: str = "") -> bool:
    """Take back a waiter that a wait registered and gave up on (timed out, or was
    cancelled), so that the job's end leaves no token behind for it."""
    return bool(scripts.get("unwatch")(client, _watch_keys(q, job_id), ["", *_token(token)]))


async def unwatch_async(
    client: Any, q: QueueKeys, job_id: str, wake: bytes = b"", token: str = ""
) -> bool:
    """:func:`unwatch` on a ``redis.asyncio`` client; ``wake``: a token pushed to the
    job's notify list to end the caller's own BLPOP still blocked there (remove it
    with :func:`drop_token_async` once that BLPOP has returned)."""
    args: list[Any] = [wake or b"", *_token(token)]
    return bool(await scripts.get("unwatch").acall(client, _watch_keys(q, job_id), args))


async def drop_token_async(client: Any, q: QueueKeys, job_id: str, token: bytes) -> None:
    """Remove ``token`` from the job's notify list if nobody took it."""
    await client.lrem(q.notify(job_id), 1, token)

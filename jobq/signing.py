"""Job envelopes authenticated with HMAC-SHA256: write access to Redis is not code
execution once a secret is set.

The producer (``Queue`` and everything built on it: ``@job.delay``, ``enqueue_many``,
the scheduler, Django) computes a MAC over the job's *envelope*: the queue, the job
id and every field it wrote that decides what runs and how (function, arguments,
serializer, timeout, TTLs, retries, callbacks, dependencies, description). A worker
with the secret checks it before it imports, unpickles or calls anything; a job
without a valid MAC fails with the reason "unsigned job" or "signature mismatch"
and the worker goes on.

The fields Lua steps change as the job moves (status, attempts, timestamps, worker,
result, error, progress) are not covered, nor ``meta`` (the job itself may change
it), nor ``trace`` (the producer's trace context: it chooses nothing of what runs); nor are the placement and timing (due time, queue position, TTL), which do not
choose what runs. A recurring schedule's runs are made by a Lua step from the
schedule's template, under ids ``<schedule id>@<slot>``: their MAC covers the
schedule id instead of the run id (see :meth:`Keyring.sign_run`), so someone who can
write to Redis can make another run of a schedule that exists, as they can push any
existing job id back into a queue, but never a job of their own choosing.

The key is never the secret itself: each secret is first derived for this purpose
(HMAC of a label), so the same Django ``SECRET_KEY`` can serve without its MACs
being usable elsewhere.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import hmac
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .exceptions import ConfigurationError, SignatureError

#: the job hash fields a MAC covers, in this order; an option that changes what runs
#: or how must be listed here (a test checks that every field an enqueue writes is)
SIGNED_FIELDS: tuple[str, ...] = (
    # in the order Queue writes them, so that a producer's fields come already sorted
    "func",
    "data",
    "timeout",
    "result_ttl",
    "failure_ttl",
    "ser",
    "max_attempts",
    "retry_intervals",
    "desc",
    "webhooks",
    "on_success",
    "on_failure",
    "deps",
    "allow_dep_fail",
    "retry_front",
    # added later: appended, so that the MACs of jobs stored before stay valid
    "on_stopped",
    "on_success_timeout",
    "on_failure_timeout",
    "on_stopped_timeout",
    "front",
)
#: producer fields deliberately left out of the MAC (``trace``: the producer's trace
#: context, which chooses nothing of what runs; see :mod:`jobq.tracing`)
UNSIGNED_FIELDS: tuple[str, ...] = ("meta", "ttl", "trace")
#: the job hash field that holds the MAC
MAC_FIELD = "mac"
SECRET_ENV = "JOBQ_SECRET_KEY"
#: older secrets still accepted by workers, comma-separated (rolling a key)
FALLBACKS_ENV = "JOBQ_SECRET_KEY_FALLBACKS"

_VERSION = b"v1:"
_MAC_PREFIX = "v1:"
_PURPOSE = b"jobq.job-envelope.v1"
#: each signed field by its position in SIGNED_FIELDS (the message tags values with it)
_INDEX = {name: i for i, name in enumerate(SIGNED_FIELDS)}
_INDEX_BYTES = {name.encode(): i for i, name in enumerate(SIGNED_FIELDS)}
_MAC_BYTES = MAC_FIELD.encode()
_SCHEDULE_ID = b"schedule_id"
_SLOT = b"slot"

Secret = str | bytes


def derive(secret: Secret, purpose: bytes = _PURPOSE) -> bytes:
    """The key for ``purpose`` made from ``secret`` (never the secret itself)."""
    raw = secret.encode() if isinstance(secret, str) else bytes(secret)
    if not raw:
        raise ConfigurationError("a jobq secret cannot be empty")
    return hmac.digest(raw, purpose, "sha256")


def _message(kind: bytes, queue: str, subject: str, pairs: list[tuple[int, bytes]]) -> bytes:
    """What is MACed: version, kind, queue and subject, then each signed field present,
    in SIGNED_FIELDS order, as its position and its length-prefixed value (so a field
    that is absent differs from one that is empty, and no two envelopes read alike)."""
    q, s = queue.encode(), subject.encode()
    parts = [b"%b%b%d:%b,%d:%b," % (_VERSION, kind, len(q), q, len(s), s)]
    pairs.sort()
    for i, value in pairs:
        parts.append(b"%c%d:%b," % (i, len(value), value))
    return b"".join(parts)


def _producer_values(fields: Mapping[str, Any]) -> list[tuple[int, bytes]]:
    """The signed fields of a job about to be written, as Redis will store them (what
    redis-py sends: bytes as they are, anything else as its str, UTF-8)."""
    index = _INDEX
    return [
        (i, v if type(v) is bytes else str(v).encode())
        for k, v in fields.items()
        if (i := index.get(k)) is not None
    ]


def _stored_values(fields: Mapping[bytes, bytes]) -> list[tuple[int, bytes]]:
    index = _INDEX_BYTES
    return [(i, v) for k, v in fields.items() if (i := index.get(k)) is not None]


class Keyring:
    """Keys derived from one current secret (which signs) and older ones (which are
    still accepted by :meth:`verify`, as Django's ``SECRET_KEY_FALLBACKS``)."""

    def __init__(self, secret: Secret, fallbacks: Iterable[Secret] = ()) -> None:
        # keyed once: each MAC copies the keyed state instead of keying again
        self._hmacs = tuple(
            hmac.new(derive(s), digestmod=hashlib.sha256) for s in (secret, *fallbacks)
        )

    def __repr__(self) -> str:  # never the keys
        return f"Keyring({len(self._hmacs)} key(s))"

    @staticmethod
    def _mac(keyed: hmac.HMAC, message: bytes) -> str:
        h = keyed.copy()
        h.update(message)
        # base64, not hex: 47 bytes in all stay under Redis's hash-max-listpack-value
        # (64), so a small job's hash keeps its compact encoding
        return _MAC_PREFIX + binascii.b2a_base64(h.digest(), newline=False).decode()

    def sign_job(self, queue: str, job_id: str, fields: Mapping[str, Any]) -> str:
        """The MAC of job ``job_id`` of ``queue`` whose hash will hold ``fields``."""
        message = _message(b"job", queue, job_id, _producer_values(fields))
        return self._mac(self._hmacs[0], message)

    def sign_run(self, queue: str, schedule_id: str, fields: Mapping[str, Any]) -> str:
        """The MAC of the runs of a schedule: its template ``fields``, bound to the
        schedule id; a run is the job ``<schedule id>@<slot>`` made from it."""
        message = _message(b"run", queue, schedule_id, _producer_values(fields))
        return self._mac(self._hmacs[0], message)

    def verify(self, queue: str, job_id: str, fields: Mapping[bytes, bytes]) -> None:
        """Raise :class:`SignatureError` unless ``fields`` (a job hash as read from
        Redis) carries a valid MAC for job ``job_id`` of ``queue``."""
        stored = fields.get(_MAC_BYTES)
        if not stored:
            raise SignatureError(job_id, "unsigned job")
        kind, subject = b"job", job_id
        schedule_id, slot = fields.get(_SCHEDULE_ID), fields.get(_SLOT)
        if schedule_id and slot and job_id.encode() == schedule_id + b"@" + slot:
            kind, subject = b"run", schedule_id.decode(errors="replace")
        message = _message(kind, queue, subject, _stored_values(fields))
        for keyed in self._hmacs:
            if hmac.compare_digest(stored, self._mac(keyed, message).encode()):
                return
        raise SignatureError(job_id, "signature mismatch")


#: what :func:`resolve` falls back to when neither ``secret=`` nor the environment
#: names a secret (the Django app installs one that reads ``SECRET_KEY``)
_default_provider: Callable[[], Keyring | None] | None = None


def set_default_provider(provider: Callable[[], Keyring | None] | None) -> None:
    """Install the function that gives the keyring of queues, workers and schedulers
    made without a ``secret`` when ``JOBQ_SECRET_KEY`` is not set (``None``: none)."""
    global _default_provider
    _default_provider = provider


def from_environment() -> Keyring | None:
    """The keyring of ``JOBQ_SECRET_KEY`` and ``JOBQ_SECRET_KEY_FALLBACKS``, or None."""
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        return None
    return _environment_keyring(secret, os.environ.get(FALLBACKS_ENV, ""))


@functools.lru_cache(maxsize=8)
def _environment_keyring(secret: str, fallbacks: str) -> Keyring:
    """Built once per value (a queue is made per ``@job`` call, and keys are derived)."""
    return Keyring(secret, [f.strip() for f in fallbacks.split(",") if f.strip()])


def resolve(secret: Keyring | Secret | Sequence[Secret] | None = None) -> Keyring | None:
    """The keyring for ``secret``: a secret, a list (the first signs, all verify) or a
    :class:`Keyring`; when None, ``JOBQ_SECRET_KEY`` (and ``JOBQ_SECRET_KEY_FALLBACKS``),
    else the installed default (Django's ``SECRET_KEY``), else None: jobs unsigned."""
    if isinstance(secret, Keyring):
        return secret
    if isinstance(secret, str | bytes):
        return Keyring(secret)
    if secret is not None:
        secrets = list(secret)
        if not secrets:
            raise ConfigurationError("secret=[] names no secret: pass at least one")
        return Keyring(secrets[0], secrets[1:])
    keyring = from_environment()
    if keyring is None and _default_provider is not None:
        keyring = _default_provider()
    return keyring


def unsigned_warning(allowed_modules: Sequence[str] | None) -> str:
    """The one line a worker without a secret logs at start."""
    reach = (
        f"any function in {', '.join(allowed_modules)}"
        if allowed_modules
        else "any importable function (os.system included; limit it with --allow)"
    )
    return (
        f"no secret set ({SECRET_ENV}, secret=..., or Django's SECRET_KEY): jobs are not "
        f"authenticated, so anyone who can write to this Redis can make this worker run {reach}"
    )

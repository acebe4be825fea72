"""One exception hierarchy; rq's names are kept as aliases where users catch them."""

from __future__ import annotations

import redis


class JobqError(Exception):
    """Base of every error jobq raises on purpose."""

    #: set when a Lua transition reported the error: which job, which transition
    job_id: str | None = None
    transition: str | None = None


class ConfigurationError(JobqError, ValueError):
    """A setting is missing, unknown or inconsistent; the message names it."""


class NoSuchJobError(JobqError):
    pass


class InvalidJobOperation(JobqError):
    pass


class DuplicateJobError(InvalidJobOperation):
    """A live job (queued, scheduled, deferred or started) already has this id."""


class InvalidDependency(JobqError, TypeError, ValueError):
    """``depends_on`` named something that is no job: rq raises ValueError for it,
    jobq raised TypeError, so it is both."""


class DeserializationError(JobqError):
    """A stored payload cannot be read back (corrupt, wrong serializer, bad signature)."""


class PayloadTooLarge(JobqError, ValueError):
    """A job's serialized arguments are over the configured size limit (refused at enqueue)."""

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"the job's arguments serialize to {size} bytes, over the limit of {limit} bytes: "
            "pass a reference (a file path, a row id, an object-store key) instead of the data, "
            "or raise the limit (Queue(max_payload_bytes=...), JOBQ_MAX_PAYLOAD_BYTES, "
            "JOBQ['MAX_PAYLOAD_BYTES'] in Django; 0 means no limit)"
        )


class FunctionNotAllowed(JobqError):
    """The worker's allowlist does not include the job's function."""


class SignatureError(JobqError):
    """A job's envelope carries no MAC ("unsigned job") or one that does not match its
    id, queue, function, arguments and options ("signature mismatch"): the worker
    refuses it before importing or loading anything."""

    def __init__(self, job_id: str, reason: str) -> None:
        self.job_id = job_id
        self.reason = reason
        super().__init__(
            f"job {job_id!r} refused: {reason}. This worker has a secret and runs only jobs "
            "signed with it (or one of its fallbacks): enqueue with the same secret "
            "(JOBQ_SECRET_KEY, secret=..., Django's SECRET_KEY) or check who wrote this job"
        )


class LeaseLost(JobqError):
    """The worker no longer holds the job (reaped, canceled or deleted meanwhile)."""


class JobTimeoutException(JobqError):
    """Raised inside a job that ran past its ``job_timeout``."""


class JobFailedError(JobqError):
    """Raised by :meth:`Job.wait` when the job failed; carries the remote traceback."""

    def __init__(self, job_id: str, exc_info: str | None) -> None:
        self.job_id = job_id
        self.exc_info = exc_info or ""
        last = self.exc_info.strip().splitlines()[-1] if self.exc_info.strip() else "failed"
        super().__init__(f"job {job_id} failed: {last}\n\nRemote traceback:\n{self.exc_info}")


class ScriptError(JobqError):
    """A Lua transition reported a code that maps to no more specific error."""

    def __init__(self, transition: str, code: int, job_id: str | None = None) -> None:
        self.transition = transition
        self.code = code
        self.job_id = job_id
        super().__init__(f"transition {transition!r} returned code {code} for job {job_id!r}")


class ResultTooLarge(JobqError, ValueError):
    """A job's serialized result is larger than Redis accepts in one value."""

    def __init__(self, size: int, limit: int) -> None:
        self.size, self.limit = size, limit
        super().__init__(
            f"the job's result serializes to {size} bytes, over the {limit} bytes Redis "
            "accepts in one value (proto-max-bulk-len): store large results elsewhere (a "
            "file, a row, an object store) and return a reference"
        )


class DuplicateWorkerName(JobqError, ValueError):
    """Another live worker (its record still heartbeats) has this worker's name."""


# rq's spelling
DequeueTimeout = TimeoutError


class AbandonedJobError(JobqError):
    """A job's worker went away without finishing it (jobq: its lease expired)."""


class SchedulerNotFound(JobqError):
    """No scheduler holds the lock (none running)."""


def describe(error: BaseException, where: str = "--url / JOBQ_REDIS_URL") -> str:
    """One line that says what went wrong (and, where it helps, what to do); ``where``
    names the setting that says which Redis."""
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(
        error, redis.exceptions.AuthenticationError | redis.exceptions.AuthorizationError
    ):
        return f"Redis refused the credentials: {text}"
    if isinstance(error, redis.ConnectionError | redis.TimeoutError):
        return f"cannot reach Redis: {text} (check {where} and that Redis is up)"
    if isinstance(error, redis.RedisError):
        return f"Redis error: {text}"
    if isinstance(error, JobqError | ValueError | TypeError | OSError | ImportError):
        return text
    return f"{type(error).__name__}: {text}"

"""Preparing a job: what a queue checks, serializes and signs before anything
is sent. Below the queue and the job handle, so that ``Job.create`` and
``Job.save`` prepare a job the way ``Queue`` does without importing it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import redis

from . import connection as conn_mod
from . import defaults, keys, signing, transitions, webhook
from .exceptions import InvalidDependency, InvalidJobOperation
from .flow import UniqueKey
from .functions import function_path
from .job_fields import Dependency, JobFields, new_job_id
from .options import DEFAULT, EnqueueData, JobOptions
from .retry import Callback, Retry
from .serializers import Serializer, check_serializable, configured_serializer
from .serializers import max_payload_bytes as payload_limit
from .status import JobStatus
from .timeutil import Seconds, seconds

H = TypeVar("H", bound=JobFields)


@dataclass(frozen=True, slots=True)
class PreparedJob:
    """One job validated and serialized, ready for the enqueue transition: what
    :meth:`Queue.prepare` makes of an :class:`EnqueueData`, before anything is sent."""

    job_id: str
    #: the job hash as it will be stored
    fields: dict[str, Any]
    #: the options it was made from, unchanged
    options: JobOptions
    due: int = 0
    at_front: bool = False
    ttl_ms: int = 0
    depends_on: Sequence[str] = ()
    #: the id was made here (random), not given by the caller
    new_id: bool = False
    #: the fields hold flow-control options
    flow: bool = False


class JobMaker:
    """The preparing half of a queue (:class:`jobq.queue.Queue` sends what it makes)."""

    def __init__(
        self,
        name: str = defaults.QUEUE_NAME,
        connection: redis.Redis | None = None,
        *,
        default_timeout: Seconds | None = None,
        default_result_ttl: Seconds | None = None,
        serializer: Serializer | str | None = None,
        max_payload_bytes: int | None = None,
        secret: signing.Keyring | signing.Secret | Sequence[signing.Secret] | None = None,
    ) -> None:
        self.name = name
        self.keys = keys.queue_keys(name)
        self.connection = conn_mod.resolve(connection)
        self.serializer = configured_serializer(serializer)
        #: signs each job's envelope; a pickle queue without a secret signs with its
        #: pickle key, so that a signed payload cannot move to another job
        self.keyring = signing.resolve(secret) or getattr(self.serializer, "keyring", None)
        timeout = seconds(default_timeout, "default_timeout")
        result_ttl = seconds(default_result_ttl, "default_result_ttl")
        self.default_timeout = defaults.JOB_TIMEOUT if timeout is None else timeout
        self.default_result_ttl = defaults.RESULT_TTL if result_ttl is None else result_ttl
        #: a queue default equal to jobq's own is still the queue's: its jobs read it back
        self._queue_result_ttl = result_ttl is not None
        self.max_payload_bytes = max_payload_bytes
        #: resolved once (reading the environment costs more than a small job's check)
        self._max_bytes = payload_limit(max_payload_bytes) or 0

    @staticmethod
    def prepare_data(
        func: Callable[..., Any] | str,
        args: Sequence[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        timeout: Seconds | None = None,
        result_ttl: Seconds | None = None,
        ttl: Seconds | None = None,
        failure_ttl: Seconds | None = None,
        description: str | None = None,
        depends_on: Any = None,
        job_id: str | None = None,
        at_front: bool = False,
        meta: dict[str, Any] | None = None,
        retry: Retry | None = None,
        on_success: Any = None,
        on_failure: Any = None,
        on_stopped: Any = None,
        webhooks: Any = None,
        unique_key: UniqueKey | None = None,
        unique_until: Literal["start", "finish"] = "finish",
        concurrency_key: str | None = None,
        concurrency_limit: int | None = None,
        priority: int | None = None,
        unique: bool = False,
    ) -> EnqueueData:
        """One job for :meth:`enqueue_many` (rq's signature); its options are
        validated here. ``unique``: rq's option; jobq always refuses a live job's id."""
        return EnqueueData(func, args, kwargs, JobOptions.pick(locals()))

    def prepare(
        self, data: EnqueueData, *, due: int = 0, extra: dict[str, Any] | None = None
    ) -> PreparedJob:
        """Serialize and sign one job; raises before anything touches Redis.
        ``extra``: more fields of the job hash (a subclass's own).

        Fields equal to their default are left out (the scripts and :class:`Job`
        read the same defaults): a queued job's hash holds what makes it differ."""
        options = data.options
        fields: dict[str, Any] = {
            "func": function_path(data.func),
            "data": check_serializable(
                self.serializer,
                data.args or (),
                data.kwargs or _NO_KWARGS,
                max_bytes=self._max_bytes,
            ),
        }
        if options is DEFAULT:  # the common call: no option to look at
            self._add_queue_defaults(fields, None, None)
        else:
            self._add_settings(fields, options)
            self._add_extras(fields, options)
        deps: Sequence[str] = ()
        if options.depends_on is not None:
            deps = _dependency_ids(options.depends_on, self.name)
        if deps:
            fields["deps"] = json.dumps(deps)
            if isinstance(options.depends_on, Dependency) and options.depends_on.allow_failure:
                fields["allow_dep_fail"] = "1"
        if options.at_front and due:
            fields["front"] = "1"  # read when the job comes due (promote-3.lua)
        if extra:
            fields.update(extra)
        flow_opts = None if options is DEFAULT else options.flow
        if flow_opts is not None:
            fields.update(flow_opts.fields(data.args or (), data.kwargs or _NO_KWARGS))
        ttl = options.ttl
        if ttl is not None:
            fields["ttl"] = _num(ttl)  # read back as job.ttl
        given_id = options.job_id
        job_id = new_job_id() if given_id is None else keys.check_job_id(given_id)
        if self.keyring is not None:
            fields[signing.MAC_FIELD] = self.keyring.sign_job(self.name, job_id, fields)
        return PreparedJob(
            job_id,
            fields,
            options,
            due,
            options.at_front,
            int(ttl * 1000) if ttl else 0,
            deps,
            given_id is None,
            flow_opts is not None,
        )

    def _add_queue_defaults(
        self, fields: dict[str, Any], timeout: float | None, result_ttl: float | None
    ) -> None:
        """The queue's default timeout and result TTL, where they differ from jobq's."""
        if timeout is None:
            timeout = self.default_timeout
        if timeout != defaults.JOB_TIMEOUT:
            fields["timeout"] = _num(timeout)
        if result_ttl is not None or self._queue_result_ttl:
            given = self.default_result_ttl if result_ttl is None else result_ttl
            fields["result_ttl"] = _num(given)  # job.result_ttl reads None without it
        if self.serializer.name != "json":
            fields["ser"] = self.serializer.name

    def _add_settings(self, fields: dict[str, Any], options: JobOptions) -> None:
        """Timeouts, TTLs, serializer and retries that differ from the defaults."""
        self._add_queue_defaults(fields, options.timeout, options.result_ttl)
        failure_ttl = options.failure_ttl
        if failure_ttl is not None:
            fields["failure_ttl"] = _num(failure_ttl)
        if options.retry is not None:
            fields["max_attempts"] = 1 + options.retry.max
            fields["retry_intervals"] = options.retry.encode()
            if options.retry.enqueue_at_front:
                fields["retry_front"] = "1"

    def _add_extras(self, fields: dict[str, Any], options: JobOptions) -> None:
        """Meta, description and callbacks, when given."""
        if options.meta:
            try:
                fields["meta"] = self.serializer.dumps(options.meta)
            except TypeError as e:
                raise TypeError(
                    f"meta cannot be serialized by the {self.serializer.name} serializer: {e}"
                ) from e
        if options.description:
            fields["desc"] = options.description
        if options.webhooks:
            fields["webhooks"] = webhook.encode(options.webhooks)
        for name, cb in (
            ("on_success", options.on_success),
            ("on_failure", options.on_failure),
            ("on_stopped", options.on_stopped),
        ):
            callback = Callback.coerce(cb)
            if callback is not None:
                fields[name] = callback.path
                timeout = seconds(callback.timeout, f"{name} timeout")
                if timeout is not None:
                    fields[f"{name}_timeout"] = _num(timeout)

    def build(
        self,
        cls: type[H],
        prepared: PreparedJob,
        now: int | bytes,
        status: str | None = None,
        connection: Any = None,
    ) -> H:
        """A ``cls`` handle built from what was sent (no read back); on
        ``connection`` when given (an AsyncQueue's), else on this queue's."""
        raw = {
            k.encode(): v if isinstance(v, bytes) else str(v).encode()
            for k, v in prepared.fields.items()
        }
        raw[b"created"] = now if isinstance(now, bytes) else str(now).encode()
        if status is not None:
            raw[b"status"] = status.encode()
        return cls(
            prepared.job_id,
            self.connection if connection is None else connection,
            origin=self.name,
            fields=raw,
            serializer=self.serializer,
        )

    def save_created(self, job: JobFields) -> None:
        """Store a job made by ``Job.create`` in the "created" state (see ``Job.save``)."""
        # meta changed on the handle since create() is saved too (rq's save writes it)
        prepared = self.prepare(job._unsaved.with_options(job_id=job.id, meta=job.meta))
        now = transitions.now_ms()
        self.connection.sadd(keys.QUEUES, self.name)  # so that Job.fetch looks here
        transitions.save_created(
            self.connection,
            self.keys,
            job.id,
            prepared.fields,
            now=now,
            expiry_ms=prepared.ttl_ms or int(defaults.CREATED_TTL * 1000),
        )
        job._fields = self.build(type(job), prepared, now, JobStatus.CREATED)._fields
        job._decoded.clear()


#: the kwargs of a job given none (only read)
_NO_KWARGS: dict[str, Any] = {}


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _dependency_ids(depends_on: Any, queue: str) -> list[str]:
    """Ids of the jobs ``depends_on`` names; each must belong to ``queue``, whose keys
    share one cluster slot with the dependent (the enqueue step looks them up there)."""
    if depends_on is None:
        return []
    if isinstance(depends_on, Dependency):
        return _dependency_ids(depends_on.jobs, queue)
    if isinstance(depends_on, list | tuple):
        out: list[str] = []
        for d in depends_on:
            out.extend(_dependency_ids(d, queue))
        return out
    if isinstance(depends_on, JobFields):
        if depends_on.origin != queue:
            raise ValueError(
                f"depends_on: job {depends_on.id!r} is in queue {depends_on.origin!r}; a job "
                f"can only depend on jobs of its own queue ({queue!r})"
            )
        return [depends_on.id]
    if isinstance(depends_on, str):
        return [depends_on]
    raise InvalidDependency(
        f"depends_on takes a Job, a job id, a Dependency or a list of them, not {depends_on!r}"
    )


def stored_created(job: JobFields, queue_name: str, at_front: bool, due: int = 0) -> PreparedJob:
    """What a saved, fetched "created" job sends (``enqueue_job``, or scheduling it):
    its stored fields unchanged (a signature they carry is checked by the worker as
    for any job). ``due``: when it is due (ms; 0 now)."""
    job.refresh()
    if job.get_status(refresh=False) is not JobStatus.CREATED or job.origin != queue_name:
        raise InvalidJobOperation(
            f"job {job.id!r} is not a created job of queue {queue_name!r}; "
            "requeue a stored job with job.requeue()"
        )
    fields = {k.decode(): v for k, v in job.fields_view.items() if k not in (b"status", b"created")}
    ttl = float(fields["ttl"]) if "ttl" in fields else 0
    return PreparedJob(
        job_id=job.id,
        fields=fields,
        options=JobOptions(at_front=at_front),
        due=due,
        at_front=at_front,
        ttl_ms=int(ttl * 1000),
        depends_on=json.loads(fields["deps"]) if "deps" in fields else (),
    )

"""The options of one job, built once at the edge and carried unchanged.

rq spreads a job's options over the keyword arguments of every enqueue method;
jobq keeps rq's keywords for users but turns them into one :class:`JobOptions`
where they enter (``Queue.enqueue*``, ``@job``, the scheduler, Django's task
backend), validates it there, and hands that object down to the code that
serializes the job. A new option is a field here, and the line of
``Queue.prepare`` that writes it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .flow import FlowOptions, flow_options
from .retry import Retry
from .timeutil import Seconds, seconds

#: option fields that hold durations, with the keyword name an error speaks of
_DURATIONS = (
    ("timeout", "job_timeout"),
    ("result_ttl", "result_ttl"),
    ("ttl", "ttl"),
    ("failure_ttl", "failure_ttl"),
)


@dataclass(frozen=True, slots=True)
class JobOptions:
    """rq's enqueue options (``job_timeout`` is ``timeout`` here, as in rq's
    ``enqueue_call``). Durations are stored as float seconds, whatever form
    (number, "15m", timedelta) they were given in."""

    timeout: float | None = None
    result_ttl: float | None = None
    ttl: float | None = None
    failure_ttl: float | None = None
    description: str | None = None
    depends_on: Any = None
    job_id: str | None = None
    at_front: bool = False
    meta: Mapping[str, Any] | None = None
    retry: Retry | None = None
    on_success: Any = None
    on_failure: Any = None
    #: called when a running job is stopped (``send_stop_job_command``), rq's option
    on_stopped: Any = None
    webhooks: Any = None
    # flow control (jobq.flow, docs/flow-control.md)
    #: while a job with this key (a string, or a callable of the job's arguments) is
    #: live in the queue, an enqueue with the same key returns that job
    unique_key: Any = None
    #: "finish" (default): the key is released when the job ends; "start": when it starts
    unique_until: str = "finish"
    #: at most ``concurrency_limit`` jobs with this key run at once, on all workers
    concurrency_key: str | None = None
    concurrency_limit: int | None = None
    #: higher first within the queue, FIFO among equals (-1000 to 1000)
    priority: int = 0
    #: rq's: refuse a live job with the same job_id, which jobq always does
    unique: bool = False

    def __post_init__(self) -> None:
        if not (self.timeout is None is self.result_ttl is self.ttl is self.failure_ttl):
            self._parse_durations()
        if self.timeout == 0:  # rq's rule: 0 is no timeout anyone means; -1 is no limit
            raise ValueError("job_timeout must be positive seconds, or -1 for no limit; got 0")
        if self.ttl is not None and self.ttl <= 0:
            raise ValueError(f"ttl must be positive seconds or None, got {self.ttl!r}")
        if self.retry is not None and not isinstance(self.retry, Retry):
            raise TypeError(f"retry takes a jobq.Retry, not {self.retry!r}")
        if self.priority is None:
            object.__setattr__(self, "priority", 0)
        if (
            self.priority
            or self.unique_key is not None
            or self.concurrency_key is not None
            or self.concurrency_limit is not None
            or self.unique_until != "finish"
        ):
            _ = self.flow  # validated here, where the options enter

    def _parse_durations(self) -> None:
        for name, label in _DURATIONS:
            value = getattr(self, name)
            if value is not None:
                parsed = seconds(value, label)
                if parsed is not value:
                    object.__setattr__(self, name, parsed)

    @property
    def flow(self) -> FlowOptions | None:
        """The flow-control options, or None when none is used (the plain path)."""
        return flow_options(
            self.unique_key, self.unique_until, self.concurrency_key,  # type: ignore[arg-type]
            self.concurrency_limit, self.priority,
        )  # fmt: skip

    @classmethod
    def from_kwargs(cls, options: Mapping[str, Any]) -> JobOptions:
        """Options given by rq's keyword names (``job_timeout`` or ``timeout``)."""
        if not options:
            return DEFAULT
        return cls(**_rq_names(options))

    @classmethod
    def pick(cls, values: Mapping[str, Any]) -> JobOptions:
        """The options among ``values`` by field name (an rq-compatible signature's
        ``locals()``, whose option parameters are named as the fields)."""
        given = {
            name: value
            for name, default in _FIELD_DEFAULTS
            if (value := values.get(name)) is not None and value is not default
        }
        return cls(**given) if given else DEFAULT

    def given(self) -> dict[str, Any]:
        """The options that differ from their defaults, by field name: the keywords
        of ``Queue.enqueue_call`` that rebuild these options."""
        return {
            name: value
            for name, default in _FIELD_DEFAULTS
            if (value := getattr(self, name)) is not default and value != default
        }

    def merged(self, options: Mapping[str, Any]) -> JobOptions:
        """These options, overridden by the ones given (rq's keyword names)."""
        if not options:
            return self
        return dataclasses.replace(self, **_rq_names(options))


#: the options given no keyword (shared: building options costs nothing when none are given)
DEFAULT = JobOptions()

#: the fields of JobOptions
FIELD_NAMES = tuple(f.name for f in dataclasses.fields(JobOptions))
#: each field with its default (None or False: compared by identity)
_FIELD_DEFAULTS = tuple((f.name, f.default) for f in dataclasses.fields(JobOptions))

#: enqueue() keyword arguments that are options, not arguments of the job (rq's list)
OPTION_NAMES = ("job_timeout", *FIELD_NAMES, "pipeline")


def _rq_names(options: Mapping[str, Any]) -> dict[str, Any]:
    if "job_timeout" not in options:
        return dict(options)
    out = dict(options)
    out["timeout"] = out.pop("job_timeout")
    return out


class EnqueueData(NamedTuple):
    """One job for :meth:`Queue.enqueue_many` (made by :meth:`Queue.prepare_data`):
    the call and its options."""

    func: Callable[..., Any] | str
    args: Sequence[Any] | None
    kwargs: dict[str, Any] | None
    options: JobOptions = DEFAULT

    @property
    def on_success(self) -> Any:
        """rq's name for the success callback the prepared job carries."""
        return self.options.on_success

    @property
    def on_failure(self) -> Any:
        return self.options.on_failure

    @property
    def on_stopped(self) -> Any:
        return self.options.on_stopped

    def with_options(self, **changes: Any) -> EnqueueData:
        return self._replace(options=dataclasses.replace(self.options, **changes))


def split_call(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[JobOptions, Any, tuple[Any, ...], dict[str, Any]]:
    """Separate rq's option kwargs of ``enqueue(f, *args, **kwargs)`` from the job's
    own arguments, as rq does: (options, pipeline, args, kwargs)."""
    if not kwargs:
        return DEFAULT, None, args, kwargs
    given = {k: kwargs.pop(k) for k in OPTION_NAMES if k in kwargs}
    pipeline = given.pop("pipeline", None)
    if "args" in kwargs or "kwargs" in kwargs:
        if args:
            raise TypeError(
                "extra positional arguments cannot be used with explicit args= and kwargs="
            )
        args = tuple(kwargs.pop("args", None) or ())
        kwargs = dict(kwargs.pop("kwargs", None) or {})
    return JobOptions.from_kwargs(given), pipeline, args, kwargs


def take_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop rq's option names (less ``pipeline``) out of ``kwargs``."""
    return {k: kwargs.pop(k) for k in OPTION_NAMES if k in kwargs and k != "pipeline"}


__all__ = ["DEFAULT", "OPTION_NAMES", "EnqueueData", "JobOptions", "Seconds", "split_call"]

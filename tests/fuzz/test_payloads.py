"""Arbitrary arguments at enqueue: they round-trip (with JSON's documented changes:
tuples come back as lists) or the enqueue fails with a TypeError naming the argument
and nothing is written; payloads over the size limit fail with PayloadTooLarge;
signed pickle refuses anything tampered before unpickling it."""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

import pytest
import redis
from hypothesis import assume, given
from hypothesis import strategies as st

from jobq import Job, Queue
from jobq.exceptions import DeserializationError, PayloadTooLarge
from jobq.queue import OPTION_NAMES
from jobq.serializers import JSONSerializer, SignedPickleSerializer, max_payload_bytes

from .conftest import FUZZ, Tried

ECHO = "tests.fixtures.jobs.echo"

hashable = (
    st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.binary(max_size=10)
    | st.dates() | st.uuids() | st.decimals(allow_nan=False)
)  # fmt: skip
scalars = (
    hashable
    | st.floats(allow_nan=False)
    | st.datetimes(timezones=st.none() | st.timezones())
    | st.times()
    | st.timedeltas()
    | st.sets(hashable, max_size=4)
    | st.frozensets(st.tuples(hashable, hashable), max_size=3)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(
            st.sampled_from(["__jobq__", "v"]) | st.text(max_size=8), inner, max_size=4
        )
    ),
    max_leaves=12,
)
#: keyword names a job can take through enqueue(f, *args, **kwargs): not rq's option
#: names, nor ``f`` (Python's "multiple values for argument 'f'"; use enqueue_call)
names = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: n not in OPTION_NAMES and n not in ("args", "kwargs", "f")
)


def as_json(value: Any) -> Any:
    """What JSON gives back: tuples as lists (inside sets they stay tuples), aware
    datetimes at the same instant with their UTC offset rather than their zone."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        offset = value.utcoffset()
        assert offset is not None
        return value.astimezone(dt.timezone(offset))
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    return value


@FUZZ
@given(args=st.lists(values, max_size=4), kwargs=st.dictionaries(names, values, max_size=4))
def test_arguments_round_trip(
    connection: redis.Redis, tried: Tried, args: list[Any], kwargs: dict[str, Any]
) -> None:
    tried()
    job = Queue(connection=connection).enqueue(ECHO, *args, **kwargs)
    stored = Job.fetch(job.id, connection, queue="default")
    assert stored.args == as_json(args)
    assert stored.kwargs == as_json(kwargs)
    connection.flushdb()


class Opaque:
    pass


unserializable = st.sampled_from(
    [Opaque(), object(), complex(1, 2), range(3), bytearray(b"x"), print, {1: Opaque()}]
)


@FUZZ
@given(
    args=st.lists(values, max_size=3),
    bad=unserializable,
    where=st.integers(min_value=0, max_value=3),
    as_kwarg=st.none() | names,
)
def test_unserializable_argument_is_named_and_nothing_is_written(
    queue: Queue,
    connection: redis.Redis,
    tried: Tried,
    args: list[Any],
    bad: Any,
    where: int,
    as_kwarg: str | None,
) -> None:
    tried()
    if as_kwarg is None:
        where = min(where, len(args))
        args.insert(where, bad)
        label, call_kwargs = f"positional argument {where} ", {}
    else:
        label, call_kwargs = f"keyword argument {as_kwarg!r} ", {as_kwarg: bad}
    with pytest.raises(TypeError, match=label):
        queue.enqueue(ECHO, *args, **call_kwargs)
    assert connection.dbsize() == 0


@FUZZ
@given(
    size=st.integers(min_value=0, max_value=4000),
    limit=st.integers(min_value=1, max_value=3000),
)
def test_payload_over_the_limit_is_refused_at_enqueue(
    connection: redis.Redis, tried: Tried, size: int, limit: int
) -> None:
    tried()
    queue = Queue(connection=connection, max_payload_bytes=limit)
    payload = len(JSONSerializer().dumps([["x" * size], {}]))
    if payload > limit:
        with pytest.raises(PayloadTooLarge, match=f"{payload} bytes, over the limit of {limit}"):
            queue.enqueue(ECHO, "x" * size)
        assert connection.dbsize() == 0
    else:
        queue.enqueue(ECHO, "x" * size)
    connection.flushdb()


def test_payload_limit_defaults_and_settings(
    queue: Queue, connection: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert max_payload_bytes() == 512 * 1024
    with pytest.raises(PayloadTooLarge):
        queue.enqueue(ECHO, "x" * 600_000)
    assert issubclass(PayloadTooLarge, ValueError)
    # the environment is read as a queue is made
    monkeypatch.setenv("JOBQ_MAX_PAYLOAD_BYTES", "100")
    with pytest.raises(PayloadTooLarge):
        Queue(connection=connection).enqueue(ECHO, "x" * 200)
    queue.enqueue(ECHO, "x" * 200)  # made before: 512 KiB
    monkeypatch.setenv("JOBQ_MAX_PAYLOAD_BYTES", "0")  # no limit
    Queue(connection=connection).enqueue(ECHO, "x" * 600_000)
    assert Queue(connection=connection, max_payload_bytes=0).enqueue(ECHO, "x" * 600_000)
    monkeypatch.setenv("JOBQ_MAX_PAYLOAD_BYTES", "lots")
    with pytest.raises(ValueError, match="JOBQ_MAX_PAYLOAD_BYTES='lots'"):
        Queue(connection=connection)


KEY = b"k" * 32


@FUZZ
@given(
    value=values,
    flips=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=3),
    mode=st.sampled_from(["flip", "truncate", "unsigned", "other key", "random"]),
    junk=st.binary(max_size=80),
)
def test_tampered_or_unsigned_pickle_is_refused_before_unpickling(
    monkeypatch: pytest.MonkeyPatch,
    tried: Tried,
    value: Any,
    flips: list[int],
    mode: str,
    junk: bytes,
) -> None:
    tried()
    signed = SignedPickleSerializer(KEY)
    data = bytearray(signed.dumps(value))
    if mode == "flip":
        for i in flips:
            data[i % len(data)] ^= 1 + i % 255
    elif mode == "truncate":
        data = data[: flips[0] % len(data)]
    elif mode == "unsigned":
        data = bytearray(pickle.dumps(value))
    elif mode == "other key":
        data = bytearray(SignedPickleSerializer(b"other").dumps(value))
    else:
        data = bytearray(junk)
    assume(bytes(data) != signed.dumps(value))
    unpickled: list[bytes] = []
    monkeypatch.setattr(pickle, "loads", lambda b, **kw: unpickled.append(b))
    with pytest.raises(DeserializationError, match="signature mismatch"):
        signed.loads(bytes(data))
    assert unpickled == []  # refused before pickle saw a byte

"""Payload serialization: JSON by default, signed pickle on request.

JSON keeps reading a payload from ever running code. Pickle is there for users
who move from rq with arguments JSON cannot carry, and then every payload is
signed with HMAC-SHA256 so that a payload someone wrote into Redis by hand is
refused before it is unpickled. What a payload cannot say — which function runs
it — is guarded by the job's envelope MAC (:mod:`jobq.signing`).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import hmac
import importlib
import json
import os
import pickle
import uuid
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from .exceptions import ConfigurationError, DeserializationError, PayloadTooLarge
from .signing import Keyring


@runtime_checkable
class Serializer(Protocol):
    #: short code stored with each job so a worker can read it back
    name: str

    def dumps(self, obj: Any) -> bytes: ...

    def loads(self, data: bytes) -> Any: ...


_TAG = "__jobq__"
_TAG_BYTES = b'"__jobq__"'


def _encode_default(obj: Any) -> Any:
    if isinstance(obj, dt.datetime):
        return {_TAG: "datetime", "v": obj.isoformat()}
    if isinstance(obj, dt.date):
        return {_TAG: "date", "v": obj.isoformat()}
    if isinstance(obj, dt.time):
        return {_TAG: "time", "v": obj.isoformat()}
    if isinstance(obj, dt.timedelta):
        # exact, where total_seconds() (a float) rounds long spans
        return {_TAG: "timedelta", "v": [obj.days, obj.seconds, obj.microseconds]}
    if isinstance(obj, decimal.Decimal):
        return {_TAG: "decimal", "v": str(obj)}
    if isinstance(obj, uuid.UUID):
        return {_TAG: "uuid", "v": str(obj)}
    if isinstance(obj, bytes):
        return {_TAG: "bytes", "v": base64.b64encode(obj).decode()}
    if isinstance(obj, set | frozenset):
        return {_TAG: "set", "v": list(obj)}
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _timedelta(v: Any) -> dt.timedelta:
    if isinstance(v, list):
        days, seconds, microseconds = v
        return dt.timedelta(days=days, seconds=seconds, microseconds=microseconds)
    return dt.timedelta(seconds=v)  # as written before exact spans


def _hashable(v: Any) -> Any:
    """A set member back from JSON: tuples came back as lists, frozensets as sets."""
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, set):
        return frozenset(v)
    return v


_DECODERS: dict[str, Any] = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "timedelta": _timedelta,
    "decimal": decimal.Decimal,
    "uuid": uuid.UUID,
    "bytes": base64.b64decode,
    "set": lambda v: {_hashable(x) for x in v},
    "dict": lambda v: {k: x for k, x in v},
}


def _has_tag_key(obj: Any) -> bool:
    if isinstance(obj, dict):
        return _TAG in obj or any(_has_tag_key(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return any(_has_tag_key(v) for v in obj)
    return False


def _escape(obj: Any) -> Any:
    """``obj`` with every dict that has a ``__jobq__`` key of its own carried as
    key-value pairs, so that user data never reads back as one of our tags."""
    if isinstance(obj, dict):
        items = {k: _escape(v) for k, v in obj.items()}
        return {_TAG: "dict", "v": [[k, v] for k, v in items.items()]} if _TAG in obj else items
    if isinstance(obj, list | tuple):
        return [_escape(v) for v in obj]
    return obj


def _decode_hook(obj: dict[str, Any]) -> Any:
    tag = obj.get(_TAG)
    if tag is not None and len(obj) == 2 and tag in _DECODERS:
        return _DECODERS[tag](obj["v"])
    return obj


class JSONSerializer:
    """JSON with round-trips for datetimes, dates, times, Decimals, UUIDs, bytes and sets.

    Tuples come back as lists, as with any JSON payload.
    """

    name = "json"

    def __eq__(self, other: object) -> bool:
        """Stateless: every instance is alike, and like the class itself, which rq's
        code compares with (``queue.serializer == JSONSerializer``)."""
        return other is JSONSerializer or isinstance(other, JSONSerializer)

    def __hash__(self) -> int:
        return hash(JSONSerializer)

    # built once: json.dumps/loads with options build a new coder on every call
    _encoder = json.JSONEncoder(default=_encode_default, separators=(",", ":"))
    _decoder = json.JSONDecoder(object_hook=_decode_hook)

    def dumps(self, obj: Any) -> bytes:
        data = self._encoder.encode(obj).encode()
        # the tag in the output: ours (a datetime, bytes...) or a key of the user's own?
        if _TAG_BYTES in data and _has_tag_key(obj):
            data = self._encoder.encode(_escape(obj)).encode()
        return data

    def loads(self, data: bytes) -> Any:
        try:
            text = data.decode() if isinstance(data, bytes | bytearray) else data
            return self._decoder.decode(text)
        except (ValueError, TypeError) as e:
            raise DeserializationError(f"payload is not valid JSON: {e}") from e


class SignedPickleSerializer:
    """Pickle, signed with HMAC-SHA256; refuses anything whose signature does not match."""

    name = "pickle"
    _MAC = 32

    def __init__(self, key: bytes | str | None = None) -> None:
        key = key if key is not None else os.environ.get("JOBQ_PICKLE_KEY")
        if not key:
            raise ConfigurationError(
                "the pickle serializer needs a signing key: pass key=... or set JOBQ_PICKLE_KEY "
                "(the same value on every producer and worker)"
            )
        self._key = key.encode() if isinstance(key, str) else key
        self._keyring: Keyring | None = None

    @property
    def keyring(self) -> Keyring:
        """Envelope keys derived from the pickle key: a queue or worker with no other
        secret signs and checks pickle jobs with them, so a signed payload cannot be
        moved onto another job, queue or function (see :mod:`jobq.signing`)."""
        if self._keyring is None:
            self._keyring = Keyring(self._key)
        return self._keyring

    def _sign(self, data: bytes) -> bytes:
        return hmac.new(self._key, data, hashlib.sha256).digest()

    def dumps(self, obj: Any) -> bytes:
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        return self._sign(data) + data

    def loads(self, data: bytes) -> Any:
        mac, body = data[: self._MAC], data[self._MAC :]
        if len(mac) != self._MAC or not hmac.compare_digest(mac, self._sign(body)):
            raise DeserializationError("signature mismatch: payload refused, not unpickled")
        try:
            return pickle.loads(body)
        except Exception as e:
            raise DeserializationError(f"signed pickle payload cannot be loaded: {e}") from e


DEFAULT = JSONSerializer()


#: rq's name for the serializer used when none is given (rq: pickle; jobq: JSON)
DefaultSerializer = JSONSerializer


def configured_serializer(spec: Serializer | type | str | None) -> Serializer:
    """A serializer given by code or settings: an instance, its class (as rq's docs
    write it), a dotted path to either (``"jobq.serializers.JSONSerializer"``) or a
    name. Never for names read from Redis: those go to :func:`resolve_serializer`,
    which imports nothing."""
    if isinstance(spec, str) and "." in spec:
        spec = _import_serializer(spec)
    return resolve_serializer(spec)


def resolve_serializer(spec: Serializer | type | str | None) -> Serializer:
    """Accept a serializer instance, its class, or a name ("json", "pickle")."""
    if isinstance(spec, type):
        spec = spec()
    if spec is None or spec == "json":
        return DEFAULT
    if spec == "pickle":
        return SignedPickleSerializer()
    if isinstance(spec, str):
        raise ConfigurationError(f"unknown serializer {spec!r}: use 'json' or 'pickle'")
    if not isinstance(spec, Serializer):
        raise ConfigurationError(f"{spec!r} is not a serializer (needs name, dumps, loads)")
    return spec


#: Largest serialized ``[args, kwargs]`` an enqueue accepts, in bytes, unless
#: ``JOBQ_MAX_PAYLOAD_BYTES`` or the queue's ``max_payload_bytes`` says otherwise.
#: Redis holds every payload in memory and a worker reads it whole: big data belongs
#: elsewhere, with its reference in the job.
MAX_PAYLOAD_BYTES = 512 * 1024
_MAX_PAYLOAD_ENV = "JOBQ_MAX_PAYLOAD_BYTES"


def max_payload_bytes(value: int | None = None) -> int | None:
    """The payload limit in force: ``value`` when given, else ``JOBQ_MAX_PAYLOAD_BYTES``,
    else :data:`MAX_PAYLOAD_BYTES`; ``None`` when the limit is 0 (no limit)."""
    if value is None:
        raw = os.environ.get(_MAX_PAYLOAD_ENV)
        if not raw:
            return MAX_PAYLOAD_BYTES
        try:
            value = int(raw)
        except ValueError as e:
            raise ConfigurationError(
                f"{_MAX_PAYLOAD_ENV}={raw!r} must be a number of bytes (0: no limit)"
            ) from e
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(
            f"max_payload_bytes must be a number of bytes >= 0 (0: no limit), got {value!r}"
        )
    return value or None


def check_serializable(
    serializer: Serializer,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    *,
    max_bytes: int | None = None,
) -> bytes:
    """Serialize [args, kwargs]; on failure name the argument that cannot be carried.

    Raises :class:`PayloadTooLarge` past ``max_bytes`` (see :func:`max_payload_bytes`)."""
    try:
        data = serializer.dumps([list(args), kwargs])
    except (TypeError, ValueError, pickle.PicklingError, AttributeError) as e:
        for i, value in enumerate(args):
            _check_one(serializer, f"positional argument {i}", value)
        for name, value in kwargs.items():
            _check_one(serializer, f"keyword argument {name!r}", value)
        raise TypeError(
            f"arguments cannot be serialized by the {serializer.name} serializer: {e}"
        ) from e
    limit = max_payload_bytes(max_bytes)
    if limit is not None and len(data) > limit:
        raise PayloadTooLarge(len(data), limit)
    return data


def _check_one(serializer: Serializer, label: str, value: Any) -> None:
    try:
        serializer.dumps(value)
    except (TypeError, ValueError, pickle.PicklingError, AttributeError) as e:
        hint = " (or use serializer='pickle')" if serializer.name == "json" else ""
        raise TypeError(
            f"{label} of type {type(value).__name__} cannot be serialized by the "
            f"{serializer.name} serializer: {e}. Pass plain data such as ids{hint}."
        ) from e


def _import_serializer(path: str) -> Any:
    module, _, attr = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise ConfigurationError(
            f"serializer {path!r} cannot be imported ({e}); give a dotted path to a "
            "serializer class or instance, or 'json' / 'pickle'"
        ) from e

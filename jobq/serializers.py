"""Payload serialization: JSON by default, signed pickle on request.

JSON keeps a write to Redis from ever being code execution. Pickle is there for
users who move from rq with arguments JSON cannot carry, and then every payload
is signed with HMAC-SHA256 so that a payload someone wrote into Redis by hand is
refused before it is unpickled.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import hmac
import json
import os
import pickle
import uuid
from typing import Any, Protocol, runtime_checkable

from .exceptions import ConfigurationError, DeserializationError


@runtime_checkable
class Serializer(Protocol):
    #: short code stored with each job so a worker can read it back
    name: str

    def dumps(self, obj: Any) -> bytes: ...

    def loads(self, data: bytes) -> Any: ...


_TAG = "__jobq__"


def _encode_default(obj: Any) -> Any:
    if isinstance(obj, dt.datetime):
        return {_TAG: "datetime", "v": obj.isoformat()}
    if isinstance(obj, dt.date):
        return {_TAG: "date", "v": obj.isoformat()}
    if isinstance(obj, dt.time):
        return {_TAG: "time", "v": obj.isoformat()}
    if isinstance(obj, dt.timedelta):
        return {_TAG: "timedelta", "v": obj.total_seconds()}
    if isinstance(obj, decimal.Decimal):
        return {_TAG: "decimal", "v": str(obj)}
    if isinstance(obj, uuid.UUID):
        return {_TAG: "uuid", "v": str(obj)}
    if isinstance(obj, bytes):
        return {_TAG: "bytes", "v": base64.b64encode(obj).decode()}
    if isinstance(obj, set | frozenset):
        return {_TAG: "set", "v": list(obj)}
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_DECODERS: dict[str, Any] = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "timedelta": lambda v: dt.timedelta(seconds=v),
    "decimal": decimal.Decimal,
    "uuid": uuid.UUID,
    "bytes": base64.b64decode,
    "set": set,
}


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

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj, default=_encode_default, separators=(",", ":")).encode()

    def loads(self, data: bytes) -> Any:
        try:
            return json.loads(data, object_hook=_decode_hook)
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


def resolve_serializer(spec: Serializer | str | None) -> Serializer:
    """Accept a serializer instance or a name ("json", "pickle")."""
    if spec is None or spec == "json":
        return DEFAULT
    if spec == "pickle":
        return SignedPickleSerializer()
    if isinstance(spec, str):
        raise ConfigurationError(f"unknown serializer {spec!r}: use 'json' or 'pickle'")
    if not isinstance(spec, Serializer):
        raise ConfigurationError(f"{spec!r} is not a serializer (needs name, dumps, loads)")
    return spec


def check_serializable(
    serializer: Serializer, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> bytes:
    """Serialize [args, kwargs]; on failure name the argument that cannot be carried."""
    try:
        return serializer.dumps([list(args), kwargs])
    except (TypeError, ValueError, pickle.PicklingError, AttributeError) as e:
        for i, value in enumerate(args):
            _check_one(serializer, f"positional argument {i}", value)
        for name, value in kwargs.items():
            _check_one(serializer, f"keyword argument {name!r}", value)
        raise TypeError(
            f"arguments cannot be serialized by the {serializer.name} serializer: {e}"
        ) from e


def _check_one(serializer: Serializer, label: str, value: Any) -> None:
    try:
        serializer.dumps(value)
    except (TypeError, ValueError, pickle.PicklingError, AttributeError) as e:
        hint = " (or use serializer='pickle')" if serializer.name == "json" else ""
        raise TypeError(
            f"{label} of type {type(value).__name__} cannot be serialized by the "
            f"{serializer.name} serializer: {e}. Pass plain data such as ids{hint}."
        ) from e

"""Serializers: JSON round-trips of the types users pass, signed pickle, naming bad arguments."""

from __future__ import annotations

import datetime as dt
import decimal
import pickle
import uuid
from typing import Any

import pytest

from jobq.exceptions import ConfigurationError, DeserializationError
from jobq.serializers import (
    JSONSerializer,
    SignedPickleSerializer,
    check_serializable,
    resolve_serializer,
)

JSON = JSONSerializer()


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        dt.datetime(2024, 3, 1, 12, 30),  # naive stays naive
        dt.date(2024, 2, 29),
        dt.time(23, 59, 58, 1),
        dt.timedelta(days=2, seconds=3, microseconds=4),
        decimal.Decimal("1.10"),
        decimal.Decimal("-12345678901234567890.000000001"),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        b"\x00\xffraw bytes",
        {1, 2, 3},
        {"a", "b"},
        {"nested": [dt.date(2020, 1, 1), {decimal.Decimal("0.5")}], "n": None, "f": 1.5},
    ],
    ids=repr,
)
def test_json_round_trips_rich_types(value: Any) -> None:
    back = JSON.loads(JSON.dumps(value))
    assert back == value
    assert type(back) is type(value)


def test_json_keeps_timezone_and_microseconds() -> None:
    when = dt.datetime(2024, 3, 1, 12, 0, 0, 7, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    back = JSON.loads(JSON.dumps(when))
    assert back.utcoffset() == dt.timedelta(hours=2)
    assert back.microsecond == 7


def test_json_tuples_come_back_as_lists() -> None:
    assert JSON.loads(JSON.dumps([(1, 2)])) == [[1, 2]]


def test_json_loads_garbage_raises_deserialization_error() -> None:
    with pytest.raises(DeserializationError, match="not valid JSON"):
        JSON.loads(b"{not json")


def test_resolve_serializer_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_serializer(None).name == "json"
    assert resolve_serializer("json").name == "json"
    monkeypatch.setenv("JOBQ_PICKLE_KEY", "k")
    assert resolve_serializer("pickle").name == "pickle"
    with pytest.raises(ConfigurationError, match="unknown serializer 'yaml'"):
        resolve_serializer("yaml")
    with pytest.raises(ConfigurationError, match="not a serializer"):
        resolve_serializer(object())  # type: ignore[arg-type]


# -- signed pickle ---------------------------------------------------------------


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (other.x, other.y) == (self.x, self.y)


def test_signed_pickle_round_trip() -> None:
    s = SignedPickleSerializer(key="secret")
    value = {"p": Point(1, 2), "t": (1, 2), "s": frozenset({3})}
    assert s.loads(s.dumps(value)) == value


def test_signed_pickle_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBQ_PICKLE_KEY", "env-secret")
    assert SignedPickleSerializer().loads(SignedPickleSerializer(key="env-secret").dumps(5)) == 5


def test_tampered_payload_is_refused_before_unpickling() -> None:
    s = SignedPickleSerializer(key="secret")
    data = bytearray(s.dumps({"amount": 10}))
    data[-3] ^= 0x01
    with pytest.raises(DeserializationError, match="signature mismatch"):
        s.loads(bytes(data))


class _Boom:
    def __reduce__(self) -> tuple[Any, ...]:
        return (pytest.fail, ("unsigned payload was unpickled",))


def test_unsigned_payload_is_refused() -> None:
    s = SignedPickleSerializer(key="secret")
    with pytest.raises(DeserializationError, match="signature mismatch"):
        s.loads(pickle.dumps(_Boom()))
    with pytest.raises(DeserializationError, match="signature mismatch"):
        s.loads(b"short")


def test_payload_signed_with_another_key_is_refused() -> None:
    data = SignedPickleSerializer(key="theirs").dumps([1])
    with pytest.raises(DeserializationError, match="signature mismatch"):
        SignedPickleSerializer(key="ours").loads(data)


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOBQ_PICKLE_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="JOBQ_PICKLE_KEY"):
        SignedPickleSerializer()
    with pytest.raises(ConfigurationError, match="signing key"):
        resolve_serializer("pickle")


# -- check_serializable -----------------------------------------------------------


def test_check_serializable_returns_the_payload() -> None:
    data = check_serializable(JSON, (1, "a"), {"when": dt.date(2020, 1, 2)})
    assert JSON.loads(data) == [[1, "a"], {"when": dt.date(2020, 1, 2)}]


def test_check_serializable_names_the_positional_argument() -> None:
    with pytest.raises(TypeError, match=r"positional argument 1 of type object") as info:
        check_serializable(JSON, (1, object(), 3), {})
    assert "serializer='pickle'" in str(info.value)


def test_check_serializable_names_the_keyword_argument() -> None:
    with pytest.raises(TypeError, match=r"keyword argument 'conn' of type Point"):
        check_serializable(JSON, (1,), {"ok": 2, "conn": Point(1, 2)})


def test_check_serializable_finds_a_bad_value_nested_in_an_argument() -> None:
    with pytest.raises(TypeError, match=r"positional argument 0 of type list"):
        check_serializable(JSON, ([1, {"x": object()}],), {})


def test_check_serializable_with_pickle_names_an_unpicklable_argument() -> None:
    s = SignedPickleSerializer(key="k")
    with pytest.raises(TypeError, match=r"keyword argument 'f' of type function"):
        check_serializable(s, (), {"f": lambda: None})


def test_what_json_changes_is_what_the_docs_say() -> None:
    """docs/reliability.md ("What JSON changes") and the README: tuples come back as
    lists, frozensets as sets, members of a set frozen."""
    from tests.conftest import ROOT

    args, _ = JSON.loads(JSON.dumps((((1, 2), frozenset({3}), {(4, 5), frozenset({6})}), {})))
    assert args == [[1, 2], {3}, {(4, 5), frozenset({6})}]
    assert type(args[1]) is set
    docs = " ".join((ROOT / "docs" / "reliability.md").read_text().split())
    assert "tuples come back as lists, frozensets as sets" in docs
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "tuples come back as lists, frozensets as sets" in readme

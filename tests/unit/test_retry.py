"""Retry validation and intervals; Callback coercion."""

from __future__ import annotations

import json

import pytest

from jobq import Callback, Retry
from tests.fixtures import jobs


def test_single_interval_applies_to_every_attempt() -> None:
    r = Retry(max=3, interval=5)
    assert r.intervals == [5.0]
    assert [Retry.get_interval(n, r.intervals) for n in (0, 1, 2)] == [5.0, 5.0, 5.0]


def test_interval_list_last_one_repeats() -> None:
    r = Retry(max=4, interval=[10, 30, 60])
    assert [Retry.get_interval(n, r.intervals) for n in range(5)] == [10, 30, 60, 60, 60]


def test_default_interval_is_zero() -> None:
    r = Retry(max=1)
    assert r.intervals == [0.0]
    assert Retry.get_interval(1, r.intervals) == 0.0
    assert Retry.get_interval(3, None) == 0 and Retry.get_interval(3, 7) == 7
    assert Retry(max=1, interval=[]).intervals == [0.0]


def test_encode_is_the_json_list_the_fail_script_reads() -> None:
    assert json.loads(Retry(max=2, interval=[0.2, 0.4]).encode()) == [0.2, 0.4]


@pytest.mark.parametrize("max_", [0, -1, 1.5, "3", None, True])
def test_max_must_be_a_positive_integer(max_: object) -> None:
    with pytest.raises(ValueError, match="Retry max must be a positive integer"):
        Retry(max=max_)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "interval", [-1, [1, -2], ["a"], [None], float("nan"), [1, float("inf")], [True]]
)
def test_intervals_must_be_finite_non_negative_numbers(interval: object) -> None:
    with pytest.raises(ValueError, match="Retry intervals must be finite numbers >= 0"):
        Retry(max=2, interval=interval)  # type: ignore[arg-type]


def test_repr_shows_the_policy() -> None:
    assert repr(Retry(max=2, interval=[1, 2])) == (
        "Retry(max=2, interval=[1, 2], enqueue_at_front=False)"
    )


def test_callback_coerce_and_path() -> None:
    assert Callback.coerce(None) is None
    cb = Callback(jobs.record_success, timeout=3)
    assert Callback.coerce(cb) is cb
    assert Callback.coerce(jobs.record_success).path == "tests.fixtures.jobs.record_success"  # type: ignore[union-attr]
    assert Callback.coerce("a.b").path == "a.b"  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        _ = Callback(lambda job, conn, result: None).path

"""The time sketch of jobq.history: bucket arithmetic and percentiles."""

from __future__ import annotations

import math
import random

import pytest

from jobq import history
from jobq.history import Sketch, bucket_bounds, bucket_of, bucket_value, parse_bucket


def test_every_duration_falls_in_its_bucket_bounds() -> None:
    rng = random.Random(7)
    for _ in range(5000):
        v = 10 ** rng.uniform(-5, 5)
        lo, hi = bucket_bounds(bucket_of(v))
        assert lo <= v < hi or (v == hi and math.isclose(v, hi))


def test_edges_nan_negative_and_huge() -> None:
    assert bucket_of(float("nan")) == 0
    assert bucket_of(-1.0) == 0
    assert bucket_of(0.0) == 0
    assert bucket_of(float("inf")) == history.BUCKETS - 1
    assert bucket_of(1e12) == history.BUCKETS - 1
    assert bucket_bounds(history.BUCKETS - 1)[1] == math.inf


def test_bucket_value_is_within_the_documented_relative_error() -> None:
    """docs/observability.md: a percentile is within 9.1 % of a value in its bucket."""
    assert round(history.RELATIVE_ERROR, 3) == 0.091
    for b in range(1, history.BUCKETS - 1):
        lo, hi = bucket_bounds(b)
        mid = bucket_value(b)
        assert mid / lo - 1 <= history.RELATIVE_ERROR + 1e-12
        assert hi / mid - 1 <= history.RELATIVE_ERROR + 1e-12


@pytest.mark.parametrize("q", [0.5, 0.95, 0.99])
def test_percentiles_match_exact_ones_within_the_bound(q: float) -> None:
    rng = random.Random(int(q * 100))
    values = [rng.lognormvariate(-3, 1.5) for _ in range(20000)]
    sketch = Sketch()
    for v in values:
        sketch.add(bucket_of(v))
    exact = sorted(values)[max(0, math.ceil(q * len(values)) - 1)]
    got = sketch.quantile(q)
    assert got is not None
    assert abs(got / exact - 1) <= history.RELATIVE_ERROR + 1e-6


def test_empty_sketch_has_no_percentile() -> None:
    assert Sketch().quantile(0.5) is None
    assert Sketch().percentiles() == {"p50": None, "p95": None, "p99": None}


def test_nearest_rank() -> None:
    sketch = Sketch()
    sketch.add(bucket_of(0.001), 99)
    sketch.add(bucket_of(10.0), 1)
    assert sketch.quantile(0.99) == round(bucket_value(bucket_of(0.001)), 6)
    assert sketch.quantile(1.0) == round(bucket_value(bucket_of(10.0)), 6)


def test_parse_bucket_skips_garbage() -> None:
    raw = {
        b"finished": b"3", b"failed": b"x", b"retried": b"-1", b"r5": b"2", b"r999": b"1",
        b"w2": b"1", b"depth": b"7", b"bogus": b"1", b"finished@m.f": b"3", b"r5@m.f": b"2",
        b"finished@a@b": b"1",
    }  # fmt: skip
    b = parse_bucket(raw)
    assert b.queue.outcomes == {"finished": 3, "failed": 0, "retried": 0, "reaped": 0}
    assert b.queue.run.counts == {5: 2} and b.queue.wait.counts == {2: 1}
    assert b.depth == 7
    assert b.functions["m.f"].outcomes["finished"] == 3
    assert b.functions["a@b"].outcomes["finished"] == 1


def test_windows_have_their_bucket_counts() -> None:
    step, starts = history.bucket_starts("hour", now_ms=1_000_005_000)
    assert step == 10 and len(starts) == 360 and starts[-1] == 1_000_000
    step, starts = history.bucket_starts("day", now_ms=1_000_005_000)
    assert step == 60 and len(starts) == 1440 and starts[-1] % 60 == 0
    with pytest.raises(ValueError, match="window must be one of"):
        history.bucket_starts("week")


def test_recorder_sums_per_bucket_and_function_and_keeps_what_was_not_sent() -> None:
    rec = history.Recorder()
    rec.add("q", 1_000_012_345, {("m.f", "finished", 3, 1): 2, ("m.f", "failed", 4, 1): 1})
    rec.add("q", 1_000_019_999, {("m.f", "finished", 3, 2): 1})
    rec.add("q", 1_000_020_000, {("m.g", "retried", 5, 0): 1})  # the next 10 s bucket
    taken = rec.take()
    assert rec.pending == {} and not rec.due()
    assert sorted(taken) == [
        (
            "q",
            1_000_010_000,
            {"m.f": {"finished": 3, "r3": 3, "w1": 3, "failed": 1, "r4": 1, "w2": 1}},
        ),
        ("q", 1_000_020_000, {"m.g": {"retried": 1, "r5": 1, "w0": 1}}),
    ]
    rec.give_back(taken)  # Redis was away: nothing is lost
    rec.give_back(taken)
    assert rec.pending[("q", 1_000_020_000)] == {"m.g": {"retried": 2, "r5": 2, "w0": 2}}

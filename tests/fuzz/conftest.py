"""Fuzzing with hypothesis against the session's redis-server: bounded example
counts so the suite stays fast; each test records how many inputs it tried in
var/faults/fuzz_<test>.json."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.faults.figures import record

#: the function-scoped fixtures (one Redis DB) are shared by a test's examples on
#: purpose: each example cleans what it wrote
FUZZ = settings(
    max_examples=int(os.environ.get("JOBQ_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


class Tried:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> None:
        self.n += 1


@pytest.fixture
def tried(request: pytest.FixtureRequest) -> Iterator[Tried]:
    counter = Tried()
    yield counter
    record(f"fuzz_{request.node.name}", {"bad_inputs": counter.n})

"""Scheduler suite: a controllable clock for in-process passes; real processes for
the end-to-end behaviour. Clients built without a connection use the test server."""

from __future__ import annotations

import datetime as dt

import pytest
import redis

from jobq.scheduler import Scheduler, Ticker

#: a round instant, so slot arithmetic in assertions is readable
T0 = 1_906_545_600_000  # 2030-06-01 12:00:00 UTC: in the future, so enqueue_at keeps jobs waiting


class FakeClock:
    """Time moves only when the test moves it (``sleep`` moves it too)."""

    def __init__(self, ms: int = T0) -> None:
        self.ms = ms

    def time(self) -> float:
        return self.ms / 1000

    def sleep(self, seconds: float) -> None:
        self.ms += round(seconds * 1000)

    def advance(self, seconds: float) -> int:
        self.ms += round(seconds * 1000)
        return self.ms

    def at(self, ms_from_t0: int = 0) -> dt.datetime:
        return dt.datetime.fromtimestamp((T0 + ms_from_t0) / 1000, tz=dt.UTC)


@pytest.fixture(autouse=True)
def _default_url_is_the_test_server(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBQ_REDIS_URL", redis_url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def scheduler(connection: redis.Redis, clock: FakeClock) -> Scheduler:
    return Scheduler(connection=connection, clock=clock)


@pytest.fixture
def ticker(connection: redis.Redis, clock: FakeClock) -> Ticker:
    return Ticker(connection, clock=clock)

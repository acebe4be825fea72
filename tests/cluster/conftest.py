"""Cluster and Sentinel suite: a local 3-master Redis Cluster and a Sentinel setup
(master, replica, one Sentinel) on free ports of 127.0.0.1, started once per
session in a scratch directory and killed by pid at its end.

``redis_url`` is overridden here and parametrized over both, so core scenarios
imported into this package run unchanged on each (see test_scenarios.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scheduler.conftest import clock, scheduler, ticker

from .servers import LocalCluster, SentinelSetup

__all__ = ["clock", "scheduler", "ticker"]

KINDS = ("cluster", "sentinel")


@pytest.fixture(scope="session")
def local_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster"), masters=3)
    try:
        yield cluster.start()
    finally:
        cluster.close()


@pytest.fixture(scope="session")
def sentinel_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelSetup]:
    setup = SentinelSetup(tmp_path_factory.mktemp("sentinel"))
    try:
        yield setup.start()
    finally:
        setup.close()


@pytest.fixture(params=KINDS)
def redis_url(request: pytest.FixtureRequest) -> str:
    """An empty cluster or Sentinel-watched master, as the URL jobq is given."""
    if request.param == "cluster":
        cluster: LocalCluster = request.getfixturevalue("local_cluster")
        cluster.flush()
        return cluster.url
    setup: SentinelSetup = request.getfixturevalue("sentinel_setup")
    setup.flush()
    return setup.url


@pytest.fixture
def default_url(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Clients built without a connection (``@job``, ``cancel_job(id)``) use it too."""
    monkeypatch.setenv("JOBQ_REDIS_URL", redis_url)
    return redis_url


@pytest.fixture
def cluster_with_replicas(tmp_path: Path) -> Iterator[LocalCluster]:
    """A cluster of its own (3 primaries, a replica each), for tests that kill nodes
    or wait for replicas."""
    cluster = LocalCluster(tmp_path / "cluster", masters=3, replicas=1)
    try:
        yield cluster.start()
    finally:
        cluster.close()

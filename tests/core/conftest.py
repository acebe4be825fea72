"""Core suite: every client built without an explicit connection (``@job`` without
one, ``cancel_job(id)``) talks to the test server, never to a default Redis."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _default_url_is_the_test_server(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBQ_REDIS_URL", redis_url)

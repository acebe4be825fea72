"""Where a command looks for Redis when given no URL (docs: README, make demo)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobq import defaults
from jobq.connection import default_url

NAMES = ("JOBQ_REDIS_URL", "RQ_REDIS_URL", "REDIS_URL")


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_url_make_demo_wrote_is_read_when_no_url_is_given(
    no_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert default_url() == defaults.REDIS_URL
    (no_env / "var").mkdir()
    (no_env / "var" / "redis.url").write_text("redis://127.0.0.1:41234/0\n")
    assert default_url() == "redis://127.0.0.1:41234/0"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/2")
    assert default_url() == "redis://127.0.0.1:1/2"  # the environment comes first


def test_a_file_without_a_url_is_ignored(no_env: Path) -> None:
    (no_env / "var").mkdir()
    (no_env / "var" / "redis.url").write_text("not a url\n")
    assert default_url() == defaults.REDIS_URL

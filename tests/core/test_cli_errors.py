"""The CLI never prints a traceback: every ``jobq`` subcommand given bad input (a bad
URL, an unreachable Redis, a bad queue name, pickle without a key) prints one clear
error line and exits non-zero. Run as real processes, as a user would."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import _env

#: a port nothing listens on (never 6379)
DOWN = "redis://127.0.0.1:1/0"
LONG = "q" * 129

CASES = {
    "worker bad url scheme": (["worker", "--url", "foo://x", "--burst"], "invalid Redis URL"),
    "worker unreachable burst": (["--url", DOWN, "worker", "--burst"], "cannot reach Redis"),
    "worker pickle without key": (
        ["--url", DOWN, "worker", "--burst", "--serializer", "pickle"],
        "JOBQ_PICKLE_KEY",
    ),
    "worker invalid queue name": (["--url", DOWN, "worker", "bad{q}", "--burst"], "queue name"),
    "worker queue name too long": (["--url", DOWN, "worker", LONG, "--burst"], "at most 128"),
    "simple worker unreachable": (
        ["--url", DOWN, "worker", "--simple", "--burst"],
        "cannot reach Redis",
    ),
    "scheduler unreachable burst": (["--url", DOWN, "scheduler", "--burst"], "cannot reach Redis"),
    "scheduler bad url": (["scheduler", "--url", "foo://x", "--burst"], "invalid Redis URL"),
    "info unreachable": (["--url", DOWN, "info"], "cannot reach Redis"),
    "info invalid queue name": (["--url", DOWN, "info", "a b"], "queue name"),
    "enqueue unreachable": (["--url", DOWN, "enqueue", "tests.fixtures.jobs.noop"], "reach"),
    "enqueue invalid queue name": (
        ["--url", DOWN, "enqueue", "tests.fixtures.jobs.noop", "--queue", LONG],
        "queue name",
    ),
    "requeue unreachable": (["--url", DOWN, "requeue", "--all"], "cannot reach Redis"),
    "requeue invalid queue name": (
        ["--url", DOWN, "requeue", "--all", "--queue", "{x}"],
        "queue name",
    ),
    "empty unreachable": (["--url", DOWN, "empty", "default"], "cannot reach Redis"),
    "empty invalid queue name": (["--url", DOWN, "empty", LONG], "queue name"),
    "suspend unreachable": (["--url", DOWN, "suspend"], "cannot reach Redis"),
    "resume unreachable": (["--url", DOWN, "resume"], "cannot reach Redis"),
    "bad url for any command": (["--url", "nonsense", "info"], "invalid Redis URL"),
    "metrics invalid queue name": (["--url", DOWN, "metrics", "a b"], "queue name"),
    "metrics bad url": (["metrics", "--url", "foo://x"], "invalid Redis URL"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_cli_never_prints_a_traceback(case: str) -> None:
    argv, expected = CASES[case]
    env = {k: v for k, v in _env().items() if k not in ("JOBQ_PICKLE_KEY", "JOBQ_REDIS_URL")}
    out = subprocess.run(
        [sys.executable, "-m", "jobq", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = out.stdout + out.stderr
    assert out.returncode != 0, output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("Error: ") and expected in lines[0], output


def test_usage_errors_are_one_message_too() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jobq", "worker", "--concurrency", "0"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stdout + out.stderr
    assert "Error: Invalid value for '--concurrency'" in out.stderr

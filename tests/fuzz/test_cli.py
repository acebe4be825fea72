"""Malformed command lines: ``jobq enqueue`` with any function text and any
``--args``/``--kwargs`` text, numeric options with any text. Each either works or
exits with a usage error (exit code 1 or 2) and a message, never a traceback."""

from __future__ import annotations

import json

import redis
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from jobq import Job
from jobq.cli import main

from .conftest import FUZZ, Tried

JSONISH = [
    "", "[", "]", "{}", "[]", "null", "1", '"x"', "[1, 2]", '{"a": 1}', '{"a": [1, {"b": null}]}',
    "[1e309]", "NaN", '{"__jobq__": "date", "v": "nope"}', "\x00", "[" * 50, '{"args": 1}',
]  # fmt: skip
json_text = st.sampled_from(JSONISH) | st.text(max_size=40)
functions = st.sampled_from(
    ["tests.fixtures.jobs.add", "add", ".x", "x.", "a..b", "", " ", "os.system", "-x"]
) | st.text(max_size=30)


def run(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--url", url, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback: the command crashed
    return result.exit_code, result.output


@FUZZ
@given(
    function=functions,
    args=st.none() | json_text,
    kwargs=st.none() | json_text,
    timeout=st.none() | st.sampled_from(["1", "-1", "0", "x", "1e309", "nan"]),
)
def test_enqueue_with_any_input(
    redis_url: str,
    connection: redis.Redis,
    tried: Tried,
    function: str,
    args: str | None,
    kwargs: str | None,
    timeout: str | None,
) -> None:
    tried()
    argv = ["enqueue", "--", function] if function.startswith("-") else ["enqueue", function]
    for name, value in (("--args", args), ("--kwargs", kwargs), ("--timeout", timeout)):
        if value is not None:
            argv[1:1] = [name, value]
    code, output = run(redis_url, *argv)
    if code == 0:
        job = Job.fetch(output.strip(), connection, queue="default")
        assert job.args == (json.loads(args) if args else [])
    else:
        assert code in (1, 2) and output.strip(), output
    connection.flushdb()


@FUZZ
@given(
    option=st.sampled_from(["--concurrency", "--max-jobs", "--lease", "--max-jobs-per-child"]),
    value=st.sampled_from(["0", "-1", "x", "", "1e309", "nan", "0.1"]) | st.text(max_size=10),
)
def test_worker_options_with_bad_values(
    redis_url: str, tried: Tried, option: str, value: str
) -> None:
    tried()
    try:
        float(value)
        good = option == "--lease" and float(value) >= 0.5
    except ValueError:
        good = False
    if good:
        return  # a worker would start: not what this test is about
    code, output = run(redis_url, "worker", "--burst", "--simple", option, value)
    assert code in (0, 2), output
    if code == 2:
        assert "Invalid value" in output or "Error" in output, output

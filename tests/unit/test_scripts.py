"""scripts.py: loading, include inlining (with cycle detection), the code → exception table."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from importlib import resources

import pytest

from jobq import scripts
from jobq.exceptions import (
    DuplicateJobError,
    InvalidJobOperation,
    JobqError,
    LeaseLost,
    NoSuchJobError,
    ScriptError,
)

LUA_FILES = sorted(e.name for e in resources.files("jobq.lua").iterdir() if e.name.endswith(".lua"))


def test_every_lua_file_is_loaded_with_its_key_count() -> None:
    for filename in LUA_FILES:
        name, numkeys = filename.removesuffix(".lua").rsplit("-", 1)
        script = scripts.get(name)
        assert script.numkeys == int(numkeys)
        assert script.sha == hashlib.sha1(script.source.encode()).hexdigest()


def test_the_transitions_the_design_names_exist() -> None:
    expected = {"enqueue", "dequeue", "finish", "fail", "release", "reap", "promote",
                "cancel", "requeue", "delete", "empty", "watch", "update"}  # fmt: skip
    assert expected <= set(scripts.SCRIPTS)


def test_includes_are_inlined_once_and_no_directive_is_left() -> None:
    for script in scripts.SCRIPTS.values():
        assert "--- @include" not in script.source
    fail = scripts.get("fail").source
    # retry includes dependents which includes push_ready and terminal: each once
    assert fail.count("local function push_ready(") == 1
    assert fail.count("local function make_terminal(") == 1
    assert fail.count("local function settle_dependents(") == 1
    assert fail.index("local function push_ready(") < fail.index("local function retry_or_fail(")


@pytest.fixture
def fake_lua(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    files: dict[str, str] = {}

    def read(rel: str) -> str:
        try:
            return files[rel]
        except KeyError:
            raise FileNotFoundError(rel) from None

    monkeypatch.setattr(scripts, "_read", read)
    yield files


def test_inlining_nested_and_shared_includes(fake_lua: dict[str, str]) -> None:
    fake_lua["main-1.lua"] = "--- @include a\n--- @include b\nreturn 1\n"
    fake_lua["includes/a.lua"] = "--- @include c\nA\n"
    fake_lua["includes/b.lua"] = "--- @include c\nB\n"
    fake_lua["includes/c.lua"] = "C\n"
    script = scripts._load("main-1.lua")
    assert script.name == "main"
    assert script.numkeys == 1
    assert script.source.split() == ["C", "A", "B", "return", "1"]


def test_include_cycle_is_detected(fake_lua: dict[str, str]) -> None:
    fake_lua["main-0.lua"] = "--- @include a\n"
    fake_lua["includes/a.lua"] = "--- @include b\n"
    fake_lua["includes/b.lua"] = "--- @include a\n"
    with pytest.raises(JobqError, match=r"Lua include cycle: main -> a -> b -> a"):
        scripts._load("main-0.lua")


def test_self_include_is_a_cycle(fake_lua: dict[str, str]) -> None:
    fake_lua["main-0.lua"] = "--- @include a\n"
    fake_lua["includes/a.lua"] = "--- @include a\n"
    with pytest.raises(JobqError, match="cycle"):
        scripts._load("main-0.lua")


def test_missing_include_is_a_clear_error(fake_lua: dict[str, str]) -> None:
    fake_lua["main-0.lua"] = "--- @include nope\n"
    with pytest.raises(JobqError, match=r"Lua include 'nope' not found in jobq/lua/includes/"):
        scripts._load("main-0.lua")


@pytest.mark.parametrize(
    "code, exc",
    [(-1, DuplicateJobError), (-2, LeaseLost), (-3, NoSuchJobError), (-4, InvalidJobOperation)],
)
def test_error_codes_map_to_exceptions(code: int, exc: type[JobqError]) -> None:
    assert scripts.ERRORS[code] is exc
    with pytest.raises(exc, match="job-7") as info:
        scripts.raise_for_code("cancel", code, "job-7")
    assert info.value.job_id == "job-7"
    assert info.value.transition == "cancel"


def test_code_table_is_the_whole_table() -> None:
    assert set(scripts.ERRORS) == {-1, -2, -3, -4}


def test_non_negative_codes_do_not_raise() -> None:
    for code in (0, 1, 2, 3, 4):
        scripts.raise_for_code("enqueue", code, "x")


def test_unknown_code_is_a_script_error_with_transition_and_job() -> None:
    with pytest.raises(ScriptError, match="transition 'reap' returned code -99") as info:
        scripts.raise_for_code("reap", -99, "j1")
    assert (info.value.transition, info.value.code, info.value.job_id) == ("reap", -99, "j1")


def test_invalid_operation_message_names_the_transition() -> None:
    with pytest.raises(InvalidJobOperation, match=r"not in a state that allows requeue"):
        scripts.raise_for_code("requeue", -4, "j2")


def test_blocking_calls_stay_under_the_socket_timeout() -> None:
    from jobq.connection import from_url, max_block_seconds

    assert max_block_seconds(from_url("redis://127.0.0.1:1/0")) < 5  # redis-py 8 default
    assert max_block_seconds(from_url("redis://127.0.0.1:1/0", socket_timeout=0.4)) < 0.4
    assert max_block_seconds(from_url("redis://127.0.0.1:1/0", socket_timeout=None)) > 0

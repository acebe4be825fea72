"""function_path (what travels through Redis) and FunctionResolver (what a worker runs)."""

from __future__ import annotations

import functools

import pytest

from jobq.exceptions import FunctionNotAllowed
from jobq.functions import FunctionResolver, function_path
from tests.fixtures import jobs


def test_module_level_function_path() -> None:
    assert function_path(jobs.add) == "tests.fixtures.jobs.add"


def test_class_attribute_path() -> None:
    assert function_path(jobs.Tools.double) == "tests.fixtures.jobs.Tools.double"


def test_decorated_job_function_names_the_function_itself() -> None:
    assert function_path(jobs.decorated_bare) == "tests.fixtures.jobs.decorated_bare"


def test_string_path_is_kept() -> None:
    assert function_path("pkg.mod.func") == "pkg.mod.func"


@pytest.mark.parametrize("bad", ["nodots", ".leading", "trailing.", ""])
def test_bad_string_path_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="dotted path"):
        function_path(bad)


def test_builtin_name_is_kept_and_resolved() -> None:
    assert function_path("print") == "print"
    assert FunctionResolver().resolve("len") is len


def test_lambda_is_refused() -> None:
    with pytest.raises(ValueError, match="lambdas, nested functions"):
        function_path(lambda x: x)


def test_nested_function_is_refused() -> None:
    def inner() -> None:
        return None

    with pytest.raises(ValueError, match="only importable module-level functions"):
        function_path(inner)


def test_partial_and_instances_are_refused() -> None:
    class Callable_:
        def __call__(self) -> None:
            return None

    with pytest.raises(ValueError):
        function_path(functools.partial(jobs.add, 1))
    with pytest.raises(ValueError):
        function_path(Callable_())


def test_resolver_imports_functions_and_class_attributes() -> None:
    r = FunctionResolver()
    assert r.resolve("tests.fixtures.jobs.add") is jobs.add
    assert r.resolve("tests.fixtures.jobs.Tools.double")(4) == 8
    assert r.resolve("tests.fixtures.jobs.decorated_bare") is jobs.decorated_bare.__jobq_func__


def test_resolver_reports_what_cannot_be_imported() -> None:
    r = FunctionResolver()
    with pytest.raises(ImportError, match=r"cannot import job function 'no_such_module\.f'"):
        r.resolve("no_such_module.f")
    with pytest.raises(ImportError, match=r"tests\.fixtures\.jobs\.missing"):
        r.resolve("tests.fixtures.jobs.missing")
    with pytest.raises(TypeError, match="not callable"):
        r.resolve("tests.fixtures.jobs.not_callable")


def test_allowlist_admits_allowed_modules_and_their_submodules() -> None:
    r = FunctionResolver(["tests.fixtures"])
    assert r.is_allowed("tests.fixtures.jobs.add")
    assert r.is_allowed("tests.fixtures")
    assert not r.is_allowed("tests.fixturesX.add")
    assert not r.is_allowed("os.system")
    assert r.resolve("tests.fixtures.jobs.add") is jobs.add


def test_allowlist_refuses_other_modules() -> None:
    r = FunctionResolver(["tests.fixtures.jobs"])
    with pytest.raises(FunctionNotAllowed, match=r"'os\.system' is not in the worker's allowed"):
        r.resolve("os.system")


def test_allowlist_cannot_be_bypassed_through_an_allowed_modules_imports() -> None:
    """``tests.fixtures.jobs`` imports ``os``: its attribute path must not reach os.system."""
    r = FunctionResolver(["tests.fixtures.jobs"])
    with pytest.raises(FunctionNotAllowed):
        r.resolve("tests.fixtures.jobs.os.system")
    with pytest.raises(FunctionNotAllowed):
        r.resolve("tests.fixtures.jobs.time.sleep")


def test_no_allowlist_allows_everything() -> None:
    assert FunctionResolver().is_allowed("os.system")
    assert FunctionResolver([]).is_allowed("anything.at.all")


def test_allowlist_entry_may_name_a_single_function() -> None:
    r = FunctionResolver(["tests.fixtures.jobs.add"])
    assert r.resolve("tests.fixtures.jobs.add") is jobs.add
    with pytest.raises(FunctionNotAllowed):
        r.resolve("tests.fixtures.jobs.echo")


class _Holder:
    def method(self) -> None:
        return None

    @classmethod
    def make(cls) -> str:
        return "made"


def test_bound_instance_method_is_refused() -> None:
    with pytest.raises(ValueError, match="bound to an instance"):
        function_path(_Holder().method)


def test_classmethod_path_resolves_back_to_a_callable() -> None:
    path = function_path(_Holder.make)
    assert path.endswith("_Holder.make")
    assert FunctionResolver().resolve(path)() == "made"

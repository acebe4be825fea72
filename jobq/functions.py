"""Naming and resolving job functions by dotted path.

Only importable, named callables can run: a path is what travels through
Redis, and a worker imports it, optionally only from allowed modules.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import inspect
import sys
from collections.abc import Callable, Iterable
from typing import Any

from . import declared
from .exceptions import FunctionNotAllowed


def function_path(func: Callable[..., Any] | str) -> str:
    """The dotted path a worker will import; refuse what cannot be imported back."""
    if isinstance(func, str):
        if func.isidentifier() and callable(getattr(builtins, func, None)):
            return func  # a builtin's name, as rq takes it ('print')
        if "." not in func or func.startswith(".") or func.endswith("."):
            raise ValueError(f"function path {func!r} must be a dotted path like 'module.function'")
        return func
    try:
        return _callable_path(func)
    except TypeError as e:  # unhashable callable: not cached
        if "unhashable" not in str(e):
            raise
        return _callable_path.__wrapped__(func)
    except ValueError:
        # Not cached: a declaration made later, or replaced, is seen at each call.
        path = declared.declared_path(getattr(func, "__jobq_func__", func))
        if path is None:
            raise
        return path


@functools.lru_cache(maxsize=1024)
def _callable_path(func: Callable[..., Any]) -> str:
    """Per function, once (a bulk enqueue names the same function for every job)."""
    wrapped = getattr(func, "__jobq_func__", None)
    if wrapped is not None:
        func = wrapped
    if inspect.ismethod(func) and not isinstance(func.__self__, type):
        raise ValueError(
            f"{func!r} is a method bound to an instance: the instance cannot travel through "
            "Redis. Enqueue a module-level function (or a classmethod) and pass plain data"
        )
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        raise ValueError(
            f"{func!r} cannot be a job: only importable module-level functions (or class "
            "attributes) can run in a worker; lambdas, nested functions and instances cannot "
            "(a nested function decorated with @job runs in workers of its own process only)"
        )
    if module == "__main__":
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        if spec is not None and spec.name:
            module = spec.name
    return f"{module}.{qualname}"


def _import_path(path: str) -> Any:
    if path.isidentifier():
        return getattr(builtins, path)
    module_name, _, attr = path.rpartition(".")
    # The function may be a class attribute: walk back until a module imports.
    parts = [attr]
    while module_name:
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name is None or not module_name.startswith(e.name):
                raise
            module_name, _, head = module_name.rpartition(".")
            parts.insert(0, head)
            continue
        for part in parts:
            obj = getattr(obj, part)
        return obj
    raise ImportError(f"no module found in {path!r}")


class FunctionResolver:
    """Imports job functions, caching them, and enforces the module allowlist."""

    def __init__(self, allowed_modules: Iterable[str] | None = None) -> None:
        self.allowed = tuple(allowed_modules) if allowed_modules else None
        self._cache: dict[str, Callable[..., Any]] = {}

    def is_allowed(self, path: str) -> bool:
        if self.allowed is None:
            return True
        return any(path == m or path.startswith(m + ".") for m in self.allowed)

    def resolve(self, path: str) -> Callable[..., Any]:
        cached = self._cache.get(path)
        if cached is not None:
            return cached
        if not self.is_allowed(path):
            raise FunctionNotAllowed(
                f"function {path!r} is not in the worker's allowed modules {list(self.allowed or ())}"
            )
        local = declared.lookup(path) if "<locals>" in path else None
        if local is not None:
            return self._checked(path, local)  # not cached: a later declaration wins
        try:
            obj = _import_path(path)
        except (ImportError, AttributeError) as e:
            if "<locals>" in path:
                raise ImportError(
                    f"cannot import job function {path!r}: it is defined inside another "
                    "function, and only a worker in the process that declared it with @job "
                    "can run it"
                ) from e
            raise ImportError(f"cannot import job function {path!r}: {e}") from e
        func = self._checked(path, obj)
        self._cache[path] = func
        return func

    def _checked(self, path: str, obj: Any) -> Callable[..., Any]:
        obj = getattr(obj, "__jobq_func__", obj)
        if not callable(obj):
            raise TypeError(f"job function {path!r} is not callable")
        # The path may walk through an allowed module's imports (allowed.os.system):
        # what runs must itself be defined in an allowed module.
        defined_as = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"
        if not self.is_allowed(defined_as):
            raise FunctionNotAllowed(
                f"function {path!r} is {defined_as!r}, which is not in the worker's allowed "
                f"modules {list(self.allowed or ())}"
            )
        func: Callable[..., Any] = obj
        return func

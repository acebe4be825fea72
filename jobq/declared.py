"""Job functions declared by ``@job`` that no worker could import.

A job travels through Redis as a dotted path, so only importable functions can
run: a function defined inside another (a test's body, a ``setUp``) has a path
like ``tests.Case.setUp.<locals>.add`` that no import reaches. ``@job`` on such
a function declares it here, in this process only (as Dramatiq's actors are
known by name to the process that declared them): enqueueing it is accepted,
and a worker *in this process* (eager ``is_async=False`` queues, a
``SimpleWorker`` or burst worker run in-process, tests) finds it by its path.
A worker in any other process cannot, and fails the job as for any function it
cannot import. A plain ``queue.enqueue(nested)`` declares nothing and stays
refused.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any


class LocalJobFunctionWarning(UserWarning):
    """``@job`` was put on a function that only workers of this process can run."""


_lock = threading.Lock()
#: path -> the function most recently declared under it
_declared: dict[str, Callable[..., Any]] = {}


def local_path(func: Callable[..., Any]) -> str | None:
    """``module.Qual.<locals>.name`` for a named function defined inside another;
    None for anything else (importable functions, lambdas, callable objects)."""
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None)
    name = getattr(func, "__name__", None)
    if not module or not isinstance(qualname, str) or "<locals>" not in qualname:
        return None
    if not isinstance(name, str) or not name.isidentifier():
        return None  # '<lambda>': nothing names it in its enclosing scope
    return f"{module}.{qualname}"


def declare(func: Callable[..., Any]) -> str | None:
    """Record ``func`` if it is a nested function; its path, or None when it needs
    no declaring. The latest declaration under a path wins (a ``setUp`` redefines
    its function for every test)."""
    path = local_path(func)
    if path is None:
        return None
    with _lock:
        known = _declared.get(path)
        _declared[path] = func
    if known is None:
        warnings.warn(
            f"@job on {path}: a function defined inside another cannot be imported, so "
            "only workers in this process can run its jobs (is_async=False queues, "
            "in-process burst or SimpleWorker runs, tests); a worker in another process "
            "fails them. Define it at module level to run it anywhere",
            LocalJobFunctionWarning,
            stacklevel=4,
        )
    return path


def declared_path(func: Callable[..., Any]) -> str | None:
    """The path under which ``func`` itself is declared, or None."""
    path = local_path(func)
    if path is not None and _declared.get(path) is func:
        return path
    return None


def lookup(path: str) -> Callable[..., Any] | None:
    """The function declared in this process under ``path``, or None."""
    return _declared.get(path)


__all__ = ["LocalJobFunctionWarning", "declare", "declared_path", "local_path", "lookup"]

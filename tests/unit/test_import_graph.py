"""Dependencies inside the package point one way: no import cycle at run time.

The graph is built with ``ast`` from the sources of ``jobq/`` and ``scheduler/``
(``jobq.scheduler``): an edge for every import that runs when a module is loaded
(module level, not under ``if TYPE_CHECKING:``), to the module imported and to
the packages whose ``__init__`` runs first. Type-only imports may point both ways.

A cycle must not be dodged by importing a jobq module inside a function, so none
may be (the allowlist is for modules that exist to wrap an optional extra); and
no module grows past 600 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: import prefix → folder (setuptools' package-dir maps scheduler/ into jobq)
TREES = {"jobq": ROOT / "jobq", "jobq.scheduler": ROOT / "scheduler"}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for prefix, folder in TREES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join([prefix, *parts])
            if prefix == "jobq" and parts[:1] == ["scheduler"]:
                continue  # not a jobq/ folder of its own
            found[name] = path
    return found


MODULES = _modules()


def _run_time_imports(statements: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    for s in statements:
        if isinstance(s, ast.Import | ast.ImportFrom):
            yield s
        elif isinstance(s, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(s.test):
                yield from _run_time_imports(s.body)
            yield from _run_time_imports(s.orelse)
        elif isinstance(s, ast.Try):
            for block in (s.body, *(h.body for h in s.handlers), s.orelse, s.finalbody):
                yield from _run_time_imports(block)


def _targets(name: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The package's modules whose code runs for ``node``: those it names (``from
    PKG import NAME`` of a name that is not a module names PKG's ``__init__``), and
    their parent packages, less the importer's own (which are running already)."""
    if isinstance(node, ast.ImportFrom):
        package = name if MODULES[name].name == "__init__.py" else name.rsplit(".", 1)[0]
        base = package.split(".")[: len(package.split(".")) - max(node.level - 1, 0)]
        module = ".".join([*base, node.module or ""]).strip(".") if node.level else node.module
        named = [f"{module}.{a.name}" for a in node.names]
        explicit = {n if n in MODULES else str(module) for n in named}
    else:
        explicit = {a.name for a in node.names}
    own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    out = {t for t in explicit if t in MODULES}
    for target in list(out):
        parts = target.split(".")
        out |= {".".join(parts[:i]) for i in range(2, len(parts))} - own
    return {t for t in out if t in MODULES and t not in ("jobq", name)}


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = set()
        for node in _run_time_imports(tree.body):
            graph[name] |= _targets(name, node)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph``, or None (depth-first search, colours)."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_the_graph_sees_the_package() -> None:
    graph = _graph()
    assert {"jobq.queue", "jobq.job", "jobq.worker.base", "jobq.scheduler.tick"} <= set(graph)
    assert "jobq.transitions" in graph["jobq.queue"]
    assert "jobq.scheduler.tick" in graph["jobq.worker.base"]
    assert "jobq.cli.base" in graph["jobq.cli.admin"]
    # a submodule of another package runs that package's __init__ first
    assert {"jobq.scheduler", "jobq.scheduler.tick"} <= graph["jobq.worker.base"]


def test_queue_and_job_sit_below_the_worker_and_the_scheduler() -> None:
    graph = _graph()
    for low in ("jobq.queue", "jobq.job", "jobq.registry", "jobq.reaping"):
        above = {t for t in graph[low] if t.startswith(("jobq.worker", "jobq.scheduler"))}
        assert not above, f"{low} imports {sorted(above)} at run time"


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_at_run_time() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


#: (importing module, imported module) → why it may be imported inside a function.
#: Only for a jobq module that wraps an optional third-party extra; empty today
#: (sentry.py and tracing.py import sentry-sdk and OpenTelemetry lazily themselves).
FUNCTION_LEVEL_ALLOWED: dict[tuple[str, str], str] = {}

MAX_LINES = 600


def _function_level_imports(name: str, source: str) -> Iterator[tuple[int, str]]:
    """(line, module) of each import of a jobq module inside a function of ``source``."""
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    package = name.split(".")[: name.count(".") + 1 - node.level]
                    if MODULES.get(name, Path()).name == "__init__.py":
                        package = name.split(".")[: name.count(".") + 2 - node.level]
                    yield node.lineno, ".".join([*package, node.module or ""]).strip(".")
                elif (node.module or "").split(".")[0] == "jobq":
                    yield node.lineno, str(node.module)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "jobq":
                        yield node.lineno, alias.name


def test_the_finder_sees_a_function_level_import() -> None:
    source = "def f():\n    from .queue import Queue\n\nasync def g():\n    import jobq.job\n"
    assert list(_function_level_imports("jobq.job", source)) == [(2, "jobq.queue"), (5, "jobq.job")]
    assert list(_function_level_imports("jobq.cli.worker", "def f():\n    from .. import x\n")) == [
        (2, "jobq")
    ]
    assert not list(_function_level_imports("jobq.job", "import os\nfrom .queue import Queue\n"))


def test_no_function_level_import_of_a_jobq_module() -> None:
    found = [
        f"{name}:{line} imports {target}"
        for name, path in sorted(MODULES.items())
        for line, target in _function_level_imports(name, path.read_text(encoding="utf-8"))
        if (name, target) not in FUNCTION_LEVEL_ALLOWED
    ]
    assert not found, "function-level imports of jobq modules:\n" + "\n".join(found)


def test_no_module_over_600_lines() -> None:
    too_long = {
        str(path.relative_to(ROOT)): n
        for folder in ("jobq", "scheduler", "django_integration")
        for path in (ROOT / folder).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert (ROOT / "jobq" / "job.py").exists()
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"

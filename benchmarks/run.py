"""jobq side by side with rq, in one run, on private redis-servers.

    python benchmarks/run.py [--quick] [--jobs N] [--json PATH] [--only a,b]
    make bench [BENCH_ARGS=--quick]

Each scenario (benchmarks/scenarios/) gets a fresh redis-server of its own and
runs both systems on it, one after the other; the table shows each figure and
the ratio jobq/rq, and the JSON (benchmarks/results/latest.json by default,
git-ignored) keeps every raw number with the machine it was measured on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import common  # noqa: E402
from benchmarks.scenarios import SCENARIOS  # noqa: E402
from jobq.embedded import EmbeddedRedis  # noqa: E402

DEFAULT_JSON = ROOT / "benchmarks" / "results" / "latest.json"


def _first_line(path: str, prefix: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _first_line_raw(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.readline().strip()
    except OSError:
        return "unknown"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()


def _version(module: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine(redis_version: str) -> dict[str, Any]:
    return {
        "cpu": _first_line("/proc/cpuinfo", "model name"),
        "cores": os.cpu_count(),
        "memory": _first_line("/proc/meminfo", "MemTotal"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "redis_server": redis_version,
        "jobq": _version("jobq"),
        "rq": _version("rq"),
        "redis_py": _version("redis"),
        "hiredis": _version("hiredis"),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_in_jobq": _git(
            "status", "--porcelain", "--", "jobq", "scheduler"
        ).splitlines(),
    }


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat", encoding="utf-8") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return sum(values), values[3] + values[4]  # total, idle + iowait


def busy_elsewhere(seconds: float = 1.0) -> float | None:
    """Share of the machine's CPU in use (by anything) over ``seconds``; None off Linux."""
    try:
        total0, idle0 = _cpu_times()
        time.sleep(seconds)
        total1, idle1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    total = total1 - total0
    return 1 - (idle1 - idle0) / total if total else None


def run_scenario(name: str, quick: bool) -> dict[str, Any]:
    """Import lazily (a missing module is skipped), run on a fresh server."""
    try:
        module = importlib.import_module(f"benchmarks.scenarios.{name}")
    except ModuleNotFoundError as e:
        if e.name == f"benchmarks.scenarios.{name}":
            return {"scenario": name, "skipped": f"benchmarks/scenarios/{name}.py is not there"}
        raise
    began = time.monotonic()
    try:
        with EmbeddedRedis() as server:
            result: dict[str, Any] = dict(module.run(server.url, quick))
    except Exception as e:
        return {
            "scenario": name,
            "error": f"{type(e).__name__}: {e}",
            "traceback": traceback.format_exc(),
        }
    result.setdefault("scenario", name)
    result["seconds"] = time.monotonic() - began
    return result


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    v = float(value)
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def table(results: list[dict[str, Any]]) -> str:
    header = ("case", "metric", "jobq", "peer", "figure", "jobq/peer", "goal", "met")
    lines: list[tuple[str, ...]] = [header]
    for result in results:
        for r in result.get("rows", []):
            ratio = "-" if r.get("ratio") is None else f"{r['ratio']:.2f}x"
            lines.append(
                (
                    r["case"], r["metric"], _fmt(r.get("jobq")), r.get("peer", "rq"),
                    _fmt(r.get("rq")), ratio,
                    r.get("goal") or "", _fmt(r.get("met")) if r.get("goal") else "",
                )
            )  # fmt: skip
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    numeric = {2, 4, 5}
    out = []
    for n, line in enumerate(lines):
        cells = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))]  # fmt: skip
        out.append(" | ".join(cells).rstrip())
        if n == 0:
            out.append("-+-".join("-" * w for w in widths))
    return "\n".join(out)


def footnotes(results: list[dict[str, Any]]) -> str:
    out = []
    for result in results:
        name = result["scenario"]
        if "skipped" in result:
            out.append(f"- {name}: skipped ({result['skipped']})")
        elif "error" in result:
            out.append(f"- {name}: FAILED: {result['error']}")
        elif not result.get("rows"):
            out.append(f"- {name}: {json.dumps(result.get('details', result), default=str)}")
        out.extend(f"- {note}" for note in result.get("notes", []))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="jobq vs rq benchmarks, in one run")
    p.add_argument(
        "--quick", action="store_true", help="small sizes: the whole run in under a minute"
    )
    p.add_argument("--jobs", type=int, help="jobs per throughput and memory case")
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"default {DEFAULT_JSON}")
    p.add_argument("--only", help="comma-separated scenario names (default: all)")
    args = p.parse_args(argv)
    common.set_jobs(args.jobs)
    names = args.only.split(",") if args.only else list(SCENARIOS)
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        p.error(f"unknown scenario(s) {sorted(unknown)}; choose from {', '.join(SCENARIOS)}")

    busy = busy_elsewhere()
    if busy is not None and busy > 0.2:
        print(
            f"[bench] warning: {busy:.0%} of the CPU is busy before starting; "
            "figures will be noisy (other processes compete for the cores)",
            file=sys.stderr,
        )
    began = time.monotonic()
    results = []
    for name in names:
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        result = run_scenario(name, args.quick)
        status = result.get("error") or result.get("skipped") or f"{result['seconds']:.1f} s"
        print(f"[bench] {name}: {status}", file=sys.stderr, flush=True)
        results.append(result)
    with EmbeddedRedis() as server:
        info = machine(common.redis_version(server.url))
    info["cpu_busy_before_run"] = busy
    info["loadavg_after_run"] = _first_line_raw("/proc/loadavg")

    print(
        f"\njobq vs rq - {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
        f"redis-server {info['redis_server']}, rq {info['rq']}, redis-py {info['redis_py']}, "
        f"hiredis {info['hiredis']}; {'--quick' if args.quick else 'full run'}, "
        f"sizes {common.sizes_dict(args.quick)}; CPU busy before the run: "
        f"{'?' if busy is None else f'{busy:.0%}'}, load after: {info['loadavg_after_run']}\n"
    )
    print(table(results))
    notes = footnotes(results)
    if notes:
        print("\n" + notes)
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "sizes": common.sizes_dict(args.quick),
        "machine": info,
        "seconds": time.monotonic() - began,
        "results": results,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nraw figures: {args.json} ({report['seconds']:.0f} s in all)")
    failed = [r["scenario"] for r in results if "error" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

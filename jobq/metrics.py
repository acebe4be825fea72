"""Prometheus text for the queues' statistics, and a small exporter that serves it.

One renderer serves both the Django ``metrics`` view and ``jobq metrics --port``
(deployments without Django), so the two never drift apart. Each metric is one row of
:data:`METRICS`: its name, type, help and a function that yields its samples from
the statistics dict (the one ``jobq info --json`` prints); a new metric is a new row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

import redis

from . import history
from .exceptions import describe  # the CLI's one-line wording of an error
from .history import Counts, Sketch

logger = logging.getLogger("jobq.metrics")

Stats = dict[str, Any]
#: the media type of the text exposition format
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metric(NamedTuple):
    name: str
    kind: str  # gauge, counter, histogram
    help: str
    #: the metric's sample lines (``name{labels} value``) for these statistics
    samples: Callable[[Stats], Iterable[str]]


def label(value: object) -> str:
    """A label value escaped as the exposition format asks."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _jobs(stats: Stats) -> Iterator[str]:
    for queue, row in stats["queues"].items():
        for registry, count in row.items():
            yield f'jobq_jobs{{queue="{label(queue)}",registry="{label(registry)}"}} {int(count)}'


def _workers(stats: Stats) -> Iterator[str]:
    yield f"jobq_workers {sum(1 for w in stats['workers'] if w.get('alive', True))}"


def _worker_jobs(stats: Stats) -> Iterator[str]:
    for w in stats["workers"]:
        for outcome in ("successful", "failed"):
            yield (
                f'jobq_worker_jobs_total{{worker="{label(w.get("name", ""))}",'
                f'outcome="{outcome}"}} {int(w.get(outcome, 0) or 0)}'
            )


def _reachable(stats: Stats) -> Iterator[str]:
    for queue in stats["queues"]:
        yield f'jobq_queue_reachable{{queue="{label(queue)}"}} 1'
    for queue in stats.get("unreachable", {}):
        yield f'jobq_queue_reachable{{queue="{label(queue)}"}} 0'


def _suspended(stats: Stats) -> Iterator[str]:
    yield f"jobq_suspended {int(bool(stats['suspended']))}"


#: the key of a statistics dict that holds the history's totals per queue
#: (:func:`jobq.history.read_totals`, added by :func:`with_totals`): the source of the
#: counters per outcome and the histograms, labelled by queue and function (at most
#: HISTORY_MAX_FUNCTIONS functions per queue, the rest as "other")
TOTALS = "history_totals"
#: the histograms' upper bounds: every PER_DOUBLING-th sketch bucket edge (0.1 ms,
#: 0.2 ms, ... about 2.4 days), so each ``le`` count is exact
_EDGES = [
    (b, history.bucket_bounds(b)[1]) for b in range(0, history.BUCKETS - 1, history.PER_DOUBLING)
]


def with_totals(connection: redis.Redis, stats: Stats) -> Stats:
    """``stats`` (of queues on ``connection``) with the history's totals of its queues."""
    return {**stats, TOTALS: history.read_totals(connection, list(stats["queues"]))}


def _by_function(stats: Stats) -> Iterator[tuple[str, Counts]]:
    """(labels, counts) of each queue and function the totals know."""
    for queue, bucket in stats.get(TOTALS, {}).items():
        for func, counts in sorted(bucket.functions.items()):
            yield f'queue="{label(queue)}",function="{label(func)}"', counts


def _jobs_total(stats: Stats) -> Iterator[str]:
    for labels, counts in _by_function(stats):
        for outcome, n in counts.outcomes.items():
            yield f'jobq_jobs_total{{{labels},outcome="{outcome}"}} {n}'


def _histogram(
    name: str, sketch_of: Callable[[Counts], Sketch]
) -> Callable[[Stats], Iterator[str]]:
    def samples(stats: Stats) -> Iterator[str]:
        for labels, counts in _by_function(stats):
            sketch = sketch_of(counts)
            seen, items, i = 0, sorted(sketch.counts.items()), 0
            for edge_bucket, edge in _EDGES:
                while i < len(items) and items[i][0] <= edge_bucket:
                    seen += items[i][1]
                    i += 1
                yield f'{name}_bucket{{{labels},le="{edge:.6g}"}} {seen}'
            yield f'{name}_bucket{{{labels},le="+Inf"}} {sketch.total}'
            yield f"{name}_sum{{{labels}}} {sketch.estimated_sum():.6g}"
            yield f"{name}_count{{{labels}}} {sketch.total}"

    return samples


METRICS: list[Metric] = [
    Metric("jobq_jobs", "gauge", "Jobs per queue and registry", _jobs),
    Metric("jobq_workers", "gauge", "Live workers", _workers),
    Metric("jobq_worker_jobs_total", "counter", "Jobs a worker ran, by outcome", _worker_jobs),
    Metric("jobq_suspended", "gauge", "1 when workers are suspended", _suspended),
    Metric(
        "jobq_queue_reachable",
        "gauge",
        "0 when the queue's Redis could not be read for this scrape",
        _reachable,
    ),
    Metric(
        "jobq_jobs_total",
        "counter",
        "Jobs by queue, function and outcome (history totals)",
        _jobs_total,
    ),
    Metric(
        "jobq_job_run_seconds",
        "histogram",
        "Run time of jobs, by queue and function",
        _histogram("jobq_job_run_seconds", lambda c: c.run),
    ),
    Metric(
        "jobq_job_wait_seconds",
        "histogram",
        "Wait from enqueue to start, by queue and function",
        _histogram("jobq_job_wait_seconds", lambda c: c.wait),
    ),
]


def prometheus_text(stats: Stats) -> str:
    """The statistics in Prometheus' text exposition format (version 0.0.4)."""
    lines: list[str] = []
    for metric in METRICS:
        lines.append(f"# HELP {metric.name} {metric.help}")
        lines.append(f"# TYPE {metric.name} {metric.kind}")
        lines.extend(metric.samples(stats))
    return "\n".join(lines) + "\n"


class MetricsServer:
    """``GET /metrics`` (or ``/``) answers the Prometheus text of ``collect()``, read
    anew for each scrape, from a thread of its own. A scrape that cannot read Redis
    answers 503 with one line, and the exporter stays up for the next one."""

    def __init__(self, collect: Callable[[], Stats], host: str = "127.0.0.1", port: int = 0):
        handler = type("Handler", (_Handler,), {"collect": staticmethod(collect)})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="jobq-metrics", daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _Handler(BaseHTTPRequestHandler):
    collect: Callable[[], Stats]

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] not in ("/", "/metrics"):
            self._answer(404, "not found: the metrics are at /metrics\n")
            return
        try:
            body = prometheus_text(self.collect())
        except Exception as e:
            logger.warning("metrics scrape failed: %s", describe(e))
            self._answer(503, describe(e) + "\n")
            return
        self._answer(200, body)

    def _answer(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

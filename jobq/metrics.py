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


def _suspended(stats: Stats) -> Iterator[str]:
    yield f"jobq_suspended {int(bool(stats['suspended']))}"


METRICS: list[Metric] = [
    Metric("jobq_jobs", "gauge", "Jobs per queue and registry", _jobs),
    Metric("jobq_workers", "gauge", "Live workers", _workers),
    Metric("jobq_worker_jobs_total", "counter", "Jobs a worker ran, by outcome", _worker_jobs),
    Metric("jobq_suspended", "gauge", "1 when workers are suspended", _suspended),
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
            from .cli import describe  # the CLI's one-line wording of an error

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

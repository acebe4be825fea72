"""One module per benchmark case, each exposing ``run(redis_url: str, quick: bool) -> dict``.

``run.py`` starts a private, empty redis-server per module and passes its URL;
the module runs jobq and rq on it (calling ``common.reset`` in between) and
returns::

    {
        "scenario": "<module name>",
        "rows": [common.row(...), ...],   # lines of the printed table
        "details": {...},                  # every raw figure, kept in the JSON
        "notes": ["...", ...],             # method notes printed under the table
    }

``rows`` and ``notes`` are optional: a result without rows is printed as JSON.
"""

#: the order run.py runs them in; modules that are not there are skipped with a note
SCENARIOS = (
    "enqueue_single",
    "enqueue_threads",
    "enqueue_async",
    "enqueue_bulk",
    "process_noop",
    "history_cost",
    "latency",
    "memory",
    "scheduler_lateness",
    "scaling",
    "django_recording",
    "cluster_throughput",
)

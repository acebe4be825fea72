"""Job functions the benchmark workers import (``PYTHONPATH`` holds the repository root)."""

from __future__ import annotations


def noop() -> None:
    """Does nothing; the benchmarks measure the queue, not the job."""
    return None

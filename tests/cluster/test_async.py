"""AsyncQueue's scenarios, unchanged, on a 3-master Redis Cluster and on a
Sentinel-watched master (``redis_url`` is parametrized over both here)."""

from __future__ import annotations

import pytest

from tests.core.test_async_queue import (
    test_a_cancelled_wait_leaves_nothing_behind,
    test_adelay_on_a_job_function,
    test_afetch_arefresh_and_aget_status,
    test_enqueue_after_redis_forgot_the_scripts,
    test_enqueue_at_and_in_schedule_the_job,
    test_enqueue_is_awaited_and_a_worker_runs_it,
    test_sixty_four_coroutines_enqueue_at_once_and_every_job_is_acknowledged,
)

pytestmark = pytest.mark.usefixtures("default_url")

__all__ = [
    "test_a_cancelled_wait_leaves_nothing_behind",
    "test_adelay_on_a_job_function",
    "test_afetch_arefresh_and_aget_status",
    "test_enqueue_after_redis_forgot_the_scripts",
    "test_enqueue_at_and_in_schedule_the_job",
    "test_enqueue_is_awaited_and_a_worker_runs_it",
    "test_sixty_four_coroutines_enqueue_at_once_and_every_job_is_acknowledged",
]

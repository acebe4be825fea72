"""The core suite's main scenarios, unchanged, on a 3-master Redis Cluster and on a
Sentinel-watched master: enqueue, process, retry, schedule, admin counts.

The tests are imported from their home modules; ``redis_url`` (tests/cluster/
conftest.py) runs each once per kind of deployment.
"""

from __future__ import annotations

import pytest

from tests.core.test_dependencies import (
    test_dependency_in_another_queue_is_refused_not_ignored,
    test_dependent_waits_for_every_dependency,
    test_failed_dependency_cancels_dependents_recursively,
)
from tests.core.test_queue import (
    test_count_job_ids_jobs_and_fetch_job,
    test_delete_removes_the_queue_and_its_jobs,
    test_empty_deletes_queued_jobs,
    test_enqueue_in_runs_only_once_due,
    test_enqueue_many_into_the_callers_pipeline,
    test_enqueue_stores_and_queues_the_job,
    test_job_id_of_a_live_job_cannot_be_reused,
    test_queue_all_and_equality,
)
from tests.core.test_registries import (
    test_cleanup_of_started_reaps_expired_leases,
    test_counts_per_registry,
    test_requeue_all,
    test_requeue_from_the_failed_registry,
)
from tests.core.test_workers import (
    test_simple_worker_runs_every_job_in_this_process,
    test_strict_priority_across_queues,
    test_worker_all_lists_live_workers,
    test_worker_strict_priority_across_queues,
    test_worker_with_two_executors,
)
from tests.reliability.test_timeouts_and_retries import (
    test_retries_honour_their_intervals,
    test_timeout_with_retry_runs_again,
)
from tests.scheduler.test_api import (
    test_each_slot_is_a_new_job_linked_to_its_schedule,
    test_the_scheduler_returns_expired_leases_to_their_queue,
    test_two_schedulers_never_fire_a_slot_twice,
)
from tests.scheduler.test_processes import (
    test_a_new_schedule_wakes_a_sleeping_scheduler,
    test_worker_with_scheduler_fires_schedules,
)

pytestmark = pytest.mark.usefixtures("default_url")

__all__ = [
    "test_a_new_schedule_wakes_a_sleeping_scheduler",
    "test_cleanup_of_started_reaps_expired_leases",
    "test_count_job_ids_jobs_and_fetch_job",
    "test_counts_per_registry",
    "test_delete_removes_the_queue_and_its_jobs",
    "test_dependency_in_another_queue_is_refused_not_ignored",
    "test_dependent_waits_for_every_dependency",
    "test_each_slot_is_a_new_job_linked_to_its_schedule",
    "test_empty_deletes_queued_jobs",
    "test_enqueue_in_runs_only_once_due",
    "test_enqueue_many_into_the_callers_pipeline",
    "test_enqueue_stores_and_queues_the_job",
    "test_failed_dependency_cancels_dependents_recursively",
    "test_job_id_of_a_live_job_cannot_be_reused",
    "test_queue_all_and_equality",
    "test_requeue_all",
    "test_requeue_from_the_failed_registry",
    "test_retries_honour_their_intervals",
    "test_simple_worker_runs_every_job_in_this_process",
    "test_strict_priority_across_queues",
    "test_the_scheduler_returns_expired_leases_to_their_queue",
    "test_timeout_with_retry_runs_again",
    "test_two_schedulers_never_fire_a_slot_twice",
    "test_worker_all_lists_live_workers",
    "test_worker_strict_priority_across_queues",
    "test_worker_with_scheduler_fires_schedules",
    "test_worker_with_two_executors",
]

"""Flow control's acceptance runs, unchanged, on the 3-master cluster and on a
Sentinel-watched master (two worker processes where the test starts them, and a
scheduler process for max_instances)."""

from __future__ import annotations

import pytest

from tests.flow.test_flow import (
    test_60_jobs_at_20_per_second_take_at_least_2_4_s_and_no_second_holds_more_than_20_plus_burst,
    test_a_concurrency_key_parks_jobs_beyond_its_limit_and_lets_the_others_pass,
    test_a_priority_10_job_enqueued_after_five_priority_0_jobs_runs_first,
    test_queue_concurrency_limit_caps_running_jobs,
    test_twelve_jobs_with_concurrency_limit_2_never_overlap_more_than_2_and_unkeyed_finish_first,
    test_two_enqueues_with_one_unique_key_give_one_job,
    test_unique_key_is_released_when_the_job_is_canceled_deleted_or_fails,
)
from tests.scheduler.test_max_instances import (
    test_a_2_second_job_every_second_with_max_instances_1_never_overlaps_and_records_skips,
)

pytestmark = pytest.mark.usefixtures("default_url")

__all__ = [
    "test_60_jobs_at_20_per_second_take_at_least_2_4_s_and_no_second_holds_more_than_20_plus_burst",
    "test_a_2_second_job_every_second_with_max_instances_1_never_overlaps_and_records_skips",
    "test_a_concurrency_key_parks_jobs_beyond_its_limit_and_lets_the_others_pass",
    "test_a_priority_10_job_enqueued_after_five_priority_0_jobs_runs_first",
    "test_queue_concurrency_limit_caps_running_jobs",
    "test_twelve_jobs_with_concurrency_limit_2_never_overlap_more_than_2_and_unkeyed_finish_first",
    "test_two_enqueues_with_one_unique_key_give_one_job",
    "test_unique_key_is_released_when_the_job_is_canceled_deleted_or_fails",
]

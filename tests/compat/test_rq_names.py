"""The public names rq users import, with rq's call shapes."""

from __future__ import annotations

import inspect

import pytest

import jobq

RQ_NAMES = [
    "Queue",
    "Worker",
    "SimpleWorker",
    "Retry",
    "Callback",
    "job",
    "get_current_job",
    "cancel_job",
    "requeue_job",
    "Job",
    "JobStatus",
]


@pytest.mark.parametrize("name", RQ_NAMES)
def test_rq_name_is_exported(name: str) -> None:
    assert name in jobq.__all__
    assert getattr(jobq, name) is not None


def test_all_lists_only_real_names() -> None:
    for name in jobq.__all__:
        assert hasattr(jobq, name), name


def test_job_status_values_match_rq() -> None:
    rq = {"queued", "finished", "failed", "started", "deferred", "scheduled", "stopped", "canceled"}
    values = {s.value for s in jobq.JobStatus}
    assert rq <= values
    # jobq's own: a job made by Job.create not enqueued yet, a schedule's slot skipped
    assert values - rq == {"created", "skipped"}


@pytest.mark.parametrize(
    "method, params",
    [
        ("enqueue_call", ["func", "args", "kwargs", "timeout", "result_ttl", "ttl", "failure_ttl",
                          "description", "depends_on", "job_id", "at_front", "meta", "retry",
                          "on_success", "on_failure", "on_stopped", "pipeline"]),
        ("prepare_data", ["func", "args", "kwargs", "timeout", "result_ttl", "ttl", "failure_ttl",
                          "description", "depends_on", "job_id", "at_front", "meta", "retry",
                          "on_success", "on_failure", "on_stopped"]),
        ("enqueue_many", ["job_datas", "pipeline"]),
        ("enqueue_at", ["datetime", "f"]),
        ("enqueue_in", ["time_delta", "f"]),
    ],
)  # fmt: skip
def test_queue_methods_take_rq_parameter_names(method: str, params: list[str]) -> None:
    signature = inspect.signature(getattr(jobq.Queue, method))
    names = [p for p in signature.parameters if p != "self"]
    assert names[: len(params)] == params


@pytest.mark.parametrize(
    "attr",
    ["fetch", "fetch_many", "get_id", "get_status", "return_value", "result", "exc_info", "meta",
     "save_meta", "set_progress", "cancel", "requeue", "delete", "wait", "args", "kwargs",
     "enqueued_at", "started_at", "ended_at", "created_at", "func_name", "description"],
)  # fmt: skip
def test_job_has_rq_attribute(attr: str) -> None:
    assert hasattr(jobq.Job, attr)


@pytest.mark.parametrize(
    "registry",
    ["started_job_registry", "finished_job_registry", "failed_job_registry",
     "scheduled_job_registry", "deferred_job_registry", "canceled_job_registry"],
)  # fmt: skip
def test_queue_exposes_rq_registries(registry: str) -> None:
    assert isinstance(getattr(jobq.Queue, registry), property)


def test_retry_and_callback_shapes() -> None:
    retry = jobq.Retry(max=3, interval=[10, 30, 60])
    assert retry.max == 3
    assert retry.intervals == [10.0, 30.0, 60.0]
    assert jobq.Callback("tests.fixtures.jobs.record_success", timeout=5).path == (
        "tests.fixtures.jobs.record_success"
    )


def test_enqueued_job_knows_its_queue(queue: jobq.Queue) -> None:
    job = queue.enqueue("tests.fixtures.jobs.add", 1, 2)
    assert job.origin == "default"
    assert jobq.Job.fetch(job.id, queue.connection).origin == "default"

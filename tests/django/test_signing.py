"""The default Django setup is safe: jobs are signed with a key derived from
``SECRET_KEY``, and ``manage.py rqworker`` refuses a job written into Redis without
it (and runs every job the project's own producers made)."""

from __future__ import annotations

import base64
import hmac
from pathlib import Path

import pytest
from django.conf import settings

from jobq import Job, signing
from jobq.django_integration import conf, get_queue
from jobq.django_integration.models import JobRecord
from jobq.status import JobStatus
from tests.conftest import wait_until

from .conftest import Manage

pytestmark = pytest.mark.django_db(transaction=True)


def test_default_django_setup_signs_with_a_key_derived_from_secret_key() -> None:
    job = get_queue().enqueue("tests.django.tasks.add", 1, 2)
    raw = job.connection.hgetall(job.key)
    mac = raw[b"mac"]
    assert mac.startswith(b"v1:")
    message = signing._message(b"job", "default", job.id, signing._stored_values(raw))
    derived = signing.derive(settings.SECRET_KEY)
    assert base64.b64decode(mac[3:]) == hmac.digest(derived, message, "sha256")
    # never the raw SECRET_KEY as the HMAC key
    assert base64.b64decode(mac[3:]) != hmac.digest(settings.SECRET_KEY.encode(), message, "sha256")


def test_default_django_rqworker_refuses_a_forged_job(manage: Manage, tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    connection = get_queue().connection
    connection.hset(
        "jobq:{default}:job:forged",
        mapping={"status": "queued", "func": "os.system", "data": f'[["touch {pwned}"],{{}}]'},
    )
    connection.rpush("jobq:{default}:queued", "forged")
    good = get_queue().enqueue("tests.django.tasks.add", 2, 3)
    worker = manage.start("rqworker", "--burst", "default")
    assert worker.wait(60) == 0, manage.log(worker)
    assert not pwned.exists()
    forged = Job.fetch("forged", connection, queue="default")
    assert forged.get_status() == JobStatus.FAILED
    assert forged.reason == "unsigned job"
    assert good.result == 5
    assert "no secret set" not in manage.log(worker)


def test_jobq_secret_key_setting_and_secret_key_fallbacks(settings: object) -> None:
    settings.JOBQ = {"SECRET_KEY": "jobq-own"}  # type: ignore[attr-defined]
    keyring = conf.signing_keyring()
    assert keyring is not None
    fields = {"func": "m.f"}
    assert keyring.sign_job("q", "i", fields) == signing.Keyring("jobq-own").sign_job(
        "q", "i", fields
    )
    settings.JOBQ = {}  # type: ignore[attr-defined]
    settings.SECRET_KEY = "new-key"  # type: ignore[attr-defined]
    settings.SECRET_KEY_FALLBACKS = ["old-key"]  # type: ignore[attr-defined]
    keyring = conf.signing_keyring()
    assert keyring is not None
    old = signing.Keyring("old-key").sign_job("q", "i", fields)
    keyring.verify("q", "i", {b"func": b"m.f", b"mac": old.encode()})


def test_inline_jobs_are_signed_and_verified(settings: object) -> None:
    """ASYNC=False runs go through the worker's check: a missing MAC would fail them."""
    job = get_queue("default", is_async=False).enqueue("tests.django.tasks.add", 4, 5)
    assert job.get_status() == JobStatus.FINISHED
    assert job.result == 9
    wait_until(lambda: JobRecord.objects.filter(job_id=job.id, status="finished").exists())

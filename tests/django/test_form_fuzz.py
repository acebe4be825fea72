"""``ScheduleForm`` fuzzed: any text in any field is either a valid schedule or
refused with a message on the field; the form never raises."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobq.django_integration.forms import ScheduleForm
from tests.faults.figures import record

pytestmark = pytest.mark.django_db

FIELDS = [
    "name", "func", "args", "kwargs", "queue", "interval", "cron", "timezone", "first_run",
    "repeat", "timeout", "result_ttl", "enabled",
]  # fmt: skip
NASTY = [
    "", " ", "0", "-1", "1e309", "nan", "9" * 40, "[]", "{}", "null", "[1, {", '{"a": [1]}',
    "* * * * *", "61 * * * *", "*/0 * * * *", "@reboot", "Europe/Paris", "Mars/Olympus",
    "../../etc", "os.system", "tests.django.tasks.echo", "a..b", ".x", "x.", "\x00",
    "2026-13-40 25:61", "2026-03-29 02:30", "default", "no-such-queue", "on", "<script>",
]  # fmt: skip
#: what a browser can send: no lone surrogates (Django decodes form data as UTF-8)
text = st.sampled_from(NASTY) | st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
inputs = st.fixed_dictionaries({}, optional={f: text for f in FIELDS})
TRIED = {"n": 0}


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(data=inputs)
def test_schedule_form_never_raises(data: dict[str, Any]) -> None:
    TRIED["n"] += 1
    form = ScheduleForm(data=data)
    if form.is_valid():
        schedule = form.save(commit=False)
        assert "." in schedule.func
        assert isinstance(form.cleaned_data["args"], list)
        assert isinstance(form.cleaned_data["kwargs"], dict)
        assert (form.cleaned_data["interval"] is None) != (not form.cleaned_data["cron"])
    else:
        for field, messages in form.errors.items():
            assert field in FIELDS or field == "__all__"
            assert all(isinstance(m, str) and m.strip() for m in messages), messages


def test_record_form_inputs_tried() -> None:
    record("fuzz_django_schedule_form", {"bad_inputs": TRIED["n"]})


def test_max_payload_bytes_setting(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from jobq.django_integration import conf, get_queue
    from jobq.exceptions import PayloadTooLarge

    settings.JOBQ = {"MAX_PAYLOAD_BYTES": 100}
    conf.clear()
    queue = get_queue("default", commit_mode="immediate")
    assert queue.max_payload_bytes == 100
    with pytest.raises(PayloadTooLarge, match="over the limit of 100 bytes"):
        queue.enqueue("tests.django.tasks.echo", "x" * 200)
    settings.JOBQ = {"MAX_PAYLOAD_BYTES": "big"}
    conf.clear()
    with pytest.raises(ImproperlyConfigured, match="MAX_PAYLOAD_BYTES"):
        get_queue("default")

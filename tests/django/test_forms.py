"""``ScheduleForm``: what it accepts, and what it tells a person when it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from jobq.django_integration.forms import ScheduleForm

pytestmark = pytest.mark.django_db


def form(**data: Any) -> ScheduleForm:
    base = {
        "name": "report",
        "func": "tests.django.tasks.echo",
        "queue": "default",
        "enabled": "on",
    }
    base.update({k: v for k, v in data.items() if v is not None})
    for key in [k for k, v in data.items() if v is None]:
        base.pop(key, None)
    return ScheduleForm(data=base)


def errors(f: ScheduleForm, field: str) -> list[str]:
    assert not f.is_valid()
    return list(f.errors.get(field, []))


def test_interval_schedule_is_valid() -> None:
    f = form(interval="60", args='[1, "a"]', kwargs='{"b": 2}', repeat="3")
    assert f.is_valid(), f.errors
    assert (f.cleaned_data["args"], f.cleaned_data["kwargs"]) == ([1, "a"], {"b": 2})


def test_cron_schedule_with_time_zone_is_valid() -> None:
    f = form(cron="30  7 * * 1-5", timezone="Europe/Paris")
    assert f.is_valid(), f.errors
    assert f.cleaned_data["cron"] == "30 7 * * 1-5"


@pytest.mark.parametrize(
    ("func", "message"),
    [
        ("tests.django.nowhere.fn", "Cannot import tests.django.nowhere.fn"),
        ("tests.django.tasks.missing", "Cannot import tests.django.tasks.missing"),
        ("report", "Enter the dotted path of a function"),
        ("tests.django.tasks.not_a_function", "is not a function"),
        ("tests.django.tasks._private", "is private"),
        ("os.system", "os.system is not allowed: schedules may only run functions from tests"),
        ("tests.django.tasks.time.sleep", "tests.django.tasks.time.sleep is not allowed"),
    ],
)
def test_bad_function_paths(func: str, message: str) -> None:
    messages = errors(form(func=func, interval="60"), "func")
    assert any(message in m for m in messages), messages


def test_without_an_allowlist_python_itself_is_refused(settings: Any) -> None:
    settings.JOBQ = {}
    assert "part of Python itself" in errors(form(func="os.system", interval="5"), "func")[0]
    assert (
        "is time's" in errors(form(func="tests.django.tasks.time.sleep", interval="5"), "func")[0]
    )
    assert form(func="tests.django.tasks.echo", interval="5").is_valid()


@pytest.mark.parametrize("cron", ["61 * * * *", "every day", "* * *"])
def test_bad_cron(cron: str) -> None:
    assert "is not a valid cron string" in errors(form(cron=cron), "cron")[0]


def test_bad_time_zone() -> None:
    message = errors(form(cron="0 7 * * *", timezone="Mars/Olympus"), "timezone")[0]
    assert (
        message == "Mars/Olympus is not a known time zone; use a name such as Europe/Paris or UTC."
    )


@pytest.mark.parametrize("interval", ["0", "-5"])
def test_non_positive_interval(interval: str) -> None:
    assert errors(form(interval=interval), "interval") == [
        "The interval must be at least 1 second."
    ]


def test_interval_or_cron_not_both_nor_neither() -> None:
    assert errors(form(interval="5", cron="* * * * *"), "cron") == [
        "Give an interval or a cron string, not both."
    ]
    assert errors(form(), "interval") == ["Give an interval in seconds, or a cron string."]


def test_unknown_queue() -> None:
    message = errors(form(interval="5", queue="urgent"), "queue")[0]
    assert message == "There is no queue urgent; configured queues: default, high, low."


def test_arguments_must_have_the_right_shape() -> None:
    assert "must be a JSON list" in errors(form(interval="5", args='{"a": 1}'), "args")[0]
    assert "must be a JSON object" in errors(form(interval="5", kwargs="[1]"), "kwargs")[0]


def test_repeat_must_be_positive() -> None:
    assert "at least 1 run" in errors(form(interval="5", repeat="0"), "repeat")[0]


def test_a_cron_that_never_matches_is_refused_with_the_schedulers_message() -> None:
    from jobq.django_integration import get_scheduler

    with pytest.raises(ValueError) as refused:
        get_scheduler("default").cron("0 0 30 2 *", "tests.django.tasks.echo")
    assert errors(form(cron="0 0 30 2 *"), "cron") == [str(refused.value)]
    assert str(refused.value) == "cron string '0 0 30 2 *' never matches a future time"

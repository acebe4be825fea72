"""``ScheduleForm``: a ``Schedule`` as a person edits it, checked before it is saved.

A schedule that cannot run should be refused where it is typed, with a
message that says what to change, not found by a worker at three in the
morning. Function paths are checked against the allowlist before anything is
imported, so a form cannot be used to import arbitrary modules.
"""

from __future__ import annotations

import sys
import zoneinfo
from typing import Any

from croniter import croniter
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jobq.exceptions import FunctionNotAllowed
from jobq.flow import MAX_LIMIT, Limits, Rate
from jobq.functions import FunctionResolver
from jobq.scheduler.cron import CronSpec
from jobq.timeutil import to_ms

from . import conf
from .models import Schedule


def check_function_path(path: str) -> None:
    """Raise ``ValidationError`` unless ``path`` names an allowed, importable callable."""
    parts = path.split(".")
    if len(parts) < 2 or not all(p.isidentifier() for p in parts):
        raise ValidationError(
            "Enter the dotted path of a function, such as myapp.tasks.send_report.",
            code="invalid",
        )
    allowed = conf.options().allowed_modules
    if allowed is not None and not FunctionResolver(allowed).is_allowed(path):
        raise ValidationError(
            "%(path)s is not allowed: schedules may only run functions from %(allowed)s "
            "(settings.JOBQ['ALLOWED_MODULES']).",
            code="not_allowed",
            params={"path": path, "allowed": ", ".join(allowed)},
        )
    if allowed is None and (parts[0] in sys.stdlib_module_names or parts[0] == "jobq"):
        raise ValidationError(
            "%(path)s is part of %(where)s, not of your project; list its module in "
            "settings.JOBQ['ALLOWED_MODULES'] to allow it.",
            code="not_allowed",
            params={"path": path, "where": "jobq" if parts[0] == "jobq" else "Python itself"},
        )
    if any(p.startswith("_") for p in parts):
        raise ValidationError(
            "%(path)s is private (a name starts with an underscore).",
            code="not_allowed",
            params={"path": path},
        )
    try:
        func = FunctionResolver(allowed).resolve(path)
    except FunctionNotAllowed as e:
        raise ValidationError(
            "%(path)s is not allowed: %(error)s",
            code="not_allowed",
            params={"path": path, "error": e},
        ) from e
    except ImportError as e:
        raise ValidationError(
            "Cannot import %(path)s: %(error)s",
            code="not_importable",
            params={"path": path, "error": str(e.__cause__ or e)},
        ) from e
    except TypeError as e:
        raise ValidationError(
            "%(path)s is not a function.", code="not_callable", params={"path": path}
        ) from e
    home = str(getattr(func, "__module__", "") or "").partition(".")[0]
    if allowed is None and (home in sys.stdlib_module_names or home == "jobq"):
        raise ValidationError(
            "%(path)s is %(home)s's, imported into your module; name a function of your own.",
            code="not_allowed",
            params={"path": path, "home": home},
        )


def check_cron(expression: str) -> None:
    if len(expression.split()) not in (5, 6) or not croniter.is_valid(expression):
        raise ValidationError(
            "%(cron)s is not a valid cron string: use five fields, minute hour day month "
            "weekday, e.g. '30 7 * * 1-5' for 7:30 on weekdays.",
            code="invalid_cron",
            params={"cron": expression},
        )


def check_cron_matches(expression: str, zone: str) -> None:
    """Refuse what the scheduler would refuse: a cron string with no future slot."""
    try:
        CronSpec(expression, zone).first_after(to_ms(timezone.now()))
    except ValueError as e:
        raise ValidationError({"cron": str(e)}, code="cron_never_matches") from e


def check_timezone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as e:
        raise ValidationError(
            "%(tz)s is not a known time zone; use a name such as Europe/Paris or UTC.",
            code="invalid_timezone",
            params={"tz": name},
        ) from e


class ScheduleForm(forms.ModelForm):  # type: ignore[type-arg, unused-ignore]
    interval = forms.IntegerField(
        required=False,
        min_value=1,
        label="Interval (seconds)",
        error_messages={"min_value": "The interval must be at least 1 second."},
    )
    repeat = forms.IntegerField(
        required=False,
        min_value=1,
        help_text="Number of runs; leave empty to run forever.",
        error_messages={"min_value": "Repeat must be at least 1 run (or empty for forever)."},
    )

    class Meta:
        model = Schedule
        fields = [
            "name", "func", "args", "kwargs", "queue", "interval", "cron", "timezone",
            "first_run", "repeat", "timeout", "result_ttl", "max_instances", "enabled",
        ]  # fmt: skip

    def clean_func(self) -> str:
        path = str(self.cleaned_data["func"]).strip()
        check_function_path(path)
        return path

    def clean_cron(self) -> str:
        expression = " ".join(str(self.cleaned_data.get("cron") or "").split())
        if expression:
            check_cron(expression)
        return expression

    def clean_timezone(self) -> str:
        name = str(self.cleaned_data.get("timezone") or "").strip()
        if name:
            check_timezone(name)
        return name

    def clean_queue(self) -> str:
        name = str(self.cleaned_data["queue"]).strip()
        try:
            conf.queue(name)
        except ImproperlyConfigured as e:
            raise ValidationError(
                "There is no queue %(name)s; configured queues: %(known)s.",
                code="unknown_queue",
                params={"name": name, "known": ", ".join(conf.queues())},
            ) from e
        return name

    def clean_args(self) -> list[Any]:
        value = self.cleaned_data.get("args")
        if value in (None, ""):
            return []
        if not isinstance(value, list):
            raise ValidationError(
                'Positional arguments must be a JSON list, e.g. [1, "two"].', code="invalid"
            )
        return value

    def clean_kwargs(self) -> dict[str, Any]:
        value = self.cleaned_data.get("kwargs")
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise ValidationError(
                'Keyword arguments must be a JSON object, e.g. {"to": "ops"}.', code="invalid"
            )
        return value

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        has_interval = data.get("interval") is not None
        has_cron = bool(data.get("cron"))
        if has_interval and has_cron:
            self.add_error("cron", "Give an interval or a cron string, not both.")
        elif has_cron and not self._errors_on("cron", "timezone"):
            check_cron_matches(data["cron"], data.get("timezone") or settings.TIME_ZONE)
        elif not has_interval and not has_cron and not self._errors_on("interval", "cron"):
            self.add_error("interval", "Give an interval in seconds, or a cron string.")
        return data

    def _errors_on(self, *fields: str) -> bool:
        return any(f in self.errors for f in fields)


class LimitsForm(forms.Form):
    """A queue's limits in the admin; empty fields: no such limit."""

    rate = forms.CharField(
        label=_("rate"),
        required=False,
        help_text=_("Job starts per unit, all workers together: 20/s, 100/m, 1000/h"),
    )
    burst = forms.IntegerField(
        label=_("burst"),
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=_("Starts an idle queue may make at once (default 1)"),
    )
    concurrency = forms.IntegerField(
        label=_("concurrency"),
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=_("Jobs of this queue running at once, on all workers"),
    )

    @staticmethod
    def initial_for(limits: Limits) -> dict[str, Any]:
        return {
            "rate": str(limits.rate) if limits.rate else "",
            "burst": limits.burst if limits.burst > 1 else None,
            "concurrency": limits.concurrency,
        }

    def clean_rate(self) -> str:
        raw = str(self.cleaned_data.get("rate") or "").strip()
        if raw:
            try:
                Rate.parse(raw)
            except ValueError as e:
                raise forms.ValidationError(str(e)) from e
        return raw

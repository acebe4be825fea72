"""Database models: a row per job (``JobRecord``) and recurring jobs (``Schedule``).

Redis holds jobs only as long as their TTLs; a ``JobRecord`` keeps what a
person asks afterwards (what ran, with which arguments, how it ended, how long
it took, on which worker) in the project's own database, where it can be
queried and joined. A ``Schedule`` is a recurring job defined in the database:
the database is the truth and the Redis scheduler follows it (on commit of
each save or delete, and fully when a scheduler starts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from jobq.status import JobStatus

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

#: what a record says of a job Redis no longer holds, before it ran: deleted (by a
#: person: delete, empty queue) or expired (its ``ttl`` passed while it waited)
DELETED, EXPIRED = "deleted", "expired"
# a created job (Job.create + save, not enqueued) gets no record: no step reports it
STATUS_CHOICES = [
    (s.value, s.value.capitalize()) for s in JobStatus if s is not JobStatus.CREATED
] + [
    (DELETED, _("Deleted")),
    (EXPIRED, _("Expired")),
]


class Schedule(models.Model):
    """A job that recurs: every ``interval`` seconds or by ``cron``, in ``timezone``."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    func = models.CharField(
        _("function"), max_length=500, help_text=_("Dotted path, e.g. myapp.tasks.send_report")
    )
    args = models.JSONField(_("positional arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    queue = models.CharField(_("queue"), max_length=100, default="default")
    interval = models.PositiveIntegerField(
        _("interval (seconds)"), null=True, blank=True, help_text=_("Run every N seconds")
    )
    cron = models.CharField(
        _("cron"),
        max_length=100,
        blank=True,
        help_text=_("e.g. '0 7 * * 1-5' (instead of an interval)"),
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, blank=True, help_text=_("For cron; default: TIME_ZONE")
    )
    first_run = models.DateTimeField(_("first run"), null=True, blank=True)
    repeat = models.PositiveIntegerField(
        _("repeat"), null=True, blank=True, help_text=_("Number of runs; empty: forever")
    )
    timeout = models.PositiveIntegerField(_("timeout (seconds)"), null=True, blank=True)
    result_ttl = models.IntegerField(_("result TTL (seconds)"), null=True, blank=True)
    max_instances = models.PositiveIntegerField(
        _("max instances"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "At most this many runs queued or running at once; a slot past it is skipped "
            "and recorded as a skipped run. Empty: no limit"
        ),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True, editable=False)
    runs = models.PositiveIntegerField(_("runs"), default=0, editable=False)
    #: slots passed over while no scheduler ran (they fire once, not in a burst)
    skipped = models.PositiveIntegerField(_("skipped"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")

    def __str__(self) -> str:
        return self.name

    @property
    def finished(self) -> bool:
        """Every one of its ``repeat`` runs has fired: nothing more will run."""
        return self.repeat is not None and self.runs >= self.repeat

    @property
    def state(self) -> StrOrPromise:
        """What the schedule does now: runs on, paused, or done."""
        if self.finished:
            return _("finished")
        return _("enabled") if self.enabled else _("paused")

    @property
    def scheduler_id(self) -> str:
        """The id of this schedule in the Redis scheduler (``job.schedule_id`` of its runs)."""
        return schedule_id_for(self.pk)


SCHEDULE_ID_PREFIX = "django-schedule-"


def schedule_id_for(pk: Any) -> str:
    return f"{SCHEDULE_ID_PREFIX}{pk}"


def schedule_pk_from(schedule_id: str | None) -> int | None:
    """The ``Schedule`` primary key a Redis schedule id stands for, if it is one of ours."""
    if not schedule_id or not schedule_id.startswith(SCHEDULE_ID_PREFIX):
        return None
    tail = schedule_id[len(SCHEDULE_ID_PREFIX) :]
    return int(tail) if tail.isdigit() else None


class JobRecord(models.Model):
    """One row per job: written at enqueue and by worker hooks at start and end."""

    job_id = models.CharField(_("job id"), max_length=256, unique=True)
    queue = models.CharField(_("queue"), max_length=100, db_index=True)
    func = models.CharField(_("function"), max_length=500)
    args = models.JSONField(_("positional arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=STATUS_CHOICES, db_index=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, help_text=_("Last line of the traceback"))
    traceback = models.TextField(_("traceback"), blank=True)
    reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    enqueued_at = models.DateTimeField(_("enqueued at"), null=True, blank=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    worker = models.CharField(_("worker"), max_length=255, blank=True)
    progress_done = models.PositiveIntegerField(null=True, blank=True)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    schedule = models.ForeignKey(
        Schedule,
        verbose_name=_("schedule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="job_records",
    )

    class Meta:
        ordering = ("-enqueued_at", "-id")
        verbose_name = _("job record")
        verbose_name_plural = _("job records")
        indexes = [models.Index(fields=["queue", "status"], name="jobq_record_queue_status")]

    def __str__(self) -> str:
        return f"{self.func} ({self.job_id}): {self.status}"

    @property
    def duration(self) -> float | None:
        """Seconds from start to end of the last attempt."""
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    @property
    def progress(self) -> tuple[int, int] | None:
        if self.progress_done is None or not self.progress_total:
            return None
        return self.progress_done, self.progress_total


class JobAttempt(models.Model):
    """One run of a job: which worker took it, when, and how it ended (a job retried,
    or given back after its worker died, has several)."""

    job_id = models.CharField(_("job id"), max_length=256, db_index=True)
    number = models.PositiveIntegerField(_("attempt"))
    worker = models.CharField(_("worker"), max_length=255, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    #: "running", "finished", "failed", "worker died", "timeout" ...
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ("job_id", "number")
        verbose_name = _("job attempt")
        verbose_name_plural = _("job attempts")
        constraints = [
            models.UniqueConstraint(fields=["job_id", "number"], name="jobq_attempt_unique")
        ]

    def __str__(self) -> str:
        return f"{self.job_id} #{self.number}: {self.outcome}"


#: the admin's permissions: reading the queues, and one per mutating action
QUEUE_PERMISSIONS: list[tuple[str, StrOrPromise]] = [
    ("view_queue", _("Can view queues, jobs and workers")),
    ("requeue_job", _("Can requeue jobs")),
    ("cancel_job", _("Can cancel jobs")),
    ("delete_job", _("Can delete jobs")),
    ("enqueue_job_now", _("Can enqueue scheduled or deferred jobs now")),
    ("stop_job", _("Can stop running jobs")),
    ("empty_queue", _("Can empty queues")),
    ("change_queue_limits", _("Can change queue limits (rate, concurrency)")),
]


class Queue(models.Model):
    """No table: it carries the admin's per-action permissions (django-rq's trick)
    and gives the admin index its "Queues" entry, which leads to the dashboard."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = QUEUE_PERMISSIONS
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

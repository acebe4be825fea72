"""The admin: a "Queues" entry leading to the dashboard, and the job records and
schedules kept in the database.

The ``Queue`` model has no table; its admin entry only links to the dashboard
and carries the per-action permissions. ``JOBQ["SHOW_ADMIN_LINK"] = False``
hides the entry (django-rq's ``RQ_SHOW_ADMIN_LINK``); the pages stay reachable.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import dateformat
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from . import conf
from .forms import ScheduleForm
from .models import JobRecord, Queue, Schedule
from .urlnames import page_url
from .views.access import WHEN_FORMAT, may_view

# the admin classes are generic only for the type checker (no django_stubs_ext at run time)
if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

    QueueModelAdmin = admin.ModelAdmin[Queue]
    JobRecordModelAdmin = admin.ModelAdmin[JobRecord]
    ScheduleModelAdmin = admin.ModelAdmin[Schedule]
    RunInlineBase = admin.TabularInline[JobRecord, Schedule]
else:
    QueueModelAdmin = JobRecordModelAdmin = ScheduleModelAdmin = admin.ModelAdmin
    RunInlineBase = admin.TabularInline


@admin.register(Queue)
class QueueAdmin(QueueModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return conf.options().show_admin_link and may_view(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_view(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return HttpResponseRedirect(page_url("dashboard"))

    def get_urls(self) -> list[Any]:
        """django-rq's admin URLs and names (``admin:django_rq_*``, queues by index)
        under ``admin/jobq/queue/``, beside the model's own."""
        from django.urls import path

        from .views import django_rq

        def wrap(view: Any) -> Any:
            return self.admin_site.admin_view(view)

        from .urls import get_admin_urlpatterns, get_api_urlpatterns

        # jobq's own pages (and the stats the dashboard's charts read), for projects
        # that do not include jobq.django_integration.urls
        own = [
            path(f"pages/{p.pattern}", p.callback, name=f"jobq_{p.name}")
            for p in [*get_api_urlpatterns(), *get_admin_urlpatterns(view_wrapper=wrap)]
        ]
        compat = django_rq.get_api_urlpatterns() + django_rq.get_admin_urlpatterns(
            view_wrapper=wrap
        )
        alias = path("dashboard/", wrap(django_rq.home), name="django_rq_dashboard_changelist")
        return [alias, *own, *compat, *super().get_urls()]


@admin.register(JobRecord)
class JobRecordAdmin(JobRecordModelAdmin):
    # compact columns: the table fits a 1280 px screen beside the admin's sidebars
    list_display = ("job", "function", "queue", "status", "enqueued")
    list_display_links = ("job",)
    list_filter = ("status", "queue", "func", "schedule")
    search_fields = ("job_id", "func", "error")
    date_hierarchy = "enqueued_at"
    list_select_related = ("schedule",)
    #: the record's page: every column, read only, its times with seconds
    readonly_fields = tuple(
        {"enqueued_at": "enqueued", "started_at": "started", "ended_at": "ended"}.get(n, n)
        for n in (f.name for f in JobRecord._meta.fields)
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("started at"))
    def started(self, obj: JobRecord) -> str:
        return when(obj.started_at)

    @admin.display(description=_("ended at"))
    def ended(self, obj: JobRecord) -> str:
        return when(obj.ended_at)

    @admin.display(description=_("job id"), ordering="job_id")
    def job(self, obj: JobRecord) -> str:
        """The id's head (ids are 32 hex digits); the whole id in the tooltip and search."""
        head = obj.job_id if len(obj.job_id) <= 14 else obj.job_id[:12] + "…"
        return format_html('<span title="{}">{}</span>', obj.job_id, head)

    @admin.display(description=_("function"), ordering="func")
    def function(self, obj: JobRecord) -> str:
        """The function's own name, its module in the tooltip (dotted paths are long)."""
        module, _dot, name = obj.func.rpartition(".")
        return format_html('<span title="{}">{}</span>', obj.func, name or module)

    @admin.display(description=_("enqueued at"), ordering="enqueued_at")
    def enqueued(self, obj: JobRecord) -> str:
        return when(obj.enqueued_at)


def when(value: dt.datetime | None) -> str:
    """A moment with seconds, in the current time zone (jobs take milliseconds)."""
    return "" if value is None else dateformat.format(localtime(value), WHEN_FORMAT)


class RunInline(RunInlineBase):
    """A schedule's runs with their results, newest first."""

    model = JobRecord
    fields = ("job_id", "status", "enqueued", "ended", "result", "error")
    readonly_fields = fields
    ordering = ("-enqueued_at",)
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    @admin.display(description=_("enqueued at"))
    def enqueued(self, obj: JobRecord) -> str:
        return when(obj.enqueued_at)

    @admin.display(description=_("ended at"))
    def ended(self, obj: JobRecord) -> str:
        return when(obj.ended_at)


@admin.register(Schedule)
class ScheduleAdmin(ScheduleModelAdmin):
    form = ScheduleForm
    list_display = (
        "name", "func", "queue", "interval", "cron", "state", "next_run", "runs", "skipped",
    )  # fmt: skip
    list_filter = ("enabled", "queue", "func")
    search_fields = ("name", "func")
    date_hierarchy = "created_at"
    readonly_fields = ("last_run", "next_run", "runs", "skipped")
    inlines = [RunInline]
    actions = ["run_now", "pause", "resume"]

    @admin.display(description=_("state"))
    def state(self, obj: Schedule) -> StrOrPromise:
        """Enabled, paused or finished: a schedule that ran its ``repeat`` runs is not
        shown as enabled."""
        return obj.state

    @admin.display(description=_("last run"))
    def last_run(self, obj: Schedule) -> str:
        return when(obj.last_run_at)

    @admin.display(description=_("next run"), ordering="next_run_at")
    def next_run(self, obj: Schedule) -> str:
        return "" if obj.finished else when(obj.next_run_at)

    @admin.action(description=_("Run now"), permissions=["change"])
    def run_now(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        from .queues import get_queue

        for schedule in queryset:
            job = get_queue(schedule.queue).enqueue_call(
                schedule.func, args=schedule.args, kwargs=schedule.kwargs
            )
            # the run is listed with the schedule's others (its row exists from enqueue on)
            JobRecord.objects.filter(job_id=job.id).update(schedule=schedule)
        messages.success(request, _("Queued a run of each selected schedule."))

    @admin.action(description=_("Pause"), permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        for schedule in queryset:  # save() so the Redis scheduler follows (signals)
            schedule.enabled = False
            schedule.save(update_fields=["enabled", "updated_at"])

    @admin.action(description=_("Resume"), permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        for schedule in queryset:
            schedule.enabled = True
            schedule.save(update_fields=["enabled", "updated_at"])

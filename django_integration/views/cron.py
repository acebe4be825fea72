"""The page of a running cron scheduler (``jobq.cron``, rq's cron API).

A cron scheduler lives on one Redis, so it is addressed as django-rq addresses
it: the index of its Redis among ``RQ_QUEUES``' distinct connections, then its
name. The page only reads: it lists the scheduler's record and its cron jobs,
with the next and latest run of the schedule each is stored as.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..connection_utils import get_redis_connection, get_unique_connection_configs
from ..cron import DjangoCronScheduler
from .access import VIEW_PERMISSION, page_context, require


@require_GET
def cron_scheduler(
    request: HttpRequest,
    connection_index: int,
    scheduler_name: str,
    template: str = "jobq/cron_scheduler.html",
) -> HttpResponse:
    """``template``: another name for the page (django-rq's, extending jobq's)."""
    require(request, VIEW_PERMISSION)
    configs = get_unique_connection_configs()
    if not 0 <= connection_index < len(configs):
        raise Http404(f"no connection at index {connection_index} of settings.RQ_QUEUES")
    connection = get_redis_connection(configs[connection_index])
    running = DjangoCronScheduler.all(connection, cleanup=False)  # see running_cron_schedulers
    named = [s for s in running if s.name == scheduler_name]
    if not named:
        raise Http404(f"no cron scheduler named {scheduler_name!r} is running on that Redis")
    scheduler = named[0]
    context = page_context(
        request,
        _("Cron scheduler %s") % scheduler.name,
        scheduler=scheduler,
        cron_jobs=scheduler.get_jobs_data(),
        connection_index=connection_index,
    )
    return render(request, template, context)

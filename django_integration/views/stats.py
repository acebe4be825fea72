"""The dashboard, and the statistics as JSON and Prometheus text.

The stats views are for machines too: staff with ``jobq.view_queue`` (session),
or a request with ``Authorization: Bearer <JOBQ["API_TOKEN"]>`` compared in
constant time. Both read :func:`jobq.django_integration.stats.statistics`, the
dict ``manage.py rqstats --json`` prints; the JSON carries the history too, and the
Prometheus text is :func:`jobq.metrics.prometheus_text`.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from jobq.history import WINDOWS
from jobq.metrics import CONTENT_TYPE

from .. import conf
from ..cron import running_cron_schedulers
from ..stats import metrics, statistics
from .access import VIEW_PERMISSION, has_perm, page_context, require
from .registry import ORDER


def _when(ms: Any) -> dt.datetime | None:
    """A millisecond timestamp of the stats as an aware datetime, for people."""
    try:
        return dt.datetime.fromtimestamp(int(ms) / 1000, tz=dt.UTC)
    except (TypeError, ValueError):
        return None


def worker_row(w: dict[str, Any]) -> dict[str, Any]:
    """A worker as the dashboard shows it: the jobs it holds, each with the moment a
    dead worker's job goes back to its queue."""
    held = [{**h, "retry_at": _when(h["lease_until"])} for h in w.get("held", [])]
    shown = {h["id"] for h in held}
    lost = [{"id": i, "queue": None} for i in w.get("current_jobs", []) if i not in shown]
    return {**w, "heartbeat_at": _when(w.get("heartbeat")), "jobs": held + lost}


@require_GET
def dashboard(request: HttpRequest, template: str = "jobq/dashboard.html") -> HttpResponse:
    """``template``: another name for the page (django-rq's, extending jobq's)."""
    require(request, VIEW_PERMISSION)
    stats = statistics()
    rows = [
        (name, [(registry, counts[registry]) for registry in ORDER], stats["flow"].get(name))
        for name, counts in stats["queues"].items()
    ]
    context = page_context(
        request,
        _("Queues and workers"),
        rows=rows,
        columns=ORDER,
        workers=[worker_row(w) for w in stats["workers"]],
        suspended=stats["suspended"],
        # a queue whose Redis cannot be reached: its row says so, the others read on
        unreachable=sorted(stats["unreachable"].items()),
        # counts, workers (a dead one too) follow within a second, charts within two,
        # redrawn in place by jobq/charts.js (reloading the page without JavaScript)
        refresh=True,
        windows=[w for w in WINDOWS if w != "minute"],
        lock_holder=stats["scheduler"]["lock_holder"],
        next_due=[
            (queue, due["kind"], due["id"], _when(due["at"]))
            for queue, due in stats["scheduler"]["next_due"].items()
        ],
        cron_schedulers=running_cron_schedulers(),
    )
    return render(request, template, context)


def api_token() -> str | None:
    """The bearer token: ``JOBQ["API_TOKEN"]``, else django-rq's ``RQ_API_TOKEN``
    (read at each request, so a project moving over keeps its token)."""
    token = conf.options().api_token or getattr(settings, "RQ_API_TOKEN", None) or None
    if token is not None and not isinstance(token, str):
        raise ImproperlyConfigured(f"settings.RQ_API_TOKEN must be a string, got {token!r}")
    return token


def _token_ok(request: HttpRequest) -> bool:
    expected = api_token()
    header = request.headers.get("Authorization", "")
    if not expected or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].strip().encode(), expected.encode())


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """None when the request may read the stats. A logged-in user without
    ``jobq.view_queue`` gets 403; a request that has not identified itself (no
    login, or a wrong or missing token) gets 401 with the scheme to use."""
    if _token_ok(request) or has_perm(request, VIEW_PERMISSION):
        return None
    if request.user.is_authenticated and "Authorization" not in request.headers:
        raise PermissionDenied("staff with jobq.view_queue, or the JOBQ['API_TOKEN'] bearer token")
    refused = JsonResponse(
        {"error": True, "description": "a login with jobq.view_queue, or the API bearer token"},
        status=401,
    )
    refused["WWW-Authenticate"] = 'Bearer realm="jobq"'
    return refused


@never_cache
@require_GET
def stats_json(request: HttpRequest) -> HttpResponse:
    """``?window=hour`` (default) or ``day``: the history's series over that window;
    ``?window=none``: counts only."""
    if (refused := _refusal(request)) is not None:
        return refused
    window = request.GET.get("window", "hour")
    if window != "none" and window not in WINDOWS:
        return HttpResponseBadRequest(f"window must be one of {', '.join(WINDOWS)} or none")
    return JsonResponse(statistics(None if window == "none" else window))


@never_cache
@require_GET
def stats_prometheus(request: HttpRequest) -> HttpResponse:
    if (refused := _refusal(request)) is not None:
        return refused
    return HttpResponse(metrics(), content_type=CONTENT_TYPE)

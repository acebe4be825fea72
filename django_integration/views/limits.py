"""A queue's flow-control limits: shown to ``jobq.view_queue``, changed only with
``jobq.change_queue_limits`` (docs/flow-control.md)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..forms import LimitsForm
from ..urlnames import page_url
from .access import VIEW_PERMISSION, has_perm, page_context, queue_or_404, require, require_action

CHANGE_LIMITS = "change_queue_limits"


@require_http_methods(["GET", "POST"])
def queue_limits(request: HttpRequest, queue_name: str) -> HttpResponse:
    require(request, VIEW_PERMISSION)
    queue = queue_or_404(queue_name)
    if request.method == "POST":
        require_action(request, CHANGE_LIMITS)
        form = LimitsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            limits = queue.set_limits(
                clear=True,
                rate=data["rate"] or None,
                burst=data["burst"],
                concurrency=data["concurrency"],
            )
            shown = {"queue": queue.name, "limits": limits.describe()}
            messages.success(request, _("Limits of %(queue)s: %(limits)s") % shown)
            return HttpResponseRedirect(page_url("dashboard"))
    else:
        form = LimitsForm(initial=LimitsForm.initial_for(queue.get_limits()))
    context = page_context(
        request,
        _("Limits of queue %(name)s") % {"name": queue.name},
        queue=queue,
        state=queue.flow_state(),
        form=form,
        can_change=has_perm(request, CHANGE_LIMITS),
    )
    return render(request, "jobq/limits.html", context)

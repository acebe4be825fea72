"""Who may do what in the queue pages, and which queue a URL names.

Every page is wrapped by the admin site (staff login, CSRF, never cached).
Reading is for any active staff user, as in django-rq (``JOBQ["VIEW_NEEDS_PERMISSION"]``
makes it need ``jobq.view_queue``); each mutating action needs the right to read
and its own permission (an action shows what it acts on: the confirmation page
names the queue and counts its jobs). A request without them gets 403 even when
the button was hidden, so a forged POST changes nothing: in django-rq any staff
user can empty a queue.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from .. import conf
from ..queues import DjangoQueue, get_queue

VIEW_PERMISSION = "view_queue"
#: how the pages show a moment: with seconds (jobs take milliseconds, not hours)
WHEN_FORMAT = "Y-m-d H:i:s"


def may_view(user: Any) -> bool:
    """Whether ``user`` reads the queue pages (see the module's docstring)."""
    if not (user.is_active and user.is_staff):
        return False
    return not conf.options().view_needs_permission or bool(user.has_perm("jobq.view_queue"))


def has_perm(request: HttpRequest, codename: str) -> bool:
    user = request.user
    if codename == VIEW_PERMISSION:
        return may_view(user)
    return bool(user.is_active and user.is_staff and user.has_perm(f"jobq.{codename}"))


def require(request: HttpRequest, codename: str) -> None:
    if not has_perm(request, codename):
        raise PermissionDenied(f"jobq.{codename} is needed")


def require_action(request: HttpRequest, codename: str) -> None:
    """What every mutating view asks: the view permission and the action's own."""
    require(request, VIEW_PERMISSION)
    require(request, codename)


def queue_or_404(name: str) -> DjangoQueue:
    """The configured queue ``name``; queues are addressed by name, never by index."""
    if name not in conf.queues():
        raise Http404(f"no queue named {name!r} in settings.RQ_QUEUES")
    return get_queue(name)


def page_context(request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    """What admin/base_site.html needs (site header, user links) plus the page's own."""
    return {
        **admin.site.each_context(request),
        "title": title,
        "when_format": WHEN_FORMAT,
        **extra,
    }

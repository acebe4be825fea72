"""System checks: the shape of ``RQ_QUEUES`` and ``JOBQ``, before anything runs.

The same parser that the queues use reports here, so ``manage.py check`` (run
by every management command and by deploys) names the queue and the key of a
bad entry instead of a worker failing on its first job.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from . import conf


@checks.register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    try:
        queues = conf.queues()
    except ImproperlyConfigured as e:
        messages.append(checks.Error(str(e), hint=_HINT, id="jobq.E001"))
        queues = {}
    try:
        conf.options()
    except ImproperlyConfigured as e:
        messages.append(checks.Error(str(e), hint=_JOBQ_HINT, id="jobq.E002"))
    for queue in queues.values():
        for key in queue.ignored:
            messages.append(
                checks.Warning(
                    f"RQ_QUEUES[{queue.name!r}][{key!r}] is ignored because the queue "
                    f"connects with {queue.connection.source}",
                    hint=f"remove {key!r}, or the {queue.connection.source} entry",
                    id="jobq.W001",
                )
            )
    messages.extend(_cache_checks(queues))
    return messages


def _cache_checks(queues: dict[str, conf.QueueConfig]) -> list[checks.CheckMessage]:
    from django.conf import settings

    caches = getattr(settings, "CACHES", {})
    out: list[checks.CheckMessage] = []
    for queue in queues.values():
        alias = queue.connection.cache_alias
        if alias is not None and alias not in caches:
            out.append(
                checks.Error(
                    f"RQ_QUEUES[{queue.name!r}]['USE_REDIS_CACHE'] names cache {alias!r}, "
                    "which settings.CACHES does not define",
                    hint=f"add CACHES[{alias!r}] with a Redis backend, or name an existing cache",
                    id="jobq.E003",
                )
            )
    return out


_HINT = "see the Django integration docs: RQ_QUEUES takes django-rq's keys"
_JOBQ_HINT = (
    "JOBQ takes COMMIT_MODE ('on_commit'|'immediate'), RECORD ('all'|'scheduled'|'none'), "
    "DATABASE and ALLOWED_MODULES"
)

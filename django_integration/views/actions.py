"""The actions on jobs, one description each: which permission, whether it asks
for confirmation, and which transition it calls. The registry lists, the job
page and the action view all read this table; nothing repeats it per registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jobq import transitions
from jobq.command import send_stop_job_command
from jobq.exceptions import JobqError
from jobq.queue import Queue
from jobq.status import JobStatus

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise


def _requeue(queue: Queue, job_id: str) -> None:
    transitions.requeue(queue.connection, queue.keys, job_id)


def _cancel(queue: Queue, job_id: str) -> None:
    # a started job canceled: the worker's late ack finds no lease and is dropped
    transitions.cancel(queue.connection, queue.keys, job_id)


def _stop(queue: Queue, job_id: str) -> None:
    # rq's stop: the job ends as stopped now; its worker kills the run, calls on_stopped
    send_stop_job_command(queue.connection, job_id, queue=queue.name)


def _delete(queue: Queue, job_id: str) -> None:
    transitions.delete(queue.connection, queue.keys, job_id)


def _enqueue_now(queue: Queue, job_id: str) -> None:
    transitions.enqueue_now(queue.connection, queue.keys, job_id)


@dataclass(frozen=True)
class Action:
    name: str
    label: StrOrPromise
    #: codename of the permission in app ``jobq``
    permission: str
    #: destructive: a confirmation page comes first
    confirm: bool
    run: Callable[[Queue, str], None]
    #: what the message after it says was done ("Requeued 2 jobs.")
    done: StrOrPromise


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("requeue", _("Requeue"), "requeue_job", False, _requeue, _("Requeued")),
        Action(
            "enqueue_now", _("Enqueue now"), "enqueue_job_now", False, _enqueue_now, _("Queued")
        ),
        Action("cancel", _("Cancel"), "cancel_job", True, _cancel, _("Canceled")),
        Action("stop", _("Stop"), "stop_job", True, _stop, _("Stopped")),
        Action("delete", _("Delete"), "delete_job", True, _delete, _("Deleted")),
    )
}

#: which actions a job in each status allows
BY_STATUS: dict[JobStatus, tuple[str, ...]] = {
    JobStatus.QUEUED: ("cancel", "delete"),
    JobStatus.SCHEDULED: ("enqueue_now", "cancel", "delete"),
    JobStatus.DEFERRED: ("enqueue_now", "cancel", "delete"),
    JobStatus.STARTED: ("stop",),
    JobStatus.FINISHED: ("requeue", "delete"),
    JobStatus.FAILED: ("requeue", "delete"),
    JobStatus.CANCELED: ("requeue", "delete"),
    JobStatus.STOPPED: ("requeue", "delete"),
}


def run_many(action: Action, queue: Queue, job_ids: list[str]) -> tuple[int, list[str]]:
    """Run ``action`` on each job: (how many succeeded, error messages of the others).
    One job that moved on meanwhile (e.g. finished) does not stop the rest."""
    done, errors = 0, []
    for job_id in job_ids:
        try:
            action.run(queue, job_id)
        except JobqError as e:
            errors.append(str(e))
        else:
            done += 1
    return done, errors


def done_message(done: StrOrPromise, n: int) -> str:
    """Every action's message, worded one way: "Requeued 2 jobs.", "Deleted 1 job."."""
    return ngettext("%(done)s %(n)d job.", "%(done)s %(n)d jobs.", n) % {"done": done, "n": n}

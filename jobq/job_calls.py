"""rq's job calls about dependencies and hand-set statuses, on jobq's model.

A dependency lives in its dependent's queue (one Lua step settles both), so these
read and move jobs of the job's own queue.
"""

from __future__ import annotations

from typing import Any

from . import connection as conn_mod
from . import filing, keys, transitions
from .defaults import FAILURE_TTL, RESULT_TTL
from .job_fields import JobFields
from .status import SET_BY_HAND, JobStatus

#: the ends of a dependency that count as failed (its dependents are settled as after a
#: failure); a stopped one keeps its dependents waiting until it is requeued and finishes
_FAILED = frozenset({JobStatus.FAILED, JobStatus.CANCELED})


class JobCalls(JobFields):
    """``set_status``, ``fetch_dependencies``, ``dependencies_are_met``."""

    @property
    def dependents_key(self) -> str:
        """The set of the ids waiting on this job (gone once they are settled)."""
        return self._keys.dependents(self.id)

    @property
    def _dependency_id(self) -> str | None:
        """rq's name for the first dependency's id."""
        ids = self.dependency_ids
        return ids[0] if ids else None

    @property
    def dependency(self) -> JobFields | None:
        """The first dependency (rq's), None without one or once it is gone."""
        first = self._dependency_id
        if first is None:
            return None
        found = self._own_jobs([first])
        return found[0] if found else None

    @property
    def dependent_ids(self) -> list[str]:
        """Ids of the jobs that wait on this one (until they are settled)."""
        return sorted(conn_mod.text(m) for m in self.connection.smembers(self.dependents_key))

    def set_status(self, status: JobStatus | str, pipeline: Any = None) -> None:
        """End a job that waits (created, queued, scheduled or deferred) as finished,
        failed or canceled, without running it (rq's ``set_status``): it moves to that
        registry in one step; a running job raises InvalidJobOperation (it ends through
        its worker, or ``cancel()``). As in rq, its dependents wait until
        ``Queue.enqueue_dependents(job)`` settles them. Other statuses raise
        ValueError: only the steps that queue, schedule, defer or start a job can give
        those. With ``pipeline``, the step is only queued."""
        status = JobStatus(status)
        if status not in SET_BY_HAND:
            raise ValueError(
                f"set_status gives a job one of {sorted(s.value for s in SET_BY_HAND)}, not "
                f"{status.value!r}: a job is queued, scheduled, deferred or started by the "
                "steps that put it there (enqueue, enqueue_at, depends_on, a worker)"
            )
        filing.file(pipeline or self.connection, self._keys, self.id, status)
        if pipeline is None:
            self._fields[b"status"] = status.value.encode()
            self._unsaved = None  # stored and ended: no longer a job to enqueue

    def cleanup(
        self, ttl: float | None = None, pipeline: Any = None, remove_from_queue: bool = True
    ) -> None:
        """Keep a created or ended job ``ttl`` more seconds (rq's ``cleanup``): -1 (or
        any negative) keeps it forever, 0 deletes it now (as ``delete()`` does), None
        gives it its ``result_ttl`` when finished, else its ``failure_ttl``. A job that
        waits or runs raises InvalidJobOperation: cancel or delete it instead.
        ``pipeline`` and ``remove_from_queue``: rq's, not used (one step does it)."""
        if ttl is None:
            finished = self.get_status() is JobStatus.FINISHED
            given = self.result_ttl if finished else self.failure_ttl
            ttl = given if given is not None else (RESULT_TTL if finished else FAILURE_TTL)
        if ttl == 0:
            transitions.delete(self.connection, self._keys, self.id)
            return
        ttl_ms = -1 if ttl is None or ttl < 0 else max(1, int(ttl * 1000))
        transitions.keep(self.connection, self._keys, self.id, ttl_ms)

    def fetch_dependencies(self, watch: bool = False, pipeline: Any = None) -> list[Any]:
        """The jobs this one depends on that still exist, in its dependency order
        (``watch`` and ``pipeline`` WATCH their hashes, as rq does)."""
        ids = self.dependency_ids
        if watch and pipeline is not None and ids:
            pipeline.watch(*[self._keys.job(i) for i in ids])
        return self._own_jobs(ids)

    def _own_jobs(self, ids: list[str]) -> list[Any]:
        """The jobs of this job's queue with these ids that exist, in order."""
        if not ids:
            return []
        pipe = self.connection.pipeline(transaction=False)
        for dep in ids:
            pipe.hgetall(self._keys.job(dep))
        return [
            type(self)(dep, self.connection, origin=self.origin, fields=fields)
            for dep, fields in zip(ids, pipe.execute(), strict=True)
            if fields
        ]

    def dependencies_are_met(
        self,
        parent_job: JobFields | None = None,
        pipeline: Any = None,
        exclude_job_id: str | None = None,
        refresh_job_status: bool = True,
    ) -> bool:
        """Whether every dependency ended as this job needs: finished, or failed (or
        canceled) when it allows failed dependencies, as the settle steps read them;
        a stopped one never counts, as in rq. A dependency that no longer exists
        counts as met (it ended and was not kept). ``parent_job``: a dependency whose
        status is read from that handle."""
        ids = [i for i in self.dependency_ids if i != exclude_job_id]
        if pipeline is not None and ids:
            pipeline.watch(*[self._keys.job(i) for i in ids])
        statuses: list[JobStatus | None] = []
        if parent_job is not None and parent_job.id in ids:
            ids.remove(parent_job.id)
            statuses.append(parent_job.get_status(refresh=refresh_job_status))
        if ids:
            pipe = self.connection.pipeline(transaction=False)
            for dep in ids:
                pipe.hget(keys.queue_keys(self.origin).job(dep), "status")
            statuses += [JobStatus(s.decode()) if s else None for s in pipe.execute()]
        allowed = {JobStatus.FINISHED} | (_FAILED if self.allow_dependency_failures else set())
        return all(s is None or s in allowed for s in statuses)

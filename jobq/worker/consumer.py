"""The fetch-run-acknowledge loop, shared by executor children and SimpleWorker.

Jobs are taken in batches by one Lua step per queue (strict priority: the first
queue with work wins), run one after another, and acknowledged in pipelined
batches flushed within a few milliseconds (by a timer when the next job runs
long). The batch size adapts to how long jobs take, so a long job is never held
back behind another worker's prefetch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis

from .. import connection as conn_mod
from .. import defaults, history, run_endings, transitions
from ..exceptions import DeserializationError
from ..history import Recorder, tally
from ..hooks import Acked
from ..job import Job
from ..keys import QueueKeys
from ..scripts import execute_pipeline
from ..serializers import Serializer
from .executor import Executor, Outcome, ShutdownRequested

logger = logging.getLogger("jobq.worker")


class Reporter(Protocol):
    """Where the loop reports what it holds; the supervisor uses it to renew
    leases, enforce timeouts and bury jobs of a child that died."""

    def took(self, queue: str, job_ids: Sequence[str]) -> None: ...

    def started(self, queue: str, job_id: str, timeout: float | None) -> None: ...

    def acked(self, queue: str, job_ids: Sequence[str], ok: int, failed: int) -> None: ...


class Budget(Protocol):
    """How many more jobs this loop may take (``--max-jobs``, ``--max-jobs-per-child``)."""

    def claim(self, wanted: int) -> int: ...

    def give_back(self, n: int) -> None: ...


class Unlimited:
    def claim(self, wanted: int) -> int:
        return wanted

    def give_back(self, n: int) -> None:
        return None


class LocalBudget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def claim(self, wanted: int) -> int:
        n = min(wanted, self.left)
        self.left -= n
        return n

    def give_back(self, n: int) -> None:
        self.left += n


@dataclass
class Stop:
    """Flags set from signal handlers (and, for ``paused``, the worker's upkeep); read
    between jobs."""

    warm: bool = False
    cold: bool = False
    #: workers are suspended (``jobq suspend``): take no new jobs until resumed
    paused: bool = False


@dataclass
class _Acks:
    done: list[Outcome] = field(default_factory=list)
    #: with history on, the seconds each job of ``done`` ran
    took: list[float] = field(default_factory=list)
    since: float = 0.0


class Consumer:
    def __init__(
        self,
        connection: redis.Redis,
        queues: Sequence[QueueKeys],
        worker_name: str,
        executor: Executor,
        reporter: Reporter,
        *,
        lease_seconds: float = defaults.LEASE_SECONDS,
        max_prefetch: int = defaults.MAX_PREFETCH,
        budget: Budget | None = None,
        serializer: Serializer | None = None,
        stop: Stop | None = None,
        job_class: type[Job] = Job,
        history: bool = defaults.HISTORY,
        perform: Callable[[Job], Outcome] | None = None,
    ) -> None:
        """``history``: record each acknowledged job in the queue's history (jobq.history).
        ``perform``: runs each job taken (the worker's ``execute_job``; default the
        executor's ``perform``)."""
        self.perform = perform or executor.perform
        self.connection = connection
        self.history = history
        self.recorder = Recorder() if history else None
        self.job_class = job_class
        self.queues = list(queues)
        self.worker_name = worker_name
        self.executor = executor
        self.reporter = reporter
        self.lease_ms = int(lease_seconds * 1000)
        self.max_prefetch = max(1, max_prefetch)
        self.budget = budget or Unlimited()
        self.serializer = serializer
        self.stop = stop or Stop()
        self._avg_seconds = defaults.PREFETCH_TARGET_SECONDS
        self._acks: dict[str, _Acks] = {q.name: _Acks() for q in self.queues}
        self._by_name = {q.name: q for q in self.queues}
        self.processed = 0
        #: the batch being run and the index of its first job not yet started
        self._batch: tuple[QueueKeys, list[Job]] | None = None
        #: the last batch taken was smaller than asked for: its queue was emptied
        self._drained = False
        self._next = 0
        #: outcomes whose acknowledgement landed, not yet told to the hooks
        self._landed: list[tuple[Outcome, Acked]] = []
        #: acks and reports are shared by the loop and the flush timer
        self._lock = threading.RLock()
        #: set while acks wait for the flush thread (started at the first wait)
        self._flush_armed = threading.Event()
        self._flusher: threading.Thread | None = None
        #: queue name -> monotonic time before which its limits hold its work back
        #: (rate, concurrency: see dequeue-3.lua); a wake token of the queue ends it
        self._held: dict[str, float] = {}
        #: the held queues whose concurrency limit holds them (a finish frees a slot)
        self._held_by_slots: set[str] = set()
        #: Redis unavailable or unable to serve (full, loading): see run_consumer
        self.outage = conn_mod.Outage(
            "for the executor (results computed meanwhile are sent when it is back)"
        )

    # -- fetching ---------------------------------------------------------------

    def _batch_size(self) -> int:
        wanted = int(defaults.PREFETCH_TARGET_SECONDS / max(self._avg_seconds, 1e-6))
        return max(1, min(self.max_prefetch, wanted))

    def fetch(self) -> tuple[QueueKeys, list[Job]] | None:
        """Take a batch from the first queue (in priority order) that has work."""
        count = self.budget.claim(self._batch_size())
        if count <= 0:
            return None
        for q in self.queues:
            if self._held and self._is_held(q):
                continue
            skipped: list[transitions.Skipped] = []
            taken = transitions.dequeue(
                self.connection, q, self.worker_name, count, self.lease_ms, skipped
            )
            _log_skipped(q, skipped)
            self._note_held(q, taken)
            if taken:
                self.outage.ok()  # a write landed: any outage is over
                return self._hold(q, taken, count)
        self.budget.give_back(count)
        return None

    def _is_held(self, q: QueueKeys) -> bool:
        until = self._held.get(q.name)
        if until is None:
            return False
        if until > time.monotonic():
            return True
        del self._held[q.name]
        return False

    def _note_held(self, q: QueueKeys, taken: transitions.Taken) -> None:
        """A queue whose limits hold back work is not asked again before they may let
        one through (no busy polling; the worker's other queues go on)."""
        if taken.held_ms is not None:
            self._held[q.name] = time.monotonic() + abs(taken.held_ms) / 1000
            if taken.held_ms < 0:
                self._held_by_slots.add(q.name)
            else:
                self._held_by_slots.discard(q.name)

    def hold_timeout(self, timeout: float) -> float:
        """``timeout`` cut to when the first held queue may have work again."""
        if not self._held:
            return timeout
        return max(0.0, min(timeout, min(self._held.values()) - time.monotonic()))

    def wait_for_work(
        self, timeout: float = defaults.IDLE_WAIT_SECONDS
    ) -> tuple[QueueKeys, list[Job]] | None:
        """Block until some queue may have work (its wake token) or ``timeout``. The
        first queue's dequeue rides in the same round trip, so the jobs whose
        enqueue woke this worker are in hand when it wakes (on a cluster, whose queues
        may live on different nodes, the wait comes alone and the loop fetches)."""
        wake = [k.wake for k in self.queues]
        timeout = self.hold_timeout(timeout)
        if timeout < _SHORT_WAIT_SECONDS:
            # a held queue may have work this soon: shorter than a blocking call's
            # timeout is precise (Redis checks them at its hz, 10 a second by default)
            time.sleep(timeout)
            return None
        if conn_mod.is_cluster(self.connection):
            conn_mod.wait_for_wake(self.connection, wake, timeout)
            self._held.clear()  # whichever queue woke this worker is looked at
            return None
        count = self.budget.claim(self._batch_size())
        if count <= 0:
            return None
        q = next((k for k in self.queues if not self._is_held(k)), self.queues[0])
        skipped: list[transitions.Skipped] = []
        woken: list[str] = []
        try:
            taken = transitions.wait_and_dequeue(
                self.connection,
                wake,
                q,
                self.worker_name,
                count,
                self.lease_ms,
                timeout,
                skipped,
                woken,
            )
        except BaseException:
            self.budget.give_back(count)
            raise
        _log_skipped(q, skipped)
        for k in self.queues:
            if k.wake in woken:
                self._held.pop(k.name, None)  # new work or a freed slot: look again
        self._note_held(q, taken)
        if not taken:
            self.budget.give_back(count)
            return None
        self.outage.ok()
        batch = self._hold(q, taken, count)
        if self.stop.warm or self.stop.paused:  # came while blocked: leave them queued
            self.release(*batch)
            return None
        return batch

    def _hold(
        self, q: QueueKeys, taken: list[tuple[str, dict[bytes, bytes]]], claimed: int
    ) -> tuple[QueueKeys, list[Job]]:
        self.budget.give_back(claimed - len(taken))
        self._drained = len(taken) < claimed
        mine = {b"worker": self.worker_name.encode()}  # set by dequeue, not returned
        jobs = [
            self.job_class(
                i, self.connection, origin=q.name, fields=f | mine, serializer=self.serializer
            )
            for i, f in taken
        ]
        with self._lock:
            self.reporter.took(q.name, [j.id for j in jobs])
        self.executor.hooks.dequeued(jobs)
        return q, jobs

    # -- running ------------------------------------------------------------------

    def run_batch(self, q: QueueKeys, jobs: list[Job]) -> None:
        self._batch, self._next = (q, jobs), 0
        for index, job in enumerate(jobs):
            if self.stop.warm:
                self._next = len(jobs)
                self.release(q, jobs[index:])
                break
            self._next = index + 1
            with self._lock:
                self.reporter.started(q.name, job.id, _timeout_of(job))
            began = time.monotonic()
            try:
                outcome = self.perform(job)
            except ShutdownRequested:
                self._batch = None
                self.flush()
                self.report_landed()
                self.release(q, jobs[index:])
                raise
            took = time.monotonic() - began
            self._avg_seconds = 0.8 * self._avg_seconds + 0.2 * took
            self._log(outcome, took)
            self._add_ack(q, outcome, took, last=self._next == len(jobs))
            self.processed += 1
            if self._landed:
                self.report_landed()
        self.flush()
        self.report_landed()
        self._batch = None

    def recover(self) -> None:
        """After Redis came back: send pending acks, hand back jobs not yet started."""
        self.flush()
        self.report_landed()
        if self._batch is not None:
            q, jobs = self._batch
            self.release(q, jobs[self._next :])
            self._batch = None

    def _log(self, outcome: Outcome, took: float) -> None:
        job = outcome.job
        if outcome.ok:
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("job %s (%s) finished in %.1f ms", job.id, job.func_name, took * 1000)
        elif outcome.retry is not None:
            logger.info("job %s (%s) returned %r", job.id, job.func_name, outcome.retry)
        else:
            logger.warning("job %s (%s) failed: %s", job.id, job.func_name, outcome.reason)

    def _add_ack(self, q: QueueKeys, outcome: Outcome, took: float, *, last: bool = False) -> None:
        """``took``: seconds the job ran; ``last``: the batch's last job, whose flush
        follows at once (no thread to wake)."""
        with self._lock:
            acks = self._acks[q.name]
            if not acks.done:
                acks.since = time.monotonic()
            acks.done.append(outcome)
            if self.history:
                acks.took.append(took)
            if last:
                return
            if time.monotonic() - acks.since >= defaults.ACK_FLUSH_SECONDS:
                self.flush()
            elif not self._flush_armed.is_set():
                # the next job may run long: do not hold this result back until it ends
                if self._flusher is None:
                    self._flusher = threading.Thread(
                        target=self._flush_loop, name="jobq-acks", daemon=True
                    )
                    self._flusher.start()
                self._flush_armed.set()

    def _flush_loop(self) -> None:
        """The flush thread: ACK_FLUSH_SECONDS after it is armed, send what waits.
        One thread for the consumer's life (a timer thread per batch costs more
        than the batch's jobs)."""
        while True:
            self._flush_armed.wait()
            time.sleep(defaults.ACK_FLUSH_SECONDS)
            with self._lock:
                if not self._flush_armed.is_set():
                    continue  # the loop flushed meanwhile
                try:
                    self.flush()
                except Exception as e:
                    self._flush_armed.clear()
                    logger.warning(
                        "acknowledgements not sent yet (%s); the worker sends them later", e
                    )

    def flush(self) -> None:
        """Send every pending acknowledgement: one round trip for all queues."""
        with self._lock:
            self._flush_armed.clear()
            self._flush()

    def _flush(self) -> None:
        pending = [(self._by_name[n], a) for n, a in self._acks.items() if a.done]
        if not pending:
            return
        pipe = self.connection.pipeline(transaction=False)
        for q, acks in pending:
            _queue_acks(pipe, q, self.worker_name, acks.done)
        acks_sent = len(pipe)
        recorded = self._queue_history(pipe) if self.recorder and self.recorder.due() else []
        try:
            # the history never holds up the acknowledgements: its errors are logged
            replies = execute_pipeline(self.connection, pipe, must_land=acks_sent)
        except BaseException:
            if self.recorder is not None:
                self.recorder.give_back(recorded)
            raise
        self.outage.ok()
        for q, _ in pending:  # ended jobs freed their slots: a held queue may go on
            if q.name in self._held_by_slots:
                self._held.pop(q.name, None)
        if recorded:
            _log_history(replies[acks_sent:])
        self._report_acks([(q, acks.done) for q, acks in pending], replies)
        if self.recorder is not None:
            self._record(pending, replies)
        for a in self._acks.values():
            a.done, a.took = [], []

    def _queue_history(self, pipe: redis.client.Pipeline) -> list[history.Pending]:
        """Add the history summed so far to ``pipe``; returns what was added."""
        assert self.recorder is not None
        taken = self.recorder.take()
        for queue, start, per_function in taken:
            transitions.record_history(pipe, self._by_name[queue], start, per_function)
        return taken

    def send_history(self) -> None:
        """Send the history summed so far now (the loop goes idle, or ends)."""
        with self._lock:
            if self.recorder is None or not self.recorder.pending:
                return
            pipe = self.connection.pipeline(transaction=False)
            recorded = self._queue_history(pipe)
            try:
                _log_history(execute_pipeline(self.connection, pipe))
            except BaseException:
                self.recorder.give_back(recorded)
                raise

    def _record(self, pending: list[tuple[QueueKeys, _Acks]], replies: list[object]) -> None:
        """Count the acknowledged jobs into the recorder, each with its step's code
        (a lost lease is not counted; 2 from fail is a retry)."""
        assert self.recorder is not None
        now, it = transitions.now_ms(), iter(replies)
        for q, acks in pending:
            codes: dict[int, Iterator[Any]] = {}
            for step in _STEPS:
                if any(_step_of(o) == step for o in acks.done):
                    reply = next(it)
                    codes[step] = iter(reply if isinstance(reply, list) else ())
            kinds = (_KIND.get((_step_of(o), int(next(codes[_step_of(o)]))), "") for o in acks.done)
            jobs = tally(
                (o.job.fields_view, kind, took)
                for o, kind, took in zip(acks.done, kinds, acks.took, strict=True)
                if kind
            )
            self.recorder.add(q.name, now, jobs)

    def _report_acks(
        self, pending: list[tuple[QueueKeys, list[Outcome]]], replies: list[object]
    ) -> None:
        landed = _landed(pending, replies)
        self._landed.extend(landed)
        lost = sum(1 for _, acked in landed if acked is Acked.LEASE_LOST)
        if lost:
            logger.warning(
                "%d result(s) dropped: the jobs were reaped, canceled or deleted meanwhile", lost
            )
        for q, outcomes in pending:
            ok = sum(1 for o in outcomes if o.ok)
            self.reporter.acked(q.name, [o.job.id for o in outcomes], ok, len(outcomes) - ok)

    def report_landed(self) -> None:
        """Tell the hooks what the acknowledgements sent so far did, on the thread
        that runs jobs (acks may be sent by the flush thread)."""
        with self._lock:
            landed, self._landed = self._landed, []
        for outcome, acked in landed:
            self.executor.hooks.after_ack(outcome.job, outcome, acked)

    def release(self, q: QueueKeys, jobs: Sequence[Job]) -> None:
        if jobs:
            ids = [j.id for j in jobs]
            with self._lock:
                transitions.release(self.connection, q, self.worker_name, ids)
                self.reporter.acked(q.name, ids, 0, 0)

    # -- the loop -----------------------------------------------------------------

    def run(self, *, burst: bool = False) -> None:
        """Fetch and run until stopped, out of budget, or (burst) out of work or paused."""
        #: the last batch emptied its queue: new work arrives with a wake token, so the
        #: worker may go straight to its blocking wait (one round trip less per job
        #: when jobs come one at a time); a burst worker looks, to know when to stop,
        #: and so does a worker of several queues (the token it took may have been
        #: another queue's than the one its batch came from)
        single = len(self.queues) == 1
        drained = False
        while not self.stop.warm:
            if self.stop.paused:
                if burst:
                    return
                time.sleep(_PAUSED_POLL_SECONDS)
                continue
            batch = None if drained and not burst else self.fetch()
            if batch is None:
                if self.budget.claim(1) == 0:
                    return
                self.budget.give_back(1)
                if burst and self._held:  # work held back by limits: wait, then look
                    time.sleep(self.hold_timeout(defaults.IDLE_WAIT_SECONDS))
                    continue
                if burst:
                    return
                self.send_history()
                self.report_landed()
                self.executor.hooks.idle()
                batch = self.wait_for_work()
                if batch is None:
                    drained = False  # woken for another queue, or timed out: look at all
                    continue
            drained = single and self._drained
            self.run_batch(*batch)


#: a wait for a held queue shorter than this sleeps instead of a blocking pop
_SHORT_WAIT_SECONDS = 0.25
#: how often a paused loop looks at its flag again (the flag itself is set by upkeep)
_PAUSED_POLL_SECONDS = 0.2


#: the steps that acknowledge outcomes, in the order their calls are queued per queue:
#: finish (the job returned), fail (it raised), retry_returned (it returned a Retry)
_STEPS = (0, 1, 2)
_ACKS = (transitions.FINISH_ACKS, transitions.FAIL_ACKS, run_endings.RETRY_RETURNED_ACKS)

#: (step, its code) -> what the history counts ('' for a lost lease)
_KIND: dict[tuple[int, int], str] = {
    (0, 1): "finished", (1, 1): "failed", (1, 2): "retried", (2, 1): "failed",
    (2, 2): "retried", (0, -2): "", (1, -2): "", (2, -2): "",
}  # fmt: skip


def _step_of(o: Outcome) -> int:
    return 0 if o.ok else 2 if o.retry is not None else 1


def _queue_acks(pipe: Any, q: QueueKeys, worker: str, done: Sequence[Outcome]) -> None:
    """Queue the acknowledging steps of ``done`` in ``pipe``, in :data:`_STEPS` order."""
    oks = [(o.job.id, o.result) for o in done if o.ok]
    bad = [(o.job.id, o.error, o.reason) for o in done if _step_of(o) == 1]
    asked = [(o.job.id, o.retry.to_json()) for o in done if o.retry is not None]
    if oks:
        transitions.finish(pipe, q, worker, oks)
    if bad:
        transitions.fail(pipe, q, worker, bad)
    if asked:
        run_endings.retry_returned(pipe, q, worker, asked)


def _log_history(replies: Sequence[object]) -> None:
    for reply in replies:
        if reply != 1:
            logger.warning(
                "history not recorded (%s); the jobs' results were (a history key of "
                "another kind answers -3: delete that key)",
                reply,
            )


def _landed(
    pending: list[tuple[QueueKeys, list[Outcome]]], replies: list[object]
) -> list[tuple[Outcome, Acked]]:
    """Each outcome with what its acknowledgement did: the replies are, per queue, the
    codes of each step of :data:`_STEPS` that had outcomes to acknowledge."""
    answers = iter(replies)
    landed: list[tuple[Outcome, Acked]] = []
    for _, outcomes in pending:
        for step, meaning in zip(_STEPS, _ACKS, strict=True):
            group = [o for o in outcomes if _step_of(o) == step]
            if group:
                codes = next(answers)
                assert isinstance(codes, list)
                landed.extend(
                    (o, meaning.get(int(c), Acked.LEASE_LOST))
                    for o, c in zip(group, codes, strict=True)
                )
    return landed


def _log_skipped(q: QueueKeys, skipped: list[transitions.Skipped]) -> None:
    for raw_id, reason in skipped:
        logger.warning("queue %s: skipped id %r: %s", q.name, raw_id, reason)


def _timeout_of(job: Job) -> float | None:
    try:
        return job.timeout
    except (ValueError, DeserializationError):
        return None  # the job fails with it when it runs

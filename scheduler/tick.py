"""The scheduler loop: hold the lock, fire due schedules, promote due jobs, sleep.

The loop sleeps until the next known due time or the tick, whichever comes
first, so a run is queued within a few milliseconds of its slot rather than up
to a tick late; a new schedule pushes a token to ``keys.SCHEDULER_WAKE`` so a
sleeping scheduler looks again at once. Redis wakes blocked clients only about
every 100 ms, so long waits block on that token and the last stretch before a
due time is a local sleep.

The same pass runs from a worker started with ``--with-scheduler``
(:func:`scheduler_hook`, called every ~0.5 s), without the precise sleep.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import redis

from .. import connection as conn_mod
from .. import defaults, keys, transitions
from ..connection import text
from ..keys import QueueKeys
from ..reaping import OnReaped, reap_queues
from .firing import fire_due
from .lock import SchedulerLock

logger = logging.getLogger("jobq.scheduler")

#: Redis checks blocked clients' timeouts about every 100 ms: wake that much early
_BLOCK_SLACK = 0.11
#: seconds between sweeps for expired leases (a dead worker's jobs)
_REAP_EVERY = defaults.HEARTBEAT_SECONDS
#: passes in a row while work keeps coming due, before the loop sleeps anyway
_MAX_PASSES = 100
#: Redis restarting, failing over, resharding, loading or full: wait and retry
#: (which errors are so: conn_mod.is_transient, nowhere else)
_is_transient = conn_mod.is_transient


class Clock(Protocol):
    """Wall-clock time in seconds since the epoch; injectable so tests need not sleep."""

    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class Ticker:
    """One scheduler: its lock, the queues it watches and the passes over them."""

    def __init__(
        self,
        connection: redis.Redis,
        *,
        interval: float = defaults.SCHEDULER_INTERVAL,
        clock: Clock | None = None,
        grace: float = defaults.SCHEDULER_GRACE_SECONDS,
        lock: SchedulerLock | None = None,
        on_reaped: OnReaped | None = None,
    ) -> None:
        """``on_reaped(queue, job_ids)``: told of dead workers' jobs a pass gave back
        or failed (the Django integration records them)."""
        if interval <= 0:
            raise ValueError(f"interval must be a positive number of seconds, got {interval!r}")
        self.connection = connection
        self.on_reaped = on_reaped
        self.interval = float(interval)
        self.clock: Clock = clock or SystemClock()
        self.grace_ms = int(grace * 1000)
        self.lock = lock or SchedulerLock(connection)
        self.stopped = threading.Event()
        #: the signal that stopped the loop, if one did
        self.signaled: int | None = None
        self._queues: list[QueueKeys] = []
        self._schedule_queues: list[QueueKeys] = []
        self._names_read = -float("inf")
        self._reaped = -float("inf")
        self._woken = True
        self.outage = conn_mod.Outage("for the scheduler")
        #: called after each step of :meth:`run` (a presence record's heartbeat)
        self.on_step: Callable[[], None] | None = None

    def now_ms(self) -> int:
        return int(self.clock.time() * 1000)

    # -- one pass -----------------------------------------------------------------

    def _refresh_queues(self) -> None:
        if not self._woken and time.monotonic() - self._names_read < self.interval:
            return
        pipe = self.connection.pipeline(transaction=False)
        pipe.smembers(keys.QUEUES)
        pipe.zrange(keys.SCHEDULE_QUEUES, 0, -1)
        known, scheduled = pipe.execute()
        names = sorted({text(n) for n in known} | {text(n) for n in scheduled})
        self._queues = [QueueKeys(n) for n in names]
        self._schedule_queues = [QueueKeys(n) for n in sorted(text(n) for n in scheduled)]
        self._names_read = time.monotonic()
        self._woken = False

    def _earliest(self) -> tuple[list[int | None], list[int | None]]:
        """The earliest next slot of each schedule queue and due time of each queue."""
        pipe = self.connection.pipeline(transaction=False)
        for q in self._schedule_queues:
            pipe.zrange(q.schedule_due, 0, 0, withscores=True)
        for q in self._queues:
            pipe.zrange(q.scheduled, 0, 0, withscores=True)
        replies = pipe.execute()
        firsts = [int(r[0][1]) if r else None for r in replies]
        n = len(self._schedule_queues)
        return firsts[:n], firsts[n:]

    def run_once(self, now: int | None = None) -> int | None:
        """One pass, whoever holds the lock: fire due schedules, queue due jobs, and
        now and then reap expired leases. Returns when to look again (ms; ``now``
        when this pass did something), None when nothing is waiting."""
        now = self.now_ms() if now is None else now
        self._refresh_queues()
        schedule_firsts, job_firsts = self._earliest()
        due = [
            q
            for q, t in zip(self._schedule_queues, schedule_firsts, strict=True)
            if t is not None and t <= now
        ]
        busy = False
        if due:
            busy = fire_due(self.connection, due, now, grace_ms=self.grace_ms).fired > 0
        for q, t in zip(self._queues, job_firsts, strict=True):
            if t is not None and t <= now:
                busy = transitions.promote(self.connection, q, now=now) > 0 or busy
        self._reap(now)
        if busy:
            return now
        later = [t for t in (*schedule_firsts, *job_firsts) if t is not None and t > now]
        return min(later) if later else None

    def _reap(self, now: int) -> None:
        if time.monotonic() - self._reaped < _REAP_EVERY:
            return
        self._reaped = time.monotonic()
        # jobs it reaps count in the queues' history, as a worker's do
        reap_queues(self.connection, self._queues, now, self.on_reaped, history=defaults.HISTORY)

    # -- the loop -----------------------------------------------------------------

    def step(self) -> float:
        """Hold the lock and, when held, make passes until nothing is due; returns the
        seconds to sleep before the next step."""
        if not self.lock.hold():
            return min(self.interval, self.lock.renew_every)
        next_due: int | None = None
        for _ in range(_MAX_PASSES):
            now = self.now_ms()
            next_due = self.run_once(now)
            if next_due is None or next_due > now:
                break
        until = self.interval if next_due is None else (next_due - self.now_ms()) / 1000
        return max(0.0, min(self.interval, self.lock.renew_every, until))

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, returning early when a new schedule pushes the wake token."""
        if seconds <= 0:
            return
        deadline = time.monotonic() + seconds
        block = min(seconds - _BLOCK_SLACK, conn_mod.max_block_seconds(self.connection))
        long_wait = seconds > 2 * _BLOCK_SLACK and not self.stopped.is_set()
        try:
            if long_wait and self.connection.blpop([keys.SCHEDULER_WAKE], timeout=block):
                self._woken = True
                return
        except Exception as e:  # the next step meets it again and backs off
            if not _is_transient(e):
                raise
            logger.debug("Redis unavailable while waiting (%s)", e)
        left = deadline - time.monotonic()
        if left > 0:
            self.clock.sleep(left)

    def run(self, burst: bool = False) -> bool:
        """Run until stopped (SIGTERM/SIGINT or :meth:`stop`); with ``burst``, one round
        of passes if this scheduler can take the lock. Returns whether it held the lock."""
        previous = self._install_signals()
        held = False
        try:
            if burst:
                conn_mod.check_version(self.connection)
            elif conn_mod.await_server(self.connection, self.stopped) is None:
                return False
            logger.info("scheduler %s started (tick %.3g s)", self.lock.token, self.interval)
            while not self.stopped.is_set():
                try:
                    pause = self.step()
                    if self.on_step is not None:
                        self.on_step()
                    held = held or self.lock.held
                    self.outage.ok()
                except Exception as e:  # the loop must outlive one bad schedule or pass
                    if _is_transient(e):
                        pause = self.outage.failed(e)
                    else:
                        logger.exception("scheduler pass failed; retrying in %.3g s", self.interval)
                        pause = self.interval
                if burst:
                    if not held:
                        logger.info("another scheduler holds the lock (%s)", self.lock.owner())
                    break
                self.wait(pause)
        finally:
            self.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        logger.info("scheduler %s stopped", self.lock.token)
        return held

    def _install_signals(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}

        def on_signal(signum: int, frame: Any) -> None:
            logger.info("scheduler stopping (signal %d)", signum)
            self.signaled = signum
            self.stop()

        return {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}

    def stop(self) -> None:
        self.stopped.set()

    def close(self) -> None:
        """Release the lock (if ours) so a standby takes over at once."""
        try:
            if self.lock.held:
                self.lock.release()
        except Exception as e:
            if not _is_transient(e):
                raise
            logger.warning("could not release the scheduler lock (%s); it expires by itself", e)


def scheduler_hook(
    interval: float = 0.5,
    clock: Clock | None = None,
    on_reaped: OnReaped | None = None,
) -> Callable[[redis.Redis], float | None]:
    """What ``jobq worker --with-scheduler`` calls at most ``interval`` apart: when
    this worker holds the scheduler lock, fire what is due. Returns the seconds until
    the next pass is due (the worker calls again then). Redis errors reach the worker
    (it retries); any other error is logged here so that the scheduler cannot take the
    worker down."""
    ticker: Ticker | None = None

    def tick(connection: redis.Redis) -> float | None:
        nonlocal ticker
        if ticker is None or ticker.connection is not connection:
            ticker = Ticker(connection, interval=interval, clock=clock, on_reaped=on_reaped)
        try:
            return ticker.step()
        except Exception as e:
            if _is_transient(e):
                raise
            logger.exception("scheduler pass in the worker failed; will retry")
            return None

    return tick

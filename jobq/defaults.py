"""Every default jobq uses, in one place.

Values that rq users know keep rq's numbers so that moving over changes nothing
they rely on; the rest are chosen so that a dead worker's jobs come back within
half a minute without leases expiring under a busy but healthy worker.
"""

from __future__ import annotations

#: Queue used when none is named (rq's name).
QUEUE_NAME = "default"
#: Seconds a job may run before it is killed (rq: 180).
JOB_TIMEOUT = 180.0
#: Seconds a successful job and its result are kept (rq: 500). -1 keeps forever.
RESULT_TTL = 500
#: Seconds a failed job and its traceback are kept (rq: one year).
FAILURE_TTL = 365 * 24 * 3600
#: Seconds a job saved by ``Job.create(...).save()`` and never enqueued is kept (its own
#: ``ttl`` when given): it is in no registry, so nothing else would end it.
CREATED_TTL = 24 * 3600
#: Seconds a worker holds a job before the reaper may give it to another worker.
LEASE_SECONDS = 30.0
#: How often a worker renews its leases and reports itself; a third of the lease.
HEARTBEAT_SECONDS = LEASE_SECONDS / 3
#: How many times a job may lose its worker (lease expired) before it is failed
#: with "worker died" rather than run again; protects against poison jobs.
MAX_LOST = 3
#: Jobs fetched by one Lua call at most; the worker adapts below this.
MAX_PREFETCH = 100
#: Target time a prefetched batch should take, so long jobs are fetched one by one.
PREFETCH_TARGET_SECONDS = 0.02
#: Acknowledgements are flushed at the latest this long after the first waits.
ACK_FLUSH_SECONDS = 0.005
#: How long an idle worker blocks on Redis before looking around (signals, reaper).
IDLE_WAIT_SECONDS = 1.0
#: Expired leases / due jobs handled by one Lua call at most.
REAP_BATCH = 500
#: Seconds a waiter's wake-up token is kept in Redis.
NOTIFY_TTL_SECONDS = 60
#: Seconds a worker's own record outlives its last heartbeat.
WORKER_TTL_SECONDS = 60
#: A worker publishes its record at every upkeep tick (0.5 s); one silent this long
#: (killed with SIGKILL, its machine gone) is shown as dead.
WORKER_DEAD_AFTER_SECONDS = 3.0
#: Scheduler tick in seconds (rq-scheduler polls every 60).
SCHEDULER_INTERVAL = 1.0
#: Seconds the scheduler lock lives unrenewed: a standby takes over this long after
#: the active scheduler dies (safety never depends on it: each firing is compare-and-set).
SCHEDULER_LOCK_SECONDS = 3.0
#: A scheduler at most this far behind a schedule (a pause, a failover) fires every
#: due slot; further behind, it was down: the missed slots collapse into one run
#: unless the schedule asks to catch up.
SCHEDULER_GRACE_SECONDS = 5.0
#: Runs one schedule fires in one pass at most when it is behind.
SCHEDULER_MAX_CATCH_UP = 100
#: Redis URL used when none is given (env JOBQ_REDIS_URL, RQ_REDIS_URL, REDIS_URL first).
REDIS_URL = "redis://localhost:6379/0"
#: A file whose first line is a Redis URL, read (from the current directory) when no
#: URL is given in the environment: ``make demo`` writes its Redis's URL there.
REDIS_URL_FILE = "var/redis.url"

#: Workers record history (counts and time sketches per queue and function, see
#: jobq.history); ``Worker(history=False)`` / ``--no-history`` turns it off.
HISTORY = True
#: Functions tracked by name per queue in the history; the rest count as "other".
HISTORY_MAX_FUNCTIONS = 50

# rq's names for the same values (``from rq.defaults import ...``)
DEFAULT_RESULT_TTL = RESULT_TTL
DEFAULT_FAILURE_TTL = FAILURE_TTL
DEFAULT_WORKER_TTL = WORKER_TTL_SECONDS
#: rq's worker heartbeat period; jobq renews leases every HEARTBEAT_SECONDS
DEFAULT_JOB_MONITORING_INTERVAL = int(HEARTBEAT_SECONDS)
#: seconds a callback may run (rq's name and value)
CALLBACK_TIMEOUT = 60
#: rq's in-worker scheduler retries the queue locks it lacks this often (seconds)
DEFAULT_SCHEDULER_FALLBACK_PERIOD = 120
#: rq cleans registries this often; jobq's workers reap at every heartbeat
DEFAULT_MAINTENANCE_TASK_INTERVAL = 10 * 60

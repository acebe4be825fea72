"""Recurring and one-off schedules without Django: a scheduler process fires
them, a worker runs them, and each run keeps its own result.

    python examples/plain/scheduled.py      # embedded Redis unless REDIS_URL is set
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import process, redis_url, worker
from tasks import count_words

from jobq import Job, Queue
from jobq.connection import from_url
from jobq.scheduler import Scheduler


def main() -> int:
    with redis_url() as url, worker(url), process(url, "scheduler", "--interval", "0.1"):
        connection = from_url(url)
        scheduler = Scheduler(queue_name="default", connection=connection)
        queue = Queue("default", connection=connection)

        # rq-scheduler's call: first run now, then every 0.5 s, three runs in all
        every = scheduler.schedule(
            scheduled_time=dt.datetime.now(),
            func=count_words,
            args=["one two three"],
            interval=0.5,
            repeat=3,
        )
        later = scheduler.enqueue_in(dt.timedelta(seconds=1), count_words, "in a second")
        cron = scheduler.cron(
            "* * * * *", func=count_words, args=["every minute"], timezone="Europe/Athens"
        )
        print(f"schedule {every.id}: 3 runs every 0.5 s; cron {cron.id} every minute (Athens time)")

        deadline = time.monotonic() + 30
        runs: list[Job] = []
        while time.monotonic() < deadline:
            runs = [j for j in queue.finished_job_registry.get_jobs() if j.schedule_id == every.id]
            if len(runs) == 3 and later.get_status() == "finished":
                break
            time.sleep(0.1)
        for run in sorted(runs, key=lambda j: j.slot or dt.datetime.min.replace(tzinfo=dt.UTC)):
            print(f"run {run.id}: slot {run.slot:%H:%M:%S.%f} → result {run.return_value()}")
        print(f"one-off {later.id} → {later.wait(timeout=10)}")
        scheduler.cancel(cron)
        print(f"cron canceled: {cron not in scheduler}")
        return 0 if len(runs) == 3 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Scheduler: one-off, interval and cron schedules with rq-scheduler's API.

``Scheduler`` stores schedules and jobs due later; ``jobq scheduler`` (or
``jobq worker --with-scheduler``) fires them. See docs/scheduler.md.
"""

from __future__ import annotations

from .cron import CronSpec
from .handle import Schedule
from .in_worker import RQScheduler, SchedulerStatus
from .scheduler import Scheduler
from .tick import Clock, SystemClock, Ticker, scheduler_hook

__all__ = [
    "Clock",
    "CronSpec",
    "RQScheduler",
    "Schedule",
    "Scheduler",
    "SchedulerStatus",
    "SystemClock",
    "Ticker",
    "scheduler_hook",
]

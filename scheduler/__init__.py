"""Scheduler: one-off and recurring schedules (rq-scheduler's API)."""

"""``manage.py rqworker-pool --num-workers N``: django-rq's worker pool. A jobq
worker is already a pool: one supervisor with N executor children."""

from __future__ import annotations

import argparse
from argparse import ArgumentParser

from .rqworker import Command as WorkerCommand


class Command(WorkerCommand):
    help = "Run a pool of N executors on the given queues (one jobq worker, N children)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--num-workers",
            dest="concurrency",
            type=int,
            default=argparse.SUPPRESS,
            help="Executor children (the same as --concurrency)",
        )

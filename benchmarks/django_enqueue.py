"""Enqueue N noop jobs through the Django integration, one by one, and print the
rate as JSON (run by case 9 with ``DJANGO_SETTINGS_MODULE=benchmarks.django_settings``).

    python -m benchmarks.django_enqueue N
"""

from __future__ import annotations

import json
import sys
import time


def main() -> int:
    import django

    django.setup()
    from jobq.django_integration.queues import get_queue

    from .jobs import noop

    n = int(sys.argv[1])
    queue = get_queue("default")
    for _ in range(50):  # warm-up: scripts loaded, queries prepared
        queue.enqueue(noop)
    queue.empty()
    began = time.perf_counter()
    for _ in range(n):
        queue.enqueue(noop)
    seconds = time.perf_counter() - began
    print(json.dumps({"rate": n / seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

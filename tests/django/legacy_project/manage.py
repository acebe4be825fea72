#!/usr/bin/env python
"""The demo project's manage.py (unchanged from the django-rq version)."""

import os
import sys

if __name__ == "__main__":
    root = os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    )
    sys.path.insert(0, root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django.legacy_project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

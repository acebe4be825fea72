"""A project written for django-rq (the classic demo layout), moved to jobq.

What changed from the django-rq version, and nothing else:
- settings.py: ``"django_rq"`` → ``"jobq.django_integration"`` in INSTALLED_APPS;
- demo/tasks.py, demo/views.py: ``from django_rq import ...`` →
  ``from jobq.django_integration import ...`` and ``from rq import ...`` →
  ``from jobq import ...``.
The settings read the test database and the test Redis from the environment,
as a deployed project reads its own.
"""

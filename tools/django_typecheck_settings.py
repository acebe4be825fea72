"""The smallest Django settings the django-stubs mypy plugin needs to load the app."""

SECRET_KEY = "typecheck-only"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "jobq.django_integration"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True

"""Settings of the django-rq demo project (only INSTALLED_APPS changed for jobq)."""

import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))

SECRET_KEY = "legacy-demo-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "jobq.django_integration",  # was: "django_rq"
    "tests.django.legacy_project.demo",
]
ROOT_URLCONF = "tests.django.legacy_project.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# the test harness hands the live database and Redis over through the environment
DATABASES = {
    "default": {
        "ENGINE": os.environ.get("LEGACY_DB_ENGINE", "django.db.backends.sqlite3"),
        "NAME": os.environ.get("LEGACY_DB_NAME", os.path.join(BASE_DIR, "db.sqlite3")),
        "USER": os.environ.get("LEGACY_DB_USER", ""),
        "HOST": os.environ.get("LEGACY_DB_HOST", ""),
    }
}
REDIS_LOCATION = os.environ.get("LEGACY_REDIS_URL", "redis://127.0.0.1:1/0")

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "redis-cache": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_LOCATION,
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
    },
}

RQ_QUEUES = {
    "default": {"USE_REDIS_CACHE": "redis-cache"},
    "high": {"USE_REDIS_CACHE": "redis-cache"},
    "low": {"USE_REDIS_CACHE": "redis-cache"},
}

"""Settings of the jobq Django demo: SQLite, media, mail and Redis under one
folder (JOBQ_DEMO_VAR, default var/demo at the repository root)."""

import os
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[3]
VAR = Path(os.environ.get("JOBQ_DEMO_VAR") or ROOT / "var" / "demo")


#: where run_demo.py writes the URL of the demo's Redis (var/redis.url by default), so
#: that `manage.py rqstats` and `jobq info` from another shell find it without flags
REDIS_URL_FILE = VAR.parent / "redis.url"


def redis_url() -> str:
    """REDIS_URL if given, else the embedded redis-server's: its port from run_demo.py
    (which picks a free one), or, in another shell, the URL it wrote down."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    if os.environ.get("JOBQ_DEMO_REDIS_PORT"):
        return f"redis://127.0.0.1:{os.environ['JOBQ_DEMO_REDIS_PORT']}/0"
    if REDIS_URL_FILE.exists():
        return REDIS_URL_FILE.read_text().strip()
    return "redis://127.0.0.1:6390/0"


SECRET_KEY = "jobq-demo-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "jobq.django_integration",
    "demo",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "demo_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# web server, two workers and the scheduler share one SQLite file: WAL and a
# generous busy timeout keep them from tripping over each other's writes
_sqlite_options: dict = {"timeout": 30}
if django.VERSION >= (5, 1):
    _sqlite_options.update(init_command="PRAGMA journal_mode=WAL;", transaction_mode="IMMEDIATE")
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR / "db.sqlite3",
        "OPTIONS": _sqlite_options,
    }
}

STATIC_URL = "static/"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR / "media"

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR / "mail"
DEFAULT_FROM_EMAIL = "demo@jobq.invalid"

# the classic three priorities; every worker of the demo runs `rqworker high default low`
RQ_QUEUES = {
    "high": {"URL": redis_url()},
    "default": {"URL": redis_url(), "DEFAULT_TIMEOUT": 60},
    "low": {"URL": redis_url(), "DEFAULT_TIMEOUT": 600},
}
# workers run, and schedules may name, only the demo's own tasks
JOBQ = {"ALLOWED_MODULES": ["demo.tasks"]}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"jobq": {"handlers": ["console"], "level": "INFO"}},
}

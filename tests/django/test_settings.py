"""RQ_QUEUES in every shape django-rq reads, JOBQ, and what a bad entry says."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from jobq import SimpleWorker
from jobq.django_integration import conf, get_connection, get_queue, get_queues
from jobq.embedded import EmbeddedRedis, find_redis_server, free_port
from tests.conftest import ROOT, wait_until

pytestmark = pytest.mark.django_db


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def _roundtrip(queue_name: str = "default") -> None:
    """Enqueue and run one job through the configured connection."""
    queue = get_queue(queue_name, commit_mode="immediate")
    job = queue.enqueue("tests.django.tasks.echo", 1, b=2)
    SimpleWorker([queue], queue.connection).work(burst=True)
    assert job.result == [[1], {"b": 2}]


# -- connection sources ---------------------------------------------------------------


def test_url(settings: Any, redis_url: str) -> None:
    settings.RQ_QUEUES = {"default": {"URL": redis_url}}
    assert get_connection().ping()
    _roundtrip()


def test_url_without_db_gives_the_client_db_none_which_is_the_urls_db(
    settings: Any, redis_url: str
) -> None:
    """django-rq's client kwargs: no DB key, db=None; redis-py reads it as the URL's db
    (db 0 for a URL without one)."""
    server, url_db = redis_url.rsplit("/", 1)
    settings.RQ_QUEUES = {"default": {"URL": server}, "high": {"URL": redis_url}}
    assert get_connection("default").connection_pool.connection_kwargs["db"] is None
    assert get_connection("high").connection_pool.connection_kwargs["db"] == int(url_db)
    get_connection("default").set("jobq-test:db", "here")
    with redis.Redis.from_url(f"{server}/0") as db_0:
        assert db_0.get("jobq-test:db") == b"here"


def test_url_with_db(settings: Any, redis_url: str) -> None:
    settings.RQ_QUEUES = {"default": {"URL": redis_url.rsplit("/", 1)[0], "DB": 4}}
    assert get_connection().connection_pool.connection_kwargs["db"] == 4
    _roundtrip()


def test_host_port_db(settings: Any, redis_url: str) -> None:
    settings.RQ_QUEUES = {"default": {"HOST": "127.0.0.1", "PORT": _port(redis_url), "DB": 3}}
    kwargs = get_connection().connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["db"]) == ("127.0.0.1", 3)
    _roundtrip()


def test_host_port_db_from_the_environment(settings: Any, redis_url: str) -> None:
    """``os.environ.get(...)``: a string is a number, None the default."""
    settings.RQ_QUEUES = {"default": {"HOST": None, "PORT": str(_port(redis_url)), "DB": None}}
    kwargs = get_connection().connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("localhost", _port(redis_url), 0)
    settings.RQ_QUEUES = {"default": {"HOST": "127.0.0.1", "PORT": None, "DB": "2"}}
    kwargs = get_connection().connection_pool.connection_kwargs
    assert (kwargs["port"], kwargs["db"]) == (6379, 2)


@pytest.fixture
def acl_user(redis_url: str) -> Iterator[tuple[str, str]]:
    admin = redis.Redis.from_url(redis_url)
    admin.execute_command("ACL", "SETUSER", "jobqtest", "on", ">s3cret", "~*", "&*", "+@all")
    yield "jobqtest", "s3cret"
    admin.execute_command("ACL", "DELUSER", "jobqtest")
    admin.close()


def test_username_and_password(settings: Any, redis_url: str, acl_user: tuple[str, str]) -> None:
    user, password = acl_user
    port = _port(redis_url)
    settings.RQ_QUEUES = {
        "default": {"HOST": "127.0.0.1", "PORT": port, "USERNAME": user, "PASSWORD": password},
        "wrong": {"HOST": "127.0.0.1", "PORT": port, "USERNAME": user, "PASSWORD": "nope"},
    }
    _roundtrip()
    with pytest.raises(redis.AuthenticationError):
        get_connection("wrong").ping()


def test_ssl_options_reach_the_client(settings: Any) -> None:
    settings.RQ_QUEUES = {
        "default": {"HOST": "redis.example", "PORT": 6380, "SSL": True, "SSL_CERT_REQS": "none"},
        "url": {"URL": "rediss://redis.example:6380/0"},
    }
    pool = get_connection().connection_pool
    assert pool.connection_class is redis.SSLConnection
    assert pool.connection_kwargs["ssl_cert_reqs"] == "none"
    url_pool = get_connection("url").connection_pool
    assert url_pool.connection_class is redis.SSLConnection
    assert url_pool.connection_kwargs["ssl_cert_reqs"] == "required"


def test_unix_socket(settings: Any, tmp_path: Path) -> None:
    sock = tmp_path / "redis.sock"
    server = EmbeddedRedis(tmp_path / "data", extra_args=["--unixsocket", str(sock)]).start()
    try:
        settings.RQ_QUEUES = {"default": {"UNIX_SOCKET_PATH": str(sock), "DB": 2}}
        assert get_connection().connection_pool.connection_kwargs["path"] == str(sock)
        _roundtrip()
    finally:
        server.close()


@pytest.mark.parametrize("alias", ["django-redis", "builtin-redis"])
def test_use_redis_cache(settings: Any, alias: str) -> None:
    from django.core.cache import caches

    settings.RQ_QUEUES = {"default": {"USE_REDIS_CACHE": alias}}
    client = get_connection()
    caches[alias].set("shared", "yes")
    assert client.ping()
    assert any(b"shared" in k for k in client.keys("*"))  # one Redis for cache and queue
    _roundtrip()


def test_use_redis_cache_shares_the_django_redis_client(settings: Any) -> None:
    from django_redis import get_redis_connection

    settings.RQ_QUEUES = {"default": {"USE_REDIS_CACHE": "django-redis"}}
    assert get_connection() is get_redis_connection("django-redis")


def test_use_redis_cache_refuses_a_cache_that_is_not_redis(settings: Any) -> None:
    settings.RQ_QUEUES = {"default": {"USE_REDIS_CACHE": "default"}}
    with pytest.raises(ImproperlyConfigured, match="not a Redis cache"):
        get_connection()


@pytest.fixture
def sentinel(redis_url: str, tmp_path: Path) -> Iterator[int]:
    port = free_port()
    config = tmp_path / "sentinel.conf"
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor jobqmaster 127.0.0.1 {_port(redis_url)} 1\n"
    )
    proc = subprocess.Popen(
        [find_redis_server(), str(config), "--sentinel"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        probe = redis.Redis(port=port)

        def ready() -> bool:
            try:
                return bool(
                    probe.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "jobqmaster")
                )
            except redis.ConnectionError:
                return False

        wait_until(ready, timeout=10)
        probe.close()
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def test_sentinels(settings: Any, sentinel: int) -> None:
    settings.RQ_QUEUES = {
        "default": {
            "SENTINELS": [("127.0.0.1", sentinel)],
            "MASTER_NAME": "jobqmaster",
            "DB": 1,
            "SOCKET_TIMEOUT": 5,
        }
    }
    assert get_connection().ping()
    _roundtrip()


# -- queue options ----------------------------------------------------------------------


def test_default_timeout_and_result_ttl(settings: Any, redis_url: str) -> None:
    settings.RQ_QUEUES = {
        "default": {"URL": redis_url, "DEFAULT_TIMEOUT": 42, "DEFAULT_RESULT_TTL": 3600},
        "plain": {"URL": redis_url},
    }
    job = get_queue(commit_mode="immediate").enqueue("tests.django.tasks.echo")
    assert (job.timeout, job.result_ttl) == (42, 3600)
    assert get_queue("default", default_timeout=7).default_timeout == 7
    plain = get_queue("plain", commit_mode="immediate").enqueue("tests.django.tasks.echo")
    # rq's defaults: the timeout is the job's; no result_ttl given reads None, as in rq,
    # and the result is kept rq's 500 s
    assert (plain.timeout, plain.result_ttl, plain.get_result_ttl(500)) == (180, None, 500)


def test_default_timeout_and_result_ttl_take_rqs_duration_strings(
    settings: Any, redis_url: str
) -> None:
    settings.RQ_QUEUES = {
        "default": {"URL": redis_url, "DEFAULT_TIMEOUT": "15m", "DEFAULT_RESULT_TTL": "1h"},
    }
    job = get_queue(commit_mode="immediate").enqueue("tests.django.tasks.echo")
    assert (job.timeout, job.result_ttl) == (900, 3600)


def test_queues_share_one_client_per_connection(settings: Any, redis_url: str) -> None:
    assert get_connection("default") is get_connection("high")
    assert get_queue("default").connection is get_queue("low").connection


def test_get_queues_refuses_different_connections(settings: Any, redis_url: str) -> None:
    settings.RQ_QUEUES = {
        "default": {"URL": redis_url},
        "elsewhere": {"HOST": "127.0.0.1", "PORT": _port(redis_url)},
    }
    with pytest.raises(ValueError, match="different Redis connections"):
        get_queues("default", "elsewhere")


def test_unknown_queue_is_a_key_error_that_says_what_to_do() -> None:
    with pytest.raises(KeyError) as info:
        get_queue("nope")
    assert isinstance(info.value, ImproperlyConfigured)
    assert "queue 'nope' is not in settings.RQ_QUEUES (configured: default, high, low)" in str(
        info.value
    )


def test_job_class_must_be_a_job_subclass() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"must be a subclass of jobq\.Job"):
        get_queue("default", job_class="jobq.Queue")


# -- bad entries --------------------------------------------------------------------------

U = "redis://127.0.0.1:1/0"
TASKS_BACKEND = "jobq.django_integration.tasks_backend.JobqBackend"


@pytest.mark.parametrize(
    ("queues", "message"),
    [
        (None, "settings.RQ_QUEUES is not set"),
        ({}, "must be a non-empty dict"),
        ({"default": U}, "RQ_QUEUES['default'] must be a dict"),
        ({"default": {}}, "RQ_QUEUES['default']['HOST'] is missing"),
        ({"default": {"URL": U, "PROT": 1}}, "RQ_QUEUES['default']['PROT'] is not a known setting"),
        ({"default": {"HOST": "localhost"}}, "RQ_QUEUES['default']['PORT'] is missing"),
        ({"default": {"URL": 5}}, "RQ_QUEUES['default']['URL'] must be a non-empty string"),
        ({"default": {"URL": "http://x"}}, "RQ_QUEUES['default']['URL'] must start with redis://"),
        ({"high": {"URL": U, "DB": "one"}}, "RQ_QUEUES['high']['DB'] must be a whole number"),
        ({"high": {"URL": U, "ASYNC": "no"}}, "RQ_QUEUES['high']['ASYNC'] must be True or False"),
        (
            {"high": {"URL": U, "DEFAULT_TIMEOUT": -5}},
            "RQ_QUEUES['high']['DEFAULT_TIMEOUT'] must be a number of seconds",
        ),
        (
            {"high": {"URL": U, "DEFAULT_RESULT_TTL": "soon"}},
            "RQ_QUEUES['high']['DEFAULT_RESULT_TTL'] must be a number",
        ),
        (
            {"default": {"SENTINELS": [("h", 1)]}},
            "RQ_QUEUES['default']['MASTER_NAME'] must be a non-empty string",
        ),
        (
            {"default": {"SENTINELS": "h:1", "MASTER_NAME": "m"}},
            "RQ_QUEUES['default']['SENTINELS'] must be a list of (host, port) pairs",
        ),
        (
            {"default": {"HOST": "h", "PORT": 1, "SSL": True, "SSL_CERT_REQS": "maybe"}},
            "RQ_QUEUES['default']['SSL_CERT_REQS'] must be 'required', 'optional' or 'none'",
        ),
        (
            {"default": {"HOST": "h", "PORT": 1, "REDIS_CLIENT_KWARGS": [1]}},
            "RQ_QUEUES['default']['REDIS_CLIENT_KWARGS'] must be a dict",
        ),
    ],
)
def test_bad_entry_names_queue_and_key(settings: Any, queues: Any, message: str) -> None:
    if queues is None:
        del settings.RQ_QUEUES
    else:
        settings.RQ_QUEUES = queues
    with pytest.raises(ImproperlyConfigured) as info:
        get_queue("default")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("yes", "settings.JOBQ must be a dict"),
        ({"RECORDS": "all"}, "settings.JOBQ['RECORDS'] is not a known option"),
        ({"COMMIT_MODE": "later"}, "'on_commit' or 'immediate'"),
        ({"RECORD": "some"}, "'all', 'scheduled' or 'none'"),
        ({"DATABASE": "other"}, "must name an entry of settings.DATABASES"),
        ({"ALLOWED_MODULES": "myapp"}, "must be a list of module paths"),
    ],
)
def test_bad_jobq_option(settings: Any, options: Any, message: str) -> None:
    settings.JOBQ = options
    with pytest.raises(ImproperlyConfigured, match="JOBQ") as info:
        conf.options()
    assert message in str(info.value)


# -- laziness and checks ------------------------------------------------------------------


def test_settings_are_read_on_use_not_at_import(settings: Any) -> None:
    settings.RQ_QUEUES = {"default": {"HOST": "nowhere"}}  # broken, but nothing reads it yet
    from tests.django import tasks

    assert tasks.slow_add(1, 2, seconds=0) == 3
    with pytest.raises(ImproperlyConfigured, match="PORT"):
        tasks.slow_add.delay(1, 2)


def test_importing_the_app_reads_no_settings() -> None:
    code = (
        "import jobq.django_integration, tests.django.tasks\n"
        "from django.conf import settings\n"
        "assert not settings.configured\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def _ids(messages: list[checks.CheckMessage]) -> list[str]:
    return [m.id for m in messages if m.id and m.id.startswith("jobq.")]


def test_checks_pass_on_good_settings() -> None:
    assert _ids(checks.run_checks()) == []


def test_checks_report_bad_settings(settings: Any) -> None:
    settings.RQ_QUEUES = {"default": {"HOST": "h"}}
    settings.JOBQ = {"RECORD": "sometimes"}
    messages = checks.run_checks()
    assert _ids(messages) == ["jobq.E001", "jobq.E002"]
    assert "RQ_QUEUES['default']['PORT'] is missing" in messages[0].msg


def test_checks_warn_about_ignored_keys_and_missing_caches(settings: Any) -> None:
    settings.RQ_QUEUES = {
        "default": {"URL": U, "HOST": "other", "PORT": 1},
        "cached": {"USE_REDIS_CACHE": "missing"},
    }
    settings.TASKS = {"default": {"BACKEND": TASKS_BACKEND, "QUEUES": ["default"]}}
    messages = [m for m in checks.run_checks() if m.id and m.id.startswith("jobq.")]
    assert sorted(m.id for m in messages) == ["jobq.E003", "jobq.W001", "jobq.W001"]
    assert any("['HOST'] is ignored because the queue connects with URL" in m.msg for m in messages)


def test_legacy_settings_name() -> None:
    assert conf.QUEUES["low"]["DEFAULT_RESULT_TTL"] == 3600


def test_changed_settings_are_seen(settings: Any, redis_url: str) -> None:
    first = get_connection()
    settings.RQ_QUEUES = {"default": {"URL": redis_url.rsplit("/", 1)[0] + "/5"}}
    second = get_connection()
    assert second is not first
    assert second.connection_pool.connection_kwargs["db"] == 5

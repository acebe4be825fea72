"""Settings: ``RQ_QUEUES`` read as django-rq reads it, plus jobq's own ``JOBQ`` dict.

Settings are read on first use, never at import (a project may import tasks
before its settings are final), then parsed once into frozen values. The
cache is dropped when a test overrides one of these settings. A bad entry
raises ``ImproperlyConfigured`` naming the queue and the key and saying what
to write instead, so a typo fails at start rather than on the first enqueue
of the night.

Connection sources keep django-rq's precedence: ``URL``, then
``USE_REDIS_CACHE``, then ``UNIX_SOCKET_PATH``, then ``SENTINELS``, then
``HOST``/``PORT``. Keys that lose to a higher source are accepted (a
django-rq settings file must keep working) and reported by a system check.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from jobq import connection as core
from jobq.exceptions import ConfigurationError
from jobq.flow import MAX_LIMIT, Rate
from jobq.redis_settings import CLUSTER_DB_ONLY_0
from jobq.signing import Keyring
from jobq.timeutil import seconds

#: per-queue keys that say where Redis is (django-rq's list, plus USERNAME/kwargs)
CONNECTION_KEYS = (
    "URL", "HOST", "PORT", "DB", "PASSWORD", "USERNAME", "SSL", "SSL_CERT_REQS",
    "UNIX_SOCKET_PATH", "USE_REDIS_CACHE", "SENTINELS", "MASTER_NAME", "SOCKET_TIMEOUT",
    "CONNECTION_KWARGS", "SENTINEL_KWARGS", "REDIS_CLIENT_KWARGS", "CLUSTER",
)  # fmt: skip
#: per-queue keys that set queue defaults (QUEUE_CLASS, SERIALIZER: classes or dotted paths)
QUEUE_KEYS = (
    "DEFAULT_TIMEOUT", "DEFAULT_RESULT_TTL", "ASYNC", "QUEUE_CLASS", "SERIALIZER",
    "RATE_LIMIT", "CONCURRENCY_LIMIT",
)  # fmt: skip
#: URL schemes jobq.connection builds a client for
URL_SCHEMES = (
    "redis://", "rediss://", "unix://", "valkey://", "valkeys://",
    "redis+sentinel://", "rediss+sentinel://", "redis+cluster://", "rediss+cluster://",
)  # fmt: skip
#: connection sources in django-rq's order of precedence
SOURCES = ("URL", "USE_REDIS_CACHE", "UNIX_SOCKET_PATH", "SENTINELS", "HOST")
#: keys that only mean something for one source (with the source, what is checked and
#: handed to jobq.connection.parse_settings; the rest of the entry is ignored)
SOURCE_KEYS = {
    "URL": ("DB", "SSL", "SSL_CERT_REQS", "CLUSTER"),
    "USE_REDIS_CACHE": (),
    "UNIX_SOCKET_PATH": ("DB",),
    "SENTINELS": (
        "MASTER_NAME", "DB", "PASSWORD", "USERNAME", "SOCKET_TIMEOUT",
        "CONNECTION_KWARGS", "SENTINEL_KWARGS",
    ),
    "HOST": (
        "PORT", "DB", "PASSWORD", "USERNAME", "SSL", "SSL_CERT_REQS", "REDIS_CLIENT_KWARGS",
        "CLUSTER",
    ),
}  # fmt: skip

COMMIT_MODES = ("on_commit", "immediate", "request_finished")
#: django-rq's COMMIT_MODE values → jobq's
DJANGO_RQ_COMMIT_MODES = {
    "auto": "immediate",
    "on_db_commit": "on_commit",
    "request_finished": "request_finished",
}
#: keys of django-rq's ``RQ`` setting that jobq reads
RQ_KEYS = (
    "AUTOCOMMIT", "COMMIT_MODE", "WORKER_CLASS", "JOB_CLASS", "QUEUE_CLASS", "SCHEDULER_CLASS",
    "DEFAULT_RESULT_TTL", "EXCEPTION_HANDLERS", "SCHEDULER_INTERVAL",
)  # fmt: skip
RECORD_MODES = ("all", "scheduled", "none")
JOBQ_KEYS = (
    "COMMIT_MODE", "RECORD", "DATABASE", "ALLOWED_MODULES", "API_TOKEN", "SHOW_ADMIN_LINK",
    "MAX_PAYLOAD_BYTES", "SECRET_KEY", "HISTORY", "VIEW_NEEDS_PERMISSION",
)  # fmt: skip


@dataclass(frozen=True)
class ConnectionConfig:
    """Where one queue's Redis is; equal configs share one client per process."""

    #: the key the queue connects with (one of :data:`SOURCES`), named in messages
    source: str
    #: the entry as :func:`jobq.connection.parse_settings` reads it (None: USE_REDIS_CACHE)
    settings: core.RedisSettings | None = None
    #: ``USE_REDIS_CACHE``: the Django cache whose client the queue borrows
    cache_alias: str | None = None
    #: ``DB`` and ``SSL_CERT_REQS`` next to a ``URL`` (django-rq lets them win over the
    #: URL), as keyword arguments for :func:`jobq.connection.build`
    overrides: tuple[tuple[str, Any], ...] = ()

    @property
    def cache_key(self) -> str:
        return repr(self)


@dataclass(frozen=True)
class QueueConfig:
    name: str
    connection: ConnectionConfig
    default_timeout: float | None = None
    default_result_ttl: float | None = None
    is_async: bool = True
    #: django-rq's QUEUE_CLASS and SERIALIZER (a class, instance or dotted path), as given
    queue_class: Any = None
    serializer: Any = None
    #: keys given but ignored because a source of higher precedence is set
    ignored: tuple[str, ...] = ()
    #: limits a worker of the queue stores in Redis as it starts (jobq.flow)
    rate_limit: str | None = None
    concurrency_limit: int | None = None


@dataclass(frozen=True)
class JobqOptions:
    """The ``JOBQ`` dict: jobq's own options, none of which django-rq has."""

    #: "on_commit": an enqueue inside ``atomic()`` reaches Redis when it commits
    commit_mode: str = "on_commit"
    #: which jobs get a ``JobRecord`` row: "all", "scheduled" (fired by schedules), "none"
    record: str = "all"
    #: database alias for job records, and whose transaction ``on_commit`` follows
    database: str = "default"
    #: modules whose functions workers run and schedules may name (None: any)
    allowed_modules: tuple[str, ...] | None = None
    #: bearer token that may read the stats views without a login (None: staff only)
    api_token: str | None = None
    #: whether the admin index shows the "Queues" section (django-rq's RQ_SHOW_ADMIN_LINK)
    show_admin_link: bool = True
    #: largest serialized job arguments an enqueue accepts (None: jobq's default, 0: no limit)
    max_payload_bytes: int | None = None
    #: the secret that signs jobs (None: Django's SECRET_KEY, derived for this purpose)
    secret_key: str | None = None
    #: whether workers record the queues' history (jobq.history; charts, Prometheus)
    history: bool = True
    view_needs_permission: bool = False  # reading needs jobq.view_queue (else: any staff)


@dataclass
class _Cache:
    queues: dict[str, QueueConfig] | None = None
    options: JobqOptions | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_cache = _Cache()


def _clear(*, setting: str, **kwargs: Any) -> None:
    if setting in ("RQ_QUEUES", "JOBQ", "CACHES", "SECRET_KEY", "SECRET_KEY_FALLBACKS"):
        _cache.queues = None
        _cache.options = None
        _cache.extra.clear()


setting_changed.connect(_clear, dispatch_uid="jobq.django_integration.conf")


def clear() -> None:
    """Forget parsed settings (and what was built from them, see :func:`memo`)."""
    _clear(setting="RQ_QUEUES")


def memo() -> dict[str, Any]:
    """A dict that lives as long as the parsed settings, for values built from them."""
    return _cache.extra


# -- RQ_QUEUES -------------------------------------------------------------------


def queues() -> dict[str, QueueConfig]:
    """Every configured queue, parsed and checked (on first call)."""
    if _cache.queues is None:
        _cache.queues = parse_queues(getattr(settings, "RQ_QUEUES", None))
    return _cache.queues


def queue(name: str) -> QueueConfig:
    configured = queues()
    try:
        return configured[name]
    except KeyError:
        raise QueueNotConfigured(name, list(configured)) from None


class QueueNotConfigured(ImproperlyConfigured, KeyError):
    """A queue name that ``RQ_QUEUES`` does not list (a ``KeyError``, as in django-rq)."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        super().__init__(
            f"queue {name!r} is not in settings.RQ_QUEUES (configured: {', '.join(known) or 'none'}); "
            f"add an entry for it, e.g. RQ_QUEUES[{name!r}] = {{'URL': 'redis://localhost:6379/0'}}"
        )

    def __str__(self) -> str:
        return str(self.args[0])


def parse_queues(raw: object) -> dict[str, QueueConfig]:
    if raw is None:
        raise ImproperlyConfigured(
            "settings.RQ_QUEUES is not set; define at least "
            "RQ_QUEUES = {'default': {'URL': 'redis://localhost:6379/0'}}"
        )
    if not isinstance(raw, Mapping) or not raw:
        raise ImproperlyConfigured(
            "settings.RQ_QUEUES must be a non-empty dict of queue name -> settings dict, "
            f"got {raw!r}"
        )
    return {str(name): parse_queue(str(name), entry) for name, entry in raw.items()}


def _error(queue: str, key: str, problem: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"RQ_QUEUES[{queue!r}][{key!r}] {problem}")


def parse_queue(name: str, entry: object) -> QueueConfig:
    if not isinstance(entry, Mapping):
        raise ImproperlyConfigured(
            f"RQ_QUEUES[{name!r}] must be a dict such as {{'URL': 'redis://localhost:6379/0'}}, "
            f"got {entry!r}"
        )
    unknown = [k for k in entry if k not in CONNECTION_KEYS and k not in QUEUE_KEYS]
    if unknown:
        known = ", ".join(CONNECTION_KEYS + QUEUE_KEYS)
        raise _error(name, str(unknown[0]), f"is not a known setting; known keys: {known}")
    source = next((s for s in SOURCES if s in entry), None)
    if source is None:
        raise _error(
            name,
            "HOST",
            "is missing: give the queue a URL, HOST and PORT, UNIX_SOCKET_PATH, "
            "USE_REDIS_CACHE or SENTINELS with MASTER_NAME",
        )
    connection = _connection(name, source, entry)
    used = {source, *SOURCE_KEYS[source], *QUEUE_KEYS}
    return QueueConfig(
        name=name,
        connection=connection,
        default_timeout=_number(name, entry, "DEFAULT_TIMEOUT", allow_negative=True),
        default_result_ttl=_number(name, entry, "DEFAULT_RESULT_TTL", allow_negative=True),
        is_async=_bool(name, entry, "ASYNC", True),
        queue_class=entry.get("QUEUE_CLASS"),
        serializer=entry.get("SERIALIZER"),
        ignored=tuple(k for k in entry if k not in used),
        rate_limit=_rate_limit(name, entry),
        concurrency_limit=_concurrency_limit(name, entry),
    )


def _rate_limit(name: str, entry: Mapping[str, Any]) -> str | None:
    raw = entry.get("RATE_LIMIT")
    if raw is None:
        return None
    try:
        return str(Rate.parse(raw))
    except ValueError as e:
        raise _error(name, "RATE_LIMIT", f"is not a rate: {e}") from None


def _concurrency_limit(name: str, entry: Mapping[str, Any]) -> int | None:
    raw = entry.get("CONCURRENCY_LIMIT")
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_LIMIT:
        raise _error(name, "CONCURRENCY_LIMIT", f"must be a whole number from 1, got {raw!r}")
    return raw


def _connection(name: str, source: str, entry: Mapping[str, Any]) -> ConnectionConfig:
    """Check the keys of ``source`` (messages naming queue and key), then let
    :func:`jobq.connection.parse_settings` read them, once."""
    if source == "USE_REDIS_CACHE":
        return ConnectionConfig(source, cache_alias=_text(name, entry, source))
    if source == "HOST" and "PORT" not in entry:
        raise _error(name, "PORT", "is missing: HOST needs a PORT, e.g. 'PORT': 6379")
    given = {key: _CHECKS[key](name, entry, key) for key in (source, *SOURCE_KEYS[source])}
    if given.get("CLUSTER") and given.get("DB"):
        raise _error(name, "DB", f"must be 0 or absent with CLUSTER: {CLUSTER_DB_ONLY_0}")
    ssl = bool(given.get("SSL")) or (source == "URL" and given["URL"].startswith(_TLS_SCHEMES))
    if ssl and "SSL_CERT_REQS" in given:
        given["SSL_CERT_REQS"] = given["SSL_CERT_REQS"] or "required"
    overrides: dict[str, Any] = {}
    if source == "URL":
        db, cert_reqs = given.pop("DB"), given.pop("SSL_CERT_REQS")
        if db is not None and not given["CLUSTER"]:
            overrides["db"] = db
        if ssl:
            overrides["ssl_cert_reqs"] = cert_reqs
    with configuration_errors():
        parsed = core.parse_settings(given)
    return ConnectionConfig(source, parsed, overrides=tuple(sorted(overrides.items())))


@contextmanager
def configuration_errors() -> Iterator[None]:
    """:mod:`jobq.connection`'s ``ConfigurationError`` as ``ImproperlyConfigured`` (same text)."""
    try:
        yield
    except ConfigurationError as e:
        raise ImproperlyConfigured(str(e)) from e


#: URL schemes that mean TLS (an ``SSL_CERT_REQS`` of "required" unless one is given)
_TLS_SCHEMES = ("rediss://", "valkeys://", "rediss+")


def _url(name: str, entry: Mapping[str, Any], key: str) -> str:
    url = _text(name, entry, key)
    if not url.startswith(URL_SCHEMES):
        raise _error(
            name,
            key,
            "must start with redis://, rediss://, unix://, redis+sentinel:// or "
            f"redis+cluster://, got {url!r}",
        )
    return url


def _text(name: str, entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise _error(name, key, f"must be a non-empty string, got {value!r}")
    return value


def _optional_text(name: str, entry: Mapping[str, Any], key: str) -> str | None:
    return None if entry.get(key) is None else _text(name, entry, key)


def _int(name: str, entry: Mapping[str, Any], key: str) -> int | None:
    """A whole number, or a string of one (``os.environ.get``); None: the default."""
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _error(name, key, f"must be a whole number >= 0, got {value!r}")
    return value


def _number(
    name: str, entry: Mapping[str, Any], key: str, *, allow_negative: bool = False
) -> float | None:
    """Seconds as any duration option takes them (a number, "15m", a timedelta)."""
    value = entry.get(key)
    try:
        number = seconds(value, key)
    except (TypeError, ValueError):
        number = math.nan
    if number is None:
        return None
    if not number >= 0 and not (allow_negative and number == -1):
        extra = " (or -1 for no limit)" if allow_negative else ""
        raise _error(
            name, key, f"must be a number of seconds >= 0{extra} or a string such as '15m', "
            f"got {value!r}"
        )  # fmt: skip
    return number


def _bool(name: str, entry: Mapping[str, Any], key: str, default: bool) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        raise _error(name, key, f"must be True or False, got {value!r}")
    return value


def _cert_reqs(name: str, entry: Mapping[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if value not in ("required", "optional", "none"):
        raise _error(name, key, f"must be 'required', 'optional' or 'none', got {value!r}")
    return str(value)


def _sentinels(name: str, entry: Mapping[str, Any], key: str) -> tuple[tuple[str, int], ...]:
    raw = entry.get(key)
    pairs: list[tuple[str, int]] = []
    if isinstance(raw, list | tuple) and raw:
        for item in raw:
            if (
                isinstance(item, list | tuple)
                and len(item) == 2
                and isinstance(item[0], str)
                and isinstance(item[1], int)
            ):
                pairs.append((item[0], item[1]))
            else:
                pairs = []
                break
    if not pairs:
        raise _error(
            name,
            key,
            f"must be a list of (host, port) pairs, e.g. [('localhost', 26379)], got {raw!r}",
        )
    return tuple(pairs)


def _kwargs(name: str, entry: Mapping[str, Any], key: str) -> tuple[tuple[str, Any], ...]:
    value = entry.get(key, {})
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _error(name, key, f"must be a dict of keyword arguments, got {value!r}")
    return tuple(sorted(value.items()))


def _flag(name: str, entry: Mapping[str, Any], key: str) -> bool:
    return _bool(name, entry, key, False)


#: how each connection key is checked; what a check returns is what
#: jobq.connection.parse_settings reads
_CHECKS: dict[str, Callable[[str, Mapping[str, Any], str], Any]] = {
    "URL": _url, "HOST": _optional_text, "PORT": _int, "DB": _int, "PASSWORD": _optional_text,
    "USERNAME": _optional_text, "SSL": _flag, "SSL_CERT_REQS": _cert_reqs,
    "UNIX_SOCKET_PATH": _text, "SENTINELS": _sentinels, "MASTER_NAME": _text,
    "SOCKET_TIMEOUT": _number, "CONNECTION_KWARGS": _kwargs, "SENTINEL_KWARGS": _kwargs,
    "REDIS_CLIENT_KWARGS": _kwargs, "CLUSTER": _flag,
}  # fmt: skip


# -- JOBQ --------------------------------------------------------------------------


def rq_setting(key: str, default: Any = None) -> Any:
    """A key of django-rq's ``RQ`` setting (read when asked for, as django-rq does)."""
    raw = getattr(settings, "RQ", None) or {}
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(f"settings.RQ must be a dict, got {raw!r}")
    return raw.get(key, default)


def commit_mode() -> str:
    """The commit mode in force: ``RQ['COMMIT_MODE']`` (django-rq's names), else
    ``RQ['AUTOCOMMIT']`` (True: at once, False: when the request finishes, as in
    django-rq), else ``JOBQ['COMMIT_MODE']``."""
    given = rq_setting("COMMIT_MODE")
    if given:
        return parse_commit_mode(given, "settings.RQ['COMMIT_MODE']")
    autocommit = rq_setting("AUTOCOMMIT")
    if autocommit is not None:
        warnings.warn(
            "settings.RQ['AUTOCOMMIT'] is deprecated (as in django-rq); use "
            "RQ['COMMIT_MODE'] = 'auto' / 'request_finished' or JOBQ['COMMIT_MODE']",
            DeprecationWarning,
            stacklevel=2,
        )
        return "immediate" if autocommit else "request_finished"
    return options().commit_mode


def parse_commit_mode(value: object, where: str) -> str:
    mode = DJANGO_RQ_COMMIT_MODES.get(value, value) if isinstance(value, str) else value
    if mode not in COMMIT_MODES:
        raise ImproperlyConfigured(
            f"{where} must be 'on_commit' or 'immediate' (or 'request_finished'; django-rq's "
            f"'auto' and 'on_db_commit' are read as 'immediate' and 'on_commit'), got {value!r}"
        )
    return str(mode)


def options() -> JobqOptions:
    if _cache.options is None:
        _cache.options = parse_options(getattr(settings, "JOBQ", None))
    return _cache.options


def options_dict(where: str, raw: object, known: Sequence[str], what: str) -> Mapping[str, Any]:
    """An options setting (``where``): a dict whose keys are all ``known``."""
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(f"{where} must be a dict, got {raw!r}")
    for key in raw:
        if key not in known:
            raise ImproperlyConfigured(f"{where}[{key!r}] is {what}; known: {', '.join(known)}")
    return raw


def parse_options(raw: object) -> JobqOptions:
    if raw is None:
        return JobqOptions()
    raw = options_dict("settings.JOBQ", raw, JOBQ_KEYS, "not a known option")
    commit_mode = parse_commit_mode(
        raw.get("COMMIT_MODE", "on_commit"), "settings.JOBQ['COMMIT_MODE']"
    )
    record = raw.get("RECORD", "all")
    if record not in RECORD_MODES:
        raise ImproperlyConfigured(
            f"settings.JOBQ['RECORD'] must be 'all', 'scheduled' or 'none', got {record!r}"
        )
    database = raw.get("DATABASE", "default")
    if not isinstance(database, str) or database not in settings.DATABASES:
        raise ImproperlyConfigured(
            f"settings.JOBQ['DATABASE'] must name an entry of settings.DATABASES, got {database!r}"
        )
    return JobqOptions(
        commit_mode=commit_mode,
        record=record,
        database=database,
        allowed_modules=_modules(raw.get("ALLOWED_MODULES")),
        api_token=_api_token(raw.get("API_TOKEN")),
        show_admin_link=bool(raw.get("SHOW_ADMIN_LINK", True)),
        max_payload_bytes=_payload_limit(raw.get("MAX_PAYLOAD_BYTES")),
        secret_key=_secret(raw.get("SECRET_KEY")),
        history=_option_flag(raw, "HISTORY", True),
        view_needs_permission=_option_flag(raw, "VIEW_NEEDS_PERMISSION", False),
    )


def _option_flag(raw: Mapping[str, Any], key: str, default: bool) -> bool:
    if not isinstance(value := raw.get(key, default), bool):
        raise ImproperlyConfigured(f"settings.JOBQ[{key!r}] must be True or False, got {value!r}")
    return value


def _secret(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ImproperlyConfigured(
            "settings.JOBQ['SECRET_KEY'] must be a non-empty string (leave it out to sign "
            f"jobs with a key derived from SECRET_KEY), got {value!r}"
        )
    return value


def signing_keyring() -> Keyring | None:
    """The keys that sign and check jobs in this project: ``JOBQ['SECRET_KEY']``, else
    Django's ``SECRET_KEY`` with its ``SECRET_KEY_FALLBACKS`` (each derived for jobq's
    purpose, never used as is); None only when neither is set."""
    cache = memo()
    if "keyring" not in cache:
        secret: str | bytes | None = options().secret_key
        fallbacks: list[str | bytes] = []
        if secret is None:
            try:
                secret = settings.SECRET_KEY
            except ImproperlyConfigured:  # Django refuses an empty SECRET_KEY
                secret = None
            fallbacks = [f for f in getattr(settings, "SECRET_KEY_FALLBACKS", ()) if f]
        cache["keyring"] = Keyring(secret, fallbacks) if secret else None
    keyring: Keyring | None = cache["keyring"]
    return keyring


def _payload_limit(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ImproperlyConfigured(
            "settings.JOBQ['MAX_PAYLOAD_BYTES'] must be a number of bytes >= 0 (0: no limit), "
            f"got {value!r}"
        )
    return value


def _api_token(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ImproperlyConfigured(f"settings.JOBQ['API_TOKEN'] must be a string, got {value!r}")
    return value


def _modules(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ImproperlyConfigured(
            f"settings.JOBQ['ALLOWED_MODULES'] must be a list of module paths, got {value!r}"
        )
    if not all(isinstance(m, str) and m for m in value):
        raise ImproperlyConfigured(
            f"settings.JOBQ['ALLOWED_MODULES'] entries must be module paths, got {value!r}"
        )
    return tuple(value)


def __getattr__(name: str) -> Any:
    """``QUEUES``: the raw ``RQ_QUEUES`` dict, for code written against django-rq's
    ``django_rq.settings.QUEUES`` (read when asked for, not at import)."""
    if name == "QUEUES":
        queues()  # validate first
        return getattr(settings, "RQ_QUEUES")  # noqa: B009  (not in Django's settings stubs)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

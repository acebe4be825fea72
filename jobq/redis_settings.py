"""Where Redis is: a URL or a settings dict (django-rq's ``RQ_QUEUES`` names)
read into one :class:`RedisSettings`, checked with the key or URL at fault named.
The forms of URL are listed in :mod:`jobq.connection`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import defaults
from .exceptions import ConfigurationError
from .timeutil import seconds

#: why a cluster takes no db number, said the same way wherever it is refused
CLUSTER_DB_ONLY_0 = "a Redis Cluster has only db 0"


def cluster_db_error(what: str) -> ConfigurationError:
    """The error for a db other than 0 with a cluster; ``what`` names the setting."""
    return ConfigurationError(f"{what} names a db other than 0: {CLUSTER_DB_ONLY_0}; leave it out")


def default_url() -> str:
    """The Redis URL when none is given: the environment (JOBQ_REDIS_URL, RQ_REDIS_URL,
    REDIS_URL), else the URL written in ``var/redis.url`` of the current directory (the
    demo writes the URL of the Redis it started there), else redis://localhost:6379/0."""
    for name in ("JOBQ_REDIS_URL", "RQ_REDIS_URL", "REDIS_URL"):
        value = os.environ.get(name)
        if value:
            return value
    return url_from_file(defaults.REDIS_URL_FILE) or defaults.REDIS_URL


def url_from_file(path: str | os.PathLike[str]) -> str | None:
    """The first line of ``path`` if it holds a Redis URL, else None."""
    try:
        with open(path, encoding="utf-8") as f:
            line = f.readline().strip()
    except OSError:
        return None
    return line if "://" in line else None


# -- settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class RedisSettings:
    """Where Redis is and how to talk to it: what a URL or a settings dict says."""

    #: "url" (redis://, rediss://, unix://), "host", "unix", "sentinel" or "cluster"
    kind: str
    url: str | None = None
    host: str = "localhost"
    port: int = 6379
    db: int = 0
    username: str | None = None
    password: str | None = None
    ssl: bool = False
    ssl_cert_reqs: str | None = None
    unix_socket_path: str | None = None
    #: Sentinel addresses (kind "sentinel") or cluster startup nodes (kind "cluster")
    nodes: tuple[tuple[str, int], ...] = ()
    master_name: str | None = None
    socket_timeout: float | None = None
    socket_connect_timeout: float | None = None
    #: extra keyword arguments for the Redis connections, and for the Sentinels
    client_kwargs: tuple[tuple[str, Any], ...] = ()
    sentinel_kwargs: tuple[tuple[str, Any], ...] = ()
    #: the URL the settings were read from, if any (not compared)
    source: str = field(default="", compare=False)


_SENTINEL_SCHEMES = {"redis+sentinel": False, "rediss+sentinel": True}
_CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}


def parse_url(url: str) -> RedisSettings:
    """Settings from a URL (see the module docstring for the forms)."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in _SENTINEL_SCHEMES or scheme in _CLUSTER_SCHEMES:
        return _parse_multi_host(url, scheme)
    if scheme not in ("redis", "rediss", "unix", "valkey", "valkeys"):
        raise ConfigurationError(
            f"invalid Redis URL {url!r}: use redis://, rediss://, unix://, "
            "redis+sentinel://host:port,host:port/master_name/db or redis+cluster://host:port"
        )
    return RedisSettings("url", url=url, source=url)


def _parse_multi_host(url: str, scheme: str) -> RedisSettings:
    rest, _, query = url.split("://", 1)[1].partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, _, hosts = netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    nodes = tuple(_host_port(h, url) for h in hosts.split(",") if h)
    if not nodes:
        raise ConfigurationError(f"invalid Redis URL {url!r}: no host:port given")
    options = {k: v[-1] for k, v in parse_qs(query).items()}
    parts = [p for p in path.split("/") if p]
    common: dict[str, Any] = {
        "nodes": nodes,
        "username": unquote(username) or None,
        "password": unquote(password) or None,
        "socket_timeout": _seconds(options.pop("socket_timeout", None), url),
        "socket_connect_timeout": _seconds(options.pop("socket_connect_timeout", None), url),
        "source": url,
    }
    if scheme in _SENTINEL_SCHEMES:
        if not parts:
            raise ConfigurationError(
                f"invalid Sentinel URL {url!r}: name the master, "
                "redis+sentinel://host:port,host:port/master_name/db"
            )
        sentinel_kwargs = {
            k.removeprefix("sentinel_"): options.pop(k)
            for k in ("sentinel_username", "sentinel_password")
            if k in options
        }
        settings = RedisSettings(
            "sentinel",
            master_name=unquote(parts[0]),
            db=_db(parts[1] if len(parts) > 1 else "0", url),
            ssl=_SENTINEL_SCHEMES[scheme],
            sentinel_kwargs=tuple(sorted(sentinel_kwargs.items())),
            **common,
        )
    else:
        db = _db(parts[0] if parts else "0", url)
        if db != 0:
            raise cluster_db_error(f"the Cluster URL {url!r}")
        settings = RedisSettings("cluster", ssl=_CLUSTER_SCHEMES[scheme], **common)
    if options:
        raise ConfigurationError(
            f"invalid Redis URL {url!r}: unknown option(s) {', '.join(sorted(options))}"
        )
    return settings


def _host_port(text: str, url: str) -> tuple[str, int]:
    parsed = urlsplit(f"//{text}")
    try:
        port = parsed.port
    except ValueError as e:
        raise ConfigurationError(f"invalid Redis URL {url!r}: bad port in {text!r}") from e
    if not parsed.hostname or port is None:
        raise ConfigurationError(f"invalid Redis URL {url!r}: {text!r} is not host:port")
    return parsed.hostname, port


def _db(text: str, url: str) -> int:
    if not text.isdigit():
        raise ConfigurationError(f"invalid Redis URL {url!r}: database {text!r} is not a number")
    return int(text)


def _seconds(text: str | None, url: str) -> float | None:
    try:
        return seconds(text, "a timeout")
    except ValueError as e:
        raise ConfigurationError(f"invalid Redis URL {url!r}: {text!r} is not seconds") from e


#: keys of a settings dict (django-rq's RQ_QUEUES names, plus CLUSTER)
SETTINGS_KEYS = (
    "URL", "HOST", "PORT", "DB", "USERNAME", "PASSWORD", "SSL", "SSL_CERT_REQS",
    "UNIX_SOCKET_PATH", "SENTINELS", "MASTER_NAME", "SOCKET_TIMEOUT", "CONNECTION_KWARGS",
    "SENTINEL_KWARGS", "REDIS_CLIENT_KWARGS", "CLUSTER",
)  # fmt: skip


def _int_setting(mapping: Mapping[str, Any], name: str, default: int) -> int:
    """``PORT``/``DB`` as a number or a string of one; None (an unset environment
    variable) means the default."""
    value = mapping.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ConfigurationError(f"{name} must be a whole number, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} must be a whole number, got {value!r}") from None
    if number < 0:
        raise ConfigurationError(f"{name} must not be negative, got {value!r}")
    return number


def parse_settings(mapping: Mapping[str, Any]) -> RedisSettings:
    """Settings from a dict with django-rq's names: ``URL``; or ``HOST``/``PORT``/``DB``/
    ``USERNAME``/``PASSWORD``/``SSL``; or ``UNIX_SOCKET_PATH``; or ``SENTINELS`` (list of
    (host, port)) with ``MASTER_NAME``, ``SOCKET_TIMEOUT``, ``CONNECTION_KWARGS`` and
    ``SENTINEL_KWARGS``. ``CLUSTER: True`` makes a URL or HOST/PORT a cluster's
    startup node. Precedence as in django-rq: URL, UNIX_SOCKET_PATH, SENTINELS, HOST."""
    unknown = [k for k in mapping if k not in SETTINGS_KEYS]
    if unknown:
        raise ConfigurationError(
            f"unknown Redis setting {unknown[0]!r}; known: {', '.join(SETTINGS_KEYS)}"
        )
    cluster = bool(mapping.get("CLUSTER", False))
    creds: dict[str, Any] = {
        "username": mapping.get("USERNAME"),
        "password": mapping.get("PASSWORD"),
    }
    kwargs = tuple(sorted(dict(mapping.get("CONNECTION_KWARGS") or {}).items()))
    timeout = mapping.get("SOCKET_TIMEOUT")
    if "URL" in mapping:
        settings = parse_url(str(mapping["URL"]))
        if cluster and settings.kind == "url":
            return _url_as_cluster(settings, kwargs, timeout)
        return replace(settings, client_kwargs=kwargs, socket_timeout=timeout)
    if "UNIX_SOCKET_PATH" in mapping and not cluster:
        return RedisSettings(
            "unix",
            unix_socket_path=str(mapping["UNIX_SOCKET_PATH"]),
            db=_int_setting(mapping, "DB", 0),
            client_kwargs=kwargs,
            socket_timeout=timeout,
            **creds,
        )
    if "SENTINELS" in mapping and not cluster:
        if not mapping.get("MASTER_NAME"):
            raise ConfigurationError("SENTINELS needs MASTER_NAME (the monitored master's name)")
        return RedisSettings(
            "sentinel",
            nodes=_pairs(mapping["SENTINELS"]),
            master_name=str(mapping["MASTER_NAME"]),
            db=_int_setting(mapping, "DB", 0),
            socket_timeout=timeout,
            ssl=bool(mapping.get("SSL", False)),
            client_kwargs=kwargs,
            sentinel_kwargs=tuple(sorted(dict(mapping.get("SENTINEL_KWARGS") or {}).items())),
            **creds,
        )
    client_kwargs = tuple(sorted(dict(mapping.get("REDIS_CLIENT_KWARGS") or {}).items()))
    ssl = bool(mapping.get("SSL", False))
    host = str(mapping.get("HOST") or "localhost")
    port = _int_setting(mapping, "PORT", 6379)
    if cluster:
        if _int_setting(mapping, "DB", 0):
            raise cluster_db_error("DB")
        return RedisSettings(
            "cluster",
            nodes=((host, port),),
            ssl=ssl,
            ssl_cert_reqs=mapping.get("SSL_CERT_REQS"),
            client_kwargs=client_kwargs + kwargs,
            socket_timeout=timeout,
            **creds,
        )
    return RedisSettings(
        "host",
        host=host,
        port=port,
        db=_int_setting(mapping, "DB", 0),
        ssl=ssl,
        ssl_cert_reqs=mapping.get("SSL_CERT_REQS"),
        client_kwargs=client_kwargs,
        socket_timeout=timeout,
        **creds,
    )


def _pairs(raw: Any) -> tuple[tuple[str, int], ...]:
    try:
        pairs = tuple((str(host), int(port)) for host, port in raw)
    except (TypeError, ValueError) as e:
        raise ConfigurationError(
            f"SENTINELS must be a list of (host, port) pairs, e.g. [('localhost', 26379)], "
            f"got {raw!r}"
        ) from e
    if not pairs:
        raise ConfigurationError("SENTINELS is empty: list at least one (host, port)")
    return pairs


def _url_as_cluster(
    settings: RedisSettings, kwargs: tuple[tuple[str, Any], ...], timeout: float | None
) -> RedisSettings:
    url = settings.url or ""
    parsed = urlsplit(url)
    if parsed.scheme.startswith("unix"):
        raise ConfigurationError(f"CLUSTER needs a TCP URL, not {url!r}")
    db = parsed.path.strip("/")
    if db not in ("", "0"):
        raise cluster_db_error(f"the URL {url!r}")
    return RedisSettings(
        "cluster",
        nodes=((parsed.hostname or "localhost", parsed.port or 6379),),
        username=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
        ssl=parsed.scheme in ("rediss", "valkeys"),
        client_kwargs=kwargs,
        socket_timeout=timeout,
        source=url,
    )

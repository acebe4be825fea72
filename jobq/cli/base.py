"""What every ``jobq`` command shares: the group, its context, option types."""

from __future__ import annotations

import logging
from typing import Any

import click
import redis

from .. import connection as conn_mod
from .. import timeutil
from .._version import __version__
from ..exceptions import describe as describe  # the CLI's wording, kept importable here

logger = logging.getLogger("jobq.cli")


class Group(click.Group):
    """The ``jobq`` group: any error a command meets ends it with one line on stderr
    and exit status 1, never a traceback (click's own usage errors exit 2); with
    ``--verbose`` the traceback is logged too."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as e:
            # the traceback only where asked for (--verbose logs at DEBUG)
            logger.debug("%s failed", ctx.invoked_subcommand, exc_info=True)
            raise click.ClickException(describe(e)) from e


class Context:
    def __init__(self, url: str | None) -> None:
        self.url = url or conn_mod.default_url()
        self._connection: redis.Redis | None = None

    @property
    def connection(self) -> redis.Redis:
        if self._connection is None:
            self._connection = conn_mod.from_url(self.url)
        return self._connection

    def connection_once_up(self, wait: bool) -> redis.Redis:
        """The connection; with ``wait``, made once Redis answers (a long-running
        command started before its Redis; a cluster client connects as it is made)."""
        if not wait:
            return self.connection
        connection = conn_mod.retry_until_up(lambda: self.connection)
        assert connection is not None  # no stop event: it waits until it has one
        return connection


class Seconds(click.FloatRange):
    """A duration as every option takes it ("90", "15m", "1h"), in a range; nan and
    inf, which pass every range comparison, are refused by the parser."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            number = timeutil.seconds(value, "a duration")
        except (TypeError, ValueError):
            number = None
        if number is None:
            self.fail(f"{value!r} is not a finite number of seconds", param, ctx)
        return super().convert(number, param, ctx)


url_option = click.option(
    "--url",
    "-u",
    envvar=["JOBQ_REDIS_URL", "RQ_REDIS_URL"],
    help="Redis URL (redis://, rediss://, unix://, redis+sentinel://, redis+cluster://; see docs/scaling.md); default env JOBQ_REDIS_URL, RQ_REDIS_URL, REDIS_URL, else the URL in ./var/redis.url (make demo writes it), else redis://localhost:6379/0.",
)


@click.group(cls=Group)
@url_option
@click.version_option(__version__, prog_name="jobq")
@click.pass_context
def main(ctx: click.Context, url: str | None) -> None:
    """jobq: a Redis-backed job queue that speaks rq's API."""
    ctx.obj = Context(url)

"""rq's ``ColorizingStreamHandler`` and ``setup_loghandlers``, so that a LOGGING
setting written for rq (``"class": "rq.logutils.ColorizingStreamHandler"``) works
with the import swapped."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

_COLOURS = {logging.WARNING: "\x1b[33m", logging.ERROR: "\x1b[31m", logging.CRITICAL: "\x1b[31m"}
_RESET = "\x1b[0m"


class ColorizingStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that colours warnings and errors on a terminal.

    ``exclude``: parts of the format (e.g. ``["%(asctime)s"]``) left uncoloured,
    as in rq; the traceback of a record is never coloured."""

    def __init__(self, exclude: Sequence[str] | None = None, *args: Any, **kwargs: Any) -> None:
        self.exclude = list(exclude or [])
        super().__init__(*args, **kwargs)

    @property
    def is_tty(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        colour = _COLOURS.get(record.levelno)
        if not (self.is_tty and colour):
            return message
        first, sep, rest = message.partition("\n")
        return f"{colour}{first}{_RESET}{sep}{rest}"


def setup_loghandlers(
    level: int | str | None = None,
    date_format: str = "%H:%M:%S",
    log_format: str = "%(asctime)s %(message)s",
    name: str = "jobq.worker",
) -> None:
    """Give logger ``name`` a colouring handler (stdout below ERROR, stderr from it)."""
    logger = logging.getLogger(name)
    if not logger.handlers:
        formatter = logging.Formatter(fmt=log_format, datefmt=date_format)
        out = ColorizingStreamHandler(stream=sys.stdout)
        out.addFilter(lambda r: r.levelno < logging.ERROR)
        err = ColorizingStreamHandler(stream=sys.stderr)
        err.addFilter(lambda r: r.levelno >= logging.ERROR)
        for handler in (out, err):
            handler.setFormatter(formatter)
            logger.addHandler(handler)
    if level is not None:
        logger.setLevel(level if isinstance(level, int) else level.upper())

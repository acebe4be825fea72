"""Numbers read from Redis, parsed strictly and within bounds.

Nothing read from Redis is trusted: a job hash may have been edited by hand, so a
field is a number only if it is plain decimal text (no ``nan``, ``inf``, ``0x10``,
``1_000`` or spaces, which ``float()`` would take) within the bounds its use allows.
The Lua steps apply the same rule (``int_field`` in ``lua/includes/fields.lua``).
"""

from __future__ import annotations

import re

_DECIMAL = re.compile(rb"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")

#: attempts a job may have at most (Retry(max) stays below); as the Lua steps' MAX_ATTEMPTS
MAX_ATTEMPTS = 100_000
#: the largest counter a job keeps (attempts, lost); as the Lua steps' MAX_COUNT
MAX_COUNT = 1_000_000_000
#: the longest job timeout or TTL in seconds (about 300 years); longer is garbage
MAX_SECONDS = 1e10
#: the latest time in ms a job's timestamps may hold (the year 9999)
MAX_MS = 253_402_300_799_999


def number(raw: bytes | str | None, lo: float, hi: float) -> float | None:
    """The decimal number in ``raw`` if it lies in [lo, hi], else None."""
    if raw is None:
        return None
    data = raw.encode() if isinstance(raw, str) else bytes(raw)
    if not _DECIMAL.fullmatch(data):
        return None
    value = float(data)
    return value if lo <= value <= hi else None


def whole(raw: bytes | str | None, lo: int, hi: int) -> int | None:
    """The whole decimal number in ``raw`` if it lies in [lo, hi], else None."""
    value = number(raw, lo, hi)
    return int(value) if value is not None and value.is_integer() else None

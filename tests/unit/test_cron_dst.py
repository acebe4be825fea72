"""Cron next-slot computation in explicit zones, across DST changes (no Redis, no clock)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from jobq.scheduler.cron import CronSpec, from_ms, local_zone_name, to_ms

UTC = dt.UTC


def slots(expr: str, tz: str, start: dt.datetime, n: int) -> list[str]:
    """The next ``n`` slots after ``start``, as 'local wall time+offset'."""
    spec, zone, t = CronSpec(expr, tz), ZoneInfo(tz), to_ms(start)
    out = []
    for _ in range(n):
        nxt = spec.next_after(t)
        assert nxt is not None and nxt > t
        t = nxt
        out.append(from_ms(t).astimezone(zone).strftime("%m-%d %H:%M%z"))
    return out


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_plain_days_in_utc() -> None:
    assert slots("0 12 * * *", "UTC", utc(2024, 1, 1), 2) == [
        "01-01 12:00+0000",
        "01-02 12:00+0000",
    ]


def test_strictly_after_even_on_a_slot() -> None:
    spec = CronSpec("*/5 * * * *")
    on_slot = to_ms(utc(2024, 1, 1, 10, 5))
    assert spec.next_after(on_slot) == to_ms(utc(2024, 1, 1, 10, 10))
    assert spec.next_after(on_slot - 1) == on_slot


def test_zone_shifts_the_wall_time() -> None:
    # 09:00 in Athens (winter, +02:00) is 07:00 UTC
    spec = CronSpec("0 9 * * *", "Europe/Athens")
    assert from_ms(spec.next_after(to_ms(utc(2024, 1, 10))) or 0) == utc(2024, 1, 10, 7)


# -- Europe/Athens: 2024-03-31 03:00 -> 04:00 (EET -> EEST); 2024-10-27 04:00 -> 03:00


def test_athens_skipped_hour_fixed_time_fires_at_the_jump() -> None:
    # 03:30 does not exist on 03-31: the run happens once, when clocks jump to 04:00
    assert slots("30 3 * * *", "Europe/Athens", utc(2024, 3, 29, 12), 3) == [
        "03-30 03:30+0200",
        "03-31 04:00+0300",
        "04-01 03:30+0300",
    ]


def test_athens_skipped_hour_collapses_several_wall_times_into_one_run() -> None:
    # 03:00 and 03:30 are both in the gap; they and the 04:00 slot make one run
    assert slots("*/30 2-4 * * *", "Europe/Athens", utc(2024, 3, 30, 23, 45), 4) == [
        "03-31 02:00+0200",
        "03-31 02:30+0200",
        "03-31 04:00+0300",
        "03-31 04:30+0300",
    ]


def test_athens_skipped_hour_every_hour_follows_elapsed_time() -> None:
    got = slots("*/15 * * * *", "Europe/Athens", utc(2024, 3, 31, 0, 30), 4)
    assert got == ["03-31 02:45+0200", "03-31 04:00+0300", "03-31 04:15+0300", "03-31 04:30+0300"]
    # 15 real minutes apart, also across the jump
    t0 = to_ms(utc(2024, 3, 31, 0, 30))
    spec = CronSpec("*/15 * * * *", "Europe/Athens")
    a = spec.next_after(t0)
    assert a is not None
    b = spec.next_after(a)
    assert b is not None and b - a == 15 * 60_000


def test_athens_repeated_hour_fixed_time_fires_once() -> None:
    assert slots("30 3 * * *", "Europe/Athens", utc(2024, 10, 26, 12), 2) == [
        "10-27 03:30+0300",  # first occurrence only
        "10-28 03:30+0200",
    ]


def test_athens_repeated_hour_every_hour_fires_in_both_passes() -> None:
    assert slots("*/20 * * * *", "Europe/Athens", utc(2024, 10, 26, 23, 30), 8) == [
        "10-27 02:40+0300",
        "10-27 03:00+0300",
        "10-27 03:20+0300",
        "10-27 03:40+0300",
        "10-27 03:00+0200",
        "10-27 03:20+0200",
        "10-27 03:40+0200",
        "10-27 04:00+0200",
    ]


def test_athens_repeated_hour_from_inside_each_pass() -> None:
    spec = CronSpec("*/20 * * * *", "Europe/Athens")
    first_pass_0350 = to_ms(utc(2024, 10, 27, 0, 50))  # 03:50 EEST
    assert from_ms(spec.next_after(first_pass_0350) or 0) == utc(2024, 10, 27, 1, 0)  # 03:00 EET
    second_pass_0310 = to_ms(utc(2024, 10, 27, 1, 10))  # 03:10 EET
    assert from_ms(spec.next_after(second_pass_0310) or 0) == utc(2024, 10, 27, 1, 20)
    fixed = CronSpec("30 3 * * *", "Europe/Athens")
    second_pass_0300 = to_ms(utc(2024, 10, 27, 1, 0))  # past the first 03:30 already
    assert from_ms(fixed.next_after(second_pass_0300) or 0) == utc(2024, 10, 28, 1, 30)


# -- America/New_York: 2024-03-10 02:00 -> 03:00 (EST -> EDT); 2024-11-03 02:00 -> 01:00


def test_new_york_skipped_hour_fixed_time_fires_at_the_jump() -> None:
    assert slots("30 2 * * *", "America/New_York", utc(2024, 3, 9), 3) == [
        "03-09 02:30-0500",
        "03-10 03:00-0400",
        "03-11 02:30-0400",
    ]


def test_new_york_skipped_hour_hourly_loses_no_real_hour() -> None:
    assert slots("0 * * * *", "America/New_York", utc(2024, 3, 10, 5, 30), 3) == [
        "03-10 01:00-0500",
        "03-10 03:00-0400",  # one real hour after 01:00 EST
        "03-10 04:00-0400",
    ]


def test_new_york_repeated_hour() -> None:
    assert slots("30 1 * * *", "America/New_York", utc(2024, 11, 2, 12), 2) == [
        "11-03 01:30-0400",
        "11-04 01:30-0500",
    ]
    assert slots("*/30 * * * *", "America/New_York", utc(2024, 11, 3, 4, 10), 6) == [
        "11-03 00:30-0400",
        "11-03 01:00-0400",
        "11-03 01:30-0400",
        "11-03 01:00-0500",
        "11-03 01:30-0500",
        "11-03 02:00-0500",
    ]


def test_intervals_between_every_hour_slots_are_constant_across_both_changes() -> None:
    for tz, start in (
        ("Europe/Athens", utc(2024, 3, 30, 20)),
        ("Europe/Athens", utc(2024, 10, 26, 20)),
        ("America/New_York", utc(2024, 3, 10, 3)),
        ("America/New_York", utc(2024, 11, 3, 2)),
    ):
        spec, t = CronSpec("*/10 * * * *", tz), to_ms(start)
        seen = []
        for _ in range(60):
            nxt = spec.next_after(t)
            assert nxt is not None
            seen.append(nxt - t)
            t = nxt
        assert set(seen[1:]) == {600_000}, tz


def test_seconds_field() -> None:
    spec = CronSpec("* * * * * */10")
    assert spec.next_after(to_ms(utc(2024, 1, 1, 0, 0, 1))) == to_ms(utc(2024, 1, 1, 0, 0, 10))


def test_never_matching_expression_has_no_next() -> None:
    assert CronSpec("0 0 30 2 *").next_after(to_ms(utc(2024, 1, 1))) is None


@pytest.mark.parametrize("bad", ["", "bad", "61 * * * *", "* * * *", "0 25 * * *", 5])
def test_invalid_cron_string(bad: object) -> None:
    with pytest.raises(ValueError, match="invalid cron string"):
        CronSpec(bad)  # type: ignore[arg-type]


def test_unknown_zone() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        CronSpec("* * * * *", "Mars/Olympus")


def test_local_zone_name_reads_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert local_zone_name() == "Asia/Tokyo"
    monkeypatch.setenv("TZ", ":Europe/Athens")
    assert local_zone_name() == "Europe/Athens"

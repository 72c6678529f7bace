"""Fire times across DST changes (Europe/Berlin, 2026) and with the clock moved by an hour."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.daemon.triggers import WallClockCronTrigger, daemon_trigger
from monitor.schedule import parse_schedule

BERLIN = ZoneInfo("Europe/Berlin")
SPRING = datetime(2026, 3, 29, tzinfo=BERLIN)  # 02:00 CET -> 03:00 CEST
AUTUMN = datetime(2026, 10, 25, tzinfo=BERLIN)  # 03:00 CEST -> 02:00 CET


def fire_times(schedule: str, start: datetime, end: datetime) -> list[datetime]:
    """Successive fire times as the scheduler computes them (previous fire time, now)."""
    trigger = daemon_trigger(parse_schedule(schedule), "Europe/Berlin")
    times: list[datetime] = []
    previous: datetime | None = None
    now = start
    while True:
        nxt = trigger.get_next_fire_time(previous, now)
        if nxt is None or nxt > end:
            return times
        assert not times or nxt.astimezone(UTC) > times[-1].astimezone(UTC), "must increase"
        times.append(nxt)
        previous = now = nxt


def gaps(times: list[datetime]) -> list[timedelta]:
    return [b.astimezone(UTC) - a.astimezone(UTC) for a, b in itertools.pairwise(times)]


@pytest.mark.parametrize("day", [SPRING, AUTUMN], ids=["spring", "autumn"])
@pytest.mark.parametrize("schedule", ["0 7 * * *", "30 2 * * *", "0 2 * * *", "15 3 * * *"])
def test_daily_cron_fires_once_per_day_across_dst(day: datetime, schedule: str) -> None:
    times = fire_times(schedule, day - timedelta(days=3), day + timedelta(days=3))
    per_day = Counter(t.astimezone(BERLIN).date() for t in times)
    assert len(times) == 6  # one per day from day-3 00:00 to day+3 00:00 (exclusive)
    assert all(count == 1 for count in per_day.values()), per_day  # no burst
    assert all(timedelta(hours=22) <= g <= timedelta(hours=26) for g in gaps(times))  # no stall


@pytest.mark.parametrize("day", [SPRING, AUTUMN], ids=["spring", "autumn"])
def test_hourly_cron_fires_every_real_hour_across_dst(day: datetime) -> None:
    times = fire_times("0 * * * *", day - timedelta(hours=2), day + timedelta(hours=8))
    assert all(g == timedelta(hours=1) for g in gaps(times)), gaps(times)


@pytest.mark.parametrize("day", [SPRING, AUTUMN], ids=["spring", "autumn"])
def test_interval_is_absolute_across_dst(day: datetime) -> None:
    trigger = daemon_trigger(parse_schedule("every 30 minutes"), "Europe/Berlin")
    times: list[datetime] = []
    previous: datetime | None = None
    now = day
    for _ in range(20):
        previous = now = trigger.get_next_fire_time(previous, now)
        times.append(now)
    assert all(g == timedelta(minutes=30) for g in gaps(times))


def test_fixed_hour_jobs_never_repeat_a_wall_clock_time_in_autumn() -> None:
    times = fire_times("0,30 1-3 * * *", AUTUMN, AUTUMN + timedelta(hours=6))
    walls = [t.astimezone(BERLIN).strftime("%H:%M") for t in times]
    assert walls == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]


def test_plain_trigger_is_a_wall_clock_trigger_subclass() -> None:
    trigger = daemon_trigger(parse_schedule("0 7 * * *"), "UTC")
    assert isinstance(trigger, WallClockCronTrigger)


# The clock moved by an hour (and by a year): tests/daemon/test_clock_jumps.py, through the real
# scheduler on a controlled clock.

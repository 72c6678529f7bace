"""Schedules as operators write them: ``"every 30 minutes"`` or a five-field cron expression."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

_EVERY = re.compile(r"^every\s+(?:(\d+)\s+)?(second|minute|hour|day|week)s?$", re.IGNORECASE)
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: either a fixed interval or a cron expression."""

    source: str
    interval: timedelta | None = None
    cron: str | None = None

    def trigger(self, timezone: str = "UTC") -> Any:
        """Return the APScheduler 3.x trigger for this schedule."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        if self.interval is not None:
            return IntervalTrigger(seconds=int(self.interval.total_seconds()), timezone=timezone)
        assert self.cron is not None
        return CronTrigger.from_crontab(self.cron, timezone=timezone)

    @property
    def nominal_period(self) -> timedelta:
        """The typical time between runs (for cron: measured over the next few fire times)."""
        if self.interval is not None:
            return self.interval
        from datetime import UTC, datetime

        trigger = self.trigger()
        now = datetime(2026, 1, 5, tzinfo=UTC)
        first = trigger.get_next_fire_time(None, now)
        second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
        return second - first


def parse_schedule(text: str) -> Schedule:
    """Parse ``"every N minutes|hours|…"`` or a five-field cron expression; raise ValueError."""
    value = " ".join(text.split())
    match = _EVERY.match(value)
    if match:
        count = int(match.group(1) or 1)
        if count <= 0:
            raise ValueError(f"interval must be positive in {text!r}")
        return Schedule(
            value, interval=timedelta(seconds=count * _UNIT_SECONDS[match.group(2).lower()])
        )
    fields = value.split(" ")
    if len(fields) != 5:
        raise ValueError(
            f"{text!r} is neither 'every N minutes|hours|days' nor a 5-field cron expression"
        )
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {text!r}: {exc}") from exc
    return Schedule(value, cron=value)

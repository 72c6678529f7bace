"""Triggers for the daemon: APScheduler's, minus the daily double run when clocks fall back.

APScheduler 3.x's CronTrigger fires ``30 2 * * *`` twice on the night the clocks go back (at 02:30
summer time and again at 02:30 winter time). A cron job with fixed hours should run once per wall
clock time, as cron does; jobs with a wildcard hour (``0 * * * *``) keep firing every real hour.
On the night the clocks go forward, the missing 02:30 fires once, at 03:30 (never skipped).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from monitor.schedule import Schedule


class WallClockCronTrigger(CronTrigger):
    """A CronTrigger whose fire times never go back in local wall-clock time."""

    def _hour_is_fixed(self) -> bool:
        hour = next(f for f in self.fields if f.name == "hour")
        return "*" not in str(hour)

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        candidate: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        if previous_fire_time is None or candidate is None or not self._hour_is_fixed():
            return candidate
        previous_wall = previous_fire_time.astimezone(self.timezone).replace(tzinfo=None, fold=0)
        wall = candidate.astimezone(self.timezone).replace(tzinfo=None, fold=0)
        if wall > previous_wall:
            return candidate
        # The clocks went back: resume after the second occurrence of the previous wall time.
        repeated = previous_wall.replace(tzinfo=self.timezone, fold=1).astimezone(UTC)
        result: datetime | None = super().get_next_fire_time(
            None, max(repeated, now.astimezone(UTC)) + timedelta(microseconds=1)
        )
        return result


def daemon_trigger(schedule: Schedule, timezone: str) -> Any:
    """The APScheduler trigger the daemon uses for ``schedule`` in ``timezone``."""
    if schedule.cron is not None:
        return WallClockCronTrigger.from_crontab(schedule.cron, timezone=timezone)
    return schedule.trigger(timezone)

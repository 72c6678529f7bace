"""Clock jumps on a controlled clock (issue 12): a year ahead and back, through the real
scheduler (APScheduler's loop, job store and executor), never by real waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.daemon.scheduler import DaemonScheduler, JobSpec, make_scheduler, sync_jobs
from monitor.db.engine import Database
from monitor.schedule import parse_schedule

GRACE = 6 * 3600
YEAR = timedelta(days=365)


class Clock:
    """A wall clock and a monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.wall = datetime(2026, 6, 1, 6, 0, 30, tzinfo=UTC)
        self.mono = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        """Real time passes: both clocks move."""
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds

    def jump(self, by: timedelta) -> None:
        """The wall clock is set (a second of real time passes)."""
        self.wall += by
        self.mono += 1.0


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The controlled clock, also as APScheduler's ``datetime.now`` (loop, misfire check, an
    interval's start)."""
    controlled = Clock()

    class ControlledDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return controlled.wall.astimezone(tz) if tz is not None else controlled.wall

        @classmethod
        def fromtimestamp(cls, t: float, tz: Any = None) -> Any:
            return datetime.fromtimestamp(t, tz)  # a plain datetime: the job store pickles it

    monkeypatch.setattr("apscheduler.schedulers.base.datetime", ControlledDatetime)
    monkeypatch.setattr("apscheduler.executors.base.datetime", ControlledDatetime)
    monkeypatch.setattr("apscheduler.triggers.interval.datetime", ControlledDatetime)
    return controlled


@pytest.fixture
def fire_time_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many fire times the triggers computed (a counting wrapper around the real method)."""
    calls = [0]
    for cls in (IntervalTrigger, CronTrigger):
        real = cls.get_next_fire_time

        def counting(self: Any, previous: Any, now: Any, _real: Any = real) -> Any:
            calls[0] += 1
            return _real(self, previous, now)

        monkeypatch.setattr(cls, "get_next_fire_time", counting)
    return calls


@pytest.fixture
def scheduler(sqlite_db: Database, clock: Clock) -> Iterator[DaemonScheduler]:
    started = make_scheduler(
        sqlite_db.engine, timezone="UTC", misfire_grace_seconds=GRACE,
        wall_clock=clock.now, monotonic=clock.monotonic,
    )  # fmt: skip
    started.start(paused=True)
    # Only the test runs the loop (``_process``): the scheduler's own thread, woken by resume()
    # or a job change, would process concurrently at the same controlled time (a race).
    started.wakeup = lambda: None  # type: ignore[method-assign]
    yield started
    del started.wakeup  # the real wakeup again, so shutdown() can stop the thread
    started.shutdown(wait=True)


class Submissions:
    """The run times APScheduler submitted, per job (its own event)."""

    def __init__(self, scheduler: DaemonScheduler) -> None:
        self.runs: list[datetime] = []
        self._lock = threading.Lock()
        scheduler.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)

    def _on_submitted(self, event: JobSubmissionEvent) -> None:
        with self._lock:
            self.runs.extend(event.scheduled_run_times)

    def count(self) -> int:
        with self._lock:
            return len(self.runs)


def _start(scheduler: DaemonScheduler, schedule: str, clock: Clock) -> Submissions:
    spec = JobSpec("j", "tests.daemon.jobfuncs:record", ("j",), parse_schedule(schedule), "j")
    sync_jobs(scheduler, [spec], timezone="UTC", misfire_grace_seconds=GRACE, now=clock.wall)
    submissions = Submissions(scheduler)
    scheduler.resume()
    return submissions


def _process(scheduler: DaemonScheduler) -> None:
    """One pass of the scheduler's loop at the controlled time (what its thread does), once the
    runs already submitted have finished: with ``max_instances = 1`` a run still in the
    executor's thread (a busy machine) would make APScheduler skip the next one."""
    executor = scheduler._lookup_executor("default")
    deadline = time.monotonic() + 30
    while any(executor._instances.values()) and time.monotonic() < deadline:
        time.sleep(0.005)
    scheduler._process_jobs()


def _next_run(scheduler: DaemonScheduler) -> datetime:
    job = scheduler.get_job("j")
    assert job is not None and job.next_run_time is not None
    return job.next_run_time.astimezone(UTC)


@pytest.mark.parametrize("schedule", ["every 1 minute", "* * * * *", "0 7 * * *"])
def test_a_year_ahead_and_back_neither_floods_nor_stalls(
    scheduler: DaemonScheduler,
    clock: Clock,
    fire_time_calls: list[int],
    schedule: str,
    recorder: Any,
) -> None:
    submissions = _start(scheduler, schedule, clock)
    _process(scheduler)
    before = submissions.count()
    clock.advance(61)
    _process(scheduler)
    period_runs = submissions.count() - before  # one run per minute, none for the daily job

    fire_time_calls[0] = 0
    clock.jump(YEAR)
    _process(scheduler)
    # Not 525,601 fire times for the one-minute job: at most the misfire grace's worth.
    assert fire_time_calls[0] <= GRACE // 60 + 10
    assert scheduler.clock_jumps == [YEAR - timedelta(seconds=1)]
    after_jump = submissions.count()
    if period_runs:
        assert after_jump - before - period_runs == 1  # one coalesced run, not a flood

    clock.jump(-YEAR)  # corrected
    _process(scheduler)
    assert len(scheduler.clock_jumps) == 2 and scheduler.clock_jumps[1] < -YEAR / 2
    natural = parse_schedule(schedule)
    wait = _next_run(scheduler) - clock.wall
    assert timedelta(0) < wait <= (natural.interval or timedelta(days=1))  # not a year
    clock.advance(wait.total_seconds())
    _process(scheduler)
    assert submissions.count() == after_jump + 1  # back on its schedule


def test_down_for_a_year_catches_up_once_without_computing_every_missed_run(
    sqlite_db: Database, clock: Clock, fire_time_calls: list[int], recorder: Any
) -> None:
    """The daemon was stopped for a year: the first pass after start skips to within the grace."""
    first = make_scheduler(
        sqlite_db.engine, timezone="UTC", misfire_grace_seconds=GRACE,
        wall_clock=clock.now, monotonic=clock.monotonic,
    )  # fmt: skip
    first.start(paused=True)
    spec = JobSpec(
        "j", "tests.daemon.jobfuncs:record", ("j",), parse_schedule("every 1 minute"), "j"
    )
    sync_jobs(first, [spec], timezone="UTC", misfire_grace_seconds=GRACE, now=clock.wall)
    first.shutdown()
    clock.jump(YEAR)
    second = make_scheduler(
        sqlite_db.engine, timezone="UTC", misfire_grace_seconds=GRACE,
        wall_clock=clock.now, monotonic=clock.monotonic,
    )  # fmt: skip
    second.start(paused=True)
    second.wakeup = lambda: None  # type: ignore[method-assign]  # only the test runs the loop
    try:
        submissions = Submissions(second)
        fire_time_calls[0] = 0
        second.resume()
        _process(second)
        assert fire_time_calls[0] <= GRACE // 60 + 10
        assert submissions.count() == 1
        assert timedelta(0) < _next_run(second) - clock.wall <= timedelta(minutes=1)
    finally:
        del second.wakeup
        second.shutdown(wait=True)


HOURLY_SCHEDULES = ["every 30 minutes", "*/30 * * * *", "0 7 * * *"]


@pytest.mark.parametrize("schedule", HOURLY_SCHEDULES)
def test_clock_jumping_forward_an_hour_gives_one_run(
    scheduler: DaemonScheduler, clock: Clock, schedule: str, recorder: Any
) -> None:
    submissions = _start(scheduler, schedule, clock)
    _process(scheduler)
    due = _next_run(scheduler)
    clock.jump(due - clock.wall + timedelta(hours=1, minutes=1))
    _process(scheduler)
    assert submissions.count() == 1  # not two or three
    assert _next_run(scheduler) > clock.wall
    clock.advance(1)
    _process(scheduler)
    assert submissions.count() == 1


@pytest.mark.parametrize("schedule", HOURLY_SCHEDULES)
def test_clock_jumping_back_an_hour_neither_repeats_nor_stalls(
    scheduler: DaemonScheduler, clock: Clock, schedule: str, recorder: Any
) -> None:
    submissions = _start(scheduler, schedule, clock)
    _process(scheduler)
    due = _next_run(scheduler)
    clock.advance((due - clock.wall).total_seconds())
    _process(scheduler)
    assert submissions.runs == [due]  # ran on time
    remaining = _next_run(scheduler) - clock.wall
    clock.jump(-timedelta(hours=1))
    _process(scheduler)
    assert submissions.count() == 1  # nothing runs again
    remaining_now = _next_run(scheduler) - clock.wall
    # The next run keeps its distance in real time (intervals), or its wall-clock time (a daily
    # cron waits the hour the clock went back): it neither comes early nor stalls.
    assert remaining - timedelta(seconds=1) <= remaining_now <= remaining + timedelta(hours=1)
    clock.advance(remaining_now.total_seconds() - 1)
    _process(scheduler)
    assert submissions.count() == 1
    clock.advance(1)
    _process(scheduler)
    assert submissions.count() == 2  # which fires once the clock gets there

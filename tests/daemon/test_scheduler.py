"""The scheduler: re-sync with the config, catch-up runs, coalescing, the lease, fail-fast start."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import update

from monitor.config import load_config
from monitor.daemon import scheduler as daemon_scheduler
from monitor.daemon.health import scheduled_jobs
from monitor.daemon.scheduler import (
    DaemonError,
    JobSpec,
    acquire_scheduler_lease,
    desired_jobs,
    make_scheduler,
    run_daemon,
    sync_jobs,
    validate_specs,
)
from monitor.db.engine import Database
from monitor.db.leases import SCHEDULER_LEASE, default_holder, lease_holder
from monitor.db.models import Lease, utcnow
from monitor.schedule import parse_schedule
from tests.daemon import jobfuncs
from tests.daemon.conftest import source

GRACE = 6 * 3600
RECORD = "tests.daemon.jobfuncs:record"


@pytest.fixture
def schedulers(db: Database) -> Iterator[Callable[..., BackgroundScheduler]]:
    """Start schedulers on the test database (paused, as the daemon does); shut them down after."""
    started: list[BackgroundScheduler] = []

    def _start(grace: int = GRACE, timezone: str = "UTC") -> BackgroundScheduler:
        scheduler = make_scheduler(db.engine, timezone=timezone, misfire_grace_seconds=grace)
        scheduler.start(paused=True)
        started.append(scheduler)
        return scheduler

    yield _start
    for scheduler in started:
        if scheduler.running:
            scheduler.shutdown(wait=True)


def _sync(scheduler: BackgroundScheduler, specs: list[JobSpec], grace: int = GRACE):  # type: ignore[no-untyped-def]
    return sync_jobs(scheduler, specs, timezone="UTC", misfire_grace_seconds=grace)


def test_resync_removes_dropped_sources_and_keeps_stored_next_run_times(
    db: Database, schedulers: Callable[..., BackgroundScheduler], write_config: Callable[..., Path]
) -> None:
    path = write_config(db.url, [source("a"), source("b")])
    first = schedulers()
    result = _sync(first, desired_jobs(load_config(path)))
    assert set(result.added) == {"crawl:a", "crawl:b", "housekeeping", "health"}
    stored = datetime(2031, 1, 1, 12, 0, tzinfo=UTC)
    first.modify_job("crawl:b", next_run_time=stored)
    housekeeping_next = first.get_job("housekeeping").next_run_time
    first.shutdown()

    path = write_config(db.url, [source("b"), source("c", "every 10 minutes")])
    second = schedulers()
    result = _sync(second, desired_jobs(load_config(path)))
    assert result.removed == ["crawl:a"]
    assert result.added == ["crawl:c"]
    assert {"crawl:b", "housekeeping", "health"} <= set(result.kept)
    assert second.get_job("crawl:a") is None
    assert second.get_job("crawl:b").next_run_time == stored
    assert second.get_job("housekeeping").next_run_time == housekeeping_next
    second.shutdown()

    path = write_config(db.url, [source("b", "every 5 minutes"), source("c", "every 10 minutes")])
    third = schedulers()
    result = _sync(third, desired_jobs(load_config(path)))
    assert result.rescheduled == ["crawl:b"]
    assert "crawl:c" in result.kept
    assert third.get_job("crawl:b").next_run_time <= utcnow() + timedelta(minutes=5)


def test_sync_updates_attributes_in_place(
    db: Database, schedulers: Callable[..., BackgroundScheduler], write_config: Callable[..., Path]
) -> None:
    path = write_config(db.url, [source("a")])
    first = schedulers()
    _sync(first, desired_jobs(load_config(path)))
    stored = datetime(2031, 1, 1, tzinfo=UTC)
    first.modify_job("crawl:a", next_run_time=stored)
    first.shutdown()
    second = schedulers(grace=60)
    result = _sync(second, desired_jobs(load_config(path)), grace=60)
    assert "crawl:a" in result.modified
    job = second.get_job("crawl:a")
    assert job.misfire_grace_time == 60 and job.coalesce and job.max_instances == 1
    assert job.next_run_time == stored


def _daily_spec() -> JobSpec:
    return JobSpec("digest:daily", RECORD, ("daily",), parse_schedule("0 7 * * *"), "daily")


@pytest.mark.usefixtures("recorder")
@pytest.mark.parametrize(("grace", "expected_runs"), [(GRACE, 1), (1, 0)])
def test_daily_job_missed_while_down_runs_once_on_start(
    db: Database,
    schedulers: Callable[..., BackgroundScheduler],
    grace: int,
    expected_runs: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Down 06:55-07:10: with the configured grace the 07:00 digest runs once on start; with
    APScheduler's default-like 1 s grace it would be silently skipped."""
    spec = _daily_spec()
    first = schedulers(grace)
    _sync(first, [spec], grace)
    first.modify_job(spec.id, next_run_time=utcnow() - timedelta(minutes=10))
    first.shutdown()

    second = schedulers(grace)
    missed = threading.Event()

    def _on_missed(event: JobExecutionEvent) -> None:
        missed.set()

    second.add_listener(_on_missed, EVENT_JOB_MISSED)
    assert spec.id in _sync(second, [spec], grace).kept
    second.resume()
    if expected_runs:
        assert jobfuncs.wait_for(lambda: jobfuncs.count("daily") == 1)
    else:  # outside the grace: skipped with one line, before APScheduler computes run times
        assert jobfuncs.wait_for(
            lambda: any("missed its runs" in r.getMessage() for r in caplog.records)
        )
        assert not missed.is_set()
    assert jobfuncs.wait_for(lambda: second.get_job(spec.id).next_run_time > utcnow())
    assert second.get_job(spec.id).next_run_time.hour == 7
    assert jobfuncs.count("daily") == expected_runs


@pytest.mark.usefixtures("recorder")
def test_down_for_a_day_gives_one_catch_up_run(
    db: Database, schedulers: Callable[..., BackgroundScheduler]
) -> None:
    spec = JobSpec("crawl:x", RECORD, ("x",), parse_schedule("every 30 minutes"), "x")
    first = schedulers()
    _sync(first, [spec])
    day_ago = utcnow() - timedelta(days=1)  # as if the job had been created a day ago
    first.reschedule_job(spec.id, trigger=IntervalTrigger(minutes=30, start_date=day_ago))
    first.modify_job(spec.id, next_run_time=day_ago)
    first.shutdown()

    second = schedulers()
    _sync(second, [spec])
    second.resume()
    assert jobfuncs.wait_for(lambda: jobfuncs.count("x") >= 1)
    assert jobfuncs.wait_for(lambda: second.get_job(spec.id).next_run_time > utcnow())
    assert jobfuncs.count("x") == 1  # 48 missed fire times, one run


@pytest.mark.usefixtures("recorder")
def test_new_crawl_job_runs_right_away(
    db: Database, schedulers: Callable[..., BackgroundScheduler]
) -> None:
    spec = JobSpec(
        "crawl:y", RECORD, ("y",), parse_schedule("every 1 day"), "y", run_now_when_new=True
    )
    scheduler = schedulers()
    _sync(scheduler, [spec])
    scheduler.resume()
    assert jobfuncs.wait_for(lambda: jobfuncs.count("y") == 1)


# --- fail-fast start-up ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        "monitor.daemon.jobs:no_such_function",
        "monitor.daemon.no_such_module:crawl_source",
        "tests.daemon.jobfuncs:calls",  # not callable
        "not a reference",
    ],
)
def test_validate_specs_rejects_bad_references(ref: str) -> None:
    spec = JobSpec("bad", ref, (), parse_schedule("every 1 hour"), "bad")
    with pytest.raises(DaemonError, match="job bad"):
        validate_specs([spec])


def test_desired_jobs_are_valid(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    path = write_config(
        f"sqlite:///{tmp_path / 'x.db'}",
        [source("a"), source("off", enabled=False)],
        email={"recipients": [{"address": "a@example.org", "frequency": "weekly"}]},
    )
    specs = desired_jobs(load_config(path))
    validate_specs(specs)
    ids = [spec.id for spec in specs]
    assert ids == ["crawl:a", "digest:instant", "digest:weekly", "housekeeping", "health"]
    weekly = next(s for s in specs if s.id == "digest:weekly")
    assert weekly.schedule.cron == "0 7 * * 1"


@pytest.mark.usefixtures("daemon_logging")
def test_start_fails_fast_on_a_bad_reference(
    sqlite_db: Database,
    write_config: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_config(sqlite_db.url, [source("a")])
    monkeypatch.setattr(daemon_scheduler, "HEALTH_FUNC", "monitor.daemon.jobs:no_such_job")
    assert run_daemon(path) == 1
    assert scheduled_jobs(sqlite_db) == []  # refused before any job was stored
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: job health: bad function reference")
    assert lease_holder(sqlite_db, SCHEDULER_LEASE) is None


# --- one scheduler per database ---------------------------------------------------------------


def test_second_scheduler_is_refused_and_expired_lease_taken_over(db: Database) -> None:
    acquire_scheduler_lease(db, "host-a:101", 60)
    with pytest.raises(DaemonError) as info:
        acquire_scheduler_lease(db, "host-b:202", 60)
    assert str(info.value) == "another scheduler holds the database (host-a:101)"
    acquire_scheduler_lease(db, "host-a:101", 60)  # our own lease: renewed

    past = utcnow() - timedelta(seconds=1)
    db.write(
        lambda s: s.execute(
            update(Lease).where(Lease.name == SCHEDULER_LEASE).values(expires_at=past)
        )
    )
    acquire_scheduler_lease(db, "host-b:202", 60)
    holder = lease_holder(db, SCHEDULER_LEASE)
    assert holder is not None and holder.holder == "host-b:202"


def test_lease_of_a_dead_local_daemon_is_taken_over(db: Database) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    acquire_scheduler_lease(db, f"{socket.gethostname()}:{dead.pid}", 3600)
    acquire_scheduler_lease(db, "me:1", 60)
    holder = lease_holder(db, SCHEDULER_LEASE)
    assert holder is not None and holder.holder == "me:1"


@pytest.mark.usefixtures("daemon_logging")
def test_second_daemon_on_the_same_database_exits_with_one_line(
    sqlite_db: Database, write_config: Callable[..., Path]
) -> None:
    path = write_config(sqlite_db.url)
    stop = threading.Event()
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(run_daemon(path, stop_event=stop)))
    thread.start()
    try:
        me = default_holder()
        assert jobfuncs.wait_for(
            lambda: (h := lease_holder(sqlite_db, SCHEDULER_LEASE)) is not None and h.holder == me
        )
        second = subprocess.run(
            [sys.executable, "-m", "monitor.daemon", "--config", str(path)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode == 1
        assert second.stderr.strip().splitlines() == [
            f"error: another scheduler holds the database ({me})"
        ]
    finally:
        stop.set()
        thread.join(30)
    assert codes == [0]
    assert lease_holder(sqlite_db, SCHEDULER_LEASE) is None  # released on a clean stop


@pytest.mark.usefixtures("daemon_logging")
def test_daemon_refuses_an_uninitialised_database(
    tmp_path: Path, write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(f"sqlite:///{tmp_path / 'empty.db'}")
    assert run_daemon(path) == 1
    assert "monitor init" in capsys.readouterr().err


@pytest.mark.usefixtures("daemon_logging")
def test_daemon_reports_a_bad_config_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[daemon]\nmisfire_grace_seconds = 0\n", encoding="utf-8")
    assert run_daemon(path) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "misfire_grace_seconds" in err[0]

"""Crawl jobs hand polls to the worker through poll_requests; the child wrapper's death signal."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.config import load_config
from monitor.daemon import jobs
from monitor.daemon.scheduler import Daemon
from monitor.db.engine import Database
from monitor.db.models import PollRequest, PollStatus
from monitor.db.polls import claim_polls, finish_poll
from tests.daemon import jobfuncs
from tests.daemon.conftest import source
from tests.daemon.test_health import add_run


def _daemon(path: Path, db: Database) -> Daemon:
    """The daemon object the scheduled jobs run against (not started: no scheduler, no worker)."""
    return Daemon(path, load_config(path), db, worker=False)


def _worker_thread(db: Database, outcome: dict[str, Any], status: PollStatus) -> threading.Thread:
    """A stand-in crawl worker on the real table: claims the queued poll, writes ``outcome``."""

    def _work() -> None:
        for _ in range(200):
            claims = claim_polls(db, "test-worker:1:1", 5)
            if claims:
                for claim in claims:
                    finish_poll(db, claim.id, "test-worker:1:1", status, outcome, None)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=_work)
    thread.start()
    return thread


def test_crawl_job_queues_a_poll_and_logs_the_outcome_from_its_row(
    sqlite_db: Database,
    write_config: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_config(sqlite_db.url, [source("a")])
    digests: list[str] = []
    monkeypatch.setattr(jobs, "send_digest_job", lambda d, f: digests.append(f))
    outcome = {"source": "a", "status": "ok", "counts": {"new": 2, "not_matching": 5}}
    worker = _worker_thread(sqlite_db, outcome, PollStatus.DONE)
    with caplog.at_level(logging.INFO, logger="monitor.daemon"):
        jobs.crawl_source(_daemon(path, sqlite_db), "a")
    worker.join(10)
    lines = [r for r in caplog.records if r.getMessage() == "crawl of a ok"]
    assert len(lines) == 1
    assert lines[0].counts == {"new": 2, "not_matching": 5}  # type: ignore[attr-defined]
    with sqlite_db.session() as session:
        (row,) = session.scalars(select(PollRequest))
        assert row.requested_by == "scheduler" and row.status == "done"
        assert row.outcome == outcome
    assert digests == []  # no recipients: no instant digest


def test_failed_poll_is_a_warning(
    sqlite_db: Database, write_config: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    path = write_config(sqlite_db.url, [source("a")])
    outcome = {"source": "a", "status": "failed", "counts": {}, "errors": ["boom"]}
    worker = _worker_thread(sqlite_db, outcome, PollStatus.FAILED)
    with caplog.at_level(logging.INFO, logger="monitor.daemon"):
        jobs.crawl_source(_daemon(path, sqlite_db), "a")  # does not raise
    worker.join(10)
    record = next(r for r in caplog.records if r.getMessage() == "crawl of a failed")
    assert record.levelno == logging.WARNING


def test_adaptive_polling_skips_a_tick(
    sqlite_db: Database,
    write_config: Callable[..., Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_config(sqlite_db.url, [source("a", "every 1 hour")])
    for minutes in (180, 120, 61):
        add_run(sqlite_db, "a", "ok", {"not_matching": 1}, ago=timedelta(minutes=minutes))
    with caplog.at_level(logging.INFO, logger="monitor.daemon"):
        jobs.crawl_source(_daemon(path, sqlite_db), "a")
    assert any("skipped: nothing new in 3 runs" in r.getMessage() for r in caplog.records)
    with sqlite_db.session() as session:
        assert session.scalar(select(func.count()).select_from(PollRequest)) == 0


def test_shutdown_releases_a_waiting_crawl_job(
    sqlite_db: Database, write_config: Callable[..., Path]
) -> None:
    path = write_config(sqlite_db.url, [source("a")])
    daemon = _daemon(path, sqlite_db)
    thread = threading.Thread(target=jobs.crawl_source, args=(daemon, "a"))
    thread.start()
    assert jobfuncs.wait_for(lambda: _count(sqlite_db) == 1)
    daemon.stopping.set()
    thread.join(10)
    assert not thread.is_alive()
    with sqlite_db.session() as session:  # the poll stays queued for the next worker
        assert session.scalar(select(PollRequest.status)) == "queued"


def _count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(PollRequest)) or 0)


CHILD = """
import os, signal, sys, time
def stop(*_):
    open(sys.argv[1] + ".term", "w").write("SIGTERM")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
open(sys.argv[1], "w").write(str(os.getpid()))
time.sleep(60)
"""


def test_two_daemons_in_one_process_keep_their_own_state(
    tmp_path: Path, write_config: Callable[..., Path], sqlite_db: Database
) -> None:
    """No module-level state: stopping one daemon object leaves another one's jobs running."""
    path = write_config(sqlite_db.url, [source("a")])
    one, two = _daemon(path, sqlite_db), _daemon(path, sqlite_db)
    one.stopping.set()
    jobs.crawl_source(one, "a")  # returns at once: nothing queued
    assert _count(sqlite_db) == 0
    outcome = {"source": "a", "status": "ok", "counts": {}}
    worker = _worker_thread(sqlite_db, outcome, PollStatus.DONE)
    jobs.crawl_source(two, "a")
    worker.join(10)
    assert _count(sqlite_db) == 1


def test_the_executor_hands_the_daemon_to_daemon_jobs(
    sqlite_db: Database, write_config: Callable[..., Path], recorder: Any
) -> None:
    from apscheduler.triggers.date import DateTrigger

    from monitor.daemon.scheduler import make_scheduler

    path = write_config(sqlite_db.url)
    daemon = _daemon(path, sqlite_db)
    scheduler = make_scheduler(
        sqlite_db.engine, timezone="UTC", misfire_grace_seconds=60, context=daemon
    )
    scheduler.start()
    try:
        scheduler.add_job("tests.daemon.jobfuncs:record_daemon", DateTrigger(), args=["k"])
        scheduler.add_job("tests.daemon.jobfuncs:record", DateTrigger(), args=["plain"])
        assert recorder.wait_for(lambda: recorder.daemons["k"] and recorder.count("plain"))
    finally:
        scheduler.shutdown(wait=True)
    assert recorder.daemons["k"] == [daemon]  # a daemon job got the daemon; a plain job did not


def test_crawl_child_gets_sigterm_when_the_daemon_is_killed(tmp_path: Path) -> None:
    """The daemon dies by SIGKILL: its crawl child is told (and records its run as interrupted)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("parent-death signal is Linux only")
    pid_file = tmp_path / "child.pid"
    fake_daemon = subprocess.Popen(
        [
            sys.executable, "-c",
            "import os, subprocess, sys, time\n"
            "subprocess.Popen([sys.executable, '-m', 'monitor.daemon.child', str(os.getpid()),"
            " '--', sys.executable, '-c', sys.argv[1], sys.argv[2]])\n"
            "time.sleep(60)\n",
            CHILD, str(pid_file),
        ],
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    try:
        assert jobfuncs.wait_for(lambda: pid_file.exists() and pid_file.read_text() != "")
        os.kill(fake_daemon.pid, signal.SIGKILL)
        fake_daemon.wait()
        assert jobfuncs.wait_for(lambda: (tmp_path / "child.pid.term").exists())
    finally:
        if fake_daemon.poll() is None:
            fake_daemon.kill()


def test_child_wrapper_usage() -> None:
    from monitor.daemon.child import main

    assert main(["1"]) == 2


def test_an_unexpected_job_error_is_logged_with_its_traceback_and_counted(
    sqlite_db: Database,
    write_config: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug in a scheduled job does not stop the scheduler thread, and it is not silent:
    one ERROR line with the traceback and a count per job kind on the daemon."""
    from monitor.daemon import housekeeping

    def _bug(db: Database, config: Any) -> dict[str, int]:
        raise RuntimeError("a bug in housekeeping")

    monkeypatch.setattr(housekeeping, "run_housekeeping", _bug)
    daemon = _daemon(write_config(sqlite_db.url, [source("a")]), sqlite_db)
    with caplog.at_level(logging.INFO, logger="monitor.daemon"):
        jobs.housekeeping(daemon)
        jobs.housekeeping(daemon)
    errors = [r for r in caplog.records if r.getMessage() == "housekeeping failed"]
    assert len(errors) == 2 and all(r.levelno == logging.ERROR and r.exc_info for r in errors)
    assert daemon.job_failures == {"housekeeping": 2}

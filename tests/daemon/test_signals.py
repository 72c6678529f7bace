"""The daemon process: SIGHUP reloads (a bad file is logged and ignored), SIGTERM stops cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from monitor.daemon.health import scheduled_jobs
from monitor.db.engine import Database
from monitor.db.leases import SCHEDULER_LEASE, lease_holder
from tests.daemon.conftest import source
from tests.daemon.jobfuncs import wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_sighup_reloads_and_sigterm_stops(
    sqlite_db: Database, write_config: Callable[..., Path], tmp_path: Path
) -> None:
    path = write_config(sqlite_db.url, [source("a", "every 1 hour")])
    log = tmp_path / "daemon.log"
    daemon = subprocess.Popen(
        [sys.executable, "-m", "monitor.daemon", "--config", str(path)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
    )  # fmt: skip

    def job_ids() -> set[str]:
        return {job.id for job in scheduled_jobs(sqlite_db)}

    try:
        assert wait_for(lambda: "crawl:a" in job_ids(), timeout=30), log.read_text()
        # the first crawl of a new source runs at once; whatever it does, the daemon survives
        assert wait_for(lambda: "crawl of a" in log.read_text(), timeout=60), log.read_text()

        write_config(sqlite_db.url, [source("b", "every 2 hours")])
        daemon.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "crawl:b" in job_ids() and "crawl:a" not in job_ids(), 30)
        # the jobs are stored before the line is logged: wait for it, too
        assert wait_for(lambda: "config reloaded" in log.read_text(), 30), log.read_text()

        path.write_text("[daemon]\nlease_seconds = 'soon'\n", encoding="utf-8")
        daemon.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "config reload failed" in log.read_text(), 30)
        failed = [line for line in log.read_text().splitlines() if "reload failed" in line]
        assert len(failed) == 1 and "lease_seconds" in failed[0]
        assert daemon.poll() is None and "crawl:b" in job_ids()

        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(60) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    assert lease_holder(sqlite_db, SCHEDULER_LEASE) is None
    assert "daemon stopped" in log.read_text()

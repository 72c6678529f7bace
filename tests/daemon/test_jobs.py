"""Crawl children: timeouts, crashes, SIGTERM on stop and on the daemon's death; the job lines."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.daemon import jobs
from monitor.db.engine import Database
from tests.daemon import jobfuncs
from tests.daemon.conftest import source
from tests.daemon.test_health import add_run


def _fake_crawl(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    """Replace the crawl child's command with a Python snippet (argv: config path, source)."""

    def _command(config_path: str | Path, source_name: str, trigger: str) -> list[str]:
        return [sys.executable, "-c", textwrap.dedent(code), str(config_path), source_name]

    monkeypatch.setattr(jobs, "crawl_command", _command)


def test_crawl_timeout_stops_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_crawl(monkeypatch, "import time; time.sleep(60)")
    started = time.monotonic()
    code = jobs.run_crawl_child("x.toml", "a", trigger="scheduled", timeout=0.5)
    assert code == -signal.SIGTERM
    assert time.monotonic() - started < 10
    assert jobs.running_children() == []


def test_crashing_crawl_is_logged_and_the_job_returns(
    sqlite_db: Database,
    write_config: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_config(sqlite_db.url, [source("a")])
    _fake_crawl(monkeypatch, "import os; os.abort()")
    with caplog.at_level(logging.INFO, logger="monitor.daemon"):
        jobs.crawl_source(str(path), "a")  # does not raise
    record = next(r for r in caplog.records if "without a crawl run" in r.getMessage())
    assert record.exit_code == -signal.SIGABRT  # type: ignore[attr-defined]


FAKE_CRAWL_OK = """
    import sys
    from monitor.config import load_config
    from monitor.db.engine import Database
    from monitor.db.repository import finish_crawl_run, start_crawl_run
    config = load_config(sys.argv[1])
    db = Database(config.database.url)
    run = start_crawl_run(db, sys.argv[2], trigger="scheduled")
    finish_crawl_run(db, run, status="ok", counts={"new": 2, "not_matching": 5}, errors=[])
"""


def test_crawl_job_logs_one_line_with_the_runs_counts(
    sqlite_db: Database,
    write_config: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_config(sqlite_db.url, [source("a")])
    _fake_crawl(monkeypatch, FAKE_CRAWL_OK)
    digests: list[str] = []
    monkeypatch.setattr(jobs, "send_digest_job", lambda p, f: digests.append(f))
    with caplog.at_level(logging.INFO, logger="monitor.daemon"):
        jobs.crawl_source(str(path), "a")
    lines = [r for r in caplog.records if r.getMessage() == "crawl of a ok"]
    assert len(lines) == 1
    assert lines[0].counts == {"new": 2, "not_matching": 5}  # type: ignore[attr-defined]
    assert lines[0].status == "ok" and lines[0].exit_code == 0  # type: ignore[attr-defined]
    assert digests == []  # no recipients: no instant digest


def test_adaptive_polling_skips_a_tick(
    sqlite_db: Database,
    write_config: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_config(sqlite_db.url, [source("a", "every 1 hour")])
    for minutes in (180, 120, 61):
        add_run(sqlite_db, "a", "ok", {"not_matching": 1}, ago=timedelta(minutes=minutes))
    _fake_crawl(monkeypatch, "raise SystemExit('must not run')")
    with caplog.at_level(logging.INFO, logger="monitor.daemon"):
        jobs.crawl_source(str(path), "a")
    assert any("skipped: nothing new in 3 runs" in r.getMessage() for r in caplog.records)


def test_stop_sends_sigterm_to_running_crawls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker, ready = tmp_path / "terminated", tmp_path / "ready"
    _fake_crawl(
        monkeypatch,
        f"""
        import signal, sys, time
        def stop(*_):
            open({str(marker)!r}, "w").write("interrupted")
            sys.exit(0)
        signal.signal(signal.SIGTERM, stop)
        open({str(ready)!r}, "w").write("ready")
        time.sleep(60)
        """,
    )
    codes: list[int | None] = []
    thread = threading.Thread(
        target=lambda: codes.append(jobs.run_crawl_child("x", "a", trigger="scheduled", timeout=60))
    )
    thread.start()
    assert jobfuncs.wait_for(lambda: ready.exists() and jobs.running_children() != [])
    jobs.begin_shutdown()
    jobs.terminate_children(grace_seconds=10)
    thread.join(10)
    assert codes == [0]
    assert marker.read_text() == "interrupted"


CHILD = """
import os, signal, sys, time
def stop(*_):
    open(sys.argv[1] + ".term", "w").write("SIGTERM")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
open(sys.argv[1], "w").write(str(os.getpid()))
time.sleep(60)
"""


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

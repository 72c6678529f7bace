"""The embedded deployment: ``monitor run`` is the scheduler plus one long-running crawl worker.

Polls travel through ``poll_requests``: the worker takes many polls without restarting, writes
each outcome into its row; ``monitor crawl`` reaches the running daemon through the same rows;
a worker killed by SIGKILL mid-poll is restarted and its poll re-queued, nothing lost or doubled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.db.engine import Database
from monitor.db.leases import parse_holder
from monitor.db.migrate import upgrade
from monitor.db.models import Article, CrawlRun, PollRequest
from tests.daemon.conftest import render_toml
from tests.daemon.jobfuncs import wait_for
from tests.daemon.killkit import ARTICLES, KILL_AFTER, NewsSite

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("alpha", "beta", "gamma")

pytestmark = pytest.mark.slow


def test_one_worker_serves_scheduled_and_manual_polls_and_survives_kill_9(
    tmp_path: Path, sites: dict[str, NewsSite]
) -> None:
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    config = {
        "database": {"url": url},
        "crawl": {
            "per_domain_concurrency": 1,
            "concurrent_requests": 4,
            "autothrottle": False,
            "retry_times": 0,
            "download_timeout": 10,
        },
        "daemon": {"lease_ttl_seconds": 3600, "heartbeat_seconds": 2, "adaptive_polling": False},
        "sources": [
            {
                "name": name,
                "feeds": [f"{web.base}/feed.xml"],
                "allow_private": True,
                "schedule": "every 1 hour",
                # gamma is not scheduled: only `monitor crawl --source gamma` polls it
                "enabled": name != "gamma",
            }
            for name, web in sites.items()
        ],
    }
    path = tmp_path / "monitor.toml"
    path.write_text(render_toml(config), encoding="utf-8")
    db = Database(url)
    upgrade(db)
    log_file = tmp_path / "run.log"

    def polls() -> list[PollRequest]:
        with db.session() as session:
            rows = list(session.scalars(select(PollRequest).order_by(PollRequest.id)))
            session.expunge_all()
            return rows

    def check(condition: Callable[[], bool], what: str) -> None:
        if not wait_for(condition, timeout=90, interval=0.1):
            rows = [(p.id, p.source_name, p.status, p.claimed_by, p.outcome) for p in polls()]
            tail = log_file.read_text()[-4000:]
            pytest.fail(f"timed out waiting for {what}; polls={rows}\n{tail}")

    daemon = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(path), "run"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log_file.open("wb"),
    )  # fmt: skip
    manual: subprocess.Popen[str] | None = None
    try:
        # 1. the scheduler queues the first poll of each enabled source; one worker runs both
        check(
            lambda: len(polls()) == 2 and all(p.status == "done" for p in polls()),
            "the scheduled polls",
        )
        first = polls()
        worker = {p.claimed_by for p in first}
        assert len(worker) == 1
        (holder,) = worker
        assert holder is not None
        worker_pid = parse_holder(holder).pid
        assert worker_pid not in (None, daemon.pid)
        for row in first:
            assert row.requested_by == "scheduler"
            assert row.outcome is not None and row.outcome["status"] == "ok"
            assert row.outcome["counts"]["new"] == ARTICLES
            with db.session() as session:
                run = session.get(CrawlRun, row.crawl_run_id)
                assert run is not None and run.source_name == row.source_name
                assert run.status == "ok" and run.trigger == "scheduled"

        # 2. `monitor crawl` while the daemon runs goes through the same worker
        manual = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(path), "crawl",
             "--source", "gamma"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "COLUMNS": "200"},
        )  # fmt: skip
        check(
            lambda: (
                sites["gamma"].article_fetches() >= KILL_AFTER
                and any(p.source_name == "gamma" and p.status == "running" for p in polls())
            ),
            "the manual poll in progress",
        )
        (running,) = [p for p in polls() if p.source_name == "gamma"]
        assert running.requested_by == "cli" and running.claimed_by == holder

        # 3. kill -9 the worker mid-poll: the daemon restarts it and the poll is re-queued
        os.kill(worker_pid, signal.SIGKILL)  # type: ignore[arg-type]
        out, _ = manual.communicate(timeout=120)
        assert manual.returncode == 0, out
        assert "queued 1 poll(s) for the running daemon" in out
        assert "crawl summary" in out and "gamma" in out
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(60) == 0
    finally:
        for process in (daemon, manual):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()

    log = log_file.read_text()
    assert "re-queued 1 poll(s) of a dead worker" in log
    (gamma,) = [p for p in polls() if p.source_name == "gamma"]
    assert gamma.status == "done" and gamma.attempts == 2
    assert gamma.claimed_by != holder  # a fresh worker finished it
    assert gamma.outcome is not None and gamma.outcome["status"] == "ok"
    with db.session() as session:
        stored = list(session.scalars(select(Article.canonical_url)))
        runs = {r.id: r.status for r in session.scalars(select(CrawlRun))}
    assert len(stored) == len(set(stored)) == ARTICLES * len(SOURCES)
    assert "interrupted" in runs.values()  # the killed poll's run, closed by the next worker
    assert "running" not in runs.values()
    db.dispose()

"""``kill -9`` of ``monitor run`` and of its crawl children mid-crawl (a power cut, the OOM
killer), then a restart: the leases of the dead processes are taken over at once, so the next
poll of every source runs long before their (deliberately long) TTL, and nothing is lost or
stored twice."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.db.engine import Database
from monitor.db.leases import SCHEDULER_LEASE, list_leases, parse_holder, source_lease_name
from monitor.db.migrate import upgrade
from monitor.db.models import Article, CrawlRun
from tests.daemon.conftest import render_toml
from tests.daemon.jobfuncs import wait_for
from tests.daemon.killkit import ARTICLES, KILL_AFTER, NewsSite, kill

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("alpha", "beta")

pytestmark = pytest.mark.slow


def test_kill_9_of_monitor_run_and_its_crawls_then_restart(
    tmp_path: Path, sites: dict[str, NewsSite]
) -> None:
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    config = {
        "database": {"url": url},
        "crawl": {
            "per_domain_concurrency": 1,
            "concurrent_requests": 2,
            "autothrottle": False,
            "retry_times": 0,
            "download_timeout": 10,
        },
        # A TTL far longer than the test: only the dead-holder takeover can explain a quick
        # recovery; the old behaviour ("skipped: already running elsewhere") fails the test.
        "daemon": {"lease_ttl_seconds": 3600, "heartbeat_seconds": 5, "adaptive_polling": False},
        "sources": [
            {
                "name": name,
                "feeds": [f"{web.base}/feed.xml"],
                "allow_private": True,
                "schedule": "every 2 seconds",
            }
            for name, web in sites.items()
        ],
    }
    path = tmp_path / "monitor.toml"
    path.write_text(render_toml(config), encoding="utf-8")
    db = Database(url)
    upgrade(db)
    logs: list[Path] = []

    def start() -> subprocess.Popen[bytes]:
        log_file = tmp_path / f"run-{len(logs)}.log"
        logs.append(log_file)
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(path), "run"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log_file.open("wb"),
        )  # fmt: skip

    def runs() -> list[CrawlRun]:
        with db.session() as session:
            found = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
            session.expunge_all()
            return found

    def check(condition: Callable[[], bool], what: str) -> None:
        if not wait_for(condition, timeout=90, interval=0.1):
            details = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs)
            history = [(r.id, r.source_name, r.status, r.counts) for r in runs()]
            pytest.fail(f"timed out waiting for {what}; runs={history}\n{details}")

    def leases() -> dict[str, Any]:
        return {lease.name: lease for lease in list_leases(db)}

    daemon = start()
    try:
        # 1. both sources mid-crawl: a running run and a held lease each, some pages fetched
        check(
            lambda: all(
                sites[name].article_fetches() >= KILL_AFTER
                and source_lease_name(name) in leases()
                and any(r.source_name == name and r.status == "running" for r in runs())
                for name in SOURCES
            ),
            "both sources mid-crawl",
        )
        # 2. power cut: the crawl children (the lease holders) and the daemon, all by SIGKILL
        held = leases()
        crawl_pids = {parse_holder(held[source_lease_name(n)].holder).pid for n in SOURCES}
        for pid in crawl_pids:
            assert pid is not None and pid != daemon.pid
            kill(pid)
        daemon.kill()
        daemon.wait(10)
        check(  # SIGKILL is delivered asynchronously
            lambda: all(lease.holder_dead for lease in leases().values()), "the holders to die"
        )
        stale = leases()
        assert all(stale[source_lease_name(n)].holder_dead for n in SOURCES)
        assert stale[SCHEDULER_LEASE].holder_dead
        assert not any(lease.expired for lease in stale.values())
        killed = {r.id for r in runs() if r.status == "running"}
        assert {r.source_name for r in runs() if r.id in killed} == set(SOURCES)
        assert any(sites[n].article_fetches() < ARTICLES for n in SOURCES)

        # 3. restart: a poll of every source completes while the dead leases are still unexpired
        boundary = max(r.id for r in runs())
        daemon = start()
        check(
            lambda: all(
                any(r.source_name == n and r.status == "ok" and r.id > boundary for r in runs())
                for n in SOURCES
            ),
            "a completed poll of every source after the restart",
        )
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(60) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()

    log = logs[-1].read_text()
    assert "already running elsewhere" not in log
    for name in SOURCES:
        assert f"took over lease {source_lease_name(name)} from dead process" in log
    assert f"took over lease {SCHEDULER_LEASE} from dead process" in log
    history = {r.id: r for r in runs()}
    assert all(history[i].status == "interrupted" for i in killed)
    assert not [r for r in history.values() if r.status == "running"]
    with db.session() as session:
        stored = list(session.scalars(select(Article.canonical_url)))
    assert len(stored) == len(set(stored)) == ARTICLES * len(SOURCES)
    for web in sites.values():
        port = web.base.rsplit(":", 1)[1]
        assert sum(f":{port}/" in url for url in stored) == ARTICLES
    db.dispose()

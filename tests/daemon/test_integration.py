"""End to end: the daemon on a local news site with second-level schedules, a manual crawl during
a scheduled one, ``kill -9`` of the daemon mid-crawl, a restart; then every article is stored once,
the crawl history is truthful and every alert reached the local SMTP server once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.db.engine import Database
from monitor.db.migrate import upgrade
from monitor.db.models import AlertDelivery, Article, CrawlRun, OperatorAlert, Story
from tests.daemon.conftest import render_toml
from tests.daemon.jobfuncs import wait_for
from tests.daemon.killkit import ARTICLES, ROOT, Mailbox, NewsSite

pytestmark = [pytest.mark.slow]


def _text(message: Message) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    texts = []
    for part in parts:
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(texts)


def test_kill_restart_manual_crawl_end_to_end(
    tmp_path: Path, site: NewsSite, mailbox: Mailbox
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
        "daemon": {"lease_seconds": 30, "adaptive_polling": False},
        "email": {
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "timeout_seconds": 5,
            "recipients": [{"address": "analyst@example.org", "frequency": "instant"}],
        },
        "sources": [
            {
                "name": "local",
                "feeds": [f"{site.base}/feed.xml"],
                "allow_private": True,
                "schedule": "every 2 seconds",
            }
        ],
    }
    path = tmp_path / "monitor.toml"
    path.write_text(render_toml(config), encoding="utf-8")
    db = Database(url)
    upgrade(db)
    logs: list[Path] = []

    def start_daemon() -> subprocess.Popen[bytes]:
        log_file = tmp_path / f"daemon-{len(logs)}.log"
        logs.append(log_file)
        return subprocess.Popen(
            [sys.executable, "-m", "monitor.daemon", "--config", str(path)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log_file.open("wb"),
        )  # fmt: skip

    def runs() -> list[CrawlRun]:
        with db.session() as session:
            found = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
            session.expunge_all()
            return found

    def scalar(query: Any) -> Any:
        with db.session() as session:
            return session.scalar(query)

    def check(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
        if not wait_for(condition, timeout=timeout, interval=0.1):
            details = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs)
            history = [(r.id, r.trigger, r.status, r.counts) for r in runs()]
            pytest.fail(f"timed out waiting for {what}; runs={history}\n{details}")

    manual: subprocess.Popen[bytes] | None = None
    daemon = start_daemon()
    try:
        # 1. a scheduled crawl is under way (it has fetched some but not all articles)
        check(
            lambda: (
                site.article_fetches() >= 3
                and any(r.status == "running" and r.trigger == "scheduled" for r in runs())
            ),
            "a scheduled crawl in progress",
        )
        killed = next(r for r in runs() if r.status == "running" and r.trigger == "scheduled")
        # 2. a manual crawl of the same source while the scheduled one runs
        manual = subprocess.Popen(
            [sys.executable, "-m", "monitor.crawl", "--config", str(path),
             "--source", "local", "--trigger", "manual"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=(tmp_path / "manual.log").open("wb"),
        )  # fmt: skip
        logs.append(tmp_path / "manual.log")
        # 3. kill -9 the daemon mid-crawl: its child is told and records the run as interrupted
        assert site.article_fetches() < ARTICLES
        os.kill(daemon.pid, signal.SIGKILL)
        daemon.wait(10)
        check(
            lambda: next(r for r in runs() if r.id == killed.id).status != "running",
            "the killed run to be closed",
        )
        assert manual.wait(90) == 0
        # 4. restart: it takes over the dead daemon's lease and carries on
        daemon = start_daemon()
        restarted = datetime.now(UTC)
        check(
            lambda: (
                scalar(select(func.count()).select_from(Article)) == ARTICLES
                and any(
                    r.trigger == "scheduled" and r.status == "ok" and r.started_at > restarted
                    for r in runs()
                )
            ),
            "all articles and a scheduled crawl after the restart",
        )
        check(
            lambda: (
                scalar(select(func.count()).select_from(AlertDelivery)) > 0
                and scalar(
                    select(func.count())
                    .select_from(AlertDelivery)
                    .where(AlertDelivery.status != "sent")
                )
                == 0
            ),
            "every alert sent",
        )
        # 5. a later crawl fetches no article again
        fetched = site.article_fetches()
        done = len(runs())
        check(lambda: any(r.status == "ok" for r in runs()[done:]), "one more crawl")
        assert site.article_fetches() == fetched
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(60) == 0
    finally:
        for process in (daemon, manual):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()

    # every article stored once, each page fetched at most twice (once more if killed in flight)
    with db.session() as session:
        stored = list(session.scalars(select(Article.canonical_url)))
        titles = [t for t in session.scalars(select(Story.title))]
        deliveries = list(session.scalars(select(AlertDelivery)))
        operator_alerts = session.scalar(select(func.count()).select_from(OperatorAlert))

    def bare(url: str) -> str:  # canonical URLs may be normalised to https
        return url.split("://", 1)[1]

    assert sorted(map(bare, stored)) == sorted(bare(site.url(i)) for i in range(ARTICLES))
    article_fetches = {p: n for p, n in site.served.items() if p.startswith("/news/")}
    assert all(n <= 2 for n in article_fetches.values()), article_fetches

    # the crawl history is truthful
    history = runs()
    by_id = {r.id: r for r in history}
    assert by_id[killed.id].status == "interrupted"
    assert by_id[killed.id].finished_at is not None
    assert not [r for r in history if r.status == "running"]
    assert {r.status for r in history} <= {"ok", "partial", "interrupted"}
    assert any(r.trigger == "manual" for r in history)

    # every alert delivered once
    assert operator_alerts == 0
    assert len(deliveries) == len(titles) and all(d.status == "sent" for d in deliveries)
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == len(set(ids))
    bodies = [_text(m) for m in mailbox.messages]
    for title in titles:
        assert sum(title in body for body in bodies) == 1, title

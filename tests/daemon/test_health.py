"""Source health, operator alerts (raised once, resolved when cleared), adaptive polling,
housekeeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.config import MonitorConfig, load_config
from monitor.daemon.health import (
    adaptive_decision,
    evaluate_alerts,
    poll_factor_for,
    scheduled_jobs,
    source_health,
)
from monitor.daemon.housekeeping import run_housekeeping
from monitor.db.engine import Database
from monitor.db.leases import acquire_lease, source_lease_name
from monitor.db.models import Article, CrawlRun, Lease, OperatorAlert, SeenUrl, utcnow
from monitor.db.repository import record_seen_urls, source_id
from tests.daemon.conftest import source

NOW = utcnow()


def add_run(
    db: Database,
    name: str,
    status: str,
    counts: dict[str, Any] | None = None,
    *,
    ago: timedelta = timedelta(hours=1),
    errors: list[Any] | None = None,
) -> int:
    def _add(session: Any) -> int:
        run = CrawlRun(
            source_id=source_id(session, name),
            source_name=name,
            trigger="scheduled",
            started_at=NOW - ago,
            finished_at=None if status == "running" else NOW - ago + timedelta(minutes=1),
            status=status,
            counts=counts or {},
            errors=errors or [],
        )
        session.add(run)
        session.flush()
        return run.id

    return db.write(_add)


def add_article(db: Database, name: str, *, ago: timedelta, n: int = 0) -> None:
    def _add(session: Any) -> None:
        url = f"https://example.org/{name}/{ago.total_seconds()}/{n}"
        session.add(
            Article(
                canonical_url=url, url=url, source_id=source_id(session, name),
                content_fingerprint="f" * 64, title="t", text="x", first_seen_at=NOW - ago,
            )
        )  # fmt: skip

    db.write(_add)


@pytest.fixture
def config(db: Database, write_config: Callable[..., Path]) -> MonitorConfig:
    path = write_config(
        db.url,
        [source("a"), source("b"), source("c")],
        daemon={"failure_alert_after": 3, "silent_alert_days": 3, "max_poll_factor": 4},
    )
    return load_config(path)


def alerts(db: Database) -> list[tuple[str, str, bool]]:
    with db.session() as session:
        rows = session.scalars(select(OperatorAlert).order_by(OperatorAlert.id)).all()
        return [(a.source_name, a.problem, a.resolved_at is None) for a in rows]


def test_failing_source_alerted_once_and_resolved(db: Database, config: MonitorConfig) -> None:
    add_run(db, "a", "ok", {"new": 1}, ago=timedelta(hours=5))
    add_article(db, "a", ago=timedelta(hours=5))
    for hours in (4, 3):
        add_run(db, "a", "failed", ago=timedelta(hours=hours), errors=["boom"])
    assert evaluate_alerts(db, config, NOW) == []
    add_run(db, "a", "interrupted", ago=timedelta(hours=2))  # neither failure nor success
    add_run(db, "a", "failed", ago=timedelta(hours=1), errors=[{"message": "HTTP 503"}])
    assert evaluate_alerts(db, config, NOW) == [("a", "failing")]
    assert evaluate_alerts(db, config, NOW) == []  # exactly once while it lasts
    assert alerts(db) == [("a", "failing", True)]
    with db.session() as session:
        detail = session.scalar(select(OperatorAlert.detail))
    assert detail is not None and "3 failed crawls in a row" in detail and "HTTP 503" in detail
    health = {h.name: h for h in source_health(db, config, NOW)}
    assert health["a"].consecutive_failures == 3
    assert health["a"].open_alerts == ["failing"]

    add_run(db, "a", "ok", {"new": 0, "not_matching": 3}, ago=timedelta(minutes=1))
    assert evaluate_alerts(db, config, NOW) == []
    assert alerts(db) == [("a", "failing", False)]


def test_silent_source_alerted_once(db: Database, config: MonitorConfig) -> None:
    add_run(db, "b", "ok", {"new": 1}, ago=timedelta(days=5))
    add_article(db, "b", ago=timedelta(days=5))
    add_run(db, "b", "ok", {"not_matching": 4}, ago=timedelta(hours=1))
    # c has run for only a day and found nothing yet: not silent (yet)
    add_run(db, "c", "ok", {"not_matching": 1}, ago=timedelta(days=1))
    assert evaluate_alerts(db, config, NOW) == [("b", "silent")]
    assert evaluate_alerts(db, config, NOW) == []
    assert evaluate_alerts(db, config, NOW + timedelta(days=2)) == [("c", "silent")]
    add_article(db, "b", ago=timedelta(seconds=1))
    evaluate_alerts(db, config, NOW)
    assert ("b", "silent", False) in alerts(db)


def test_only_skipped_pages_alerted_once(db: Database, config: MonitorConfig) -> None:
    add_run(db, "c", "ok", {"new": 2}, ago=timedelta(hours=2))
    add_article(db, "c", ago=timedelta(hours=2))
    add_run(db, "c", "partial", {"skipped": 7, "pages": 7}, ago=timedelta(hours=1))
    assert evaluate_alerts(db, config, NOW) == [("c", "blocked")]
    assert evaluate_alerts(db, config, NOW) == []
    health = {h.name: h for h in source_health(db, config, NOW)}
    assert health["c"].skipped_share == 1.0
    assert alerts(db) == [("c", "blocked", True)]


def test_source_health_fields(db: Database, config: MonitorConfig) -> None:
    add_run(db, "a", "ok", {"new": 2, "syndicated": 1, "skipped": 1}, ago=timedelta(hours=3))
    for n in range(3):
        add_article(db, "a", ago=timedelta(days=1), n=n)
    add_article(db, "a", ago=timedelta(days=10))
    run_id = add_run(db, "a", "running", ago=timedelta(minutes=1))
    acquire_lease(db, source_lease_name("a"), "crawler:42", 60)
    health = {h.name: h for h in source_health(db, config, NOW)}
    a = health["a"]
    assert a.last_run is not None and a.last_run.id == run_id and a.last_run.status == "running"
    assert a.skipped_share == pytest.approx(0.25)  # from the last finished run
    assert a.running_holder == "crawler:42"
    assert [count for _, count in a.new_per_day] == [0, 0, 0, 0, 0, 3, 0]
    assert a.days_since_new == pytest.approx(1.0, abs=0.01)
    assert a.consecutive_failures == 0 and a.poll_factor == 1 and a.next_run is None
    assert health["b"].last_run is None and health["b"].days_since_new is None
    assert scheduled_jobs(db) == []  # no daemon has created its job store yet


def test_poll_factor_steps() -> None:
    assert [poll_factor_for(n, 4) for n in (0, 2, 3, 5, 6, 9, 30)] == [1, 1, 2, 2, 4, 4, 4]
    # 3 empty runs per doubling: 15 runs are 2**5 = 32 (under the cap), 30 runs 2**10 capped at 48.
    assert poll_factor_for(15, 48) == 32
    assert poll_factor_for(30, 48) == 48


def test_adaptive_polling_skips_and_resets(db: Database, config: MonitorConfig) -> None:
    a = config.source("a")  # every 30 minutes
    for minutes in (120, 90, 60):
        add_run(db, "a", "ok", {"not_matching": 2}, ago=timedelta(minutes=minutes))
    decision = adaptive_decision(db, config, a, now=NOW + timedelta(minutes=-60 + 31))
    assert decision.factor == 2 and decision.skip  # 31 min after the last run: wait for 60
    assert not adaptive_decision(db, config, a, now=NOW + timedelta(minutes=1)).skip
    assert {h.name: h for h in source_health(db, config, NOW)}["a"].poll_factor == 2
    add_run(db, "a", "ok", {"new": 1}, ago=timedelta(minutes=30))
    decision = adaptive_decision(db, config, a, now=NOW)
    assert decision.factor == 1 and not decision.skip


def test_housekeeping_retention(db: Database, config: MonitorConfig) -> None:
    old, recent = timedelta(days=200), timedelta(days=1)
    add_run(db, "a", "ok", ago=old)
    add_run(db, "a", "running", ago=old)  # never deleted while it says running
    add_run(db, "a", "ok", ago=recent)

    def _seen(session: Any) -> None:
        for outcome in ("skipped", "not_matching", "new"):
            record_seen_urls(session, [f"https://example.org/{outcome}"], outcome=outcome)
            record_seen_urls(session, [f"https://example.org/{outcome}/recent"], outcome=outcome)
        session.flush()
        for row in session.scalars(select(SeenUrl).where(~SeenUrl.url.like("%/recent"))):
            row.last_fetched_at = NOW - old

    db.write(_seen)
    acquire_lease(db, "expired", "x:1", -5)
    acquire_lease(db, "alive", "x:1", 600)
    counts = run_housekeeping(db, config, now=utcnow())
    assert counts == {
        "crawl_runs": 1,
        "seen_urls": 2,
        "leases": 1,
        "archive_age": 0,
        "archive_size": 0,
    }
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CrawlRun)) == 2
        urls = set(session.scalars(select(SeenUrl.url)))
        assert "https://example.org/new" in urls and "https://example.org/skipped" not in urls
        assert set(session.scalars(select(Lease.name))) == {"alive"}

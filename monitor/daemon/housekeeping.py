"""Retention: old crawl runs, seen URLs that led nowhere, expired leases, the page archive's
age and size bounds."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from monitor.config import MonitorConfig
from monitor.db.archive import prune_archive
from monitor.db.engine import Database
from monitor.db.models import CrawlRun, Lease, SeenUrl, utcnow

PRUNED_OUTCOMES = ("skipped", "not_matching")
"""Seen URLs with these outcomes are forgotten after the retention period (refetched if found)."""


def run_housekeeping(
    db: Database, config: MonitorConfig, *, now: datetime | None = None
) -> dict[str, int]:
    """Delete what the retention period no longer covers; counts of deleted rows by kind."""
    now = now or utcnow()
    cutoff = now - timedelta(days=config.daemon.retention_days)

    def _runs(session: Session) -> int:
        return int(
            session.execute(  # type: ignore[attr-defined]
                delete(CrawlRun).where(CrawlRun.started_at < cutoff, CrawlRun.status != "running")
            ).rowcount
        )

    def _seen(session: Session) -> int:
        return int(
            session.execute(  # type: ignore[attr-defined]
                delete(SeenUrl).where(
                    SeenUrl.outcome.in_(PRUNED_OUTCOMES), SeenUrl.last_fetched_at < cutoff
                )
            ).rowcount
        )

    def _leases(session: Session) -> int:
        return int(
            session.execute(delete(Lease).where(Lease.expires_at < now)).rowcount  # type: ignore[attr-defined]
        )

    return {
        "crawl_runs": db.write(_runs),
        "seen_urls": db.write(_seen),
        "leases": db.write(_leases),
        **prune_archive(db, config.archive, now=now),
    }

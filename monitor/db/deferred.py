"""Requests put off to a source's next crawl (``DeferredRequest`` rows).

A host answering ``Retry-After`` beyond ``[crawl] max_retry_after`` is not waited for inside
the crawl: its requests are stored here and the next crawl of the source asks again once the
time is up. A row goes when its URL is stored or seen, when a feed or sitemap answered, or
after :data:`MAX_TIMES` crawls tried it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.db.engine import Database
from monitor.db.models import DeferredRequest, url_key, utcnow
from monitor.db.repository import known_urls

MAX_TIMES = 3  # crawls that may take a deferred request before it is dropped


def defer_request(
    db: Database,
    source_name: str,
    url: str,
    *,
    kind: str,
    meta: dict[str, Any],
    reason: str,
    not_before: datetime,
) -> None:
    """Store (or refresh) one request for the source's next crawl."""

    def _work(session: Session) -> None:
        insert = (
            postgresql.insert(DeferredRequest)
            if session.get_bind().dialect.name == "postgresql"
            else sqlite.insert(DeferredRequest)
        )
        statement = insert.values(
            source_name=source_name,
            url=url,
            url_hash=url_key(url),
            kind=kind,
            meta=meta,
            reason=reason[:200],
            not_before=not_before,
            created_at=utcnow(),
            times=0,
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["source_name", "url_hash"],
                set_={
                    "reason": statement.excluded.reason,
                    "not_before": statement.excluded.not_before,
                },
            )
        )

    db.write(_work)


def take_due_requests(db: Database, source_name: str) -> list[DeferredRequest]:
    """The source's deferred requests whose time has come, not yet stored or seen; each one
    counts a try (dropped after :data:`MAX_TIMES`)."""

    def _work(session: Session) -> list[DeferredRequest]:
        mine = DeferredRequest.source_name == source_name
        session.execute(delete(DeferredRequest).where(mine, DeferredRequest.times >= MAX_TIMES))
        rows = list(
            session.scalars(
                select(DeferredRequest)
                .where(mine, DeferredRequest.not_before <= utcnow())
                .order_by(DeferredRequest.id)
            )
        )
        known = known_urls(session, [row.url for row in rows if row.kind == "article"])
        if known:
            session.execute(
                delete(DeferredRequest).where(
                    mine, DeferredRequest.url_hash.in_([url_key(u) for u in known])
                )
            )
        due = [row for row in rows if row.url not in known]
        if due:
            session.execute(
                update(DeferredRequest)
                .where(DeferredRequest.id.in_([row.id for row in due]))
                .values(times=DeferredRequest.times + 1)
            )
        session.expunge_all()
        return due

    return db.write(_work)


def forget_requests(db: Database, source_name: str, urls: Iterable[str]) -> None:
    """Drop deferred requests that were answered."""
    keys = [url_key(url) for url in urls]
    if keys:
        db.write(
            lambda session: session.execute(
                delete(DeferredRequest).where(
                    DeferredRequest.source_name == source_name,
                    DeferredRequest.url_hash.in_(keys),
                )
            )
        )


def deferred_requests(db: Database, source_name: str | None = None) -> list[DeferredRequest]:
    """Every stored deferred request (of one source), oldest first (``monitor status``, tests)."""
    with db.session() as session:
        query = select(DeferredRequest).order_by(DeferredRequest.id)
        if source_name is not None:
            query = query.where(DeferredRequest.source_name == source_name)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows

"""What the crawl remembers per URL: when it was last fetched, its validators, where a redirect
chain led, and the revalidation schedule of recent matched articles.

Plain functions over a Session (or a Database for the small writes the crawl makes itself); the
decisions (:func:`needs_refetch`, :func:`schedule_step`) are pure and take ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitor.db.engine import Database
from monitor.db.models import Article, CrawlRun, SeenUrl, Source, utcnow
from monitor.db.repository import put_http_validators, record_seen_urls, source_id

_CHUNK = 500


@dataclass(frozen=True)
class UrlState:
    """What is known of one URL: fetched before (when), stored as an article (which)."""

    url: str
    last_fetched_at: datetime | None
    article_id: int | None = None


@dataclass(frozen=True)
class Revalidation:
    """A matched article due for a conditional re-fetch: the URL, its validators, the step."""

    url: str
    etag: str | None
    last_modified: str | None
    step: int  # how many schedule steps are done once this one is


def url_states(session: Session, urls: Iterable[str]) -> dict[str, UrlState]:
    """The known ones of ``urls`` (as a seen URL or an article's canonical URL), batched."""
    wanted = list(dict.fromkeys(u for u in urls if u))
    found: dict[str, UrlState] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        seen = select(SeenUrl.url, SeenUrl.last_fetched_at, SeenUrl.article_id).where(
            SeenUrl.url.in_(chunk)
        )
        for url, fetched, article_id in session.execute(seen):
            found[url] = UrlState(url, fetched, article_id)
        stored = select(Article.canonical_url, Article.updated_at, Article.id).where(
            Article.canonical_url.in_(chunk)
        )
        for url, updated, article_id in session.execute(stored):
            if url not in found:
                found[url] = UrlState(url, updated, article_id)
    return found


def needs_refetch(state: UrlState, listed_change: datetime | None) -> bool:
    """True when a feed/sitemap says the page changed after our last fetch of it."""
    if listed_change is None or state.last_fetched_at is None:
        return False
    return listed_change > state.last_fetched_at


def record_chain(
    session: Session,
    urls: Sequence[str],
    *,
    outcome: str,
    source_name: str,
    kind: str = "site",
    canonical_url: str | None = None,
    article_id: int | None = None,
    reason: str | None = None,
    source: int | None = None,
) -> int | None:
    """Record every URL of a redirect chain (or a link and its resolved target) as seen; the
    source's id (``source``, when the caller knows it, saves looking it up)."""
    if not urls:
        return source
    if source is None:
        source = source_id(session, source_name, kind)
    record_seen_urls(
        session,
        list(dict.fromkeys(urls)),
        outcome=outcome,
        canonical_url=canonical_url,
        reason=reason,
        source_id=source,
        article_id=article_id,
    )
    return source


def record_validators(
    session: Session,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    step: int | None = None,
    now: datetime | None = None,
) -> None:
    """Store a fetched page's validators (and, for a revalidation, the schedule step done)."""
    values: dict[str, object] = {
        "etag": etag[:512] if etag else None,
        "last_modified": last_modified[:128] if last_modified else None,
    }
    if step is not None:
        values["revalidations"] = step
        values["last_fetched_at"] = now or utcnow()
    session.execute(update(SeenUrl).where(SeenUrl.url == url).values(**values))


def mark_unchanged(db: Database, url: str, step: int, now: datetime | None = None) -> None:
    """A revalidation answered 304: the step is done, the page counts as fetched now."""
    db.write(
        lambda session: session.execute(
            update(SeenUrl)
            .where(SeenUrl.url == url)
            .values(revalidations=step, last_fetched_at=now or utcnow())
        )
    )


def schedule_step(first_seen_at: datetime, now: datetime, steps: Sequence[timedelta]) -> int:
    """How many steps of the schedule have elapsed at ``now`` (0..len(steps))."""
    age = now - first_seen_at
    return sum(1 for step in steps if age >= step)


def due_revalidations(
    session: Session,
    source_name: str,
    *,
    now: datetime,
    steps: Sequence[timedelta],
    limit: int = 200,
) -> list[Revalidation]:
    """The source's matched articles whose next revalidation step has come (oldest first).

    Bounded: only articles first seen within the last step (plus one step of slack) are
    looked at, and at most ``limit`` of them per poll.
    """
    if not steps:
        return []
    horizon = now - max(steps) * 2
    query = (
        select(
            SeenUrl.url,
            SeenUrl.etag,
            SeenUrl.last_modified,
            SeenUrl.revalidations,
            Article.first_seen_at,
        )
        .join(Article, Article.url == SeenUrl.url)
        .join(Source, Source.id == Article.source_id)
        .where(
            Source.name == source_name,
            Article.first_seen_at >= horizon,
            Article.near_miss.is_(False),
            SeenUrl.revalidations < len(steps),
        )
        .order_by(Article.first_seen_at)
    )
    due: list[Revalidation] = []
    for url, etag, last_modified, done, first_seen in session.execute(query):
        step = schedule_step(first_seen, now, steps)
        if step > done:
            due.append(Revalidation(url, etag, last_modified, step))
            if len(due) >= limit:
                break
    return due


@dataclass
class RunClose:
    """The end of one crawl: its run row's outcome and its documents' new validators
    (``DocumentState``-like rows: url, etag, last_modified, status, entry_count)."""

    run_id: int | None
    status: str
    counts: dict[str, Any]
    errors: list[Any]
    documents: Sequence[Any] = ()


def close_crawl_run(
    db: Database,
    run_id: int | None,
    *,
    status: str,
    counts: dict[str, Any],
    errors: list[Any],
    documents: Sequence[Any] = (),
) -> None:
    """One transaction at the end of a crawl: the run row's outcome and the new validators of its
    feeds and sitemaps."""
    close_crawl_runs(db, [RunClose(run_id, status, counts, errors, documents)])


def close_crawl_runs(db: Database, closes: Sequence[RunClose]) -> None:
    """The ends of several crawls in one transaction (a worker's batch of finished polls)."""

    def _work(session: Session) -> None:
        for close in closes:
            if close.run_id is not None:
                session.execute(
                    update(CrawlRun)
                    .where(CrawlRun.id == close.run_id)
                    .values(
                        status=close.status,
                        counts=close.counts,
                        errors=close.errors[:200],
                        finished_at=utcnow(),
                    )
                )
            for row in close.documents:
                put_http_validators(
                    session,
                    row.url,
                    etag=row.etag,
                    last_modified=row.last_modified,
                    status=row.status,
                    entry_count=row.entry_count,
                )

    if closes:
        db.write(_work)


def open_crawl_runs(db: Database, runs: Sequence[tuple[str, str, str]]) -> list[int]:
    """Crawl-run rows (status ``running``) for ``(source name, kind, trigger)`` in one
    transaction; their ids in order (a worker's batch of claimed polls)."""
    from monitor.db.repository import new_crawl_run

    return db.write(lambda session: [new_crawl_run(session, *run) for run in runs])

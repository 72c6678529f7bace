"""Reusable queries and upserts: sources, seen URLs, conditional-GET validators, crawl runs."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.db.engine import Database
from monitor.db.models import (
    Article,
    CrawlRun,
    Feedback,
    HttpCacheEntry,
    SeenUrl,
    Source,
    url_key,
    utcnow,
)
from monitor.relevance.dataset import Label


def _insert(session: Session, model: Any) -> Any:
    """A dialect-specific INSERT that supports ON CONFLICT."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


_PREPARED: dict[tuple[str, str], Any] = {}


def prepared_upsert(session: Session, name: str, table: Any, build: Callable[[Any], Any]) -> Any:
    """The INSERT … ON CONFLICT called ``name`` for the session's dialect, built once by
    ``build(insert)`` and compiled once: execute it with parameters, never derive another from it.

    Hand-written because SQLAlchemy 2.0 cannot cache a dialect upsert's compiled form (its ON
    CONFLICT clause has no cache key), so every execution compiled it again: four times per
    stored page, a few per cent of the crawl's CPU. Each prepared statement gets an ``Insert``
    class of its own whose cache key is that class: correct because the class never carries any
    other statement (deriving one from it raises).
    """
    dialect = session.get_bind().dialect.name
    statement = _PREPARED.get((dialect, name))
    if statement is None:
        base = postgresql.Insert if dialect == "postgresql" else sqlite.Insert
        prepared = type(f"Prepared{base.__name__}_{name}", (_PreparedInsert, base), {})
        statement = build(prepared(table))
        statement._sealed = True
        _PREPARED[(dialect, name)] = statement
    return statement


class _PreparedInsert:
    """Mixin of :func:`prepared_upsert`'s per-statement classes."""

    inherit_cache = True
    _sealed = False

    def _generate(self) -> Any:
        if self._sealed:
            raise TypeError("a prepared upsert is executed as it is, with parameters")
        return super()._generate()  # type: ignore[misc]

    def _gen_cache_key(self, anon_map: Any, bindparams: list[Any]) -> tuple[Any, ...]:
        return (type(self),)


def source_id(session: Session, name: str, kind: str = "site") -> int:
    """The id of the source called ``name``, created if missing (safe under concurrency)."""
    # Looked up first: SQLAlchemy caches the SELECT's compiled form, but not an INSERT with
    # ON CONFLICT's (it compiled again on every page of a crawl).
    found = session.scalar(select(Source.id).where(Source.name == name))
    if found is not None:
        return found
    session.execute(
        _insert(session, Source)
        .values(name=name, kind=kind, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    found = session.scalar(select(Source.id).where(Source.name == name))
    assert found is not None
    return found


def _build_seen_url_upsert(insert: Any) -> Any:
    return insert.on_conflict_do_update(
        index_elements=["url_hash"],
        set_={
            "outcome": insert.excluded.outcome,
            "reason": insert.excluded.reason,
            "canonical_url": insert.excluded.canonical_url,
            # A later skip of a stored article's URL keeps the URL's article.
            "article_id": func.coalesce(insert.excluded.article_id, SeenUrl.__table__.c.article_id),
            "last_fetched_at": insert.excluded.last_fetched_at,
        },
    )


def _seen_url_upsert(session: Session) -> Any:
    return prepared_upsert(session, "seen_urls", SeenUrl.__table__, _build_seen_url_upsert)


def record_seen_urls(
    session: Session,
    urls: Iterable[str],
    *,
    outcome: str,
    canonical_url: str | None = None,
    reason: str | None = None,
    source_id: int | None = None,
    article_id: int | None = None,
) -> None:
    """Remember that ``urls`` were fetched and what came of them, all with the same outcome
    (insert or update, in one statement)."""
    now = utcnow()
    canonical = canonical_url or None
    why = reason[:200] if reason else None
    rows = [
        {
            "url": url,
            "canonical_url": canonical,
            "outcome": outcome,
            "reason": why,
            "source_id": source_id,
            "article_id": article_id,
            "first_seen_at": now,
            "last_fetched_at": now,
        }
        for url in urls
    ]
    if rows:
        session.connection().execute(_seen_url_upsert(session), rows)


def known_urls(session: Session, urls: Iterable[str]) -> set[str]:
    """Those of ``urls`` already fetched or stored (as a seen URL or an article's canonical URL)."""
    wanted = {url_key(u): u for u in urls if u}
    keys = list(wanted)
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(session.scalars(select(SeenUrl.url_hash).where(SeenUrl.url_hash.in_(chunk))))
        found.update(
            session.scalars(
                select(Article.canonical_url_hash).where(Article.canonical_url_hash.in_(chunk))
            )
        )
    return {wanted[key] for key in found}


def get_http_validators(session: Session, url: str) -> HttpCacheEntry | None:
    """The stored ETag / Last-Modified (and last entry counts) of a feed or sitemap."""
    entry = session.scalar(select(HttpCacheEntry).where(HttpCacheEntry.url_hash == url_key(url)))
    if entry is not None:
        session.expunge(entry)
    return entry


def put_http_validators(
    session: Session,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    status: int,
    entry_count: int | None,
) -> None:
    """Store the validators of a feed/sitemap response and how many entries it gave."""
    now = utcnow()
    statement = _insert(session, HttpCacheEntry).values(
        url=url,
        etag=etag[:512] if etag else None,
        last_modified=last_modified[:128] if last_modified else None,
        last_status=status,
        last_entry_count=entry_count,
        max_entry_count=entry_count or 0,
        updated_at=now,
    )
    update_values: dict[str, Any] = {
        "last_status": statement.excluded.last_status,
        "updated_at": statement.excluded.updated_at,
    }
    if status != 304:
        update_values.update(
            etag=statement.excluded.etag,
            last_modified=statement.excluded.last_modified,
            last_entry_count=statement.excluded.last_entry_count,
        )
    session.execute(
        statement.on_conflict_do_update(index_elements=["url_hash"], set_=update_values)
    )
    if entry_count:
        session.execute(
            update(HttpCacheEntry)
            .where(
                HttpCacheEntry.url_hash == url_key(url),
                HttpCacheEntry.max_entry_count < entry_count,
            )
            .values(max_entry_count=entry_count)
        )


def start_crawl_run(db: Database, source_name: str, *, kind: str = "site", trigger: str) -> int:
    """Open a crawl-run row (status ``running``) and return its id."""
    return db.write(lambda session: new_crawl_run(session, source_name, kind, trigger))


def new_crawl_run(session: Session, source_name: str, kind: str, trigger: str) -> int:
    """Add a crawl-run row (status ``running``) in ``session``; its id."""
    run = CrawlRun(
        source_id=source_id(session, source_name, kind),
        source_name=source_name,
        trigger=trigger,
        started_at=utcnow(),
        status="running",
        counts={},
        errors=[],
        pid=os.getpid(),
        host=socket.gethostname(),
    )
    session.add(run)
    session.flush()
    return run.id


def finish_crawl_run(
    db: Database,
    run_id: int,
    *,
    status: str,
    counts: dict[str, Any],
    errors: list[Any],
    finished_at: datetime | None = None,
) -> None:
    """Close a crawl-run row with its final status, counts and errors."""
    db.write(
        lambda s: s.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id)
            .values(
                status=status,
                counts=counts,
                errors=errors[:200],
                finished_at=finished_at or utcnow(),
            )
        )
    )


def mark_abandoned_runs(db: Database, source_name: str) -> int:
    """Mark runs of ``source_name`` left 'running' by a dead process as 'interrupted'.

    Call it while holding the source's lease: then no other crawl of the source is alive.
    """
    host = socket.gethostname()

    def _mark(session: Session) -> int:
        stale = session.scalars(
            select(CrawlRun).where(
                CrawlRun.source_name == source_name, CrawlRun.status == "running"
            )
        ).all()
        count = 0
        for run in stale:
            if run.host == host and run.pid == os.getpid():
                continue
            run.status = "interrupted"
            run.finished_at = run.finished_at or utcnow()
            count += 1
        return count

    return db.write(_mark)


def latest_label(session: Session, story_id: int) -> Label | None:
    """The newest analyst label of a story, or None when nobody has judged it."""
    label = session.scalar(
        select(Feedback.label)
        .where(Feedback.story_id == story_id)
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(1)
    )
    return Label(label) if label is not None else None

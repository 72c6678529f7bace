"""The page archive: every fetched article page kept compressed, for ``monitor reprocess``.

One row per page (keyed by its final URL; a later fetch replaces the copy). Compression runs
outside the write transaction (:func:`archive_entry`); :func:`archive_page` is one upsert in
the caller's transaction. Bounded by age and total size (:func:`prune_archive`, run by the
daemon's housekeeping).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import zstandard
from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from monitor.db.engine import Database
from monitor.db.models import ArchivedPage, Article, Source, url_key, utcnow
from monitor.db.repository import prepared_upsert
from monitor.errors import DatabaseError

if TYPE_CHECKING:
    from monitor.config import ArchiveConfig
    from monitor.extract import TemplateSet
    from monitor.processing import FetchedPage

_TABLE: Table = ArchivedPage.__table__  # type: ignore[assignment]
ZSTD_LEVEL = 3  # ~5x on news HTML at a fraction of a millisecond per page
MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class ArchivedPageMeta:
    """What the archive keeps of one fetch besides its body (``page_archive``'s columns)."""

    url: str
    requested_url: str | None
    source_name: str
    fetched_at: datetime
    content_type: str | None
    etag: str | None
    last_modified: str | None
    listed_title: str | None
    listed_published_at: datetime | None
    discovered_from: str | None


_META_FIELDS = tuple(f.name for f in fields(ArchivedPageMeta))


@dataclass(frozen=True)
class ArchiveEntry(ArchivedPageMeta):
    """A page ready to archive: metadata and the compressed body (no database access)."""

    body_sha256: str
    compression: str
    raw_size: int
    stored_size: int
    body: bytes

    def row(self) -> dict[str, Any]:
        """The ``page_archive`` row (short header values clipped to their column sizes)."""
        return {
            "url_hash": url_hash(self.url),
            "url": self.url,
            "requested_url": self.requested_url,
            "source_name": self.source_name[:64],
            "fetched_at": self.fetched_at,
            "content_type": self.content_type[:255] if self.content_type else None,
            "etag": self.etag[:512] if self.etag else None,
            "last_modified": self.last_modified[:128] if self.last_modified else None,
            "listed_title": self.listed_title,
            "listed_published_at": self.listed_published_at,
            "discovered_from": self.discovered_from,
            "body_sha256": self.body_sha256,
            "compression": self.compression,
            "raw_size": self.raw_size,
            "stored_size": self.stored_size,
            "body": self.body,
        }


@dataclass(frozen=True)
class ArchivedCopy(ArchivedPageMeta):
    """A page read back from the archive, body decompressed."""

    id: int
    body: bytes

    def to_fetched_page(self) -> FetchedPage:
        """The page as the pipeline received it (the input of ``analyze_page``)."""
        from monitor.processing import FetchedPage

        return FetchedPage(
            url=self.requested_url or self.url,
            body=self.body,
            source_name=self.source_name,
            final_url=self.url,
            content_type=self.content_type,
            listed_title=self.listed_title,
            listed_published_at=self.listed_published_at,
            discovered_from=self.discovered_from,
        )


def url_hash(url: str) -> str:
    """The archive's key of a URL: its sha256 in hex (URLs of any length)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def compress(body: bytes) -> tuple[str, bytes]:
    """``(method, data)``: zstd at a fast level."""
    return "zstd", zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(body)


def decompress(method: str, data: bytes) -> bytes:
    """The original body; DatabaseError (one line) when the stored copy is corrupt."""
    try:
        if method == "zstd":
            return zstandard.ZstdDecompressor().decompress(data)
        if method == "zlib":
            return zlib.decompress(data)
        if method == "none":
            return bytes(data)
    except (zstandard.ZstdError, zlib.error) as exc:
        raise DatabaseError(f"archived page is corrupt ({method}): {exc}") from exc
    raise DatabaseError(f"archived page has an unknown compression {method!r}")


def archive_entry(page: FetchedPage, *, fetched_at: datetime | None = None) -> ArchiveEntry:
    """Compress one fetched page for :func:`archive_page` (pure CPU: call it before the write)."""
    body = bytes(page.body)
    method, data = compress(body)
    final_url = page.final_url or page.url
    return ArchiveEntry(
        url=final_url,
        requested_url=page.url if page.url != final_url else None,
        source_name=page.source_name,
        fetched_at=fetched_at or getattr(page, "fetched_at", None) or utcnow(),
        content_type=page.content_type,
        etag=getattr(page, "etag", None),
        last_modified=getattr(page, "last_modified", None),
        listed_title=page.listed_title,
        listed_published_at=page.listed_published_at,
        discovered_from=page.discovered_from,
        body_sha256=hashlib.sha256(body).hexdigest(),
        compression=method,
        raw_size=len(body),
        stored_size=len(data),
        body=data,
    )


def _build_upsert(insert: Any) -> Any:
    columns = [c.name for c in _TABLE.columns if c.name not in ("id", "url_hash")]
    return insert.on_conflict_do_update(
        index_elements=["url_hash"], set_={name: insert.excluded[name] for name in columns}
    )


def _upsert(session: Session) -> Any:
    return prepared_upsert(session, "page_archive", _TABLE, _build_upsert)


def archive_page(session: Session, page: FetchedPage | ArchiveEntry) -> None:
    """Keep (or replace) the archived copy of one page, in the caller's transaction."""
    archive_pages(session, [page])


def archive_pages(session: Session, pages: Iterable[FetchedPage | ArchiveEntry]) -> None:
    """:func:`archive_page` for several pages in one statement (the last copy of a URL wins).

    An empty body (a 304 answer, a failed download) never replaces a kept copy.
    """
    rows: dict[str, dict[str, Any]] = {}
    for page in pages:
        entry = page if isinstance(page, ArchiveEntry) else archive_entry(page)
        if not entry.raw_size:
            continue
        row = entry.row()
        rows[row["url_hash"]] = row
    if rows:
        session.connection().execute(_upsert(session), list(rows.values()))


def _copy(row: Any) -> ArchivedCopy:
    meta = {name: getattr(row, name) for name in _META_FIELDS}
    return ArchivedCopy(id=row.id, body=decompress(row.compression, row.body), **meta)


def _filtered(
    query: Any, source: str | None, since: datetime | None, stored_only: bool = False
) -> Any:
    c = _TABLE.c
    if source is not None:
        query = query.where(c.source_name == source)
    if since is not None:
        query = query.where(c.fetched_at >= since)
    if stored_only:
        stored = select(Article.id).where(Article.url == c.url)
        query = query.where(stored.exists())
    return query


def load_archived(
    session: Session,
    *,
    source: str | None = None,
    since: datetime | None = None,
    after_id: int = 0,
    limit: int = 100,
    stored_only: bool = False,
) -> list[ArchivedCopy]:
    """One batch of archived pages by id (keyset paging: pass the last id as ``after_id``).

    ``stored_only``: only pages whose final URL is a stored article's URL.
    """
    c = _TABLE.c
    query = _filtered(select(_TABLE).where(c.id > after_id), source, since, stored_only)
    rows = session.connection().execute(query.order_by(c.id).limit(limit)).all()
    return [_copy(row) for row in rows]


def iter_archived(
    db: Database,
    *,
    source: str | None = None,
    since: datetime | None = None,
    stored_only: bool = False,
    batch: int = 100,
) -> Iterator[ArchivedCopy]:
    """Every archived page matching the filters, oldest id first, one short read per batch
    (so writes between batches, e.g. a reprocess storing what it finds, never wait on it)."""
    after = 0
    while True:
        with db.session() as session:
            copies = load_archived(
                session,
                source=source,
                since=since,
                after_id=after,
                limit=batch,
                stored_only=stored_only,
            )
        if not copies:
            return
        yield from copies
        after = copies[-1].id


def count_archived(
    session: Session,
    *,
    source: str | None = None,
    since: datetime | None = None,
    stored_only: bool = False,
) -> int:
    """How many archived pages match the filters."""
    query = _filtered(select(func.count()).select_from(_TABLE), source, since, stored_only)
    return int(session.connection().execute(query).scalar() or 0)


def archived_page(session: Session, url: str) -> ArchivedCopy | None:
    """The kept copy of the page whose final URL is ``url`` (None when none is kept)."""
    query = select(_TABLE).where(_TABLE.c.url_hash == url_hash(url))
    row = session.connection().execute(query).first()
    return _copy(row) if row is not None else None


@dataclass(frozen=True)
class ArchiveUsage:
    """How much the archive holds."""

    pages: int
    raw_bytes: int
    stored_bytes: int
    oldest: datetime | None


def archive_usage(session: Session) -> ArchiveUsage:
    """Pages, original and compressed bytes, and the oldest fetch time in the archive."""
    c = _TABLE.c
    row = (
        session.connection()
        .execute(
            select(
                func.count(),
                func.coalesce(func.sum(c.raw_size), 0),
                func.coalesce(func.sum(c.stored_size), 0),
                func.min(c.fetched_at),
            )
        )
        .one()
    )
    oldest = row[3]
    if isinstance(oldest, str):  # SQLite returns an aggregate's timestamp as text
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return ArchiveUsage(int(row[0]), int(row[1]), int(row[2]), oldest)


def prune_archive(
    db: Database, settings: ArchiveConfig, *, now: datetime | None = None
) -> dict[str, int]:
    """Delete copies older than ``max_age_days``, then the oldest until the compressed total is
    within ``max_mb``; counts of deleted rows (``archive_age``, ``archive_size``)."""
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.max_age_days)
    limit = int(settings.max_mb * MEGABYTE)
    c = _TABLE.c

    def _by_age(session: Session) -> int:
        result = session.connection().execute(delete(_TABLE).where(c.fetched_at < cutoff))
        return int(result.rowcount)

    def _by_size(session: Session) -> int:
        # Newest first, a running total of the compressed sizes: what lies past the limit goes.
        running = select(
            c.id,
            func.sum(c.stored_size)
            .over(order_by=(c.fetched_at.desc(), c.id.desc()))
            .label("running"),
        ).subquery()
        doomed = select(running.c.id).where(running.c.running > limit)
        result = session.connection().execute(delete(_TABLE).where(c.id.in_(doomed)))
        return int(result.rowcount)

    return {"archive_age": db.write(_by_age), "archive_size": db.write(_by_size)}


@dataclass(frozen=True)
class StoredVersion:
    """What is stored under a canonical URL: the article's id, story and content fingerprint."""

    article_id: int
    story_id: int | None
    fingerprint: str


def stored_versions(session: Session, canonical_urls: Iterable[str]) -> dict[str, StoredVersion]:
    """The stored article of each of ``canonical_urls`` that has one."""
    wanted = list(dict.fromkeys(url_key(u) for u in canonical_urls if u))
    found: dict[str, StoredVersion] = {}
    a = Article.__table__.c
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = session.connection().execute(
            select(a.canonical_url, a.id, a.story_id, a.content_fingerprint).where(
                a.canonical_url_hash.in_(chunk)
            )
        )
        for url, article_id, story_id, fingerprint in rows:
            found[url] = StoredVersion(article_id, story_id, fingerprint)
    return found


def source_templates(session: Session, source_name: str) -> TemplateSet | None:
    """The template blocks learned for a source (None: an unknown source)."""
    from monitor.db.templates import load_templates

    found = session.scalar(select(Source.id).where(Source.name == source_name))
    return None if found is None else load_templates(session, found)

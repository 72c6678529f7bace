"""Site templates in the database: per source, on how many article pages each block recurs.

Every analysed article page of a source is counted once (keyed by its canonical URL, so a
re-fetch or a revalidation does not count again): each distinct block fingerprint on it adds
one to that fingerprint's page count. Only the last :data:`WINDOW` pages of a source count; an
older page leaves the counts when a new one arrives, so a template the site dropped fades out
and a new one is learned within a few pages. The pure rule (which counts make a template) is
:meth:`monitor.extract.templates.TemplateSet.learn`.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from monitor.db.engine import Database
from monitor.db.models import Source, TemplateBlock, TemplatePage, url_key, utcnow
from monitor.db.repository import prepared_upsert
from monitor.extract.templates import MIN_PAGES, MIN_SHARE, TemplateSet

if TYPE_CHECKING:
    from monitor.config import MonitorConfig

__all__ = [
    "WINDOW",
    "LearnedBlock",
    "RecordResult",
    "TemplateCache",
    "TemplateReport",
    "load_templates",
    "page_key",
    "record_page",
    "template_report",
    "templates_changed",
]

#: Pages per source that the counts cover (the most recent ones).
WINDOW = 200
#: When a source's template grows, its articles first seen this recently are cleaned again.
RECLEAN_DAYS = 7
_SAMPLE_CHARS = 160


def page_key(url: str) -> str:
    """The key a page is counted under: its canonical URL's :func:`url_key`."""
    return url_key(url)


@dataclass(frozen=True)
class RecordResult:
    """What counting one page did: whether it was new, and the source's templates after it."""

    counted: bool
    templates: TemplateSet
    learned: frozenset[str] = field(default_factory=frozenset)  # fingerprints new in the set


def _page_count(session: Session, source_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(TemplatePage)
            .where(TemplatePage.source_id == source_id)
        )
        or 0
    )


def _learned(session: Session, source_id: int, pages: int) -> TemplateSet:
    if pages < MIN_PAGES:
        return TemplateSet(frozenset(), pages)
    floor = max(MIN_PAGES, MIN_SHARE * pages)
    rows = session.scalars(
        select(TemplateBlock.fingerprint).where(
            TemplateBlock.source_id == source_id, TemplateBlock.pages >= floor
        )
    ).all()
    return TemplateSet(frozenset(rows), pages)


def load_templates(session: Session, source_id: int) -> TemplateSet:
    """The source's learned template set (empty while it has fewer than MIN_PAGES pages)."""
    return _learned(session, source_id, _page_count(session, source_id))


def record_page(
    session: Session,
    source_id: int,
    url: str,
    fingerprints: Sequence[str],
    texts: Sequence[str] = (),
    *,
    applied: Collection[str] | None = None,
) -> RecordResult:
    """Count one article page's blocks for its source (idempotent per page URL).

    ``fingerprints`` are ``ExtractedArticle.block_fingerprints`` (``texts``, aligned, give the
    report its samples). ``applied`` (``ExtractedArticle.templates_applied``): the set the page
    was cleaned with; template blocks of the source's current set that the page carries but
    were not applied (it was analysed before the set reached its process) count as
    ``learned`` too, so the caller's re-clean covers it. Runs inside the caller's transaction.
    """
    # Counted once, then kept up to date here (a concurrent writer's uncommitted page was never
    # visible to this transaction's counts anyway; the next page's count includes it).
    pages = _page_count(session, source_id)
    before = _learned(session, source_id, pages)
    distinct = list(dict.fromkeys(f for f in fingerprints if f))
    key = page_key(url)
    connection = session.connection()
    inserted = connection.execute(
        prepared_upsert(session, "template_pages", TemplatePage.__table__, _build_page_insert),
        {"source_id": source_id, "page_key": key, "seen_at": utcnow(), "fingerprints": distinct},
    ).first()
    if inserted is None:
        return RecordResult(False, before, _stale(before, distinct, applied))
    now = utcnow()
    samples = dict(zip(fingerprints, texts, strict=False))
    if distinct:
        connection.execute(
            prepared_upsert(
                session, "template_blocks", TemplateBlock.__table__, _build_block_upsert
            ),
            [
                {
                    "source_id": source_id,
                    "fingerprint": fp,
                    "pages": 1,
                    "sample": (samples.get(fp) or "")[:_SAMPLE_CHARS],
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
                for fp in distinct
            ],
        )
    pages = _trim_window(session, source_id, pages + 1)
    after = _learned(session, source_id, pages)
    learned = (after.fingerprints - before.fingerprints) | _stale(after, distinct, applied)
    return RecordResult(True, after, learned)


def _build_page_insert(insert: Any) -> Any:
    return insert.on_conflict_do_nothing(index_elements=["source_id", "page_key"]).returning(
        TemplatePage.__table__.c.id
    )


def _build_block_upsert(insert: Any) -> Any:
    return insert.on_conflict_do_update(
        index_elements=["source_id", "fingerprint"],
        set_={
            "pages": TemplateBlock.__table__.c.pages + 1,
            "last_seen_at": insert.excluded.last_seen_at,
        },
    )


def _stale(
    current: TemplateSet, fingerprints: Sequence[str], applied: Collection[str] | None
) -> frozenset[str]:
    """Template blocks on the page that its cleaning did not know about."""
    if applied is None or not current:
        return frozenset()
    return frozenset(f for f in fingerprints if f in current.fingerprints and f not in applied)


def _trim_window(session: Session, source_id: int, pages: int) -> int:
    """Drop the source's pages beyond the window (of its ``pages``), and their blocks from the
    counts; how many pages it has now."""
    excess = pages - WINDOW
    if excess <= 0:
        return pages
    old = session.execute(
        select(TemplatePage.id, TemplatePage.fingerprints)
        .where(TemplatePage.source_id == source_id)
        .order_by(TemplatePage.id)
        .limit(excess)
    ).all()
    for _page_id, fps in old:
        if fps:
            session.execute(
                update(TemplateBlock)
                .where(TemplateBlock.source_id == source_id, TemplateBlock.fingerprint.in_(fps))
                .values(pages=TemplateBlock.pages - 1)
            )
    session.execute(delete(TemplatePage).where(TemplatePage.id.in_([row[0] for row in old])))
    session.execute(
        delete(TemplateBlock).where(TemplateBlock.source_id == source_id, TemplateBlock.pages <= 0)
    )
    return pages - len(old)


class TemplateCache:
    """Template sets per source for one process (owned by a store or worker, not global).

    Refreshed from :func:`record_page`'s result as this process counts pages; what other
    processes learn is picked up when an entry is older than ``ttl_seconds``.
    """

    def __init__(self, ttl_seconds: float = 60.0) -> None:
        self.ttl_seconds = ttl_seconds
        self._sets: dict[int, tuple[float, TemplateSet]] = {}

    def get(self, session: Session, source_id: int) -> TemplateSet:
        """The source's template set, loaded on first use and after the TTL."""
        now = time.monotonic()
        found = self._sets.get(source_id)
        if found is None or now - found[0] > self.ttl_seconds:
            found = self._sets[source_id] = (now, load_templates(session, source_id))
        return found[1]

    def fresh(self, source_id: int) -> TemplateSet | None:
        """The source's set when it is loaded and younger than the TTL (no database needed)."""
        found = self._sets.get(source_id)
        if found is None or time.monotonic() - found[0] > self.ttl_seconds:
            return None
        return found[1]

    def note(self, source_id: int, result: RecordResult) -> None:
        """Take the set a committed :func:`record_page` returned."""
        if result.counted:
            self._sets[source_id] = (time.monotonic(), result.templates)

    def invalidate(self, source_id: int | None = None) -> None:
        """Forget one source's set (or all)."""
        if source_id is None:
            self._sets.clear()
        else:
            self._sets.pop(source_id, None)


def templates_changed(
    db: Database,
    config: MonitorConfig,
    source_name: str,
    result: RecordResult,
    *,
    store: Any = None,
    days: float = RECLEAN_DAYS,
) -> Any:
    """After the commit of a :func:`record_page` that learned new template blocks, clean the
    source's articles of the last ``days`` days again from their kept HTML.

    Returns the reprocess summary, or None when nothing new was learned. The re-clean stores
    through the normal store (``store``: the caller's ArticleStore, else a new one); its pages
    are already counted, so it cannot trigger another re-clean.
    """
    if not result.learned:
        return None
    from monitor.reprocess import reprocess

    return reprocess(
        db,
        config,
        source=source_name,
        since=utcnow() - timedelta(days=days),
        stored_only=True,
        store=store,
    )


@dataclass(frozen=True)
class LearnedBlock:
    """One block of a report: sample text, on how many counted pages, template or not."""

    fingerprint: str
    sample: str
    pages: int
    template: bool


@dataclass(frozen=True)
class TemplateReport:
    """What was learned for one source."""

    source: str
    pages: int
    floor: float
    blocks: list[LearnedBlock]

    @property
    def templates(self) -> list[LearnedBlock]:
        """The blocks that are template."""
        return [b for b in self.blocks if b.template]


def template_report(
    session: Session, source: str, *, candidates: int = 10
) -> TemplateReport | None:
    """Template blocks of the source called ``source`` and the most repeated other blocks.

    None when no such source exists.
    """
    source_id = session.scalar(select(Source.id).where(Source.name == source))
    if source_id is None:
        return None
    pages = _page_count(session, source_id)
    floor = max(MIN_PAGES, MIN_SHARE * pages)
    learned = _learned(session, source_id, pages).fingerprints
    rows = session.execute(
        select(TemplateBlock.fingerprint, TemplateBlock.sample, TemplateBlock.pages)
        .where(TemplateBlock.source_id == source_id, TemplateBlock.pages >= 2)
        .order_by(TemplateBlock.pages.desc(), TemplateBlock.fingerprint)
        .limit(len(learned) + candidates)
    ).all()
    blocks = [LearnedBlock(fp, sample, n, fp in learned) for fp, sample, n in rows]
    return TemplateReport(source, pages, floor, blocks)

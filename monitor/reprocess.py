"""Run the current cleaner, query and relevance model over the page archive again.

``monitor reprocess`` and the template re-clean call :func:`reprocess`. Each archived page is
analysed as the crawl would analyse it now; matches and near misses go through the normal
store (:class:`~monitor.processing.ArticleStore`), so URL and content dedup, story clustering,
revisions and the alert-once outbox hold: a page that did not match before and matches now is
a new story and is alerted once; a stored article whose text changed is updated; a second run
changes nothing. Pages that do not match are counted, never stored (and not archived again).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.db.archive import (
    ArchivedCopy,
    count_archived,
    iter_archived,
    source_templates,
    stored_versions,
)
from monitor.db.engine import Database

if TYPE_CHECKING:
    from monitor.config import MonitorConfig
    from monitor.extract import TemplateSet
    from monitor.processing import ArticleStore, PageAnalysis, RelevanceGate

#: The summary's rows, in print order (store outcomes folded into them by :data:`_ROW_OF`).
logger = logging.getLogger(__name__)

ROWS = ("new", "near_miss", "syndicated", "updated", "unchanged", "not_matching", "skipped")
_ROW_OF = {"duplicate": "unchanged", "store_error": "error"}


@dataclass
class ReprocessSummary:
    """What one reprocess run did: pages by outcome, skips by reason, alerts written."""

    pages: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    alerts: int = 0
    dry_run: bool = False
    errors: list[str] = field(default_factory=list)

    def count(self, outcome: str, reason: str | None = None) -> None:
        """Count one page's outcome (and, for a skip, its reason)."""
        row = _ROW_OF.get(outcome, outcome)
        self.outcomes[row] += 1
        if row == "skipped":
            self.skipped[(reason or "unknown").split(":", 1)[0]] += 1

    @property
    def newly_matching(self) -> int:
        """Pages stored now that were not before (new stories, near misses, copies)."""
        return sum(self.outcomes[k] for k in ("new", "near_miss", "syndicated"))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (``monitor reprocess --json``)."""
        return {
            "pages": self.pages,
            "dry_run": self.dry_run,
            "outcomes": {row: self.outcomes[row] for row in (*ROWS, "error")},
            "skipped": dict(sorted(self.skipped.items())),
            "alerts": self.alerts,
            "errors": self.errors[:50],
        }


def _analyzer(
    db: Database, query: str, gate: RelevanceGate | None
) -> Callable[[ArchivedCopy], PageAnalysis]:
    """What the crawl runs on a page now: the store's per-source entry point when it offers
    one, else ``analyze_page`` with the source's learned templates (read once per run)."""
    from monitor import processing

    per_source = getattr(processing, "analyze_for_source", None)
    if per_source is not None:
        return lambda copy: per_source(db, copy.to_fetched_page(), query, relevance=gate)  # type: ignore[no-any-return]
    templates: dict[str, TemplateSet | None] = {}

    def _analyse(copy: ArchivedCopy) -> PageAnalysis:
        if copy.source_name not in templates:
            with db.session() as session:
                templates[copy.source_name] = source_templates(session, copy.source_name)
        return processing.analyze_page(
            copy.to_fetched_page(), query, relevance=gate, templates=templates[copy.source_name]
        )

    return _analyse


def make_store(db: Database, config: MonitorConfig) -> ArticleStore:
    """The article store as the crawl workers have it (alerts wired), without archiving: the
    pages come from the archive already."""
    from monitor.processing import ArticleStore

    store = ArticleStore.for_config(db, config)
    store.archive_pages = False
    return store


def reprocess(
    db: Database,
    config: MonitorConfig,
    *,
    source: str | None = None,
    since: datetime | None = None,
    dry_run: bool = False,
    stored_only: bool = False,
    store: ArticleStore | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ReprocessSummary:
    """Analyse the archived pages (of ``source``, fetched at or after ``since``; with
    ``stored_only`` only those already stored as articles) with today's cleaner, query and
    relevance model, and store what matches through the normal store path.

    ``dry_run``: analyse and classify against the stored articles, write nothing (a copy on
    another site counts as new there). ``store``: an existing :class:`ArticleStore` to use (a
    crawl worker's); ``progress(done, total)`` is called after each page.
    """
    from monitor.processing import relevance_gate

    gate = relevance_gate(config)
    analyse = _analyzer(db, config.query.match, gate)
    summary = ReprocessSummary(dry_run=dry_run)
    with db.session() as session:
        total = count_archived(session, source=source, since=since, stored_only=stored_only)
    if not dry_run and store is None:
        store = make_store(db, config)
    kinds = {s.name: s.type for s in config.sources}
    pending: list[PageAnalysis] = []
    for copy in iter_archived(db, source=source, since=since, stored_only=stored_only):
        summary.pages += 1
        analysis = analyse(copy)
        if getattr(analysis, "error", None):
            summary.count("error")
            summary.errors.append(f"{copy.url[:200]}: {analysis.error}")  # type: ignore[attr-defined]
        elif analysis.article is None:
            summary.count("skipped", analysis.skip_reason)
        elif not (analysis.matched or analysis.near_miss):
            summary.count("not_matching")
        elif dry_run:
            pending.append(analysis)
            if len(pending) >= 200:
                _classify(db, pending, summary)
        else:
            assert store is not None
            _store(store, analysis, kinds.get(copy.source_name, "site"), summary)
        if progress is not None:
            progress(summary.pages, total)
    if pending:
        _classify(db, pending, summary)
    return summary


def _store(
    store: ArticleStore, analysis: PageAnalysis, kind: str, summary: ReprocessSummary
) -> None:
    try:
        result = store.store(analysis, kind=kind)
    except Exception as exc:  # boundary: one bad page must not end the run: count it, go on
        logger.exception("cannot store %s again", analysis.final_url[:300])
        summary.count("error")
        summary.errors.append(f"{analysis.final_url[:200]}: {type(exc).__name__}: {exc}"[:300])
        return
    outcome = str(result.outcome)
    summary.count(outcome, result.detail.get("reason"))
    if outcome in ("error", "store_error"):
        summary.errors.append(f"{analysis.final_url[:200]}: {result.detail.get('error')}")
    summary.alerts += int(result.alerts or 0)


def _classify(db: Database, analyses: list[PageAnalysis], summary: ReprocessSummary) -> None:
    """Dry run: what storing would do, judged by canonical URL and content fingerprint."""
    with db.session() as session:
        stored = stored_versions(session, _urls(analyses))
    for analysis in analyses:
        version = stored.get(analysis.canonical_url or "")
        if version is None:
            summary.count("near_miss" if analysis.near_miss else "new")
        elif version.fingerprint == analysis.fingerprint:
            summary.count("unchanged")
        else:
            summary.count("updated")
    analyses.clear()


def _urls(analyses: Iterable[PageAnalysis]) -> list[str]:
    return [a.canonical_url for a in analyses if a.canonical_url]


@dataclass(frozen=True)
class ArchiveHit:
    """An archived page a trial query matches, as the pipeline would judge it now."""

    archive_id: int
    url: str
    source_name: str
    title: str
    terms: tuple[str, ...]
    score: float
    snippet: str
    relevance: float | None
    near_miss: bool
    article_id: int | None  # the stored article under the page's canonical URL, if any
    story_id: int | None


def search_archive(
    db: Database,
    config: MonitorConfig,
    query: str,
    *,
    limit: int = 20,
    source: str | None = None,
    since: datetime | None = None,
) -> tuple[list[ArchiveHit], int]:
    """``monitor query test --archive``: clean every archived page with today's cleaner and
    run ``query`` (and the configured relevance model) on it, matching or not before; the
    best hits (relevant first) and how many pages were searched. Writes nothing.

    Raises QuerySyntaxError for an invalid query (before any page is read).
    """
    from monitor.processing import relevance_gate
    from monitor.query import compile_query

    compile_query(query)
    analyse = _analyzer(db, query, relevance_gate(config))
    found: list[tuple[ArchivedCopy, PageAnalysis]] = []
    searched = 0
    for copy in iter_archived(db, source=source, since=since):
        searched += 1
        analysis = analyse(copy)
        if analysis.article is not None and analysis.query_matched:
            # Keep the page's metadata, not its HTML; trim as we go so memory stays bounded.
            found.append((replace(copy, body=b""), analysis))
            if len(found) >= 2 * limit + 100:
                found = _best(found, limit)
    found = _best(found, limit)
    with db.session() as session:
        stored = stored_versions(session, _urls(a for _, a in found))
    hits = []
    for copy, analysis in found:
        assert analysis.article is not None
        version = stored.get(analysis.canonical_url or "")
        hits.append(
            ArchiveHit(
                archive_id=copy.id,
                url=copy.url,
                source_name=copy.source_name,
                title=analysis.article.title,
                terms=analysis.matched_terms,
                score=analysis.score,
                snippet=analysis.snippet,
                relevance=analysis.relevance,
                near_miss=analysis.near_miss,
                article_id=version.article_id if version else None,
                story_id=version.story_id if version else None,
            )
        )
    return hits, searched


def _best(
    found: list[tuple[ArchivedCopy, PageAnalysis]], limit: int
) -> list[tuple[ArchivedCopy, PageAnalysis]]:
    """The ``limit`` best hits: relevant before near misses, then by score, then oldest page."""
    return sorted(found, key=lambda pair: (pair[1].near_miss, -pair[1].score, pair[0].id))[:limit]

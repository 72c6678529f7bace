"""The article pipeline: analyse a fetched page (pure), then store it once (one transaction).

``analyze_page`` is pure CPU work (decode, clean, match, judge relevance, fingerprint) and
runs in a worker process. ``ArticleStore.store`` gathers what is stored already, asks the pure
:func:`monitor.stories.decide.decide` what the page is (new, a copy, an edit, unchanged…) and
lets :class:`monitor.db.stories.StoryRepository` apply it in one transaction (story rows,
revisions, the alert outbox); its in-process caches change only after the commit. Scrapy
pipelines, ``monitor reprocess``, the CLI's ``extract`` and the benchmarks call these.

Matching has two stages: the boolean query is the recall gate, and a relevance model
(:mod:`monitor.relevance`) judges whether a match is *about* the topic. A match the model
rejects is a **near miss**: stored (article and story flagged ``near_miss``) but never alerted
unless an analyst promotes it (:mod:`monitor.feedback`).
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from monitor.db.engine import Database
from monitor.db.models import Article, Source, utcnow
from monitor.db.repository import source_id
from monitor.db.stories import Applied, StoryAlertHook, StoryRepository
from monitor.db.templates import (
    RecordResult,
    TemplateCache,
    load_templates,
    record_page,
    templates_changed,
)
from monitor.dedup import (
    StoryIndex,
    canonicalize_url,
    content_fingerprint,
    estimated_similarity,
    minhash_signature,
    normalize_for_fingerprint,
)
from monitor.extract import (
    Access,
    DateFinding,
    DateMethod,
    ExtractedArticle,
    Fault,
    ParsedPage,
    Skipped,
    TemplateSet,
    clean_page,
)
from monitor.query import CompiledQuery, compile_query
from monitor.query.snippet import Snippet, build_snippet
from monitor.stories.decide import Decision, Skip, StoryState, decide
from monitor.stories.outcomes import StoreOutcome

if TYPE_CHECKING:
    from monitor.config import MonitorConfig
    from monitor.relevance import RelevanceModel, RelevanceVerdict

logger = logging.getLogger(__name__)

STORY_WINDOW = timedelta(days=30)
_ARTICLES: Table = Article.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class FetchedPage:
    """A downloaded candidate article page, as the spider found it."""

    url: str
    body: bytes
    source_name: str
    final_url: str | None = None
    content_type: str | None = None
    listed_title: str | None = None
    listed_published_at: datetime | None = None
    # How the listing's date was found (a DateMethod value; None: a feed date)
    listed_date_method: str | None = None
    discovered_from: str | None = None
    # The response's validators and when it arrived (kept with the page in the archive).
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class PageAnalysis:
    """Everything decided about one page without touching the database."""

    page_url: str
    final_url: str
    source_name: str
    canonical_url: str | None
    skip_reason: str | None = None
    article: ExtractedArticle | None = None
    # The final decision (query matched and, with the model on, judged relevant): what is
    # stored as a relevant article and alerted on.
    matched: bool = False
    query_matched: bool = False
    relevance: float | None = None  # None: no text, or the model is off
    relevance_reasons: tuple[str, ...] = ()
    near_miss: bool = False  # the query matched but the model judged it off-topic
    language_unsupported: bool = False
    matched_terms: tuple[str, ...] = ()
    score: float = 0.0
    snippet: str = ""
    fingerprint: str = ""
    minhash: bytes | None = None
    listed_published_at: datetime | None = None
    date_disagreement: bool = False
    snippet_spans: tuple[tuple[int, int], ...] = ()  # hit offsets into ``snippet``
    # An unexpected error while analysing (logged with its traceback): never a skip reason.
    error: str | None = None

    @property
    def has_article(self) -> bool:
        return self.article is not None

    @property
    def title(self) -> str:
        return self.article.title if self.article else ""

    @property
    def text(self) -> str:
        return self.article.text if self.article else ""

    @property
    def access(self) -> str:
        """``open``, ``paywalled`` or ``consent_wall`` (what of the article the page shows)."""
        return str(self.article.access) if self.article else Access.OPEN.value

    @property
    def article_row(self) -> dict[str, Any]:
        """The ``articles`` columns that come from this analysis (the latest version)."""
        article = self.article
        assert article is not None
        method = article.published_method
        return {
            "content_fingerprint": self.fingerprint,
            "minhash": self.minhash,
            "title": article.title,
            "text": article.text,
            "author": article.author,
            "site_name": article.site_name,
            "language": article.language,
            "published_at": article.published_at,
            "published_method": str(method) if method else None,
            "modified_at": article.modified_at,
            "access": self.access,
            "matched_terms": list(self.matched_terms),
            "snippet": self.snippet,
            "snippet_spans": [list(span) for span in self.snippet_spans],
            "score": self.score,
            "relevance": self.relevance,
            "relevance_reasons": list(self.relevance_reasons),
            "near_miss": self.near_miss,
        }


@dataclass
class StoreResult:
    """What storing one analysed page did."""

    outcome: StoreOutcome
    article_id: int | None = None
    story_id: int | None = None
    alerts: int = 0
    revision_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    # What counting the page's blocks for its source's template did (None: no article).
    templates: RecordResult | None = None


@lru_cache(maxsize=16)
def compiled_query(source: str) -> CompiledQuery:
    """Compile a query once per process (bounded; queries are few and fixed)."""
    return compile_query(source)


@dataclass(frozen=True)
class RelevanceGate:
    """Stage 2 as configured: the relevance model and the threshold it is applied with."""

    model: RelevanceModel
    threshold: float

    def judge(self, title: str, text: str, language: str | None) -> RelevanceVerdict:
        """The model's verdict at the configured threshold."""
        return self.model.score(title, text, language, threshold=self.threshold)


class _Default(Enum):
    PROCESS = "process"


#: ``analyze_page(relevance=PROCESS_DEFAULT)``: the gate :func:`configure_relevance` set in
#: this process, else the packaged model at its own threshold (the embedded default).
PROCESS_DEFAULT = _Default.PROCESS
_process_gate: RelevanceGate | _Default | None = PROCESS_DEFAULT


@lru_cache(maxsize=8)
def load_relevance_model(path: Path | None = None) -> RelevanceModel:
    """Read a model file once per process (None: the packaged model); RelevanceModelError."""
    from monitor.relevance import RelevanceModel

    return RelevanceModel.load(path)


def relevance_gate(config: MonitorConfig) -> RelevanceGate | None:
    """The configured gate (None when ``[relevance] enabled = false``).

    Raises RelevanceModelError (one line, exit 2) when the model file is missing or corrupt.
    """
    settings = config.relevance
    if not settings.enabled:
        return None
    model = load_relevance_model(settings.model)
    threshold = model.threshold if settings.threshold is None else settings.threshold
    return RelevanceGate(model, threshold)


def warm_analysis() -> None:
    """Load now what the analysis otherwise loads on a process's first pages: trafilatura and
    htmldate (imported on first use) and every language's lexicon index (with the Russian
    morphology and the stemmers). A crawl calls it before forking its pool, so the workers share
    one copy instead of each loading its own (about 0.5 s of CPU per worker)."""
    import htmldate  # noqa: F401
    import trafilatura  # noqa: F401

    from monitor.relevance.lexicon import warm_lexicon_indexes

    warm_lexicon_indexes()


def configure_relevance(config: MonitorConfig) -> RelevanceGate | None:
    """Make ``config``'s gate this process's default (call at start: it fails fast)."""
    global _process_gate
    gate = relevance_gate(config)
    _process_gate = gate
    return gate


def default_relevance() -> RelevanceGate | None:
    """This process's gate: the configured one, else the packaged model at its threshold."""
    global _process_gate
    if _process_gate is PROCESS_DEFAULT:
        model = load_relevance_model(None)
        _process_gate = RelevanceGate(model, model.threshold)
    return _process_gate


def query_mismatch_warning(config: MonitorConfig) -> str | None:
    """One line when the configured model was trained for another query than ``[query] match``."""
    gate = relevance_gate(config)
    if gate is None or gate.model.query is None:
        return None
    if " ".join(gate.model.query.split()) == " ".join(config.query.match.split()):
        return None
    return (
        f"warning: the relevance model (topic {gate.model.topic!r}) was trained for another "
        "query than [query] match; retrain it with `monitor relevance train`"
    )


def _trustworthy_canonical(declared: str | None, final_url: str) -> str:
    """The page's declared canonical URL unless it is obviously wrong (a home page, not http)."""
    if declared:
        parts = urlsplit(declared)
        page_path = urlsplit(final_url).path.strip("/")
        if (
            parts.scheme in ("http", "https")
            and parts.hostname
            and (parts.path.strip("/") or not page_path)
        ):
            return declared
    return final_url


def _listed_date(page: FetchedPage) -> DateFinding | None:
    if page.listed_published_at is None:
        return None
    try:
        method = DateMethod(page.listed_date_method or DateMethod.FEED)
    except ValueError:  # an unknown label (an older deferred request): the listing's date
        method = DateMethod.FEED
    return DateFinding(page.listed_published_at, method)


def _error_analysis(page: FetchedPage, final_url: str, exc: BaseException) -> PageAnalysis:
    return PageAnalysis(
        page_url=page.url,
        final_url=final_url,
        source_name=page.source_name,
        canonical_url=None,
        listed_published_at=page.listed_published_at,
        error=f"{type(exc).__name__}: {exc}"[:300],
    )


def analyze_page(
    page: FetchedPage,
    query_source: str,
    *,
    min_body_chars: int = 400,
    relevance: RelevanceGate | _Default | None = PROCESS_DEFAULT,
    templates: TemplateSet | None = None,
    parsed: ParsedPage | None = None,
) -> PageAnalysis:
    """Clean, match, judge and fingerprint one page; never raises for bad input.

    ``relevance``: the stage-2 gate (None: off, every query match is relevant).
    ``templates``: the source's learned template blocks, removed by the cleaner.
    ``parsed``: the page's body already parsed (by the crawl's pre-check), cleaned in place.
    A page without an article gets ``skip_reason``; an unexpected error (a bug) is logged
    with its traceback and returned as ``error``, never disguised as a skip.
    """
    final_url = page.final_url or page.url
    result: ExtractedArticle | Skipped
    try:
        result = clean_page(
            page.body if parsed is None else parsed,
            final_url,
            content_type=page.content_type,
            min_body_chars=min_body_chars,
            templates=templates,
            listed_date=_listed_date(page),
        )
    except Exception as exc:  # boundary: a bug in the cleaner: logged and counted, crawl goes on
        logger.exception("cannot analyse %s", final_url[:300])
        return _error_analysis(page, final_url, exc)
    fallback_canonical: str | None
    try:
        fallback_canonical = canonicalize_url(final_url)
    except ValueError:
        fallback_canonical = None
    if isinstance(result, Skipped):
        return PageAnalysis(
            page_url=page.url,
            final_url=final_url,
            source_name=page.source_name,
            listed_published_at=page.listed_published_at,
            canonical_url=fallback_canonical,
            skip_reason=str(result.reason),
        )
    canonical: str | None
    declared = _trustworthy_canonical(result.canonical_url, final_url)
    if declared == final_url:  # the usual case: the page is its own canonical URL
        canonical = fallback_canonical
    else:
        try:
            canonical = canonicalize_url(declared)
        except ValueError:
            canonical = fallback_canonical
    match = compiled_query(query_source).match(result.title, result.body)
    gate = default_relevance() if relevance is PROCESS_DEFAULT else relevance
    assert not isinstance(gate, _Default)
    verdict: RelevanceVerdict | None = None
    if match.matched and gate is not None:
        # Judged on what is visible: a teaser or a short wire item is scored as it stands.
        verdict = gate.judge(result.title, result.body, result.language)
    near_miss = verdict is not None and not verdict.relevant
    normalized = normalize_for_fingerprint(result.body)
    snippet = build_snippet(result.body, match.spans) if match.matched else Snippet("", ())
    return PageAnalysis(
        page_url=page.url,
        final_url=final_url,
        source_name=page.source_name,
        listed_published_at=page.listed_published_at,
        canonical_url=canonical,
        article=result,
        matched=match.matched and not near_miss,
        query_matched=match.matched,
        relevance=verdict.score if verdict is not None else None,
        relevance_reasons=verdict.reasons if verdict is not None else (),
        near_miss=near_miss,
        language_unsupported=verdict.language_unsupported if verdict is not None else False,
        matched_terms=tuple(match.terms),
        score=match.score,
        snippet=snippet.text,
        snippet_spans=snippet.spans,
        fingerprint=content_fingerprint(result.body, normalized=normalized),
        minhash=minhash_signature(result.body, normalized=normalized) if match.matched else None,
        date_disagreement=result.date_conflict,
    )


def source_templates(
    db: Database, source_name: str, cache: TemplateCache | None = None
) -> TemplateSet | None:
    """The learned template set of ``source_name`` (None for a source never stored)."""

    def _read(session: Session) -> TemplateSet | None:
        src = session.scalar(select(Source.id).where(Source.name == source_name))
        if src is None:
            return None
        return cache.get(session, src) if cache is not None else load_templates(session, src)

    return db.read(_read)


def analyze_for_source(
    db: Database,
    page: FetchedPage,
    query_source: str,
    *,
    relevance: RelevanceGate | _Default | None = PROCESS_DEFAULT,
    cache: TemplateCache | None = None,
    parsed: ParsedPage | None = None,
) -> PageAnalysis:
    """:func:`analyze_page` with the page's source's learned templates (one read).

    The one entry point of crawl workers (through :meth:`ArticleStore.analyze`) and
    ``monitor reprocess``.
    """
    templates = source_templates(db, page.source_name, cache)
    return analyze_page(page, query_source, relevance=relevance, templates=templates, parsed=parsed)


@dataclass
class _Pending:
    """Cache changes of one transaction, applied only after it commits."""

    source: tuple[str, int] | None = None
    source_id: int | None = None
    seen: list[tuple[int, bytes | None, int | None]] = field(default_factory=list)
    templates: RecordResult | None = None
    caught_up: bool = False  # ``seen`` holds every row written since the index's last id
    last_article_id: int = 0
    index: tuple[int, bytes, int] | None = None


class ArticleStore:
    """Stores analysed pages once: the pure story decision applied in one transaction.

    The in-memory story index is a cache of the database's MinHash signatures; before each
    decision it reads (under the write lock) the rows other processes wrote since, and it
    changes only after the transaction commits, so a retried or rolled-back write leaves no
    trace in it. ``alerts`` writes the outbox rows of a story new to analysts.
    """

    def __init__(
        self,
        db: Database,
        *,
        alerts: StoryAlertHook | None = None,
        threshold: float | None = None,
        archive_pages: bool = False,
        config: MonitorConfig | None = None,
    ) -> None:
        self.db = db
        self._alerts = alerts
        self.archive_pages = archive_pages
        # With a config, a page that teaches its source a new template block re-cleans the
        # source's recent articles after the commit (monitor.db.templates.templates_changed).
        self._config = config
        self.templates = TemplateCache()
        self.index = StoryIndex(threshold=threshold) if threshold else StoryIndex()
        self._story_of: dict[int, int] = {}
        self._last_article_id = 0
        self._source_ids: dict[str, int] = {}  # source rows are never deleted
        # Held around each write transaction only (a worker pool's shared SQLite lock): the
        # page's compression and the caches' updates run outside it.
        self.write_lock: AbstractContextManager[Any] = nullcontext()

    def known_source_id(self, name: str) -> int | None:
        """The id of the source called ``name`` if a committed write of this store saw it."""
        return self._source_ids.get(name)

    def remember_source_id(self, name: str, source: int) -> None:
        """Note a source's id, once the transaction that read or created it has committed."""
        self._source_ids[name] = source

    @classmethod
    def for_config(cls, db: Database, config: MonitorConfig) -> ArticleStore:
        """The store as a crawl or reprocess uses it: the one alert hook, the archive flag."""
        from monitor.alerts.outbox import story_hook

        archive = getattr(config, "archive", None)
        return cls(
            db,
            alerts=story_hook(config),
            archive_pages=bool(getattr(archive, "enabled", False)),
            config=config,
        )

    def analyze(
        self,
        page: FetchedPage,
        query_source: str,
        *,
        relevance: RelevanceGate | _Default | None = PROCESS_DEFAULT,
        parsed: ParsedPage | None = None,
    ) -> PageAnalysis:
        """:func:`analyze_page` with the source's learned templates (cached per source)."""
        known = self._source_ids.get(page.source_name)
        templates = self.templates.fresh(known) if known is not None else None
        if templates is not None:  # the usual case in a crawl: no database read at all
            return analyze_page(
                page, query_source, relevance=relevance, templates=templates, parsed=parsed
            )
        return analyze_for_source(
            self.db, page, query_source, relevance=relevance, cache=self.templates, parsed=parsed
        )

    @property
    def alerts(self) -> StoryAlertHook | None:
        """The hook that writes a new story's alert outbox rows."""
        return self._alerts

    @property
    def on_new_story(self) -> StoryAlertHook | None:
        """Removed: the hook is injected (``ArticleStore(db, alerts=...)`` or ``for_config``)."""
        return self._alerts

    @on_new_story.setter
    def on_new_story(self, hook: StoryAlertHook | None) -> None:
        # Loud, not silent: a hook set from outside used to be the production wiring, and an
        # attribute nobody reads would drop every alert without a word.
        raise TypeError("pass the alert hook to ArticleStore(db, alerts=...) or use for_config")

    # --- the near-duplicate index ------------------------------------------------------------

    def _catch_up(self, session: Session, pending: _Pending) -> None:
        """Read the rows written since the index was last brought up to date (not yet added)."""
        a = _ARTICLES.c
        query = select(a.id, a.minhash, a.story_id).where(a.id > self._last_article_id)
        if self._last_article_id == 0:  # first load: only stories that can still grow
            query = query.where(a.first_seen_at >= utcnow() - STORY_WINDOW)
        rows = session.connection().execute(query).all()
        pending.seen = [(row.id, row.minhash, row.story_id) for row in rows]
        pending.caught_up = True
        pending.last_article_id = max([self._last_article_id, *(row.id for row in rows)])

    def _near_story(self, signature: bytes, pending: _Pending) -> int | None:
        """The story of the most similar indexed (or just read) article, if any is near."""
        candidates = list(self.index.find(signature))
        for article_id, other, story_id in pending.seen:
            if other is not None and story_id is not None:
                similarity = estimated_similarity(signature, other)
                if similarity >= self.index.threshold:
                    candidates.append((article_id, similarity))
        fresh = {article_id: story for article_id, _, story in pending.seen if story is not None}
        for article_id, _similarity in sorted(candidates, key=lambda c: -c[1]):
            story_id = fresh.get(article_id, self._story_of.get(article_id))
            if story_id is not None:
                return story_id
        return None

    def _commit_caches(self, pending: _Pending) -> None:
        if pending.source is not None:
            self._source_ids[pending.source[0]] = pending.source[1]
        if pending.templates is not None and pending.source_id is not None:
            self.templates.note(pending.source_id, pending.templates)
        entries = [(a, sig, story) for a, sig, story in pending.seen if sig is not None and story]
        if pending.index is not None:
            entries.append(pending.index)
        for article_id, signature, story_id in entries:
            assert signature is not None and story_id is not None
            self.index.add(article_id, signature)
            self._story_of[article_id] = story_id
        if pending.caught_up:  # our own row came after everything read under the lock
            ids = [pending.last_article_id, *(entry[0] for entry in entries)]
            self._last_article_id = max(self._last_article_id, *ids)

    # --- storing -----------------------------------------------------------------------------

    def store(
        self, analysis: PageAnalysis, *, kind: str = "site", page: FetchedPage | None = None
    ) -> StoreResult:
        """Store one analysed page in one transaction; return what happened.

        With ``page`` and ``archive_pages`` the fetched HTML is kept in the page archive in
        the same transaction (compressed before it starts).
        """
        entry = self._archive_entry(page)
        with self.write_lock:
            result, pending = self.db.write(
                lambda session: self._store(session, analysis, kind, entry)
            )
        self._commit_caches(pending)
        result.templates = pending.templates
        if pending.templates is not None and pending.templates.learned:
            self._reclean(analysis.source_name, pending.templates, result)
        return result

    def _reclean(self, source_name: str, learned: RecordResult, result: StoreResult) -> None:
        """The source learned a template block: clean its recent articles again."""
        if self._config is None:
            return
        try:
            summary = templates_changed(self.db, self._config, source_name, learned, store=self)
        except Exception as exc:  # boundary: the page is stored; the re-clean is retried later
            logger.exception("re-cleaning %s after a new template failed", source_name)
            result.detail["reclean_error"] = f"{type(exc).__name__}: {exc}"[:300]
            result.detail["faults"] = [*result.detail.get("faults", ()), str(Fault.RECLEAN)]
        else:
            result.detail["recleaned"] = getattr(summary, "pages", None)

    def _archive_entry(self, page: FetchedPage | None) -> Any:
        if page is None or not self.archive_pages:
            return None
        from monitor.db.archive import archive_entry

        return archive_entry(page)

    def _store(
        self, session: Session, analysis: PageAnalysis, kind: str, entry: Any
    ) -> tuple[StoreResult, _Pending]:
        pending = _Pending()
        if analysis.error is not None:  # nothing remembered: the page is tried again
            return StoreResult(StoreOutcome.ERROR, detail={"error": analysis.error}), pending
        src = self._source_ids.get(analysis.source_name)
        if src is None:
            src = source_id(session, analysis.source_name, kind)
            pending.source = (analysis.source_name, src)
        pending.source_id = src
        if entry is not None:
            from monitor.db.archive import archive_page

            archive_page(session, entry)
        article = analysis.article
        if article is not None:  # every article page teaches its source's template
            pending.templates = record_page(
                session,
                src,
                analysis.canonical_url or analysis.final_url,
                article.block_fingerprints,
                article.block_texts,
                applied=article.templates_applied,
            )
        repository = StoryRepository(session, self._alerts)
        urls = list(dict.fromkeys((analysis.page_url, analysis.final_url)))
        if analysis.article is None or analysis.canonical_url is None:
            decision = decide(analysis, None, (), None)
            reason = decision.reason if isinstance(decision, Skip) else None
            repository.record_seen(
                urls,
                decision.outcome,
                canonical_url=analysis.canonical_url,
                source_id=src,
                reason=reason,
            )
            return StoreResult(decision.outcome, detail={"reason": reason}), pending
        repository.lock()
        by_url = repository.by_url(analysis.canonical_url)
        decision = self._decide(repository, analysis, by_url is None, pending, by_url)
        applied = repository.apply(decision, analysis, src)
        pending.index = applied.index
        repository.record_seen(
            urls,
            applied.outcome,
            canonical_url=analysis.canonical_url,
            source_id=src,
            article_id=applied.article_id,
        )
        return _result(decision, applied), pending

    def _decide(
        self,
        repository: StoryRepository,
        analysis: PageAnalysis,
        new_url: bool,
        pending: _Pending,
        by_url: Any,
    ) -> Decision:
        if not new_url or not (analysis.matched or analysis.near_miss):
            return decide(analysis, by_url, (), None)
        same = repository.same_fingerprint(analysis.fingerprint)
        near: StoryState | None = None
        if not same and analysis.minhash is not None:
            self._catch_up(repository.session, pending)
            near = repository.story_state(self._near_story(analysis.minhash, pending))
        return decide(analysis, None, same, near)


def _result(decision: Decision, applied: Applied) -> StoreResult:
    detail: dict[str, Any] = {}
    edit = getattr(decision, "edit", None)
    if edit is not None:
        detail["edit"] = edit.summary
    return StoreResult(
        applied.outcome,
        applied.article_id,
        applied.story_id,
        applied.alerts,
        applied.revision_id,
        detail,
    )

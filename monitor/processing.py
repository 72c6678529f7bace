"""The article pipeline as plain functions: analyse a fetched page, then store it once.

``analyze_page`` is pure CPU work (decode, clean, match, judge relevance, fingerprint) and
runs in a worker process; ``ArticleStore.store`` is one database transaction (dedup, story
clustering, the alert outbox). Scrapy pipelines, the CLI's ``extract`` and the benchmarks all
call these.

Matching has two stages: the boolean query is the recall gate, and a relevance model
(:mod:`monitor.relevance`) judges whether a match is *about* the topic. A match the model
rejects is a **near miss**: stored (article and story flagged ``near_miss``) but never alerted
unless an analyst promotes it (:mod:`monitor.feedback`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import Table, case, or_, select, text, update
from sqlalchemy.orm import Session, make_transient_to_detached

from monitor.db.engine import Database
from monitor.db.models import Article, FeedbackLabel, Story, url_key, utcnow
from monitor.db.repository import latest_label, record_seen_urls, source_id
from monitor.dedup import (
    StoryIndex,
    canonicalize_url,
    content_fingerprint,
    minhash_signature,
    normalize_for_fingerprint,
    same_site,
)
from monitor.extract import ExtractedArticle, Skipped, clean_page
from monitor.query import CompiledQuery, compile_query, make_snippet

if TYPE_CHECKING:
    from monitor.config import MonitorConfig
    from monitor.relevance import RelevanceModel, RelevanceVerdict

# How far apart a feed's date and the page's date may be before we record a disagreement.
DATE_DISAGREEMENT = timedelta(hours=36)
STORY_WINDOW = timedelta(days=30)
_STORIES: Table = Story.__table__  # type: ignore[assignment]
_ARTICLES: Table = Article.__table__  # type: ignore[assignment]

T = TypeVar("T")


def _insert(session: Session, table: Table, row: dict[str, Any]) -> int:
    """INSERT one row (Core: no ORM flush); its new primary key."""
    result = session.connection().execute(table.insert(), row)
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _persistent(session: Session, instance: T) -> T:
    """Attach an ORM object describing an already inserted row as persistent (no SQL)."""
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


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
    discovered_from: str | None = None


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

    @property
    def text(self) -> str:
        return self.article.text if self.article else ""


@dataclass
class StoreResult:
    """What storing one analysed page did: ``outcome`` is a short counter name."""

    outcome: str
    article_id: int | None = None
    story_id: int | None = None
    alerts: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


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


def analyze_page(
    page: FetchedPage,
    query_source: str,
    *,
    min_body_chars: int = 400,
    relevance: RelevanceGate | _Default | None = PROCESS_DEFAULT,
) -> PageAnalysis:
    """Clean, match, judge and fingerprint one page; never raises for bad input.

    ``relevance``: the stage-2 gate (None: off, every query match is relevant).
    """
    final_url = page.final_url or page.url
    result: ExtractedArticle | Skipped
    try:
        result = clean_page(
            page.body, final_url, content_type=page.content_type, min_body_chars=min_body_chars
        )
    except Exception:  # the cleaner must not take the crawl down; the page counts as skipped
        result = Skipped("no_article")
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
            skip_reason=result.reason,
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
    disagreement = bool(
        page.listed_published_at
        and result.published_at
        and abs(page.listed_published_at - result.published_at) > DATE_DISAGREEMENT
    )
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
        snippet=make_snippet(result.body, match.spans) if match.matched else "",
        fingerprint=content_fingerprint(result.body, normalized=normalized),
        minhash=minhash_signature(result.body, normalized=normalized) if match.matched else None,
        date_disagreement=disagreement,
    )


class ArticleStore:
    """Stores analysed pages once: URL, exact-content and near-duplicate dedup, then the outbox.

    The in-memory story index is a cache of the database's MinHash signatures; before each
    decision it catches up with rows other processes wrote (by id), under a write lock.
    """

    def __init__(self, db: Database, *, threshold: float | None = None) -> None:
        self.db = db
        self._threshold = threshold
        self._forget_cache()

    def _forget_cache(self) -> None:
        """Drop what this store cached from the database (reloaded by the next decision): a
        transaction that did not commit may have cached rows that do not exist."""
        threshold = self._threshold
        self.index = StoryIndex(threshold=threshold) if threshold else StoryIndex()
        self._story_of: dict[int, int] = {}
        self._last_article_id = 0
        self._source_ids: dict[str, int] = {}  # source rows are never deleted

    def _catch_up(self, session: Session) -> None:
        a = _ARTICLES.c
        query = select(a.id, a.story_id, a.minhash).where(a.id > self._last_article_id)
        if self._last_article_id == 0:  # first load: only stories that can still grow
            query = query.where(a.first_seen_at >= utcnow() - STORY_WINDOW)
        rows = session.connection().execute(query).all()
        for article_id, story_id, signature in rows:
            if signature is not None and story_id is not None:
                self.index.add(article_id, signature)
                self._story_of[article_id] = story_id
            self._last_article_id = max(self._last_article_id, article_id)

    def store(self, analysis: PageAnalysis, *, kind: str = "site") -> StoreResult:
        """Store one analysed page in one transaction; return what happened."""
        attempts = 0

        def _attempt(session: Session) -> StoreResult:
            nonlocal attempts
            attempts += 1
            if attempts > 1:  # the failed attempt (lock, lost connection) cached uncommitted rows
                self._forget_cache()
            return self._store(session, analysis, kind)

        try:
            return self.db.write(_attempt)
        except Exception:
            self._forget_cache()
            raise

    def _store(self, session: Session, analysis: PageAnalysis, kind: str) -> StoreResult:
        src = self._source_ids.get(analysis.source_name)
        if src is None:
            src = self._source_ids[analysis.source_name] = source_id(
                session, analysis.source_name, kind
            )
        urls = list(dict.fromkeys((analysis.page_url, analysis.final_url)))
        if analysis.article is None or not (analysis.matched or analysis.near_miss):
            outcome = "skipped" if analysis.skip_reason else "not_matching"
            record_seen_urls(
                session,
                urls,
                outcome=outcome,
                reason=analysis.skip_reason,
                canonical_url=analysis.canonical_url,
                source_id=src,
            )
            return StoreResult(outcome, detail={"reason": analysis.skip_reason})
        if session.get_bind().dialect.name == "postgresql":
            # Serialise story decisions across processes; SQLite's BEGIN IMMEDIATE already does.
            session.execute(text("SELECT pg_advisory_xact_lock(4242)"))
        result = self._store_matching(session, analysis, src)
        record_seen_urls(
            session,
            urls,
            outcome=result.outcome,
            canonical_url=analysis.canonical_url,
            source_id=src,
            article_id=result.article_id,
        )
        return result

    def _store_matching(self, session: Session, analysis: PageAnalysis, src: int) -> StoreResult:
        # Core statements on the hot path (no ORM flush); ORM objects only where callers
        # need them: an edited article's update and the new-story hook.
        article = analysis.article
        assert article is not None and analysis.canonical_url is not None
        connection = session.connection()
        a = _ARTICLES.c
        existing = connection.execute(
            select(a.id, a.story_id, a.content_fingerprint).where(
                a.canonical_url_hash == url_key(analysis.canonical_url)
            )
        ).first()
        if existing is not None:
            if existing.content_fingerprint == analysis.fingerprint:
                return StoreResult("duplicate", existing.id, existing.story_id)
            edited = session.get_one(Article, existing.id)
            edited.title = article.title
            edited.text = article.text
            edited.content_fingerprint = analysis.fingerprint
            edited.minhash = analysis.minhash
            edited.matched_terms = list(analysis.matched_terms)
            edited.snippet = analysis.snippet
            edited.score = analysis.score
            edited.relevance = analysis.relevance
            edited.relevance_reasons = list(analysis.relevance_reasons)
            edited.near_miss = analysis.near_miss
            edited.updated_at = utcnow()
            edited.revision_count += 1
            alerts = 0
            if edited.story_id is not None:
                alerts = self._join_story(session, edited.story_id, analysis, lambda: edited)
            return StoreResult("updated", edited.id, edited.story_id, alerts)
        same_text = connection.execute(
            select(a.id, a.story_id, a.canonical_url)
            .where(a.content_fingerprint == analysis.fingerprint)
            .order_by(a.id)
        ).all()
        for other in same_text:
            if same_site(other.canonical_url, analysis.canonical_url):
                return StoreResult("duplicate", other.id, other.story_id)
        self._catch_up(session)
        story_id: int | None = None
        if same_text:
            story_id = same_text[0].story_id
        elif analysis.minhash is not None:
            for candidate_id, _similarity in self.index.find(analysis.minhash):
                story_id = self._story_of.get(candidate_id)
                if story_id is not None:
                    break
        now = utcnow()
        story_row: dict[str, Any] | None = None
        if story_id is None:
            story_row = {
                "title": article.title,
                "created_at": now,
                "score": analysis.score,
                "article_count": 1,
                "relevance": analysis.relevance,
                "near_miss": analysis.near_miss,
            }
            story_id = _insert(session, _STORIES, story_row)
        else:
            connection.execute(
                update(_STORIES)
                .where(_STORIES.c.id == story_id)
                .values(
                    article_count=_STORIES.c.article_count + 1,
                    score=case(
                        (_STORIES.c.score < analysis.score, analysis.score),
                        else_=_STORIES.c.score,
                    ),
                )
            )
        article_row: dict[str, Any] = {
            "canonical_url": analysis.canonical_url,
            "url": analysis.final_url,
            "source_id": src,
            "story_id": story_id,
            "content_fingerprint": analysis.fingerprint,
            "minhash": analysis.minhash,
            "title": article.title,
            "text": article.text,
            "author": article.author,
            "site_name": article.site_name,
            "language": article.language,
            "published_at": article.published_at,
            "feed_published_at": analysis.listed_published_at,
            "date_disagreement": analysis.date_disagreement,
            "first_seen_at": now,
            "updated_at": now,
            "revision_count": 0,
            "matched_terms": list(analysis.matched_terms),
            "snippet": analysis.snippet,
            "score": analysis.score,
            "relevance": analysis.relevance,
            "relevance_reasons": list(analysis.relevance_reasons),
            "near_miss": analysis.near_miss,
        }
        article_id = _insert(session, _ARTICLES, article_row)
        if analysis.minhash is not None:
            self.index.add(article_id, analysis.minhash)
            self._story_of[article_id] = story_id
        self._last_article_id = max(self._last_article_id, article_id)
        alerts = 0
        if story_row is not None:
            if not analysis.near_miss and self.on_new_story is not None:
                # The hook gets ORM objects of the rows just inserted, attached to the session
                # as persistent (no SQL is emitted; changes the hook makes are flushed as usual).
                story = _persistent(session, Story(id=story_id, **story_row))
                row = _persistent(session, Article(id=article_id, **article_row))
                alerts = self.on_new_story(session, story, row)
            return StoreResult(
                "near_miss" if analysis.near_miss else "new", article_id, story_id, alerts
            )
        alerts = self._join_story(
            session,
            story_id,
            analysis,
            lambda: _persistent(session, Article(id=article_id, **article_row)),
        )
        return StoreResult("syndicated", article_id, story_id, alerts)

    def _join_story(
        self,
        session: Session,
        story_id: int,
        analysis: PageAnalysis,
        article: Callable[[], Article],
    ) -> int:
        """A copy joined (or was edited in) a story: raise its relevance to the copy's; a
        relevant copy promotes a near-miss story (alerted now) unless an analyst demoted it."""
        s = _STORIES.c
        if analysis.relevance is not None:
            session.connection().execute(
                update(_STORIES)
                .where(
                    s.id == story_id, or_(s.relevance.is_(None), s.relevance < analysis.relevance)
                )
                .values(relevance=analysis.relevance)
            )
        if analysis.near_miss:
            return 0
        near_miss = (
            session.connection().execute(select(s.near_miss).where(s.id == story_id)).scalar()
        )
        if not near_miss or latest_label(session, story_id) == FeedbackLabel.IRRELEVANT:
            return 0
        session.connection().execute(
            update(_STORIES).where(s.id == story_id).values(near_miss=False)
        )
        if self.on_new_story is None:
            return 0
        story = session.get_one(Story, story_id)
        session.refresh(story)
        return int(self.on_new_story(session, story, article()))

    # Set by the caller: writes the outbox rows for a new story inside the same transaction.
    on_new_story: Any = None

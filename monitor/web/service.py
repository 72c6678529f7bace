"""What the console shows and does, as plain functions over the database returning dataclasses.

The pages (``monitor/web/pages.py``) and the JSON API (``monitor/web/api.py``) are thin views over
these. They reuse the CLI's building blocks: the query language (``monitor.query``), the
feedback code (``monitor.feedback``), source health (``monitor.daemon.health``), the poll table
(``monitor.db.polls``), the digest renderer and sender (``monitor.alerts``).
"""

from __future__ import annotations

import base64
import binascii
import json
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from monitor.config import MonitorConfig
from monitor.db.engine import Database
from monitor.db.models import (
    AlertDelivery,
    Article,
    CrawlRun,
    Digest,
    Feedback,
    PollRequester,
    Source,
    Story,
    StoryMark,
    WebKeyKind,
    WebRole,
    utcnow,
)
from monitor.db.polls import PollState, active_polls, poll_states
from monitor.db.web import (
    KeyInfo,
    SavedQueryInfo,
    create_key,
    list_keys,
    revoke_key,
    set_marks,
    set_source_override,
    source_overrides,
    story_marks,
)
from monitor.db.web import delete_saved_query as _delete_saved
from monitor.db.web import list_saved_queries as _list_saved
from monitor.db.web import save_query as _save_query
from monitor.errors import InvalidInput, NotFoundError, QuerySyntaxError
from monitor.query import CompiledQuery, compile_query
from monitor.query import snippet_segments as body_segments
from monitor.relevance.dataset import Label

MAX_LIMIT = 200
BULK_ACTIONS = ("relevant", "irrelevant", "read", "unread", "star", "unstar")
SORTS = ("newest", "relevance")
_SCAN_BATCH = 200

Segments = list[tuple[str, bool]]


# --- dataclasses ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoryFilter:
    """What the inbox shows; see WEB_CONTRACT.md."""

    q: str | None = None
    language: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_relevance: float | None = None
    unread: bool = False
    starred: bool = False
    near_misses: bool = False
    include_muted: bool = False
    sort: str = "newest"
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class ArticleView:
    """One copy of a story."""

    id: int
    story_id: int | None
    title: str
    url: str
    canonical_url: str
    outlet: str
    source: str | None
    language: str | None
    published_at: datetime | None
    feed_published_at: datetime | None
    first_seen_at: datetime
    updated_at: datetime
    published_method: str
    date_disagreement: bool
    revision_count: int
    matched_terms: list[str]
    score: float
    relevance: float | None
    relevance_reasons: list[str]
    near_miss: bool
    snippet: Segments
    text: str = ""


@dataclass(frozen=True)
class StoryItem:
    """A story in the inbox: its copies grouped."""

    id: int
    title: str
    relevance: float | None
    score: float
    near_miss: bool
    first_seen_at: datetime
    article_count: int
    languages: list[str]
    outlets: list[str]
    sources: list[str]
    read: bool
    starred: bool
    label: str | None
    matched_terms: list[str]
    snippet: Segments
    articles: list[ArticleView]


@dataclass(frozen=True)
class StoryPage:
    items: list[StoryItem]
    next: str | None
    total: int | None = None


@dataclass(frozen=True)
class Revision:
    article_id: int
    revised_at: datetime | None
    title: str
    diff: list[tuple[str, str]]


@dataclass(frozen=True)
class FeedbackEntry:
    label: str
    created_at: datetime
    origin: str
    article_id: int | None


@dataclass(frozen=True)
class StoryDetail:
    story: StoryItem
    revisions: list[Revision]
    feedback: list[FeedbackEntry]


@dataclass(frozen=True)
class SavedQueryView:
    id: int
    name: str
    query: str
    created_at: datetime
    feed_path: str


@dataclass(frozen=True)
class FilterOptions:
    languages: list[str]
    sources: list[str]
    saved_queries: list[SavedQueryView]


@dataclass(frozen=True)
class ActionResult:
    story_id: int
    label: str
    promoted: bool
    demoted: bool
    alerts_written: int
    alerts_withdrawn: int
    message: str


@dataclass(frozen=True)
class BulkResult:
    action: str
    done: int
    failed: list[tuple[int, str]]
    message: str


@dataclass(frozen=True)
class PollView:
    id: int
    source: str
    status: str
    requested_by: str
    requested_at: datetime
    claimed_by: str | None
    finished_at: datetime | None
    finished: bool
    summary: dict[str, Any] | None


@dataclass(frozen=True)
class SourceRow:
    name: str
    kind: str
    schedule: str
    enabled_in_config: bool
    disabled_override: bool | None
    muted: bool
    enabled: bool
    last_run_at: datetime | None
    last_status: str | None
    last_new: int | None
    next_run: datetime | None
    new_per_day: list[tuple[date, int]]
    consecutive_failures: int
    days_since_new: float | None
    skipped_share: float | None
    skipped_count: int
    not_modified_share: float | None
    lease_holder: str | None
    open_alerts: list[str]
    active_poll: PollView | None


@dataclass(frozen=True)
class CrawlRequest:
    poll_id: int
    queued: bool
    by_daemon: bool


@dataclass(frozen=True)
class LabHit:
    article_id: int
    story_id: int | None
    title: str
    url: str
    first_seen_at: datetime | None
    terms: list[str]
    score: float
    snippet: Segments
    relevance: float | None
    near_miss: bool


@dataclass(frozen=True)
class LabResult:
    query: str
    searched: int
    matches: int
    per_day: list[tuple[date, int]]
    hits: list[LabHit]


@dataclass(frozen=True)
class DigestPreview:
    recipient: str
    channel: str
    frequency: str
    subject: str
    story_count: int
    html: str
    text: str
    error: str | None


@dataclass(frozen=True)
class OutboxDigest:
    id: int
    recipient: str
    channel: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    story_count: int
    last_error: str | None


@dataclass(frozen=True)
class OutboxView:
    counts: dict[str, int]
    digests: list[OutboxDigest]


@dataclass(frozen=True)
class TestSendResult:
    recipient: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class TokenView:
    id: int
    kind: str
    role: str | None
    label: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


# --- helpers -------------------------------------------------------------------------------------


def _body(text: str, title: str) -> str:
    """The stored text without its title line (articles are stored as ``title\\n\\nbody``)."""
    head, _, rest = text.partition("\n\n")
    return rest if head == title else text


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def _stored_segments(snippet: str) -> Segments:
    from monitor.alerts.render import snippet_segments

    return snippet_segments(snippet or "", 400)


def _published_method(article: Article) -> str:
    if article.published_at is not None:
        if article.date_disagreement:
            return "page metadata (the feed or sitemap gives another date)"
        return "page metadata"
    if article.feed_published_at is not None:
        return "feed or sitemap"
    return "unknown"


def compile_or_invalid(q: str) -> CompiledQuery:
    """The compiled query, or InvalidInput with the syntax error and its position."""
    if not q.strip():
        raise InvalidInput("the query is empty")
    try:
        return compile_query(q)
    except QuerySyntaxError as exc:
        raise InvalidInput(f"invalid query: {exc}", position=exc.position) from None
    except RecursionError:
        raise InvalidInput("invalid query: nested too deeply") from None


def _article_view(
    article: Article, *, segments: Segments | None = None, with_text: bool = False
) -> ArticleView:
    return ArticleView(
        id=article.id,
        story_id=article.story_id,
        title=article.title,
        url=article.url,
        canonical_url=article.canonical_url,
        outlet=article.site_name or _host(article.canonical_url),
        source=article.source.name if article.source is not None else None,
        language=article.language,
        published_at=article.published_at,
        feed_published_at=article.feed_published_at,
        first_seen_at=article.first_seen_at,
        updated_at=article.updated_at,
        published_method=_published_method(article),
        date_disagreement=article.date_disagreement,
        revision_count=article.revision_count,
        matched_terms=[str(t) for t in article.matched_terms or []],
        score=article.score,
        relevance=article.relevance,
        relevance_reasons=[str(r) for r in article.relevance_reasons or []],
        near_miss=article.near_miss,
        snippet=segments if segments is not None else _stored_segments(article.snippet),
        text=article.text if with_text else "",
    )


def _lead(articles: Sequence[Article]) -> Article:
    return max(articles, key=lambda a: (a.relevance or 0.0, a.score, -a.id))


def _latest_labels(session: Session, story_ids: Iterable[int]) -> dict[int, str]:
    ids = list(story_ids)
    labels: dict[int, str] = {}
    if not ids:
        return labels
    rows = session.execute(
        select(Feedback.story_id, Feedback.label)
        .where(Feedback.story_id.in_(ids))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
    ).all()
    for story_id, label in rows:
        labels.setdefault(story_id, label)
    return labels


def _story_item(
    story: Story,
    *,
    read: bool,
    starred: bool,
    label: str | None,
    hits: dict[int, Segments] | None = None,
    terms: list[str] | None = None,
    with_text: bool = False,
) -> StoryItem:
    articles = list(story.articles)
    views = [
        _article_view(a, segments=(hits or {}).get(a.id), with_text=with_text) for a in articles
    ]
    lead = _lead(articles) if articles else None
    if hits:
        lead_id = next((a.id for a in articles if a.id in hits), None)
        snippet = hits[lead_id] if lead_id is not None else []
    else:
        snippet = _stored_segments(lead.snippet) if lead is not None else []
    matched: list[str] = list(terms or [])
    if not matched:
        for article in articles:
            for term in article.matched_terms or []:
                if str(term) not in matched:
                    matched.append(str(term))
    return StoryItem(
        id=story.id,
        title=story.title,
        relevance=story.relevance,
        score=story.score,
        near_miss=story.near_miss,
        first_seen_at=story.created_at,
        article_count=len(articles),
        languages=sorted({a.language for a in articles if a.language}),
        outlets=list(dict.fromkeys(v.outlet for v in views if v.outlet)),
        sources=list(dict.fromkeys(v.source for v in views if v.source)),
        read=read,
        starred=starred,
        label=label,
        matched_terms=matched,
        snippet=snippet,
        articles=views,
    )


# --- the inbox -----------------------------------------------------------------------------------


def _encode_cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(data, dict):
            raise ValueError
        if "k" in data:
            stamp, story_id = data["k"]
            datetime.fromisoformat(stamp)
            int(story_id)
        elif "o" in data:
            if int(data["o"]) < 0:
                raise ValueError
        else:
            raise ValueError
        return data
    except (ValueError, TypeError, UnicodeError, binascii.Error, KeyError):
        raise InvalidInput("invalid cursor") from None


def _story_query(filt: StoryFilter, muted: set[str]) -> Select[tuple[int, datetime]]:
    query = select(Story.id, Story.created_at).where(Story.near_miss.is_(filt.near_misses))
    if filt.since is not None:
        query = query.where(Story.created_at >= filt.since)
    if filt.until is not None:
        query = query.where(Story.created_at < filt.until)
    if filt.min_relevance is not None:
        query = query.where(Story.relevance >= filt.min_relevance)
    copies = Article.story_id == Story.id
    if filt.language:
        query = query.where(
            Story.id.in_(
                select(Article.story_id).where(
                    func.lower(Article.language) == filt.language.strip().lower()
                )
            )
        )
    if filt.source:
        query = query.where(
            Story.id.in_(
                select(Article.story_id)
                .join(Source, Source.id == Article.source_id)
                .where(Source.name == filt.source)
            )
        )
    if filt.unread:
        query = query.where(
            Story.id.not_in(select(StoryMark.story_id).where(StoryMark.read_at.is_not(None)))
        )
    if filt.starred:
        query = query.where(
            Story.id.in_(select(StoryMark.story_id).where(StoryMark.starred_at.is_not(None)))
        )
    if muted and not filt.include_muted:
        muted_ids = select(Source.id).where(Source.name.in_(sorted(muted)))
        query = query.where(
            exists().where(
                copies, or_(Article.source_id.is_(None), Article.source_id.not_in(muted_ids))
            )
        )
    if filt.sort == "relevance":
        query = query.order_by(
            func.coalesce(Story.relevance, -1.0).desc(), Story.score.desc(), Story.id.desc()
        )
    else:
        query = query.order_by(Story.created_at.desc(), Story.id.desc())
    return query


def _check_filter(filt: StoryFilter) -> None:
    if filt.sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}")
    if not 1 <= filt.limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    for moment in (filt.since, filt.until):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput("dates need a time zone (or give a plain date)")


def list_stories(db: Database, config: MonitorConfig, filt: StoryFilter) -> StoryPage:
    """One page of the inbox: stories newest (or most relevant) first, with every copy."""
    _check_filter(filt)
    compiled = compile_or_invalid(filt.q) if filt.q else None
    from monitor.db.web import muted_sources

    muted = muted_sources(db)
    query = _story_query(filt, muted)
    offset = 0
    if filt.cursor:
        data = _decode_cursor(filt.cursor)
        if "k" in data and filt.sort == "newest":
            stamp = datetime.fromisoformat(data["k"][0])
            story_id = int(data["k"][1])
            query = query.where(
                or_(
                    Story.created_at < stamp,
                    and_(Story.created_at == stamp, Story.id < story_id),
                )
            )
        elif "o" in data:
            offset = int(data["o"])
        else:
            raise InvalidInput("invalid cursor")
    with db.session() as session:
        chosen: list[tuple[int, dict[int, Segments], list[str]]] = []
        consumed = offset
        more = False
        for story_id, position, hits, terms in _scan(session, query, offset, compiled):
            if len(chosen) == filt.limit:
                more = True
                break
            chosen.append((story_id, hits, terms))
            consumed = position
        items = _items(session, chosen)
    next_cursor: str | None = None
    if more and items:
        if filt.sort == "newest":
            last = items[-1]
            next_cursor = _encode_cursor({"k": [last.first_seen_at.isoformat(), last.id]})
        else:
            next_cursor = _encode_cursor({"o": consumed})
    return StoryPage(items, next_cursor)


def _scan(
    session: Session, query: Select[tuple[int, datetime]], offset: int, compiled: Any
) -> Iterator[tuple[int, int, dict[int, Segments], list[str]]]:
    """Matching stories in order: (id, SQL position after it, hits by article id, terms).

    Without a query every SQL row is a match; with one, the copies are matched in Python with
    the project's matcher (the same one the pipeline uses) in batches."""
    position = offset
    while True:
        rows = session.execute(query.offset(position).limit(_SCAN_BATCH)).all()
        if not rows:
            return
        if compiled is None:
            for story_id, _created in rows:
                position += 1
                yield story_id, position, {}, []
        else:
            ids = [r[0] for r in rows]
            articles = session.scalars(
                select(Article).where(Article.story_id.in_(ids)).order_by(Article.id)
            ).all()
            by_story: dict[int, list[Article]] = {}
            for article in articles:
                assert article.story_id is not None
                by_story.setdefault(article.story_id, []).append(article)
            for story_id, _created in rows:
                position += 1
                hits: dict[int, Segments] = {}
                terms: list[str] = []
                for article in by_story.get(story_id, []):
                    body = _body(article.text, article.title)
                    result = compiled.match(article.title, body)
                    if result.matched:
                        hits[article.id] = body_segments(body, result.spans)
                        terms += [t for t in result.terms if t not in terms]
                if hits:
                    yield story_id, position, hits, terms
        if len(rows) < _SCAN_BATCH:
            return


def _items(
    session: Session, chosen: list[tuple[int, dict[int, Segments], list[str]]]
) -> list[StoryItem]:
    ids = [story_id for story_id, _, _ in chosen]
    if not ids:
        return []
    stories = {
        s.id: s
        for s in session.scalars(
            select(Story)
            .where(Story.id.in_(ids))
            .options(selectinload(Story.articles).selectinload(Article.source))
        )
    }
    marks = story_marks(session, ids)
    labels = _latest_labels(session, ids)
    items: list[StoryItem] = []
    for story_id, hits, terms in chosen:
        story = stories.get(story_id)
        if story is None:
            continue
        mark = marks.get(story_id)
        items.append(
            _story_item(
                story,
                read=bool(mark and mark.read),
                starred=bool(mark and mark.starred),
                label=labels.get(story_id),
                hits=hits,
                terms=terms,
            )
        )
    return items


def filter_options(db: Database, config: MonitorConfig) -> FilterOptions:
    """The values the inbox's filters offer."""
    with db.session() as session:
        languages = sorted(
            {lang.lower() for lang in session.scalars(select(Article.language).distinct()) if lang}
        )
    return FilterOptions(languages, [s.name for s in config.sources], list_saved_queries(db))


# --- one story -----------------------------------------------------------------------------------


def story_detail(db: Database, config: MonitorConfig, story_id: int) -> StoryDetail:
    """A story with every copy's clean text, its revisions and its feedback history."""
    with db.session() as session:
        story = session.scalar(
            select(Story)
            .where(Story.id == story_id)
            .options(selectinload(Story.articles).selectinload(Article.source))
        )
        if story is None:
            raise NotFoundError(f"no story with id {story_id}")
        mark = story_marks(session, [story_id]).get(story_id)
        feedback = [
            FeedbackEntry(f.label, f.created_at, f.origin, f.article_id)
            for f in session.scalars(
                select(Feedback)
                .where(Feedback.story_id == story_id)
                .order_by(Feedback.created_at.desc(), Feedback.id.desc())
            )
        ]
        item = _story_item(
            story,
            read=bool(mark and mark.read),
            starred=bool(mark and mark.starred),
            label=feedback[0].label if feedback else None,
            with_text=True,
        )
        revisions = _revisions(session, [a.id for a in story.articles], story.articles)
    return StoryDetail(item, revisions, feedback)


def _revisions(
    session: Session, article_ids: list[int], articles: Sequence[Article]
) -> list[Revision]:
    """The material edits of the copies, oldest first: each with the headline it introduced
    and its diff from the version before (the store keeps it as a unified diff)."""
    from monitor.db.models import ArticleRevision

    if not article_ids:
        return []
    rows = session.scalars(
        select(ArticleRevision)
        .where(ArticleRevision.article_id.in_(article_ids))
        .order_by(ArticleRevision.revised_at, ArticleRevision.id)
    ).all()
    return [
        Revision(
            row.article_id,
            row.revised_at,
            row.title,
            [
                (line[0], line[1:])
                for line in row.diff.splitlines()
                if line[:1] in (" ", "+", "-") and not line.startswith(("+++", "---"))
            ],
        )
        for row in rows
    ]


# --- per-item and bulk actions -------------------------------------------------------------------


def _lead_article_id(db: Database, story_id: int) -> int:
    with db.session() as session:
        if session.get(Story, story_id) is None:
            raise NotFoundError(f"no story with id {story_id}")
        article_id = session.scalar(
            select(Article.id)
            .where(Article.story_id == story_id)
            .order_by(func.coalesce(Article.relevance, 0.0).desc(), Article.id)
            .limit(1)
        )
    if article_id is None:
        raise NotFoundError(f"story {story_id} has no articles")
    return int(article_id)


def give_story_feedback(
    db: Database, config: MonitorConfig, story_id: int, label: str, *, origin: str = "web"
) -> ActionResult:
    """Label a story relevant or irrelevant, exactly as ``monitor feedback`` does: a near miss
    marked relevant is promoted (alerted in the next digest), a story marked irrelevant is
    demoted (its unsent alerts withdrawn)."""
    from monitor.feedback import give_feedback

    try:
        verdict = Label(str(label).strip().lower())
    except ValueError:
        raise InvalidInput("label must be 'relevant' or 'irrelevant'") from None
    result = give_feedback(db, config, _lead_article_id(db, story_id), verdict, origin=origin)
    if result.promoted:
        message = f"promoted: {result.alerts_written} alert(s) queued for the next digest"
    elif result.demoted:
        message = f"marked irrelevant: {result.alerts_withdrawn} unsent alert(s) withdrawn"
    elif verdict == Label.RELEVANT:
        message = "marked relevant"
    else:
        message = "marked irrelevant (already a near miss)"
    return ActionResult(
        result.story_id,
        verdict.value,
        result.promoted,
        result.demoted,
        result.alerts_written,
        result.alerts_withdrawn,
        message,
    )


def set_read(db: Database, story_ids: list[int], read: bool = True) -> int:
    """Mark stories read (or unread); returns how many exist."""
    return set_marks(db, story_ids, read=read)


def set_starred(db: Database, story_ids: list[int], starred: bool = True) -> int:
    """Star (or unstar) stories; returns how many exist."""
    return set_marks(db, story_ids, starred=starred)


def bulk_action(
    db: Database, config: MonitorConfig, story_ids: list[int], action: str, *, origin: str = "web"
) -> BulkResult:
    """Apply one action to a selection of stories."""
    if action not in BULK_ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(BULK_ACTIONS)}")
    ids = list(dict.fromkeys(story_ids))
    if not ids:
        raise InvalidInput("no stories selected")
    if len(ids) > 1000:
        raise InvalidInput("at most 1000 stories at once")
    failed: list[tuple[int, str]] = []
    done = 0
    if action in ("relevant", "irrelevant"):
        for story_id in ids:
            try:
                give_story_feedback(db, config, story_id, action, origin=origin)
                done += 1
            except NotFoundError as exc:
                failed.append((story_id, str(exc)))
    else:
        flag = action in ("read", "star")
        if action in ("read", "unread"):
            done = set_read(db, ids, flag)
        else:
            done = set_starred(db, ids, flag)
        if done < len(ids):
            with db.session() as session:
                known = set(session.scalars(select(Story.id).where(Story.id.in_(ids))))
            failed = [(i, f"no story with id {i}") for i in ids if i not in known]
    noun = "story" if done == 1 else "stories"
    return BulkResult(action, done, failed, f"{action}: {done} {noun}")


# --- sources -------------------------------------------------------------------------------------


def _poll_view(state: PollState) -> PollView:
    return PollView(
        state.id,
        state.source_name,
        state.status.value,
        state.requested_by,
        state.requested_at,
        state.claimed_by,
        state.finished_at,
        state.finished,
        dict(state.outcome) if state.outcome is not None else None,
    )


def poll_view(db: Database, poll_id: int) -> PollView:
    """A poll's progress and, once finished, its summary."""
    state = poll_states(db, [poll_id]).get(poll_id)
    if state is None:
        raise NotFoundError(f"no poll with id {poll_id}")
    return _poll_view(state)


def _status_counts(session: Session, source_name: str, since: datetime) -> tuple[int, int]:
    """(HTTP 304 responses, all responses) of a source's runs since ``since``."""
    not_modified = total = 0
    for counts in session.scalars(
        select(CrawlRun.counts).where(
            CrawlRun.source_name == source_name, CrawlRun.started_at >= since
        )
    ):
        for key, value in (counts or {}).items():
            if key.startswith("status_") and isinstance(value, int):
                total += value
                if key == "status_304":
                    not_modified += value
    return not_modified, total


def list_sources(db: Database, config: MonitorConfig) -> list[SourceRow]:
    """Every configured source's health (as ``monitor status`` computes it) and overrides."""
    from monitor.daemon.health import FINISHED, new_articles, source_health

    overrides = source_overrides(db)
    polls = {p.source_name: p for p in active_polls(db)}
    since = utcnow() - timedelta(days=7)
    rows: list[SourceRow] = []
    kinds = {s.name: s.type for s in config.sources}
    for health in source_health(db, config):
        override = overrides.get(health.name)
        with db.session() as session:
            not_modified, responses = _status_counts(session, health.name, since)
            finished = session.scalar(
                select(CrawlRun.counts)
                .where(CrawlRun.source_name == health.name, CrawlRun.status.in_(FINISHED))
                .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
                .limit(1)
            )
        skipped = int((finished or {}).get("skipped", 0) or 0)
        last = health.last_run
        disabled_override = override.enabled if override is not None else None  # False: off
        poll = polls.get(health.name)
        rows.append(
            SourceRow(
                name=health.name,
                kind=kinds.get(health.name, "site"),
                schedule=health.schedule,
                enabled_in_config=health.enabled,
                disabled_override=disabled_override,
                muted=bool(override and override.muted),
                enabled=health.enabled and disabled_override is not False,
                last_run_at=last.started_at if last else None,
                last_status=last.status if last else None,
                last_new=new_articles(last.counts) if last else None,
                next_run=health.next_run,
                new_per_day=list(health.new_per_day),
                consecutive_failures=health.consecutive_failures,
                days_since_new=health.days_since_new,
                skipped_share=health.skipped_share,
                skipped_count=skipped,
                not_modified_share=None if responses == 0 else not_modified / responses,
                lease_holder=health.running_holder,
                open_alerts=list(health.open_alerts),
                active_poll=_poll_view(poll) if poll is not None else None,
            )
        )
    return rows


def source_row(db: Database, config: MonitorConfig, name: str) -> SourceRow:
    _known_source(config, name)
    return next(r for r in list_sources(db, config) if r.name == name)


def _known_source(config: MonitorConfig, name: str) -> None:
    if not any(s.name == name for s in config.sources):
        raise NotFoundError(f"no source named {name!r} in the config")


def set_source_enabled(
    db: Database, config: MonitorConfig, name: str, enabled: bool | None, *, by: str
) -> SourceRow:
    """Disable a source in the database (the scheduler stops polling it), or enable it again.

    The config file stays the source of sources: enabling only lifts the console's disable,
    a source with ``enabled = false`` in the file stays off."""
    _known_source(config, name)
    set_source_override(db, name, enabled=None if enabled or enabled is None else False, by=by)
    return source_row(db, config, name)


def set_source_muted(
    db: Database, config: MonitorConfig, name: str, muted: bool, *, by: str
) -> SourceRow:
    """Mute a source (its stories leave the inbox and the feeds) or unmute it."""
    _known_source(config, name)
    set_source_override(db, name, muted=muted, by=by)
    return source_row(db, config, name)


class ConsoleCrawler(Protocol):
    """Runs queued polls when no daemon does (``monitor.web.app.LocalCrawler``)."""

    def ensure_running(self) -> None: ...


def daemon_running(db: Database) -> bool:
    """Whether a live daemon holds the scheduler lease (the rule ``monitor crawl`` uses)."""
    from monitor.cli.crawl import _daemon_running

    return _daemon_running(db)


def crawl_now(
    db: Database, config: MonitorConfig, name: str, *, runner: ConsoleCrawler | None
) -> CrawlRequest:
    """Queue a poll of ``name`` (the same poll if one is queued or running). The daemon's
    workers run it when a daemon runs; the console's own worker otherwise."""
    from monitor.crawl.queue import PollQueue, submit_poll

    _known_source(config, name)
    by_daemon = daemon_running(db)
    if not by_daemon and runner is not None:
        runner.ensure_running()  # first: a console that cannot crawl queues nothing
    queue = PollQueue.from_config(config) if by_daemon else None
    try:
        poll_id, queued = submit_poll(db, queue, name, PollRequester.WEB)
    finally:
        if queue is not None:
            queue.close()
    return CrawlRequest(poll_id, queued, by_daemon)


# --- query lab and saved queries -----------------------------------------------------------------


def query_lab(
    db: Database, config: MonitorConfig, q: str, *, days: int = 30, limit: int = 20
) -> LabResult:
    """Try a query on the stored articles: matches per day (first seen, last ``days`` days) and
    the best hits, judged by the configured relevance model as ``monitor query test`` does."""
    from monitor.processing import relevance_gate
    from monitor.search import search_articles

    compile_or_invalid(q)
    if not 1 <= days <= 366:
        raise InvalidInput("days must be between 1 and 366")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    hits, searched = search_articles(db, q, limit=10**9, relevance=relevance_gate(config))
    ids = [h.article_id for h in hits]
    seen: dict[int, datetime] = {}
    with db.session() as session:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            seen.update(
                (int(i), when)
                for i, when in session.execute(
                    select(Article.id, Article.first_seen_at).where(Article.id.in_(chunk))
                ).all()
            )
        urls: dict[int, str] = dict(
            (int(i), str(u))
            for i, u in session.execute(
                select(Article.id, Article.url).where(Article.id.in_(ids[:limit]))
            ).all()
        )
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    per_day = dict.fromkeys((first + timedelta(days=n) for n in range(days)), 0)
    for moment in seen.values():
        day = moment.astimezone(UTC).date()
        if day in per_day:
            per_day[day] += 1
    lab_hits = [
        LabHit(
            h.article_id,
            h.story_id,
            h.title,
            urls.get(h.article_id, h.canonical_url),
            seen.get(h.article_id),
            list(h.terms),
            h.score,
            _stored_segments(h.snippet),
            h.relevance,
            h.near_miss,
        )
        for h in hits[:limit]
    ]
    return LabResult(q, searched, len(hits), list(per_day.items()), lab_hits)


def _saved_view(info: SavedQueryInfo) -> SavedQueryView:
    return SavedQueryView(
        info.id, info.name, info.query, info.created_at, f"/feeds/queries/{info.id}.atom"
    )


def list_saved_queries(db: Database) -> list[SavedQueryView]:
    return [_saved_view(i) for i in _list_saved(db)]


def save_query(db: Database, name: str, q: str, *, by: str = "") -> SavedQueryView:
    """Save a query (checked with the parser first) under a new name."""
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise InvalidInput("a saved query needs a name of 1 to 200 characters")
    compile_or_invalid(q)
    try:
        return _saved_view(_save_query(db, name, q, by=by))
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def delete_saved_query(db: Database, query_id: int) -> None:
    _delete_saved(db, query_id)


# --- digests -------------------------------------------------------------------------------------


def digest_previews(
    db: Database, config: MonitorConfig, recipient: str | None = None
) -> list[DigestPreview]:
    """The next digest per recipient and channel, rendered exactly as ``monitor digest`` would
    send it (a dry run: nothing is sent or marked)."""
    from monitor.alerts.sender import send_digests

    recipients = {r.address.lower(): r for r in config.email.active_recipients()}
    if recipient is not None and recipient.lower() not in recipients:
        raise NotFoundError(f"no active recipient {recipient!r} in the config")
    previews: list[DigestPreview] = []
    with tempfile.TemporaryDirectory(prefix="monitor-preview-") as folder:
        report = send_digests(db, config, dry_run=True, out=Path(folder) / "preview.eml")
        for outcome in report.outcomes:
            if recipient is not None and outcome.recipient.lower() != recipient.lower():
                continue
            html = text = ""
            for path in outcome.files:
                if path.suffix == ".html":
                    html = path.read_text(encoding="utf-8")
                elif path.suffix == ".txt":
                    text = path.read_text(encoding="utf-8")
                elif path.suffix == ".eml":
                    text = _plain_part(path.read_bytes()) or text
            config_recipient = recipients.get(outcome.recipient.lower())
            previews.append(
                DigestPreview(
                    outcome.recipient,
                    outcome.channel,
                    config_recipient.frequency if config_recipient else "",
                    outcome.subject,
                    outcome.story_count,
                    html,
                    text,
                    outcome.error,
                )
            )
    return previews


def _plain_part(data: bytes) -> str:
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    message = message_from_bytes(data, policy=policy.default)
    if not isinstance(message, EmailMessage):
        return ""
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


def outbox(db: Database, *, limit: int = 100) -> OutboxView:
    """The alert rows by status and the newest digests with their delivery state."""
    with db.session() as session:
        counts = {
            str(status): int(count)
            for status, count in session.execute(
                select(AlertDelivery.status, func.count()).group_by(AlertDelivery.status)
            ).all()
        }
        digests = [
            OutboxDigest(
                d.id,
                d.recipient,
                d.channel,
                d.status,
                d.created_at,
                d.sent_at,
                d.attempts,
                d.story_count,
                d.last_error,
            )
            for d in session.scalars(
                select(Digest).order_by(Digest.created_at.desc(), Digest.id.desc()).limit(limit)
            )
        ]
    return OutboxView(counts, digests)


def send_test_message(config: MonitorConfig, recipient: str) -> TestSendResult:
    """Send a clearly marked test digest (sample stories) to a configured recipient."""
    from monitor.alerts.testmail import send_test_digest

    known = {r.address.lower() for r in config.email.recipients}
    if recipient.lower() not in known:
        raise NotFoundError(f"no recipient {recipient!r} in the config")
    error = send_test_digest(config, recipient)
    if error:
        return TestSendResult(recipient, False, error)
    return TestSendResult(recipient, True, f"test message sent to {recipient}")


# --- tokens --------------------------------------------------------------------------------------


def _token_view(info: KeyInfo) -> TokenView:
    return TokenView(
        info.id,
        info.kind.value,
        info.role.value if info.role else None,
        info.label,
        info.prefix,
        info.created_at,
        info.revoked_at,
    )


def list_tokens(db: Database) -> list[TokenView]:
    return [_token_view(k) for k in list_keys(db)]


def create_token(db: Database, role: str, label: str = "") -> tuple[TokenView, str]:
    """A new API key of ``role`` (viewer, analyst, admin) or, with ``role="feed"``, a feed token.
    The token is returned once; only its hash is kept."""
    if role == "feed":
        info, token = create_key(db, WebKeyKind.FEED, None, label)
    else:
        try:
            parsed = WebRole(role)
        except ValueError:
            raise InvalidInput("role must be viewer, analyst, admin or feed") from None
        info, token = create_key(db, WebKeyKind.API, parsed, label)
    return _token_view(info), token


def revoke_token(db: Database, key_id: int) -> TokenView:
    return _token_view(revoke_key(db, key_id))


# --- feeds ---------------------------------------------------------------------------------------


def feed_stories(
    db: Database,
    config: MonitorConfig,
    *,
    q: str | None = None,
    limit: int = 50,
) -> list[StoryItem]:
    """The newest relevant stories (matching ``q`` when given), muted sources left out."""
    return list_stories(db, config, StoryFilter(q=q, limit=limit)).items

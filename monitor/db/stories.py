"""The story repository: reads what :func:`monitor.stories.decide.decide` needs and applies
the decision it returns, in the caller's transaction (Core statements on the hot path).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Table, case, func, literal, or_, select, text, update
from sqlalchemy.orm import Session, make_transient_to_detached

from monitor.db.models import Article, ArticleRevision, Story, url_key, utcnow
from monitor.db.repository import latest_label, record_seen_urls
from monitor.relevance.dataset import Label
from monitor.stories.decide import (
    Decision,
    Duplicate,
    New,
    SameText,
    StoredArticle,
    StoryState,
    Syndicated,
    Unchanged,
    Updated,
)
from monitor.stories.outcomes import StoreOutcome

_STORIES: Table = Story.__table__  # type: ignore[assignment]
_ARTICLES: Table = Article.__table__  # type: ignore[assignment]
_REVISIONS: Table = ArticleRevision.__table__  # type: ignore[assignment]
# Serialises story decisions across processes on PostgreSQL (SQLite's BEGIN IMMEDIATE does).
STORY_LOCK_KEY = 4242


class StoryAlertHook(Protocol):
    """Writes the alert outbox rows of a story that is new to analysts (same transaction);
    returns the rows written. :func:`monitor.alerts.outbox.story_hook` is the one hook."""

    def __call__(self, session: Session, story: Story, article: Article, /) -> int: ...


class StoredPage(Protocol):
    """What the repository stores of an analysed page (``monitor.processing.PageAnalysis``)."""

    @property
    def canonical_url(self) -> str | None: ...

    @property
    def final_url(self) -> str: ...

    @property
    def fingerprint(self) -> str: ...

    @property
    def minhash(self) -> bytes | None: ...

    @property
    def matched_terms(self) -> tuple[str, ...]: ...

    @property
    def snippet(self) -> str: ...

    @property
    def snippet_spans(self) -> tuple[tuple[int, int], ...]: ...

    @property
    def score(self) -> float: ...

    @property
    def relevance(self) -> float | None: ...

    @property
    def relevance_reasons(self) -> tuple[str, ...]: ...

    @property
    def near_miss(self) -> bool: ...

    @property
    def listed_published_at(self) -> Any: ...

    @property
    def date_disagreement(self) -> bool: ...

    @property
    def article_row(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Applied:
    """What applying a decision wrote; ``index`` is the (article, signature, story) entry for
    the near-duplicate index, to add only once the transaction has committed."""

    outcome: StoreOutcome
    article_id: int | None = None
    story_id: int | None = None
    alerts: int = 0
    revision_id: int | None = None
    index: tuple[int, bytes, int] | None = None


def _insert(session: Session, table: Table, row: dict[str, Any]) -> int:
    key = session.connection().execute(table.insert(), row).inserted_primary_key
    assert key is not None
    return int(key[0])


def _persistent(session: Session, instance: Any) -> Any:
    """Attach an ORM object describing an already inserted row as persistent (no SQL)."""
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


class StoryRepository:
    """Story, article and revision rows of one transaction."""

    def __init__(self, session: Session, alerts: StoryAlertHook | None = None) -> None:
        self.session = session
        self.alerts = alerts
        self._connection = session.connection()

    # --- reads -------------------------------------------------------------------------------

    def lock(self) -> None:
        """Take the story-decision lock (PostgreSQL; SQLite's write lock already serialises)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text(f"SELECT pg_advisory_xact_lock({STORY_LOCK_KEY})"))

    def story_state(self, story_id: int | None) -> StoryState | None:
        """The story's near-miss flag and whether an analyst demoted it (None: no such story)."""
        if story_id is None:
            return None
        s = _STORIES.c
        near_miss = self._connection.execute(
            select(s.near_miss).where(s.id == story_id)
        ).scalar_one_or_none()
        if near_miss is None:
            return None
        demoted = bool(near_miss) and (latest_label(self.session, story_id) == Label.IRRELEVANT)
        return StoryState(story_id, bool(near_miss), demoted)

    def by_url(self, canonical_url: str) -> StoredArticle | None:
        """The article stored under ``canonical_url``."""
        a = _ARTICLES.c
        row = self._connection.execute(
            select(a.id, a.canonical_url, a.title, a.text, a.story_id, a.near_miss).where(
                a.canonical_url_hash == url_key(canonical_url)
            )
        ).first()
        if row is None:
            return None
        return StoredArticle(
            row.id,
            row.canonical_url,
            row.title,
            row.text,
            self.story_state(row.story_id),
            bool(row.near_miss),
        )

    def same_fingerprint(self, fingerprint: str) -> list[SameText]:
        """Stored articles with exactly this content, oldest first."""
        a = _ARTICLES.c
        rows = self._connection.execute(
            select(a.id, a.canonical_url, a.story_id)
            .where(a.content_fingerprint == fingerprint)
            .order_by(a.id)
        ).all()
        states: dict[int, StoryState | None] = {}
        found = []
        for row in rows:
            if row.story_id is not None and row.story_id not in states:
                states[row.story_id] = self.story_state(row.story_id)
            found.append(SameText(row.id, row.canonical_url, states.get(row.story_id or -1)))
        return found

    # --- writes ------------------------------------------------------------------------------

    def record_seen(
        self,
        urls: Sequence[str],
        outcome: StoreOutcome,
        *,
        canonical_url: str | None,
        source_id: int,
        reason: str | None = None,
        article_id: int | None = None,
    ) -> None:
        """Remember the page's URLs and what came of them."""
        record_seen_urls(
            self.session,
            urls,
            outcome=outcome.value,
            canonical_url=canonical_url,
            reason=reason,
            source_id=source_id,
            article_id=article_id,
        )

    def apply(self, decision: Decision, page: StoredPage, source_id: int) -> Applied:
        """Write what ``decision`` calls for."""
        if isinstance(decision, New):
            return self._new(decision, page, source_id)
        if isinstance(decision, Syndicated):
            return self._syndicated(decision, page, source_id)
        if isinstance(decision, Updated):
            return self._updated(decision, page)
        if isinstance(decision, Duplicate | Unchanged):
            return Applied(decision.outcome, decision.article_id, decision.story_id)
        return Applied(decision.outcome)

    def _article_row(self, page: StoredPage, source_id: int, story_id: int) -> dict[str, Any]:
        now = utcnow()
        assert page.canonical_url is not None
        return {
            **page.article_row,
            "canonical_url": page.canonical_url,
            "url": page.final_url,
            "source_id": source_id,
            "story_id": story_id,
            "feed_published_at": page.listed_published_at,
            "date_disagreement": page.date_disagreement,
            "first_seen_at": now,
            "updated_at": now,
            "revision_count": 0,
        }

    def _index_entry(self, article_id: int, page: StoredPage, story_id: int) -> Any:
        return (article_id, page.minhash, story_id) if page.minhash is not None else None

    def _new(self, decision: New, page: StoredPage, source_id: int) -> Applied:
        article_row = page.article_row
        story_row: dict[str, Any] = {
            "title": article_row["title"],
            "created_at": utcnow(),
            "score": page.score,
            "article_count": 1,
            "relevance": page.relevance,
            "near_miss": page.near_miss,
        }
        story_id = _insert(self.session, _STORIES, story_row)
        row = self._article_row(page, source_id, story_id)
        article_id = _insert(self.session, _ARTICLES, row)
        alerts = 0
        if decision.alert and self.alerts is not None:
            # The hook gets ORM objects of the rows just inserted, attached as persistent
            # (no SQL is emitted; changes the hook makes are flushed as usual).
            story = _persistent(self.session, Story(id=story_id, **story_row))
            article = _persistent(self.session, Article(id=article_id, **row))
            alerts = int(self.alerts(self.session, story, article))
        return Applied(
            decision.outcome,
            article_id,
            story_id,
            alerts,
            index=self._index_entry(article_id, page, story_id),
        )

    def _syndicated(self, decision: Syndicated, page: StoredPage, source_id: int) -> Applied:
        story_id = decision.story.id
        s = _STORIES.c
        self._connection.execute(
            update(_STORIES)
            .where(s.id == story_id)
            .values(
                article_count=s.article_count + 1,
                score=case((s.score < page.score, page.score), else_=s.score),
            )
        )
        row = self._article_row(page, source_id, story_id)
        article_id = _insert(self.session, _ARTICLES, row)
        alerts = self._join(story_id, page, decision.promote, lambda: Article(id=article_id, **row))
        return Applied(
            decision.outcome,
            article_id,
            story_id,
            alerts,
            index=self._index_entry(article_id, page, story_id),
        )

    def _updated(self, decision: Updated, page: StoredPage) -> Applied:
        stored = decision.article
        edit = decision.edit
        now = utcnow()
        row = page.article_row
        revision_id = _insert(
            self.session,
            _REVISIONS,
            {
                "article_id": stored.id,
                "revised_at": now,
                "title": row["title"],
                "text": row["text"],
                "diff": edit.diff,
                "title_changed": edit.title_changed,
                "paragraphs_added": edit.paragraphs_added,
                "paragraphs_removed": edit.paragraphs_removed,
            },
        )
        a = _ARTICLES.c
        self._connection.execute(
            update(_ARTICLES)
            .where(a.id == stored.id)
            .values(
                {
                    **row,
                    "updated_at": now,
                    "revision_count": a.revision_count + 1,
                    "date_disagreement": page.date_disagreement,
                    # A revalidation has no listing and a page may drop its date: keep ours.
                    "feed_published_at": func.coalesce(
                        literal(page.listed_published_at, a.feed_published_at.type),
                        a.feed_published_at,
                    ),
                    "published_at": func.coalesce(
                        literal(row["published_at"], a.published_at.type), a.published_at
                    ),
                }
            )
        )
        story_id = stored.story.id if stored.story else None
        alerts = 0
        if story_id is not None:
            if edit.title_changed:  # a story named after this article follows its headline
                s = _STORIES.c
                self._connection.execute(
                    update(_STORIES)
                    .where(s.id == story_id, s.title == stored.title)
                    .values(title=row["title"])
                )
            alerts = self._join(
                story_id, page, decision.promote, lambda: self.session.get_one(Article, stored.id)
            )
        index = self._index_entry(stored.id, page, story_id) if story_id is not None else None
        return Applied(decision.outcome, stored.id, story_id, alerts, revision_id, index)

    def _join(self, story_id: int, page: StoredPage, promote: bool, article: Any) -> int:
        """A copy joined (or an edit changed) a story: raise its relevance to the page's; a
        promotion lifts the story out of the near misses and alerts it now."""
        s = _STORIES.c
        if page.relevance is not None:
            self._connection.execute(
                update(_STORIES)
                .where(s.id == story_id, or_(s.relevance.is_(None), s.relevance < page.relevance))
                .values(relevance=page.relevance)
            )
        if not promote:
            return 0
        self._connection.execute(update(_STORIES).where(s.id == story_id).values(near_miss=False))
        if self.alerts is None:
            return 0
        story = self.session.get_one(Story, story_id)
        self.session.refresh(story)
        instance = article()
        if instance not in self.session:
            instance = _persistent(self.session, instance)
        return int(self.alerts(self.session, story, instance))

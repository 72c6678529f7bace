"""The schema: typed SQLAlchemy 2.0 models. Alembic migrations in ``migrations/`` follow it."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    """A configured source, created on first use and kept when removed from the config."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="site")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Story(Base):
    """One news story: an article and its syndicated copies, alerted once."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    score: Mapped[float] = mapped_column(default=0.0)
    article_count: Mapped[int] = mapped_column(default=1)
    # Stage 2: the highest relevance of the story's copies (None: the model was off), and
    # whether the story is a near miss (matched the query, judged not about the topic: stored,
    # never alerted unless an analyst promotes it with ``monitor feedback``).
    relevance: Mapped[float | None] = mapped_column()
    near_miss: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)

    articles: Mapped[list[Article]] = relationship(
        back_populates="story", order_by="Article.id", foreign_keys="Article.story_id"
    )


class Article(Base):
    """A stored, matching article under its canonical URL."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="SET NULL"), index=True
    )
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("stories.id", ondelete="SET NULL"), index=True
    )
    content_fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    site_name: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    published_at: Mapped[datetime | None] = mapped_column()
    feed_published_at: Mapped[datetime | None] = mapped_column()
    date_disagreement: Mapped[bool] = mapped_column(default=False)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision_count: Mapped[int] = mapped_column(default=0)
    matched_terms: Mapped[list[Any]] = mapped_column(default=list)
    snippet: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float] = mapped_column(default=0.0)
    relevance: Mapped[float | None] = mapped_column()
    relevance_reasons: Mapped[list[Any] | None] = mapped_column()
    near_miss: Mapped[bool] = mapped_column(default=False, server_default=false())

    story: Mapped[Story | None] = relationship(back_populates="articles", foreign_keys=[story_id])
    source: Mapped[Source | None] = relationship()


class FeedbackLabel(StrEnum):
    """An analyst's judgement of a story (the same values as ``monitor.relevance.Label``)."""

    RELEVANT = "relevant"
    IRRELEVANT = "irrelevant"


class Feedback(Base):
    """An analyst's label for a story, given on one of its articles; the newest one counts."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("label IN ('relevant', 'irrelevant')", name="label"),
        Index("ix_feedback_story_created", "story_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    label: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    origin: Mapped[str] = mapped_column(String(32), default="cli")


class SeenUrl(Base):
    """Every URL the crawler fetched (or learned of), so none is fetched twice."""

    __tablename__ = "seen_urls"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    canonical_url: Mapped[str | None] = mapped_column(String(2048), index=True)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(200))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The page's validators (conditional revalidation) and how many steps of the revalidation
    # schedule (``crawl.revalidate_after_hours``) are done.
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    revalidations: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class SeenOutcome(StrEnum):
    """Outcomes recorded on a seen URL by the crawl itself (the store records its own)."""

    UNRESOLVED = "unresolved"  # a news-search link that led to no publisher page
    NOT_MATCHING = "not_matching"


class HttpCacheEntry(Base):
    """Validators of a feed or sitemap, for conditional GETs, and what it yielded last time."""

    __tablename__ = "http_cache"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    last_status: Mapped[int | None] = mapped_column()
    last_entry_count: Mapped[int | None] = mapped_column()
    max_entry_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CrawlRun(Base):
    """One crawl of one source: when, how it ended, and what it counted."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="SET NULL"), index=True
    )
    source_name: Mapped[str] = mapped_column(String(64), index=True)
    trigger: Mapped[str] = mapped_column(String(16), default="manual")
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    errors: Mapped[list[Any]] = mapped_column(default=list)
    pid: Mapped[int | None] = mapped_column()
    host: Mapped[str | None] = mapped_column(String(255))


class Digest(Base):
    """One message to one recipient on one channel; its Message-ID is fixed before sending."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    channel: Mapped[str] = mapped_column(String(512), default="email")
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    period_start: Mapped[datetime | None] = mapped_column()
    period_end: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    story_count: Mapped[int] = mapped_column(default=0)


class AlertDelivery(Base):
    """The outbox: one row per story, recipient and channel, written with the story."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("story_id", "recipient", "channel", name="uq_alert_deliveries_target"),
        Index("ix_alert_deliveries_status_recipient", "status", "recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(512), default="email")
    kind: Mapped[str] = mapped_column(String(16), default="digest")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("digests.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class OperatorAlert(Base):
    """A health problem raised for operators (a failing or silent source), alerted once."""

    __tablename__ = "operator_alerts"
    __table_args__ = (
        UniqueConstraint("source_name", "problem", "opened_at"),
        # at most one OPEN alert per problem: a constraint, not a check-then-insert
        Index(
            "uq_operator_alerts_open",
            "source_name",
            "problem",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_name: Mapped[str] = mapped_column(String(64))
    problem: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()
    notified_at: Mapped[datetime | None] = mapped_column()


class Lease(Base):
    """A named lock with an expiry: one crawl per source, one scheduler per database."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class PollStatus(StrEnum):
    """Where a requested poll of a source stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class RunStatus(StrEnum):
    """How a crawl run (and the poll that ran it) ended; ``running`` while it runs."""

    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


class PollRequester(StrEnum):
    """Who asked for a poll."""

    SCHEDULER = "scheduler"
    CLI = "cli"
    WEB = "web"


ACTIVE_POLL_STATUSES = (PollStatus.QUEUED.value, PollStatus.RUNNING.value)


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class PollRequest(Base):
    """One requested poll of one source: the hand-over between the scheduler (or the CLI, or the
    web console) and a crawl worker, and the poll's outcome.

    At most one queued or running poll per source (a partial unique index).
    """

    __tablename__ = "poll_requests"
    __table_args__ = (
        CheckConstraint(_in("status", PollStatus), name="status"),
        CheckConstraint(_in("requested_by", PollRequester), name="requested_by"),
        Index(
            "uq_poll_requests_active_source",
            "source_name",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
        Index("ix_poll_requests_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_name: Mapped[str] = mapped_column(String(64), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(16), default=PollRequester.SCHEDULER.value)
    status: Mapped[str] = mapped_column(String(16), default=PollStatus.QUEUED.value)
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    claimed_at: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[dict[str, Any] | None] = mapped_column()
    crawl_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL")
    )


__all__ = [
    "AlertDelivery",
    "Article",
    "Base",
    "CrawlRun",
    "Digest",
    "Feedback",
    "FeedbackLabel",
    "HttpCacheEntry",
    "Lease",
    "OperatorAlert",
    "PollRequest",
    "PollRequester",
    "PollStatus",
    "SeenOutcome",
    "SeenUrl",
    "Source",
    "Story",
    "utcnow",
]

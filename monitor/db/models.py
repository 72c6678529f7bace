"""The schema: typed SQLAlchemy 2.0 models. Alembic migrations in ``migrations/`` follow it."""

from __future__ import annotations

import hashlib
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

from monitor.extract.outcomes import Access
from monitor.relevance.dataset import Label
from monitor.stories.outcomes import StoreOutcome, check_in

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


def url_key(url: str) -> str:
    """The fixed-size key of a URL (sha256, hex): uniqueness over URLs of any length, on every
    backend (PostgreSQL's btree cannot index long text, a VARCHAR limit truncates)."""
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def _key_of(column: str) -> Any:
    """A column default: the :func:`url_key` of ``column`` in the same row (Core or ORM)."""

    def _default(context: Any) -> str | None:
        value = context.get_current_parameters().get(column)
        return None if value is None else url_key(value)

    return _default


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
    """A stored, matching article under its canonical URL; title and text are the latest
    version (earlier edits are :class:`ArticleRevision` rows)."""

    __tablename__ = "articles"
    __table_args__ = (CheckConstraint(check_in("access", Access), name="access"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_url: Mapped[str] = mapped_column(Text)
    # uniqueness on the key, so a URL of any length is stored whole (see url_key)
    # (never updated: an article's canonical URL does not change)
    canonical_url_hash: Mapped[str] = mapped_column(
        String(64), unique=True, default=_key_of("canonical_url")
    )
    url: Mapped[str] = mapped_column(Text)
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
    # Hit offsets into ``snippet`` ([[start, end], ...]); None on rows from before 0006, whose
    # snippet still marks hits with [brackets].
    snippet_spans: Mapped[list[Any] | None] = mapped_column()
    access: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    published_method: Mapped[str | None] = mapped_column(String(16))
    modified_at: Mapped[datetime | None] = mapped_column()

    story: Mapped[Story | None] = relationship(back_populates="articles", foreign_keys=[story_id])
    source: Mapped[Source | None] = relationship()
    revisions: Mapped[list[ArticleRevision]] = relationship(
        back_populates="article",
        order_by="ArticleRevision.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ArticleRevision(Base):
    """A material edit of a stored article: the version it introduced and the diff from the
    previous one."""

    __tablename__ = "article_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    revised_at: Mapped[datetime] = mapped_column(default=utcnow)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    diff: Mapped[str] = mapped_column(Text, default="")
    title_changed: Mapped[bool] = mapped_column(default=False)
    paragraphs_added: Mapped[int] = mapped_column(default=0)
    paragraphs_removed: Mapped[int] = mapped_column(default=0)

    article: Mapped[Article] = relationship(back_populates="revisions")


class Feedback(Base):
    """An analyst's label for a story, given on one of its articles; the newest one counts."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint(check_in("label", Label), name="label"),
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
    __table_args__ = (CheckConstraint(check_in("outcome", StoreOutcome), name="outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    url_hash: Mapped[str] = mapped_column(String(64), unique=True, default=_key_of("url"))
    canonical_url: Mapped[str | None] = mapped_column(Text)
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


class HttpCacheEntry(Base):
    """Validators of a feed or sitemap, for conditional GETs, and what it yielded last time."""

    __tablename__ = "http_cache"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    url_hash: Mapped[str] = mapped_column(String(64), unique=True, default=_key_of("url"))
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


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class DigestStatus(StrEnum):
    """Where one digest message stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class DeliveryStatus(StrEnum):
    """Where one outbox row (a story for a recipient on a channel) stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    WITHDRAWN = "withdrawn"  # the story was labelled irrelevant before it was sent


class Digest(Base):
    """One message to one recipient on one channel; its Message-ID is fixed before sending."""

    __tablename__ = "digests"
    __table_args__ = (CheckConstraint(_in("status", DigestStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    channel: Mapped[str] = mapped_column(String(512), default="email")
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    period_start: Mapped[datetime | None] = mapped_column()
    period_end: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=DigestStatus.PENDING.value)
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
        CheckConstraint(_in("status", DeliveryStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(512), default="email")
    kind: Mapped[str] = mapped_column(String(16), default="digest")
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
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


# --- the web console's operator state ------------------------------------------------------------


class WebRole(StrEnum):
    """What a console token may do: viewers read, analysts give feedback, admins crawl and edit."""

    VIEWER = "viewer"
    ANALYST = "analyst"
    ADMIN = "admin"


class WebKeyKind(StrEnum):
    """An API key (pages and API, with a role) or a feed token (Atom feeds only)."""

    API = "api"
    FEED = "feed"


class WebKey(Base):
    """A console API key or feed token; only its SHA-256 is stored."""

    __tablename__ = "web_keys"
    __table_args__ = (
        CheckConstraint(_in("kind", WebKeyKind), name="kind"),
        CheckConstraint(f"role IS NULL OR {_in('role', WebRole)}", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    role: Mapped[str | None] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class WebSession(Base):
    """A login-form session: the cookie's SHA-256, its role and its CSRF token."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[int | None] = mapped_column(
        ForeignKey("web_keys.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class StoryMark(Base):
    """An analyst's marks on a story: read, starred."""

    __tablename__ = "story_marks"

    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    read_at: Mapped[datetime | None] = mapped_column()
    starred_at: Mapped[datetime | None] = mapped_column()


class SourceOverride(Base):
    """An operator's override of a configured source, made in the console: disabled (not
    polled) or enabled against the config, muted (hidden from the inbox and the feeds)."""

    __tablename__ = "source_overrides"

    source_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool | None] = mapped_column()
    muted: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class SavedQuery(Base):
    """A query saved in the console (its own Atom feed)."""

    __tablename__ = "saved_queries"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")


class DeferredRequest(Base):
    """A request put off to the source's next crawl (a ``Retry-After`` above the cap, a crawl
    cut short by its page or time limit): the next crawl requests it again."""

    __tablename__ = "deferred_requests"
    __table_args__ = (UniqueConstraint("source_name", "url_hash", name="uq_deferred_requests_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_name: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(Text)
    url_hash: Mapped[str] = mapped_column(String(64), default=_key_of("url"))
    kind: Mapped[str] = mapped_column(String(16), default="article")
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(String(200), default="")
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    times: Mapped[int] = mapped_column(default=1)


class ArchivedPage(Base):
    """The kept copy of one fetched article page (matching or not), compressed, so the current
    cleaner, query and relevance model can run over it again (``monitor reprocess``).

    One row per page URL (the final URL after redirects): a later fetch replaces the copy.
    Bounded by ``[archive] max_age_days`` and ``max_mb`` (housekeeping prunes the oldest).
    """

    __tablename__ = "page_archive"
    __table_args__ = (
        CheckConstraint("compression IN ('zstd', 'zlib', 'none')", name="compression"),
        Index("ix_page_archive_source_fetched", "source_name", "fetched_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Keyed by the sha256 of the URL (any length; ``monitor.db.archive.url_hash``).
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(Text)
    requested_url: Mapped[str | None] = mapped_column(Text)
    source_name: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    content_type: Mapped[str | None] = mapped_column(String(255))
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    listed_title: Mapped[str | None] = mapped_column(Text)
    listed_published_at: Mapped[datetime | None] = mapped_column()
    discovered_from: Mapped[str | None] = mapped_column(Text)
    body_sha256: Mapped[str] = mapped_column(String(64))
    compression: Mapped[str] = mapped_column(String(8), default="zstd")
    raw_size: Mapped[int] = mapped_column(default=0)
    stored_size: Mapped[int] = mapped_column(default=0)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class TemplatePage(Base):
    """An article page of a source counted for template learning (once per page, however
    often it is fetched); the last ``WINDOW`` pages of a source are kept, older ones leave the
    counts again (:mod:`monitor.db.templates`)."""

    __tablename__ = "template_pages"
    __table_args__ = (
        UniqueConstraint("source_id", "page_key", name="uq_template_pages_source_page"),
        Index("ix_template_pages_source_seq", "source_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    page_key: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    fingerprints: Mapped[list[Any]] = mapped_column(default=list)


class TemplateBlock(Base):
    """On how many of a source's counted pages a block fingerprint occurs (a site template
    once it recurs on many of them), with a sample of its text for reports."""

    __tablename__ = "template_blocks"
    __table_args__ = (
        UniqueConstraint("source_id", "fingerprint", name="uq_template_blocks_source_fp"),
        Index("ix_template_blocks_source_pages", "source_id", "pages"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(16))
    pages: Mapped[int] = mapped_column(default=0)
    sample: Mapped[str] = mapped_column(Text, default="")
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "AlertDelivery",
    "ArchivedPage",
    "Article",
    "ArticleRevision",
    "Base",
    "CrawlRun",
    "DeferredRequest",
    "DeliveryStatus",
    "Digest",
    "DigestStatus",
    "Feedback",
    "HttpCacheEntry",
    "Lease",
    "OperatorAlert",
    "PollRequest",
    "PollRequester",
    "PollStatus",
    "SavedQuery",
    "SeenUrl",
    "Source",
    "SourceOverride",
    "Story",
    "StoryMark",
    "TemplateBlock",
    "TemplatePage",
    "WebKey",
    "WebKeyKind",
    "WebRole",
    "WebSession",
    "url_key",
    "utcnow",
]

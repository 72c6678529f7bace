"""The alert outbox: pending delivery rows written in the same transaction as the story.

One row per (story, recipient, channel). ``channel`` is ``"email"`` or a key derived from an
apprise URL (:func:`channel_key`) so webhook tokens never land in the database or the logs;
the sender maps the key back to the URL from the current configuration.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.config import MonitorConfig, RecipientConfig
from monitor.db.models import AlertDelivery, Article, DeliveryStatus, Story, utcnow

EMAIL = "email"
KIND_INSTANT = "instant"
KIND_DIGEST = "digest"
STATUS_PENDING = DeliveryStatus.PENDING
# An unsent alert of a story an analyst has since marked irrelevant (``monitor feedback``).
STATUS_WITHDRAWN = DeliveryStatus.WITHDRAWN


class _Query(Protocol):
    def match(self, title: str, body: str) -> Any: ...


@lru_cache(maxsize=64)
def _compiled(source: str) -> _Query:
    from monitor.query import compile_query

    return compile_query(source)


def query_matches(source: str, title: str, body: str) -> bool:
    """Whether the query ``source`` matches an article's title and text."""
    return bool(_compiled(source).match(title or "", body or "").matched)


def channel_key(url: str) -> str:
    """A stable, secret-free name for an apprise URL: ``scheme:hash``."""
    scheme = (urlsplit(url).scheme or "channel").lower()[:24]
    digest = hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:16]
    return f"{scheme}:{digest}"


def recipient_channels(recipient: RecipientConfig) -> dict[str, str | None]:
    """The recipient's channels: ``{"email": None, key: apprise URL, ...}`` in config order."""
    channels: dict[str, str | None] = {EMAIL: None}
    for url in recipient.channels:
        channels.setdefault(channel_key(url), url)
    return channels


def alert_rows(
    story: Story, article: Article, config: MonitorConfig, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The outbox rows a new story calls for (no database access)."""
    email = config.email
    title, body = article.title or story.title or "", article.text or ""
    priority = bool(email.priority_query) and query_matches(email.priority_query or "", title, body)
    rows: list[dict[str, Any]] = []
    now = now or utcnow()
    for recipient in email.active_recipients():
        if recipient.query and not query_matches(recipient.query, title, body):
            continue
        kind = KIND_INSTANT if priority or recipient.frequency == "instant" else KIND_DIGEST
        for channel in recipient_channels(recipient):
            rows.append(
                {
                    "story_id": story.id,
                    "recipient": recipient.address,
                    "channel": channel,
                    "kind": kind,
                    "status": STATUS_PENDING,
                    "created_at": now,
                    "attempts": 0,
                }
            )
    return rows


def insert_ignoring_duplicates(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """INSERT … ON CONFLICT DO NOTHING on (story, recipient, channel); the number inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert: Any
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:  # pragma: no cover - the project supports SQLite and PostgreSQL only
        raise NotImplementedError(f"outbox needs SQLite or PostgreSQL, not {dialect}")
    statement = (
        insert(AlertDelivery)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=["story_id", "recipient", "channel"])
        .returning(AlertDelivery.id)
    )
    return len(session.execute(statement).all())


def enqueue_story_alerts(
    session: Session,
    story: Story,
    article: Article,
    config: MonitorConfig,
    *,
    now: datetime | None = None,
) -> int:
    """Write pending outbox rows for a new story in the caller's transaction; rows written.

    One row per active recipient (suppression list applied) whose own query, if any, matches,
    and per channel (``"email"`` plus each apprise URL). ``kind`` is ``"instant"`` for instant
    recipients and for articles matching ``email.priority_query``, else ``"digest"``.
    Re-running for the same story inserts nothing (ON CONFLICT DO NOTHING).
    """
    if story.id is None:
        session.flush()
    return insert_ignoring_duplicates(session, alert_rows(story, article, config, now=now))


def story_hook(config: MonitorConfig) -> Callable[[Session, Story, Article], int]:
    """The one alert hook (``ArticleStore(db, alerts=story_hook(config))``) bound to ``config``."""

    def _hook(session: Session, story: Story, article: Article) -> int:
        return enqueue_story_alerts(session, story, article, config)

    return _hook

"""Atom feeds of matched stories (feedgen): global, per saved query and per recipient.

With authentication configured each feed needs a revocable feed token (``?token=``, made by
``monitor web token create --feed``) or an API credential; without it the feeds are open.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, NamedTuple

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from feedgen.feed import FeedGenerator
from starlette.concurrency import run_in_threadpool

from monitor.alerts.sanitize import clean_line, safe_url
from monitor.config import MonitorConfig
from monitor.db.engine import Database
from monitor.db.models import utcnow
from monitor.db.web import get_saved_query
from monitor.errors import NotAuthenticated, NotFoundError
from monitor.web import service
from monitor.web.auth import feed_allowed, get_config, get_db

router = APIRouter(
    prefix="/feeds",
    tags=["feeds"],
    responses={
        401: {"description": "a feed token is needed"},
        404: {"description": "no such feed"},
    },
)
ATOM = "application/atom+xml; charset=utf-8"
FEED_SIZE = 50
TAG = "tag:news-monitor.invalid,2026"

Token = Annotated[str | None, Query(max_length=200, description="a feed token")]


def _text(value: object, max_chars: int | None = None) -> str:
    """One line of text that XML can carry (control characters dropped)."""
    return clean_line(value, max_chars)


def render_atom(
    stories: list[service.StoryItem], *, feed_id: str, title: str, self_url: str
) -> bytes:
    """An Atom 1.0 document of ``stories``, newest first."""
    feed = FeedGenerator()
    feed.id(f"{TAG}:{feed_id}")
    feed.title(_text(title, 200) or "News monitor")
    feed.author({"name": "News monitor"})
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.generator("news-monitor console")
    updated: datetime = max((s.first_seen_at for s in stories), default=utcnow())
    feed.updated(updated)
    for story in stories:
        entry = feed.add_entry(order="append")
        entry.id(f"{TAG}:story/{story.id}")
        entry.title(_text(story.title, 500) or f"Story {story.id}")
        entry.updated(max([story.first_seen_at, *(a.updated_at for a in story.articles)]))
        entry.published(story.first_seen_at)
        for article in story.articles:
            href = safe_url(article.url)
            if href:
                entry.link(
                    href=href, rel="alternate" if article is story.articles[0] else "related"
                )
        outlets = ", ".join(story.outlets)
        snippet = "".join(text for text, _hit in story.snippet)
        summary = _text(f"{outlets}: {snippet}" if outlets else snippet, 2000)
        if summary:
            entry.summary(summary)
        for term in story.matched_terms[:10]:
            cleaned = _text(term, 100)
            if cleaned:
                entry.category(term=cleaned)
    data: bytes = feed.atom_str(pretty=True)
    return data


def _check(request: Request, token: str | None) -> None:
    if not feed_allowed(request, token):
        raise NotAuthenticated()


def _respond(data: bytes) -> Response:
    return Response(data, media_type=ATOM)


def _self(request: Request) -> str:
    return str(request.url.replace(query=""))


class FeedSpec(NamedTuple):
    """What one feed shows: the stories matching ``query`` (all relevant ones when None)."""

    query: str | None
    feed_id: str
    title: str


async def _feed(
    request: Request,
    token: str | None,
    db: Database,
    config: MonitorConfig,
    spec: Callable[[], FeedSpec],
) -> Response:
    """Check the token, then build the feed off the event loop (``spec`` may raise not found)."""

    def _build() -> bytes:
        _check(request, token)
        feed = spec()
        stories = service.feed_stories(db, config, q=feed.query, limit=FEED_SIZE)
        return render_atom(stories, feed_id=feed.feed_id, title=feed.title,
                           self_url=_self(request))  # fmt: skip

    return _respond(await run_in_threadpool(_build))


@router.get("/stories.atom", response_class=Response, responses={200: {"content": {ATOM: {}}}})
async def stories_feed(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    config: Annotated[MonitorConfig, Depends(get_config)],
    token: Token = None,
) -> Response:
    """The newest relevant stories."""
    return await _feed(
        request, token, db, config, lambda: FeedSpec(None, "stories", "News monitor: stories")
    )


@router.get(
    "/queries/{query_id}.atom", response_class=Response, responses={200: {"content": {ATOM: {}}}}
)
async def saved_query_feed(
    request: Request,
    query_id: Annotated[int, PathParam(ge=1, le=2**53)],
    db: Annotated[Database, Depends(get_db)],
    config: Annotated[MonitorConfig, Depends(get_config)],
    token: Token = None,
) -> Response:
    """The newest relevant stories matching a saved query."""

    def _spec() -> FeedSpec:
        saved = get_saved_query(db, query_id)
        return FeedSpec(saved.query, f"query/{saved.id}", f"News monitor: {saved.name}")

    return await _feed(request, token, db, config, _spec)


@router.get(
    "/recipients/{address}.atom", response_class=Response, responses={200: {"content": {ATOM: {}}}}
)
async def recipient_feed(
    request: Request,
    address: Annotated[str, PathParam(max_length=320)],
    db: Annotated[Database, Depends(get_db)],
    config: Annotated[MonitorConfig, Depends(get_config)],
    token: Token = None,
) -> Response:
    """The newest relevant stories for a recipient (its own query, if it has one)."""

    def _spec() -> FeedSpec:
        recipient = next(
            (r for r in config.email.recipients if r.address.lower() == address.lower()), None
        )
        if recipient is None:
            raise NotFoundError(f"no recipient {address!r} in the config")
        address_key = recipient.address.lower()
        return FeedSpec(
            recipient.query, f"recipient/{address_key}", f"News monitor: {recipient.address}"
        )

    return await _feed(request, token, db, config, _spec)

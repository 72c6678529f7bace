"""The JSON API (``/api/...``): everything the pages show and do, over the same services.

Described by the OpenAPI document at ``/openapi.json``. Roles: viewers read, analysts give
feedback (and mark, star, mute, save queries), admins crawl, enable/disable and manage tokens.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from monitor.config import MonitorConfig
from monitor.db.engine import Database
from monitor.web import service
from monitor.web.auth import Principal, Role, get_config, get_db, require
from monitor.web.service import (
    ActionResult,
    BulkResult,
    DigestPreview,
    LabResult,
    OutboxView,
    PollView,
    SavedQueryView,
    SourceRow,
    StoryDetail,
    StoryFilter,
    StoryItem,
    TestSendResult,
    TokenView,
)


class ErrorOut(BaseModel):
    detail: str
    position: int | None = Field(None, description="Where a query's syntax error is.")


router = APIRouter(
    prefix="/api",
    tags=["api"],
    responses={
        400: {"model": ErrorOut, "description": "invalid input (a query's syntax, a cursor)"},
        401: {"model": ErrorOut, "description": "authentication required"},
        403: {"model": ErrorOut, "description": "role too low, CSRF, or foreign Origin/Host"},
        404: {"model": ErrorOut, "description": "no such record"},
        503: {"model": ErrorOut, "description": "the console cannot do it now"},
    },
)

Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Analyst = Annotated[Principal, Depends(require(Role.ANALYST))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
DB = Annotated[Database, Depends(get_db)]
Config = Annotated[MonitorConfig, Depends(get_config)]
Id = Annotated[int, PathParam(ge=1, le=2**53)]


def get_crawler(request: Request) -> service.ConsoleCrawler:
    """The console's own crawl worker (used when no daemon runs)."""
    crawler: service.ConsoleCrawler = request.app.state.crawler
    return crawler


# --- models --------------------------------------------------------------------------------------


class StoriesOut(BaseModel):
    items: list[StoryItem]
    next: str | None = Field(description="Cursor of the next page (pass as ?cursor=), or null.")


class MeOut(BaseModel):
    role: str
    name: str
    via: str
    auth_configured: bool


class FeedbackIn(BaseModel):
    label: Literal["relevant", "irrelevant"]


class ReadIn(BaseModel):
    read: bool = True


class StarIn(BaseModel):
    starred: bool = True


class BulkIn(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=2**53)]] = Field(min_length=1, max_length=1000)
    action: Literal["relevant", "irrelevant", "read", "unread", "star", "unstar"]


class SourceOverrideIn(BaseModel):
    enabled: bool | None = Field(None, description="false: not polled; true: as the config says")
    muted: bool | None = Field(None, description="true: hidden from the inbox and the feeds")


class CrawlOut(BaseModel):
    poll_id: int
    queued: bool
    by_daemon: bool


class SavedQueryIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    query: str = Field(min_length=1, max_length=5000)


class TestMessageIn(BaseModel):
    recipient: str = Field(min_length=3, max_length=320)


class TokenIn(BaseModel):
    role: Literal["viewer", "analyst", "admin", "feed"]
    label: str = Field("", max_length=200)


class TokenCreatedOut(BaseModel):
    token: str = Field(description="Shown once: only its hash is stored.")
    key: TokenView


# --- stories -------------------------------------------------------------------------------------


def _moment(value: date | datetime | None, *, end: bool = False) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    moment = datetime.combine(value, time.min, UTC)
    if end:  # ``until`` a date includes that day
        from datetime import timedelta

        moment += timedelta(days=1)
    return moment


@router.get("/stories", response_model=StoriesOut)
def list_stories(
    _user: Viewer,
    db: DB,
    config: Config,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    near_misses: Annotated[bool, Query(description="1: only near misses")] = False,
    q: Annotated[str | None, Query(max_length=5000, description="query language")] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    source: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[date | datetime | None, Query()] = None,
    until: Annotated[date | datetime | None, Query()] = None,
    min_relevance: Annotated[float | None, Query(ge=0, le=1)] = None,
    unread: bool = False,
    starred: bool = False,
    include_muted: bool = False,
    sort: Literal["newest", "relevance"] = "newest",
) -> StoriesOut:
    """Stories (syndicated copies grouped), newest first unless ``sort=relevance``."""
    page = service.list_stories(
        db,
        config,
        StoryFilter(
            q=q or None,
            language=language or None,
            source=source or None,
            since=_moment(since),
            until=_moment(until, end=True),
            min_relevance=min_relevance,
            unread=unread,
            starred=starred,
            near_misses=near_misses,
            include_muted=include_muted,
            sort=sort,
            limit=limit,
            cursor=cursor or None,
        ),
    )
    return StoriesOut(items=page.items, next=page.next)


@router.get("/stories/{story_id}", response_model=StoryDetail)
def story_detail(story_id: Id, _user: Viewer, db: DB, config: Config) -> StoryDetail:
    """One story: every copy with its clean text, revisions, matched terms, feedback."""
    return service.story_detail(db, config, story_id)


@router.post("/stories/{story_id}/feedback", response_model=ActionResult)
def story_feedback(
    story_id: Id,
    body: FeedbackIn,
    user: Analyst,
    db: DB,
    config: Config,
) -> ActionResult:
    """Relevant / irrelevant, as ``monitor feedback``: a near miss marked relevant is alerted
    in the next digest."""
    return service.give_story_feedback(db, config, story_id, body.label, origin=_origin(user))


def _origin(user: Principal) -> str:
    return f"web:{user.name}"[:32]


@router.post("/stories/{story_id}/read", response_model=BulkResult)
def story_read(
    story_id: Id, body: ReadIn, _user: Analyst, db: DB,
    config: Config,
) -> BulkResult:  # fmt: skip
    """Mark read or unread."""
    return service.bulk_action(db, config, [story_id], "read" if body.read else "unread")


@router.post("/stories/{story_id}/star", response_model=BulkResult)
def story_star(
    story_id: Id, body: StarIn, _user: Analyst, db: DB,
    config: Config,
) -> BulkResult:  # fmt: skip
    """Star or unstar."""
    return service.bulk_action(db, config, [story_id], "star" if body.starred else "unstar")


@router.post("/stories/bulk", response_model=BulkResult)
def stories_bulk(body: BulkIn, user: Analyst, db: DB, config: Config) -> BulkResult:
    """One action on a selection of stories."""
    return service.bulk_action(db, config, body.ids, body.action, origin=_origin(user))


# --- sources -------------------------------------------------------------------------------------


@router.get("/sources", response_model=list[SourceRow])
def list_sources(_user: Viewer, db: DB, config: Config) -> list[SourceRow]:
    """Health of every configured source, with the console's overrides and any active poll."""
    return service.list_sources(db, config)


@router.get("/sources/{name}", response_model=SourceRow)
def source(name: str, _user: Viewer, db: DB, config: Config) -> SourceRow:
    return service.source_row(db, config, name)


@router.patch("/sources/{name}", response_model=SourceRow)
def source_override(
    name: str, body: SourceOverrideIn, user: Analyst, db: DB, config: Config
) -> SourceRow:
    """Mute / unmute (analyst) or disable / enable (admin) a source; stored in the database."""
    if body.enabled is not None:
        if not user.can(Role.ADMIN):
            raise HTTPException(403, "enabling or disabling a source needs the admin role")
        row = service.set_source_enabled(db, config, name, body.enabled, by=user.name)
    else:
        row = service.source_row(db, config, name)
    if body.muted is not None:
        row = service.set_source_muted(db, config, name, body.muted, by=user.name)
    return row


@router.post(
    "/sources/{name}/crawl",
    status_code=202,
    response_model=CrawlOut,
    responses={404: {"description": "unknown source"}},
)
async def crawl_source(
    name: str,
    _user: Admin,
    db: DB,
    config: Config,
    crawler: Annotated[service.ConsoleCrawler, Depends(get_crawler)],
) -> JSONResponse:
    """Queue a poll of the source (the same poll id if one is queued or running). A running
    daemon's workers run it, else the console's own worker."""
    request = await run_in_threadpool(service.crawl_now, db, config, name, runner=crawler)
    return JSONResponse(
        CrawlOut(
            poll_id=request.poll_id, queued=request.queued, by_daemon=request.by_daemon
        ).model_dump(),
        status_code=202,
    )


@router.get("/polls/{poll_id}", response_model=PollView)
def poll(poll_id: Id, _user: Viewer, db: DB) -> PollView:
    """A poll's progress; once finished, its summary (status, counts, errors)."""
    return service.poll_view(db, poll_id)


# --- query lab and saved queries -----------------------------------------------------------------


@router.get("/query-lab", response_model=LabResult)
def query_lab(
    _user: Viewer,
    db: DB,
    config: Config,
    q: Annotated[str, Query(min_length=1, max_length=5000)],
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 20,
) -> LabResult:
    """Try a query on the stored articles: matches per day and the best hits."""
    return service.query_lab(db, config, q, days=days, limit=limit)


@router.get("/saved-queries", response_model=list[SavedQueryView])
def saved_queries(_user: Viewer, db: DB) -> list[SavedQueryView]:
    return service.list_saved_queries(db)


@router.post("/saved-queries", status_code=201, response_model=SavedQueryView)
def save_query(body: SavedQueryIn, user: Analyst, db: DB) -> SavedQueryView:
    """Save a query (checked first); it gets an Atom feed of its own."""
    return service.save_query(db, body.name, body.query, by=user.name)


@router.delete("/saved-queries/{query_id}", status_code=204)
def delete_saved_query(query_id: Id, _user: Analyst, db: DB) -> None:
    service.delete_saved_query(db, query_id)


# --- digests -------------------------------------------------------------------------------------


@router.get("/digests/preview", response_model=list[DigestPreview])
def digest_preview(
    _user: Viewer,
    db: DB,
    config: Config,
    recipient: Annotated[str | None, Query(max_length=320)] = None,
) -> list[DigestPreview]:
    """The next digest per recipient, exactly as it would be sent (nothing is sent)."""
    return service.digest_previews(db, config, recipient or None)


@router.get("/outbox", response_model=OutboxView)
def outbox(_user: Viewer, db: DB, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> OutboxView:
    """Alert rows by status, and the newest digests: sent, pending, failed with reasons."""
    return service.outbox(db, limit=limit)


@router.post("/digests/test", response_model=TestSendResult)
def test_message(body: TestMessageIn, _user: Admin, config: Config) -> TestSendResult:
    """Send a test message (sample stories) to a configured recipient."""
    return service.send_test_message(config, body.recipient)


# --- tokens and the caller -----------------------------------------------------------------------


@router.get("/tokens", response_model=list[TokenView])
def tokens(_user: Admin, db: DB) -> list[TokenView]:
    """API keys and feed tokens (never the tokens themselves)."""
    return service.list_tokens(db)


@router.post("/tokens", status_code=201, response_model=TokenCreatedOut)
def create_token(body: TokenIn, _user: Admin, db: DB) -> TokenCreatedOut:
    """A new API key or feed token; the token is in this answer only."""
    view, token = service.create_token(db, body.role, body.label)
    return TokenCreatedOut(token=token, key=view)


@router.delete("/tokens/{key_id}", response_model=TokenView)
def revoke_token(key_id: Id, _user: Admin, db: DB) -> TokenView:
    return service.revoke_token(db, key_id)


@router.get("/me", response_model=MeOut)
def me(request: Request, user: Viewer) -> MeOut:
    from monitor.web.auth import auth_configured

    return MeOut(
        role=user.role.value, name=user.name, via=user.via, auth_configured=auth_configured(request)
    )

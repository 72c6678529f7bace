"""The console's HTML pages: thin views over ``monitor.web.service`` (no SQL here).

Every page renders a Jinja2 template (autoescaped); every state-changing form is a POST guarded by
``require(role)`` (which checks the CSRF token of cookie sessions). Buttons post with htmx and
swap the piece of the page they change; without JavaScript the same forms post normally and
redirect back (303), so every action also works from a plain browser.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from monitor.config import MonitorConfig
from monitor.db.engine import Database
from monitor.errors import InvalidInput, NotFoundError
from monitor.web import service
from monitor.web.api import get_crawler
from monitor.web.auth import Principal, Role, auth_configured, csrf_token, get_config, get_db
from monitor.web.auth import require as require_role
from monitor.web.charts import Chart, bar_chart, daily_series

router = APIRouter(include_in_schema=False)

VIEWER = Depends(require_role(Role.VIEWER))
ANALYST = Depends(require_role(Role.ANALYST))
ADMIN = Depends(require_role(Role.ADMIN))
DB = Depends(get_db)
CONFIG = Depends(get_config)

SHOW_CHOICES = (
    ("all", "All relevant"),
    ("unread", "Unread"),
    ("starred", "Starred"),
    ("near_misses", "Near misses"),
)
BULK_LABELS = {
    "read": "Mark read",
    "unread": "Mark unread",
    "star": "Star",
    "unstar": "Unstar",
    "relevant": "Relevant",
    "irrelevant": "Irrelevant",
}


# --- template helpers ------------------------------------------------------------------------


def _when(value: datetime | None) -> str:
    if value is None:
        return "–"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _ago(value: datetime | None) -> str:
    """'5 min ago', '3 h ago', '2 days ago' (relative to now, UTC)."""
    if value is None:
        return "never"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = (datetime.now(UTC) - value).total_seconds()
    if seconds < 0:
        return "in " + _span(-seconds)
    return _span(seconds) + " ago"


def _span(seconds: float) -> str:
    if seconds < 60:
        return "just now" if seconds < 5 else f"{int(seconds)} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


@jinja2.pass_context
def _url(context: Mapping[str, Any], name: str, /, **params: Any) -> str:
    """A route's path (relative, so it stays right behind any proxy); ``_query`` adds a query."""
    request: Request = context["request"]
    query = params.pop("_query", None)
    path = str(request.app.url_path_for(name, **{k: str(v) for k, v in params.items()}))
    if query:
        path += "?" + urlencode({k: v for k, v in query.items() if v not in (None, "")}, doseq=True)
    return path


def configure_templates(env: jinja2.Environment) -> None:
    """Globals and filters of the console's templates (called once by the app factory)."""
    env.globals["url"] = _url
    env.filters["when"] = _when
    env.filters["ago"] = _ago
    env.filters["percent"] = _percent


def _render(
    request: Request,
    template: str,
    user: Principal | None,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    base: dict[str, Any] = {
        "request": request,
        "user": user,
        "csrf_token": csrf_token(request),
        "nav_items": _nav(request, user),
        "flashes": [],
    }
    base.update(context)
    # the app's Jinja2Templates (monitor.web.app.templates_of), read here to avoid an import cycle
    response = request.app.state.templates.TemplateResponse(
        request, template, base, status_code=status_code, headers=headers
    )
    return response  # type: ignore[no-any-return]


def _nav(request: Request, user: Principal | None) -> list[tuple[str, str, str]]:
    app = request.app
    items = [
        ("inbox", "Stories", str(app.url_path_for("inbox"))),
        ("sources", "Sources", str(app.url_path_for("sources"))),
        ("lab", "Query lab", str(app.url_path_for("lab"))),
        ("digests", "Digests", str(app.url_path_for("digests"))),
    ]
    if user is not None and user.can(Role.ADMIN) and auth_configured(request):
        items.append(("tokens", "Tokens", str(app.url_path_for("page_tokens"))))
    return items


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back(request: Request, fallback: str) -> RedirectResponse:
    """303 back to the page the form was on (same origin only), else ``fallback``."""
    referer = request.headers.get("referer", "")
    base = str(request.base_url)
    target = referer if referer.startswith(base) else fallback
    return RedirectResponse(target, status_code=303)


def _not_found(request: Request, user: Principal | None, what: str) -> HTMLResponse:
    return _render(
        request,
        "error.html",
        user,
        {"title": "Not found", "message": what, "section": None},
        status_code=404,
    )


def render_login(request: Request, next_path: str, error: str | None, status: int) -> Response:
    """The login form (the app's auth router calls this hook; it posts to ``/login``)."""
    context = {"title": "Sign in", "next": next_path, "error": error, "show_nav": False}
    return _render(request, "login.html", None, context, status_code=status)


def render_error(request: Request, status: int, detail: str) -> Response:
    """An error page in the console's look (the app's exception handlers call this hook)."""
    from sqlalchemy.exc import SQLAlchemyError

    from monitor.errors import MonitorError
    from monitor.web.auth import current_user

    titles = {400: "Bad request", 403: "Not allowed", 404: "Not found", 429: "Too many requests"}
    try:
        user = current_user(request)
    except (MonitorError, SQLAlchemyError):  # the error page renders even if the database failed
        user = None
    context = {"title": titles.get(status, "Error"), "message": detail, "section": None}
    return _render(request, "error.html", user, context, status_code=status)


# --- the inbox -------------------------------------------------------------------------------


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except ValueError:
        return None
    return min(1.0, max(0.0, number))


def _story_filter(params: Mapping[str, str]) -> tuple[service.StoryFilter, dict[str, Any]]:
    """The inbox's query string as a StoryFilter, and the form's values to show back."""
    show = params.get("show", "all")
    show = show if show in dict(SHOW_CHOICES) else "all"
    sort = "relevance" if params.get("sort") == "relevance" else "newest"
    since, until = _day(params.get("since")), _day(params.get("until"))
    form = {
        "q": params.get("q", "").strip(),
        "language": params.get("language", ""),
        "source": params.get("source", ""),
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
        "min_relevance": params.get("min_relevance", ""),
        "show": show,
        "sort": sort,
    }
    filt = service.StoryFilter(
        q=form["q"] or None,
        language=form["language"] or None,
        source=form["source"] or None,
        since=datetime.combine(since, time(), UTC) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), UTC) if until else None,
        min_relevance=_float(params.get("min_relevance")),
        unread=show == "unread",
        starred=show == "starred",
        near_misses=show == "near_misses",
        sort=sort,
        limit=30,
        cursor=params.get("cursor") or None,
    )
    return filt, form


@router.get("/", name="inbox", response_class=HTMLResponse)
def inbox(
    request: Request,
    user: Principal = VIEWER,
    db: Database = DB,
    config: MonitorConfig = CONFIG,
) -> HTMLResponse:
    """The stories inbox: filters, search, the list, bulk actions."""
    filt, form = _story_filter(request.query_params)
    error: str | None = None
    try:
        page = service.list_stories(db, config, filt)
    except InvalidInput as exc:
        error = str(exc)
        page = service.StoryPage(items=[], next=None, total=0)
    options = service.filter_options(db, config)
    next_query = {k: v for k, v in form.items() if v}
    if page.next:
        next_query["cursor"] = page.next
    return _render(
        request,
        "inbox.html",
        user,
        {
            "title": "Stories",
            "section": "inbox",
            "page": page,
            "form": form,
            "options": options,
            "error": error,
            "show_choices": SHOW_CHOICES,
            "bulk_labels": BULK_LABELS,
            "next_query": next_query if page.next else None,
            "paged": bool(filt.cursor),
            "can_edit": user.can(Role.ANALYST),
        },
    )


def _story_item(db: Database, config: MonitorConfig, story_id: int) -> service.StoryItem:
    return service.story_detail(db, config, story_id).story


def _item_response(
    request: Request,
    user: Principal,
    db: Database,
    config: MonitorConfig,
    story_id: int,
    message: str = "",
) -> Response:
    """The changed story's row (htmx), or a redirect back (plain form post)."""
    if not _is_htmx(request):
        return _back(request, str(request.app.url_path_for("inbox")))
    try:
        story = _story_item(db, config, story_id)
    except NotFoundError:
        return HTMLResponse("", status_code=404)
    return _render(
        request,
        "_story_item.html",
        user,
        {"story": story, "can_edit": user.can(Role.ANALYST), "message": message},
    )


@router.post("/stories/{story_id}/feedback", name="page_story_feedback")
def story_feedback(
    request: Request,
    story_id: int,
    label: str = Form(...),
    user: Principal = ANALYST,
    db: Database = DB,
    config: MonitorConfig = CONFIG,
) -> Response:
    """Relevant / irrelevant: stored as feedback for the relevance model."""
    if label not in ("relevant", "irrelevant"):
        return HTMLResponse("label must be relevant or irrelevant", status_code=400)
    try:
        result = service.give_story_feedback(db, config, story_id, label, origin="web")
    except NotFoundError:
        return _not_found(request, user, f"story {story_id} does not exist")
    return _item_response(request, user, db, config, story_id, result.message)


def _story_mark_route(
    mark: str, field: str, setter: Callable[[Database, list[int], bool], object]
) -> None:
    """``POST /stories/{id}/{mark}`` with the form field ``field``: set the mark, show the row."""

    def set_mark(
        request: Request,
        story_id: int,
        value: bool = Form(True, alias=field),
        user: Principal = ANALYST,
        db: Database = DB,
        config: MonitorConfig = CONFIG,
    ) -> Response:
        setter(db, [story_id], value)
        return _item_response(request, user, db, config, story_id)

    set_mark.__name__ = f"story_{mark}"
    router.add_api_route(
        f"/stories/{{story_id}}/{mark}", set_mark, methods=["POST"], name=f"page_story_{mark}"
    )


_story_mark_route("star", "starred", service.set_starred)
_story_mark_route("read", "read", service.set_read)


@router.post("/stories/bulk", name="page_stories_bulk")
async def stories_bulk(
    request: Request,
    user: Principal = ANALYST,
    db: Database = DB,
    config: MonitorConfig = CONFIG,
) -> Response:
    """One action on every selected story; htmx gets a status line and reloads the list."""
    form = await request.form()
    action = str(form.get("action", ""))
    ids: list[int] = []
    for value in form.getlist("ids"):
        try:
            ids.append(int(str(value)))
        except ValueError:
            continue
    if action not in BULK_LABELS:
        return HTMLResponse(f"unknown action {action!r}", status_code=400)
    result = service.bulk_action(db, config, ids, action)
    if not _is_htmx(request):
        return _back(request, str(request.app.url_path_for("inbox")))
    return _render(
        request,
        "_bulk_result.html",
        user,
        {"result": result, "selected": len(ids)},
        headers={"HX-Trigger": "stories-changed"},
    )


@router.get("/stories/{story_id}", name="story", response_class=HTMLResponse)
def story_page(
    request: Request,
    story_id: int,
    user: Principal = VIEWER,
    db: Database = DB,
    config: MonitorConfig = CONFIG,
) -> HTMLResponse:
    """Every copy of a story: outlet, dates and how found, clean text, revisions, reasons."""
    try:
        detail = service.story_detail(db, config, story_id)
    except NotFoundError:
        return _not_found(request, user, f"story {story_id} does not exist")
    sources = {row.name: row for row in service.list_sources(db, config)}
    return _render(
        request,
        "story.html",
        user,
        {
            "title": detail.story.title,
            "section": "inbox",
            "detail": detail,
            "story": detail.story,
            "sources": sources,
            "revisions": {
                article.id: [r for r in detail.revisions if r.article_id == article.id]
                for article in detail.story.articles
            },
            "can_edit": user.can(Role.ANALYST),
        },
    )


# --- sources ---------------------------------------------------------------------------------


def _source_charts(rows: list[service.SourceRow]) -> dict[str, Any]:
    charts = {}
    today = datetime.now(UTC).date()
    for row in rows:
        series = row.new_per_day or daily_series([], today - timedelta(days=6), today)
        charts[row.name] = bar_chart(series, width=112, height=26, gap=3.0)
    return charts


@router.get("/sources", name="sources", response_class=HTMLResponse)
def sources_page(
    request: Request,
    user: Principal = VIEWER,
    db: Database = DB,
    config: MonitorConfig = CONFIG,
) -> HTMLResponse:
    """Health per source, Crawl now, enable / disable, mute."""
    rows = service.list_sources(db, config)
    return _render(
        request,
        "sources.html",
        user,
        {
            "title": "Sources",
            "section": "sources",
            "rows": rows,
            "charts": _source_charts(rows),
            "can_admin": user.can(Role.ADMIN),
            "can_edit": user.can(Role.ANALYST),
        },
    )


def _source_row(
    request: Request,
    user: Principal,
    row: service.SourceRow,
    *,
    finished_poll: service.PollView | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """One source's row of the sources table (``finished_poll``: its summary shown in it)."""
    context = {
        "row": row,
        "chart": _source_charts([row])[row.name],
        "can_admin": user.can(Role.ADMIN),
        "can_edit": user.can(Role.ANALYST),
        "finished_poll": finished_poll,
    }
    return _render(request, "_source_row.html", user, context, headers=headers)


def _source_row_response(
    request: Request, user: Principal, db: Database, config: MonitorConfig, name: str
) -> Response:
    if not _is_htmx(request):
        return _back(request, str(request.app.url_path_for("sources")))
    return _source_row(request, user, service.source_row(db, config, name))


@router.post("/sources/{name}/enabled", name="source_enabled")
def source_enabled(
    request: Request,
    name: str,
    enabled: str = Form(...),
    user: Principal = ADMIN,
    db: Database = DB,
    config: MonitorConfig = CONFIG,
) -> Response:
    """Disable a source (an operator override in the database) or lift that override."""
    choice = {"1": True, "0": False, "config": None}.get(enabled)
    try:
        service.set_source_enabled(db, config, name, choice, by=user.name)
        return _source_row_response(request, user, db, config, name)
    except NotFoundError:
        return _not_found(request, user, f"no source named {name!r}")


@router.post("/sources/{name}/mute", name="source_mute")
def source_mute(
    request: Request,
    name: str,
    muted: bool = Form(True),
    story_id: int | None = Form(None),
    user: Principal = ANALYST,
    db: Database = DB,
    config: MonitorConfig = CONFIG,
) -> Response:
    """Mute (or unmute) a source: its stories leave the inbox, its crawls go on."""
    try:
        service.set_source_muted(db, config, name, muted, by=user.name)
    except NotFoundError:
        return _not_found(request, user, f"no source named {name!r}")
    if story_id is not None:
        return _item_response(
            request, user, db, config, story_id, f"{name} {'muted' if muted else 'unmuted'}"
        )
    return _source_row_response(request, user, db, config, name)


@router.post("/sources/{name}/crawl", name="source_crawl")
def source_crawl(
    request: Request,
    name: str,
    user: Principal = ADMIN,
    db: Database = DB,
    config: MonitorConfig = CONFIG,
    runner: Any = Depends(get_crawler),
) -> Response:
    """Crawl now: queue a poll (through the crawl runtime), answer with its progress box."""
    try:
        queued = service.crawl_now(db, config, name, runner=runner)
    except NotFoundError:
        return _not_found(request, user, f"no source named {name!r}")
    poll = service.poll_view(db, queued.poll_id)
    if not _is_htmx(request):
        return _back(request, str(request.app.url_path_for("sources")))
    return _render(request, "_poll.html", user, {"poll": poll, "queued": queued})


@router.get("/sources/polls/{poll_id}", name="poll_status", response_class=HTMLResponse)
def poll_status(
    request: Request,
    poll_id: int,
    user: Principal = VIEWER,
    db: Database = DB,
    config: MonitorConfig = CONFIG,
) -> HTMLResponse:
    """The progress box of one poll (htmx asks every second). Once the poll has finished, an
    htmx caller gets the source's whole row instead (fresh health figures, the summary in it)."""
    try:
        poll = service.poll_view(db, poll_id)
    except NotFoundError:
        return HTMLResponse("", status_code=404)
    if poll.finished and _is_htmx(request):
        try:
            row = service.source_row(db, config, poll.source)
        except NotFoundError:  # the source left the config meanwhile: the box alone
            row = None
        if row is not None:
            headers = {"HX-Retarget": "closest tr", "HX-Reswap": "outerHTML"}
            return _source_row(request, user, row, finished_poll=poll, headers=headers)
    return _render(request, "_poll.html", user, {"poll": poll, "queued": None})


# --- query lab -------------------------------------------------------------------------------


@router.get("/lab", name="lab", response_class=HTMLResponse)
def lab_page(
    request: Request,
    q: str = "",
    days: int = 30,
    user: Principal = VIEWER,
    db: Database = DB,
    config: MonitorConfig = CONFIG,
) -> HTMLResponse:
    """Try a query against the stored articles; matches per day; save it."""
    days = min(365, max(1, days))
    result = None
    error = None
    chart = None
    if q.strip():
        try:
            result = service.query_lab(db, config, q, days=days)
            chart = bar_chart(
                result.per_day, width=720, height=160, axis=18, top=16, gap=2.0, noun="matches"
            )
        except InvalidInput as exc:
            error = str(exc)
    return _lab(request, user, db, q=q, days=days, result=result, chart=chart, error=error)


def _lab(
    request: Request,
    user: Principal,
    db: Database,
    *,
    q: str,
    days: int,
    result: service.LabResult | None,
    chart: Chart | None,
    error: str | None,
    save_name: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """The query lab page: a query's matches (or its error) and the saved queries."""
    return _render(
        request,
        "lab.html",
        user,
        {
            "title": "Query lab",
            "section": "lab",
            "q": q,
            "days": days,
            "result": result,
            "chart": chart,
            "error": error,
            "saved": service.list_saved_queries(db),
            "can_edit": user.can(Role.ANALYST),
            "save_name": save_name,
        },
        status_code=status_code,
    )


@router.post("/lab/save", name="lab_save")
def lab_save(
    request: Request,
    name: str = Form(""),
    q: str = Form(""),
    user: Principal = ANALYST,
    db: Database = DB,
    config: MonitorConfig = CONFIG,
) -> Response:
    try:
        service.save_query(db, name.strip(), q, by=user.name)
    except InvalidInput as exc:
        return _lab(
            request,
            user,
            db,
            q=q,
            days=30,
            result=None,
            chart=None,
            error=f"not saved: {exc}",
            save_name=name,
            status_code=400,
        )
    target = str(request.app.url_path_for("lab")) + "?" + urlencode({"q": q})
    return RedirectResponse(target, status_code=303)


@router.post("/lab/queries/{query_id}/delete", name="lab_delete")
def lab_delete(
    request: Request,
    query_id: int,
    user: Principal = ANALYST,
    db: Database = DB,
) -> Response:
    try:
        service.delete_saved_query(db, query_id)
    except NotFoundError:
        return _not_found(request, user, f"saved query {query_id} does not exist")
    return RedirectResponse(str(request.app.url_path_for("lab")), status_code=303)


# --- digests ---------------------------------------------------------------------------------

PREVIEW_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
    ),
    "X-Frame-Options": "SAMEORIGIN",
}


def _recipients(config: MonitorConfig) -> list[str]:
    return [r.address for r in config.email.active_recipients()]


@router.get("/digests", name="digests", response_class=HTMLResponse)
def digests_page(
    request: Request,
    recipient: str | None = None,
    user: Principal = VIEWER,
    db: Database = DB,
    config: MonitorConfig = CONFIG,
) -> HTMLResponse:
    """The next digest per recipient as it will be sent, the outbox log, a test message."""
    previews = service.digest_previews(db, config)
    chosen = next((p for p in previews if p.recipient == recipient), None)
    if chosen is None and previews:
        chosen = previews[0]
    return _digests(request, user, db, config, previews, chosen, test_result=None)


def _digests(
    request: Request,
    user: Principal,
    db: Database,
    config: MonitorConfig,
    previews: list[service.DigestPreview],
    chosen: service.DigestPreview | None,
    *,
    test_result: service.TestSendResult | None,
) -> HTMLResponse:
    """The digests page: ``chosen`` previewed, the outbox log, the test form (and its result)."""
    return _render(
        request,
        "digests.html",
        user,
        {
            "title": "Digests",
            "section": "digests",
            "previews": previews,
            "chosen": chosen,
            "outbox": service.outbox(db, limit=50),
            "recipients": _recipients(config),
            "can_admin": user.can(Role.ADMIN),
            "test_result": test_result,
        },
    )


@router.get("/digests/preview", name="page_digest_preview", response_class=HTMLResponse)
def digest_preview(
    request: Request,
    recipient: str,
    format: str = "html",
    user: Principal = VIEWER,
    db: Database = DB,
    config: MonitorConfig = CONFIG,
) -> Response:
    """The exact message body (shown in a sandboxed iframe; it carries its own inline styles)."""
    try:
        previews = service.digest_previews(db, config, recipient)
    except NotFoundError:
        previews = []
    preview = next((p for p in previews if p.recipient == recipient), None)
    if preview is None:
        return HTMLResponse("no such recipient", status_code=404)
    if format == "text":
        return Response(preview.text, media_type="text/plain; charset=utf-8")
    return HTMLResponse(preview.html, headers=PREVIEW_HEADERS)


@router.post("/digests/test", name="digest_test", response_class=HTMLResponse)
def digest_test(
    request: Request,
    recipient: str = Form(...),
    user: Principal = ADMIN,
    db: Database = DB,
    config: MonitorConfig = CONFIG,
) -> HTMLResponse:
    """Send a test message to one recipient through the configured channel."""
    result = service.send_test_message(config, recipient)
    if _is_htmx(request):
        return _render(request, "_test_result.html", user, {"test_result": result})
    previews = service.digest_previews(db, config)
    chosen = next((p for p in previews if p.recipient == recipient), None)
    return _digests(request, user, db, config, previews, chosen, test_result=result)


# --- tokens ----------------------------------------------------------------------------------


@router.get("/tokens", name="page_tokens", response_class=HTMLResponse)
def tokens_page(request: Request, user: Principal = ADMIN, db: Database = DB) -> HTMLResponse:
    """API keys and feed tokens: create (the secret is shown once), revoke."""
    return _tokens(request, user, db, created=None)


def _tokens(
    request: Request,
    user: Principal,
    db: Database,
    *,
    created: tuple[service.TokenView, str] | None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The tokens page; ``created``: a new token and its secret, shown this once."""
    return _render(
        request,
        "tokens.html",
        user,
        {
            "title": "Tokens",
            "section": "tokens",
            "tokens": service.list_tokens(db),
            "created": created,
        },
        headers=headers,
    )


@router.post("/tokens", name="page_token_create", response_class=HTMLResponse)
def token_create(
    request: Request,
    role: str = Form(...),
    label: str = Form(""),
    user: Principal = ADMIN,
    db: Database = DB,
) -> HTMLResponse:
    if role not in ("viewer", "analyst", "admin", "feed"):
        return HTMLResponse("role must be viewer, analyst, admin or feed", status_code=400)
    created = service.create_token(db, role, label.strip() or role)
    return _tokens(request, user, db, created=created, headers={"Cache-Control": "no-store"})


@router.post("/tokens/{token_id}/revoke", name="page_token_revoke")
def token_revoke(
    request: Request, token_id: int, user: Principal = ADMIN, db: Database = DB
) -> Response:
    service.revoke_token(db, token_id)
    return RedirectResponse(str(request.app.url_path_for("page_tokens")), status_code=303)

"""Who is asking: tokens, login sessions, roles and CSRF, as FastAPI dependencies.

Authentication is configured when ``$MONITOR_WEB_TOKEN`` is set (it grants admin) or any
unrevoked API key exists (``monitor web token create --role ...``). Without it the console is
open (it binds to loopback only). With it, API calls need ``Authorization: Bearer <token>``
(401 otherwise) and pages a login session (a redirect to ``/login`` otherwise).
"""

from __future__ import annotations

import hmac
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from threading import Lock
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from monitor.config import MonitorConfig
from monitor.db.engine import Database
from monitor.db.models import WebKeyKind, WebRole
from monitor.db.web import (
    api_keys_exist,
    create_session,
    end_session,
    find_key,
    find_session,
)
from monitor.errors import NotAuthenticated

Role = WebRole
SESSION_COOKIE = "monitor_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_RANK = {WebRole.VIEWER: 0, WebRole.ANALYST: 1, WebRole.ADMIN: 2}
MACHINE_PREFIXES = ("/api/", "/feeds/")


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""

    role: WebRole
    name: str
    via: str  # "open", "env", "key", "session"
    session: bool = False
    key_id: int | None = None
    csrf: str = ""

    def can(self, role: WebRole) -> bool:
        return _RANK[self.role] >= _RANK[role]


OPEN = Principal(WebRole.ADMIN, "local", "open")


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_config(request: Request) -> MonitorConfig:
    config: MonitorConfig = request.app.state.config
    return config


def is_machine_path(path: str) -> bool:
    """API and feed paths answer 401; pages redirect to the login form."""
    return path.startswith(MACHINE_PREFIXES) or path == "/api"


def _env_token(config: MonitorConfig) -> str | None:
    token = config.web.token
    return token.get_secret_value() if token is not None else None


def auth_configured_for(config: MonitorConfig, db: Database) -> bool:
    """Whether the console requires authentication (env token or an unrevoked API key)."""
    return bool(_env_token(config)) or api_keys_exist(db)


def auth_configured(request: Request) -> bool:
    """Whether this request must authenticate. A console served on a non-loopback address
    always requires it: revoking the last key there locks the console, it never opens it."""
    cached = getattr(request.state, "auth_configured", None)
    if cached is None:
        cached = bool(getattr(request.app.state, "always_authenticate", False)) or (
            auth_configured_for(get_config(request), get_db(request))
        )
        request.state.auth_configured = cached
    return bool(cached)


def principal_for_token(config: MonitorConfig, db: Database, token: str) -> Principal | None:
    """The principal of an API token (the env admin token or an API key), else None."""
    env = _env_token(config)
    if env and hmac.compare_digest(token.encode(), env.encode()):
        return Principal(WebRole.ADMIN, "admin (MONITOR_WEB_TOKEN)", "env")
    key = find_key(db, token, WebKeyKind.API)
    if key is not None and key.role is not None:
        return Principal(key.role, key.label or f"key {key.prefix}…", "key", key_id=key.id)
    return None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def current_user(request: Request) -> Principal | None:
    """The caller: the open principal without auth, else from Bearer or the session cookie."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    principal: Principal | None
    if not auth_configured(request):
        principal = OPEN
    else:
        principal = None
        config, db = get_config(request), get_db(request)
        token = _bearer(request)
        if token is not None:
            principal = principal_for_token(config, db, token)
        else:
            cookie = request.cookies.get(SESSION_COOKIE)
            session = find_session(db, cookie) if cookie else None
            if session is not None:
                principal = Principal(
                    session.role, session.name, "session", True, session.key_id, session.csrf_token
                )
    request.state.principal = principal
    return principal


async def _check_csrf(request: Request, user: Principal) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), user.csrf.encode()):
        raise HTTPException(403, "missing or wrong CSRF token")


def require(role: WebRole) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency: the caller, who must hold ``role``; cookie sessions also pass CSRF on
    state-changing requests."""

    async def _dependency(request: Request) -> Principal:
        user = await run_in_threadpool(current_user, request)
        if user is None:
            raise NotAuthenticated()
        if not user.can(role):
            raise HTTPException(403, f"this needs the {role.value} role")
        if user.session and request.method not in SAFE_METHODS:
            await _check_csrf(request, user)
        return user

    _dependency.__name__ = f"require_{role.value}"
    return _dependency


def csrf_token(request: Request) -> str:
    """The CSRF token to put in forms ("" when there is no login session)."""
    user = current_user(request)
    return user.csrf if user is not None and user.session else ""


def feed_allowed(request: Request, token: str | None) -> bool:
    """Feeds: open without auth; with it, a feed token (``?token=``) or an API credential."""
    if not auth_configured(request):
        return True
    if token and find_key(get_db(request), token, WebKeyKind.FEED) is not None:
        return True
    return current_user(request) is not None


# --- login ---------------------------------------------------------------------------------------


class LoginLimiter:
    """Failed logins per client address in a sliding minute (per app, not process-wide)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = Lock()

    def _recent(self, client: str) -> deque[float]:
        now = self.clock()
        failures = self._failures.setdefault(client, deque())
        while failures and now - failures[0] > 60:
            failures.popleft()
        return failures

    def blocked(self, client: str) -> bool:
        with self._lock:
            return len(self._recent(client)) >= self.per_minute

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(self.clock())
            if len(self._failures) > 10_000:  # bounded: forget the quietest clients
                for key in [k for k, v in self._failures.items() if not v][:5000]:
                    del self._failures[key]


def _safe_next(target: str | None) -> str:
    """Only a local path: never an absolute or scheme-relative URL (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(c in target for c in "\r\n\t"):
        return "/"
    return target


def login_redirect(request: Request) -> RedirectResponse:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(path, safe='')}", status_code=303)


router = APIRouter(include_in_schema=False)

_FALLBACK_LOGIN = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Sign in · News monitor</title></head><body><main><h1>Sign in</h1>{error}
<form method="post" action="/login"><label>Token <input type="password" name="token"
autocomplete="current-password" required></label><input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button></form></main></body></html>"""


def _login_page(request: Request, next_path: str, error: str | None, status: int) -> Response:
    """The pages' login form (``pages.render_login``), else a plain built-in one."""
    render_login = getattr(request.app.state.pages, "render_login", None)
    if callable(render_login):
        response: Response = render_login(request, next_path, error, status)
        return response
    message = f'<p role="alert">{escape(error)}</p>' if error else ""
    return HTMLResponse(
        _FALLBACK_LOGIN.format(error=message, next=escape(next_path, quote=True)),
        status_code=status,
    )


@router.get("/login", name="login")
def login_form(request: Request, next: str = "/") -> Response:
    if not auth_configured(request):
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, _safe_next(next), None, 200)


@router.post("/login", name="login_submit")
def login_submit(request: Request, token: str = Form(""), next: str = Form("/")) -> Response:
    config, db = get_config(request), get_db(request)
    target = _safe_next(next)
    if not auth_configured(request):
        return RedirectResponse(target, status_code=303)
    limiter: LoginLimiter = request.app.state.login_limiter
    client = request.client.host if request.client else "unknown"
    if limiter.blocked(client):
        return _login_page(request, target, "Too many failed sign-ins: wait a minute.", 429)
    principal = principal_for_token(config, db, token.strip()) if token.strip() else None
    if principal is None:
        limiter.failed(client)
        return _login_page(request, target, "That token is not valid.", 401)
    lifetime = timedelta(hours=config.web.session_hours)
    cookie, _session = create_session(
        db, principal.role, principal.name, principal.key_id, lifetime
    )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout", name="logout")
async def logout(request: Request) -> Response:
    user = await run_in_threadpool(current_user, request)
    if user is not None and user.session:
        await _check_csrf(request, user)
        cookie = request.cookies.get(SESSION_COOKIE, "")
        await run_in_threadpool(end_session, get_db(request), cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

"""The console's ASGI app: ``create_app(config, database)`` wires the routers, the templates,
the static files, the guards and the error handlers; ``monitor web`` serves it with uvicorn."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from threading import Lock
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor.config import MonitorConfig
from monitor.db.engine import Database
from monitor.errors import InvalidInput, MonitorError, NotAuthenticated, NotFoundError
from monitor.web.auth import LoginLimiter, is_machine_path, login_redirect
from monitor.web.security import GuardMiddleware, allowed_hosts, is_loopback

log = logging.getLogger("monitor.web")

PACKAGE = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE / "templates"
STATIC_DIR = PACKAGE / "static"


class LocalCrawler:
    """The console's own crawl worker, for polls requested while no daemon runs (the rule of
    ``monitor crawl``): the daemon's worker process, started on demand, stopped with the app."""

    def __init__(self, config: MonitorConfig) -> None:
        self.config = config
        self._supervisor: Any = None
        self._lock = Lock()

    def ensure_running(self) -> None:
        from monitor.daemon.workers import WorkerSupervisor

        if self.config.path is None:
            raise MonitorError("the console runs polls itself only with a config file (--config)")
        with self._lock:
            if self._supervisor is None:
                self._supervisor = WorkerSupervisor(self.config.path)
            self._supervisor.check()

    @property
    def pid(self) -> int | None:
        return self._supervisor.pid if self._supervisor is not None else None

    def stop(self) -> None:
        with self._lock:
            if self._supervisor is not None:
                self._supervisor.stop()


def templates_of(request: Request) -> Jinja2Templates:
    """The console's Jinja2 templates (autoescape on for every template)."""
    templates: Jinja2Templates = request.app.state.templates
    return templates


def _templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.ChainableUndefined,
    )
    environment.globals["static"] = lambda path: f"/static/{str(path).lstrip('/')}"
    return Jinja2Templates(env=environment)


def _pages_module() -> Any:
    try:
        return importlib.import_module("monitor.web.pages")
    except ModuleNotFoundError as exc:
        if exc.name != "monitor.web.pages":
            raise
        return None


def _error_response(request: Request, status: int, detail: str, **extra: Any) -> Response:
    if is_machine_path(request.url.path) or "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"detail": detail, **extra}, status_code=status)
    render_error = getattr(request.app.state.pages, "render_error", None)
    if callable(render_error):
        response: Response = render_error(request, status, detail)
        return response
    from html import escape

    return HTMLResponse(
        f"<!DOCTYPE html><title>{status}</title><h1>{status}</h1><p>{escape(detail)}</p>",
        status_code=status,
    )


def _without_prefix_items(node: Any) -> Any:
    """Pairs (``prefixItems``) as arrays of ``anyOf`` items: tools that read the document
    (schemathesis among them) do not all understand JSON Schema 2020-12 tuples."""
    if isinstance(node, dict):
        node = {key: _without_prefix_items(value) for key, value in node.items()}
        prefix = node.pop("prefixItems", None)
        if isinstance(prefix, list):
            node["items"] = {"anyOf": prefix}
        return node
    if isinstance(node, list):
        return [_without_prefix_items(value) for value in node]
    return node


def create_app(
    config: MonitorConfig,
    database: Database,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    allowed_hosts_extra: Sequence[str] = (),
    crawler: LocalCrawler | None = None,
) -> FastAPI:
    """The console app over this config and database (see WEB_CONTRACT.md)."""
    from monitor.web import api, feeds
    from monitor.web.auth import router as auth_router

    local_crawler = crawler or LocalCrawler(config)

    @asynccontextmanager
    async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        local_crawler.stop()

    app = FastAPI(
        title="News monitor console",
        version="1",
        description="The REST API of the news monitor's web console (same services as the pages).",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=_lifespan,
    )
    app.state.config = config
    app.state.db = database
    app.state.host = host
    app.state.port = port
    app.state.always_authenticate = not is_loopback(host)
    app.state.crawler = local_crawler
    app.state.templates = _templates()
    app.state.login_limiter = LoginLimiter(config.web.login_attempts_per_minute)
    app.add_middleware(GuardMiddleware, hosts=allowed_hosts(host, allowed_hosts_extra))

    @app.exception_handler(NotAuthenticated)
    async def _not_authenticated(request: Request, _exc: NotAuthenticated) -> Response:
        if is_machine_path(request.url.path):
            return JSONResponse(
                {"detail": "authentication required: send Authorization: Bearer <token>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return login_redirect(request)

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> Response:
        return _error_response(request, 404, str(exc))

    @app.exception_handler(InvalidInput)
    async def _invalid(request: Request, exc: InvalidInput) -> Response:
        extra = {"position": exc.position} if exc.position is not None else {}
        return _error_response(request, 400, str(exc), **extra)

    @app.exception_handler(MonitorError)
    async def _monitor_error(request: Request, exc: MonitorError) -> Response:
        return _error_response(request, 503, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = _error_response(request, exc.status_code, str(exc.detail))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in exc.errors()
        ]
        if is_machine_path(request.url.path):
            return JSONResponse({"detail": errors}, status_code=422)
        first = errors[0] if errors else {"loc": [], "msg": "invalid input"}
        where = ".".join(str(p) for p in first["loc"][1:]) or "input"
        return _error_response(request, 422, f"{where}: {first['msg']}")

    plain_openapi = app.openapi

    def _openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _without_prefix_items(plain_openapi())
        return app.openapi_schema

    app.openapi = _openapi  # type: ignore[method-assign]

    @app.get("/healthz", include_in_schema=False)
    def _healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(auth_router)
    app.include_router(api.router)
    app.include_router(feeds.router)
    pages = app.state.pages = _pages_module()
    if pages is not None:
        configure = getattr(pages, "configure_templates", None)
        if callable(configure):
            configure(app.state.templates.env)
        app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR), check_dir=False), name="static")
    return app

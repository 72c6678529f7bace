"""Request guards and response headers: the Host / Origin check and the security headers.

A request whose ``Host`` is not an address this console serves gets 403 (DNS rebinding against
the open loopback console); a state-changing request whose ``Origin`` is present and foreign
(or that the browser marks cross-site) gets 403 too (cross-site POSTs). Every response carries
a strict Content-Security-Policy (nothing remote, no inline script or style), frame denial,
nosniff and a same-origin referrer policy, unless its route set its own (the framed digest
preview). Requests are logged by path only: a feed token in the query string never reaches a
log line.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("monitor.web")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'; frame-src 'self'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WILDCARDS = frozenset({"0.0.0.0", "::", ""})


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost`` (the addresses the open console may bind to)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(value: str) -> str | None:
    """The host of a ``Host`` header or an origin's netloc, lower-case, without the port."""
    try:
        parsed = urlsplit("//" + value.strip())
        return parsed.hostname
    except ValueError:
        return None


def allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str] | None:
    """The ``Host`` names this console answers to; None (any) when bound to a wildcard address
    without an explicit list (then authentication is mandatory)."""
    names = {h.strip().strip("[]").lower() for h in extra if h.strip()}
    bind = bind_host.strip().strip("[]").lower()
    if bind in WILDCARDS:
        return frozenset(names) if names else None
    names.add(bind)
    if is_loopback(bind):
        names |= {"localhost", "127.0.0.1", "::1"}
    return frozenset(names)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class GuardMiddleware:
    """Host / Origin checks before the app, security headers on every response."""

    def __init__(self, app: ASGIApp, *, hosts: frozenset[str] | None) -> None:
        self.app = app
        self.hosts = hosts

    def _refusal(self, scope: Scope) -> str | None:
        host = _header(scope, b"host") or ""
        name = host_name(host)
        if self.hosts is not None and (name is None or name not in self.hosts):
            return "this console does not answer to that Host"
        if scope.get("method", "GET") in SAFE_METHODS:
            return None
        origin = _header(scope, b"origin")
        if origin is not None:
            parts = urlsplit(origin) if origin != "null" else None
            scheme = str(scope.get("scheme", "http"))
            if (
                parts is None
                or parts.netloc.lower() != host.lower()
                or parts.scheme.lower() != scheme
            ):
                return "cross-origin request refused"
        if (_header(scope, b"sec-fetch-site") or "").lower() == "cross-site":
            return "cross-site request refused"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status_seen: list[int] = []

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen.append(int(message["status"]))
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                # A route may set its own policy (the digest preview: the message's inline
                # styles, framed by the console itself); every other response gets ours.
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                if scope.get("path", "").startswith(("/api/", "/login", "/feeds/")):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            body = f'{{"detail": "{refusal}"}}'.encode()
            await _send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await _send({"type": "http.response.body", "body": body})
        else:
            await self.app(scope, receive, _send)
        # The path only: query strings may carry a feed token.
        log.info(
            "%s %s %s",
            scope.get("method"),
            scope.get("path"),
            status_seen[0] if status_seen else "-",
        )

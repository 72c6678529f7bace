"""Fixtures of the fault-injection suite: small loopback web servers with scripted answers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from tests.sites.loopback import LoopbackServer

Reply = tuple[int, dict[str, str], bytes]


class ScriptedServer(LoopbackServer):
    """An HTTP server on one loopback address answering each path from ``routes``."""

    methods = ("GET", "POST")

    def __init__(self, host: str) -> None:
        self.routes: dict[str, Reply] = {}
        self.hits: list[str] = []
        super().__init__(host)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        self.hits.append(request.path)
        status, headers, body = self.routes.get(request.path, (404, {}, b"not here"))
        self.send(request, status, None, body, headers)


@pytest.fixture
def scripted_server() -> Iterator[Callable[[str], ScriptedServer]]:
    """``make(host)`` starts a scripted server on ``host`` (port 0); all stop at teardown."""
    running: list[ScriptedServer] = []

    def make(host: str) -> ScriptedServer:
        server = ScriptedServer(host)
        running.append(server)
        return server

    yield make
    for server in running:
        server.stop()


# The alert suite's real servers (aiosmtpd SMTP, a JSON webhook) and its migrated database.
from tests.alerts.conftest import (  # noqa: E402, F401
    alerts_db,
    hanging_server,
    smtp_server,
    webhook,
)

"""Fixtures of the fault-injection suite: small loopback web servers with scripted answers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class ScriptedServer:
    """An HTTP server on one loopback address answering each path from ``routes``."""

    host: str
    routes: dict[str, Reply] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"


def _serve(server: ScriptedServer) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.hits.append(self.path)
            status, headers, body = server.routes.get(self.path, (404, {}, b"not here"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer((server.host, 0), Handler)
    server.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture
def scripted_server() -> Iterator[Callable[[str], ScriptedServer]]:
    """``make(host)`` starts a scripted server on ``host`` (port 0); all stop at teardown."""
    running: list[ThreadingHTTPServer] = []

    def make(host: str) -> ScriptedServer:
        server = ScriptedServer(host)
        running.append(_serve(server))
        return server

    yield make
    for httpd in running:
        httpd.shutdown()
        httpd.server_close()


# The alert suite's real servers (aiosmtpd SMTP, a JSON webhook) and its migrated database.
from tests.alerts.conftest import (  # noqa: E402, F401
    alerts_db,
    hanging_server,
    smtp_server,
    webhook,
)

"""A news site of the tests' own on one loopback address: a threaded HTTP server with
``/robots.txt`` (everything allowed), an RSS feed at ``/feed.xml`` and article pages under
``/news/``, counting every path it serves. The fault suite's and the soak's sites build on it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Fault = Callable[[BaseHTTPRequestHandler], bool]  # True: the fault answered the request


class LoopbackNewsSite:
    """The server and its routing; a subclass says what the feed lists and what a page says."""

    def __init__(self, host: str, *, feed_title: str, page_delay: float = 0.0) -> None:
        self.host = host
        self.feed_title = feed_title
        self.page_delay = page_delay  # seconds before each article page is answered
        self.faults: dict[str, Fault] = {}  # path -> fault, asked before the site's own pages
        self.served: Counter[str] = Counter()
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                site._handle(self)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://{host}:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def feed_items(self) -> Iterable[tuple[str, str, datetime]]:
        """The feed's (title, URL, published) items, in feed order."""
        raise NotImplementedError

    def article_page(self, path: str) -> str | None:
        """The HTML of the article at ``path`` (None: no article there, a 404)."""
        raise NotImplementedError

    def page_hits(self) -> int:
        """Article pages requested so far (a crawl is fetching when this grows)."""
        with self.lock:
            return sum(n for path, n in self.served.items() if path.startswith("/news/"))

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def feed(self) -> str:
        items = "".join(
            f"<item><title>{title}</title><link>{url}</link><guid>{url}</guid>"
            f"<pubDate>{format_datetime(published)}</pubDate></item>"
            for title, url, published in self.feed_items()
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{self.feed_title}</title><link>{self.base}/</link><description>d</description>"
            f"{items}</channel></rss>"
        )

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?")[0]
        with self.lock:
            self.served[path] += 1
        fault = self.faults.get(path)
        if fault is not None and fault(request):
            return
        if path == "/robots.txt":
            self.send(request, 200, "text/plain", "User-agent: *\nAllow: /\n")
            return
        if path == "/feed.xml":
            self.send(request, 200, "application/rss+xml", self.feed())
            return
        page = self.article_page(path) if path.startswith("/news/") else None
        if page is None:
            self.send(request, 404, "text/plain", "not here")
            return
        if self.page_delay:
            time.sleep(self.page_delay)
        self.send(request, 200, "text/html; charset=utf-8", page)

    @staticmethod
    def send(
        request: BaseHTTPRequestHandler,
        status: int,
        content_type: str,
        body: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer ``request`` (a crawler killed mid-response is no error)."""
        data = body.encode("utf-8")
        with contextlib.suppress(OSError):
            request.send_response(status)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(data)

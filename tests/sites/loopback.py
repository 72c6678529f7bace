"""The tests' own web servers on loopback addresses: :class:`LoopbackServer`, a threaded HTTP
server on an ephemeral port that hands every request to one method, and on it
:class:`LoopbackNewsSite`, a news site (``/robots.txt`` allowing everything, an RSS feed at
``/feed.xml``, article pages under ``/news/``) counting every path it serves. The fault
suite's scripted servers and news site and the soak's outlets build on them.
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


class LoopbackServer:
    """A threaded HTTP server on ``host`` (an ephemeral port) in a daemon thread; every request
    of one of ``methods`` goes to :meth:`handle`."""

    methods: tuple[str, ...] = ("GET",)

    def __init__(self, host: str) -> None:
        self.host = host
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

        def answer(request: BaseHTTPRequestHandler) -> None:
            owner.handle(request)

        for method in self.methods:
            setattr(Handler, f"do_{method}", answer)
        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://{host}:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        """Answer one request."""
        raise NotImplementedError

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def send(
        request: BaseHTTPRequestHandler,
        status: int,
        content_type: str | None,
        body: str | bytes,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer ``request`` (a crawler killed mid-response is no error)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with contextlib.suppress(OSError):
            request.send_response(status)
            if content_type is not None:
                request.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                request.send_header(name, value)
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)


class LoopbackNewsSite(LoopbackServer):
    """The news site's routing; a subclass says what the feed lists and what a page says."""

    def __init__(self, host: str, *, feed_title: str, page_delay: float = 0.0) -> None:
        self.feed_title = feed_title
        self.page_delay = page_delay  # seconds before each article page is answered
        self.faults: dict[str, Fault] = {}  # path -> fault, asked before the site's own pages
        self.served: Counter[str] = Counter()
        self.lock = threading.Lock()
        super().__init__(host)

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

    def handle(self, request: BaseHTTPRequestHandler) -> None:
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

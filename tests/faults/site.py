"""A small news site for the fault suite: an RSS feed of distinct matching articles on one
loopback address, with per-path faults (a long ``rel=canonical``, ``Retry-After``, a delay)."""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.daemon.killkit import article_text

Fault = Callable[[BaseHTTPRequestHandler], bool]  # True: the fault answered the request


class FaultSite:
    """``/feed.xml`` listing ``count`` articles ``/news/article-N.html`` (newest first)."""

    def __init__(
        self, host: str, count: int, *, offset: int = 0, delay: float = 0.0, padding: int = 0
    ) -> None:
        self.host = host
        self.padding = padding  # extra paragraphs per article (big pages fill a disk)
        self.count = count
        self.offset = offset
        self.delay = delay  # seconds before each article page is answered
        self.canonical: dict[int, str] = {}  # article number -> declared rel=canonical
        self.faults: dict[str, Fault] = {}  # path -> fault
        self.served: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.published = datetime.now(UTC) - timedelta(hours=1)
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

    def url(self, i: int) -> str:
        return f"{self.base}/news/article-{i}.html"

    def title(self, i: int) -> str:
        return article_text(i + self.offset)[0]

    def article_hits(self) -> int:
        with self.lock:
            return sum(n for path, n in self.served.items() if path.startswith("/news/"))

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?")[0]
        with self.lock:
            self.served[path] += 1
        fault = self.faults.get(path)
        if fault is not None and fault(request):
            return
        if path == "/robots.txt":
            self.send(request, 200, "text/plain", "User-agent: *\nAllow: /\n")
        elif path == "/feed.xml":
            self.send(request, 200, "application/rss+xml", self.feed())
        elif path.startswith("/news/article-") and path.endswith(".html"):
            i = int(path.removeprefix("/news/article-").removesuffix(".html"))
            if self.delay:
                time.sleep(self.delay)
            self.send(request, 200, "text/html; charset=utf-8", self.article(i))
        else:
            self.send(request, 404, "text/plain", "not here")

    @staticmethod
    def send(
        request: BaseHTTPRequestHandler,
        status: int,
        content_type: str,
        body: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode("utf-8")
        with contextlib.suppress(OSError):  # the crawler was killed mid-response
            request.send_response(status)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(data)

    def feed(self) -> str:
        items = "".join(
            f"<item><title>{self.title(i)}</title><link>{self.url(i)}</link>"
            f"<guid>{self.url(i)}</guid>"
            f"<pubDate>{format_datetime(self.published - timedelta(minutes=i))}</pubDate></item>"
            for i in range(self.count)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Fault news</title><link>{self.base}/</link><description>d</description>"
            f"{items}</channel></rss>"
        )

    def article(self, i: int) -> str:
        title, paragraphs = article_text(i + self.offset)
        rng = random.Random(-1 - i - self.offset)
        words = paragraphs[-1].split()
        paragraphs = paragraphs + [
            " ".join(rng.choice(words) for _ in range(60)) + f" ({i}.{n})"
            for n in range(self.padding)
        ]
        when = (self.published - timedelta(minutes=i)).isoformat()
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        canonical = self.canonical.get(i, self.url(i)).replace("&", "&amp;")
        return (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<link rel="canonical" href="{canonical}">'
            f'<meta property="article:published_time" content="{when}"></head><body>'
            f'<article><h1>{title}</h1><time datetime="{when}">{when}</time>{body}</article>'
            "</body></html>"
        )


def source(name: str, site: FaultSite, **extra: Any) -> dict[str, Any]:
    """A config ``[[sources]]`` table for ``site``'s feed (the SSRF guard stays on: mark the
    site's address public with ``[crawl] public_networks``)."""
    return {"name": name, "feeds": [f"{site.base}/feed.xml"], **extra}

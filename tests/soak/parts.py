"""The soak's outside world: a local news web that articles are published to while the daemon
runs, and a slow SMTP server (aiosmtpd) that counts every message per article and Message-ID."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.alerts.conftest import free_port
from tests.daemon.killkit import article_text

ARTICLE_PATH = re.compile(r"/news/([rx]-\d+)\.html")
"""An article's slug in a URL: ``r-N`` relevant, ``x-N`` irrelevant (unique across the web)."""

FEED_LENGTH = 40  # a feed lists the newest articles only, as real feeds do

_IRRELEVANT_WORDS = (
    "council", "bicycle", "lanes", "library", "parking", "school", "budget", "harvest", "weather",
    "festival", "museum", "bridge", "repairs", "football", "league", "garden", "concert", "bakery",
    "river", "ferry", "timetable", "election", "mayor", "pension", "theatre", "orchestra",
)  # fmt: skip


def slug_of(url: str) -> str | None:
    """The article slug in ``url`` (None for any other URL)."""
    found = ARTICLE_PATH.search(url)
    return found.group(1) if found else None


@dataclass(frozen=True)
class Published:
    """One article on the web."""

    slug: str
    relevant: bool
    title: str
    paragraphs: tuple[str, ...]
    published_at: datetime


def irrelevant_text(n: int) -> tuple[str, list[str]]:
    """A local-news article that the Russia–Cuba query cannot match."""
    import random

    rng = random.Random(-n)
    words = [rng.choice(_IRRELEVANT_WORDS) for _ in range(3)]
    title = f"Town notes {n}: {' '.join(words)} plan approved"
    paragraphs = [
        "The town council met on Tuesday and "
        + " ".join(rng.choices(_IRRELEVANT_WORDS, k=40))
        + f" (note {n})."
        for _ in range(6)
    ]
    return title, paragraphs


class NewsHost:
    """One outlet on one loopback address: ``/feed.xml`` (RSS) and slow article pages."""

    def __init__(self, host: str, page_delay: float) -> None:
        self.page_delay = page_delay
        self.articles: list[Published] = []
        self.served: Counter[str] = Counter()
        self.lock = threading.Lock()
        outlet = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outlet._handle(self)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, slug: str) -> str:
        return f"{self.base}/news/{slug}.html"

    def publish(self, article: Published) -> None:
        with self.lock:
            self.articles.append(article)

    def page_hits(self) -> int:
        """Article pages requested so far (a crawl is fetching when this grows)."""
        with self.lock:
            return sum(n for path, n in self.served.items() if path.startswith("/news/"))

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?")[0]
        with self.lock:
            self.served[path] += 1
            by_slug = {a.slug: a for a in self.articles}
        slug = slug_of(path)
        if path == "/robots.txt":
            self._send(request, 200, "text/plain", "User-agent: *\nAllow: /\n")
        elif path == "/feed.xml":
            self._send(request, 200, "application/rss+xml", self._feed())
        elif slug is not None and slug in by_slug:
            time.sleep(self.page_delay)  # slow pages: kills land in the middle of crawls
            self._send(request, 200, "text/html; charset=utf-8", self._page(by_slug[slug]))
        else:
            self._send(request, 404, "text/plain", "not here")

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, ctype: str, body: str) -> None:
        data = body.encode("utf-8")
        with contextlib.suppress(OSError):  # the crawler was killed mid-response
            request.send_response(status)
            request.send_header("Content-Type", ctype)
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)

    def _feed(self) -> str:
        with self.lock:
            newest = list(reversed(self.articles))[:FEED_LENGTH]
        items = "".join(
            f"<item><title>{a.title}</title><link>{self.url(a.slug)}</link>"
            f"<guid>{self.url(a.slug)}</guid>"
            f"<pubDate>{format_datetime(a.published_at)}</pubDate></item>"
            for a in newest
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Soak news</title><link>{self.base}/</link><description>d</description>"
            f"{items}</channel></rss>"
        )

    def _page(self, article: Published) -> str:
        when = article.published_at.isoformat()
        body = "".join(f"<p>{p}</p>" for p in article.paragraphs)
        return (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{article.title}</title>"
            f'<link rel="canonical" href="{self.url(article.slug)}">'
            f'<meta property="article:published_time" content="{when}"></head><body>'
            f"<nav><a href='/'>Home</a></nav><article><h1>{article.title}</h1>"
            f'<time datetime="{when}">{when}</time>{body}</article>'
            "<footer>Soak news</footer></body></html>"
        )


class NewsWeb:
    """Several outlets; :meth:`publish` adds the next relevant or irrelevant article to one."""

    def __init__(self, hosts: list[str], page_delay: float = 0.3) -> None:
        self.outlets = [NewsHost(host, page_delay) for host in hosts]
        self.published: list[Published] = []
        self._serial = 0

    def publish(self, outlet: int, *, relevant: bool) -> Published:
        self._serial += 1
        n = self._serial
        # article_text(i) is a distinct Russia–Cuba article per i (far from the kill tests' i)
        title, paragraphs = article_text(5000 + n) if relevant else irrelevant_text(n)
        article = Published(
            slug=f"{'r' if relevant else 'x'}-{n:04d}",
            relevant=relevant,
            title=title,
            paragraphs=tuple(paragraphs),
            published_at=datetime.now(UTC).replace(microsecond=0),
        )
        self.outlets[outlet].publish(article)
        self.published.append(article)
        return article

    def page_hits(self) -> int:
        return sum(outlet.page_hits() for outlet in self.outlets)

    def stop(self) -> None:
        for outlet in self.outlets:
            outlet.stop()


@dataclass(frozen=True)
class Delivered:
    """One message the SMTP server accepted (recorded before its slow 250)."""

    recipient: str
    message_id: str
    slugs: frozenset[str]
    at: float  # time.monotonic() when the DATA arrived


def _plain_text(data: bytes) -> str:
    parsed = message_from_bytes(data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body(preferencelist=("plain",))
    return str(body.get_content()) if body is not None else ""


class SlowMailbox:
    """An aiosmtpd server that keeps every message and holds each 250 for ``data_delay``
    seconds, so a kill of the sending daemon can land between receipt and reply."""

    def __init__(self, data_delay: float) -> None:
        from aiosmtpd.controller import Controller

        self.data_delay = data_delay
        self.delivered: list[Delivered] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = bytes(envelope.content)
        parsed = message_from_bytes(data, policy=policy.default)
        slugs = frozenset(filter(None, map(slug_of, re.findall(r"\S+", _plain_text(data)))))
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self.delivered.append(
                    Delivered(recipient, str(parsed["Message-ID"]), slugs, time.monotonic())
                )
            self._in_flight += 1
        try:
            await asyncio.sleep(self.data_delay)
        finally:
            with self._lock:
                self._in_flight -= 1
        return "250 2.0.0 OK queued"

    def in_flight(self) -> bool:
        """A message has arrived and its 250 is not sent yet."""
        with self._lock:
            return self._in_flight > 0

    def snapshot(self) -> list[Delivered]:
        with self._lock:
            return list(self.delivered)

    def stop(self) -> None:
        self.controller.stop()

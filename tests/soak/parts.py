"""The soak's outside world: a local news web that articles are published to while the daemon
runs, and a slow SMTP server (aiosmtpd) that counts every message per article and Message-ID."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from tests.alerts.conftest import free_port
from tests.daemon.killkit import article_text
from tests.sites.loopback import LoopbackNewsSite

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


class NewsHost(LoopbackNewsSite):
    """One outlet on one loopback address: ``/feed.xml`` (RSS) and slow article pages (slow:
    kills land in the middle of crawls)."""

    def __init__(self, host: str, page_delay: float) -> None:
        self.articles: list[Published] = []
        super().__init__(host, feed_title="Soak news", page_delay=page_delay)

    def url(self, slug: str) -> str:
        return f"{self.base}/news/{slug}.html"

    def publish(self, article: Published) -> None:
        with self.lock:
            self.articles.append(article)

    def feed_items(self) -> list[tuple[str, str, datetime]]:
        with self.lock:
            newest = list(reversed(self.articles))[:FEED_LENGTH]
        return [(a.title, self.url(a.slug), a.published_at) for a in newest]

    def article_page(self, path: str) -> str | None:
        slug = slug_of(path)
        with self.lock:
            article = next((a for a in self.articles if a.slug == slug), None)
        return None if article is None else self._page(article)

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

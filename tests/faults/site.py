"""A small news site for the fault suite: an RSS feed of distinct matching articles on one
loopback address, with per-path faults (a long ``rel=canonical``, ``Retry-After``, a delay)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.daemon.killkit import article_text
from tests.sites.loopback import LoopbackNewsSite


class FaultSite(LoopbackNewsSite):
    """``/feed.xml`` listing ``count`` articles ``/news/article-N.html`` (newest first)."""

    def __init__(
        self, host: str, count: int, *, offset: int = 0, delay: float = 0.0, padding: int = 0
    ) -> None:
        self.padding = padding  # extra paragraphs per article (big pages fill a disk)
        self.count = count
        self.offset = offset
        self.canonical: dict[int, str] = {}  # article number -> declared rel=canonical
        self.published = datetime.now(UTC) - timedelta(hours=1)
        super().__init__(host, feed_title="Fault news", page_delay=delay)

    def url(self, i: int) -> str:
        return f"{self.base}/news/article-{i}.html"

    def title(self, i: int) -> str:
        return article_text(i + self.offset)[0]

    def feed_items(self) -> list[tuple[str, str, datetime]]:
        return [
            (self.title(i), self.url(i), self.published - timedelta(minutes=i))
            for i in range(self.count)
        ]

    def article_page(self, path: str) -> str | None:
        if not (path.startswith("/news/article-") and path.endswith(".html")):
            return None
        return self.article(int(path.removeprefix("/news/article-").removesuffix(".html")))

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

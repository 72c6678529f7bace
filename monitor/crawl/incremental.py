"""Incremental crawling as Scrapy middlewares: conditional GETs, the seen-URL check, revalidation.

* :class:`ConditionalGetMiddleware` (downloader) sends ``If-None-Match`` / ``If-Modified-Since``:
  for feeds and sitemaps from their stored validators, for a scheduled revalidation from the
  page's own (the run recorder stores the crawl's new feed validators with the run row).
* :class:`SeenUrlMiddleware` (spider) drops article requests for URLs already fetched or stored,
  one batched database look-up per callback, unless the listing says the page changed after our
  last fetch of it (then it is fetched again, counted ``refetch_updated``).
* :class:`RevalidationMiddleware` (spider) adds, after the start requests, conditional requests
  for the source's matched articles whose next step of ``crawl.revalidate_after_hours`` is due.

All database work goes through the runtime's database thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from monitor.crawl.context import CrawlComponent, CrawlContext, count, crawl_context
from monitor.crawl.items import FetchKind
from monitor.db.engine import Database
from monitor.db.models import HttpCacheEntry, utcnow

DOCUMENT_KINDS = frozenset({"feed", "sitemap", "gdelt"})
_DONE = "monitor_conditional"


def _validators(db: Database, url: str) -> HttpCacheEntry | None:
    from monitor.db.repository import get_http_validators

    return db.read(lambda session: get_http_validators(session, url))


def _canonical(url: str) -> str | None:
    from monitor.dedup import canonicalize_url

    try:
        return str(canonicalize_url(url))
    except ValueError:
        return None


class ConditionalGetMiddleware(CrawlComponent):
    """Conditional requests from stored validators."""

    async def process_request(self, request: Request) -> None:
        meta = request.meta
        if meta.get(_DONE):
            return None  # a retry or a redirect hop of a request already handled
        meta[_DONE] = True
        etag = last_modified = None
        if meta.get("kind") in DOCUMENT_KINDS:
            runtime = self.context.runtime
            cached = await runtime.db_call(_validators, runtime.db, request.url)
            if cached is not None:
                etag, last_modified = cached.etag, cached.last_modified
                meta["cache_max"] = cached.max_entry_count
        elif meta.get("validators"):
            etag, last_modified = meta["validators"]
            count(self._stats, "conditional_article")
        if etag:
            request.headers["If-None-Match"] = etag
        if last_modified:
            request.headers["If-Modified-Since"] = last_modified
        return None

    @property
    def _stats(self) -> Any:
        return self.crawler.stats


class SeenUrlMiddleware(CrawlComponent):
    """Drop article requests for URLs already fetched or stored (batched look-ups)."""

    BATCH = 500

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        batch: list[Request] = []
        async for item in result:
            if isinstance(item, Request) and item.meta.get("kind") == "article":
                batch.append(item)
                if len(batch) >= self.BATCH:
                    for request in await self._fresh(batch):
                        yield request
                    batch = []
            else:
                yield item
        if batch:
            for request in await self._fresh(batch):
                yield request

    async def _fresh(self, batch: list[Request]) -> list[Request]:
        from monitor.db.crawlstate import needs_refetch, url_states

        stats = self.crawler.stats
        assert stats is not None
        keys = {
            id(request): [
                u for u in (request.url, _canonical(request.url), request.meta.get("link")) if u
            ]
            for request in batch
        }
        runtime = self.context.runtime
        wanted = sorted({url for urls in keys.values() for url in urls})
        states = await runtime.db_call(_states, runtime.db, wanted, url_states)
        fresh: list[Request] = []
        for request in batch:
            if request.url in self.context.requested:
                continue
            known = [states[url] for url in keys[id(request)] if url in states]
            if known:
                changed = request.meta.get("listed_changed_at")
                if not any(needs_refetch(state, changed) for state in known):
                    count(stats, "already_seen")
                    continue
                request.meta["fetch"] = FetchKind.REFETCH
                count(stats, "refetch_updated")
            if not self.context.take_budget(stats):
                continue
            self.context.requested.add(request.url)
            fresh.append(request)
        return fresh


def _states(db: Database, urls: list[str], lookup: Any) -> Any:
    return db.read(lambda session: lookup(session, urls))


class RevalidationMiddleware:
    """After the start requests: conditional re-fetches of the source's due matched articles."""

    LIMIT = 200

    def __init__(self, crawler: Crawler, steps: list[timedelta]) -> None:
        self.crawler = crawler
        self.context: CrawlContext = crawl_context(crawler)
        self.steps = steps

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RevalidationMiddleware:
        hours = crawl_context(crawler).config.crawl.revalidate_after_hours
        if not hours:
            raise NotConfigured
        return cls(crawler, sorted(timedelta(hours=h) for h in hours))

    def now(self) -> datetime:
        """The crawl's clock (a test may replace it)."""
        return utcnow()

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item in start:
            yield item
        from monitor.db.crawlstate import due_revalidations

        runtime = self.context.runtime
        now = self.now()

        def _due(db: Database) -> Any:
            return db.read(
                lambda session: due_revalidations(
                    session, self.context.source.name, now=now, steps=self.steps, limit=self.LIMIT
                )
            )

        spider = self.crawler.spider
        make = getattr(spider, "revalidation_request", None)
        if make is None:
            return
        for due in await runtime.db_call(_due, runtime.db):
            if due.url in self.context.requested:
                continue
            self.context.requested.add(due.url)
            yield make(due.url, (due.etag, due.last_modified), due.step)

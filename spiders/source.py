"""The one spider: discovers a source's new articles and yields their downloaded pages.

``scrapy crawl source -a source=NAME`` (or the runner) crawls one configured source: its feeds,
sitemaps (indexes, news sitemaps, ``.xml.gz``), section pages with pagination, a home page's
announced feeds, or a news-search feed (Google News, Bing News, GDELT). It only discovers and
yields; analysing and storing happen in the item pipeline.

Incremental: entries outside the look-back window and URLs already seen or stored are never
requested; feeds and sitemaps are fetched with If-None-Match / If-Modified-Since.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from monitor.config import MonitorConfig, SourceConfig
from monitor.crawl.context import (
    SOURCE_SETTING,
    add_error,
    count,
    crawler_config,
    crawler_source,
    db_call,
    in_thread,
    shared_database,
)
from monitor.crawl.discovery import (
    Entry,
    Parsed,
    discover_feeds,
    looks_like_sitemap,
    parse_feed,
    parse_gdelt,
    parse_listing,
    parse_sitemap,
)
from monitor.crawl.items import ArticlePage
from monitor.crawl.middlewares import (
    DeferredToNextCrawl,
    RefusedRequest,
    requests_deferred_to_this_crawl,
)
from monitor.crawl.search import search_url
from monitor.db.engine import Database
from monitor.db.models import HttpCacheEntry, utcnow
from monitor.db.repository import get_http_validators, known_urls, put_http_validators

DOCUMENT_PRIORITY = 100
MAX_DISCOVERED_FEEDS = 3


def _validators(db: Database, url: str) -> HttpCacheEntry | None:
    with db.session() as session:
        return get_http_validators(session, url)


def _known(db: Database, urls: list[str]) -> set[str]:
    with db.session() as session:
        return known_urls(session, urls)


def _save_validators(
    db: Database, rows: Iterable[tuple[str, str | None, str | None, int, Any]]
) -> None:
    def _work(session: Any) -> None:
        for url, etag, last_modified, status, entries in rows:
            put_http_validators(
                session,
                url,
                etag=etag,
                last_modified=last_modified,
                status=status,
                entry_count=entries,
            )

    db.write(_work)


def _canonical(url: str) -> str | None:
    try:
        from monitor.dedup import canonicalize_url

        return str(canonicalize_url(url))
    except (ImportError, ValueError):
        return None


def _resolve_redirect(url: str) -> str:
    try:
        from monitor.dedup import resolve_search_redirect

        return resolve_search_redirect(url) or url
    except (ImportError, ValueError):
        return url


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _standalone_settings(crawler: Crawler, source_name: str | None) -> None:
    """``scrapy crawl source -a source=NAME``: the source's settings from the config file
    ($MONITOR_CONFIG or ./monitor.toml), as the runner would build them; the crawl holds the
    source's lease itself (``SourceLease``)."""
    from monitor.crawl.extensions import STANDALONE_SETTING
    from monitor.crawl.settings import build_settings

    if not source_name:
        raise UsageError("name the source: scrapy crawl source -a source=NAME")
    config = crawler_config(crawler)
    source = config.source(source_name)
    for key, value in build_settings(config, source).items():  # `-s KEY=VALUE` still wins
        crawler.settings.set(key, value, priority="spider")
    crawler.settings.set(STANDALONE_SETTING, True, priority="spider")


class SourceSpider(Spider):
    """Crawl one configured source (``-a source=NAME``)."""

    name = "source"

    config: MonitorConfig
    source: SourceConfig
    db: Database

    def __init__(self, source: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source_name = source
        self.scheduled = 0
        self.requested: set[str] = set()
        self.pending_validators: dict[str, tuple[str, str | None, str | None, int, Any]] = {}
        self.failed_documents: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        if crawler.settings.get(SOURCE_SETTING) is None:
            _standalone_settings(crawler, kwargs.get("source"))
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup()
        return spider

    def setup(self) -> None:
        """Read the source, limits and look-back window from the validated config."""
        self.config = crawler_config(self.crawler)
        self.source = crawler_source(self.crawler, self.source_name)
        self.source_name = self.source.name
        self.db = shared_database(self.config)
        settings = self.crawler.settings
        self.max_pages = settings.getint("MONITOR_MAX_PAGES", 2000)
        self.max_depth = settings.getint("MONITOR_MAX_DEPTH", 2)
        self.max_size = settings.getint("DOWNLOAD_MAXSIZE", 0)
        self.lookback = timedelta(days=self.source.lookback_days or self.config.crawl.lookback_days)
        self.since: datetime = utcnow() - self.lookback

    @property
    def _stats(self) -> Any:
        return self.crawler.stats

    # --- start ------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        for request in await self.start_requests_list() + await requests_deferred_to_this_crawl(
            self
        ):
            yield request

    async def start_requests_list(self) -> list[Request]:
        """The source's start requests (feeds and sitemaps conditional)."""
        src = self.source
        requests: list[Request] = []
        if src.type != "site":
            kind = "gdelt" if src.type == "gdelt" else "feed"
            bases: list[str | None] = [*src.feeds] or [None]
            for base in bases:
                url = search_url(src, self.config, base=base)
                requests.append(await self.document_request(url, kind, start=True))
            return requests
        for url in src.feeds:
            requests.append(await self.document_request(url, "feed", start=True))
        for url in src.sitemaps:
            requests.append(await self.document_request(url, "sitemap", start=True))
        for url in src.pages:
            requests.append(self.listing_request(url, 0, start=True))
        if src.site and not requests:
            requests.append(
                Request(
                    src.site,
                    callback=self.parse_home,
                    errback=self.on_error,
                    meta={"kind": "home page", "start": True},
                    priority=DOCUMENT_PRIORITY,
                    dont_filter=True,
                )
            )
        return requests

    async def document_request(self, url: str, kind: str, *, start: bool) -> Request:
        """A feed / sitemap / search request carrying the stored validators."""
        cached = await db_call(_validators, self.db, url)
        headers: dict[str, str] = {}
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached is not None and cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
        return Request(
            url,
            callback=self.parse_document,
            errback=self.on_error,
            headers=headers,
            meta={
                "kind": kind,
                "start": start,
                "handle_httpstatus_list": [304],
                "cache_max": cached.max_entry_count if cached is not None else 0,
            },
            priority=DOCUMENT_PRIORITY,
            dont_filter=start,
        )

    def listing_request(self, url: str, depth: int, *, start: bool = False) -> Request:
        return Request(
            url,
            callback=self.parse_listing,
            errback=self.on_error,
            meta={"kind": "page", "start": start, "listing_depth": depth},
            priority=DOCUMENT_PRIORITY - 10 - depth,
            dont_filter=start,
        )

    # --- callbacks --------------------------------------------------------------------------

    def _started(self, response: Response, ok: bool = True) -> None:
        if response.meta.get("start"):
            count(self._stats, "start_ok" if ok else "start_failed")

    async def parse_document(self, response: Response) -> AsyncIterator[Any]:
        """A feed, sitemap (index) or search answer: schedule its fresh, unseen entries."""
        kind = response.meta.get("kind", "feed")
        url = response.request.url if response.request else response.url
        if response.status == 304:
            count(self._stats, "unchanged")
            self._started(response)
            self.pending_validators[url] = (url, None, None, 304, None)
            return
        parsed = await self._parse_body(kind, response)
        label = "sitemap" if parsed.kind.startswith("sitemap") else kind
        count(self._stats, "sitemaps" if label == "sitemap" else "feeds")
        if parsed.error:
            add_error(self._stats, f"{label} {url}: {parsed.error}")
            self._started(response, ok=False)
            return
        previous = int(response.meta.get("cache_max") or 0)
        if parsed.count == 0 and previous > 0:
            add_error(self._stats, f"{label} {url} gave 0 entries, used to give {previous}")
        self._started(response)
        self.pending_validators[url] = (
            url,
            _header(response, "ETag"),
            _header(response, "Last-Modified"),
            response.status,
            parsed.count,
        )
        count(self._stats, "entries", len(parsed.entries))
        for child in parsed.children:
            if child.published_at is not None and child.published_at < self.since:
                count(self._stats, "too_old")
                continue
            if self._take_budget():
                yield await self.document_request(child.url, "sitemap", start=False)
        since = self.window_start(parsed.entries) if parsed.kind == "feed" else self.since
        for request in await self.article_requests(parsed.entries, url, since=since):
            yield request

    async def _parse_body(self, kind: str, response: Response) -> Parsed:
        body = response.body
        if kind == "gdelt":
            return parse_gdelt(body)
        gzipped = body[:3] == b"\x1f\x8b\x08"
        if kind == "sitemap" or gzipped or looks_like_sitemap(body):
            return await in_thread(parse_sitemap, body, response.url, self.max_size)
        return await in_thread(parse_feed, body, response.url, _header(response, "Content-Type"))

    async def parse_home(self, response: Response) -> AsyncIterator[Any]:
        """A home page: follow the feeds it announces, else treat it as a listing."""
        feeds = discover_feeds(response.body, response.url)[:MAX_DISCOVERED_FEEDS]
        if not feeds:
            async for result in self.parse_listing(response):
                yield result
            return
        self._started(response)
        for feed in feeds:
            yield await self.document_request(feed, "feed", start=False)

    async def parse_listing(self, response: Response) -> AsyncIterator[Any]:
        """A section page: article links, and pagination up to ``max_depth``."""
        parsed = await in_thread(parse_listing, response.body, response.url)
        count(self._stats, "listings")
        self._started(response)
        depth = int(response.meta.get("listing_depth", 0))
        for page in parsed.pages:
            if page in self.requested:
                continue
            if depth >= self.max_depth:
                count(self._stats, "limit_depth")
                continue
            if not self._take_budget():
                break
            self.requested.add(page)
            yield self.listing_request(page, depth + 1)
        for request in await self.article_requests(parsed.entries, response.url):
            yield request

    def parse_article(self, response: Response) -> Iterable[ArticlePage]:
        """A candidate article page: hand it to the pipeline as is."""
        redirects = response.meta.get("redirect_urls") or []
        yield ArticlePage(
            url=redirects[0] if redirects else response.url,
            final_url=response.url,
            body=response.body,
            content_type=_header(response, "Content-Type"),
            source_name=self.source.name,
            listed_title=response.meta.get("listed_title"),
            listed_published_at=response.meta.get("listed_published_at"),
            discovered_from=response.meta.get("discovered_from"),
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            fetched_at=utcnow(),
        )

    # --- articles ---------------------------------------------------------------------------

    def window_start(self, entries: list[Any]) -> datetime:
        """The oldest date still inside the look-back window for a feed's entries.

        A feed lists the source's latest entries, so its window ends at its newest entry when
        that is in the past, not at now: a feed that stopped updating (or a recording of one)
        still yields its latest entries once, and the seen-URL check keeps them from being
        fetched again. Sitemaps, which hold whole archives, keep the window ending now.
        """
        dates = [e.published_at for e in entries if getattr(e, "published_at", None) is not None]
        if not dates:
            return self.since
        return min(self.since, max(dates) - self.lookback)

    def _take_budget(self) -> bool:
        if self.scheduled >= self.max_pages:
            count(self._stats, "limit_pages")
            return False
        self.scheduled += 1
        return True

    async def article_requests(
        self, entries: list[Entry], found_on: str, *, since: datetime | None = None
    ) -> list[Request]:
        """Requests for the entries inside the look-back window not yet seen or stored."""
        fresh: list[tuple[str, Entry]] = []
        since = since or self.since
        for entry in entries:
            if entry.published_at is not None and entry.published_at < since:
                count(self._stats, "too_old")
                continue
            fresh.append((_resolve_redirect(entry.url), entry))
        if not fresh:
            return []
        canonical = {url: _canonical(url) for url, _ in fresh}
        lookup = {u for pair in canonical.items() for u in pair if u}
        known = await db_call(_known, self.db, sorted(lookup))
        newest_first = sorted(
            fresh,
            key=lambda pair: pair[1].published_at.timestamp() if pair[1].published_at else 1e12,
            reverse=True,
        )
        requests: list[Request] = []
        for url, entry in newest_first:
            if url in known or canonical[url] in known:
                count(self._stats, "already_seen")
                continue
            if url in self.requested:
                continue
            if not self._take_budget():
                continue
            self.requested.add(url)
            requests.append(
                Request(
                    url,
                    callback=self.parse_article,
                    errback=self.on_error,
                    meta={
                        "kind": "article",
                        "listed_title": entry.title,
                        "listed_published_at": entry.published_at,
                        "discovered_from": found_on,
                    },
                )
            )
        return requests

    # --- errors and closing -----------------------------------------------------------------

    def on_error(self, failure: Failure) -> None:
        """Record one short line per failed request; start URLs mark the run failed."""
        if failure.check(DeferredToNextCrawl):
            return  # stored for the next crawl (faults branch): the listing page did not fail
        request: Request = failure.request  # type: ignore[attr-defined]
        kind = request.meta.get("kind", "page")
        url = request.url[:200]
        message: str | None
        if failure.check(RefusedRequest):
            message = None  # already recorded by the middleware
        elif failure.check(HttpError):
            message = f"{kind} {url}: HTTP {failure.value.response.status}"  # type: ignore[union-attr]
        elif failure.check(IgnoreRequest):
            text = str(failure.value)
            robots = "robots.txt" in text
            message = None if robots and not request.meta.get("start") else f"{kind} {url}: {text}"
        else:
            lines = str(failure.value).strip().splitlines()
            detail = f": {lines[0][:160]}" if lines and lines[0] else ""
            message = f"{kind} {url}: {failure.type.__name__}{detail}"  # type: ignore[union-attr]
        if message:
            add_error(self._stats, message)
        if request.meta.get("start"):
            count(self._stats, "start_failed")
        if kind == "article":
            count(self._stats, "article_errors")
            found_on = request.meta.get("discovered_from")
            if found_on:
                self.failed_documents.add(found_on)

    def closed(self, reason: str) -> None:
        """Store feed/sitemap validators only after a complete crawl (else refetch next time)."""
        if reason != "finished" or self._stats.get_value("monitor/limit_pages"):
            return
        rows = [v for url, v in self.pending_validators.items() if url not in self.failed_documents]
        if rows:
            try:
                _save_validators(self.db, rows)
            except Exception as exc:
                self.logger.error("cannot store feed validators: %s", exc)

"""The one spider: discovers a source's new articles and yields their downloaded pages.

``scrapy crawl source -a source=NAME`` (or the runner) crawls one configured source: its feeds,
sitemaps (indexes, news sitemaps, ``.xml.gz``), section pages with pagination, a home page's
announced feeds, or a news-search feed (Google News, Bing News, GDELT). It only discovers and
yields; analysing and storing happen in the item pipeline.

Incremental: entries outside the look-back window are never requested; the middlewares of
:mod:`monitor.crawl.incremental` drop URLs already seen or stored (unless the listing says they
changed), make feed, sitemap and revalidation requests conditional, and add the due
revalidations. The spider itself never touches the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from monitor.config import MonitorConfig, SourceConfig
from monitor.crawl.context import (
    SOURCE_SETTING,
    CrawlContext,
    DocumentState,
    add_error,
    count,
    crawl_context,
    in_thread,
    standalone_runtime,
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
from monitor.crawl.items import ArticlePage, FetchKind
from monitor.crawl.middlewares import (
    DeferredToNextCrawl,
    RefusedRequest,
    requests_deferred_to_this_crawl,
)
from monitor.crawl.search import engine_hosts, resolve_link, search_url
from monitor.db.models import utcnow

DOCUMENT_PRIORITY = 100
MAX_DISCOVERED_FEEDS = 3
REVALIDATION_PRIORITY = -10


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _standalone_settings(crawler: Crawler, source_name: str | None) -> None:
    """``scrapy crawl source -a source=NAME``: the source's settings from the config file
    ($MONITOR_CONFIG or ./monitor.toml), as the runner would build them; the crawl builds its
    own runtime and holds the source's lease itself (``SourceLease``)."""
    from monitor.crawl.extensions import STANDALONE_SETTING
    from monitor.crawl.settings import build_settings

    if not source_name:
        raise UsageError("name the source: scrapy crawl source -a source=NAME")
    config = standalone_runtime(crawler).config
    source = config.source(source_name)
    for key, value in build_settings(config, source).items():  # `-s KEY=VALUE` still wins
        crawler.settings.set(key, value, priority="spider")
    crawler.settings.set(STANDALONE_SETTING, True, priority="spider")


class SourceSpider(Spider):
    """Crawl one configured source (``-a source=NAME``)."""

    name = "source"

    context: CrawlContext
    config: MonitorConfig
    source: SourceConfig

    def __init__(self, source: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source_name = source
        self.listings: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        if crawler.settings.get(SOURCE_SETTING) is None:
            _standalone_settings(crawler, kwargs.get("source"))
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup()
        return spider

    def setup(self) -> None:
        """Read the source, limits and look-back window from the crawl's context."""
        self.context = crawl_context(self.crawler, self.source_name)
        self.config = self.context.config
        self.source = self.context.source
        self.source_name = self.source.name
        settings = self.crawler.settings
        self.max_depth = settings.getint("MONITOR_MAX_DEPTH", 2)
        self.max_size = settings.getint("DOWNLOAD_MAXSIZE", 0)
        self.lookback = timedelta(days=self.source.lookback_days or self.config.crawl.lookback_days)
        self.since: datetime = utcnow() - self.lookback
        self.search_hosts = engine_hosts(self.source) if self.source.type != "site" else frozenset()
        if self.context.owns_runtime:
            from scrapy import signals

            self.crawler.signals.connect(self._close_runtime, signal=signals.engine_stopped)

    def _close_runtime(self) -> None:
        self.context.runtime.close()

    @property
    def _stats(self) -> Any:
        return self.crawler.stats

    # --- start ------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        for request in self.start_requests_list() + await requests_deferred_to_this_crawl(self):
            yield request

    def start_requests_list(self) -> list[Request]:
        """The source's start requests (the middleware makes feeds and sitemaps conditional)."""
        src = self.source
        requests: list[Request] = []
        if src.type != "site":
            kind = "gdelt" if src.type == "gdelt" else "feed"
            bases: list[str | None] = [*src.feeds] or [None]
            for base in bases:
                url = search_url(src, self.config, base=base)
                requests.append(self.document_request(url, kind, start=True))
            return requests
        for url in src.feeds:
            requests.append(self.document_request(url, "feed", start=True))
        for url in src.sitemaps:
            requests.append(self.document_request(url, "sitemap", start=True))
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

    def document_request(self, url: str, kind: str, *, start: bool) -> Request:
        """A feed / sitemap / search request (made conditional by ConditionalGetMiddleware)."""
        return Request(
            url,
            callback=self.parse_document,
            errback=self.on_error,
            meta={"kind": kind, "start": start, "handle_httpstatus_list": [304]},
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

    def revalidation_request(
        self, url: str, validators: tuple[str | None, str | None], step: int
    ) -> Request:
        """A scheduled conditional re-fetch of a matched article (RevalidationMiddleware)."""
        return Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            meta={
                "kind": "article",
                "fetch": FetchKind.REVALIDATION,
                "validators": validators,
                "revalidation_step": step,
                "handle_httpstatus_list": [304],
            },
            priority=REVALIDATION_PRIORITY,
            dont_filter=True,
        )

    # --- callbacks --------------------------------------------------------------------------

    def _started(self, response: Response, ok: bool = True) -> None:
        if response.meta.get("start"):
            count(self._stats, "start_ok" if ok else "start_failed")

    async def parse_document(self, response: Response) -> AsyncIterator[Any]:
        """A feed, sitemap (index) or search answer: schedule its fresh entries."""
        kind = response.meta.get("kind", "feed")
        url = response.request.url if response.request else response.url
        if response.status == 304:
            count(self._stats, "unchanged")
            self._started(response)
            self.context.documents[url] = DocumentState(url, None, None, 304, None)
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
        self.context.documents[url] = DocumentState(
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
            if self.context.take_budget(self._stats):
                yield self.document_request(child.url, "sitemap", start=False)
        since = self.window_start(parsed.entries) if parsed.kind == "feed" else self.since
        for request in self.article_requests(parsed.entries, url, since=since):
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
            yield self.document_request(feed, "feed", start=False)

    async def parse_listing(self, response: Response) -> AsyncIterator[Any]:
        """A section page: article links, and pagination up to ``max_depth``."""
        parsed = await in_thread(parse_listing, response.body, response.url)
        count(self._stats, "listings")
        self._started(response)
        depth = int(response.meta.get("listing_depth", 0))
        for page in parsed.pages:
            if page in self.listings:
                continue
            if depth >= self.max_depth:
                count(self._stats, "limit_depth")
                continue
            if not self.context.take_budget(self._stats):
                break
            self.listings.add(page)
            yield self.listing_request(page, depth + 1)
        for request in self.article_requests(parsed.entries, response.url):
            yield request

    def parse_article(self, response: Response) -> Iterable[ArticlePage]:
        """A candidate article page: hand it to the pipeline as is."""
        meta = response.meta
        redirects = list(meta.get("redirect_urls") or [])
        link = meta.get("link")
        chain = list(dict.fromkeys([*([link] if link else []), *redirects, response.url]))
        fetch = meta.get("fetch") or FetchKind.NEW
        if response.status == 304:
            fetch = FetchKind.UNCHANGED
        elif self._engine_page(response.url):
            fetch = FetchKind.UNRESOLVED
        yield ArticlePage(
            url=redirects[0] if redirects else response.url,
            final_url=response.url,
            body=response.body if fetch is not FetchKind.UNCHANGED else b"",
            content_type=_header(response, "Content-Type"),
            source_name=self.source.name,
            listed_title=meta.get("listed_title"),
            listed_published_at=meta.get("listed_published_at"),
            listed_date_method=meta.get("listed_date_method"),
            discovered_from=meta.get("discovered_from"),
            fetch=fetch,
            chain=chain,
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            fetched_at=utcnow(),
            step=meta.get("revalidation_step"),
        )

    def _engine_page(self, url: str) -> bool:
        """True when a news-search link led to the engine's own page (no publisher page)."""
        return bool(self.search_hosts) and (urlsplit(url).hostname or "") in self.search_hosts

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

    def article_requests(
        self, entries: list[Entry], found_on: str, *, since: datetime | None = None
    ) -> list[Request]:
        """Requests for the entries inside the look-back window, newest first (the seen-URL
        middleware drops those already fetched and applies the page budget)."""
        since = since or self.since
        fresh: list[Entry] = []
        for entry in entries:
            if entry.published_at is not None and entry.published_at < since:
                count(self._stats, "too_old")
                continue
            fresh.append(entry)
        fresh.sort(
            key=lambda e: e.published_at.timestamp() if e.published_at else 1e12, reverse=True
        )
        requests: list[Request] = []
        for entry in fresh:
            target = resolve_link(entry.url, self.source)
            if target is not None:
                count(self._stats, "links_resolved")
            meta: dict[str, Any] = {
                "kind": "article",
                "listed_title": entry.title,
                "listed_published_at": entry.published_at,
                "listed_date_method": entry.date_method,
                "listed_changed_at": entry.changed_at,
                "discovered_from": found_on,
            }
            if target is not None and target != entry.url:
                meta["link"] = entry.url
            requests.append(
                Request(
                    target or entry.url,
                    callback=self.parse_article,
                    errback=self.on_error,
                    meta=meta,
                )
            )
        return requests

    # --- errors -----------------------------------------------------------------------------

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
                self.context.failed_documents.add(found_on)

"""Downloader middlewares: the SSRF guard and ``Retry-After`` on 429/503.

* :class:`SafeUrlMiddleware` refuses every request, robots.txt fetch and redirect hop whose
  scheme is not http(s) or whose host is a non-public literal or a local name, unless the
  source sets ``allow_private``; the address a name resolves to is vetted at connect time by
  ``GuardedResolver``. Redirects are new requests, so each hop passes through here.
* :class:`RetryAfterMiddleware` honours ``Retry-After`` (seconds or an HTTP date) on 429 and
  503, which Scrapy's RetryMiddleware ignores: the request is re-queued and no request goes
  to that host before the time is up. A host's waits add up to at most
  ``crawl.max_retry_after``; beyond it the host's requests are deferred to the next crawl
  (stored, asked again then), not held.
* :class:`ProxyMiddleware` sends a source's requests through its proxy (``proxy`` on the source,
  else ``[crawl] proxy``) by Scrapy's own ``HttpProxyMiddleware`` (``request.meta["proxy"]``).
  The guard still applies: literal targets are vetted above, and since the proxy, not Scrapy,
  resolves a target's name, the name is resolved and vetted here before the request goes.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

from monitor.crawl.context import add_error, count, crawler_config, crawler_source
from monitor.netsafety import FetchPolicy


class RefusedRequest(IgnoreRequest):
    """A request this project's middlewares refused (already recorded in the run errors)."""


class DeferredToNextCrawl(RefusedRequest):
    """A request stored for the source's next crawl: not a failure of the page that listed it."""


def _check_url(url: str, policy: FetchPolicy | None = None) -> str | None:
    """None when ``url`` may be requested under ``policy``, else why not (no DNS: the resolver
    vets the address a name resolves to)."""
    from monitor.errors import UnsafeURLError
    from monitor.netsafety import FetchPolicy, vet_literal

    try:
        vet_literal(url, policy or FetchPolicy())
    except UnsafeURLError as exc:
        return str(exc)
    return None


class SafeUrlMiddleware:
    """Refuse non-http(s) schemes always, and hosts the source's fetch policy does not allow.

    Every request is vetted on its own (no verdict is kept for the crawl): the scheme, literal
    addresses and local names here, without DNS; the address a name resolves to is vetted by
    ``GuardedResolver`` when Scrapy connects (so a rebinding answer is caught), and a name that
    does not resolve fails there. ``[crawl] public_networks`` marks ranges public (tests).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.policy = crawler_config(crawler).crawl.fetch_policy(
            allow_private=crawler_source(crawler).allow_private
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SafeUrlMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        reason = _check_url(request.url, self.policy)
        if reason:
            self._refuse(request, reason)
        return None

    def _refuse(self, request: Request, reason: str) -> None:
        assert self.crawler.stats is not None
        count(self.crawler.stats, "refused_unsafe_url")
        add_error(self.crawler.stats, f"refused {request.url[:200]}: {reason}")
        raise RefusedRequest(reason)


def parse_retry_after(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date), else None."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


DEFERRABLE_KINDS = ("article", "feed", "sitemap", "gdelt", "page")
_DEFERRED_META = ("kind", "listed_title", "discovered_from", "listing_depth", "cache_max")


class RetryAfterMiddleware:
    """Honour ``Retry-After`` on 429/503 up to a cap per host, and put the rest off.

    A host may make this crawl wait at most ``[crawl] max_retry_after`` seconds in all. A
    longer wait is not held inside the crawl (one slow outlet must not stretch a search
    source's crawl): the request, and every later request to that host in this crawl, is
    stored (``monitor.db.deferred``) and asked again by the source's next crawl once the
    host's time is up (:func:`requests_deferred_to_this_crawl`).
    """

    CODES = (429, 503)

    def __init__(self, crawler: Crawler) -> None:
        config = crawler_config(crawler)
        self.crawler = crawler
        self.source = crawler_source(crawler).name
        self.cap = config.crawl.max_retry_after
        self.max_times = max(1, config.crawl.retry_times)
        self.not_before: dict[str, float] = {}  # host -> monotonic time of its next request
        self.waited: dict[str, float] = {}  # host -> seconds of Retry-After honoured
        self.put_off: dict[str, float] = {}  # host -> epoch time its requests are deferred to

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).netloc
        if host in self.put_off:
            await self._defer(request, host, "an earlier Retry-After")
        wait = self.not_before.get(host, 0.0) - time.monotonic()
        if wait > 0:
            from twisted.internet import reactor

            await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))  # type: ignore[arg-type]
        return None

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in self.CODES:
            if request.meta.get("deferred") and request.meta.get("kind") != "article":
                from monitor.db.deferred import forget_requests

                # an answered feed or sitemap; an article goes once stored or seen
                await self._db(forget_requests, self.source, [request.url])
            return response
        delay = parse_retry_after(response.headers.get("Retry-After"))
        if delay is None:
            return response  # RetryMiddleware's ordinary backoff applies
        stats = self.crawler.stats
        assert stats is not None
        host = urlsplit(request.url).netloc
        if self.waited.get(host, 0.0) + delay > self.cap:
            self.put_off[host] = max(self.put_off.get(host, 0.0), time.time() + delay)
            await self._defer(request, host, f"Retry-After {delay:.0f}s (cap {self.cap:.0f}s)")
        times = int(request.meta.get("retry_after_times", 0))
        if times >= self.max_times:
            return response
        self.waited[host] = self.waited.get(host, 0.0) + delay
        self.not_before[host] = max(self.not_before.get(host, 0.0), time.monotonic() + delay)
        count(stats, "retry_after")
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = times + 1
        return retry

    async def _defer(self, request: Request, host: str, why: str) -> None:
        """Store ``request`` for the next crawl (or drop a start/robots request, which the next
        crawl makes anyway) and refuse it here."""
        stats = self.crawler.stats
        assert stats is not None
        kind = str(request.meta.get("kind", ""))
        count(stats, "deferred")
        add_error(stats, f"deferred by {why} from {host} to the next crawl: {request.url[:200]}")
        if kind in DEFERRABLE_KINDS and not request.meta.get("start"):
            from datetime import UTC, datetime

            from monitor.db.deferred import defer_request

            meta = {k: request.meta[k] for k in _DEFERRED_META if k in request.meta}
            published = request.meta.get("listed_published_at")
            if published is not None:
                meta["listed_published_at"] = published.isoformat()
            await self._db(
                defer_request,
                self.source,
                request.url,
                kind=kind,
                meta=meta,
                reason=why,
                not_before=datetime.fromtimestamp(self.put_off.get(host, time.time()), UTC),
            )
        raise DeferredToNextCrawl(f"deferred to the next crawl: {why}")

    async def _db(self, work: Any, *args: Any, **kwargs: Any) -> None:
        from monitor.crawl.context import crawl_context

        context = crawl_context(self.crawler)
        await context.runtime.db_call(work, context.db, *args, **kwargs)


async def requests_deferred_to_this_crawl(spider: Any) -> list[Request]:
    """The requests earlier crawls of ``spider``'s source put off, now due, as the spider's
    own requests (its callbacks by kind); for the spider's start (one call)."""
    from datetime import datetime

    from monitor.db.deferred import take_due_requests

    context = spider.context
    rows = await context.runtime.db_call(take_due_requests, context.db, spider.source.name)
    requests = []
    for row in rows:
        meta: dict[str, Any] = {**row.meta, "kind": row.kind, "deferred": True}
        if isinstance(meta.get("listed_published_at"), str):
            meta["listed_published_at"] = datetime.fromisoformat(meta["listed_published_at"])
        if row.kind == "article":
            callback = spider.parse_article
        elif row.kind == "page":
            callback = spider.parse_listing
        else:
            callback = spider.parse_document
            meta["handle_httpstatus_list"] = [304]
        count(spider.crawler.stats, "deferred_requested")
        requests.append(
            Request(
                row.url, callback=callback, errback=spider.on_error, meta=meta, dont_filter=True
            )
        )
    return requests


class RedirectGuardMiddleware:
    """Runs before RedirectMiddleware: refuse redirects to non-http(s) schemes and loops
    (Scrapy drops those silently: a loop's next hop is filtered as a duplicate request)."""

    REDIRECTS = (301, 302, 303, 307, 308)

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if response.status not in self.REDIRECTS or not location:
            return response
        target = urljoin(request.url, location.decode("latin-1").strip())
        scheme = urlsplit(target).scheme.lower()
        if scheme not in ("http", "https"):
            self._refuse(request, f"redirect to a {scheme or 'schemeless'}: URL refused")
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in chain:
            self._refuse(request, f"redirect loop after {len(chain)} hop(s)")
        return response

    def _refuse(self, request: Request, reason: str) -> None:
        stats = self.crawler.stats
        assert stats is not None
        count(stats, "refused_redirect")
        add_error(stats, f"{request.meta.get('kind', 'page')} {request.url[:200]}: {reason}")
        raise RefusedRequest(reason)


class ProxyMiddleware:
    """Route a source's requests through its proxy, after vetting the target's name.

    Runs just before Scrapy's ``HttpProxyMiddleware`` (750), which reads ``meta["proxy"]`` and
    moves the credentials (from ``$MONITOR_PROXY_USER`` / ``$MONITOR_PROXY_PASSWORD``, never in
    settings) into a ``Proxy-Authorization`` header. A request that names its own proxy (or
    ``proxy: None``) keeps it. Switched off (``NotConfigured``) for a source without a proxy.

    Through a proxy the connection Scrapy makes is to the proxy, so ``GuardedResolver`` never
    sees the target's name: each target name is resolved here (once per crawl) and refused when
    any address it resolves to is not allowed by the source's fetch policy; a name this machine
    cannot resolve is left to the proxy (a proxy's own DNS is what it is for).
    """

    def __init__(self, crawler: Crawler, proxy: str, policy: FetchPolicy) -> None:
        self.crawler = crawler
        self.proxy = proxy
        self.policy = policy
        self.verdicts: dict[str, str | None] = {}  # host name -> why refused (None: allowed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProxyMiddleware:
        from scrapy.exceptions import NotConfigured

        config = crawler_config(crawler)
        source = crawler_source(crawler)
        proxy = config.crawl.proxy_url(source)
        if proxy is None:
            raise NotConfigured
        policy = config.crawl.fetch_policy(allow_private=source.allow_private)
        return cls(crawler, proxy, policy)

    async def process_request(self, request: Request) -> None:
        from monitor.netsafety import parse_ip_literal

        host = urlsplit(request.url).hostname or ""
        if not self.policy.allow_private and parse_ip_literal(host) is None:
            if host not in self.verdicts:
                from monitor.crawl.context import in_thread

                self.verdicts[host] = await in_thread(_vet_name, host, self.policy)
            reason = self.verdicts[host]
            if reason:
                assert self.crawler.stats is not None
                count(self.crawler.stats, "refused_unsafe_url")
                add_error(self.crawler.stats, f"refused {request.url[:200]}: {reason}")
                raise RefusedRequest(reason)
        if "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy
        return None


def _vet_name(host: str, policy: FetchPolicy) -> str | None:
    """(thread) Why ``host`` must not be fetched through the proxy, or None."""
    import socket

    from monitor.netsafety import parse_ip_literal

    try:
        answers = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None  # not resolvable here: the proxy resolves it
    for *_, sockaddr in answers:
        address = parse_ip_literal(str(sockaddr[0]))
        if address is None or not policy.allows(address):
            return f"{host} resolves to non-public address {sockaddr[0]}: refused"
    return None

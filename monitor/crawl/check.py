"""``monitor sources check``: fetch each start URL once and say what it returns.

The guarded fetch of :mod:`monitor.netsafety` (no reactor, so it can run in the CLI process):
timeouts, a size cap, every redirect hop vetted and connected to its vetted address, and the
same parsers as the spider.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from monitor.config import MonitorConfig, SourceConfig
from monitor.crawl.discovery import (
    Parsed,
    discover_feeds,
    looks_like_sitemap,
    parse_feed,
    parse_gdelt,
    parse_listing,
    parse_sitemap,
)
from monitor.crawl.search import search_url
from monitor.errors import FetchRefusedError


@dataclass
class SourceCheck:
    """The answer of one start URL of one source."""

    source: str
    url: str
    kind: str  # feed | sitemap | page | home page | gdelt
    ok: bool = False
    status: int | None = None
    content_type: str | None = None
    entries: int = 0  # feed/sitemap entries, or article links on a page
    last_entry: datetime | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fetch(url: str, config: MonitorConfig, allow_private: bool) -> tuple[int, str | None, bytes]:
    from monitor.errors import UnsafeURLError
    from monitor.netsafety import guarded_fetch

    crawl = config.crawl
    try:
        response = guarded_fetch(
            url,
            policy=crawl.fetch_policy(allow_private=allow_private),
            user_agent=f"{crawl.user_agent} (+mailto:{crawl.contact})",
            timeout=min(crawl.download_timeout, 30.0),
            max_bytes=crawl.max_page_bytes,
            max_redirects=crawl.max_redirects,
        )
    except UnsafeURLError as exc:
        raise FetchRefusedError(f"refused: {exc}") from None
    body = response.body if response.status < 400 else b""
    return response.status, response.headers.get("Content-Type"), body


def _parse(kind: str, body: bytes, url: str, content_type: str | None, max_size: int) -> Parsed:
    if kind == "gdelt":
        return parse_gdelt(body)
    if kind == "sitemap" or body[:3] == b"\x1f\x8b\x08" or looks_like_sitemap(body):
        return parse_sitemap(body, url, max_size)
    if kind == "feed":
        return parse_feed(body, url, content_type)
    if kind == "home page":
        feeds = discover_feeds(body, url)
        if feeds:
            return Parsed("home page", children=[_entry(f) for f in feeds])
    return parse_listing(body, url)


def _entry(url: str) -> Any:
    from monitor.crawl.discovery import Entry

    return Entry(url)


def _start_urls(source: SourceConfig, config: MonitorConfig) -> list[tuple[str, str]]:
    if source.type != "site":
        kind = "gdelt" if source.type == "gdelt" else "feed"
        bases: list[str | None] = [*source.feeds] or [None]
        return [(search_url(source, config, base=b), kind) for b in bases]
    urls = [(u, "feed") for u in source.feeds] + [(u, "sitemap") for u in source.sitemaps]
    urls += [(u, "page") for u in source.pages]
    if source.site and not urls:
        urls.append((source.site, "home page"))
    return urls


def check_url(source: SourceConfig, url: str, kind: str, config: MonitorConfig) -> SourceCheck:
    """Fetch one start URL and describe it (never raises)."""
    result = SourceCheck(source.name, url, kind)
    try:
        status, content_type, body = _fetch(url, config, source.allow_private)
    except FetchRefusedError as exc:
        result.error = str(exc)
        return result
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        result.error = f"{type(exc).__name__}: {reason}"[:200]
        return result
    result.status, result.content_type = status, content_type
    if status >= 400:
        result.error = f"HTTP {status}"
        return result
    if len(body) > config.crawl.max_page_bytes:
        result.error = f"larger than {config.crawl.max_page_bytes} bytes"
        return result
    parsed = _parse(kind, body, url, content_type, config.crawl.max_page_bytes)
    result.entries = parsed.count
    dates = [e.published_at for e in parsed.entries if e.published_at]
    result.last_entry = max(dates) if dates else None
    result.error = parsed.error
    if not parsed.error and parsed.count == 0:
        result.error = "no entries" if kind != "page" else "no article links"
    result.ok = result.error is None
    return result


def check_sources(config: MonitorConfig, names: list[str] | None = None) -> list[SourceCheck]:
    """Check every start URL of the named (else all enabled) sources, a few at a time."""
    sources = (
        [config.source(n) for n in names] if names else [s for s in config.sources if s.enabled]
    )
    jobs: list[tuple[SourceConfig, str, str]] = []
    for source in sources:
        try:
            jobs += [(source, url, kind) for url, kind in _start_urls(source, config)]
        except ValueError as exc:
            jobs.append((source, "", f"error: {exc}"))
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(check_url, s, u, k, config) for s, u, k in jobs if u]
        done = iter(f.result() for f in futures)
        return [next(done) if u else SourceCheck(s.name, "", "?", error=k) for s, u, k in jobs]

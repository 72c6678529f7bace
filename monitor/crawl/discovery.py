"""Discovery parsing: feeds, sitemaps, listing pages, search results. No Scrapy spiders here.

Every parser takes downloaded BYTES (never a URL or a path), refuses XML with entity
declarations (billion laughs, external entities) and returns a result with an ``error`` string
instead of raising, so one bad document becomes one line in the crawl-run errors.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import courlan
import feedparser
import lxml.etree
import lxml.html
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

_ENTITY_RE = re.compile(rb"<!ENTITY", re.IGNORECASE)
_SITEMAP_ROOT_RE = re.compile(rb"<(?:[\w-]+:)?(urlset|sitemapindex)[\s>]")
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")


@dataclass(frozen=True)
class Entry:
    """One discovered candidate article: its URL and what the listing said about it."""

    url: str
    title: str | None = None
    published_at: datetime | None = None
    # The latest date the listing gives (feed ``updated``, sitemap ``lastmod``,
    # ``news:publication_date``): a page changed after our last fetch is fetched again.
    changed_at: datetime | None = None
    # How ``published_at`` was found (a monitor.extract.dates.DateMethod value): a feed date,
    # a news sitemap's publication date, or only a sitemap ``lastmod`` (a modification time).
    date_method: str = "feed"


@dataclass
class Parsed:
    """What a feed, sitemap or page yielded: article entries, child documents, an error."""

    kind: str
    entries: list[Entry] = field(default_factory=list)
    children: list[Entry] = field(default_factory=list)  # child sitemaps, discovered feeds
    pages: list[str] = field(default_factory=list)  # pagination links of a listing
    error: str | None = None
    warning: str | None = None

    @property
    def count(self) -> int:
        return len(self.entries) + len(self.children)


def has_entity_declaration(body: bytes) -> bool:
    """True when an XML document declares entities (refused: billion laughs, XXE)."""
    if _ENTITY_RE.search(body):
        return True
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return "<!entity" in body.decode("utf-16").lower()
        except UnicodeDecodeError:
            return True
    return False


def parse_date(value: Any) -> datetime | None:
    """A W3C/ISO date or a feedparser ``struct_time`` as an aware UTC datetime, else None."""
    if value is None or value == "":
        return None
    if hasattr(value, "tm_year"):
        try:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
        except (OverflowError, ValueError):
            return None
    text = str(value).strip()
    if re.fullmatch(r"\d{8}T\d{6}Z", text):  # GDELT seendate
        text = f"{text[:4]}-{text[4:6]}-{text[6:8]}T{text[9:11]}:{text[11:13]}:{text[13:15]}Z"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def looks_like_sitemap(body: bytes) -> bool:
    """Sniff a sitemap root element in the first few KB (after gunzip)."""
    return bool(_SITEMAP_ROOT_RE.search(body[:4096]))


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> Parsed:
    """Parse RSS 0.9x/1.0/2.0 or Atom bytes with feedparser; entries with link, title, date."""
    if has_entity_declaration(body):
        return Parsed("feed", error="XML entity declarations refused")
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    entries: list[Entry] = []
    for item in parsed.entries:
        link = item.get("link") or _first_link(item)
        if not link:
            continue
        link = urljoin(url, link.strip())
        if urlsplit(link).scheme not in ("http", "https"):
            continue
        date = parse_date(item.get("published_parsed") or item.get("updated_parsed"))
        title = (item.get("title") or "").strip() or None
        entries.append(Entry(link, title, date, _latest(date, item.get("updated_parsed"))))
    result = Parsed("feed", entries=entries)
    if not entries:
        if parsed.get("bozo"):
            exc = parsed.get("bozo_exception")
            result.error = f"malformed XML ({_short(exc)})" if exc else "malformed XML"
        elif not parsed.get("version"):
            result.error = "not an RSS or Atom feed"
    elif parsed.get("bozo"):
        result.warning = _short(parsed.get("bozo_exception"))
    return result


def _latest(date: datetime | None, *others: Any) -> datetime | None:
    dates = [d for d in (date, *(parse_date(o) for o in others)) if d is not None]
    return max(dates, default=None)


def _first_link(item: Any) -> str | None:
    for link in item.get("links") or []:
        if link.get("href") and link.get("rel", "alternate") == "alternate":
            return str(link["href"])
    return None


def _short(exc: Any) -> str:
    """The first line of an error's message, or its type name when the message is empty."""
    lines = str(exc).strip().splitlines() if exc is not None else []
    text = lines[0] if lines else type(exc).__name__
    return text[:160]


class _NewsSitemap(Sitemap):
    """Scrapy's sitemap parser, also reading nested ``news:news`` dates and titles."""

    __slots__ = ()

    def _process_sitemap_element(self, elem: Any) -> dict[str, Any] | None:
        news: dict[str, str] = {}
        for child in elem:
            if self._get_tag_name(child) == "news":
                for sub in child.iter():
                    name = self._get_tag_name(sub)
                    if name in ("publication_date", "title") and sub.text:
                        news[name] = sub.text.strip()
        found = super()._process_sitemap_element(elem)
        if found is not None:
            found.pop("news", None)
            found.update({f"news_{k}": v for k, v in news.items()})
        return found


def parse_sitemap(body: bytes, url: str, max_size: int = 0) -> Parsed:
    """Parse a (gzipped) sitemap, sitemap index or Google News sitemap."""
    if body[:3] == b"\x1f\x8b\x08":
        try:
            body = gunzip(body, max_size=max_size)
        except ValueError as exc:  # _DecompressionMaxSizeExceeded is a ValueError
            return Parsed("sitemap", error=f"gzip body too large ({exc})")
        except (OSError, EOFError) as exc:
            return Parsed("sitemap", error=f"bad gzip data ({_short(exc)})")
    if has_entity_declaration(body):
        return Parsed("sitemap", error="XML entity declarations refused")
    try:
        sitemap = _NewsSitemap(body)
    except (lxml.etree.XMLSyntaxError, StopIteration, ValueError) as exc:
        return Parsed("sitemap", error=f"malformed XML ({_short(exc)})")
    if sitemap.type not in ("urlset", "sitemapindex"):
        return Parsed("sitemap", error=f"not a sitemap (root element {sitemap.type!r})")
    result = Parsed("sitemapindex" if sitemap.type == "sitemapindex" else "sitemap")
    try:
        for item in sitemap:
            loc = urljoin(url, item.get("loc", ""))
            if urlsplit(loc).scheme not in ("http", "https"):
                continue
            published = parse_date(item.get("news_publication_date"))
            modified = parse_date(item.get("lastmod"))
            date = published or modified
            changed = max((d for d in (published, modified) if d is not None), default=None)
            method = "news_sitemap" if published else "sitemap_lastmod"
            entry = Entry(loc, item.get("news_title") or None, date, changed, method)
            (result.children if sitemap.type == "sitemapindex" else result.entries).append(entry)
    except lxml.etree.XMLSyntaxError as exc:
        result.error = f"malformed XML ({_short(exc)})"
    return result


def parse_gdelt(body: bytes) -> Parsed:
    """Parse a GDELT DOC 2.0 ``mode=ArtList&format=json`` answer."""
    try:
        data = json.loads(body.decode("utf-8", "replace") or "{}")
    except ValueError as exc:
        return Parsed("gdelt", error=f"malformed JSON ({_short(exc)})")
    if not isinstance(data, dict):
        return Parsed("gdelt", error="unexpected JSON (not an object)")
    result = Parsed("gdelt")
    for item in data.get("articles") or []:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            continue
        if urlsplit(item["url"]).scheme not in ("http", "https"):
            continue
        title = item.get("title") if isinstance(item.get("title"), str) else None
        result.entries.append(Entry(item["url"], title, parse_date(item.get("seendate"))))
    return result


@dataclass(frozen=True)
class Link:
    """An ``<a>`` or ``<link>`` of an HTML page."""

    url: str
    text: str = ""
    rel: str = ""
    type: str = ""


def page_links(body: bytes, base_url: str) -> Iterator[Link]:
    """Every http(s) link of an HTML page, absolute, fragment removed."""
    try:
        root = lxml.html.document_fromstring(body)
    except (lxml.etree.ParserError, ValueError):
        return
    base = root.find(".//base")
    if base is not None and base.get("href"):
        base_url = urljoin(base_url, base.get("href"))
    for element in root.iter("a", "link"):
        href = (element.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        absolute = urljoin(base_url, href).split("#", 1)[0]
        if urlsplit(absolute).scheme not in ("http", "https"):
            continue
        text = " ".join(element.text_content().split()) if element.tag == "a" else ""
        yield Link(
            absolute,
            text[:200],
            " ".join(element.get("rel", "").lower().split()),
            element.get("type", "").lower(),
        )


def discover_feeds(body: bytes, base_url: str) -> list[str]:
    """Feed URLs a home page announces with ``<link rel="alternate" type="...rss/atom...">``."""
    found = [
        link.url
        for link in page_links(body, base_url)
        if "alternate" in link.rel.split() and link.type in _FEED_TYPES
    ]
    return list(dict.fromkeys(found))


_STATIC = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|css|js|json|xml|rss|pdf|zip|gz|mp[34]|avi|mov|woff2?)$", re.I
)
_DATE_PATH = re.compile(r"/(?:19|20)\d\d/[01]?\d(?:/|$)")
_SLUG = re.compile(r"[^\W_]+(?:[-_][^\W_]+){2,}")
_NUMERIC_ID = re.compile(r"(?:^|[-_/.])\d{4,}(?:[-_/.]|$)")
_PAGINATION_QUERY = re.compile(r"(?:^|&)(?:page|p|pg|paged|start|offset)=\d+", re.I)
_PAGINATION_PATH = re.compile(r"/(?:page|pagina|seite|p)/\d+/?$", re.I)
_NEXT_WORDS = {
    "next",
    "next page",
    "older",
    "older posts",
    "older entries",
    "more",
    "more stories",
    "siguiente",
    "página siguiente",
    "más",
    "далее",
    "следующая",
    "вперед",
    "вперёд",
    "›",
    "»",
    "→",
}
_CALENDAR = re.compile(r"(?:/calendar|/events?/|[?&](?:date|month|year|day)=)", re.I)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def same_site(url: str, other: str) -> bool:
    """Same host, ignoring a leading ``www.`` (ports must match too)."""
    a, b = urlsplit(url), urlsplit(other)
    return _host(url) == _host(other) and a.port == b.port


def is_article_url(url: str, page_url: str) -> bool:
    """Whether a link on a listing page looks like an article of the same site."""
    if not same_site(url, page_url):
        return False
    parts = urlsplit(url)
    path = parts.path
    if not path.strip("/") or _STATIC.search(path) or _CALENDAR.search(url):
        return False
    if _PAGINATION_QUERY.search(parts.query) or _PAGINATION_PATH.search(path):
        return False
    if courlan.is_not_crawlable(url) or courlan.is_navigation_page(url):
        return False
    last = path.rstrip("/").rsplit("/", 1)[-1]
    last = re.sub(r"\.(?:s?html?|php|aspx?)$", "", last)
    return bool(_SLUG.search(last) or _DATE_PATH.search(path) or _NUMERIC_ID.search(last))


def is_pagination_link(link: Link, page_url: str) -> bool:
    """Whether a link continues the listing (``rel=next``, "Next", ``?page=n``, ``/page/n``)."""
    if not same_site(link.url, page_url) or link.url == page_url:
        return False
    if "next" in link.rel.split():
        return True
    parts = urlsplit(link.url)
    if _PAGINATION_QUERY.search(parts.query) or _PAGINATION_PATH.search(parts.path):
        return True
    return link.text.strip().lower() in _NEXT_WORDS


def parse_listing(body: bytes, url: str) -> Parsed:
    """Article links and pagination links of a section/listing page."""
    result = Parsed("page")
    seen: set[str] = set()
    for link in page_links(body, url):
        if link.url in seen:
            continue
        if is_article_url(link.url, url):
            seen.add(link.url)
            result.entries.append(Entry(link.url, link.text or None))
        elif is_pagination_link(link, url):
            seen.add(link.url)
            result.pages.append(link.url)
    return result

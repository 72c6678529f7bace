"""Discovery parsers (no reactor): feeds, sitemaps, listings, search answers, query conversion."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from monitor.config import config_from_dict
from monitor.crawl.discovery import (
    discover_feeds,
    is_article_url,
    parse_feed,
    parse_gdelt,
    parse_listing,
    parse_sitemap,
)
from monitor.crawl.search import search_url, to_search_query
from monitor.errors import ConfigError
from monitor.query import DEFAULT_QUERY
from tests.sites.hostile import LAUGHS, XXE_SITEMAP, _xxe_feed

BASE = "http://news.example.org"


def test_rss_and_atom_entries_with_dates() -> None:
    rss = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>A</title><link>/a/1</link><pubDate>Mon, 03 Mar 2025 10:00:00 GMT</pubDate>"
        b"</item></channel></rss>"
    )
    parsed = parse_feed(rss, f"{BASE}/feed/")
    assert parsed.error is None
    assert parsed.entries[0].url == f"{BASE}/a/1"
    assert parsed.entries[0].published_at == datetime(2025, 3, 3, 10, tzinfo=UTC)
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>B</title>'
        b'<link rel="alternate" href="https://x.example/b"/><updated>2025-03-04T00:00:00Z</updated>'
        b"</entry></feed>"
    )
    assert parse_feed(atom, f"{BASE}/atom").entries[0].url == "https://x.example/b"


def test_feed_attacks_and_garbage_are_errors() -> None:
    assert parse_feed(LAUGHS, BASE).error == "XML entity declarations refused"
    assert parse_feed(_xxe_feed("/x"), BASE).error == "XML entity declarations refused"
    broken = b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>x</titl>'
    assert "malformed XML" in (parse_feed(broken, BASE).error or "")
    assert parse_feed(b"<html><body>hi</body></html>", BASE).error


def test_cp1252_labelled_utf8_still_parses() -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>'
        "<item><title>Díaz-Canel – “visita”</title><link>http://a.example/1</link></item>"
        "</channel></rss>"
    ).encode("cp1252")
    parsed = parse_feed(body, BASE, "application/rss+xml; charset=utf-8")
    assert parsed.error is None and len(parsed.entries) == 1


def test_news_sitemap_index_and_gzip_bomb() -> None:
    news = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>http://a.example/1</loc>'
        b"<news:news><news:publication_date>2025-03-01T08:00:00+01:00</news:publication_date>"
        b"<news:title>Title one</news:title></news:news></url></urlset>"
    )
    parsed = parse_sitemap(gzip.compress(news), f"{BASE}/news.xml.gz")
    assert parsed.kind == "sitemap" and parsed.entries[0].title == "Title one"
    assert parsed.entries[0].published_at == datetime(2025, 3, 1, 7, tzinfo=UTC)
    index = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
        b"<loc>http://a.example/s1.xml</loc><lastmod>2025-01-01</lastmod></sitemap></sitemapindex>"
    )
    parsed = parse_sitemap(index, BASE)
    assert parsed.kind == "sitemapindex" and parsed.children[0].url == "http://a.example/s1.xml"
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    assert "too large" in (parse_sitemap(bomb, BASE, 100_000).error or "")
    assert parse_sitemap(XXE_SITEMAP, BASE).error == "XML entity declarations refused"
    assert parse_sitemap(b"<html></html>", BASE).error


def test_listing_links_feeds_and_gdelt() -> None:
    html = """<html><head><link rel="alternate" type="application/rss+xml" href="/feed/"></head>
    <body><a href="/category/world/">World</a><a href="/login/">Log in</a>
    <a href="/2025/03/01/russia-and-cuba-sign-deal/">Deal</a><a href="/news/12345678.html">Id</a>
    <a href="https://other.example/2025/03/01/some-story-here/">Elsewhere</a>
    <a href="/news/?page=2" rel="next">Next</a><a href="/img/photo.jpg">photo</a></body></html>"""
    parsed = parse_listing(html.encode(), f"{BASE}/news/")
    assert {e.url for e in parsed.entries} == {
        f"{BASE}/2025/03/01/russia-and-cuba-sign-deal/",
        f"{BASE}/news/12345678.html",
    }
    assert parsed.pages == [f"{BASE}/news/?page=2"]
    assert discover_feeds(html.encode(), BASE) == [f"{BASE}/feed/"]
    assert not is_article_url(f"{BASE}/tag/cuba/", BASE)
    gdelt = b'{"articles":[{"url":"http://a.example/x","title":"T","seendate":"20250301T101500Z"}]}'
    entry = parse_gdelt(gdelt).entries[0]
    assert entry.published_at == datetime(2025, 3, 1, 10, 15, tzinfo=UTC)
    assert parse_gdelt(b"not json").error


def test_query_conversion_keeps_and_or_quotes_and_drops_near_and_fields() -> None:
    query = 'title:(russia OR moscow) cuba -"mark cuban" (putin NEAR/5 havana)'
    assert to_search_query(query, "google_news") == (
        '(russia OR moscow) cuba -"mark cuban" (putin havana)'
    )
    assert " AND " in to_search_query(query, "bing_news")
    assert to_search_query("russia OR cuba", "gdelt") == "(russia OR cuba)"
    simplified = to_search_query(DEFAULT_QUERY, "google_news", language="ru", simplify=True)
    assert "куба" in simplified and "cuba" not in simplified and " -" not in simplified


def test_search_urls_and_overridable_base() -> None:
    config = config_from_dict(
        {
            "sources": [
                {"name": "g", "type": "google_news", "language": "es-419", "region": "CU"},
                {"name": "b", "type": "bing_news", "query": "rusia cuba"},
                {
                    "name": "d",
                    "type": "gdelt",
                    "feeds": ["http://127.0.0.5:1/api"],
                    "allow_private": True,
                },
            ]
        }
    )
    google = search_url(config.source("g"), config)
    assert google.startswith("https://news.google.com/rss/search?q=")
    assert "hl=es-419" in google and "gl=CU" in google and "ceid=CU%3Aes-419" in google
    bing = search_url(config.source("b"), config)
    assert bing.startswith("https://www.bing.com/news/search?q=rusia+AND+cuba&format=rss")
    gdelt = search_url(config.source("d"), config, base="http://127.0.0.5:1/api")
    assert gdelt.startswith("http://127.0.0.5:1/api?query=") and "timespan=3d" in gdelt


def test_private_source_without_allow_private_is_refused_at_config_load() -> None:
    with pytest.raises(ConfigError, match="allow_private"):
        config_from_dict({"sources": [{"name": "x", "feeds": ["http://127.0.0.2:8000/feed/"]}]})

"""Parsers and the query language under fuzzing: feeds, sitemaps, listings, the cleaner and
queries never raise anything but their own documented error, and deep nesting is one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.config import load_config
from monitor.crawl.discovery import (
    Parsed,
    discover_feeds,
    parse_feed,
    parse_listing,
    parse_sitemap,
)
from monitor.db.engine import Database
from monitor.db.migrate import upgrade
from monitor.errors import ConfigError
from monitor.extract import ExtractedArticle, Skipped, clean_page
from monitor.query import QuerySyntaxError, parse_query
from tests.faults.helpers import run_cli

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
URL = "https://news.example/feed"

_XML_PIECES = st.sampled_from(
    [
        "<?xml version='1.0'?>",
        "<rss version='2.0'>",
        "</rss>",
        "<channel>",
        "</channel>",
        "<item>",
        "</item>",
        "<title>Cuba</title>",
        "<link>https://news.example/a</link>",
        "<link>javascript:alert(1)</link>",
        "<pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate>",
        "<pubDate>not a date</pubDate>",
        "<feed xmlns='http://www.w3.org/2005/Atom'>",
        "</feed>",
        "<entry>",
        "</entry>",
        "<link href='/rel'/>",
        "<urlset>",
        "</urlset>",
        "<url>",
        "</url>",
        "<loc>https://news.example/s</loc>",
        "<loc>\x00</loc>",
        "<sitemapindex>",
        "<sitemap>",
        "</sitemap>",
        "<lastmod>2026-13-45</lastmod>",
        "<!DOCTYPE x>",
        "&amp;",
        "&bogus;",
        "<![CDATA[",
        "]]>",
        "<",
        ">",
        "\x1b[2J",
        "\ufffe",
        "<a href='/n/1'>x</a>",
        "<link rel='alternate' type='application/rss+xml' href='//x.example/f'>",
    ]
)
DOCUMENTS = st.one_of(
    st.binary(max_size=2000),
    st.lists(_XML_PIECES, max_size=40).map(lambda parts: "".join(parts).encode("utf-8")),
)


@FUZZ
@given(DOCUMENTS)
def test_feed_parser_never_raises(body: bytes) -> None:
    assert isinstance(parse_feed(body, URL, "application/rss+xml"), Parsed)


@FUZZ
@given(DOCUMENTS)
def test_listing_parsers_never_raise(body: bytes) -> None:
    assert isinstance(parse_listing(body, URL), Parsed)
    assert isinstance(discover_feeds(body, URL), list)


@FUZZ
@given(DOCUMENTS)
def test_sitemap_parser_never_raises(body: bytes) -> None:
    assert isinstance(parse_sitemap(body, URL, 1_000_000), Parsed)


def test_sitemap_of_one_nul_byte_is_a_parse_error() -> None:
    assert parse_sitemap(b"\x00", URL, 1_000_000).error


_HTML_PIECES = st.sampled_from(
    [
        "<html>",
        "</html>",
        "<head>",
        "<body>",
        "<article>",
        "</article>",
        "<p>",
        "</p>",
        "Russia and Cuba signed agreements on energy and trade in Havana. ",
        "<script>",
        "</script>",
        "<meta property='og:title' content='T\x1b]0;x\x07'>",
        "<h1>Cuba</h1>",
        '<script type=\'application/ld+json\'>{"@type":"NewsArticle","headline":',
        '"H\\u001b[31m"}',
        "<div>",
        "</div>",
        "<",
        "&#0;",
        "&#x1b;",
        "\x00",
        "<html/>",
    ]
)


@FUZZ
@given(st.lists(_HTML_PIECES, max_size=60).map("".join))
def test_cleaner_never_raises_and_stores_no_control_characters(html: str) -> None:
    result = clean_page(html, "https://news.example/a", min_body_chars=50)
    assert isinstance(result, ExtractedArticle | Skipped)
    if isinstance(result, ExtractedArticle):
        for value in (result.title, result.text, result.author or "", result.site_name or ""):
            assert "\x1b" not in value and "\x07" not in value


_QUERY_PIECES = st.sampled_from(
    [
        "cuba",
        "russ*",
        "AND",
        "OR",
        "NOT",
        "-",
        "(",
        ")",
        '"',
        '"a b"',
        "NEAR/3",
        "NEAR/x",
        "title:",
        "body:",
        "*",
        ":",
        " ",
        "díaz-canel",
        "\x00",
    ]
)


@FUZZ
@given(st.lists(_QUERY_PIECES, max_size=40).map(" ".join))
def test_query_parser_raises_only_syntax_errors(query: str) -> None:
    try:
        parse_query(query)
    except QuerySyntaxError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize(
    "query",
    [
        "NOT " * 3000 + "cuba",
        "-" * 3000 + "cuba",
        "title:" * 3000 + "cuba",
        "(" * 3000 + "a AND b)" + " AND c)" * 2999,
    ],
    ids=["3000-NOTs", "3000-minus", "3000-fields", "3000-nested-parens"],
)
def test_deep_queries_are_syntax_errors(query: str, tmp_path: Path) -> None:
    with pytest.raises(QuerySyntaxError, match="nested too deeply"):
        parse_query(query)
    path = tmp_path / "monitor.toml"
    path.write_text(f"[query]\nmatch = '{query}'\n")
    with pytest.raises(ConfigError, match="nested too deeply") as caught:
        load_config(path)
    assert "\n" not in str(caught.value)


def test_cli_deep_query_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "monitor.toml").write_text('[database]\nurl = "sqlite:///monitor.db"\n')
    db = Database(f"sqlite:///{tmp_path / 'monitor.db'}")
    upgrade(db)
    db.dispose()
    result = run_cli("query", "test", "NOT " * 3000 + "cuba", cwd=tmp_path)
    assert result.returncode == 2
    assert "RecursionError" not in result.stderr and "Traceback" not in result.stderr
    assert "nested too deeply" in result.stderr.splitlines()[0]

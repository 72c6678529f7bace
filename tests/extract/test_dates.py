"""Dates: each found with its method, preference order, conflicts, htmldate fallback."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from monitor.extract import DateFinding, DateMethod, ExtractedArticle, clean_page
from monitor.extract.dates import parse_date, resolve

BODY = "".join(
    f"<p>Paragraph {i}: the delegations from Moscow and Havana met again this week to discuss "
    f"fuel deliveries, tourism flights and a new credit line for the island's sugar mills.</p>"
    for i in range(6)
)


def page(head: str = "", body_extra: str = "", url_path: str = "") -> str:
    return (
        f"<html lang='en'><head><title>Talks resume</title>{head}</head><body>"
        f"<article><h1>Talks resume</h1>{body_extra}{BODY}</article></body></html>"
    )


def ld(**fields: str) -> str:
    node = {"@type": "NewsArticle", "headline": "Talks resume", **fields}
    return f"<script type='application/ld+json'>{json.dumps(node)}</script>"


def test_json_ld_published_and_modified_with_method() -> None:
    result = clean_page(
        page(ld(datePublished="2024-03-01T08:30:00+03:00", dateModified="2024-03-02T10:00:00Z"))
    )
    assert isinstance(result, ExtractedArticle)
    assert result.published_at == datetime(2024, 3, 1, 5, 30, tzinfo=UTC)
    assert result.published_method == DateMethod.JSON_LD
    assert result.modified_at == datetime(2024, 3, 2, 10, 0, tzinfo=UTC)
    assert not result.date_conflict


def test_meta_tag_date_when_no_json_ld() -> None:
    head = "<meta property='article:published_time' content='2024-03-01T08:30:00Z'>"
    result = clean_page(page(head))
    assert isinstance(result, ExtractedArticle)
    assert (result.published_at, result.published_method) == (
        datetime(2024, 3, 1, 8, 30, tzinfo=UTC),
        DateMethod.META,
    )


def test_feed_date_used_when_the_page_declares_none_and_conflict_flagged() -> None:
    listed = DateFinding(datetime(2024, 3, 1, 9, 0, tzinfo=UTC), DateMethod.FEED)
    result = clean_page(page(), listed_date=listed)
    assert isinstance(result, ExtractedArticle)
    assert result.published_method == DateMethod.FEED
    assert result.published_at == listed.value
    # The page says otherwise, by more than 36 hours: the page wins, the conflict is flagged.
    result = clean_page(page(ld(datePublished="2024-02-20T09:00:00Z")), listed_date=listed)
    assert isinstance(result, ExtractedArticle)
    assert result.published_method == DateMethod.JSON_LD
    assert result.published_at == datetime(2024, 2, 20, 9, 0, tzinfo=UTC)
    assert result.date_conflict
    # Within 36 hours: no conflict.
    result = clean_page(page(ld(datePublished="2024-03-01T20:00:00Z")), listed_date=listed)
    assert isinstance(result, ExtractedArticle) and not result.date_conflict


def test_news_sitemap_date_beats_feed_and_htmldate() -> None:
    news = DateFinding(datetime(2024, 3, 1, tzinfo=UTC), DateMethod.NEWS_SITEMAP)
    htmldate = DateFinding(datetime(2024, 3, 1, tzinfo=UTC), DateMethod.HTMLDATE)
    dates = resolve([htmldate], news)
    assert dates.published_method == DateMethod.NEWS_SITEMAP


def test_sitemap_lastmod_is_a_modification_not_a_publication() -> None:
    lastmod = DateFinding(datetime(2024, 3, 5, tzinfo=UTC), DateMethod.SITEMAP_LASTMOD)
    dates = resolve([DateFinding(datetime(2024, 3, 1, tzinfo=UTC), DateMethod.JSON_LD)], lastmod)
    assert dates.published_at == datetime(2024, 3, 1, tzinfo=UTC)
    assert (dates.modified_at, dates.modified_method) == (lastmod.value, lastmod.method)
    assert not dates.conflict


def test_htmldate_fallback_from_visible_text() -> None:
    result = clean_page(page(body_extra="<p class='date'>Published 2023-11-07</p>"))
    assert isinstance(result, ExtractedArticle)
    assert result.published_method == DateMethod.HTMLDATE
    assert result.published_at is not None and result.published_at.date().isoformat() == (
        "2023-11-07"
    )


def test_parse_date_forms_and_bounds() -> None:
    assert parse_date("2024-03-01") == datetime(2024, 3, 1, tzinfo=UTC)
    assert parse_date("Fri, 01 Mar 2024 10:00:00 MSK") == datetime(2024, 3, 1, 7, tzinfo=UTC)
    assert parse_date("1970-01-01T00:00:00Z") is None  # a template default
    assert parse_date("3024-01-01") is None
    assert parse_date("not a date") is None
    assert parse_date(None) is None

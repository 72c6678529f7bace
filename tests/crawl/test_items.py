"""The crawl's item hands the worker exactly the page fields the analysis takes."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

from monitor.crawl.items import ArticlePage, FetchKind
from monitor.processing import FetchedPage


def test_every_page_field_travels_from_the_item_by_name() -> None:
    when = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    item = ArticlePage(
        url="https://example.org/a",
        final_url="https://example.org/b",
        body=b"<html></html>",
        content_type="text/html; charset=utf-8",
        source_name="outlet",
        listed_title="Title",
        listed_published_at=when,
        listed_date_method="news_sitemap",
        discovered_from="https://example.org/feed",
        fetch=FetchKind.REFETCH,
        chain=["https://example.org/a"],
        etag='"v1"',
        last_modified="Tue, 01 Dec 2026 08:00:00 GMT",
        fetched_at=when,
        step=2,
    )
    page = item.to_fetched_page()
    assert isinstance(page, FetchedPage)
    for f in fields(FetchedPage):
        assert getattr(page, f.name) == getattr(item, f.name), f.name
    assert {f.name for f in fields(FetchedPage)} <= {f.name for f in fields(ArticlePage)}

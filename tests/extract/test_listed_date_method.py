"""The listing's date reaches the stored article with the method that found it."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.crawl.discovery import parse_sitemap
from monitor.demo.templates import news_sitemap, url_sitemap
from monitor.extract.dates import DateMethod
from monitor.processing import FetchedPage, analyze_page
from monitor.query.default import DEFAULT_QUERY

WHEN = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
PARAGRAPHS = [
    "Russian and Cuban officials met in Havana to sign a new agreement on fuel deliveries "
    "and the repair of power plants across the island, the ministry said on Tuesday.",
    "The deal between Moscow and Havana also covers wheat shipments and credit lines, and "
    "both sides said they would meet again before the end of the year to review progress.",
    "Analysts said the agreement deepens ties between Russia and Cuba at a time when the "
    "island faces long blackouts and a shortage of imported fuel.",
]


def _page_without_dates(url: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<html><head><title>Russia and Cuba sign fuel deal</title></head><body><article>"
        f"<h1>Russia and Cuba sign fuel deal</h1>{body}</article></body></html>"
    ).encode()


def test_sitemaps_say_how_their_dates_were_found() -> None:
    news = parse_sitemap(
        news_sitemap([("https://a.example/n", "T", WHEN, "en")], site="A").encode(),
        "https://a.example/news.xml",
    )
    plain = parse_sitemap(
        url_sitemap([("https://a.example/p", WHEN)]).encode(), "https://a.example/sitemap.xml"
    )
    assert [e.date_method for e in news.entries] == ["news_sitemap"]
    assert [e.date_method for e in plain.entries] == ["sitemap_lastmod"]


def test_the_method_of_the_listed_date_is_kept() -> None:
    url = "https://a.example/n"
    for method, published in (
        (DateMethod.NEWS_SITEMAP, DateMethod.NEWS_SITEMAP),
        (DateMethod.FEED, DateMethod.FEED),
        (None, DateMethod.FEED),
    ):
        page = FetchedPage(
            url,
            _page_without_dates(url),
            "a",
            listed_published_at=WHEN,
            listed_date_method=method,
        )
        article = analyze_page(page, DEFAULT_QUERY, relevance=None).article
        assert article is not None
        assert article.published_method == published, method
        assert article.published_at == WHEN


def test_a_sitemap_lastmod_is_a_modification_not_a_publication_date() -> None:
    url = "https://a.example/p"
    page = FetchedPage(
        url,
        _page_without_dates(url),
        "a",
        listed_published_at=WHEN,
        listed_date_method=DateMethod.SITEMAP_LASTMOD,
    )
    article = analyze_page(page, DEFAULT_QUERY, relevance=None).article
    assert article is not None
    assert article.published_method != DateMethod.SITEMAP_LASTMOD
    assert article.modified_at == WHEN

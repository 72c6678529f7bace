"""clean_page: skip reasons, hostile input handled without a crash, text-format rules."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest

from monitor.extract import (
    SKIP_REASONS,
    Access,
    ExtractedArticle,
    Skipped,
    SkipReason,
    clean_page,
    format_seed,
)
from monitor.extract import clean as clean_module

PARAGRAPHS = [
    "Russia and Cuba signed a new cooperation agreement on Tuesday in Havana, covering energy, "
    "transport and banking, officials from both governments said after the ceremony.",
    "The Russian deputy prime minister, who led the delegation, said Moscow would help "
    "modernise the island's power plants and supply fuel on preferential terms this year.",
    "Cuban officials said the agreements would ease the shortages that have hit the island, "
    "while critics warned they would deepen its dependence on a distant and sanctioned ally.",
    "Analysts in Miami and Madrid said the visit was the latest sign that the two old Cold War "
    "partners are rebuilding ties that had loosened after the collapse of the Soviet Union.",
]


def article_html(paragraphs: list[str], *, extra_head: str = "", extra_body: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<html lang='en'><head><title>Russia and Cuba sign deals</title>"
        f"<meta property='og:title' content='Russia and Cuba sign deals'>{extra_head}</head>"
        f"<body><nav><a href='/'>Home</a></nav><article><h1>Russia and Cuba sign deals</h1>"
        f"{body}{extra_body}</article><footer>Contact</footer></body></html>"
    )


def test_plain_article() -> None:
    result = clean_page(article_html(PARAGRAPHS), "https://example.com/a")
    assert isinstance(result, ExtractedArticle)
    assert result.title == "Russia and Cuba sign deals"
    assert result.paragraphs == PARAGRAPHS
    assert result.language == "en"
    assert not result.json_ld_body_used


def test_listing_page_is_index() -> None:
    items = "".join(
        f"<li><a href='/news/{i}'>Headline number {i} about Russia and Cuba relations</a>"
        f"<span>2 hours ago</span></li>"
        for i in range(60)
    )
    html = (
        "<html><head><title>World news</title><meta property='og:type' content='website'>"
        f"</head><body><nav><a href='/'>Home</a></nav><main><ul>{items}</ul></main></body></html>"
    )
    assert clean_page(html) == Skipped("index_page")


def test_paywall_teaser() -> None:
    html = article_html(
        PARAGRAPHS[:1],
        extra_body="<div class='paywall'><p>Subscribe to continue reading.</p>"
        "<p>Already a subscriber? <a href='/login'>Log in</a></p></div>",
    )
    result = clean_page(html)
    assert isinstance(result, ExtractedArticle)
    assert result.access == Access.PAYWALLED
    assert result.title == "Russia and Cuba sign deals"
    assert result.paragraphs == PARAGRAPHS[:1]  # the teaser, without the wall's prompts


def test_paywall_spanish_and_json_ld_flag() -> None:
    html = article_html(PARAGRAPHS[:1], extra_body="<p>Suscríbete para seguir leyendo</p>")
    result = clean_page(html)
    assert isinstance(result, ExtractedArticle) and result.access == "paywalled"
    assert result.paragraphs == PARAGRAPHS[:1]
    ld = {
        "@type": "NewsArticle",
        "headline": "Russia and Cuba sign deals",
        "isAccessibleForFree": "False",
    }
    html = article_html(
        PARAGRAPHS[:2],
        extra_head=f"<script type='application/ld+json'>{json.dumps(ld)}</script>",
    )
    result = clean_page(html)
    assert isinstance(result, ExtractedArticle) and result.access == Access.PAYWALLED
    assert result.paragraphs == PARAGRAPHS[:2]


def test_paywall_with_nothing_visible_keeps_headline_and_description() -> None:
    ld = {"@type": "NewsArticle", "headline": "Moscow and Havana sign an oil deal"}
    html = (
        "<html><head><title>Moscow and Havana sign an oil deal | Daily</title>"
        "<meta name='description' content='The deal covers fuel deliveries until 2030.'>"
        f"<script type='application/ld+json'>{json.dumps(ld)}</script></head><body>"
        "<h1>Moscow and Havana sign an oil deal</h1><div class='wall'>"
        "<p>Subscribe to continue reading.</p></div></body></html>"
    )
    result = clean_page(html)
    assert isinstance(result, ExtractedArticle)
    assert result.access == Access.PAYWALLED
    assert result.text == (
        "Moscow and Havana sign an oil deal\n\nThe deal covers fuel deliveries until 2030."
    )


def test_open_article_has_open_access() -> None:
    result = clean_page(article_html(PARAGRAPHS))
    assert isinstance(result, ExtractedArticle) and result.access == Access.OPEN


def test_consent_wall() -> None:
    html = (
        "<html><head><title>Before you continue</title></head><body><div class='consent'>"
        "<h1>Before you continue to Example</h1><p>We use cookies and data to deliver and "
        "maintain our services. We value your privacy.</p><button>Accept all</button>"
        "<button>Reject all</button></div></body></html>"
    )
    assert clean_page(html) == Skipped("consent_wall")


def test_consent_wall_over_an_article_keeps_it() -> None:
    head = (
        "<meta property='og:type' content='article'>"
        "<meta property='og:description' content='Russia and Cuba signed new deals.'>"
    )
    html = (
        "<html><head><title>Russia and Cuba sign deals</title>"
        f"<meta property='og:title' content='Russia and Cuba sign deals'>{head}</head><body>"
        "<div class='consent'><h2>Before you continue</h2><p>We use cookies and data to "
        "deliver and maintain our services. We value your privacy.</p>"
        "<button>Accept all</button></div></body></html>"
    )
    result = clean_page(html)
    assert isinstance(result, ExtractedArticle)
    assert result.access == Access.CONSENT_WALL
    assert result.text == "Russia and Cuba sign deals\n\nRussia and Cuba signed new deals."


def test_too_short() -> None:
    assert clean_page(article_html(PARAGRAPHS[:1])) == Skipped("too_short")
    result = clean_page(article_html(PARAGRAPHS[:1]), min_body_chars=50)
    assert isinstance(result, ExtractedArticle)


def test_png_bytes_are_not_html() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(200)
    assert clean_page(png, content_type="text/html") == Skipped("not_html")
    assert clean_page(b"<html></html>", content_type="image/png") == Skipped("not_html")


def test_empty_inputs() -> None:
    assert clean_page("") == Skipped("empty")
    assert clean_page(b"   ") == Skipped("empty")
    assert clean_page("<html><body>   </body></html>") == Skipped("empty")


def test_skip_reasons_vocabulary() -> None:
    assert {
        "not_html",
        "no_article",
        "too_short",
        "consent_wall",
        "index_page",
        "empty",
        "no_url",  # set by processing
    } == SKIP_REASONS
    assert all(isinstance(Skipped(r).reason, str) for r in SkipReason)


def test_news_article_that_looks_like_a_listing_is_kept() -> None:
    """Many links, short blocks: an index by its shape, but the page declares an article."""
    items = "".join(
        f"<li><a href='/news/{i}'>Headline number {i} about Russia and Cuba relations</a></li>"
        for i in range(60)
    )
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:3])
    ld = {
        "@type": "NewsArticle",
        "headline": "Russia and Cuba sign deals",
        "datePublished": "2024-05-02T10:00:00Z",
    }
    page = (
        "<html><head><title>Russia and Cuba sign deals</title>"
        f"<script type='application/ld+json'>{json.dumps(ld)}</script></head><body>"
        f"<nav><ul>{items}</ul></nav><article><h1>Russia and Cuba sign deals</h1>{body}"
        f"</article><aside><ul>{items}</ul></aside></body></html>"
    )
    result = clean_page(page)
    assert isinstance(result, ExtractedArticle), result
    assert result.paragraphs == PARAGRAPHS[:3]
    # The same page without the declaration is an index page (the shape rule still works).
    bare = page.replace(json.dumps(ld), "{}")
    assert clean_page(bare) == Skipped("index_page")
    # A bare publication date in the meta tags is enough too.
    dated = bare.replace(
        "</head>", "<meta property='article:published_time' content='2024-05-02'></head>"
    )
    assert isinstance(clean_page(dated), ExtractedArticle)


def test_json_ld_body_rescues_poor_extraction() -> None:
    body = "\n\n".join(PARAGRAPHS)
    ld = {
        "@context": "https://schema.org",
        "@graph": [{"@type": ["ReportageNewsArticle"], "headline": "Deals", "articleBody": body}],
    }
    html = (
        "<html><head><title>Deals</title>"
        f"<script type='application/ld+json'>{json.dumps(ld)}</script></head>"
        "<body><div id='app'><p>Loading…</p></div></body></html>"
    )
    result = clean_page(html)
    assert isinstance(result, ExtractedArticle)
    assert result.json_ld_body_used
    assert result.paragraphs == PARAGRAPHS


def test_bytes_cp1252_labelled_utf8() -> None:
    paragraphs = [p.replace("Havana", "La Habana “Peña”") for p in PARAGRAPHS]
    result = clean_page(
        article_html(paragraphs).encode("cp1252"), content_type="text/html; charset=utf-8"
    )
    assert isinstance(result, ExtractedArticle)
    assert "La Habana “Peña”" in result.body


# ----------------------------------------------------------------- hostile input


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Any:
    """clean_page, failing the test if the extractor itself raised: clean_page's last-resort
    catch turns any crash into ``Skipped("no_article")``, which would hide it. A hang is caught
    by the timeout mark, not by a wall-clock assertion (speed is measured in bench/)."""
    original = clean_module._extract
    crashes: list[BaseException] = []

    def watched(*args: Any) -> ExtractedArticle | Skipped:
        try:
            return original(*args)
        except Exception as exc:
            crashes.append(exc)
            raise

    monkeypatch.setattr(clean_module, "_extract", watched)

    def clean(html: str | bytes) -> ExtractedArticle | Skipped:
        result = clean_page(html)
        assert crashes == [], crashes
        return result

    return clean


@pytest.mark.timeout(60)
def test_deep_nesting(hostile: Any) -> None:
    html = "<html><body>" + "<div>" * 10_000 + "<p>deep</p>" + "</div>" * 10_000 + "</body></html>"
    assert hostile(html) == Skipped("empty")


@pytest.mark.timeout(60)
def test_huge_text(hostile: Any) -> None:
    words = "Russia Cuba Havana Moscow agreement energy oil " * 20 + ". "
    html = "<html><body><article>" + f"<p>{words}</p>" * (5_000_000 // (len(words) + 7))
    result = hostile(html + "</article></body></html>")
    assert isinstance(result, ExtractedArticle)
    assert words.strip() in result.body and len(result.body) <= clean_module.MAX_HTML_CHARS


@pytest.mark.timeout(60)
def test_huge_attribute_and_unclosed_tags(hostile: Any) -> None:
    html = "<html><body><div class='" + "x" * 5_000_000 + "'>" + "<p><b><i>" * 2000 + "text"
    assert hostile(html) == Skipped("empty")


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<", "no_article"),
        ("<<<>>>", "no_article"),
        ("<html", "no_article"),
        ("\x00\x01<p>", "not_html"),
        ("<?xml version='1.0'?><a/>", "no_article"),
        ("<!---->", "no_article"),
    ],
)
def test_garbage_is_skipped_with_a_reason(hostile: Any, html: str, reason: str) -> None:
    assert hostile(html) == Skipped(reason)  # type: ignore[arg-type]


# ----------------------------------------------------------------- text format


def test_format_seed_rules() -> None:
    text = format_seed(
        "  Title\u00a0with   spaces \r\n",
        ["Cafe\u0301 one  ", "", "  \n ", "line\r\nbreak\tand\u200b tab", "last"],
    )
    assert text == "Title with spaces\n\nCafé one\n\nline break and tab\n\nlast"
    assert unicodedata.is_normalized("NFC", text)
    assert "\r" not in text
    assert "\n\n\n" not in text
    assert not text.endswith("\n")
    assert all(line == line.rstrip() for line in text.split("\n"))


def test_format_seed_without_title() -> None:
    assert format_seed("", ["a", "b"]) == "a\n\nb"
    assert format_seed("t", []) == "t"


def test_text_property_matches_format() -> None:
    result = clean_page(article_html(PARAGRAPHS))
    assert isinstance(result, ExtractedArticle)
    assert result.text == "Russia and Cuba sign deals\n\n" + "\n\n".join(PARAGRAPHS)
    lines = result.text.split("\n")
    assert lines[0] == result.title and lines[1] == ""
    assert "\n\n\n" not in result.text and not result.text.endswith("\n")


def _chunked_html(first: list[str], second: list[str], second_extra: str = "") -> str:
    def chunk(paragraphs: list[str], extra: str = "") -> str:
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        return (
            "<div class='grid'><div class='body article__body'>"
            f"{extra}{body}</div><aside class='rail'><div class='ad'>Advertisement</div>"
            "</aside></div>"
        )

    return (
        "<html lang='en'><head><title>Russia and Cuba sign deals</title></head><body>"
        "<nav><a href='/'>Home</a></nav><main><h1>Russia and Cuba sign deals</h1>"
        f"<div class='chunks'>{chunk(first)}<div class='ad-wide'>Advertisement</div>"
        f"{chunk(second, second_extra)}</div></main><footer>Contact</footer></body></html>"
    )


SECOND_HALF = [
    "Opposition groups abroad questioned whether any of the promised investment would ever "
    "materialise, pointing to earlier pledges from Moscow that quietly lapsed within months.",
    "Shipping data showed two tankers already heading west across the Atlantic, a sign that "
    "at least the first fuel deliveries may arrive before the peak of the hurricane season.",
    "Neither government published the full text of the deals, and diplomats in Washington "
    "said they were studying reports of a possible military component with some concern.",
]


def test_article_split_into_repeated_containers_is_joined() -> None:
    result = clean_page(_chunked_html(PARAGRAPHS, SECOND_HALF))
    assert isinstance(result, ExtractedArticle)
    assert result.paragraphs == PARAGRAPHS + SECOND_HALF


def test_next_article_in_same_container_class_is_not_joined() -> None:
    html = _chunked_html(PARAGRAPHS, SECOND_HALF, second_extra="<h1>Another story about Chile</h1>")
    result = clean_page(html)
    assert isinstance(result, ExtractedArticle)
    assert result.paragraphs == PARAGRAPHS


def test_inline_hover_card_is_dropped_but_the_name_stays() -> None:
    card = (
        "<span class='person'><a href='/people/jane-doe'>Jane Doe</a><span class='card'>"
        "<span><img src='/jane.jpg' alt=''><a href='/people/jane-doe'>Jane Doe</a>"
        "<a href='/news/1'>Senators call for new security coordinator</a></span></span></span>"
    )
    first = PARAGRAPHS[0].replace("officials from", f"officials including {card} from")
    result = clean_page(article_html([first, *PARAGRAPHS[1:]]))
    assert isinstance(result, ExtractedArticle)
    assert result.paragraphs[0] == PARAGRAPHS[0].replace(
        "officials from", "officials including Jane Doe from"
    )
    assert "Senators" not in result.body


def test_characters_invalid_in_xml_are_dropped() -> None:
    first = PARAGRAPHS[0].replace("Tuesday", "Tues\x0bday\ufffe")
    result = clean_page("<!DOCTYPE html>\n" + article_html([first, *PARAGRAPHS[1:]]))
    assert isinstance(result, ExtractedArticle)
    assert result.paragraphs == PARAGRAPHS

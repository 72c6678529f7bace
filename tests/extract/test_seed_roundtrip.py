"""Seeds rendered into realistic page templates must come back clean (token F1 >= 0.95)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.extract import ExtractedArticle, clean_page
from monitor.extract.evaluate import token_f1

from .conftest import Seed
from .templates import CANONICAL_URL, PAGE_URL, TEMPLATE_BOILERPLATE, TEMPLATES


def _seed_text(seed: Seed) -> str:
    """The expected clean text, straight from the seed file (already in seed format), so the
    oracle does not share the cleaner's own formatting code."""
    return "\n\n".join([seed.title, *seed.paragraphs])


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_seed_round_trip(seed: Seed, template: str) -> None:
    html = TEMPLATES[template](seed.title, seed.paragraphs, seed.tail)
    result = clean_page(html, PAGE_URL)
    assert isinstance(result, ExtractedArticle), result
    assert result.title == seed.title
    assert token_f1(result.text, _seed_text(seed)) >= 0.95
    for boilerplate in (*TEMPLATE_BOILERPLATE, *seed.tail):
        assert boilerplate not in result.text, boilerplate


def test_wordpress_paragraph_boundaries(seed: Seed) -> None:
    html = TEMPLATES["wordpress"](seed.title, seed.paragraphs, seed.tail)
    result = clean_page(html, PAGE_URL)
    assert isinstance(result, ExtractedArticle)
    assert result.paragraphs == seed.paragraphs
    assert result.text == _seed_text(seed)


def test_newspaper_metadata(seed: Seed) -> None:
    html = TEMPLATES["newspaper"](seed.title, seed.paragraphs, seed.tail).encode("utf-8")
    result = clean_page(html, PAGE_URL, content_type="text/html; charset=utf-8")
    assert isinstance(result, ExtractedArticle)
    assert result.author == "Ana Pérez"
    assert result.published_at == datetime(2023, 5, 4, 14, 0, tzinfo=UTC)
    assert result.site_name == "The Example Times"
    assert result.language == "en"
    assert result.canonical_url == CANONICAL_URL
    assert result.description == "Russia and Cuba deepen their relationship."


def test_amp_canonical(seed: Seed) -> None:
    html = TEMPLATES["amp"](seed.title, seed.paragraphs, seed.tail)
    result = clean_page(html, "https://news.example.com/amp/russia-cuba-ties")
    assert isinstance(result, ExtractedArticle)
    assert result.canonical_url == CANONICAL_URL
    assert result.published_at == datetime(2023, 5, 4, 14, 0, tzinfo=UTC)
    assert result.author == "Ana Pérez"

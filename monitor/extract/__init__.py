"""Cleaning stage: HTML page -> clean article text in the seed format (no Scrapy here).

Public API::

    clean_page(html, url=None, *, content_type=None, min_body_chars=400,
               templates=None, listed_date=None) -> ExtractedArticle | Skipped
    parse_page(html, content_type=None) -> ParsedPage | Skipped  (parse once, clean later)
    Access, SkipReason, Fault (outcomes), DateMethod, DateFinding (dates), TemplateSet (templates)
    decode_html(body, content_type_header) -> str
    looks_like_html(body) -> bool
    format_seed(title, paragraphs) -> str
"""

from .clean import (
    SKIP_REASONS,
    ExtractedArticle,
    ParsedPage,
    Skipped,
    clean_page,
    format_seed,
    normalize_paragraph,
    parse_page,
)
from .dates import ArticleDates, DateFinding, DateMethod
from .decode import decode_html, looks_like_html
from .metadata import PageMetadata, extract_page_metadata
from .outcomes import Access, Fault, SkipReason
from .templates import TemplateSet

__all__ = [
    "SKIP_REASONS",
    "Access",
    "ArticleDates",
    "DateFinding",
    "DateMethod",
    "ExtractedArticle",
    "Fault",
    "PageMetadata",
    "ParsedPage",
    "SkipReason",
    "Skipped",
    "TemplateSet",
    "clean_page",
    "decode_html",
    "extract_page_metadata",
    "format_seed",
    "looks_like_html",
    "normalize_paragraph",
    "parse_page",
]

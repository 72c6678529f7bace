"""The cleaner's vocabulary: how a page can be read (:class:`Access`) and why it yields nothing
(:class:`SkipReason`). A leaf module (no imports from ``monitor``), so processing, the database
layer and the CLI can all use the one list without import cycles.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Access", "SkipReason"]


class Access(StrEnum):
    """What of an article the page lets a reader see."""

    OPEN = "open"
    PAYWALLED = "paywalled"  # headline and teaser only, the rest behind a subscription
    CONSENT_WALL = "consent_wall"  # a cookie/consent dialog in place of (most of) the text


class SkipReason(StrEnum):
    """Why a fetched page yields no article (counted per reason in the crawl summary)."""

    NOT_HTML = "not_html"
    EMPTY = "empty"
    NO_ARTICLE = "no_article"
    TOO_SHORT = "too_short"
    INDEX_PAGE = "index_page"
    # A consent dialog with no article declared behind it (with one, the page is kept with
    # ``access=consent_wall``).
    CONSENT_WALL = "consent_wall"
    # Set by processing, not the cleaner: no canonical URL could be formed for the page.
    NO_URL = "no_url"

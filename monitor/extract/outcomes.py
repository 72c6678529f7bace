"""The cleaner's vocabulary: how a page can be read (:class:`Access`), why it yields nothing
(:class:`SkipReason`), and which optional step failed on a page that was still processed
(:class:`Fault`). A leaf module (no imports from ``monitor``), so processing, the database
layer and the CLI can all use the one list without import cycles.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Access", "Fault", "SkipReason"]


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


class Fault(StrEnum):
    """An optional step that failed unexpectedly on a page the pipeline still processed: logged
    with its traceback where it happened and counted per crawl (``monitor/faults/<fault>``)."""

    DECODE = "decode"  # a decoder raised: the page was read as UTF-8 with replacements
    HTMLDATE = "htmldate"  # htmldate's date guess raised: the page has no guessed date
    PRECHECK = "precheck"  # the query pre-check raised: the page took the full path
    PROGRESS = "progress"  # the caller's progress callback raised (the crawl went on)
    RECLEAN = "reclean"  # re-cleaning a source's articles after a new template failed

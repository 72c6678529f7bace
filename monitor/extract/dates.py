"""Article dates from every source we have, each with the method that found it.

Sources, in order of preference for the publication date: the publisher's JSON-LD
(``datePublished``/``dateModified``), its ``<meta>`` declarations (``article:published_time``
and kin), the news sitemap's ``news:publication_date``, the feed entry's date, and htmldate
(``original_date=True``) as a last resort. The time we first saw a page is not a finding: the
store keeps ``first_seen_at`` apart. Findings that disagree by more than
:data:`CONFLICT_AFTER` are flagged as a conflict (the preferred one still wins).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from dateutil import parser as date_parser
from lxml.html import HtmlElement

from .outcomes import Fault

__all__ = [
    "CONFLICT_AFTER",
    "ArticleDates",
    "DateFinding",
    "DateMethod",
    "meta_findings",
    "parse_date",
    "resolve",
]

log = logging.getLogger(__name__)

CONFLICT_AFTER = timedelta(hours=36)
DateKind = Literal["published", "modified"]


class DateMethod(StrEnum):
    """Where a date came from."""

    JSON_LD = "json_ld"
    META = "meta"
    NEWS_SITEMAP = "news_sitemap"
    FEED = "feed"
    SITEMAP_LASTMOD = "sitemap_lastmod"
    HTMLDATE = "htmldate"


_PREFERENCE = (
    DateMethod.JSON_LD,
    DateMethod.META,
    DateMethod.NEWS_SITEMAP,
    DateMethod.FEED,
    DateMethod.HTMLDATE,
)


@dataclass(frozen=True)
class DateFinding:
    """One date and how it was found."""

    value: datetime
    method: DateMethod
    kind: DateKind = "published"


@dataclass(frozen=True)
class ArticleDates:
    """The chosen publication and modification dates, their methods, and all findings."""

    published_at: datetime | None = None
    published_method: DateMethod | None = None
    modified_at: datetime | None = None
    modified_method: DateMethod | None = None
    findings: tuple[DateFinding, ...] = field(default=())
    conflict: bool = False


# dateutil knows only UTC/GMT/Z by name; news pages also print these zone abbreviations.
# (No library maps them: abbreviations are ambiguous in general, these are the news usages.)
_TZ_ABBREVIATIONS: dict[str, int] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "BST": 3600,
    "CET": 3600,
    "CEST": 7200,
    "MSK": 10800,
    "EST": -18000,
    "EDT": -14400,
    "CST": -21600,
    "CDT": -18000,
    "MST": -25200,
    "MDT": -21600,
    "PST": -28800,
    "PDT": -25200,
    "IST": 19800,
    "JST": 32400,
}
# A date outside this range is a template default or a typo, not a publication date.
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=2)


def parse_date(value: object, *, now: datetime | None = None) -> datetime | None:
    """An ISO 8601 (stdlib) or free-form (dateutil) date string as aware UTC, else None.

    Naive values are taken as UTC; dates before 1990 or more than two days ahead are refused.
    """
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif isinstance(value, str) and value.strip():
        text = " ".join(value.split())
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    parsed = date_parser.parse(text, tzinfos=_TZ_ABBREVIATIONS)
            except (ValueError, OverflowError):
                return None
    else:
        return None
    assert parsed is not None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    latest = (now or datetime.now(UTC)) + _FUTURE_SLACK
    return parsed if _EARLIEST <= parsed <= latest else None


_META_PUBLISHED = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "date",
    "dc.date.issued",
    "dc.date",
    "pubdate",
)
_META_MODIFIED = ("article:modified_time", "og:updated_time", "datemodified", "last-modified")


def meta_findings(ld: Mapping[str, Any] | None, tags: Mapping[str, str]) -> list[DateFinding]:
    """Findings from the article's JSON-LD node and the page's ``<meta>`` tags."""
    findings: list[DateFinding] = []

    def add(values: Iterable[object], method: DateMethod, kind: DateKind) -> None:
        for value in values:
            parsed = parse_date(value)
            if parsed is not None:
                findings.append(DateFinding(parsed, method, kind))
                return

    if ld:
        add((ld.get("datePublished"), ld.get("dateCreated")), DateMethod.JSON_LD, "published")
        add((ld.get("dateModified"),), DateMethod.JSON_LD, "modified")
    add((tags.get(k) for k in _META_PUBLISHED), DateMethod.META, "published")
    add((tags.get(k) for k in _META_MODIFIED), DateMethod.META, "modified")
    return findings


def htmldate_finding(tree: HtmlElement, url: str | None) -> DateFinding | Fault | None:
    """htmldate's guess of the original publication date (fast mode), or None.

    ``Fault.HTMLDATE`` when htmldate raised (logged with its traceback): the guess is optional,
    so the page goes on without it, and the caller counts the fault.
    """
    from htmldate import find_date

    try:
        found = find_date(tree, extensive_search=False, original_date=True, url=url)
    except Exception:  # boundary: htmldate raises assorted errors on odd pages; counted
        log.warning("htmldate failed on %s", url, exc_info=True)
        return Fault.HTMLDATE
    parsed = parse_date(found) if found else None
    return DateFinding(parsed, DateMethod.HTMLDATE) if parsed else None


def _pick(findings: list[DateFinding], kind: DateKind) -> DateFinding | None:
    ranked = [f for f in findings if f.kind == kind and f.method in _PREFERENCE]
    ranked.sort(key=lambda f: _PREFERENCE.index(f.method))
    return ranked[0] if ranked else None


def resolve(findings: Iterable[DateFinding], listed: DateFinding | None = None) -> ArticleDates:
    """Choose the publication and modification dates; flag disagreeing publication dates.

    ``listed`` is what the feed or sitemap said (method FEED, NEWS_SITEMAP or
    SITEMAP_LASTMOD; a lastmod counts as a modification date, never as publication).
    """
    found = list(findings)
    if listed is not None:
        kind: DateKind = "modified" if listed.method is DateMethod.SITEMAP_LASTMOD else listed.kind
        found.append(DateFinding(listed.value, listed.method, kind))
    published = _pick(found, "published")
    modified = _pick(found, "modified") or next((f for f in found if f.kind == "modified"), None)
    conflict = published is not None and any(
        f.kind == "published"
        and f.method is not DateMethod.HTMLDATE
        and abs(f.value - published.value) > CONFLICT_AFTER
        for f in found
    )
    if modified is not None and published is not None and modified.value < published.value:
        modified = None  # a "modified" before publication is a template default
    return ArticleDates(
        published_at=published.value if published else None,
        published_method=published.method if published else None,
        modified_at=modified.value if modified else None,
        modified_method=modified.method if modified else None,
        findings=tuple(found),
        conflict=conflict,
    )

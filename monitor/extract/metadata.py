"""Page metadata from an lxml tree: JSON-LD, ``<meta>`` tags, ``<link rel=canonical>``, dates.

Cheap on purpose (a handful of XPath lookups): trafilatura's own metadata pass costs more
than its content extraction, so we read the publisher's declarations directly. Dates go
through :mod:`.dates` (JSON-LD and meta findings; htmldate only when the page declares none).
"""

from __future__ import annotations

import html as html_lib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from .dates import ArticleDates, DateFinding, htmldate_finding, meta_findings, resolve
from .outcomes import Fault

__all__ = [
    "ARTICLE_TYPES",
    "PageMetadata",
    "article_json_ld",
    "extract_page_metadata",
    "guess_language",
    "iter_json_ld",
]

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "SocialMediaPosting",
        "Report",
        "ScholarlyArticle",
        "TechArticle",
    }
)
_MAX_JSON_LD_CHARS = 2_000_000
_MAX_JSON_LD_SCRIPTS = 50
_MAX_JSON_LD_NODES = 500
_WS_RE = re.compile(r"\s+")
_TITLE_SEPARATORS = (" | ", " – ", " — ", " - ", " :: ", " « ", " » ", " · ")
_LANG_RE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_].*)?$")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A few very frequent function words per language for pages that declare no language.
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words("the of and to in is that for with was on as by from has have"),
    "es": _words("el la los las de del que y en un una por con para se es su al"),
    "ru": _words("и в не на что с по как это из к для он о от же"),
    "pt": _words("o a os as de do da que e em um uma para com não se por"),
    "fr": _words("le la les des du et en un une est que pour dans qui pas sur"),
    "de": _words("der die das und ist nicht mit den von zu des sich auf für"),
}


@dataclass(frozen=True)
class PageMetadata:
    """Everything we read from the page apart from the body text."""

    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    site_name: str | None = None
    language: str | None = None
    canonical_url: str | None = None
    description: str | None = None
    og_type: str | None = None
    json_ld_body: str | None = None
    accessible_for_free: bool | None = None
    # The page declares itself an article (JSON-LD Article type or og:type=article).
    declares_article: bool = False
    date_findings: tuple[DateFinding, ...] = ()
    faults: tuple[Fault, ...] = ()  # optional steps that failed (logged; counted by the crawl)

    def dates(self, listed: DateFinding | None = None) -> ArticleDates:
        """Publication/modification dates from the page's findings and the listing's date."""
        return resolve(self.date_findings, listed)


def _clean(value: object) -> str | None:
    """Collapse whitespace, unescape entities; None for empty or non-string values."""
    if not isinstance(value, str):
        return None
    text = _WS_RE.sub(" ", html_lib.unescape(value)).strip()
    return unicodedata.normalize("NFC", text) or None


def iter_json_ld(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Yield the JSON-LD objects of the page, flattening lists, ``@graph`` and ``mainEntity``."""
    scripts = tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]')
    stack: list[Any] = []
    for script in scripts[:_MAX_JSON_LD_SCRIPTS]:
        raw = script.text or ""
        if not raw.strip() or len(raw) > _MAX_JSON_LD_CHARS:
            continue
        try:
            stack.append(json.loads(raw.strip().removesuffix(";"), strict=False))
        except (ValueError, RecursionError):
            continue
    seen = 0
    while stack and seen < _MAX_JSON_LD_NODES:
        node = stack.pop(0)
        seen += 1
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            yield node
            for key in ("@graph", "mainEntity", "mainEntityOfPage"):
                child = node.get(key)
                if isinstance(child, (dict, list)):
                    stack.append(child)


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type")
    items = value if isinstance(value, list) else [value]
    return {t.rsplit("/", 1)[-1] for t in items if isinstance(t, str)}


def article_json_ld(nodes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Return the article node (preferring one with ``articleBody``), or None."""
    articles = [n for n in nodes if _types(n) & ARTICLE_TYPES]
    for node in articles:
        if isinstance(node.get("articleBody"), str) and node["articleBody"].strip():
            return node
    return articles[0] if articles else None


def _names(value: Any) -> list[str]:
    """Names from a schema.org Person/Organization value (string, dict or list of those)."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items[:10]:
        name = item.get("name") if isinstance(item, dict) else item
        cleaned = _clean(name)
        if cleaned and not cleaned.startswith(("http://", "https://")) and cleaned not in names:
            names.append(cleaned)
    return names


def _meta_tags(tree: HtmlElement) -> dict[str, str]:
    """``<meta>`` name/property/itemprop -> content, first occurrence wins, keys lower-cased."""
    tags: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = _clean(meta.get("content"))
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = meta.get(attr)
            if key:
                tags.setdefault(key.strip().lower(), content)
    return tags


def _first(*values: object) -> str | None:
    for value in values:
        cleaned = _clean(value)
        if cleaned:
            return cleaned
    return None


def _strip_site_suffix(title: str, site_name: str | None) -> str:
    """Drop a " | Site Name" style suffix or prefix from a title."""
    for sep in _TITLE_SEPARATORS:
        if sep not in title:
            continue
        head, _, tail = title.rpartition(sep)
        first, _, rest = title.partition(sep)
        site = (site_name or "").casefold()
        if site and (tail.casefold() == site or site in tail.casefold()) and head:
            return head.strip()
        if site and (first.casefold() == site) and rest:
            return rest.strip()
    return title


def _absolute_http(href: str | None, base: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    try:
        absolute = urljoin(base, href) if base else href
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return absolute


def _language(tree: HtmlElement, tags: dict[str, str], ld: dict[str, Any] | None) -> str | None:
    candidates = [
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        tags.get("content-language"),
        tags.get("og:locale"),
        tags.get("language"),
        ld.get("inLanguage") if ld else None,
    ]
    for value in candidates:
        if not isinstance(value, str):
            continue
        match = _LANG_RE.match(value.strip())
        if match and len(match.group(1)) == 2:
            return match.group(1).lower()
    return None


def guess_language(text: str) -> str | None:
    """Guess an ISO 639-1 code from stop-word counts (en/es/ru/pt/fr/de), None if unsure."""
    words = re.findall(r"\w+", text[:5000].lower())
    if len(words) < 20:
        return None
    scores = {lang: sum(1 for w in words if w in stop) for lang, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] >= max(3, len(words) // 20) else None


def extract_page_metadata(
    tree: HtmlElement, url: str | None, json_ld: list[dict[str, Any]] | None = None
) -> PageMetadata:
    """Read title, author, date, site, language, canonical URL and JSON-LD body from a tree."""
    nodes = json_ld if json_ld is not None else list(iter_json_ld(tree))
    ld = article_json_ld(nodes)
    tags = _meta_tags(tree)
    publisher = ld.get("publisher") if ld else None
    website = next((n for n in nodes if "WebSite" in _types(n)), None)
    site_name = _first(
        tags.get("og:site_name"),
        _names(publisher)[0] if _names(publisher) else None,
        website.get("name") if website else None,
        tags.get("application-name"),
    )

    h1s = tree.xpath("//h1")
    h1 = _clean(h1s[0].text_content()) if len(h1s) == 1 else None
    title_el = tree.find(".//title")
    title_tag = _clean(title_el.text_content()) if title_el is not None else None
    title = _first(
        ld.get("headline") if ld else None,
        tags.get("og:title"),
        tags.get("twitter:title"),
        h1,
        title_tag,
    )
    if title:
        title = _strip_site_suffix(title, site_name)

    authors = _names(ld.get("author")) if ld else []
    if not authors:
        meta_author = _first(tags.get("author"), tags.get("article:author"), tags.get("byl"))
        if meta_author and not meta_author.startswith(("http://", "https://")):
            authors = [meta_author.removeprefix("By ").removeprefix("by ")]

    findings = meta_findings(ld, tags)
    faults: tuple[Fault, ...] = ()
    if not any(f.kind == "published" for f in findings):
        guessed = htmldate_finding(tree, url)
        if isinstance(guessed, Fault):
            faults = (guessed,)
        elif guessed is not None:
            findings.append(guessed)
    published = resolve(findings).published_at

    canonical = None
    for link in tree.xpath(
        '//link[@href][contains(concat(" ", normalize-space(@rel), " "), " canonical ")]'
    ):
        canonical = _absolute_http(link.get("href"), url)
        if canonical:
            break
    if canonical is None:
        canonical = _absolute_http(tags.get("og:url"), url)

    body = ld.get("articleBody") if ld else None
    free = ld.get("isAccessibleForFree") if ld else None
    if isinstance(free, str):
        free = {"true": True, "false": False}.get(free.strip().lower())
    return PageMetadata(
        title=title,
        author=", ".join(authors) if authors else None,
        published_at=published,
        site_name=site_name,
        language=_language(tree, tags, ld),
        canonical_url=canonical,
        description=_first(
            tags.get("description"),
            tags.get("og:description"),
            ld.get("description") if ld else None,
        ),
        og_type=tags.get("og:type"),
        json_ld_body=body if isinstance(body, str) and body.strip() else None,
        accessible_for_free=free if isinstance(free, bool) else None,
        declares_article=ld is not None or (tags.get("og:type") or "").lower() == "article",
        date_findings=tuple(findings),
        faults=faults,
    )

"""Query-driven discovery: our query language → news-search engines' keyword syntax and URLs.

Search engines take plain keywords: AND (implicit), OR, "phrases" and ``-exclusions``. ``NEAR/n``
becomes AND, field scopes (``title:``) are dropped, prefixes lose their ``*``. The default
query is long; ``simplify=True`` keeps only terms in the source language's script and drops
exclusions so the URL stays within the engines' limits.
"""

from __future__ import annotations

import math
import re
from typing import Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

from monitor.config import MonitorConfig, SourceConfig
from monitor.query import parse_query
from monitor.query.nodes import And, Field, Near, Node, Not, Or, Phrase, Prefix, Term

Engine = Literal["google_news", "bing_news", "gdelt"]

GOOGLE_NEWS_URL = "https://news.google.com/rss/search"
BING_NEWS_URL = "https://www.bing.com/news/search"
GDELT_URL = "https://api.gdeltproject.org/api/v2/doc/doc"

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _leaf_text(node: Term | Prefix | Phrase) -> str:
    if isinstance(node, Phrase):
        words = (node.text or " ".join(node.words)).replace("*", "").replace('"', "")
        return f'"{words}"'
    if isinstance(node, Prefix):
        return (node.text or node.stem).rstrip("*")
    text = node.text or node.word
    return f'"{text.replace("-", " ")}"' if "-" in text else text


def _keep(node: Node, language: str | None) -> bool:
    if language is None:
        return True
    text = str(node)
    cyrillic = bool(_CYRILLIC.search(text))
    return cyrillic if language.lower().startswith(("ru", "uk", "be")) else not cyrillic


def _convert(node: Node, engine: Engine, language: str | None, simplify: bool) -> str | None:
    if isinstance(node, Term | Prefix | Phrase):
        return _leaf_text(node) if _keep(node, language) else None
    if isinstance(node, Field):
        return _convert(node.child, engine, language, simplify)
    if isinstance(node, Near):
        return _convert(And((node.left, node.right)), engine, language, simplify)
    if isinstance(node, Not):
        if simplify or not isinstance(node.child, Term | Phrase):
            return None
        inner = _leaf_text(node.child)
        return f"-{inner}"
    parts = [p for p in (_convert(c, engine, language, simplify) for c in node.children) if p]
    parts = list(dict.fromkeys(parts))
    if not parts:
        return None
    if isinstance(node, Or):
        positive = [p for p in parts if not p.startswith("-")]
        if not positive:
            return None
        return positive[0] if len(positive) == 1 else "(" + " OR ".join(positive) + ")"
    if all(p.startswith("-") for p in parts):
        return None
    joiner = " AND " if engine == "bing_news" else " "
    return parts[0] if len(parts) == 1 else "(" + joiner.join(parts) + ")"


def to_search_query(
    source: str, engine: Engine, *, language: str | None = None, simplify: bool = False
) -> str:
    """Convert one of our queries to ``engine``'s keyword syntax (raises QuerySyntaxError)."""
    root = parse_query(source)
    converted = _convert(root, engine, language if simplify else None, simplify)
    if converted is None and simplify:
        converted = _convert(root, engine, None, True)
    text = converted or ""
    keep_parens = engine == "gdelt" and isinstance(root, Or)  # GDELT wants OR in parentheses
    if text.startswith("(") and _balanced_outer(text) and not keep_parens:
        text = text[1:-1]
    return text


def _balanced_outer(text: str) -> bool:
    depth = 0
    for index, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and index < len(text) - 1:
            return False
    return depth == 0


def _with_query(base: str, params: dict[str, str]) -> str:
    parts = urlsplit(base)
    query = "&".join(p for p in (parts.query, urlencode(params)) if p)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def search_url(source: SourceConfig, config: MonitorConfig, *, base: str | None = None) -> str:
    """The search URL of a query-driven source; ``base`` (the source's ``feeds`` entry) wins."""
    engine: Engine = source.type  # type: ignore[assignment]
    lookback = source.lookback_days or config.crawl.lookback_days
    if source.query:
        query = to_search_query(source.query, engine)
    else:
        from monitor.crawl.context import match_query

        query = to_search_query(
            match_query(config), engine, language=source.language, simplify=True
        )
    language, region = source.language, source.region.upper()
    if engine == "google_news":
        days = max(1, math.ceil(lookback))
        return _with_query(
            base or GOOGLE_NEWS_URL,
            {
                "q": f"{query} when:{days}d",
                "hl": language,
                "gl": region,
                "ceid": f"{region}:{language}",
            },
        )
    if engine == "bing_news":
        return _with_query(
            base or BING_NEWS_URL,
            {"q": query, "format": "rss", "setlang": language, "cc": region},
        )
    if engine == "gdelt":
        hours = max(1, math.ceil(lookback * 24))
        timespan = f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"
        return _with_query(
            base or GDELT_URL,
            {
                "query": query,
                "mode": "ArtList",
                "format": "json",
                "maxrecords": "250",
                "timespan": timespan,
                "sort": "DateDesc",
            },
        )
    raise ValueError(f"source {source.name!r} is not a news-search source")


#: The host each engine's redirect links live on (a configured ``feeds`` base stands in for it).
ENGINE_HOSTS: dict[str, str] = {"google_news": "news.google.com", "bing_news": "www.bing.com"}


def engine_hosts(source: SourceConfig) -> frozenset[str]:
    """Hosts whose pages are the search engine's own for ``source`` (never an article)."""
    hosts = {urlsplit(url).hostname or "" for url in source.feeds}
    if source.type in ENGINE_HOSTS:
        hosts.add(ENGINE_HOSTS[source.type])
    if source.type == "bing_news":
        hosts.add("bing.com")
    return frozenset(h.lower() for h in hosts if h)


def resolve_link(url: str, source: SourceConfig) -> str | None:
    """The publisher URL a search-result link encodes (Bing ``url=``/``u=``, Google ``url?q=``,
    Google News ``/rss/articles/CBMi…`` of the old format), found without a request; None when
    the link does not encode it. A link on the source's configured search host is read as a link
    on the engine's own host."""
    from monitor.dedup import resolve_search_redirect

    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    engine_host = ENGINE_HOSTS.get(source.type)
    if engine_host and host in engine_hosts(source) and host != engine_host:
        url = urlunsplit(("https", engine_host, parts.path, parts.query, ""))
    try:
        return resolve_search_redirect(url)
    except ValueError:
        return None

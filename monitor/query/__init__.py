"""The matching stage: a Lucene/Google-Alerts-style query language over cleaned article text.

``compile_query(source)`` parses once (lark grammar, see :mod:`monitor.query.parser` for the
syntax); ``CompiledQuery.match(title, body)`` returns a :class:`MatchResult` with the matched
terms, body spans for snippets and a relevance score. Matching is case- and accent-insensitive
and works for Latin and Cyrillic text. No Scrapy imports here.
"""

from __future__ import annotations

from monitor.errors import QuerySyntaxError
from monitor.query.default import DEFAULT_QUERY
from monitor.query.matcher import CompiledQuery, MatchResult, compile_query
from monitor.query.nodes import And, Field, Near, Node, Not, Or, Phrase, Prefix, Term
from monitor.query.normalize import normalize, tokenize
from monitor.query.parser import parse_query
from monitor.query.snippet import make_snippet, snippet_segments

__all__ = [
    "DEFAULT_QUERY",
    "And",
    "CompiledQuery",
    "Field",
    "MatchResult",
    "Near",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Prefix",
    "QuerySyntaxError",
    "Term",
    "compile_query",
    "make_snippet",
    "normalize",
    "parse_query",
    "snippet_segments",
    "tokenize",
]

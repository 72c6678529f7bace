"""Compile a query once, then match it quickly against an article's title and cleaned body.

Each ``match`` call tokenises and normalises the title and body once, keeping only the
positions of words the query mentions (exact words and prefixes, memoised per query), and then
evaluates the AST over that small positional index.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import compress, count
from typing import TypeAlias

from monitor.query.nodes import (
    And,
    Field,
    FieldName,
    Leaf,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Term,
    index_key,
    leaves,
)
from monitor.query.normalize import WORD_CHAR as _WORD_CHAR
from monitor.query.normalize import WORD_RE, word_tokens
from monitor.query.parser import parse_query

TITLE, BODY = 0, 1
FIELD_NUMBERS: dict[FieldName, int] = {"title": TITLE, "body": BODY}
BOTH = (TITLE, BODY)
TITLE_WEIGHT = 3.0
_MEMO_LIMIT = 200_000

# A hit: (term number, field number, first word position, last word position).
_Hit: TypeAlias = tuple[int, int, int, int]
# A positional occurrence: (first word position, last word position, term number).
_Span: TypeAlias = tuple[int, int, int]


@dataclass(frozen=True)
class MatchResult:
    """The outcome of matching one article.

    ``terms``: distinct query terms/phrases found in the article that count towards the match
    (never those under NOT), named as written in the query, lower-cased (``"díaz-canel"``,
    ``"росси*"``, ``"raul castro"``), in query order. ``spans``: sorted, merged ``(start, end)``
    character offsets of those hits in the body. ``score``: ``(3 × title hits + body hits) /
    sqrt(1 + body words / 100)``, 0 when unmatched.
    """

    matched: bool
    terms: tuple[str, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()
    score: float = 0.0


NO_MATCH = MatchResult(False)


class _FieldIndex:
    """Where the query's words occur in one field (word positions), found in one scan."""

    __slots__ = ("count", "numbers_by_surface", "positions", "source", "surface_of")

    def __init__(self, source: str, count: int) -> None:
        self.source = source  # the text the raw words were found in
        self.count = count  # number of (normalised) words
        self.surface_of: list[int] | None = None  # word position -> raw word number, if not 1:1
        self.positions: dict[str, list[int]] = {}  # index key -> word positions
        self.numbers_by_surface: dict[str, list[int]] = {}  # relevant raw word -> its numbers

    def char_spans(self, wanted: Iterable[int]) -> dict[int, tuple[int, int]]:
        """Character offsets of the given word positions (searched only for those words)."""
        surface_of = self.surface_of
        needed = {surface_of[p] if surface_of else p for p in wanted}
        spans: dict[int, tuple[int, int]] = {}
        for surface, numbers in self.numbers_by_surface.items():
            if needed.isdisjoint(numbers):
                continue
            spans.update(zip(numbers, _occurrences(self.source, surface), strict=False))
        return {
            position: spans[number]
            for position in wanted
            if (number := surface_of[position] if surface_of else position) in spans
        }


def _occurrences(text: str, surface: str) -> list[tuple[int, int]]:
    """Spans of ``surface`` in ``text`` as a whole word, in order."""
    pattern = _SURFACE_PATTERNS.get(surface)
    if pattern is None:
        if len(_SURFACE_PATTERNS) >= _MEMO_LIMIT:
            _SURFACE_PATTERNS.clear()
        pattern = re.compile(re.escape(surface) + f"(?!{_WORD_CHAR.pattern})")
        _SURFACE_PATTERNS[surface] = pattern
    is_word = _WORD_CHAR.match
    return [
        match.span()
        for match in pattern.finditer(text)
        if not (match.start() and is_word(text, match.start() - 1))
    ]


_SURFACE_PATTERNS: dict[str, re.Pattern[str]] = {}


_Runner: TypeAlias = Callable[[tuple[_FieldIndex, ...]], tuple[bool, list[_Hit]]]
_SpanFinder: TypeAlias = Callable[[_FieldIndex], list[_Span]]


class CompiledQuery:
    """A parsed, ready-to-run query. Build with :func:`compile_query`."""

    def __init__(self, source: str, ast: Node) -> None:
        self.source = source
        self.ast = ast
        self._leaf_ids: dict[str, int] = {}
        self._labels: list[str] = []
        for leaf in leaves(ast):
            key = index_key(leaf)
            if key not in self._leaf_ids:
                self._leaf_ids[key] = len(self._labels)
                self._labels.append(leaf.label)
        positive = {self._leaf_ids[index_key(leaf)] for leaf in leaves(ast, positive_only=True)}
        self.positive_terms: tuple[str, ...] = tuple(
            label for number, label in enumerate(self._labels) if number in positive
        )
        words = {w for leaf in leaves(ast) for w in _leaf_words(leaf)}
        self._exact = frozenset(w for w in words if not w.endswith("*"))
        self._prefixes = tuple(sorted(w[:-1] for w in words if w.endswith("*")))
        self._seen: set[str] = set()  # raw words already classified
        self._relevant: dict[str, tuple[str, ...]] = {}  # raw word -> index keys
        self._split: dict[str, tuple[str, ...]] = {}  # raw word -> its several words
        self._run = self._compile(ast, BOTH)

    def __repr__(self) -> str:
        return f"CompiledQuery({self.source!r})"

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (compile_query, (self.source,))

    # -- indexing ---------------------------------------------------------------------------

    def _keys(self, word: str) -> tuple[str, ...]:
        """Index keys a normalised word satisfies: itself if the query has it, its prefixes."""
        found = [word] if word in self._exact else []
        found.extend(p + "*" for p in self._prefixes if word.startswith(p))
        return tuple(found)

    def _learn(self, surfaces: set[str]) -> None:
        """Remember which raw words matter to this query (memoised across documents)."""
        if len(self._seen) + len(surfaces) > _MEMO_LIMIT:
            self._seen.clear()
            self._relevant.clear()
            self._split.clear()
        for surface in surfaces:
            words = word_tokens(surface)
            keys = tuple({key: None for word in words for key in self._keys(word)})
            if keys:
                self._relevant[surface] = keys
            if len(words) != 1:
                self._split[surface] = words
        self._seen.update(surfaces)

    def _index(self, text: str) -> _FieldIndex:
        """Tokenise and normalise ``text`` once, keeping positions of the query's words."""
        source = text.lower() if text.isascii() else text
        surfaces: list[str] = WORD_RE.findall(source)
        index = _FieldIndex(source, len(surfaces))
        distinct = set(surfaces)
        unseen = distinct.difference(self._seen)
        if unseen:
            self._learn(unseen)
        relevant = self._relevant
        if distinct.isdisjoint(self._split):
            if distinct.isdisjoint(relevant):
                return index
            numbers = list(compress(count(), map(relevant.__contains__, surfaces)))
            positions = index.positions
            by_surface = index.numbers_by_surface
            for number in numbers:
                surface = surfaces[number]
                found = by_surface.get(surface)
                if found is None:
                    by_surface[surface] = [number]
                else:
                    found.append(number)
                for key in relevant.get(surface, ()):
                    found = positions.get(key)
                    if found is None:
                        positions[key] = [number]
                    else:
                        found.append(number)
            return index
        # Some raw words normalise to several words (ligatures, fractions): renumber.
        surface_of: list[int] = []
        for number, surface in enumerate(surfaces):
            if surface in relevant:
                index.numbers_by_surface.setdefault(surface, []).append(number)
            for word in self._split.get(surface) or word_tokens(surface):
                if surface in relevant:
                    for key in self._keys(word):
                        index.positions.setdefault(key, []).append(len(surface_of))
                surface_of.append(number)
        index.surface_of = surface_of
        index.count = len(surface_of)
        return index

    # -- matching ---------------------------------------------------------------------------

    def match(self, title: str, body: str) -> MatchResult:
        """Match the query against an article's title and cleaned plain-text body."""
        docs = (self._index(title or ""), self._index(body or ""))
        ok, hits = self._run(docs)
        if not ok:
            return NO_MATCH
        unique = set(hits)
        numbers = sorted({hit[0] for hit in unique})
        places = {hit[1:] for hit in unique}
        title_hits = sum(1 for place in places if place[0] == TITLE)
        body_places = sorted((p[1], p[2]) for p in places if p[0] == BODY)
        offsets = docs[BODY].char_spans({p for pair in body_places for p in pair})
        spans = _merge(
            (offsets[first][0], offsets[last][1])
            for first, last in body_places
            if first in offsets and last in offsets
        )
        score = (TITLE_WEIGHT * title_hits + len(body_places)) / math.sqrt(
            1 + docs[BODY].count / 100
        )
        labels = self._labels
        return MatchResult(True, tuple(labels[n] for n in numbers), tuple(spans), round(score, 4))

    # -- compiling the AST into closures ----------------------------------------------------

    def _compile(self, node: Node, scope: tuple[int, ...]) -> _Runner:
        if isinstance(node, Field):
            return self._compile(node.child, (FIELD_NUMBERS[node.name],))
        if isinstance(node, And):
            parts = [self._compile(child, scope) for child in node.children]

            def run_and(docs: tuple[_FieldIndex, ...]) -> tuple[bool, list[_Hit]]:
                collected: list[_Hit] = []
                for part in parts:
                    ok, hits = part(docs)
                    if not ok:
                        return False, []
                    collected += hits
                return True, collected

            return run_and
        if isinstance(node, Or):
            options = [self._compile(child, scope) for child in node.children]

            def run_or(docs: tuple[_FieldIndex, ...]) -> tuple[bool, list[_Hit]]:
                matched = False
                collected: list[_Hit] = []
                for option in options:
                    ok, hits = option(docs)
                    if ok:
                        matched = True
                        collected += hits
                return matched, collected

            return run_or
        if isinstance(node, Not):
            inner = self._compile(node.child, scope)

            def run_not(docs: tuple[_FieldIndex, ...]) -> tuple[bool, list[_Hit]]:
                return not inner(docs)[0], []

            return run_not
        finder = self._near(node) if isinstance(node, Near) else self._finder(node)

        def run_positional(docs: tuple[_FieldIndex, ...]) -> tuple[bool, list[_Hit]]:
            hits: list[_Hit] = []
            for field_number in scope:
                hits += [(n, field_number, a, b) for a, b, n in finder(docs[field_number])]
            return bool(hits), hits

        return run_positional

    def _finder(self, node: Node) -> _SpanFinder:
        """Occurrences of a word, prefix, phrase or OR of those, sorted."""
        if isinstance(node, Or):
            finders = [self._finder(child) for child in node.children]
            return lambda doc: sorted(span for find in finders for span in find(doc))
        if not isinstance(node, Term | Prefix | Phrase):  # pragma: no cover - parser rejects
            raise TypeError(f"not a positional query node: {node}")
        number = self._leaf_ids[index_key(node)]
        head, *tail = _leaf_words(node)
        if not tail:

            def find_word(doc: _FieldIndex) -> list[_Span]:
                found = doc.positions.get(head)
                return [(p, p, number) for p in found] if found else []

            return find_word
        size = len(tail)

        def find_phrase(doc: _FieldIndex) -> list[_Span]:
            first = doc.positions.get(head)
            if not first:
                return []
            rest: list[set[int]] = []
            for word in tail:
                found = doc.positions.get(word)
                if not found:
                    return []
                rest.append(set(found))
            return [
                (p, p + size, number)
                for p in first
                if all(p + k in positions for k, positions in enumerate(rest, 1))
            ]

        return find_phrase

    def _near(self, node: Near) -> _SpanFinder:
        find_left, find_right = self._finder(node.left), self._finder(node.right)
        gap = node.distance

        def find_near(doc: _FieldIndex) -> list[_Span]:
            left = find_left(doc)
            right = find_right(doc) if left else []
            if not right:
                return []
            starts = [span[0] for span in right]
            longest = max(span[1] - span[0] for span in right)
            found: set[_Span] = set()
            for a in left:
                lo = bisect_left(starts, a[0] - gap - longest - 1)
                hi = bisect_right(starts, a[1] + gap + 1)
                for b in right[lo:hi]:
                    between = b[0] - a[1] - 1 if b[0] > a[1] else a[0] - b[1] - 1
                    if 0 <= between <= gap:
                        found.add(a)
                        found.add(b)
            return sorted(found)

        return find_near


def _leaf_words(leaf: Leaf) -> tuple[str, ...]:
    if isinstance(leaf, Term):
        return (leaf.word,)
    if isinstance(leaf, Prefix):
        return (leaf.stem + "*",)
    return leaf.words


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def compile_query(source: str) -> CompiledQuery:
    """Parse and prepare ``source``; raises :class:`QuerySyntaxError` if it is invalid."""
    return CompiledQuery(source, parse_query(source))

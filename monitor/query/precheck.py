"""A sound, cheap pre-check of a query on a page's raw text: can this page possibly match?

The query is relaxed so that it only ever says "no" when the full match must fail too:
``NOT`` parts become true, ``NEAR/n`` and phrases become AND of their words, field scopes are
dropped, and every word, prefix stem or phrase word only has to occur somewhere in the
normalised raw text as a substring (no word boundaries, so text a cleaner joins across tags
is still found). Normalisation is the matcher's own (:func:`monitor.query.normalize.normalize`),
so ``Кубы`` or ``Moscú`` are never missed. No Scrapy, no HTML here: the caller builds the raw
text (see :mod:`monitor.pipelines.precheck`).

Which words occur is found in one pass over the text by an Aho–Corasick automaton
(``ahocorasick_rs``) holding every word of the query: a topic query has a hundred or more, and a
``str.find`` per word over a 100 KB page cost several milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import ahocorasick_rs

from monitor.query.nodes import And, Field, Near, Node, Not, Or, Phrase, Prefix, Term
from monitor.query.normalize import normalize
from monitor.query.parser import parse_query

_Check = Callable[[Collection[str]], bool]


def _always(_found: Collection[str]) -> bool:
    return True


def _needles(node: Term | Prefix | Phrase) -> tuple[str, ...]:
    """The words the leaf needs, none empty (an empty word is in every text: no need)."""
    if isinstance(node, Term):
        words: tuple[str, ...] = (node.word,)
    elif isinstance(node, Prefix):
        words = (node.stem,)
    else:
        words = tuple(word.rstrip("*") for word in node.words)
    return tuple(word for word in words if word)


def relax(node: Node) -> _Check:
    """A predicate over the query words found in normalised raw text (as substrings) that is
    true whenever ``node`` could match that text."""
    if isinstance(node, Term | Prefix | Phrase):
        needles = _needles(node)
        if not needles:
            return _always
        return lambda found: all(needle in found for needle in needles)
    if isinstance(node, Not):
        return _always  # the page may lack the excluded words: never a reason to reject
    if isinstance(node, Field):
        return relax(node.child)
    if isinstance(node, Near):
        left, right = relax(node.left), relax(node.right)
        return lambda found: left(found) and right(found)
    checks = [relax(child) for child in node.children]
    if isinstance(node, And):
        return lambda found: all(check(found) for check in checks)
    assert isinstance(node, Or)
    return lambda found: any(check(found) for check in checks)


def needles(node: Node) -> Iterator[str]:
    """Every word the relaxed ``node`` looks for (none under ``NOT``: it never rejects)."""
    if isinstance(node, Term | Prefix | Phrase):
        yield from _needles(node)
    elif isinstance(node, Not):
        return
    elif isinstance(node, Field):
        yield from needles(node.child)
    elif isinstance(node, Near):
        yield from needles(node.left)
        yield from needles(node.right)
    else:
        for child in node.children:
            yield from needles(child)


@dataclass(frozen=True)
class PreCheck:
    """The relaxed form of one query; ``may_match(raw_text)`` is False only for sure misses."""

    source: str
    check: _Check
    words: tuple[str, ...] = ()
    _automaton: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def compile(cls, source: str) -> PreCheck:
        """Relax ``source`` (raises QuerySyntaxError like :func:`compile_query`)."""
        tree = parse_query(source)
        words = tuple(sorted(set(needles(tree))))
        automaton = ahocorasick_rs.AhoCorasick(words) if words else None
        return cls(source, relax(tree), words, automaton)

    def found(self, raw_text: str) -> frozenset[str]:
        """The query words that occur in ``raw_text`` (normalised) as substrings."""
        if self._automaton is None:
            return frozenset()
        text = normalize(raw_text)
        return frozenset(self._automaton.find_matches_as_strings(text, overlapping=True))

    def may_match(self, raw_text: str) -> bool:
        """False only when no cleaning of a page with this raw text can match the query."""
        return self.check(self.found(raw_text))

    def __reduce__(self) -> tuple[object, tuple[str]]:  # picklable: recompiled on arrival
        return (PreCheck.compile, (self.source,))

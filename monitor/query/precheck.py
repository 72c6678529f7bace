"""A sound, cheap pre-check of a query on a page's raw text: can this page possibly match?

The query is relaxed so that it only ever says "no" when the full match must fail too:
``NOT`` parts become true, ``NEAR/n`` and phrases become AND of their words, field scopes are
dropped, and every word, prefix stem or phrase word only has to occur somewhere in the
normalised raw text as a substring (no word boundaries, so text a cleaner joins across tags
is still found). Normalisation is the matcher's own (:func:`monitor.query.normalize.normalize`),
so ``Кубы`` or ``Moscú`` are never missed. No Scrapy, no HTML here: the caller builds the raw
text (see :mod:`monitor.pipelines.precheck`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from monitor.query.nodes import And, Field, Near, Node, Not, Or, Phrase, Prefix, Term
from monitor.query.normalize import normalize
from monitor.query.parser import parse_query

_Check = Callable[[str], bool]


def _always(_text: str) -> bool:
    return True


def _needles(node: Term | Prefix | Phrase) -> tuple[str, ...]:
    if isinstance(node, Term):
        return (node.word,)
    if isinstance(node, Prefix):
        return (node.stem,)
    return tuple(word.rstrip("*") for word in node.words if word.rstrip("*"))


def relax(node: Node) -> _Check:
    """A predicate over normalised raw text that is true whenever ``node`` could match."""
    if isinstance(node, Term | Prefix | Phrase):
        needles = _needles(node)
        if not needles:
            return _always
        return lambda text: all(needle in text for needle in needles)
    if isinstance(node, Not):
        return _always  # the page may lack the excluded words: never a reason to reject
    if isinstance(node, Field):
        return relax(node.child)
    if isinstance(node, Near):
        left, right = relax(node.left), relax(node.right)
        return lambda text: left(text) and right(text)
    checks = [relax(child) for child in node.children]
    if isinstance(node, And):
        return lambda text: all(check(text) for check in checks)
    assert isinstance(node, Or)
    return lambda text: any(check(text) for check in checks)


@dataclass(frozen=True)
class PreCheck:
    """The relaxed form of one query; ``may_match(raw_text)`` is False only for sure misses."""

    source: str
    check: _Check

    @classmethod
    def compile(cls, source: str) -> PreCheck:
        """Relax ``source`` (raises QuerySyntaxError like :func:`compile_query`)."""
        return cls(source, relax(parse_query(source)))

    def may_match(self, raw_text: str) -> bool:
        """False only when no cleaning of a page with this raw text can match the query."""
        return self.check(normalize(raw_text))

    def __reduce__(self) -> tuple[object, tuple[str]]:  # picklable: recompiled on arrival
        return (PreCheck.compile, (self.source,))

"""The query AST: small frozen dataclasses, printable back to query syntax with ``str()``.

Words are stored normalised (see :mod:`monitor.query.normalize`); a word ending in ``*`` is a
prefix. ``text`` keeps the analyst's spelling (lower-cased) and names the term in results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

FieldName: TypeAlias = Literal["title", "body"]


@dataclass(frozen=True)
class Term:
    """One exact word, e.g. ``cuba``."""

    word: str
    text: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        """How results name this term."""
        return self.text or self.word

    def __str__(self) -> str:
        return self.word


@dataclass(frozen=True)
class Prefix:
    """Words starting with ``stem``, written ``stem*``."""

    stem: str
    text: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        """How results name this term."""
        return self.text or self.stem + "*"

    def __str__(self) -> str:
        return self.stem + "*"


@dataclass(frozen=True)
class Phrase:
    """Consecutive words; any word may end in ``*`` (a prefix), e.g. ``диас канел*``."""

    words: tuple[str, ...]
    text: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        """How results name this phrase."""
        return self.text or " ".join(self.words)

    def __str__(self) -> str:
        return '"' + " ".join(self.words) + '"'


@dataclass(frozen=True)
class And:
    """All children match."""

    children: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " AND ".join(map(str, self.children)) + ")"


@dataclass(frozen=True)
class Or:
    """At least one child matches."""

    children: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " OR ".join(map(str, self.children)) + ")"


@dataclass(frozen=True)
class Not:
    """The child does not match."""

    child: Node

    def __str__(self) -> str:
        return f"NOT {self.child}"


@dataclass(frozen=True)
class Near:
    """Both operands occur with at most ``distance`` other words between them, either order."""

    left: Node
    right: Node
    distance: int

    def __str__(self) -> str:
        return f"({self.left} NEAR/{self.distance} {self.right})"


@dataclass(frozen=True)
class Field:
    """The child matched against one field only (``title`` or ``body``)."""

    name: FieldName
    child: Node

    def __str__(self) -> str:
        return f"{self.name}:{self.child}"


Leaf: TypeAlias = Term | Prefix | Phrase
Node: TypeAlias = Term | Prefix | Phrase | And | Or | Not | Near | Field


def leaves(node: Node, *, positive_only: bool = False) -> list[Leaf]:
    """Every term/prefix/phrase in query order (optionally skipping those under a NOT)."""
    found: list[Leaf] = []

    def walk(current: Node) -> None:
        if isinstance(current, Term | Prefix | Phrase):
            found.append(current)
        elif isinstance(current, And | Or):
            for child in current.children:
                walk(child)
        elif isinstance(current, Not):
            if not positive_only:
                walk(current.child)
        elif isinstance(current, Near):
            walk(current.left)
            walk(current.right)
        else:
            walk(current.child)

    walk(node)
    return found


def index_key(leaf: Leaf) -> str:
    """The identity of a leaf for de-duplicating terms (its normalised form)."""
    if isinstance(leaf, Term):
        return leaf.word
    if isinstance(leaf, Prefix):
        return leaf.stem + "*"
    return '"' + " ".join(leaf.words) + '"'

"""Text normalisation shared by queries and documents: case-, accent- and script-aware words.

Both sides go through the same steps, so a query word matches a document word when they are
equal after: NFKD decomposition, removal of non-spacing marks (accents), and ``casefold``.
``Díaz`` → ``diaz``, ``MOSCÚ`` → ``moscu``, ``Ёлка`` → ``елка``, ``Straße`` → ``strasse``.
One exception keeps Russian readable: ``й`` stays ``й`` (its breve is not an accent there).
Words are maximal runs of Unicode word characters (``\\w``) and combining marks.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def _mark_ranges(category_prefix: str) -> str:
    """A regex character-class body with every BMP code point of the given category."""
    parts: list[str] = []
    start: int | None = None
    for cp in range(0x10001):
        inside = cp < 0x10000 and unicodedata.category(chr(cp)).startswith(category_prefix)
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            end = cp - 1
            parts.append(
                re.escape(chr(start)) + ("" if end == start else "-" + re.escape(chr(end)))
            )
            start = None
    return "".join(parts)


_ALL_MARKS = _mark_ranges("M")
_NONSPACING = _mark_ranges("Mn")

#: One word of raw text: word characters plus any combining marks (decomposed accents).
WORD_RE = re.compile(rf"[\w{_ALL_MARKS}]+")
#: One character of a word.
WORD_CHAR = re.compile(rf"[\w{_ALL_MARKS}]")
_STRIP_RE = re.compile(rf"[{_NONSPACING}]")
_SHORT_I = "и\u0306"  # й after NFKD + casefold


def normalize(text: str) -> str:
    """Casefolded, accent-free NFKD form of ``text`` (``й`` kept)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    if _SHORT_I in decomposed:
        decomposed = decomposed.replace(_SHORT_I, "й")
    return _STRIP_RE.sub("", decomposed)


@lru_cache(maxsize=65536)
def word_tokens(surface: str) -> tuple[str, ...]:
    """The normalised word(s) of one raw word (usually one; ligatures or ``½`` may give more)."""
    if surface.isascii():
        return (surface.lower(),)
    return tuple(WORD_RE.findall(normalize(surface)))


def tokenize(text: str) -> list[str]:
    """All normalised words of ``text``, in order."""
    if text.isascii():
        return WORD_RE.findall(text.lower())
    words: list[str] = []
    for surface in WORD_RE.findall(text):
        words.extend(word_tokens(surface))
    return words

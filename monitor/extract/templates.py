"""Site templates learned from repetition: blocks that recur on many of a site's pages.

A block (paragraph, heading, list item) is reduced to a language-neutral fingerprint
(:func:`fingerprint`); the database counts on how many of a source's article pages each
fingerprint occurs (:mod:`monitor.db.templates`). Fingerprints found on enough of them form
the site's :class:`TemplateSet`, which :func:`monitor.extract.clean_page` strips from the
extracted paragraphs before boilerplate rules and matching. Pure code: no database here.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "MIN_PAGES",
    "MIN_SHARE",
    "TemplateSet",
    "block_fingerprints",
    "candidate_blocks",
    "fingerprint",
    "normalize_block",
]

#: A block is template once it occurs on at least this many distinct article pages ...
MIN_PAGES = 4
#: ... and on at least this share of the pages counted for the site.
MIN_SHARE = 0.3
# Blocks longer than this are article text even when repeated (a syndicated paragraph is
# handled by dedup, not here); very long template blocks do not exist in practice.
MAX_BLOCK_CHARS = 600

_NON_WORD_RE = re.compile(r"[\W_]+")
_DIGIT_RE = re.compile(r"\d")


def normalize_block(text: str) -> str:
    """Case-folded NFKC text with digits as 0 and punctuation/spacing collapsed to one space.

    Digits are masked so a block that differs only in a year, a count or a date ("© 2025",
    "12 comments") keeps one fingerprint; works for any script.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD_RE.sub(" ", _DIGIT_RE.sub("0", folded)).strip()


def fingerprint(text: str) -> str:
    """A 16-hex-digit fingerprint of a block's normalised text ("" for an empty block)."""
    normalized = normalize_block(text)
    if not normalized:
        return ""
    return hashlib.blake2b(normalized.encode("utf-8"), digest_size=8).hexdigest()


def candidate_blocks(paragraphs: Iterable[str]) -> dict[str, str]:
    """Fingerprint -> first text of the distinct blocks that may be template, in order."""
    seen: dict[str, str] = {}
    for paragraph in paragraphs:
        if len(paragraph) <= MAX_BLOCK_CHARS:
            key = fingerprint(paragraph)
            if key:
                seen.setdefault(key, paragraph)
    return seen


def block_fingerprints(paragraphs: Iterable[str]) -> tuple[str, ...]:
    """Distinct fingerprints of the blocks that may be template, in first-seen order."""
    return tuple(candidate_blocks(paragraphs))


@dataclass(frozen=True)
class TemplateSet:
    """The template fingerprints learned for one site, and how many pages taught them."""

    fingerprints: frozenset[str] = field(default_factory=frozenset)
    pages: int = 0

    def __bool__(self) -> bool:
        return bool(self.fingerprints)

    def __contains__(self, paragraph: object) -> bool:
        return (
            isinstance(paragraph, str)
            and len(paragraph) <= MAX_BLOCK_CHARS
            and fingerprint(paragraph) in self.fingerprints
        )

    def strip(self, paragraphs: list[str]) -> list[str]:
        """``paragraphs`` without the blocks that are this site's template."""
        if not self.fingerprints:
            return paragraphs
        return [p for p in paragraphs if p not in self]

    @classmethod
    def learn(
        cls,
        counts: Mapping[str, int],
        pages: int,
        *,
        min_pages: int = MIN_PAGES,
        min_share: float = MIN_SHARE,
    ) -> TemplateSet:
        """Template = fingerprints on >= ``min_pages`` pages and >= ``min_share`` of ``pages``."""
        if pages < min_pages:
            return cls(frozenset(), pages)
        floor = max(min_pages, min_share * pages)
        return cls(frozenset(k for k, n in counts.items() if n >= floor), pages)

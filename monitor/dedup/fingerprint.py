"""Exact-content fingerprints that ignore case, accents, punctuation and whitespace."""

from __future__ import annotations

import hashlib
import unicodedata

import regex

__all__ = ["content_fingerprint", "normalize_for_fingerprint"]


# Combining marks (accents once NFKD has split them off) and invisible format characters (soft
# hyphens, zero-width spaces, BOM) vanish; anything that is not a letter or digit separates words.
_DROPPED = regex.compile(r"[\p{Mn}\p{Cf}]+")
_SEPARATORS = regex.compile(r"[^\p{L}\p{N}]+")


def normalize_for_fingerprint(text: str) -> str:
    """Text reduced to lower-case, accent-free words separated by single spaces.

    NFKD, accents dropped, casefolded; punctuation, symbols and every kind of whitespace become
    a single space (so ``Díaz-Canel`` and ``Diaz Canel`` agree, and curly and straight quotes
    do too); invisible format characters (soft hyphens, zero-width spaces) vanish.
    """
    folded = _DROPPED.sub("", unicodedata.normalize("NFKD", text)).casefold()
    # casefold may produce new combining marks or compatibility forms; fold once more.
    folded = _DROPPED.sub("", unicodedata.normalize("NFKD", folded))
    return _SEPARATORS.sub(" ", folded).strip()


def content_fingerprint(text: str, *, normalized: str | None = None) -> str:
    """SHA-256 hex digest of :func:`normalize_for_fingerprint` (64 characters).

    Pass ``normalized`` when the caller already has the normalised text.
    """
    if normalized is None:
        normalized = normalize_for_fingerprint(text)
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()

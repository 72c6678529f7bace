"""Exact-content fingerprints that ignore case, accents, punctuation and whitespace."""

from __future__ import annotations

import hashlib
import unicodedata

__all__ = ["content_fingerprint", "normalize_for_fingerprint"]


def _char_class(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Mn":  # combining marks (accents once NFKD has split them off)
        return ""
    if category == "Cf":  # invisible format characters: soft hyphen, zero-width space, BOM
        return ""
    if category[0] in "LN":
        return char
    return " "  # punctuation, symbols, separators, controls


def normalize_for_fingerprint(text: str) -> str:
    """Text reduced to lower-case, accent-free words separated by single spaces.

    NFKD, accents dropped, casefolded; punctuation, symbols and every kind of whitespace become
    a single space (so ``Díaz-Canel`` and ``Diaz Canel`` agree, and curly and straight quotes
    do too); invisible format characters (soft hyphens, zero-width spaces) vanish.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    mapped = "".join(_char_class(char) for char in decomposed).casefold()
    # casefold may produce new combining marks or compatibility forms; fold once more.
    mapped = "".join(_char_class(char) for char in unicodedata.normalize("NFKD", mapped))
    return " ".join(mapped.split())


def content_fingerprint(text: str) -> str:
    """SHA-256 hex digest of :func:`normalize_for_fingerprint` (64 characters)."""
    return hashlib.sha256(normalize_for_fingerprint(text).encode("utf-8")).hexdigest()

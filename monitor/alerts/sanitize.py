"""Cleaning web-derived strings before they reach a header, a template or a link."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# C0 and C1 controls (minus tab/newline handled separately), DEL, zero-width space, LRM/RLM,
# ALM, line/paragraph separators, bidi embeddings/overrides and isolates, word joiners, BOM.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_WHITESPACE = re.compile(r"\s+")
# An RFC 2047 encoded word inside a header value would be decoded by the reader.
_ENCODED_WORD = re.compile(r"=\?", re.ASCII)
ELLIPSIS = "…"


def strip_controls(value: str) -> str:
    """Remove control, invisible and bidi-override characters; keep tabs and newlines."""
    return _CONTROLS.sub("", value)


def clean_inline(value: str) -> str:
    """Like :func:`clean_line` but keeps a leading/trailing space (for text pieces)."""
    return _WHITESPACE.sub(" ", strip_controls(value))


def clean_line(value: object, max_chars: int | None = None) -> str:
    """One line of text: controls removed, all whitespace runs (CR/LF too) collapsed to a space."""
    text = _WHITESPACE.sub(" ", strip_controls(str(value))).strip()
    return truncate(text, max_chars) if max_chars is not None else text


def clean_header(value: object, max_chars: int = 200) -> str:
    """A value safe for an email header: one clean line, no encoded words, bounded length."""
    text = clean_line(value)
    text = _ENCODED_WORD.sub("= ?", text)
    return truncate(text, max_chars)


def truncate(text: str, max_chars: int) -> str:
    """Cut ``text`` at a word boundary to at most ``max_chars`` characters, marking the cut."""
    if len(text) <= max_chars:
        return text
    cut = text[: max(max_chars - 1, 0)]
    space = cut.rfind(" ")
    if space > max_chars * 0.6:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def safe_url(url: object, max_chars: int = 2048) -> str | None:
    """``url`` when it is an absolute http(s) URL without controls or spaces, else None."""
    if not isinstance(url, str):
        return None
    candidate = url.strip()
    if not candidate or len(candidate) > max_chars:
        return None
    if _CONTROLS.search(candidate) or any(c.isspace() for c in candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return candidate


def url_host(url: str) -> str:
    """The host of ``url`` without a leading ``www.``, for display."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")

"""Snippets: a window of the body around the densest cluster of hits, cut at word boundaries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

ELLIPSIS = "…"
_SPACES = re.compile(r"\s+")
_SPACE = re.compile(r"\s")


def _clean_spans(body: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Valid spans, clipped to the body, sorted and merged."""
    cleaned: list[tuple[int, int]] = []
    for start, end in sorted((max(0, s), min(len(body), e)) for s, e in spans):
        if end <= start:
            continue
        if cleaned and start <= cleaned[-1][1]:
            cleaned[-1] = (cleaned[-1][0], max(end, cleaned[-1][1]))
        else:
            cleaned.append((start, end))
    return cleaned


def _window(body: str, spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    """The ``[start, end)`` window of about ``width`` characters holding the most hits."""
    if not spans:
        return 0, min(len(body), width)
    best_i, best_j, best_count = 0, 0, 0
    j = 0
    for i, (start, _) in enumerate(spans):
        j = max(j, i)
        while j + 1 < len(spans) and spans[j + 1][1] - start <= width:
            j += 1
        if j - i + 1 > best_count:
            best_i, best_j, best_count = i, j, j - i + 1
    lo, hi = spans[best_i][0], spans[best_j][1]
    slack = max(0, width - (hi - lo))
    start = max(0, lo - slack // 2)
    end = min(len(body), start + max(width, hi - lo))
    start = max(0, min(start, end - width))
    return start, end


def _at_word_boundaries(
    body: str, start: int, end: int, spans: list[tuple[int, int]]
) -> tuple[int, int]:
    """Shrink ``[start, end)`` so it neither starts nor ends inside a word (keeping hits)."""
    inside = [s for s in spans if s[0] < end and s[1] > start]
    first_hit = inside[0][0] if inside else end
    last_hit = inside[-1][1] if inside else start
    if 0 < start < len(body) and not body[start - 1].isspace() and not body[start].isspace():
        space = _SPACE.search(body, start, first_hit)
        if space:
            start = space.end()
    if 0 < end < len(body) and not body[end - 1].isspace() and not body[end].isspace():
        cut = end - 1
        while cut > last_hit and not body[cut].isspace():
            cut -= 1
        if cut > last_hit or (cut == last_hit and body[cut].isspace()):
            end = cut
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    return start, end


def snippet_segments(
    body: str, spans: Sequence[tuple[int, int]], width: int = 240
) -> list[tuple[str, bool]]:
    """The snippet as ``(text, is_hit)`` pieces, for templates that mark hits themselves.

    Whitespace runs become single spaces; ``…`` opens/closes the text when the window is cut.
    """
    if not body.strip():
        return []
    cleaned = _clean_spans(body, spans)
    start, end = _at_word_boundaries(body, *_window(body, cleaned, width), cleaned)
    pieces: list[tuple[str, bool]] = []
    cursor = start
    for hit_start, hit_end in cleaned:
        hit_start, hit_end = max(hit_start, start), min(hit_end, end)
        if hit_end <= hit_start:
            continue
        if hit_start > cursor:
            pieces.append((body[cursor:hit_start], False))
        pieces.append((body[hit_start:hit_end], True))
        cursor = hit_end
    if cursor < end:
        pieces.append((body[cursor:end], False))
    segments = [(_SPACES.sub(" ", text), hit) for text, hit in pieces]
    if start > 0:
        segments.insert(0, (ELLIPSIS, False))
    if end < len(body.rstrip()):
        segments.append((ELLIPSIS, False))
    return _join_plain(segments)


def _join_plain(segments: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    joined: list[tuple[str, bool]] = []
    for text, hit in segments:
        if joined and not hit and not joined[-1][1]:
            joined[-1] = (joined[-1][0] + text, False)
        elif text:
            joined.append((text, hit))
    return joined


def make_snippet(
    body: str,
    spans: Sequence[tuple[int, int]],
    *,
    width: int = 240,
    mark: tuple[str, str] = ("[", "]"),
) -> str:
    """Plain-text snippet around the densest cluster of hits, hits wrapped in ``mark``."""
    opening, closing = mark
    return "".join(
        f"{opening}{text}{closing}" if hit else text
        for text, hit in snippet_segments(body, spans, width)
    )


@dataclass(frozen=True)
class Snippet:
    """A plain-text snippet and its hits as ``(start, end)`` offsets into ``text``.

    Stored as two columns, so a literal ``[…]`` in an article is never taken for a hit.
    """

    text: str
    spans: tuple[tuple[int, int], ...]

    def segments(self) -> list[tuple[str, bool]]:
        """``(text, is_hit)`` pieces, for templates that mark hits themselves."""
        return spans_to_segments(self.text, self.spans)


def build_snippet(body: str, spans: Sequence[tuple[int, int]], *, width: int = 240) -> Snippet:
    """The snippet around the densest cluster of hits, with the hits' offsets in it."""
    text_parts: list[str] = []
    hits: list[tuple[int, int]] = []
    position = 0
    for piece, hit in snippet_segments(body, spans, width):
        if hit:
            hits.append((position, position + len(piece)))
        text_parts.append(piece)
        position += len(piece)
    return Snippet("".join(text_parts), tuple(hits))


def spans_to_segments(text: str, spans: Sequence[Sequence[int]]) -> list[tuple[str, bool]]:
    """Cut ``text`` into ``(text, is_hit)`` pieces at ``spans`` (invalid spans ignored)."""
    pairs = [(int(span[0]), int(span[1])) for span in spans if len(span) == 2]
    pieces: list[tuple[str, bool]] = []
    cursor = 0
    for start, end in _clean_spans(text, pairs):
        if start > cursor:
            pieces.append((text[cursor:start], False))
        pieces.append((text[start:end], True))
        cursor = end
    if cursor < len(text):
        pieces.append((text[cursor:], False))
    return pieces

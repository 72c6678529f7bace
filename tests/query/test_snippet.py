"""Snippets: densest cluster, width, word boundaries, marks and segments."""

from __future__ import annotations

import re

from monitor.query import compile_query, make_snippet, snippet_segments

FILLER_A = "Alpha beta gamma delta. " * 20
FILLER_B = "Epsilon zeta eta theta. " * 20
BODY = FILLER_A + "Putin met Castro in Havana on Monday. " + FILLER_B + "Later, Putin left."


def spans_of(body: str, *words: str) -> list[tuple[int, int]]:
    return sorted(m.span() for w in words for m in re.finditer(re.escape(w), body))


def test_window_centres_on_densest_cluster() -> None:
    snippet = make_snippet(BODY, spans_of(BODY, "Putin", "Castro", "Havana"), width=80)
    assert "[Putin] met [Castro] in [Havana]" in snippet
    assert "Later" not in snippet
    assert snippet.startswith("…") and snippet.endswith("…")


def test_width_bounds_the_text() -> None:
    for width in (40, 80, 160, 240):
        segments = snippet_segments(BODY, spans_of(BODY, "Castro"), width)
        text = "".join(t for t, _ in segments).strip("…")
        assert len(text) <= width
        assert len(text) >= width // 2


def test_cuts_at_word_boundaries() -> None:
    snippet = make_snippet(BODY, spans_of(BODY, "Castro"), width=60, mark=("", ""))
    inner = snippet.strip("…")
    words = set(BODY.replace(".", " ").split())
    first, last = inner.split()[0], inner.split()[-1].rstrip(".")
    assert first in words and last in words


def test_custom_marks_and_whitespace_collapsed() -> None:
    body = "Cuba\n\nand   Russia"
    snippet = make_snippet(body, spans_of(body, "Cuba", "Russia"), mark=("<b>", "</b>"))
    assert snippet == "<b>Cuba</b> and <b>Russia</b>"


def test_segments_mark_hits_for_templates() -> None:
    body = "The <Kremlin> & Havana"
    segments = snippet_segments(body, spans_of(body, "Kremlin", "Havana"))
    assert segments == [("The <", False), ("Kremlin", True), ("> & ", False), ("Havana", True)]


def test_short_body_has_no_ellipsis() -> None:
    assert make_snippet("Short Cuba text.", [(6, 10)]) == "Short [Cuba] text."


def test_no_hits_gives_the_opening() -> None:
    body = "No hits here at all in this long enough text. " * 10
    snippet = make_snippet(body, [], width=50)
    assert snippet.startswith("No hits") and snippet.endswith("…")
    assert len(snippet) <= 51
    assert make_snippet("", []) == ""


def test_bad_and_overlapping_spans_are_tolerated() -> None:
    body = "Raul Castro visited Moscow."
    snippet = make_snippet(body, [(0, 11), (5, 11), (-5, 2), (100, 120), (9, 3)])
    assert snippet == "[Raul Castro] visited Moscow."


def test_long_word_around_hit() -> None:
    body = "x" * 500 + " Cuba " + "y" * 500
    assert make_snippet(body, [(501, 505)], width=40) == "…[Cuba]…"


def test_with_match_spans_on_cyrillic() -> None:
    body = "Вчера в Москве. " * 20 + "Путин встретился с Диас-Канелем в Кремле. " + "Ещё. " * 40
    result = compile_query("путин* OR диас-канел* OR кремл*").match("", body)
    snippet = make_snippet(body, result.spans, width=100)
    assert "[Путин] встретился с [Диас-Канелем] в [Кремле]" in snippet

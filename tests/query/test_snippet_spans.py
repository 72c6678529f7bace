"""Snippets with hit offsets: the offsets point at exactly the hits, whatever the text holds."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from monitor.query import compile_query
from monitor.query.snippet import build_snippet, snippet_segments, spans_to_segments

words = st.sampled_from(["Cuba", "Russia", "[Cuba]", "said", "the", "[sic]", "…", "\n\n", "  "])


@given(st.lists(words, min_size=1, max_size=80), st.integers(20, 300))
def test_offsets_mark_exactly_the_hit_segments(parts: list[str], width: int) -> None:
    body = " ".join(parts)
    spans = [m.span() for m in re.finditer(r"Cuba|Russia", body)]
    snippet = build_snippet(body, spans, width=width)
    expected = snippet_segments(body, spans, width)
    assert "".join(text for text, _ in expected) == snippet.text
    assert [snippet.text[s:e] for s, e in snippet.spans] == [t for t, hit in expected if hit]
    assert snippet.segments() == expected


def test_a_literal_bracket_in_the_text_is_not_a_hit() -> None:
    body = "Officials [in Havana] said Russia would help. " * 3
    result = compile_query("russia").match("", body)
    snippet = build_snippet(body, result.spans)
    assert "[in Havana]" in snippet.text
    assert {snippet.text[s:e] for s, e in snippet.spans} == {"Russia"}
    assert ("[in Havana]", True) not in spans_to_segments(snippet.text, snippet.spans)

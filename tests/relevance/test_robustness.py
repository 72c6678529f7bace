"""Any text at all gets a score in 0..1 and never raises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.relevance import RelevanceModel

MODEL = RelevanceModel.load()
WORDS = st.sampled_from(
    ["Russia", "Cuba", "Кубы", "Кубинка", "rusos", "Moscú", "«Гавана»", "U.S.", "—", "\n\n", "."]
)


@settings(max_examples=150, deadline=None)
@given(
    title=st.text(max_size=80),
    body=st.lists(st.one_of(WORDS, st.text(max_size=20)), max_size=60).map(" ".join),
    language=st.sampled_from([None, "en", "es", "ru", "fr", "", "EN-us", "xx"]),
)
def test_score_is_total(title: str, body: str, language: str | None) -> None:
    verdict = MODEL.score(title, body, language)
    assert 0.0 <= verdict.score <= 1.0
    assert verdict.relevant == (verdict.score >= MODEL.threshold)
    assert all(isinstance(reason, str) and reason for reason in verdict.reasons)

"""Quality gate: the packaged model on the packaged held-out corpus stays above pinned floors.

The decision measured is the pipeline's final one: the default query matched AND the model
found the article relevant. Floors: ``baseline.json`` (per language precision and recall).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.relevance import LanguageScores, RelevanceModel, evaluate, packaged_corpus

BASELINE = json.loads(Path(__file__).with_name("baseline.json").read_text(encoding="utf-8"))
LANGUAGES = sorted(k for k in BASELINE if not k.startswith("_"))


@pytest.fixture(scope="module")
def heldout_scores() -> dict[str, LanguageScores]:
    return evaluate(RelevanceModel.load(), packaged_corpus("heldout"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_heldout_precision_and_recall_not_below_floor(
    language: str, heldout_scores: dict[str, LanguageScores]
) -> None:
    scores = heldout_scores.get(language)
    if scores is None:
        pytest.skip(f"no held-out examples in {language} yet")
    floor = BASELINE[language]
    assert scores.n >= 20, f"{language}: only {scores.n} held-out examples"
    assert scores.precision >= floor["precision"], f"{language}: {scores}"
    assert scores.recall >= floor["recall"], f"{language}: {scores}"

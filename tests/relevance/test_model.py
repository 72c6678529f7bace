"""Loading, scoring and training models: bad files, bad input, too few labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.errors import MonitorError, RelevanceModelError, RelevanceTrainingError
from monitor.relevance import (
    LabelledExample,
    RelevanceModel,
    evaluate,
    save_model,
    train_model,
)
from tests.relevance.conftest import corpus, list_article, relevant_article


@pytest.fixture(scope="module")
def packaged() -> RelevanceModel:
    return RelevanceModel.load()


def test_packaged_model_loads(packaged: RelevanceModel) -> None:
    assert packaged.topic == "russia-cuba"
    assert 0.0 < packaged.threshold < 1.0
    assert packaged.query and "cuba" in packaged.query


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(RelevanceModelError, match="not found") as caught:
        RelevanceModel.load(tmp_path / "nope.json")
    assert isinstance(caught.value, MonitorError)
    assert caught.value.exit_code == 2
    assert str(tmp_path / "nope.json") in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        json.dumps({"format": "something-else"}),
        "\udcff",
    ],
)
def test_corrupt_model_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(RelevanceModelError) as caught:
        RelevanceModel.load(path)
    assert str(path) in str(caught.value)


def test_model_for_other_features_is_refused(tmp_path: Path, packaged: RelevanceModel) -> None:
    data = packaged.to_dict()
    data["features"] = [*data["features"][:-1], "something_new"]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))
    with pytest.raises(RelevanceModelError, match="retrain"):
        RelevanceModel.load(path)


def test_save_and_load_round_trip(tmp_path: Path, packaged: RelevanceModel) -> None:
    path = save_model(packaged, tmp_path / "sub" / "m.json")
    again = RelevanceModel.load(path)
    article = ("Putin meets Díaz-Canel", "Russia and Cuba signed agreements in Moscow.")
    assert again.score(*article, "en").score == pytest.approx(
        packaged.score(*article, "en").score, abs=1e-4
    )


def test_bad_input_never_crashes(packaged: RelevanceModel) -> None:
    empty = packaged.score("", "", "en")
    assert empty.score == 0.0 and not empty.relevant and empty.reasons
    title_only = packaged.score("Russia and Cuba sign oil deal in Havana", "", None)
    assert 0.0 <= title_only.score <= 1.0
    assert not title_only.language_unsupported
    mixed = packaged.score(
        "Russia and Cuba",
        "Россия и Куба подписали соглашение. Russia and Cuba signed an agreement in Havana.",
        None,
    )
    assert 0.0 <= mixed.score <= 1.0
    unknown = packaged.score(
        "La Russie et Cuba", "La Russie et Cuba ont signé des accords pour le pétrole.", "fr"
    )
    assert unknown.language_unsupported
    assert any("language" in reason for reason in unknown.reasons)
    guessed = packaged.score("x", "Die Regierung und das Parlament der Russland und Kuba.", None)
    assert guessed.language_unsupported


def test_threshold_argument_overrides(packaged: RelevanceModel) -> None:
    article = ("Russia and Cuba", "Russia and Cuba talked in Havana about oil.")
    verdict = packaged.score(*article, "en")
    assert packaged.score(*article, "en", threshold=0.0).relevant
    assert not packaged.score(*article, "en", threshold=1.0 + 1e-9).relevant or verdict.score == 1


def test_training_refuses_too_few_labels() -> None:
    with pytest.raises(RelevanceTrainingError, match="too few labels") as caught:
        train_model(corpus(30, 5), topic="t", query=None)
    assert caught.value.exit_code == 2


def test_trained_model_separates_unseen_articles(small_corpus: list[LabelledExample]) -> None:
    model = train_model(small_corpus, topic="test-topic", query=None)
    assert model.topic == "test-topic"
    relevant, noise = relevant_article(99), list_article(99)
    assert model.score(relevant.title, relevant.text, "en").relevant
    assert not model.score(noise.title, noise.text, "en").relevant
    scores = evaluate(
        model,
        [relevant_article(i) for i in range(50, 60)] + [list_article(i) for i in range(50, 60)],
    )
    assert scores["en"].n == 20
    assert scores["en"].precision == 1.0 and scores["en"].recall == 1.0


def test_reasons_name_the_list(packaged: RelevanceModel) -> None:
    noise = list_article(3)
    verdict = packaged.score(noise.title, noise.text, "en")
    assert any(reason.startswith("list of") for reason in verdict.reasons)


def test_reasons_follow_the_verdict(packaged: RelevanceModel) -> None:
    relevant = packaged.score(
        "Russia and Cuba sign oil deal",
        "Russia will ship oil to Cuba under an agreement signed in Havana by both governments.",
        "en",
    )
    assert relevant.relevant
    assert relevant.reasons[0] != "the sides never share a sentence"
    noise = packaged.score(
        "UN vote on the embargo",
        "Voting in favour were Russia, China, Mexico, Brazil, India, Iran, Cuba and Venezuela.",
        "en",
    )
    assert not noise.relevant
    assert noise.reasons[0].startswith("list of")
    assert not any("short" in reason for reason in noise.reasons)

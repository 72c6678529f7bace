"""The signals: where the sides appear, lists of countries, third countries, look-alikes."""

from __future__ import annotations

from monitor.relevance import extract_features
from monitor.relevance.features import analyse, split_sentences
from monitor.relevance.lexicon import SIDE_A, SIDE_B

LIST_SENTENCE = (
    "The new rules bar payments from Russia, Iran, North Korea, Syria, Cuba and Venezuela."
)


def test_country_list_sentence_is_detected() -> None:
    facts = analyse("New payment rules", LIST_SENTENCE, "en")
    (sentence,) = facts.sentences
    assert sentence.has_pair
    assert sentence.is_list
    assert len(sentence.countries) == 6
    features = extract_features("New payment rules", LIST_SENTENCE, "en")
    assert features["pair_only_in_lists"] == 1.0
    assert features["pair_sentences_outside_lists"] == 0.0


def test_pair_sentence_outside_a_list() -> None:
    features = extract_features(
        "Moscow and Havana sign fuel deal",
        "Russia will ship fuel to Cuba under a new agreement.\nThe ministers met in Moscow.",
        "en",
    )
    assert features["title_both"] == 1.0
    assert features["lead_pair_sentence"] == 1.0
    assert features["pair_only_in_lists"] == 0.0
    assert features["relation_in_pair_paragraphs"] > 0


def test_kubinka_is_not_cuba() -> None:
    facts = analyse("", "Танковый музей в Кубинке открыл новый зал. Россия гордится им.", "ru")
    assert facts.total(SIDE_B) == 0
    assert facts.total(SIDE_A) == 1
    assert "кубинка" in facts.sentences[0].homonyms


def test_cuban_woman_is_cuba() -> None:
    facts = analyse("", "Молодая кубинка учится в Москве.", "ru")
    assert facts.total(SIDE_B) == 1


def test_russian_inflections_count_as_the_sides() -> None:
    facts = analyse("", "Кубинскими студентами гордятся в России. На Кубе их ждут.", "ru")
    assert facts.total(SIDE_B) == 2
    assert facts.total(SIDE_A) == 1


def test_spanish_forms_and_homonym() -> None:
    facts = analyse("", "Los rusos llegaron a La Habana. Subieron a la montaña rusa.", "es")
    assert facts.total(SIDE_A) == 1  # "rusos"; the roller coaster does not count
    assert facts.total(SIDE_B) == 1
    assert facts.sentences[1].homonyms == ["montaña rusa"]


def test_look_alike_names_do_not_count() -> None:
    facts = analyse("Mark Cuban orders a Moscow Mule", "Mark Cuban liked the Moscow Mule.", "en")
    assert facts.total(SIDE_A) == facts.total(SIDE_B) == 0
    assert extract_features("x", "Mark Cuban liked the Moscow Mule.", "en")["homonyms"] > 0


def test_third_country_dominance() -> None:
    text = "\n".join(
        [
            "Venezuela held elections on Sunday and Venezuela's opposition protested.",
            "Caracas said Russia and Cuba sent observers.",
            "Venezuelan officials counted the votes in Venezuela overnight.",
        ]
    )
    features = extract_features("Venezuela votes", text, "en")
    assert features["third_dominance"] > 0.7
    assert features["title_third"] == 1.0


def test_history_markers() -> None:
    text = "In October 1962 Kennedy and Khrushchev came close to war over missiles in Cuba."
    features = extract_features("The missile crisis, sixty years on", text, "en")
    assert features["history_density"] > 0
    assert features["old_years_share"] == 1.0


def test_bilateral_compound() -> None:
    features = extract_features("", "Российско-кубинская комиссия собралась в Гаване.", "ru")
    assert features["bilateral_compounds"] > 0


def test_empty_and_title_only_articles() -> None:
    empty = extract_features("", "", "en")
    assert all(value == value for value in empty.values())  # no NaN
    assert empty["title_both"] == 0.0
    title_only = extract_features("Putin receives Cuban president in Moscow", "", "en")
    assert title_only["title_both"] == 1.0
    assert title_only["short_text"] == 1.0


def test_sentence_splitting_keeps_abbreviations() -> None:
    assert len(split_sentences("The U.S. Treasury acted. Cuba replied.")) == 2


def test_capitalised_kubinka_at_sentence_start_is_the_town() -> None:
    facts = analyse("Кубок России", "Финал Кубка прошёл в Москве. Кубинка встречала гостей.", "ru")
    assert facts.total(SIDE_B) == 0
    assert {"кубок", "кубинка"} <= {h for s in facts.sentences for h in s.homonyms}


def test_quoted_names_are_counted() -> None:
    features = extract_features(
        "Ресторан закрывается", "Ресторан «Гавана» в Москве закрывается после 40 лет.", "ru"
    )
    assert features["quoted_side_names"] > 0


def test_warming_builds_every_languages_lexicon_index_once() -> None:
    """What a crawl builds before forking its pool: each worker then finds it built."""
    from monitor.relevance.lexicon import lexicon_index, warm_lexicon_indexes
    from monitor.relevance.morphology import SUPPORTED_LANGUAGES

    lexicon_index.cache_clear()
    warm_lexicon_indexes()
    built = lexicon_index.cache_info()
    assert built.currsize == len(SUPPORTED_LANGUAGES) + 1  # and None: language unknown
    for language in (*SUPPORTED_LANGUAGES, None):
        lexicon_index(language)
    assert lexicon_index.cache_info().misses == built.misses  # nothing built again

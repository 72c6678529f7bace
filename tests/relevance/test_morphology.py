"""Word forms reach one normal form: lemmas for Russian, stems for English and Spanish."""

from __future__ import annotations

import pytest

from monitor.relevance import detect_language, normalise_token


@pytest.mark.parametrize(
    ("token", "language", "expected"),
    [
        ("Кубы", "ru", "куба"),
        ("кубинскими", "ru", "кубинский"),
        ("Гаваной", "ru", "гавана"),
        ("Москве", "ru", "москва"),
        ("Хрущёва", "ru", "хрущев"),
    ],
)
def test_russian_lemmas(token: str, language: str, expected: str) -> None:
    assert normalise_token(token, language) == expected


def test_capitalised_russian_word_prefers_the_proper_noun() -> None:
    # "Кубе": locative of Куба (Cuba) when capitalised; the same letters are also a cube's.
    assert normalise_token("Кубе", "ru") == "куба"
    assert normalise_token("Кубинка", "ru") != normalise_token("Кубы", "ru")


def test_spanish_forms_share_a_stem() -> None:
    assert normalise_token("rusos", "es") == normalise_token("ruso", "es")
    assert normalise_token("rusas", "es") == normalise_token("Rusa", "es")
    assert normalise_token("cubanos", "es") == normalise_token("cubana", "es")


def test_accents_fold_before_stemming() -> None:
    assert normalise_token("Moscú", "es") == normalise_token("moscu", "es") == "moscu"
    assert normalise_token("Díaz", "en") == "diaz"


def test_english_plurals_share_a_stem() -> None:
    assert normalise_token("Russians", "en") == normalise_token("Russian", "en")
    assert normalise_token("Cubans", "en") == normalise_token("cuban", "en")


def test_cyrillic_word_in_a_latin_article_still_lemmatised() -> None:
    assert normalise_token("Кубы", "en") == "куба"


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Визит в Гавану", "Министр прилетел на Кубу и провёл переговоры.", "ru"),
        ("Talks in Havana", "The minister flew to Cuba and held talks with the president.", "en"),
        ("Visita a La Habana", "El ministro viajó a Cuba y se reunió con el presidente.", "es"),
        ("Visite à La Havane", "Le ministre est arrivé pour des entretiens avec les élus.", "fr"),
        ("", "", None),
    ],
)
def test_detect_language(title: str, text: str, expected: str | None) -> None:
    assert detect_language(title, text) == expected

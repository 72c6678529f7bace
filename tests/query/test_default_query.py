"""The default Russia–Cuba query on realistic English, Spanish and Russian text."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.query import DEFAULT_QUERY, compile_query, parse_query

SEEDS = sorted((Path(__file__).resolve().parents[2] / "seeds").glob("*.txt"))
QUERY = compile_query(DEFAULT_QUERY)


def test_default_query_parses() -> None:
    parse_query(DEFAULT_QUERY)
    assert "cuba" in QUERY.positive_terms
    assert "cuba gooding" not in QUERY.positive_terms


def test_there_are_five_seed_articles() -> None:
    assert len(SEEDS) == 5


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_seed_articles_match(path: Path) -> None:
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    result = QUERY.match(title, body)
    assert result.matched
    assert result.spans and result.score > 0
    assert any(t.startswith("russia") or t in {"putin", "moscow"} for t in result.terms)
    assert any(t.startswith("cuba") for t in result.terms)


POSITIVES = {
    "en": (
        "Russia sends oil tanker to Cuba",
        "A Russian tanker carrying crude docked in Matanzas as Havana faces blackouts.",
    ),
    "en-kremlin": (
        "Kremlin hosts Díaz-Canel",
        "Vladimir Putin received Miguel Diaz-Canel, who thanked Moscow for its support.",
    ),
    "es": (
        "Rusia y Cuba firman acuerdos",
        "El canciller ruso Serguéi Lavrov se reunió en La Habana con el presidente cubano.",
    ),
    "es-accentless": (
        "MOSCU Y LA HABANA",
        "EL GOBIERNO DE DIAZ-CANEL RECIBIO A UNA DELEGACION DEL KREMLIN.",
    ),
    "ru": (
        "Россия и Куба подписали соглашения",
        "Президент России Владимир Путин провёл переговоры с Мигелем Диас-Канелем в Кремле.",
    ),
    "ru-inflected": (
        "Лавров прибыл в Гавану",
        "Глава МИД РФ Сергей Лавров обсудил с кубинскими коллегами поставки нефти на Кубу.",
    ),
    "ru-castro": (
        "Визит в Москву",
        "Российская делегация возложила цветы к памятнику Фиделю Кастро.",
    ),
    "soviet": (
        "Missile crisis anniversary",
        "Soviet missiles in Cuba brought the world to the brink; Fidel Castro later said...",
    ),
}


@pytest.mark.parametrize("case", POSITIVES, ids=str)
def test_positive_examples(case: str) -> None:
    title, body = POSITIVES[case]
    assert QUERY.match(title, body).matched


NEGATIVES = {
    "russia-only": (
        "Russia strikes Ukrainian grid",
        "Russian missiles hit power plants; the Kremlin said Moscow would continue.",
    ),
    "cuba-only": (
        "Cuba suffers nationwide blackout",
        "The Cuban grid collapsed again, leaving Havana in the dark; Díaz-Canel blamed the US.",
    ),
    "cuba-gooding": (
        "Cuba Gooding Jr. attends premiere",
        "Actor Cuba Gooding Jr. walked the red carpet at the film's Moscow premiere, "
        "where Cuba Gooding posed for photos.",
    ),
    "moscow-idaho": (
        "Moscow, Idaho restaurant opens",
        "A new restaurant serving Cuban food opened in downtown Moscow, Idaho, near campus.",
    ),
    "moscow-mule": (
        "Summer cocktails",
        "Try a Moscow Mule or a Cuba libre this weekend.",
    ),
    "cuba-new-york": (
        "Cuba, New York cheese festival",
        "Visitors from Moscow Mills travelled to Cuba, New York for the annual cheese festival.",
    ),
    "mark-cuban": (
        "Mark Cuban on crypto",
        "Billionaire Mark Cuban said the Russian market was not a priority.",
    ),
    "ru-football-cup": (
        "Кубок России по футболу",
        "Финал Кубка России состоится в Москве; команда завоевала кубок впервые.",
    ),
    "ru-harbour": (
        "Гавань Владивостока",
        "В гавани Владивостока российские моряки готовятся к навигации.",
    ),
    "es-cigar": (
        "Feria del habano",
        "Productores rusos visitaron la feria de habanos en Miami.",
    ),
    "honduras-castro": (
        "Xiomara Castro meets Russian envoy",
        "Honduran president Xiomara Castro met a Russian delegation in Tegucigalpa.",
    ),
}


@pytest.mark.parametrize("case", NEGATIVES, ids=str)
def test_negative_examples(case: str) -> None:
    title, body = NEGATIVES[case]
    assert not QUERY.match(title, body).matched

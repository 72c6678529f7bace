"""The default query's wider Cuba side: metonyms and main ports/resorts still need Russia."""

from __future__ import annotations

import pytest

from monitor.query import DEFAULT_QUERY, compile_query

QUERY = compile_query(DEFAULT_QUERY)


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("Tanker reaches the island", "A Russian tanker docked at Matanzas with crude."),
        ("Остров свободы получит кредит", "Москва выделит Острову свободы заём."),
        ("Nuevos vuelos", "Aeroflot volará de Moscú a Varadero cada día."),
        ("Порт Сьенфуэгос", "Российское судно прибыло в Сьенфуэгос."),
        ("Тракторы для сафры", "Российские тракторы прибыли в Вилья-Клару."),
        ("Tractores", "Llegan tractores de la Federación de Rusia a Sancti Spíritus."),
        ("Новый рейс", "Аэрофлот откроет рейс в Гавану."),
        ("Делегация Госдумы", "Депутаты Госдумы прибыли на Кубу."),
        ("Rosneft returns", "Rosneft will supply crude to Cuba next year."),
        ("МИД РФ о Кубе", "В МИД РФ прокомментировали положение на Кубе."),
        ("Русская церковь", "Русский храм открылся в гаванском районе Регла."),
    ],
)
def test_metonyms_and_ports_match_with_russia(title: str, body: str) -> None:
    assert QUERY.match(title, body).matched


def test_ports_alone_do_not_match() -> None:
    assert not QUERY.match("Beach season", "Tourists from Canada filled Varadero hotels.").matched


def test_harbour_is_not_havana() -> None:
    assert not QUERY.match("Гавань", "В гавани Мурманска стоят русские суда.").matched

"""The multilingual boilerplate-line filter."""

from __future__ import annotations

import pytest

from monitor.extract.boilerplate import (
    filter_boilerplate,
    has_consent_marker,
    has_paywall_marker,
    is_boilerplate_line,
)

ARTICLE = [
    "Russia and Cuba signed a new cooperation agreement on Tuesday in Havana, officials said.",
    "The deal covers energy, transport and banking, according to the Russian embassy.",
    "Critics said the agreement would deepen the island's dependence on Moscow.",
]


@pytest.mark.parametrize(
    "line",
    [
        "Please enter your comment!",
        "Please enter your name here",
        "Leave a Reply",
        "Comments are closed.",
        "This website uses cookies to improve your experience. Accept Read More",
        "Subscribe to our newsletter",
        "Share on Facebook",
        "Continue reading HERE.",
        "Deja un comentario",
        "Los comentarios están cerrados.",
        "Este sitio web utiliza cookies para mejorar su experiencia.",
        "Suscríbete a nuestro boletín",
        "Compartir en Facebook",
        "Sigue leyendo",
        "Оставьте комментарий",
        "Мы используем файлы cookie для улучшения работы сайта.",
        "Подпишитесь на нашу рассылку",
        "Поделиться",
        "Читайте также: Путин встретился с Диас-Канелем",
    ],
)
def test_edge_lines_dropped(line: str) -> None:
    assert filter_boilerplate([line, *ARTICLE, line]) == ARTICLE


@pytest.mark.parametrize(
    "line",
    [
        "Advertisement",
        "Publicidad",
        "Реклама",
        "Photo: Reuters",
        "Foto: EFE / Ernesto Mastrascusa",
        "Фото: РИА Новости",
        "Putin and Castro in Havana. (Getty Images)",
        "Read more: Cuba hit by blackout",
    ],
)
def test_labels_dropped_anywhere(line: str) -> None:
    assert filter_boilerplate([ARTICLE[0], line, *ARTICLE[1:]]) == ARTICLE


def test_edge_rules_do_not_touch_the_middle() -> None:
    middle = "Continue reading the statement, the minister said, was not an option."
    paragraphs = [ARTICLE[0], middle, *ARTICLE[1:]]
    assert filter_boilerplate(paragraphs) == paragraphs


def test_real_sentences_about_cookies_and_comments_survive() -> None:
    kept = [
        "The ministry did not respond to requests for comment.",
        "Regulators said the website uses cookies to track readers without consent, which "
        "breaks the law, and fined the publisher on Monday.",
        "Comments by the foreign minister were broadcast on state television.",
    ]
    assert filter_boilerplate(kept) == kept
    assert not any(is_boilerplate_line(p, at_edge=False) for p in kept)


def test_related_box_with_headlines_dropped() -> None:
    paragraphs = [
        *ARTICLE,
        "Related posts",
        "Van Klaveren: Chile set to play a more active regional role",
        "Stephanie Iancu",
    ]
    assert filter_boilerplate(paragraphs) == ARTICLE


def test_link_box_in_the_middle_keeps_following_sentences() -> None:
    paragraphs = [ARTICLE[0], "DON'T MISS", "China furious at Macron [INSIGHT]", *ARTICLE[1:]]
    assert filter_boilerplate(paragraphs) == ARTICLE


def test_comment_section_cut() -> None:
    paragraphs = [
        *ARTICLE,
        "1 thought on “Russia and Cuba”",
        "All of those Cubans in military uniform should be sent to fight.",
    ]
    assert filter_boilerplate(paragraphs) == ARTICLE


def test_markers() -> None:
    assert has_paywall_marker("… Subscribe to continue reading. Already a subscriber? Log in")
    assert has_paywall_marker("Suscríbete para seguir leyendo")
    assert not has_paywall_marker("He subscribed to the idea of continued reading.")
    assert has_consent_marker("Before you continue to Example, we value your privacy")
    assert not has_consent_marker("The ministers continued their talks.")

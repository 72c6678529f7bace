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
        "Start your morning with the Daily Brief. Sign up for the free daily newsletter here.",
        "There's more where that came from. Sign up for The Brief today to get the free daily "
        "newsletter delivered to your inbox.",
        "Get access to the fastest growing news subscriptions service for as little as $5 a "
        "month. Use the code WELCOME. It offers you all the information you need to understand "
        "the markets, with exclusive analysis, research reports, portfolio tools and a daily "
        "briefing from our editors, plus an ad-light reading experience on every device.",
        "Jane Doe's book about the search for alien life is out now. Follow her on Twitter "
        "@janedoe. Follow us on Twitter @example or Facebook.",
        "Listen to Newsbeat live at 12:45 and 17:45 weekdays - or listen back here.",
        "How to listen to The Tennis Podcast",
        "The paper is committed to publishing a diversity of letters to the editor. We’d like to "
        "hear what you think about this or any of our articles. Here's our email: letters@x.com.",
        "iTunes: http://po.st/TP_615Apple",
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
        '[button link="https://example.com/submit/" type="big"] Send us your review[/button]',
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
        "More than a million readers signed up for the paper's newsletter after the election, "
        "the publisher said in its annual report.",
    ]
    assert filter_boilerplate(kept) == kept
    assert not any(is_boilerplate_line(p, at_edge=False) for p in kept)


def test_closing_newsletter_box_dropped() -> None:
    box = ["Pick Six Newsletter", "Get the day's big stories plus mock drafts and picks."]
    assert filter_boilerplate([*ARTICLE, *box]) == ARTICLE
    # a newsletter heading followed by real text is not a closing box
    long_tail = ["The Substack newsletter", ARTICLE[0] * 3]
    assert filter_boilerplate([*ARTICLE, *long_tail]) == [*ARTICLE, *long_tail]


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

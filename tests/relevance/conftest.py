"""Small labelled corpora written for the tests (not the packaged corpus)."""

from __future__ import annotations

import itertools

import pytest

from monitor.relevance import Label, LabelledExample

_TOPICS = ["fuel shipments", "a credit line", "tourist flights", "a navy visit", "wheat supplies"]
_PLACES = ["Moscow", "Havana"]
_THIRDS = ["Venezuela", "Nicaragua", "Iran", "China", "Belarus"]


def relevant_article(i: int) -> LabelledExample:
    topic = _TOPICS[i % len(_TOPICS)]
    place = _PLACES[i % 2]
    return LabelledExample(
        title=f"Russia and Cuba agree on {topic}",
        text=(
            f"Russian and Cuban officials met in {place} on day {i} to discuss {topic}.\n"
            f"The Russian minister said Moscow would keep supporting Cuba.\n"
            f"Cuba thanked Russia for its help and both sides signed an agreement."
        ),
        language="en",
        label=Label.RELEVANT,
        id=f"r{i}",
    )


def list_article(i: int) -> LabelledExample:
    third = _THIRDS[i % len(_THIRDS)]
    return LabelledExample(
        title=f"{third} tightens currency rules (update {i})",
        text=(
            f"{third}'s central bank changed its exchange rules on day {i}.\n"
            f"{third} officials said inflation would ease in {third} this year.\n"
            f"The rules mirror steps taken by Russia, Iran, Syria, North Korea and Cuba."
        ),
        language="en",
        label=Label.IRRELEVANT,
        id=f"i{i}",
    )


def corpus(n_relevant: int, n_irrelevant: int) -> list[LabelledExample]:
    return [relevant_article(i) for i in range(n_relevant)] + [
        list_article(i) for i in range(n_irrelevant)
    ]


@pytest.fixture
def small_corpus() -> list[LabelledExample]:
    return list(itertools.chain(corpus(25, 25)))

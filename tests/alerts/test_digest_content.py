"""Digest content from stored articles: hits from offsets (a literal [x] is text), the badge of
a walled copy, and the "updated" section (``[email] updated_section``), sent over real SMTP."""

from __future__ import annotations

import re
from dataclasses import replace
from email.message import EmailMessage

import pytest

from monitor.alerts.render import snippet_segments, stored_snippet_segments
from monitor.alerts.sender import send_digests
from monitor.db.engine import Database
from monitor.extract import Access
from monitor.processing import ArticleStore, FetchedPage, PageAnalysis, analyze_page
from monitor.query import DEFAULT_QUERY
from tests.alerts.conftest import FAST_RETRY, SMTPServer, make_config
from tests.pages import RELEVANT, page_html


def test_hits_come_from_offsets_not_from_brackets() -> None:
    snippet = "Cuba said [citation needed] that Russia will help."
    spans = [[0, 4], [33, 39]]
    assert stored_snippet_segments(snippet, spans) == [
        ("Cuba", True),
        (" said [citation needed] that ", False),
        ("Russia", True),
        (" will help.", False),
    ]
    assert stored_snippet_segments(snippet, []) == [(snippet, False)]
    # Rows stored before offsets existed (spans NULL) keep their bracket marks.
    assert stored_snippet_segments("[Cuba] and [Russia]", None) == snippet_segments(
        "[Cuba] and [Russia]"
    )
    assert stored_snippet_segments("x [y", [[5, 9], [-3, -1], [2, 2], [1]]) == [("x [y", False)]


def analyse(url: str, key: str, extra: list[str] | None = None) -> PageAnalysis:
    title, paragraphs = RELEVANT[key]
    body = page_html(title, [*paragraphs, *(extra or [])])
    return analyze_page(FetchedPage(url, body, "test"), DEFAULT_QUERY)


def parts(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())  # type: ignore[attr-defined]


def test_a_paywalled_copy_has_a_badge(alerts_db: Database, smtp_server: SMTPServer) -> None:
    config = make_config(smtp_server.port, database_url=alerts_db.url)
    store = ArticleStore.for_config(alerts_db, config)
    analysis = analyse("https://wall.example/flights", "flights")
    assert analysis.article is not None
    walled = replace(analysis, article=replace(analysis.article, access=Access.PAYWALLED))
    assert store.store(walled).outcome == "new"
    assert store.store(analyse("https://open.example/oil", "oil")).outcome == "new"
    send_digests(alerts_db, config, retry=FAST_RETRY)
    smtp_server.wait_for(1)
    text, html = parts(smtp_server.received[0].message)
    titles = [line for line in text.splitlines() if re.match(r"\d+\. ", line)]
    (walled_line,) = [line for line in titles if "direct flights" in line]
    assert walled_line.split(". ", 1)[1].startswith("[Paywalled] Russia and Cuba")
    (oil_line,) = [line for line in titles if "tanker delivers" in line]
    assert "[Paywalled]" not in oil_line
    assert "(Paywalled): https://wall.example/flights" in text
    assert html.count(">Paywalled</span>") == 1


@pytest.mark.parametrize("section", [True, False])
def test_updated_stories_get_their_own_section(
    alerts_db: Database, smtp_server: SMTPServer, section: bool
) -> None:
    config = make_config(smtp_server.port, database_url=alerts_db.url, updated_section=section)
    store = ArticleStore.for_config(alerts_db, config)
    first = store.store(analyse("https://r.example/oil", "oil"))
    send_digests(alerts_db, config, retry=FAST_RETRY)
    smtp_server.wait_for(1)
    edit = ["A second tanker is due in Havana next week, the energy ministry said on Friday."]
    edited = store.store(analyse("https://r.example/oil", "oil", edit))
    assert edited.outcome == "updated" and edited.alerts == 0
    assert store.store(analyse("https://r.example/flights", "flights")).outcome == "new"
    send_digests(alerts_db, config, retry=FAST_RETRY)
    smtp_server.wait_for(2)
    assert len(smtp_server.received) == 2
    text, html = parts(smtp_server.received[1].message)
    new_part, _, updated_part = text.partition("Updated since you were told")
    assert "direct flights" in new_part and "1 new story" in new_part
    assert "tanker delivers" not in new_part  # never announced again as new
    if section:
        assert updated_part.startswith(" (1)")
        assert "tanker delivers" in updated_part and "edited " in updated_part
        assert "Updated since you were told (1)" in html
    else:
        assert updated_part == "" and "Updated since" not in html
    assert first.story_id is not None

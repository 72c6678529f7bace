"""The HTML pages over the TestClient, on SQLite and PostgreSQL: every page renders from stored
data, web-derived text is escaped, htmx requests get the fragment they swap, forms carry the
CSRF token, and nothing is loaded from another host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from monitor.config import MonitorConfig, load_config
from monitor.db.engine import Database
from monitor.processing import ArticleStore
from monitor.web import service
from monitor.web.charts import bar_chart, daily_series
from tests.web.conftest import RELEVANT, Stored, make_client, store_page

HTMX = {"HX-Request": "true"}
PAGES = ("/", "/?show=near_misses", "/?sort=relevance", "/sources", "/lab", "/digests")


def _page(client: TestClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
    assert answer.headers["content-type"].startswith("text/html")
    return answer.text


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_offline_and_without_inline_style(
    client: TestClient, stored: Stored, path: str
) -> None:
    text = _page(client, path)
    assert "<main" in text and "</html>" in text
    assert not re.search(r"""\sstyle\s*=""", text), "the CSP forbids inline style attributes"
    assert "<script>" not in text, "no inline script either"
    remote = re.findall(r"""(?:src|href)=["'](?:https?:)?//(?!testserver)[^"']+["'][^>]*>""", text)
    # links to the articles themselves are fine; nothing the page loads is remote
    loaded = [tag for tag in remote if 'rel="stylesheet"' in tag or tag.startswith("src=")]
    assert not loaded, loaded


def test_hostile_titles_and_outlets_are_escaped_in_the_inbox_and_the_story(
    client: TestClient, stored: Stored
) -> None:
    for path in ("/", f"/stories/{stored.hostile}"):
        text = _page(client, path)
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in text, path
        assert 'Havana "Daily" <b>' not in text
        assert "Havana &#34;Daily&#34; &lt;b&gt;" in text, "the hostile outlet name, escaped"


def test_the_inbox_groups_copies_and_marks_the_search_hits(
    client: TestClient, stored: Stored
) -> None:
    text = _page(client, "/")
    item = text[text.index(f'id="story-{stored.oil}"') :]
    item = item[: item.index("</li>")]
    assert "Havana Daily" in item and "Moscow Wire" in item, "both outlets of the syndicated story"
    assert "2 copies" in item
    searched = _page(client, "/?q=petr%C3%B3leo")
    assert f'id="story-{stored.spanish}"' in searched
    assert f'id="story-{stored.flights}"' not in searched
    assert re.search(r"<mark>petr[oó]leo</mark>", searched, flags=re.IGNORECASE)


def test_a_query_error_is_one_line_on_the_page(client: TestClient, stored: Stored) -> None:
    text = _page(client, "/?q=cuba%20AND%20(")
    assert "Query error:" in text


def test_item_buttons_answer_htmx_with_the_row_and_plain_posts_with_a_redirect(
    client: TestClient, stored: Stored, db: Database, web_config: MonitorConfig
) -> None:
    answer = client.post(
        f"/stories/{stored.flights}/feedback", data={"label": "irrelevant"}, headers=HTMX
    )
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith("<li") and f'id="story-{stored.flights}"' in answer.text
    assert 'data-label="irrelevant"' in answer.text
    assert service.story_detail(db, web_config, stored.flights).story.label == "irrelevant"

    plain = client.post(
        f"/stories/{stored.oil}/star", data={"starred": "true"}, follow_redirects=False
    )
    assert plain.status_code == 303
    assert service.story_detail(db, web_config, stored.oil).story.starred


def test_bulk_actions_change_every_selected_story(
    client: TestClient, stored: Stored, db: Database, web_config: MonitorConfig
) -> None:
    picked = [stored.oil, stored.spanish]
    answer = client.post(
        "/stories/bulk", data={"action": "read", "ids": [str(i) for i in picked]}, headers=HTMX
    )
    assert answer.status_code == 200 and answer.headers.get("HX-Trigger") == "stories-changed"
    for story_id in picked:
        assert service.story_detail(db, web_config, story_id).story.read
    assert not service.story_detail(db, web_config, stored.flights).story.read


def test_the_story_page_shows_every_copy_with_dates_and_reasons(
    client: TestClient, stored: Stored, db: Database, web_config: MonitorConfig
) -> None:
    text = _page(client, f"/stories/{stored.oil}")
    detail = service.story_detail(db, web_config, stored.oil)
    assert text.count('class="copy"') == len(detail.story.articles) == 2
    for article in detail.story.articles:
        assert article.published_method in text
    reasons = [r for a in detail.story.articles for r in a.relevance_reasons]
    assert reasons and all(reason in text for reason in reasons)
    assert client.get("/stories/999999").status_code == 404


def test_sources_page_has_a_chart_and_crawl_buttons_per_source(
    client: TestClient, stored: Stored, web_config: MonitorConfig
) -> None:
    text = _page(client, "/sources")
    for source in web_config.sources:
        assert f'data-source="{source.name}"' in text
    assert text.count('<svg class="spark"') == len(web_config.sources)
    assert text.count("crawl-now") == len(web_config.sources)


def test_disable_and_mute_a_source_from_its_row(
    client: TestClient, stored: Stored, db: Database, web_config: MonitorConfig
) -> None:
    answer = client.post("/sources/moscow-wire/enabled", data={"enabled": "0"}, headers=HTMX)
    assert answer.status_code == 200 and answer.text.lstrip().startswith("<tr")
    assert not service.source_row(db, web_config, "moscow-wire").enabled
    client.post("/sources/moscow-wire/mute", data={"muted": "true"}, headers=HTMX)
    assert service.source_row(db, web_config, "moscow-wire").muted
    assert f'id="story-{stored.flights}"' not in _page(client, "/"), "muted: out of the inbox"
    assert client.post("/sources/nope/mute", data={"muted": "true"}).status_code == 404


def test_query_lab_charts_matches_per_day_and_saves(client: TestClient, stored: Stored) -> None:
    text = _page(client, "/lab?q=oil%20OR%20petr%C3%B3leo")
    assert '<svg class="chart"' in text and 'id="lab-count"' in text
    saved = client.post(
        "/lab/save", data={"name": "oil", "q": "oil OR petróleo"}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert "oil OR petróleo" in _page(client, "/lab")
    bad = client.post("/lab/save", data={"name": "broken", "q": "oil AND ("})
    assert bad.status_code == 400 and "not saved" in bad.text


def test_digest_preview_is_the_message_with_its_own_policy(
    client: TestClient, stored: Stored, web_config: MonitorConfig
) -> None:
    page = _page(client, "/digests")
    previews = [p.recipient for p in service.digest_previews(client.app.state.db, web_config)]  # type: ignore[attr-defined]
    assert previews, "the stored stories are due for the configured recipients"
    assert "<iframe" in page and "sandbox" in page
    answer = client.get("/digests/preview", params={"recipient": previews[0]})
    assert answer.status_code == 200
    assert "style-src 'unsafe-inline'" in answer.headers["content-security-policy"]
    assert "<script>alert" not in answer.text
    assert client.get("/digests/preview", params={"recipient": "x@y.z"}).status_code == 404


def test_with_a_token_pages_redirect_to_the_login_form_and_forms_need_csrf(
    config_path: Path, db: Database, stored: Stored, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_WEB_TOKEN", "pages-secret")
    with make_client(load_config(config_path), db) as client:
        first = client.get("/sources", follow_redirects=False)
        assert first.status_code == 303 and "/login" in first.headers["location"]
        form = _page(client, "/login?next=/sources")
        assert 'id="login-form"' in form
        signed = client.post("/login", data={"token": "pages-secret", "next": "/sources"})
        assert signed.status_code == 200 and 'id="sources-table"' in signed.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', signed.text)
        assert token, "forms carry the session's CSRF token"
        refused = client.post(f"/stories/{stored.oil}/star", data={"starred": "true"})
        assert refused.status_code == 403
        allowed = client.post(
            f"/stories/{stored.oil}/star",
            data={"starred": "true", "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert allowed.status_code == 303


def test_bar_chart_geometry() -> None:
    from datetime import date

    series = daily_series(
        [(date(2026, 1, 3), 4), (date(2026, 1, 3), 2)], date(2026, 1, 1), date(2026, 1, 4)
    )
    assert [count for _, count in series] == [0, 0, 6, 0]
    chart = bar_chart(series, width=40, height=20, gap=0)
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert tallest.value == 6 and tallest.height == 20 and tallest.y == 0
    assert all(bar.height == 1 for bar in chart.bars if bar.value == 0)
    assert chart.total == 6 and chart.peak == 6


def test_the_story_page_shows_a_revision_as_a_diff(
    client: TestClient, stored: Stored, db: Database
) -> None:
    title, paragraphs = RELEVANT["oil"]
    edited = [*paragraphs, "A <b>paragraph</b> added later."]
    outcome, _story, _article = store_page(
        ArticleStore(db), "https://havana.example/oil", "Old <i>headline</i> " + title, edited,
        source="havana-daily", site="Havana Daily",
    )  # fmt: skip
    assert outcome == "updated"
    text = _page(client, f"/stories/{stored.oil}")
    assert "<ins>+ A &lt;b&gt;paragraph&lt;/b&gt; added later.</ins>" in text
    assert "Old &lt;i&gt;headline&lt;/i&gt;" in text and 'class="revisions"' in text


def test_tokens_page_creates_a_key_shown_once_which_then_guards_the_console(
    client: TestClient, stored: Stored
) -> None:
    assert 'action="/tokens"' in _page(client, "/tokens")
    created = client.post("/tokens", data={"role": "analyst", "label": "<ana>"})
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    secret = re.search(r'id="new-secret">([^<]+)<', created.text)
    assert secret and "&lt;ana&gt;" in created.text
    # a key exists now: authentication is configured and pages need a session
    locked = client.get("/", follow_redirects=False)
    assert locked.status_code == 303 and "/login" in locked.headers["location"]
    signed = client.post("/login", data={"token": secret.group(1), "next": "/"})
    assert signed.status_code == 200 and 'id="story-list"' in signed.text
    assert "analyst" in signed.text
    assert client.get("/tokens").status_code == 403, "an analyst does not manage tokens"


def test_send_test_reports_the_channel_failure_in_one_line(
    client: TestClient, stored: Stored, web_config: MonitorConfig
) -> None:
    # the test config's SMTP server (127.0.0.1:9) does not answer: the form says so
    recipient = web_config.email.active_recipients()[0].address
    answer = client.post("/digests/test", data={"recipient": recipient}, headers=HTMX)
    assert answer.status_code == 200
    assert 'id="test-result"' in answer.text and "Not sent to" in answer.text
    assert "<html" not in answer.text, "htmx gets the fragment only"

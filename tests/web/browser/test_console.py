"""The console as a user sees it: real chromium, the real ``monitor web``, a real crawl.

The expectations are relations with what the database holds (which stories have a Russian copy,
which ones the query matches, what feedback was stored), never counts written down here.
"""

from __future__ import annotations

import re
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from monitor.db.models import Article, Feedback
from monitor.demo.site import NewsWeb
from monitor.query import compile_query
from tests.sites.fixtures import CrawlEnv
from tests.web.browser.conftest import SOURCES, TOKEN
from tests.web.browser.console import ConsoleServer
from tests.web.browser.steps import (
    all_of,
    find,
    item_state,
    js,
    sign_in,
    story_titles,
    submit_and_wait,
    until,
)


def _ids(driver: Any) -> list[int]:
    return [
        int(str(e.get_attribute("data-story-id"))) for e in all_of(driver, "#story-list .story")
    ]


def _copies(env: CrawlEnv) -> dict[int, list[Article]]:
    by_story: dict[int, list[Article]] = {}
    for article in env.articles():
        if article.story_id is not None:
            by_story.setdefault(article.story_id, []).append(article)
    return by_story


def test_pages_need_a_login_and_a_wrong_token_is_refused(
    browser: Any, console: ConsoleServer
) -> None:
    browser.delete_all_cookies()
    browser.get(console.url("/sources"))
    find(browser, "#login-form")
    assert "/login" in browser.current_url
    find(browser, "#token").send_keys("not-the-token")
    submit_and_wait(browser, browser.find_element(By.ID, "login-button"))
    assert find(browser, "#login-error").text.strip()
    assert not all_of(browser, "#sources-table")
    sign_in(browser, console, TOKEN)
    assert all_of(browser, ".topbar .who .role"), "signed in, the top bar names the role"


def test_filter_by_language_and_search_with_the_query_language(
    signed_in: Any, console: ConsoleServer, crawled: CrawlEnv
) -> None:
    browser = signed_in
    browser.get(console.url("/"))
    find(browser, "#story-list")
    everything = _ids(browser)
    copies = _copies(crawled)
    assert everything, "the crawl stored stories and the inbox lists them"
    russian = {sid for sid in everything if any(a.language == "ru" for a in copies[sid])}
    assert russian and russian != set(everything), "the demo web has Russian and other stories"

    Select(find(browser, "#f-language")).select_by_value("ru")
    submit_and_wait(browser, browser.find_element(By.ID, "apply-filters"))
    assert set(_ids(browser)) == russian
    for item in all_of(browser, "#story-list .story"):
        assert "ru" in [
            chip.text.strip().lower() for chip in item.find_elements(By.CLASS_NAME, "lang")
        ]

    browser.get(console.url("/"))
    lead = copies[everything[0]][0]
    word = max(re.findall(r"[^\W\d_]{5,}", lead.title), key=len)
    query = f"{word.lower()}*"
    compiled = compile_query(query)
    expected = {
        sid
        for sid in everything
        if any(compiled.match(a.title, a.text).matched for a in copies[sid])
    }
    box = find(browser, "#search")
    box.clear()
    box.send_keys(query)
    submit_and_wait(browser, browser.find_element(By.ID, "search-button"))
    assert find(browser, "#search").get_attribute("value") == query
    assert set(_ids(browser)) == expected and everything[0] in expected
    marks = [m.text.lower() for m in all_of(browser, "#story-list .snippet mark")]
    assert marks and all(m.startswith(word.lower()[:4]) for m in marks), marks


def test_open_a_story_and_mark_it_irrelevant(
    signed_in: Any, console: ConsoleServer, crawled: CrawlEnv
) -> None:
    browser = signed_in
    browser.get(console.url("/"))
    first = find(browser, "#story-list .story")
    story_id = int(str(first.get_attribute("data-story-id")))
    title = first.find_element(By.CSS_SELECTOR, ".title a").text.strip()
    submit_and_wait(browser, first.find_element(By.CSS_SELECTOR, ".title a"))

    assert find(browser, "#story-title").text.strip() == title
    stored = _copies(crawled)[story_id]
    assert len(all_of(browser, "article.copy")) == len(stored)
    shown_text = find(browser, ".fulltext").get_attribute("textContent") or ""
    assert any(a.text.split("\n\n")[-1][:60] in shown_text for a in stored)

    button = find(browser, "#story-actions button[data-action=irrelevant]")
    submit_and_wait(browser, button)
    assert find(browser, "#label-irrelevant")
    with crawled.db.session() as session:
        labels = list(session.scalars(select(Feedback).where(Feedback.story_id == story_id)))
        assert [(f.label, f.origin) for f in labels][-1:] == [("irrelevant", "web")]


def test_item_buttons_and_bulk_actions_update_in_place(
    signed_in: Any, console: ConsoleServer, crawled: CrawlEnv
) -> None:
    browser = signed_in
    browser.get(console.url("/"))
    find(browser, "#story-list .story")
    ids = _ids(browser)
    assert len(ids) >= 3
    target, picked = ids[-1], ids[:2]
    js(browser, "document.documentElement.dataset.marker = 'same-page'")
    browser.find_element(By.CSS_SELECTOR, f"#story-{target} button[data-action=star]").click()
    until(browser, lambda d: "★" in ((item_state(d, target) or {}).get("text") or ""))
    assert js(browser, "return document.documentElement.dataset.marker") == "same-page", (
        "htmx swapped the item only, no page load"
    )

    for story_id in picked:
        browser.find_element(By.CSS_SELECTOR, f"#story-{story_id} input.pick").click()
    assert find(browser, "#selected-count").text.startswith("2")
    find(browser, "#bulk button[value=read]").click()
    until(browser, lambda d: js(d, "return document.getElementById('bulk-result').textContent"))
    until(
        browser,
        lambda d: all("read" in (item_state(d, sid) or {}).get("classes", []) for sid in picked),
    )
    assert "read" not in (item_state(browser, target) or {}).get("classes", [])


def test_crawl_now_finds_a_newly_published_story(
    signed_in: Any, console: ConsoleServer, news_site: NewsWeb
) -> None:
    browser = signed_in
    published = news_site.publish_next()
    assert published is not None and published.relevant
    browser.get(console.url("/"))
    find(browser, "#story-list")
    assert published.title not in story_titles(browser)

    source = published.host  # the demo's source names are its host names
    browser.get(console.url("/sources"))
    row = find(browser, f"tr[data-source='{source}']")
    before = row.find_element(By.CSS_SELECTOR, "td:nth-child(2)").text
    row.find_element(By.CSS_SELECTOR, "button.crawl-now").click()
    find(browser, f"tr[data-source='{source}'] .poll")
    done = until(
        browser,
        lambda d: d.find_elements(
            By.CSS_SELECTOR, f"tr[data-source='{source}'] .poll[data-finished=yes]"
        ),
        timeout=90,
    )
    summary = done[0].text
    assert re.search(r"\b[1-9]\d* new\b", summary), summary
    rows = js(
        browser,
        "return Array.from(document.querySelectorAll('#sources-table tbody tr'))"
        ".map(r => r.dataset.source)",
    )
    assert sorted(rows) == sorted(SOURCES), "the finished poll refreshed its row in place"
    last_poll = find(browser, f"tr[data-source='{source}'] td:nth-child(2)").text
    assert last_poll != before and re.search(r"\b[1-9]\d* new\b", last_poll), last_poll

    browser.get(console.url("/"))
    find(browser, "#story-list")
    assert published.title in story_titles(browser)


def test_hostile_titles_and_bodies_render_as_text(
    signed_in: Any, console: ConsoleServer, crawled: CrawlEnv
) -> None:
    """A stored page whose title and text carry markup shows it literally: no element made."""
    from monitor.processing import ArticleStore
    from tests.web.conftest import HOSTILE, HOSTILE_TITLE, store_page

    title, paragraphs = HOSTILE
    _, story_id, _ = store_page(
        ArticleStore(crawled.db), "https://hostile.example/x", title, paragraphs,
        source="havana-daily", site='Evil <i>"Site"</i>',
    )  # fmt: skip
    browser = signed_in
    for path in ("/", f"/stories/{story_id}", "/lab?q=tanker"):
        browser.get(console.url(path))
        find(browser, "main")
        made = js(
            browser,
            "return document.querySelectorAll("
            "'main script, main img[src=x], main i, main [onerror]').length",
        )
        assert made == 0, path
        assert HOSTILE_TITLE in (find(browser, "main").text), path


def test_pages_load_nothing_remote_and_break_no_policy(
    signed_in: Any, console: ConsoleServer
) -> None:
    """Chromium's console stays clean: no CSP violation, no failed load, no script error."""
    browser = signed_in
    browser.get_log("browser")  # drop what earlier tests left
    for path in ("/", "/?show=near_misses", "/sources", "/lab?q=cuba", "/digests"):
        browser.get(console.url(path))
        find(browser, "main")
        loaded = js(browser, "return performance.getEntriesByType('resource').map(e => e.name)")
        assert loaded and all(url.startswith(console.base) for url in loaded), loaded
        problems = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not problems, (path, problems)

"""Browser-test fixtures: a local news web, a real crawl of it, the real ``monitor web`` with a
token, and headless Debian chromium driven by Selenium (system chromedriver, nothing downloaded).

Without chromium the tests skip with the reason, except under CI (``CI=true``), where a missing
browser fails them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.demo.articles import ARTICLES, NOISE_ARTICLES
from monitor.demo.site import NewsWeb, demo_sources
from tests.sites.fixtures import CrawlEnv
from tests.web.browser.chrome import IN_CI, launch, missing_reason
from tests.web.browser.console import ConsoleServer

TOKEN = "browser-test-token-5f1c2a"
SOURCES = ("havana-daily", "moscow-wire", "caribbean-post")


@pytest.fixture(scope="session")
def chromium_ready() -> None:
    if reason := missing_reason():
        if IN_CI:
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def news_site() -> Iterator[NewsWeb]:
    """The demo news web (with its off-topic noise) on 127.0.0.2–5, for this module alone."""
    web = NewsWeb(slow_seconds=2.0, oversized_bytes=100_000, articles=ARTICLES + NOISE_ARTICLES)
    web.start()
    try:
        yield web
    finally:
        web.stop()


@pytest.fixture(scope="module")
def crawled(
    chromium_ready: None, news_site: NewsWeb, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CrawlEnv]:
    """A SQLite database filled by a real crawl of three sources of the news web."""
    env = CrawlEnv(tmp_path_factory.mktemp("console"))
    env.write_config([s for s in demo_sources(news_site) if s["name"] in SOURCES])
    env.crawl()
    try:
        yield env
    finally:
        env.db.dispose()


@pytest.fixture(scope="module")
def console(crawled: CrawlEnv) -> Iterator[ConsoleServer]:
    """``monitor web`` on a free loopback port, with ``$MONITOR_WEB_TOKEN`` set."""
    server = ConsoleServer(crawled.config_path, token=TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(
    chromium_ready: None, console: ConsoleServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """Headless chromium for the console (it quits first, so the server stops at once)."""
    driver = launch(tmp_path_factory.mktemp("downloads"))
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def signed_in(browser: Any, console: ConsoleServer) -> Any:
    """The browser, signed in through the login form."""
    from tests.web.browser.steps import sign_in

    sign_in(browser, console, TOKEN)
    return browser


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    return tmp_path

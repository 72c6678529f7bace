"""The look-back window ends at the newest entry: a feed that stopped updating still yields."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from monitor.demo.site import NewsWeb
from tests.sites.fixtures import CrawlEnv


@pytest.fixture
def stale_web() -> Iterator[NewsWeb]:
    """The demo web as recorded 60 days ago: every entry is far outside a 3-day window."""
    web = NewsWeb(now=datetime.now(UTC) - timedelta(days=60)).start()
    try:
        yield web
    finally:
        web.stop()


def test_stale_feed_yields_its_latest_entries_once(stale_web: NewsWeb, crawl_env: CrawlEnv) -> None:
    havana = stale_web.host("havana-daily")
    crawl_env.write_config(
        [{"name": "havana-daily", "feeds": [havana.url("/feed/")], "allow_private": True}],
        crawl={"lookback_days": 3.0},
    )
    first = crawl_env.crawl()["havana-daily"]
    expected = {stale_web.article_url(a) for a in stale_web.live("havana-daily") if a.relevant}
    assert expected
    assert {a.url for a in crawl_env.articles()} == expected
    # Entries older than the window before the newest entry are still skipped.
    assert first["counts"]["too_old"] == 1
    second = crawl_env.crawl()["havana-daily"]
    assert second["counts"].get("new", 0) == 0

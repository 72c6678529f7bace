"""The same real crawl on PostgreSQL: every article once, syndicated copies one story."""

from __future__ import annotations

from monitor.demo.site import NewsWeb, demo_sources
from tests.sites.fixtures import CrawlEnv


def test_crawl_into_postgresql(news_web: NewsWeb, postgres_crawl_env: CrawlEnv) -> None:
    env = postgres_crawl_env
    env.write_config(demo_sources(news_web))
    summaries = env.crawl()
    assert {s["status"] for s in summaries.values()} == {"ok"}, summaries
    stored = env.articles()
    urls = [a.url for a in stored]
    assert len(urls) == len(set(urls))
    # The section-page source also finds the archive article its listing links to.
    archive = {u for u in urls if "/archive/" in u}
    assert set(urls) - archive == news_web.relevant_urls()
    frigate = [a for a in stored if "frigate" in a.url or "warships" in a.url]
    assert len(frigate) == 2 and frigate[0].story_id == frigate[1].story_id
    again = env.crawl()
    assert sum(s["counts"].get("new", 0) for s in again.values()) == 0
    assert len(env.articles()) == len(stored)

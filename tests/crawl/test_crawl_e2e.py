"""Real crawls (child processes) of the demo news web: discovery, dedup, incremental, politeness."""

from __future__ import annotations

from urllib.parse import urlsplit

from monitor.demo.site import NewsWeb
from tests.sites.fixtures import CrawlEnv


def _article_paths(web: NewsWeb, host: str) -> list[str]:
    article_paths = {web.article_path(a) for a in web.articles if a.host == host}
    return [p for p in web.host(host).paths() if p in article_paths]


def test_first_crawl_finds_every_matching_article_once_and_second_is_incremental(
    news_web: NewsWeb, crawl_env: CrawlEnv
) -> None:
    havana, moscow, post = (
        news_web.host(n) for n in ("havana-daily", "moscow-wire", "caribbean-post")
    )
    search = news_web.host("news-search")
    crawl_env.write_config(
        [
            {"name": "havana-daily", "feeds": [havana.url("/feed/")], "allow_private": True},
            {
                "name": "moscow-wire",
                "sitemaps": [moscow.url("/sitemap.xml")],
                "allow_private": True,
            },
            {"name": "caribbean-post", "site": post.url("/"), "allow_private": True},
            {
                "name": "search-google",
                "type": "google_news",
                "feeds": [search.url("/rss/search")],
                "allow_private": True,
            },
        ]
    )
    summaries = crawl_env.crawl()
    assert {s["status"] for s in summaries.values()} == {"ok"}, summaries
    stored = crawl_env.articles()
    urls = [a.url for a in stored]
    assert len(urls) == len(set(urls))
    assert set(urls) == news_web.relevant_urls()
    # The wire story published by two hosts is one story with two articles.
    frigate = [a for a in stored if "frigate" in a.url or "warships" in a.url]
    assert len(frigate) == 2 and frigate[0].story_id == frigate[1].story_id
    # Politeness: robots.txt read, disallowed paths never requested, old entries skipped.
    for host in (havana, moscow, post):
        assert "/robots.txt" in host.paths()
        assert not [p for p in host.paths() if p.startswith(("/private/", "/login/"))]
    assert not [p for p in havana.paths() if p.startswith("/archive/")]
    assert summaries["havana-daily"]["counts"]["too_old"] == 1
    runs = crawl_env.runs()
    assert len(runs) == 4 and all(r.status == "ok" and r.finished_at for r in runs)
    # Feed validators were stored for conditional GETs.
    assert crawl_env.http_cache()[havana.url("/feed/")].etag

    before = {name: len(news_web.host(name).paths()) for name in news_web.hosts}
    published = news_web.publish_next()  # one new article on caribbean-post
    assert published is not None and published.host == "caribbean-post"
    second = crawl_env.crawl()
    assert {s["status"] for s in second.values()} == {"ok"}, second
    # Unchanged feed and sitemap answered 304; nothing already seen was downloaded again.
    assert havana.paths()[before["havana-daily"] :] == ["/robots.txt", "/feed/"]
    assert havana.requests_for("/feed/")[-1].status == 304
    assert moscow.requests_for("/sitemap.xml")[-1].status == 304
    assert second["havana-daily"]["counts"]["status_304"] == 1
    new_post_paths = [
        p
        for p in post.paths()[before["caribbean-post"] :]
        if p in _article_paths(news_web, "caribbean-post")
    ]
    assert new_post_paths == [news_web.article_path(published)] * len(new_post_paths)
    # The new article is reachable from two sources crawled concurrently: stored once.
    assert sum(s["counts"]["new"] for s in second.values()) == 1
    assert len(crawl_env.articles()) == len(stored) + 1


def test_listing_pages_and_search_apis(news_web: NewsWeb, crawl_env: CrawlEnv) -> None:
    havana, search = news_web.host("havana-daily"), news_web.host("news-search")
    crawl_env.write_config(
        [
            {
                "name": "sections",
                "pages": [havana.url("/news/")],
                "allow_private": True,
                "max_depth": 3,
            },
            {
                "name": "gdelt",
                "type": "gdelt",
                "feeds": [search.url("/api/v2/doc/doc")],
                "allow_private": True,
            },
            {
                "name": "bing",
                "type": "bing_news",
                "feeds": [search.url("/news/search")],
                "allow_private": True,
            },
        ]
    )
    summaries = crawl_env.crawl()
    assert {s["status"] for s in summaries.values()} == {"ok"}, summaries
    # Pagination followed; robots-disallowed links on the listing never requested.
    assert "/news/?page=2" in havana.paths()
    assert not [p for p in havana.paths() if p.startswith(("/private/", "/login/"))]
    assert summaries["sections"]["counts"]["listings"] >= 2
    # The search APIs got our converted keyword query.
    gdelt_call = next(p for p in search.paths() if p.startswith("/api/v2/doc/doc"))
    assert (
        "mode=ArtList" in gdelt_call and "format=json" in gdelt_call and "timespan=3d" in gdelt_call
    )
    bing_call = next(p for p in search.paths() if p.startswith("/news/search"))
    assert "format=rss" in bing_call and "setlang=en" in bing_call
    stored = {a.url for a in crawl_env.articles()}
    assert news_web.relevant_urls() <= stored | {
        u for u in stored if urlsplit(u).path.startswith("/archive/")
    }


def test_dead_slow_and_broken_sources_do_not_stop_the_others(
    news_web: NewsWeb, crawl_env: CrawlEnv
) -> None:
    havana = news_web.host("havana-daily")
    crawl_env.write_config(
        [
            {"name": "good", "feeds": [havana.url("/feed/")], "allow_private": True},
            {"name": "dead", "feeds": ["http://127.0.0.9:9/feed.xml"], "allow_private": True},
            {"name": "slow", "pages": [havana.url("/slow/section/")], "allow_private": True},
            {"name": "missing", "feeds": [havana.url("/status/404")], "allow_private": True},
            {"name": "server-error", "feeds": [havana.url("/status/500")], "allow_private": True},
            {"name": "malformed", "feeds": [havana.url("/broken-feed.xml")], "allow_private": True},
        ]
    )
    summaries = crawl_env.crawl()
    assert summaries["good"]["status"] == "ok"
    assert summaries["good"]["counts"]["new"] == 2
    for name in ("dead", "slow", "missing", "server-error", "malformed"):
        assert summaries[name]["status"] == "failed", (name, summaries[name])
        assert summaries[name]["errors"], name
    assert "HTTP 404" in summaries["missing"]["errors"][0]
    assert "HTTP 500" in summaries["server-error"]["errors"][0]
    assert "malformed XML" in summaries["malformed"]["errors"][0]
    assert (
        "Timeout" in summaries["slow"]["errors"][0] or "timed out" in summaries["slow"]["errors"][0]
    )
    statuses = {r.source_name: r.status for r in crawl_env.runs()}
    assert statuses["good"] == "ok" and statuses["dead"] == "failed"


def test_feed_that_stops_giving_entries_is_an_error(news_web: NewsWeb, crawl_env: CrawlEnv) -> None:
    havana = news_web.host("havana-daily")
    crawl_env.write_config(
        [{"name": "havana", "feeds": [havana.url("/feed/")], "allow_private": True}]
    )
    assert crawl_env.crawl()["havana"]["status"] == "ok"
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
    from monitor.demo.site import Reply

    havana.route("/feed/", lambda c: Reply(200, empty, {"Content-Type": "application/rss+xml"}))
    second = crawl_env.crawl()["havana"]
    assert second["status"] == "partial"
    assert any("gave 0 entries, used to give 4" in e for e in second["errors"])

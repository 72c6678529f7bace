"""Edits found again (signalled by the feed, by the sitemap, or by nothing: revalidation), and
redirecting links that are never downloaded twice. Real crawls (``python -m monitor.crawl``)
against the local site of :mod:`tests.crawl.updates_site`; assertions on its request log.

The revalidation schedule runs on a controlled clock: instead of waiting an hour, the test moves
the article's first-seen time back in the database (``_age``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from monitor.db.models import Article, SeenUrl
from tests.crawl.updates_site import EDIT, UpdatesSite
from tests.sites.fixtures import CrawlEnv


@pytest.fixture
def site() -> Iterator[UpdatesSite]:
    web = UpdatesSite()
    try:
        yield web
    finally:
        web.stop()


def _source(name: str, **where: Any) -> dict[str, Any]:
    return {"name": name, "allow_private": True, **where}


def _counts(summary: dict[str, Any]) -> dict[str, int]:
    assert summary["status"] in ("ok", "partial"), summary
    return dict(summary["counts"])


def _age(env: CrawlEnv, hours: float) -> None:
    """The controlled clock: every stored article was first seen ``hours`` earlier."""
    with env.db.session() as session:
        for article in session.scalars(select(Article)):
            article.first_seen_at -= timedelta(hours=hours)


def _text(env: CrawlEnv, url: str) -> str:
    return next(a.text for a in env.articles() if a.url == url)


def test_an_edit_the_feed_or_the_sitemap_signals_is_fetched_again(
    site: UpdatesSite, crawl_env: CrawlEnv
) -> None:
    crawl_env.write_config(
        [
            _source(
                "updates",
                feeds=[site.site.url("/feed.xml")],
                sitemaps=[site.site.url("/sitemap.xml")],
            )
        ],
        crawl={"revalidate_after_hours": []},
    )
    first = _counts(crawl_env.crawl()["updates"])
    assert first["new"] + first["syndicated"] == 4, first
    tanker, flights = site.stories["tanker"].path, site.stories["flights"].path
    assert len(site.requests(site.site, tanker)) == len(site.requests(site.site, flights)) == 1
    # Right after: nothing changed, no article page is downloaded.
    again = _counts(crawl_env.crawl()["updates"])
    assert again["articles_found"] == 0, again  # the feed answered 304, or its entries are seen
    assert len(site.requests(site.site, tanker)) == 1
    # Two edits: one only the feed's <updated> shows, one only the sitemap's <lastmod>.
    site.edit("tanker", signal={"feed"})
    site.edit("flights", signal={"sitemap"})
    edited = _counts(crawl_env.crawl()["updates"])
    assert edited["refetch_updated"] == 2 and edited["updated"] == 2, edited
    assert len(site.requests(site.site, tanker)) == len(site.requests(site.site, flights)) == 2
    assert len(site.requests(site.site, site.stories["grain"].path)) == 1
    assert EDIT in _text(crawl_env, site.url("tanker"))
    assert EDIT in _text(crawl_env, site.url("flights"))
    # And once fetched, an edit is not fetched again.
    after = _counts(crawl_env.crawl()["updates"])
    assert after["articles_found"] == 0 and after.get("refetch_updated", 0) == 0, after


def test_an_unsignalled_edit_is_found_by_conditional_revalidation(
    site: UpdatesSite, crawl_env: CrawlEnv
) -> None:
    crawl_env.write_config([_source("updates", feeds=[site.site.url("/feed.xml")])])
    _counts(crawl_env.crawl()["updates"])
    tanker = site.stories["tanker"].path
    assert len(site.requests(site.site, tanker)) == 1

    _age(crawl_env, 1.1)  # one hour later: the first step of the schedule is due
    hour = _counts(crawl_env.crawl()["updates"])
    assert hour["revalidated_304"] == 4 and hour.get("revalidated", 0) == 0, hour
    assert hour["conditional_article"] == 4 and hour["articles_found"] == 0, hour
    revalidation = site.requests(site.site, tanker)[-1]
    assert revalidation.get("if-none-match") or revalidation.get("if-modified-since")

    site.edit("tanker", signal=set())  # neither the feed nor the sitemap says so
    _age(crawl_env, 5)  # six hours after first seen: the second step
    six = _counts(crawl_env.crawl()["updates"])
    assert six["revalidated"] == 1 and six["revalidated_304"] == 3, six
    assert six["updated"] == 1 and six.get("refetch_updated", 0) == 0, six
    assert EDIT in _text(crawl_env, site.url("tanker"))
    with crawl_env.db.session() as session:
        steps = set(
            session.scalars(select(SeenUrl.revalidations).where(SeenUrl.article_id.is_not(None)))
        )
    assert steps == {2}
    requests_now = len(site.requests(site.site, tanker))
    soon = _counts(crawl_env.crawl()["updates"])  # right after: nothing due until the 24 h step
    assert soon.get("revalidated", 0) == soon.get("revalidated_304", 0) == 0, soon
    assert len(site.requests(site.site, tanker)) == requests_now


def test_redirecting_links_are_downloaded_once(site: UpdatesSite, crawl_env: CrawlEnv) -> None:
    crawl_env.write_config(
        [
            _source("links", pages=[site.site.url("/links/")]),
            _source("search", type="google_news", feeds=[site.search.url("/rss/search")]),
        ],
        crawl={"revalidate_after_hours": []},
    )
    first = crawl_env.crawl()
    links, search = _counts(first["links"]), _counts(first["search"])
    assert links["new"] + links["syndicated"] == 2, links
    # The decodable Google News id was resolved without a request; the redirecting one was
    # followed; the one that answers with Google's own page is counted, not stored.
    assert search["links_resolved"] == 1 and search["unresolved"] == 1, search
    assert search["new"] + search["syndicated"] == 2, search
    stored = {a.url for a in crawl_env.articles()}
    assert stored == {site.url(k) for k in ("tanker", "flights", "grain", "metro")}
    assert not [p for p in site.search.paths() if "CBMi" in p]
    with crawl_env.db.session() as session:
        seen = dict(session.execute(select(SeenUrl.url, SeenUrl.article_id)).all())
    tanker_id = next(a.id for a in crawl_env.articles() if a.url == site.url("tanker"))
    assert seen[site.site.url("/s/1234567")] == tanker_id  # the short link maps to the article
    hops = [u for u in seen if "/track/" in u or "/r/news/" in u]
    assert len(hops) == 2, seen  # the tracking link and its second hop

    before = {host.name: len(host.hits) for host in (site.site, site.search)}
    second = crawl_env.crawl()
    assert _counts(second["links"])["articles_found"] == 0
    assert _counts(second["search"])["articles_found"] == 0
    new_site_paths = [hit.path for hit in site.site.hits[before["updates"] :]]
    new_search_paths = [hit.path for hit in site.search.hits[before["search"] :]]
    # Only the listing and the search feed: no short link, no redirect, no article page.
    assert [p for p in new_site_paths if p != "/robots.txt"] == ["/links/"], new_site_paths
    assert [p.split("?")[0] for p in new_search_paths if p != "/robots.txt"] == ["/rss/search"]

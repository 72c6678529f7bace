"""One slow outlet answering ``Retry-After: 3600`` no longer holds a crawl: its requests are
deferred to the next crawl (stored), the run is ``partial``, and the next crawl asks again even
though the feed that listed them answers 304 by then. Nothing lost, nothing fetched twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler

import pytest
from sqlalchemy import update

from monitor.db.deferred import deferred_requests
from monitor.db.models import DeferredRequest, utcnow
from tests.faults.site import FaultSite, source
from tests.sites.fixtures import CrawlEnv

FEED_HOST, OUTLET_HOST = "127.0.0.23", "127.0.0.24"


@pytest.fixture
def sites() -> Iterator[tuple[FaultSite, FaultSite]]:
    feed_site, outlet = FaultSite(FEED_HOST, 2), FaultSite(OUTLET_HOST, 3, offset=50)
    yield feed_site, outlet
    feed_site.stop()
    outlet.stop()


def _feed_with_validators(feed_site: FaultSite, outlet: FaultSite) -> Callable[..., bool]:
    """The feed lists both sites' articles; it answers 304 to a matching If-None-Match."""

    def fault(request: BaseHTTPRequestHandler) -> bool:
        if request.headers.get("If-None-Match") == '"v1"':
            FaultSite.send(request, 304, "application/rss+xml", "")
            return True
        body = feed_site.feed().replace(
            "</channel>",
            outlet.feed()
            .split("<channel>", 1)[1]
            .split("</channel>", 1)[0]
            .split("</description>", 1)[1]
            + "</channel>",
        )
        FaultSite.send(request, 200, "application/rss+xml", body, {"ETag": '"v1"'})
        return True

    return fault


def _busy(request: BaseHTTPRequestHandler) -> bool:
    FaultSite.send(request, 429, "text/plain", "slow down", {"Retry-After": "3600"})
    return True


def test_a_slow_outlet_is_deferred_to_the_next_crawl(
    crawl_env: CrawlEnv, sites: tuple[FaultSite, FaultSite]
) -> None:
    feed_site, outlet = sites
    feed_site.faults["/feed.xml"] = _feed_with_validators(feed_site, outlet)
    for i in range(3):
        outlet.faults[f"/news/article-{i}.html"] = _busy
    crawl_env.write_config(
        [source("search", feed_site)],
        crawl={"public_networks": [f"{FEED_HOST}/32", f"{OUTLET_HOST}/32"], "retry_times": 2},
    )
    first = crawl_env.crawl("search")["search"]
    assert first["status"] == "partial", first
    assert first["counts"]["deferred"] == 3, first["counts"]
    assert {a.url for a in crawl_env.articles()} == {feed_site.url(0), feed_site.url(1)}
    held = outlet.page_hits()
    assert 1 <= held <= 3  # at most the requests already in flight reached the outlet
    rows = deferred_requests(crawl_env.db, "search")
    assert sorted(r.url for r in rows) == [outlet.url(i) for i in range(3)]
    assert all(r.not_before > utcnow() + timedelta(minutes=50) for r in rows)
    assert all(r.meta.get("discovered_from") for r in rows)

    outlet.faults.clear()  # an hour later, the outlet answers again
    with crawl_env.db.session() as session:
        session.execute(update(DeferredRequest).values(not_before=utcnow()))
    third = crawl_env.crawl("search")["search"]
    assert third["status"] == "ok", third
    assert third["counts"].get("unchanged") == 1  # the feed answered 304: no entry re-listed
    urls = [a.url for a in crawl_env.articles()]
    assert sorted(urls) == sorted(
        [feed_site.url(0), feed_site.url(1)] + [outlet.url(i) for i in range(3)]
    )
    assert len(urls) == len(set(urls))
    for i in range(3):
        assert outlet.served[f"/news/article-{i}.html"] <= 2
    assert feed_site.served["/news/article-0.html"] == 1

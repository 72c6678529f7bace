"""A real crawl with the SSRF guard ON: 127.0.0.22 is marked public through
``[crawl] public_networks`` (never ``allow_private``); a redirect from it to 127.0.0.1, a
local name and a name that does not resolve are refused, and the private server is never hit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from tests.faults.conftest import ScriptedServer
from tests.faults.site import FaultSite, source
from tests.sites.fixtures import CrawlEnv

HOST = "127.0.0.22"


@pytest.fixture
def site() -> Iterator[FaultSite]:
    web = FaultSite(HOST, 3)
    yield web
    web.stop()


def _redirect(location: str) -> Callable[[BaseHTTPRequestHandler], bool]:
    def fault(request: BaseHTTPRequestHandler) -> bool:
        FaultSite.send(request, 302, "text/plain", "moved", {"Location": location})
        return True

    return fault


def test_redirects_to_private_addresses_are_refused_in_a_crawl(
    crawl_env: CrawlEnv, site: FaultSite, scripted_server: Callable[[str], ScriptedServer]
) -> None:
    private = scripted_server("127.0.0.1")
    private.routes["/secret"] = (200, {"Content-Type": "text/html"}, b"<p>metadata</p>")
    site.faults["/news/article-1.html"] = _redirect(private.url("/secret"))
    site.faults["/news/article-2.html"] = _redirect(f"http://localhost:{private.port}/secret")
    crawl_env.write_config(
        [source("guarded", site)], crawl={"public_networks": [f"{HOST}/32"], "retry_times": 0}
    )
    summary = crawl_env.crawl("guarded")["guarded"]
    assert private.hits == []
    assert [a.url for a in crawl_env.articles()] == [site.url(0)]  # the public one is stored
    errors = " ".join(summary["errors"])
    assert "127.0.0.1" in errors and "non-public address" in errors, summary
    assert "localhost" in errors and "local name" in errors, summary
    assert summary["counts"]["refused_unsafe_url"] == 2, summary["counts"]


def test_a_name_that_does_not_resolve_is_refused(crawl_env: CrawlEnv, site: FaultSite) -> None:
    site.faults["/news/article-1.html"] = _redirect("http://no-such-host.invalid/page")
    crawl_env.write_config(
        [source("guarded", site)], crawl={"public_networks": [f"{HOST}/32"], "retry_times": 0}
    )
    summary = crawl_env.crawl("guarded")["guarded"]
    assert {a.url for a in crawl_env.articles()} == {site.url(0), site.url(2)}
    errors = " ".join(summary["errors"])
    assert "no-such-host.invalid" in errors, summary

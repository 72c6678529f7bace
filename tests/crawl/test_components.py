"""Crawl components without a reactor: settings, middlewares' decisions, run status, checks."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from monitor.config import config_from_dict
from monitor.crawl.check import check_sources
from monitor.crawl.extensions import counts_from_stats, run_status
from monitor.crawl.middlewares import (
    RedirectGuardMiddleware,
    RefusedRequest,
    _check_url,
    parse_retry_after,
)
from monitor.crawl.settings import build_settings
from monitor.demo.site import NewsWeb

DB_PASSWORD = "s3cr3t-db-pass"


def _config(**crawl: Any) -> Any:
    return config_from_dict(
        {
            "database": {"url": f"postgresql+psycopg://monitor:{DB_PASSWORD}@db.example/monitor"},
            "crawl": {"user_agent": "Bot/1", "contact": "ops@example.org", **crawl},
            "sources": [{"name": "s", "feeds": ["https://example.org/feed"], "max_depth": 1}],
        }
    )


def test_settings_from_config_have_limits_and_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_SMTP_PASSWORD", "hunter2-secret")
    config = _config(max_page_bytes=123_456, per_domain_concurrency=3)
    settings = build_settings(config, config.source("s"))
    assert settings["USER_AGENT"] == "Bot/1 (+mailto:ops@example.org)"
    assert settings["DOWNLOAD_MAXSIZE"] == 123_456
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 3
    assert settings["TELNETCONSOLE_ENABLED"] is False
    assert settings["REMOTE_CONTROL_ENABLED"] is False
    assert settings["MONITOR_MAX_DEPTH"] == 1
    assert "hunter2-secret" not in repr(settings)
    assert DB_PASSWORD in config.database.url  # the config does carry a database password…
    assert DB_PASSWORD not in repr(settings)  # …and no setting does


def test_retry_after_values() -> None:
    assert parse_retry_after(b"120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0) == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_ssrf_check_refuses_private_and_metadata_addresses() -> None:
    for url in (
        "http://127.0.0.1/",
        "http://10.0.0.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0x7f000001/",
        "http://localhost/",
    ):
        assert _check_url(url), url
    assert _check_url("http://93.184.216.34/") is None


def _redirect(location: str, url: str = "http://a.org/1", chain: list[str] | None = None) -> Any:
    stats = MemoryStatsCollector(SimpleNamespace(settings=Settings({"STATS_DUMP": False})))  # type: ignore[arg-type]
    middleware = RedirectGuardMiddleware(SimpleNamespace(stats=stats))  # type: ignore[arg-type]
    request = Request(url, meta={"redirect_urls": chain or [], "kind": "article"})
    response = Response(url, status=302, headers={"Location": location})
    return middleware, request, response, stats


def test_redirect_hops_to_other_schemes_and_loops_are_refused() -> None:
    for location in ("file:///etc/passwd", "data:text/html,hi", "ftp://a.org/x"):
        middleware, request, response, stats = _redirect(location)
        with pytest.raises(RefusedRequest):
            middleware.process_response(request, response)
        assert stats.get_value("monitor/errors")
    middleware, request, response, _ = _redirect("/0", "http://a.org/1", ["http://a.org/0"])
    with pytest.raises(RefusedRequest, match="loop"):
        middleware.process_response(request, response)
    middleware, request, response, _ = _redirect("/2")
    assert middleware.process_response(request, response) is response


def test_counts_and_status() -> None:
    stats = {
        "downloader/request_count": 5,
        "downloader/response_status_count/200": 4,
        "downloader/response_status_count/304": 1,
        "item_scraped_count": 3,
        "monitor/outcome/new": 2,
        "monitor/outcome/skipped": 1,
        "monitor/skipped/too_short": 1,
        "monitor/start_ok": 1,
        "robotstxt/forbidden": 2,
    }
    counts = counts_from_stats(stats)
    assert counts["status_304"] == 1 and counts["new"] == 2 and counts["skipped_too_short"] == 1
    assert counts["articles_found"] == 3 and counts["robots_forbidden"] == 2
    assert counts["duplicate"] == 0
    assert run_status("finished", counts, []) == "ok"
    assert run_status("finished", counts, ["x"]) == "partial"
    assert run_status("shutdown", counts, []) == "interrupted"
    assert run_status("finished", {"start_failed": 1}, ["x"]) == "failed"
    assert run_status("closespider_pagecount", counts, []) == "partial"  # cut short: not ok


def test_check_sources_reports_live_and_dead_start_urls(news_web: NewsWeb) -> None:
    havana, moscow = news_web.host("havana-daily"), news_web.host("moscow-wire")
    config = config_from_dict(
        {
            "crawl": {"download_timeout": 2},
            "sources": [
                {"name": "feed", "feeds": [havana.url("/feed/")], "allow_private": True},
                {
                    "name": "map",
                    "sitemaps": [moscow.url("/sitemap-news.xml")],
                    "allow_private": True,
                },
                {"name": "page", "pages": [havana.url("/news/")], "allow_private": True},
                {"name": "home", "site": havana.url("/"), "allow_private": True},
                {"name": "gone", "feeds": [havana.url("/status/404")], "allow_private": True},
                {"name": "dead", "feeds": ["http://127.0.0.9:9/x"], "allow_private": True},
            ],
        }
    )
    checks = {c.source: c for c in check_sources(config)}
    assert checks["feed"].ok and checks["feed"].entries == 4 and checks["feed"].last_entry
    assert checks["map"].ok and checks["map"].entries == 5
    assert checks["page"].ok and checks["page"].entries == 4  # incl. the /private/ memo link
    assert checks["home"].ok and checks["home"].entries == 1
    assert not checks["gone"].ok and checks["gone"].error == "HTTP 404"
    assert not checks["dead"].ok and checks["dead"].status is None and checks["dead"].error

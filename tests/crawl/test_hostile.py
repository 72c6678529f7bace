"""Hostile servers: every case ends bounded, records a per-source error, stores nothing from
the bad response, and leaves the other sources of the same crawl unaffected."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import pytest
from sqlalchemy import text

from monitor.demo.site import NewsWeb
from tests.sites.fixtures import REPO, CrawlEnv
from tests.sites.hostile import SECRET_MARKER, add_hostile_host, hostile_sources


@pytest.fixture
def hostile_crawl(news_web: NewsWeb, crawl_env: CrawlEnv) -> dict[str, Any]:
    host = add_hostile_host(news_web)
    good = {
        "name": "good",
        "feeds": [news_web.host("havana-daily").url("/feed/")],
        "allow_private": True,
    }
    crawl_env.write_config(
        [good, *hostile_sources(host)], crawl={"max_url_length": 400, "max_redirects": 10}
    )
    summaries, peak_kib = _crawl_measured(crawl_env)
    return {
        "summaries": summaries,
        "peak_rss_kib": peak_kib,
        "host": host,
        "env": crawl_env,
        "web": news_web,
    }


def _crawl_measured(env: CrawlEnv, timeout: float = 120) -> tuple[dict[str, Any], int]:
    """``env.crawl()`` in a child we wait for ourselves: its summaries and its peak RSS (KiB)."""
    command = [sys.executable, "-m", "monitor.crawl", "--config", str(env.config_path)]
    command += ["--json", "--log-level", "WARNING", "--lease-wait", "0"]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, cwd=REPO, env=environ, stdout=out, stderr=err, text=True)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                child.kill()
                pytest.fail("the crawl did not end within its timeout")
            time.sleep(0.2)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        assert child.returncode == 0, err.read()[-4000:]
        events = [json.loads(line) for line in out.read().splitlines() if line.startswith("{")]
    summaries = {e["source"]: e for e in events if e.get("event") == "summary"}
    return summaries, int(usage.ru_maxrss)


def _errors(result: dict[str, Any], name: str) -> str:
    return " | ".join(result["summaries"][name]["errors"])


def test_hostile_cases(hostile_crawl: dict[str, Any]) -> None:
    result = hostile_crawl
    summaries, env, host = result["summaries"], result["env"], result["host"]
    # Bounded memory: the peak RSS of this crawl's process tree alone (wait4 on its child, not
    # RUSAGE_CHILDREN, which also counts every earlier child of the test process). Time is
    # bounded by the child's timeout (no wall-clock assertion: speed is for bench/).
    assert 0 < result["peak_rss_kib"] < 1_500_000
    # The good source is unaffected: both its articles are stored. The hostile host serves
    # copies of the same demo articles, so whichever source stores one first makes it "new"
    # and the other copy "syndicated" (one story); the order depends on timing.
    good = summaries["good"]["counts"]
    assert summaries["good"]["status"] == "ok"
    assert good.get("new", 0) + good.get("syndicated", 0) == 2, good
    havana = result["web"].host("havana-daily")
    assert len({a.url for a in env.articles() if a.url.startswith(havana.base)}) == 2

    stored_urls = {a.url for a in env.articles()}
    hostile_urls = {u for u in stored_urls if u.startswith(host.base)}

    # Decompression bombs: refused above DOWNLOAD_MAXSIZE, recorded, nothing stored.
    for encoding in ("gzip", "deflate", "br", "zstd"):
        summary = summaries[f"bomb-{encoding}"]
        assert summary["status"] == "partial", summary
        assert summary["counts"]["articles_found"] == 0
        assert (
            "DOWNLOAD_MAXSIZE" in _errors(result, f"bomb-{encoding}")
            or "max" in _errors(result, f"bomb-{encoding}").lower()
        )
    assert "gzip body too large" in _errors(result, "bomb-sitemap")
    assert summaries["bomb-sitemap"]["status"] == "failed"

    # XML attacks: entity declarations refused; no file content anywhere in the database.
    for name in ("xml-laughs", "xml-xxe-feed", "xml-xxe-sitemap"):
        assert summaries[name]["status"] == "failed"
        assert "entity declarations refused" in _errors(result, name)
    hostname = open("/etc/hostname", encoding="utf-8").read().strip()  # noqa: SIM115
    with env.db.session() as session:
        for table in ("articles", "seen_urls", "http_cache", "crawl_runs"):
            dump = " ".join(str(row) for row in session.execute(text(f"SELECT * FROM {table}")))
            assert SECRET_MARKER not in dump
            if len(hostname) >= 6:
                assert hostname not in dump, table

    # Redirect abuse.
    assert "redirect" in _errors(result, "redirect-loop").lower()
    assert "redirect" in _errors(result, "redirect-long").lower()
    assert summaries["redirect-long"]["counts"]["articles_found"] == 0
    scheme_errors = _errors(result, "redirect-scheme")
    assert summaries["redirect-scheme"]["counts"]["articles_found"] == 0, scheme_errors

    # Broken transfers.
    assert summaries["hang"]["counts"]["articles_found"] == 0
    assert "Timeout" in _errors(result, "hang") or "timed out" in _errors(result, "hang")
    assert summaries["chunked"]["counts"]["articles_found"] == 0
    assert summaries["chunked"]["errors"]

    # Lying charsets still parse; the article is stored once with readable text.
    assert summaries["cp1252"]["status"] == "ok"
    assert summaries["cp1252"]["counts"]["entries"] == 1
    assert host.url("/cp1252/article") in hostile_urls
    bom = [a for a in env.articles() if a.url == host.url("/bom/article")]
    assert not bom or "Россия" in bom[0].text

    # A PNG served as HTML and a navigation-only page are skipped, not stored (the navigation
    # page, which cannot match the query, already by the pre-check, without cleaning).
    png = summaries["png-nav"]["counts"]
    assert png["skipped"] == 1 and png["dropped_precheck"] == 1, png
    assert png["articles_found"] == 2
    assert not {host.url("/png/article"), host.url("/nav/article")} & stored_urls

    # Spider traps end by limits, with the reason counted.
    assert summaries["trap-pages"]["counts"]["limit_depth"] >= 1
    assert len([p for p in host.paths() if p.startswith("/trap/list")]) == 3
    assert summaries["trap-growing"]["counts"]["limit_url_length"] >= 1
    assert summaries["page-cap"]["counts"]["limit_pages"] >= 1
    assert len([p for p in host.paths() if p.startswith("/cap/story")]) == 3

    # Retry-After: a short wait is honoured (no request before it), a long one deferred.
    hits = host.requests_for("/ra/article")
    assert [h.status for h in hits] == [429, 200]
    assert hits[1].at - hits[0].at >= 0.95
    assert host.url("/ra/article") in hostile_urls
    assert summaries["retry-after-long"]["counts"]["deferred"] == 1
    assert "deferred by Retry-After" in _errors(result, "retry-after-long")
    assert len(host.requests_for("/ra-long/article")) == 1

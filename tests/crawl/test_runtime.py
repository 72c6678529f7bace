"""The crawl runtime: one per process, shared by every poll's crawler; per-crawl state apart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from monitor.spiders.source import SourceSpider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured, UsageError

from monitor.config import config_from_dict
from monitor.crawl.context import CrawlRuntime, attach_runtime, crawl_context
from monitor.crawl.incremental import RevalidationMiddleware, SeenUrlMiddleware
from monitor.crawl.settings import build_settings
from monitor.demo.site import NewsWeb
from monitor.pipelines.store import StorePipeline
from tests.sites.fixtures import REPO, CrawlEnv


def _config(tmp_path: Path, **crawl: object) -> object:
    return config_from_dict(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'm.db'}"},
            "crawl": dict(crawl),
            "sources": [
                {"name": "a", "feeds": ["https://a.example/feed"]},
                {"name": "b", "feeds": ["https://b.example/feed"]},
            ],
        }
    )


def _crawler(runtime: CrawlRuntime, name: str) -> Crawler:
    source = runtime.config.source(name)
    crawler = Crawler(SourceSpider, build_settings(runtime.config, source))
    attach_runtime(crawler, runtime)
    return crawler


def test_every_component_of_every_crawl_shares_the_process_runtime(tmp_path: Path) -> None:
    runtime = CrawlRuntime(_config(tmp_path))  # type: ignore[arg-type]
    try:
        first, second = _crawler(runtime, "a"), _crawler(runtime, "b")
        for crawler, name in ((first, "a"), (second, "b")):
            spider = SourceSpider.from_crawler(crawler, source=name)
            pipeline = StorePipeline.from_crawler(crawler)
            seen = SeenUrlMiddleware.from_crawler(crawler)
            assert spider.context is pipeline.context is seen.context is crawl_context(crawler)
            assert spider.context.runtime is runtime and spider.source.name == name
        one, two = crawl_context(first), crawl_context(second)
        assert one.runtime.pool is two.runtime.pool  # one extraction pool per process
        assert one.requested is not two.requested  # per-crawl state stays per crawl
        threads = {runtime.submit(threading.get_ident).result() for _ in range(5)}
        assert len(threads) == 1 and threading.get_ident() not in threads  # one DB thread
    finally:
        runtime.close()


def test_a_crawler_without_runtime_is_refused(tmp_path: Path) -> None:
    config = _config(tmp_path)
    crawler = Crawler(SourceSpider, build_settings(config, config.source("a")))  # type: ignore[attr-defined]
    with pytest.raises(UsageError, match="attach_runtime"):
        crawl_context(crawler)


def test_revalidation_switches_itself_off_when_not_configured(tmp_path: Path) -> None:
    runtime = CrawlRuntime(_config(tmp_path, revalidate_after_hours=[]))  # type: ignore[arg-type]
    try:
        with pytest.raises(NotConfigured):
            RevalidationMiddleware.from_crawler(_crawler(runtime, "a"))
    finally:
        runtime.close()


_TWO_POLLS = """
import json, sys
from scrapy.crawler import Crawler, CrawlerRunner
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from twisted.internet import defer, reactor
from monitor.config import load_config
from monitor.crawl.context import CrawlRuntime, attach_runtime
from monitor.crawl.extensions import CrawlRunRecorder
from monitor.crawl.settings import build_settings, project_defaults
from monitor.spiders.source import SourceSpider

config = load_config(sys.argv[1])
runtime = CrawlRuntime(config)
runtime.warm()
runner = CrawlerRunner(project_defaults())
seen = []

@defer.inlineCallbacks
def polls():
    for name in sys.argv[2:]:
        crawler = Crawler(SourceSpider, build_settings(config, config.source(name)))
        attach_runtime(crawler, runtime)
        yield runner.crawl(crawler, source=name)
        record = crawler.get_extension(CrawlRunRecorder).record
        pool = runtime.pool.executor()
        seen.append({"source": name, "status": record.status, "new": record.counts["new"],
                     "pool": id(pool), "workers": sorted(pool._processes)})
    reactor.stop()

reactor.callWhenRunning(polls)
reactor.run()
runtime.close()
print(json.dumps(seen))
"""


def test_one_runtime_serves_successive_polls_in_one_reactor(
    news_web: NewsWeb, crawl_env: CrawlEnv
) -> None:
    havana, moscow = news_web.host("havana-daily"), news_web.host("moscow-wire")
    crawl_env.write_config(
        [
            {"name": "havana", "feeds": [havana.url("/feed/")], "allow_private": True},
            {"name": "moscow", "sitemaps": [moscow.url("/sitemap.xml")], "allow_private": True},
        ]
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    done = subprocess.run(
        [sys.executable, "-c", _TWO_POLLS, str(crawl_env.config_path), "havana", "moscow"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    first, second = json.loads(done.stdout.strip().splitlines()[-1])
    assert first["status"] == second["status"] == "ok"
    assert first["new"] > 0 and second["new"] > 0
    # The same extraction pool, with the same worker processes, served both polls.
    assert first["pool"] == second["pool"] and first["workers"] == second["workers"]
    assert {run.source_name for run in crawl_env.runs()} == {"havana", "moscow"}

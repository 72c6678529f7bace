"""``scrapy crawl source -a source=NAME`` from the project root, config from $MONITOR_CONFIG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from monitor.db.leases import acquire_lease, list_leases, release_lease, source_lease_name
from monitor.demo.site import NewsWeb
from tests.sites.fixtures import REPO, CrawlEnv

SCRAPY = str(Path(sys.executable).with_name("scrapy"))


def _scrapy_crawl(crawl_env: CrawlEnv, source: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_CONFIG"] = str(crawl_env.config_path)
    return subprocess.run(
        [SCRAPY, "crawl", "source", "-a", f"source={source}", "-L", "WARNING"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_scrapy_crawl_runs_one_poll_holding_the_lease(
    news_web: NewsWeb, crawl_env: CrawlEnv
) -> None:
    havana = news_web.host("havana-daily")
    crawl_env.write_config(
        [{"name": "havana-daily", "feeds": [havana.url("/feed/")], "allow_private": True}]
    )
    lease = source_lease_name("havana-daily")
    # 1. another crawl holds the source: nothing is stored
    assert acquire_lease(crawl_env.db, lease, "far.example:1:1", 600)
    busy = _scrapy_crawl(crawl_env, "havana-daily")
    assert "already running elsewhere" in busy.stderr
    assert crawl_env.articles() == []
    release_lease(crawl_env.db, lease, "far.example:1:1")
    # 2. free: one poll, recorded like the runner's, the lease given back at the end
    done = _scrapy_crawl(crawl_env, "havana-daily")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    run = crawl_env.runs()[-1]
    assert run.source_name == "havana-daily" and run.status == "ok"
    assert run.counts["new"] > 0 and len(crawl_env.articles()) == run.counts["new"]
    assert list_leases(crawl_env.db) == []

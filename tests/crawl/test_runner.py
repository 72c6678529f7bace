"""The crawl entry point: leases, interruption, exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from monitor.db.leases import acquire_lease, source_lease_name
from monitor.demo.site import NewsWeb
from tests.sites.fixtures import REPO, CrawlEnv


def test_source_held_by_another_crawl_is_skipped(news_web: NewsWeb, crawl_env: CrawlEnv) -> None:
    havana = news_web.host("havana-daily")
    crawl_env.write_config(
        [
            {"name": "busy", "feeds": [havana.url("/feed/")], "allow_private": True},
            {"name": "free", "feeds": [havana.url("/feed/")], "allow_private": True},
        ]
    )
    assert acquire_lease(crawl_env.db, source_lease_name("busy"), "elsewhere:1", 600)
    summaries = crawl_env.crawl()
    assert summaries["busy"]["status"] == "skipped"
    assert summaries["busy"]["errors"] == ["already running elsewhere"]
    assert summaries["free"]["status"] == "ok"
    assert [r.source_name for r in crawl_env.runs()] == ["free"]


def test_unknown_source_is_a_config_error(crawl_env: CrawlEnv) -> None:
    crawl_env.write_config([])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.crawl",
            "--config",
            str(crawl_env.config_path),
            "--source",
            "nope",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "no source named 'nope'" in done.stderr


def test_sigterm_marks_the_run_interrupted(news_web: NewsWeb, crawl_env: CrawlEnv) -> None:
    havana = news_web.host("havana-daily")
    crawl_env.write_config(
        [{"name": "slow", "pages": [havana.url("/slow/section/")], "allow_private": True}],
        crawl={"download_timeout": 30.0},
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor.crawl",
            "--config",
            str(crawl_env.config_path),
            "--json",
            "--log-level",
            "WARNING",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:  # wait for the crawl to have started, then stop it
            if json.loads(line).get("stage") == "started":
                break
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err[-2000:]
    summary = next(json.loads(x) for x in out.splitlines() if '"summary"' in x)
    assert summary["status"] == "interrupted"
    assert [r.status for r in crawl_env.runs()] == ["interrupted"]

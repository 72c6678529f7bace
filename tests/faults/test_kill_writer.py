"""``kill -9`` of the process that writes articles (the crawl's store worker) at a random item,
while its pool writes: the crawl carries on with a new worker, and the next crawl stores what
the dead one had in hand. Nothing lost, nothing stored twice. ``SOAK_SEED`` picks the item."""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Iterator

import pytest

from tests.faults.helpers import article_urls, child_pids, start_crawl, summaries, wait_until
from tests.faults.site import FaultSite, source
from tests.sites.fixtures import CrawlEnv

HOST = "127.0.0.26"
ARTICLES = 12
KILL_AT = random.Random(int(os.environ.get("SOAK_SEED", "0")) or None).randint(1, ARTICLES - 3)


@pytest.fixture
def site() -> Iterator[FaultSite]:
    web = FaultSite(HOST, ARTICLES, delay=0.2)
    yield web
    web.stop()


def test_sigkill_of_the_article_writer_loses_nothing(crawl_env: CrawlEnv, site: FaultSite) -> None:
    crawl_env.write_config(
        [source("kill", site)],
        crawl={
            "public_networks": [f"{HOST}/32"],
            "per_domain_concurrency": 2,
            "extract_workers": 1,
        },
    )
    process = start_crawl(crawl_env.config_path, "kill")
    wait_until(lambda: len(article_urls(crawl_env.db)) >= KILL_AT, timeout=90)
    workers = [pid for pid in child_pids(process.pid) if pid != process.pid]
    assert workers, "no store worker to kill"
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-3000:]
    first = article_urls(crawl_env.db)
    assert len(first) == len(set(first)), f"stored twice (kill at {KILL_AT})"
    assert summaries(out)["kill"]["status"] in ("ok", "partial")

    crawl_env.crawl("kill")
    urls = article_urls(crawl_env.db)
    assert sorted(urls) == sorted(site.url(i) for i in range(ARTICLES)), f"kill at {KILL_AT}"

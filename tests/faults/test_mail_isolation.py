"""A mail server that accepts TCP and never greets does not hold crawling: ``monitor run`` with
an instant recipient keeps crawling every few seconds, and an article published while digests
hang on the server is stored. The digest run ends at its deadline; the breaker skips the dead
server on the runs after."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.db.models import CrawlRun
from tests.alerts.conftest import HangingServer
from tests.daemon.conftest import render_toml
from tests.faults.helpers import ROOT, article_urls, wait_until
from tests.faults.site import FaultSite, source
from tests.sites.fixtures import TEST_CRAWL, CrawlEnv

HOST = "127.0.0.28"
pytestmark = pytest.mark.slow


@pytest.fixture
def site() -> Iterator[FaultSite]:
    web = FaultSite(HOST, 2)
    yield web
    web.stop()


def test_crawls_go_on_while_the_mail_server_never_greets(
    crawl_env: CrawlEnv, site: FaultSite, hanging_server: HangingServer, tmp_path: Path
) -> None:
    config = {
        "database": {"url": crawl_env.db_url},
        "crawl": {**TEST_CRAWL, "public_networks": [f"{HOST}/32"]},
        "daemon": {"adaptive_polling": False},
        "email": {
            "smtp_host": "127.0.0.1",
            "smtp_port": hanging_server.port,
            "timeout_seconds": 30.0,
            "run_deadline_seconds": 3.0,
            "recipients": [{"address": "a@example.org", "frequency": "instant"}],
        },
        "sources": [source("mail", site, schedule="every 2 seconds")],
    }
    path = tmp_path / "monitor.toml"
    path.write_text(render_toml(config), encoding="utf-8")
    log = (tmp_path / "run.log").open("wb")
    daemon = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(path), "run"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )

    def finished_runs() -> int:
        with crawl_env.db.session() as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "ok")
                )
                or 0
            )

    try:
        wait_until(lambda: len(article_urls(crawl_env.db)) == 2, timeout=90)
        wait_until(lambda: len(hanging_server.connections) > 0, timeout=90)  # a digest is hanging
        before = finished_runs()
        site.count = 3  # published while the mail server hangs
        wait_until(lambda: site.url(2) in article_urls(crawl_env.db), timeout=90)
        wait_until(lambda: finished_runs() >= before + 3, timeout=90)  # and crawls go on
    finally:
        daemon.terminate()
        daemon.wait(30)
        log.close()
    assert sorted(article_urls(crawl_env.db)) == sorted(site.url(i) for i in range(3))

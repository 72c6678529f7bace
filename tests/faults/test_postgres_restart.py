"""PostgreSQL "restarted" in the middle of a crawl, through a TCP proxy the test cuts (never
the shared server): the crawl's writes wait for the server and go on (one WARNING line); when
the outage outlasts ``[database] reconnect_seconds`` the writes fail cleanly and the next crawl
stores what was missed. Nothing lost, nothing stored twice."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from monitor.db.engine import Database
from tests.faults.helpers import article_urls, start_crawl, summaries, wait_until
from tests.faults.proxy import CuttableProxy
from tests.faults.site import FaultSite, source
from tests.sites.fixtures import CrawlEnv

HOST = "127.0.0.25"
ARTICLES = 10


@pytest.fixture
def site() -> Iterator[FaultSite]:
    web = FaultSite(HOST, ARTICLES, delay=0.3)
    yield web
    web.stop()


@pytest.fixture
def proxied(
    postgres_url: str, tmp_path: Path
) -> Iterator[tuple[CrawlEnv, CuttableProxy, Database]]:
    real = make_url(postgres_url)
    proxy = CuttableProxy((real.host or "127.0.0.1", real.port or 5432))
    env = CrawlEnv(tmp_path, real.set(port=proxy.port).render_as_string(hide_password=False))
    direct = Database(postgres_url)
    yield env, proxy, direct
    proxy.close()
    env.db.dispose()
    direct.dispose()


def _crawl_with_outage(
    env: CrawlEnv, proxy: CuttableProxy, direct: Database, outage: float
) -> tuple[int, str, dict[str, object]]:
    process = start_crawl(env.config_path, "pg")
    wait_until(lambda: len(article_urls(direct)) >= 3, timeout=90)
    proxy.cut()
    time.sleep(outage)  # the server is down this long
    proxy.restore()
    out, err = process.communicate(timeout=120)
    return process.returncode, err, summaries(out).get("pg", {})


def test_a_restart_mid_crawl_is_waited_out(
    proxied: tuple[CrawlEnv, CuttableProxy, Database], site: FaultSite
) -> None:
    env, proxy, direct = proxied
    env.write_config(
        [source("pg", site)],
        crawl={
            "public_networks": [f"{HOST}/32"],
            "per_domain_concurrency": 1,
            "extract_workers": 1,
        },
    )
    returncode, err, summary = _crawl_with_outage(env, proxy, direct, outage=1.5)
    assert returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    lost = [line for line in err.splitlines() if "database connection lost" in line]
    assert 1 <= len(lost) <= 2, err[-3000:]  # one line per process that was writing
    urls = article_urls(direct)
    assert sorted(urls) == sorted(site.url(i) for i in range(ARTICLES)), summary
    assert summary.get("status") == "ok", summary


def test_a_long_outage_fails_the_writes_cleanly_and_the_next_crawl_stores_the_rest(
    proxied: tuple[CrawlEnv, CuttableProxy, Database], site: FaultSite
) -> None:
    env, proxy, direct = proxied
    config = env.write_config(
        [source("pg", site)],
        crawl={
            "public_networks": [f"{HOST}/32"],
            "per_domain_concurrency": 1,
            "extract_workers": 1,
        },
    )
    config.write_text(config.read_text().replace("[crawl]", "reconnect_seconds = 0.5\n[crawl]", 1))
    returncode, err, _summary = _crawl_with_outage(env, proxy, direct, outage=3.0)
    assert returncode in (0, 1), err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    # one ERROR line says it: a write that gave up, or the store's first page that could not
    # be analysed or stored (a read of the source's templates gave up first)
    failures = [
        line
        for line in err.splitlines()
        if "database write failed" in line or ("ERROR" in line and "cannot store" in line)
    ]
    assert failures, err[-3000:]
    first = article_urls(direct)
    assert len(first) < ARTICLES, "the outage should have cost some articles"
    assert len(first) == len(set(first))

    second = env.crawl("pg")["pg"]
    urls = article_urls(direct)
    assert sorted(urls) == sorted(site.url(i) for i in range(ARTICLES)), second
    for i in range(ARTICLES):
        assert site.served[f"/news/article-{i}.html"] <= 2


class _Lost(logging.Handler):
    """Sets an event at the "database connection lost" warning."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "database connection lost" in record.getMessage():
            self.seen.set()


def test_a_read_waits_out_the_outage_too(
    proxied: tuple[CrawlEnv, CuttableProxy, Database],
) -> None:
    """Reads (a source's templates, validators, seen URLs) wait for the server as writes do:
    a read made while the server is away returns once it is back, not an error."""
    env, proxy, _direct = proxied
    db = Database(env.db_url, reconnect_seconds=60)
    handler = _Lost()
    logging.getLogger("monitor.db").addHandler(handler)
    try:
        assert db.read(lambda session: session.execute(text("select 1")).scalar()) == 1
        proxy.cut()
        results: list[object] = []
        reader = threading.Thread(
            target=lambda: results.append(
                db.read(lambda session: session.execute(text("select 2")).scalar())
            )
        )
        reader.start()
        assert handler.seen.wait(60), "the read should have noticed the outage"
        proxy.restore()
        reader.join(90)
        assert results == [2]
    finally:
        logging.getLogger("monitor.db").removeHandler(handler)
        db.dispose()

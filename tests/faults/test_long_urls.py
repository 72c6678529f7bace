"""Canonical URLs of any length, kept whole on both backends: uniqueness on a sha256 key, the
URL in a TEXT column. A 2,126-character ``rel=canonical`` used to raise a truncation error on
PostgreSQL (VARCHAR 2048) at every crawl, so the page was fetched again forever."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from monitor.db.engine import Database
from monitor.db.migrate import downgrade, upgrade
from monitor.db.models import Article, HttpCacheEntry, SeenUrl, url_key
from monitor.db.repository import get_http_validators, known_urls
from tests.faults.site import FaultSite, source
from tests.sites.fixtures import CrawlEnv

HOST = "127.0.0.21"


@pytest.fixture
def site() -> Iterator[FaultSite]:
    web = FaultSite(HOST, 3)
    yield web
    web.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CrawlEnv]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    crawl_env = CrawlEnv(tmp_path, url)
    yield crawl_env
    crawl_env.db.dispose()


def test_a_2126_character_canonical_url_is_stored_once_and_not_fetched_again(
    env: CrawlEnv, site: FaultSite
) -> None:
    prefix = f"{site.base}/news/"
    long_url = prefix + "x" * (2126 - len(prefix) - len(".html")) + ".html"
    assert len(long_url) == 2126
    site.canonical[1] = long_url
    env.write_config([source("longurl", site)], crawl={"public_networks": [f"{HOST}/32"]})
    first = env.crawl("longurl")["longurl"]
    assert first["status"] == "ok", (first, env.last_stderr[-2000:])
    stored = {a.canonical_url for a in env.articles()}
    kept_whole = [u for u in stored if u.endswith(long_url.split("/news/", 1)[1])]
    assert len(stored) == 3 and len(kept_whole) == 1, stored  # stored (canonicalised), whole
    long_url = kept_whole[0]
    assert len(long_url) >= 2126
    assert site.served["/news/article-1.html"] == 1

    second = env.crawl("longurl")["longurl"]
    assert second["status"] == "ok", second
    assert site.served["/news/article-1.html"] == 1  # seen: not fetched again
    assert len(env.articles()) == 3
    with env.db.session() as session:
        assert known_urls(session, [long_url, site.url(1)]) == {long_url, site.url(1)}


def test_the_migration_keys_existing_rows(database_url: str) -> None:
    db = Database(database_url)
    upgrade(db, "0004")
    url = "https://news.example/" + "y" * 1900
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO articles (canonical_url, url, content_fingerprint, title, text, "
                "date_disagreement, first_seen_at, updated_at, revision_count, matched_terms, "
                "snippet, score, near_miss) VALUES (:u, :u, 'f', 't', 'b', false, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0, '[]', '', 0, false)"
            ),
            {"u": url},
        )
        connection.execute(
            text(
                "INSERT INTO seen_urls (url, outcome, first_seen_at, last_fetched_at) "
                "VALUES (:u, 'new', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"u": url + "?seen"},
        )
        connection.execute(
            text(
                "INSERT INTO http_cache (url, etag, max_entry_count, updated_at) "
                "VALUES (:u, '\"v1\"', 3, CURRENT_TIMESTAMP)"
            ),
            {"u": url + "/feed"},
        )
    upgrade(db)
    with db.session() as session:
        assert session.scalar(select(Article.canonical_url_hash)) == url_key(url)
        assert session.scalar(select(SeenUrl.url_hash)) == url_key(url + "?seen")
        assert known_urls(session, [url, url + "?seen", url + "?other"]) == {url, url + "?seen"}
        entry = get_http_validators(session, url + "/feed")
        assert entry is not None and entry.etag == '"v1"'
        assert session.scalar(select(HttpCacheEntry.url_hash)) == url_key(url + "/feed")
    downgrade(db, "0004")  # and back: the rows survive
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT canonical_url FROM articles")).scalar() == url
    db.dispose()

"""SQLite tuning, concurrent writers and unreachable databases."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from monitor.db.engine import Database
from monitor.db.leases import acquire_lease, lease_holder, release_lease, renew_lease
from monitor.db.models import SeenUrl
from monitor.db.repository import known_urls, record_seen_urls
from monitor.errors import DatabaseError
from monitor.stories.outcomes import StoreOutcome


def test_sqlite_pragmas(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def _writer(url: str, worker: int, urls: list[str]) -> None:
    db = Database(url)
    outcome = list(StoreOutcome)[worker]  # each writer its own (valid) outcome
    for url_ in urls:
        db.write(lambda s, u=url_: record_seen_urls(s, [u], outcome=outcome))
    db.dispose()


def test_concurrent_writers_never_duplicate(db: Database) -> None:
    urls = [f"https://example.org/a/{i}" for i in range(40)]
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(db.url, n, urls)) for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(SeenUrl)) == len(urls)
        assert known_urls(session, [*urls, "https://example.org/new"]) == set(urls)


def test_writer_waits_for_a_lock_held_longer_than_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    from monitor.db.migrate import upgrade

    db = Database(url, busy_timeout_ms=100)
    upgrade(db)
    blocker = sqlite3.connect(tmp_path / "locked.db", isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    released = threading.Timer(0.6, blocker.execute, args=("COMMIT",))
    released.start()
    db.write(lambda s: record_seen_urls(s, ["https://example.org/late"], outcome="new"))
    released.join()
    with db.session() as session:
        assert known_urls(session, ["https://example.org/late"]) == {"https://example.org/late"}


def test_unreachable_database_is_one_clear_line() -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(DatabaseError, match=r"cannot reach database .*127\.0\.0\.1:1"):
        db.ping()


def test_read_only_data_directory(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(DatabaseError, match="cannot create database folder"):
        Database(f"sqlite:///{blocked}/sub/monitor.db")


def test_leases_exclude_and_expire(db: Database) -> None:
    assert acquire_lease(db, "crawl:x", "a", 60)
    assert not acquire_lease(db, "crawl:x", "b", 60)
    assert acquire_lease(db, "crawl:x", "a", 60)  # re-entrant for the holder
    holder = lease_holder(db, "crawl:x")
    assert holder is not None and holder.holder == "a"
    assert renew_lease(db, "crawl:x", "a", 60)
    assert not renew_lease(db, "crawl:x", "b", 60)
    release_lease(db, "crawl:x", "a")
    assert acquire_lease(db, "crawl:x", "b", -1)  # taken, but already expired
    assert acquire_lease(db, "crawl:x", "c", 60)  # so another holder may take it over

"""Reads never block writes on SQLite: a long read (an export, an open read session) while
another process writes; the write goes through within its busy timeout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from monitor.db.engine import Database
from monitor.db.models import Article, Story
from monitor.export import export_stories, iter_export
from tests.faults.helpers import add_article, write_from_another_process


def _stories(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Story)) or 0)


def test_open_read_session_does_not_block_a_writer(sqlite_db: Database) -> None:
    add_article(sqlite_db, 1)
    with sqlite_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1
        # the read transaction is still open while another process writes
        result = write_from_another_process(sqlite_db.url, busy_timeout_ms=300)
        assert result.returncode == 0, result.stderr.strip().splitlines()[-1:]
    assert _stories(sqlite_db) == 2


def test_export_in_progress_does_not_block_a_writer(sqlite_db: Database, tmp_path: Path) -> None:
    for n in range(5):
        add_article(sqlite_db, n)
    exporting = iter_export(sqlite_db, tmp_path / "out")
    first = next(exporting)  # the export's session is open, mid-stream
    result = write_from_another_process(sqlite_db.url, busy_timeout_ms=300)
    assert result.returncode == 0, result.stderr.strip().splitlines()[-1:]
    rest = list(exporting)
    assert [first.story_id, *(f.story_id for f in rest)] == [1, 2, 3, 4, 5]
    assert _stories(sqlite_db) == 6


def test_write_units_still_serialise(sqlite_db: Database) -> None:
    """A write unit takes the lock at BEGIN: a second writer waits, then fails after its
    busy timeout (one attempt), rather than both writing on stale reads."""
    with sqlite_db.session(immediate=True) as session:
        session.add(Story(title="holding the write lock"))
        session.flush()
        result = write_from_another_process(sqlite_db.url, busy_timeout_ms=200)
        assert result.returncode != 0
        assert "locked" in result.stderr
    assert _stories(sqlite_db) == 1


def test_export_since_is_filtered_in_sql_and_keeps_positions(
    sqlite_db: Database, tmp_path: Path
) -> None:
    for n in range(4):
        add_article(sqlite_db, n)
    old = datetime(2020, 1, 1, tzinfo=UTC)
    with sqlite_db.session() as session:
        session.execute(update(Article).where(Article.id <= 2).values(first_seen_at=old))
    every = export_stories(sqlite_db, tmp_path / "all")
    recent = export_stories(sqlite_db, tmp_path / "recent", since=old + timedelta(days=1))
    assert [f.story_id for f in recent] == [3, 4]
    assert [f.path.name for f in recent] == [f.path.name for f in every[2:]]
    assert recent[0].path.name.startswith("002_")

"""A read-only or full database: commands that write fail fast with one line and a non-zero
exit; a write that fails is reported without the database (ERROR line, status marker);
what was stored before the fault is kept."""

from __future__ import annotations

import logging
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from monitor.db.engine import Database, last_write_failure
from monitor.db.migrate import upgrade
from monitor.db.models import Article, Story
from monitor.errors import DatabaseError
from tests.faults.helpers import run_cli


def _project(folder: Path, url: str) -> Path:
    (folder / "monitor.toml").write_text(
        f'[database]\nurl = "{url}"\n'
        '[[sources]]\nname = "local"\nfeeds = ["http://127.0.0.2:8999/feed.xml"]\n'
        "allow_private = true\n"
    )
    return folder


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in result.stderr
    return lines[0]


def test_read_only_database_fails_fast(tmp_path: Path) -> None:
    path = tmp_path / "monitor.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    project = _project(tmp_path, f"sqlite:///file:{path}?mode=ro&uri=true")
    for command in (["crawl"], ["init"]):  # digest and run share State.database(writable=True)
        result = run_cli(*command, cwd=project)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        line = _one_error_line(result)
        assert "not writable" in line and "readonly" in line, line
    reader = Database(f"sqlite:///file:{path}?mode=ro&uri=true")
    with reader.session() as session:  # reading still works
        assert session.scalar(select(func.count()).select_from(Article)) == 0
    reader.dispose()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs: the disk that fills up."""
    folder = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _store(db: Database, n: int) -> None:
    def work(session: object) -> None:
        story = Story(title=f"Story {n}")
        session.add(story)  # type: ignore[attr-defined]
        session.flush()  # type: ignore[attr-defined]
        session.add(  # type: ignore[attr-defined]
            Article(
                canonical_url=f"https://news.example/{n}",
                url=f"https://news.example/{n}",
                story_id=story.id,
                content_fingerprint=f"{n:064d}",
                title=f"Story {n}",
                text=f"Story {n}\n\n" + "Russia and Cuba. " * 2000 + str(uuid.uuid4()) * 50,
            )
        )

    db.write(work, attempts=1)


def test_disk_fills_up_while_articles_are_stored(
    small_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{small_disk / 'monitor.db'}"
    db = Database(url)
    upgrade(db)
    stored = 0
    with (
        caplog.at_level(logging.ERROR, logger="monitor.db"),
        pytest.raises(OperationalError, match="full"),
    ):
        for n in range(1000):
            _store(db, n)
            stored += 1
    assert stored > 5
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "database write failed" in errors[0] and "full" in errors[0]
    assert "full" in (last_write_failure(url) or "")
    with pytest.raises(DatabaseError, match="not writable") as caught:
        db.check_writable()
    assert "\n" not in str(caught.value)
    db.dispose()

    # nothing already stored is lost: a fresh connection sees every committed article
    reader = Database(url)
    with reader.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == stored
    project = _project(small_disk.parent, url)
    result = run_cli("crawl", cwd=project)
    assert result.returncode == 1
    assert "not writable" in _one_error_line(result)
    reader.dispose()


def test_failure_marker_clears_after_a_good_write(sqlite_db: Database) -> None:
    from monitor.db import engine

    engine._record_write_failure(sqlite_db.url, OSError("database or disk is full"))
    assert last_write_failure(sqlite_db.url) == "database or disk is full"
    _store(sqlite_db, 1)
    assert last_write_failure(sqlite_db.url) is None


def test_status_is_red_after_a_failed_write(tmp_path: Path) -> None:
    path = tmp_path / "monitor.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    url = f"sqlite:///file:{path}?mode=ro&uri=true"
    project = _project(tmp_path, url)
    assert "last write failed" not in run_cli("status", cwd=project).stdout
    read_only = Database(url)
    with pytest.raises((DatabaseError, OperationalError)):
        _store(read_only, 1)  # a real write refused by the database: the marker is written
    read_only.dispose()
    result = run_cli("status", cwd=project)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "the last write failed" in result.stdout and "readonly" in result.stdout

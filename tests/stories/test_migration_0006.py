"""0006 on SQLite and PostgreSQL: rows stored before it keep their text and bracketed snippet
(no offsets), get access 'open', and the new CHECK constraints hold."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from monitor.db.engine import Database
from monitor.db.migrate import downgrade, upgrade

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_old_rows_survive_0006_unchanged(empty_db: Database) -> None:
    upgrade(empty_db, "0004")
    with empty_db.session() as session:
        session.execute(
            text(
                "INSERT INTO articles (id, canonical_url, url, content_fingerprint, title, text,"
                " date_disagreement, first_seen_at, updated_at, revision_count, matched_terms,"
                " snippet, score, near_miss) VALUES (1, 'https://a.example/x', 'https://a.example/x',"
                " 'f', 'Cuba', 'Cuba\n\nBody [sic].', false, :now, :now, 0, '[]',"
                " '[Cuba] said [sic]', 1.0, false)"
            ),
            {"now": NOW},
        )
        session.execute(
            text(
                "INSERT INTO seen_urls (url, outcome, first_seen_at, last_fetched_at)"
                " VALUES ('https://a.example/x', 'duplicate', :now, :now)"
            ),
            {"now": NOW},
        )
    upgrade(empty_db, "0006")
    with empty_db.session() as session:
        row = session.execute(
            text("SELECT snippet, snippet_spans, access, text FROM articles WHERE id = 1")
        ).one()
        assert tuple(row) == ("[Cuba] said [sic]", None, "open", "Cuba\n\nBody [sic].")
    for statement in (
        "UPDATE articles SET access = 'members' WHERE id = 1",
        "UPDATE seen_urls SET outcome = 'store_error'",
    ):
        with pytest.raises(IntegrityError), empty_db.session() as session:
            session.execute(text(statement))
    with empty_db.session() as session:
        session.execute(text("UPDATE seen_urls SET outcome = 'unchanged'"))
    downgrade(empty_db, "0004")  # unknown to older code: mapped back, nothing lost
    with empty_db.session() as session:
        assert session.execute(text("SELECT outcome FROM seen_urls")).scalar_one() == "duplicate"
        assert session.execute(text("SELECT snippet FROM articles")).scalar_one() == (
            "[Cuba] said [sic]"
        )

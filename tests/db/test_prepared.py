"""Prepared upserts: compiled once per dialect, each with its own cache key, never derived."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select

from monitor.db.engine import Database
from monitor.db.models import SeenUrl, Source, utcnow
from monitor.db.repository import prepared_upsert, record_seen_urls, source_id


def _compiled_per_execution(db: Database, work: Any, table: str) -> list[Any]:
    """The compiled object of every INSERT into ``table`` that ``work`` executes on ``db``."""
    compiled: list[Any] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        context = args[1]
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "):
            compiled.append(context.compiled)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        db.write(work)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    return compiled


def test_a_prepared_upsert_is_compiled_once_and_does_what_it_says(db: Database) -> None:
    def work(session: Any) -> None:
        source = source_id(session, "wire")
        for outcome in ("new", "not_matching", "duplicate"):
            record_seen_urls(session, ["https://a.example/1"], outcome=outcome, source_id=source)

    compiled = _compiled_per_execution(db, work, SeenUrl.__tablename__)
    assert len(compiled) == 3 and len({id(c) for c in compiled}) == 1  # one compiled form
    with db.session() as session:
        rows = session.execute(select(SeenUrl.url, SeenUrl.outcome)).all()
    assert [tuple(row) for row in rows] == [("https://a.example/1", "duplicate")]


def test_two_prepared_upserts_on_one_table_never_share_a_compiled_form(db: Database) -> None:
    table = Source.__table__

    def ignore(insert: Any) -> Any:
        return insert.on_conflict_do_nothing(index_elements=["name"])

    def rename_kind(insert: Any) -> Any:
        return insert.on_conflict_do_update(
            index_elements=["name"], set_={"kind": insert.excluded.kind}
        )

    def work(session: Any) -> None:
        connection = session.connection()
        row = {"name": "wire", "kind": "rss", "created_at": utcnow()}
        connection.execute(prepared_upsert(session, "test_sources_ignore", table, ignore), row)
        again = {**row, "kind": "sitemap"}
        connection.execute(prepared_upsert(session, "test_sources_ignore", table, ignore), again)
        kind = session.scalar(select(Source.kind).where(Source.name == "wire"))
        assert kind == "rss"  # ON CONFLICT DO NOTHING
        connection.execute(prepared_upsert(session, "test_sources_kind", table, rename_kind), again)
        kind = session.scalar(select(Source.kind).where(Source.name == "wire"))
        assert kind == "sitemap"  # the other statement: DO UPDATE, not the cached DO NOTHING

    compiled = _compiled_per_execution(db, work, Source.__tablename__)
    assert len(compiled) == 3
    assert len({id(c) for c in compiled}) == 2
    assert "DO NOTHING" in str(compiled[0]) and "DO UPDATE" in str(compiled[-1])


def test_a_statement_cannot_be_derived_from_a_prepared_upsert(db: Database) -> None:
    def work(session: Any) -> None:
        statement = prepared_upsert(
            session,
            "test_sources_derived",
            Source.__table__,
            lambda insert: insert.on_conflict_do_nothing(index_elements=["name"]),
        )
        with pytest.raises(TypeError, match="executed as it is"):
            statement.values(name="other")

    db.write(work)

"""Alembic: base → head → base → head on both backends, empty and populated; models match head."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from monitor.db.engine import Database
from monitor.db.migrate import (
    FOREIGN_TABLES,
    current_revision,
    downgrade,
    head_revision,
    require_current_schema,
    upgrade,
)
from monitor.db.models import Article, Base, Source, Story
from monitor.errors import SchemaOutdatedError


def _populate(db: Database) -> None:
    with db.session() as session:
        source = Source(name="s1")
        story = Story(title="A story")
        session.add_all([source, story])
        session.flush()
        session.add(
            Article(
                canonical_url="https://example.org/a",
                url="https://example.org/a",
                source_id=source.id,
                story_id=story.id,
                content_fingerprint="f" * 64,
                title="A story",
                text="A story\n\nBody.",
                matched_terms=["cuba"],
            )
        )


def test_upgrade_downgrade_upgrade_empty(empty_db: Database) -> None:
    assert current_revision(empty_db) is None
    upgrade(empty_db)
    assert current_revision(empty_db) == head_revision()
    downgrade(empty_db)
    assert current_revision(empty_db) is None
    assert set(inspect(empty_db.engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_db)
    assert current_revision(empty_db) == head_revision()


def test_upgrade_downgrade_upgrade_populated(db: Database) -> None:
    _populate(db)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1
    downgrade(db)
    upgrade(db)
    _populate(db)  # the schema works again after the round trip
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1


def test_models_match_head_migration(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": lambda o, name, type_, r, c: (
                    not (type_ == "table" and name in FOREIGN_TABLES)
                ),
            },
        )
        assert compare_metadata(context, Base.metadata) == []


def test_outdated_schema_is_refused(empty_db: Database) -> None:
    with pytest.raises(SchemaOutdatedError, match="monitor init"):
        require_current_schema(empty_db)
    upgrade(empty_db)
    require_current_schema(empty_db)

"""Alembic, configured in code from the same settings: upgrade, downgrade, and the schema check."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from monitor.db.engine import Database, redact_url
from monitor.errors import DatabaseError, SchemaOutdatedError

# ``migrations/`` in a checkout, ``monitor/_migrations/`` in a wheel: setup.py maps the one
# import name onto both (an editable install maps it onto the checkout's folder).
MIGRATIONS_DIR = Path(str(files("monitor._migrations")))
# Tables that belong to libraries (APScheduler's job store), not to our models.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def alembic_config(database: Database) -> Config:
    """An Alembic Config that runs on the database's own engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    config.attributes["engine"] = database.engine
    return config


def head_revision() -> str:
    """The newest migration in ``migrations/versions``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(database: Database) -> str | None:
    """The revision the database is at, or None for an empty database."""
    try:
        with database.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except Exception as exc:
        raise DatabaseError(
            f"cannot read schema version of {redact_url(database.url)}: {exc}"
        ) from exc


def upgrade(database: Database, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (each migration is one transaction)."""
    command.upgrade(alembic_config(database), revision)


def downgrade(database: Database, revision: str = "base") -> None:
    """Migrate the database down to ``revision``."""
    command.downgrade(alembic_config(database), revision)


def require_current_schema(database: Database) -> None:
    """Refuse to work on a database that is not at the head migration."""
    current = current_revision(database)
    head = head_revision()
    if current != head:
        state = "empty" if current is None else f"at revision {current}"
        raise SchemaOutdatedError(
            f"the database {redact_url(database.url)} is {state}, not at {head}: "
            "run `monitor init` to create or upgrade it"
        )

"""Shared fixtures: databases on both backends (SQLite files, PostgreSQL databases of their own)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.db.engine import Database
from monitor.db.migrate import upgrade

# The demo news web and crawl helpers (tests/sites/fixtures.py): news_web, crawl_env.
pytest_plugins = ["tests.sites.fixtures"]

POSTGRES_ADMIN_URL = os.environ.get(
    "MONITOR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_admin():  # type: ignore[no-untyped-def]
    import psycopg

    dsn = POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(dsn, autocommit=True, connect_timeout=3)


def postgres_unavailable_reason() -> str | None:
    """None when a PostgreSQL server answers, else why not."""
    try:
        with _postgres_admin():
            return None
    except Exception as exc:
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_reason() -> str | None:
    return postgres_unavailable_reason()


@pytest.fixture
def postgres_url(postgres_reason: str | None) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    if postgres_reason:
        pytest.skip(postgres_reason)
    name = f"monitor_test_{uuid.uuid4().hex[:12]}"
    with _postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file database URL in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'monitor.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that asks for it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def empty_db(database_url: str) -> Iterator[Database]:
    """A Database on both backends with no schema yet."""
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def db(empty_db: Database) -> Database:
    """A Database on both backends, migrated to head."""
    upgrade(empty_db)
    return empty_db


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    """A migrated SQLite Database only (for tests about SQLite behaviour)."""
    database = Database(sqlite_url)
    upgrade(database)
    yield database
    database.dispose()

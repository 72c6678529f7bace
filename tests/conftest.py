"""Shared fixtures: databases on both backends (SQLite files, PostgreSQL databases of their own),
and the network guard every test runs under (tests/netguard.py).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.db.engine import Database
from monitor.db.migrate import upgrade
from tests import netguard

# The demo news web and crawl helpers (tests/sites/fixtures.py): news_web, crawl_env.
pytest_plugins = ["tests.sites.fixtures"]

POSTGRES_ADMIN_URL = os.environ.get(
    "MONITOR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# Under CI a PostgreSQL server is part of the test bed: its tests fail instead of skipping.
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session", autouse=True)
def network_guard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[netguard.ViolationLog]:
    """Refuse connections outside loopback, here and in Python child processes."""
    folder = tmp_path_factory.mktemp("netguard")
    log = netguard.ViolationLog(folder / "violations.log")
    children = netguard.prepare_children(folder / "site")
    saved = {name: os.environ.get(name) for name in ("PYTHONPATH", netguard.LOG_ENV)}
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(children), saved["PYTHONPATH"]]))
    os.environ[netguard.LOG_ENV] = str(log.path)
    netguard.install(log.path)
    try:
        yield log
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(autouse=True)
def _no_outside_connections(network_guard: netguard.ViolationLog) -> Iterator[None]:
    """Fail a test that tried to leave loopback, even if the code under test caught the error."""
    network_guard.take()
    yield
    if violations := network_guard.take():
        pytest.fail("\n".join(violations), pytrace=False)


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
        if IN_CI:
            pytest.fail(f"CI=true and {postgres_reason}", pytrace=False)
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

"""Shared fixtures: databases on both backends (SQLite files, PostgreSQL databases of their own),
and the network guard every test runs under (tests/netguard.py).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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


def _require_postgres(reason: str | None) -> None:
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)


@contextmanager
def _postgres_database(template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (a copy of ``template`` if given) as a URL; dropped after."""
    name = f"monitor_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with _postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"{copy}')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_reason: str | None) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    _require_postgres(postgres_reason)
    with _postgres_database() as url:
        yield url


# Migrated databases are copies of one database per session (per xdist worker) that Alembic
# migrated to head, the same schema as running the migrations for each test, without their cost
# (about a quarter of a second each, several seconds on a busy machine). The migration tests
# themselves start from empty databases (``empty_db``, ``sqlite_url``, ``postgres_url``).
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, to copy (``migrated_sqlite``); never opened by tests."""
    path = tmp_path_factory.mktemp("template") / "monitor.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()
    return path


def migrated_sqlite(template: Path, path: Path) -> str:
    """Copy the migrated ``template`` to ``path`` (a new file); its database URL."""
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_template(postgres_reason: str | None) -> Iterator[str]:
    """The name of a PostgreSQL database migrated to head, for ``CREATE DATABASE ... TEMPLATE``."""
    _require_postgres(postgres_reason)
    with _postgres_database() as url:
        database = Database(url)
        upgrade(database)
        database.dispose()  # a template must have no open connections to be copied
        yield url.rsplit("/", 1)[1]


@pytest.fixture
def migrated_postgres_url(postgres_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database at the head migration for one test, dropped afterwards."""
    with _postgres_database(postgres_template) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file database URL in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'monitor.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that asks for a database (``database_url``, ``empty_db``, ``db``) runs on
    SQLite and on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    """An empty database on both backends."""
    return str(request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url"))


@pytest.fixture
def empty_db(database_url: str) -> Iterator[Database]:
    """A Database on both backends with no schema yet."""
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def db(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A Database on both backends, migrated to head."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        url = migrated_sqlite(template, tmp_path / "monitor.db")
    else:
        url = str(request.getfixturevalue("migrated_postgres_url"))
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite Database only (for tests about SQLite behaviour)."""
    database = Database(migrated_sqlite(sqlite_template, tmp_path / "monitor.db"))
    yield database
    database.dispose()

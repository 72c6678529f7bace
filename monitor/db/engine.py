"""Engines and sessions: SQLite tuned for a daemon with concurrent writers, PostgreSQL as is."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from monitor.errors import DatabaseError

T = TypeVar("T")
BEGIN_OPTION = "monitor_begin"  # execution option: "IMMEDIATE" for write units on SQLite
_FIRST_RETRY_WAIT = 0.05  # seconds before the second attempt of a write; doubles each time


def _is_lock_error(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError):
        message = str(exc.orig if exc.orig is not None else exc).lower()
        return "locked" in message or "busy" in message or "deadlock" in message
    return False


def redact_url(url: str) -> str:
    """The database URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def make_engine(url: str, *, busy_timeout_ms: int = 30_000, echo: bool = False) -> Engine:
    """Create an engine; for SQLite: WAL, busy timeout, foreign keys, explicit BEGIN.

    Transactions begin DEFERRED (a reader takes no lock, so WAL lets writers proceed) unless
    the connection carries the ``monitor_begin="IMMEDIATE"`` execution option, which
    :meth:`Database.write` sets: a unit that decides what to write takes the write lock first.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"invalid database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, busy_timeout_ms, echo)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return create_engine(parsed, echo=echo, pool_pre_ping=True, future=True)
    except Exception as exc:  # a missing driver, a malformed option
        raise DatabaseError(f"cannot use database {redact_url(url)}: {exc}") from exc


def _sqlite_engine(url: str, database: str | None, busy_timeout_ms: int, echo: bool) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).expanduser().resolve().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create database folder {folder}: {exc.strerror}") from None
    engine = create_engine(
        url, echo=echo, connect_args={"timeout": busy_timeout_ms / 1000}, future=True
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # pysqlite delays BEGIN; take control of transactions and emit BEGIN below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {'IMMEDIATE' if mode == 'IMMEDIATE' else 'DEFERRED'}")

    return engine


class Database:
    """The one owner of the engine and sessions; every module asks it for a session."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 30_000) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            self.engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"}), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, immediate: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error.

        On SQLite the transaction is DEFERRED (readers never block writers under WAL);
        ``immediate=True`` takes the write lock at BEGIN, for a read-then-write decision.
        """
        factory = self._write_sessions if immediate else self._sessions
        with factory() as session, session.begin():
            yield session

    def write(self, work: Callable[[Session], T], *, attempts: int = 8) -> T:
        """Run ``work`` in its own transaction, retried with backoff while the DB is locked."""
        # The first attempt runs without tenacity's machinery (it costs as much as a small
        # transaction); only a lock error enters the retry loop, with the same waits.
        try:
            with self.session(immediate=True) as session:
                return work(session)
        except Exception as exc:
            if attempts <= 1 or not _is_lock_error(exc):
                raise
        time.sleep(_FIRST_RETRY_WAIT)

        @retry(
            retry=retry_if_exception(_is_lock_error),
            stop=stop_after_attempt(attempts - 1),
            # attempt n here is attempt n + 1 overall: 0.05 * 2 ** n seconds, at most 2.
            wait=wait_exponential(multiplier=2 * _FIRST_RETRY_WAIT, max=2.0),
            reraise=True,
        )
        def _attempt() -> T:
            with self.session(immediate=True) as session:
                return work(session)

        return _attempt()

    def ping(self) -> None:
        """Fail with one clear line when the database cannot be reached."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            raise DatabaseError(
                f"cannot reach database {redact_url(self.url)}: {_first_line(exc)}"
            ) from exc

    def dispose(self) -> None:
        self.engine.dispose()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__

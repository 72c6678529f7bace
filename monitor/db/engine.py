"""Engines and sessions: SQLite tuned for a daemon with concurrent writers, PostgreSQL as is."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from monitor.errors import DatabaseError

T = TypeVar("T")
log = logging.getLogger("monitor.db")
MIN_FREE_BYTES = 1_000_000  # below this, an SQLite database's disk counts as full at start
BEGIN_OPTION = "monitor_begin"  # execution option: "IMMEDIATE" for write units on SQLite
_FIRST_RETRY_WAIT = 0.05  # seconds before the second attempt of a write; doubles each time
RECONNECT_SECONDS = 30.0  # how long a write waits for a server that went away (a restart)
_DISCONNECT_MARKERS = (
    "connection refused",
    "server closed the connection",
    "terminating connection",
    "connection reset",
    "connection timed out",
    "connection failed",
    "could not receive data",
    "could not send data",
    "the database system is starting up",
    "the database system is shutting down",
    "ssl syscall error",
    "consuming input failed",
    "the connection is closed",
    "connection is lost",
)


def _is_lock_error(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError):
        message = str(exc.orig if exc.orig is not None else exc).lower()
        return "locked" in message or "busy" in message or "deadlock" in message
    return False


def _is_disconnect(exc: BaseException) -> bool:
    """The server went away or is not back yet (a restart, a network cut): worth retrying."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        message = str(exc.orig if exc.orig is not None else exc).lower()
        return any(marker in message for marker in _DISCONNECT_MARKERS)
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

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_ms: int = 30_000,
        reconnect_seconds: float = RECONNECT_SECONDS,
    ) -> None:
        self.url = url
        self.reconnect_seconds = reconnect_seconds
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

    def read(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a plain (deferred) transaction, waiting out a lost connection.

        The crawl's reads (learned templates, validators, seen URLs) go through here, so a
        PostgreSQL restart mid-crawl costs a wait, as for writes, not the pages read meanwhile.
        """

        def _once() -> T:
            with self.session() as session:
                return work(session)

        return self._reconnecting(_once)

    def write(self, work: Callable[[Session], T], *, attempts: int = 8) -> T:
        """Run ``work`` in its own transaction, retried with backoff while the DB is locked.

        When the server goes away (a PostgreSQL restart), the unit is run again from the start
        for up to ``reconnect_seconds`` (one WARNING line); uniqueness constraints keep a unit
        whose commit did reach the server from storing anything twice.

        A write that fails for good is reported without the database: an ERROR log line (on
        stderr when logging is not configured) and a marker file that ``monitor status``
        reads (:func:`last_write_failure`); the next successful write clears it.
        """
        try:
            result = self._reconnecting(lambda: self._write(work, attempts))
        except Exception as exc:
            if isinstance(exc, OperationalError) or _is_disk_error(exc):
                _record_write_failure(self.url, exc)
            raise
        _clear_write_failure(self.url)
        return result

    def _reconnecting(self, unit: Callable[[], T]) -> T:
        """``unit()``, run again while the server is unreachable, for ``reconnect_seconds``."""
        started: float | None = None
        wait = 0.25
        while True:
            try:
                result = unit()
            except Exception as exc:
                if not _is_disconnect(exc):
                    raise
                now = time.monotonic()
                if started is None:
                    started = now
                    log.warning(
                        "database connection lost (%s): %s; retrying for up to %gs",
                        redact_url(self.url),
                        _first_line(exc),
                        self.reconnect_seconds,
                    )
                if now - started >= self.reconnect_seconds:
                    raise
                time.sleep(min(wait, max(0.0, started + self.reconnect_seconds - now)))
                wait = min(wait * 2, 4.0)
                continue
            if started is not None:
                log.info(
                    "database reachable again after %.1fs (%s)",
                    time.monotonic() - started,
                    redact_url(self.url),
                )
            return result

    def _write(self, work: Callable[[Session], T], attempts: int) -> T:
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

    def check_writable(self) -> None:
        """Fail with one clear line when the database cannot take a write: a read-only file or
        server, a full disk (SQLite: less than 1 MB free). Nothing is left behind."""
        where = redact_url(self.url)
        if self.dialect == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            folder = Path(_sqlite_path(self.engine.url.database or "")).expanduser().parent
            try:
                free = shutil.disk_usage(folder).free
            except OSError:
                free = MIN_FREE_BYTES
            if free < MIN_FREE_BYTES:
                raise DatabaseError(
                    f"database {where} is not writable: disk full ({free} bytes free in {folder})"
                )
        try:
            with self.engine.connect() as connection, connection.begin() as transaction:
                connection.execute(text("CREATE TABLE monitor_write_probe (probe INTEGER)"))
                transaction.rollback()
        except Exception as exc:
            _record_write_failure(self.url, exc, log_error=False)  # the caller says it
            raise DatabaseError(f"database {where} is not writable: {_first_line(exc)}") from exc

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


def _is_disk_error(exc: BaseException) -> bool:
    message = str(getattr(exc, "orig", None) or exc).lower()
    return "disk" in message or "readonly" in message or "read-only" in message


def _sqlite_path(database: str) -> str:
    """The file path of an SQLite database name (``file:`` URIs included)."""
    if database.startswith("file:"):
        return database[len("file:") :].split("?", 1)[0]
    return database


def _failure_marker(url: str) -> Path:
    # Outside the database's own folder: the disk that holds it may be the full one.
    digest = hashlib.sha256(redact_url(url).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"monitor-write-failed-{digest}.json"


def _record_write_failure(url: str, exc: BaseException, *, log_error: bool = True) -> None:
    line = _first_line(exc)
    if log_error:
        # One ERROR line per failure, not one per write that hits it (a full disk fails every
        # write after it; any process may have said it already: the marker is shared).
        known = last_write_failure(url) == line
        log.log(
            logging.DEBUG if known else logging.ERROR,
            "database write failed (%s): %s",
            redact_url(url),
            line,
        )
    with contextlib.suppress(OSError):  # then the ERROR line is the alert of last resort
        _failure_marker(url).write_text(json.dumps({"at": time.time(), "error": line}))


def _clear_write_failure(url: str) -> None:
    marker = _failure_marker(url)
    if marker.exists():
        marker.unlink(missing_ok=True)


def last_write_failure(url: str) -> str | None:
    """The error of the last failed write to this database (any process), None after a
    successful write; for ``monitor status`` (red when set)."""
    try:
        data = json.loads(_failure_marker(url).read_text())
    except (OSError, ValueError):
        return _sqlite_disk_full(url)
    return str(data.get("error") or "unknown error")


def _sqlite_disk_full(url: str) -> str | None:
    """Why an SQLite database's disk cannot take writes (less than 1 MB free), else None: a
    full disk stays red even when a small write squeezed through after the failed one."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    folder = Path(_sqlite_path(database)).expanduser().parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    if free >= MIN_FREE_BYTES:
        return None
    return f"disk full ({free} bytes free in {folder})"

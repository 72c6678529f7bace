"""Named leases with a short expiry, renewed by a heartbeat: one poll per source, one scheduler
per database, across hosts.

Every time a lease is compared or pushed forward is the *database's* clock (``now()`` on
PostgreSQL, ``strftime('now')`` on SQLite), so hosts with skewed clocks agree on who holds what.
A holder is ``host:pid:start`` (the process start time from ``/proc``), so a lease held by a
process on this host that no longer exists (or whose pid was reused) is taken over at once
instead of after its expiry.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.db.engine import Database
from monitor.db.models import Lease

log = logging.getLogger(__name__)

SCHEDULER_LEASE = "scheduler"


# --- who holds a lease ---------------------------------------------------------------------------


def process_start_time(pid: int) -> str | None:
    """The start time of a live ``pid`` in clock ticks since boot (``/proc/PID/stat`` field 22).

    None when there is no such process or it is a zombie (dead, not yet reaped).
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    fields = stat.rpartition(")")[2].split()
    if len(fields) <= 19 or fields[0] in ("Z", "X"):
        return None
    return fields[19]


@cache
def _this_host() -> str:
    return socket.gethostname()


def default_holder() -> str:
    """``host:pid:start``: who holds a lease, shown in ``monitor status``."""
    pid = os.getpid()
    return f"{_this_host()}:{pid}:{process_start_time(pid) or 0}"


@dataclass(frozen=True)
class HolderId:
    host: str
    pid: int | None
    start: str | None


def parse_holder(holder: str) -> HolderId:
    """Split ``host:pid:start`` (or the older ``host:pid``)."""
    parts = holder.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return HolderId(parts[0], int(parts[1]), parts[2])
    host, _, pid = holder.rpartition(":")
    return HolderId(host, int(pid) if pid.isdigit() else None, None)


def holder_is_dead(holder: str) -> bool:
    """True when ``holder`` names a process on this host that no longer exists.

    A live process with the same pid but another start time is a reused pid: dead too.
    A holder on another host is never judged dead here (its lease expires instead).
    """
    who = parse_holder(holder)
    if who.host != _this_host() or who.pid is None:
        return False
    started = process_start_time(who.pid)
    if started is None:
        # Without /proc (not Linux) fall back to asking whether the pid exists at all.
        return Path("/proc/self/stat").exists() or not _pid_exists(who.pid)
    return who.start is not None and who.start != "0" and started != who.start


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- the database's clock ------------------------------------------------------------------------


def database_now(session: Session) -> datetime:
    """The database server's current time (UTC, timezone-aware)."""
    if session.get_bind().dialect.name == "sqlite":
        raw = session.scalar(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"))
        return datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)
    value = session.scalar(text("SELECT now()"))
    assert isinstance(value, datetime)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


# --- acquire, renew, release ---------------------------------------------------------------------


def take_lease(session: Session, name: str, holder: str, ttl_seconds: float, now: datetime) -> bool:
    """Inside a write transaction: take the lease if free, expired, held by a dead local process,
    or already ours; True when we hold it afterwards (batched claims call this per source)."""
    expires = now + timedelta(seconds=ttl_seconds)
    current = session.get(Lease, name)
    if current is None:
        try:
            with session.begin_nested():  # a concurrent insert fails only this savepoint
                session.add(Lease(name=name, holder=holder, acquired_at=now, expires_at=expires))
        except IntegrityError:
            return False
        return True
    previous = current.holder
    if previous == holder:
        current.expires_at = expires
        return True
    dead = holder_is_dead(previous)
    if current.expires_at >= now and not dead:
        return False
    taken = session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == previous)
        .values(holder=holder, acquired_at=now, expires_at=expires)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if taken and dead:
        log.warning("took over lease %s from dead process %s", name, previous)
    if taken:
        session.expire(current)
    return bool(taken)


def acquire_lease(db: Database, name: str, holder: str, ttl_seconds: float) -> bool:
    """Take the lease if free, expired, held by a dead local process, or already ours.

    True when we hold it afterwards.
    """
    try:
        return db.write(lambda s: take_lease(s, name, holder, ttl_seconds, database_now(s)))
    except IntegrityError:  # another process inserted the row between our two statements
        return False


def release_leases(session: Session, names: list[str], holder: str) -> None:
    """Inside a write transaction: give back the leases of ``names`` that we hold."""
    if names:
        session.execute(
            delete(Lease)
            .where(Lease.name.in_(names), Lease.holder == holder)
            .execution_options(synchronize_session=False)
        )


def renew_lease(db: Database, name: str, holder: str, ttl_seconds: float) -> bool:
    """Push the expiry forward (heartbeat); False when the lease was lost to someone else."""

    def _renew(session: Session) -> bool:
        expires = database_now(session) + timedelta(seconds=ttl_seconds)
        statement = (
            update(Lease)
            .where(Lease.name == name, Lease.holder == holder)
            .values(expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]

    return db.write(_renew)


def renew_leases(db: Database, names: list[str], holder: str, ttl_seconds: float) -> list[str]:
    """Renew several leases in one transaction; the names no longer ours."""
    if not names:
        return []

    def _renew(session: Session) -> list[str]:
        expires = database_now(session) + timedelta(seconds=ttl_seconds)
        session.execute(
            update(Lease)
            .where(Lease.name.in_(names), Lease.holder == holder)
            .values(expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        ours = set(
            session.scalars(select(Lease.name).where(Lease.name.in_(names), Lease.holder == holder))
        )
        return [name for name in names if name not in ours]

    return db.write(_renew)


def release_lease(db: Database, name: str, holder: str) -> None:
    """Give the lease back (only if we hold it)."""
    db.write(lambda s: s.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder)))


def lease_holder(db: Database, name: str) -> Lease | None:
    """The current, unexpired holder of ``name``, if any."""
    with db.session() as session:
        lease = session.scalar(select(Lease).where(Lease.name == name))
        if lease is None or lease.expires_at < database_now(session):
            return None
        session.expunge(lease)
        return lease


@dataclass(frozen=True)
class LeaseState:
    """One lease as ``monitor status`` shows it."""

    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime
    expired: bool
    holder_dead: bool


def list_leases(db: Database) -> list[LeaseState]:
    """Every lease row, with whether it has expired (database clock) or its holder died."""
    with db.session() as session:
        now = database_now(session)
        rows = list(session.scalars(select(Lease).order_by(Lease.name)))
        return [
            LeaseState(
                row.name,
                row.holder,
                row.acquired_at,
                row.expires_at,
                row.expires_at < now,
                holder_is_dead(row.holder),
            )
            for row in rows
        ]


def source_lease_name(source_name: str) -> str:
    return f"crawl:{source_name}"

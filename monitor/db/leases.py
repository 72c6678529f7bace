"""Named leases with expiry: one crawl per source and one scheduler per database, across hosts."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from monitor.db.engine import Database
from monitor.db.models import Lease, utcnow


def default_holder() -> str:
    """``host:pid``: who holds a lease, shown in ``monitor status``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire_lease(db: Database, name: str, holder: str, ttl_seconds: float) -> bool:
    """Take the lease if free, expired, or already ours; True when we hold it afterwards."""
    now = utcnow()
    expires = now + timedelta(seconds=ttl_seconds)

    def _take(session) -> bool:  # type: ignore[no-untyped-def]
        taken = session.execute(
            update(Lease)
            .where(Lease.name == name, (Lease.expires_at < now) | (Lease.holder == holder))
            .values(holder=holder, acquired_at=now, expires_at=expires)
        ).rowcount  # type: ignore[attr-defined]
        if taken:
            return True
        if session.get(Lease, name) is not None:
            return False
        session.add(Lease(name=name, holder=holder, acquired_at=now, expires_at=expires))
        session.flush()
        return True

    try:
        return db.write(_take)
    except IntegrityError:  # another process inserted the row between our two statements
        return False


def renew_lease(db: Database, name: str, holder: str, ttl_seconds: float) -> bool:
    """Push the expiry forward; False when the lease was lost to someone else."""
    expires = utcnow() + timedelta(seconds=ttl_seconds)
    statement = (
        update(Lease).where(Lease.name == name, Lease.holder == holder).values(expires_at=expires)
    )
    return bool(db.write(lambda s: s.execute(statement).rowcount))  # type: ignore[attr-defined]


def release_lease(db: Database, name: str, holder: str) -> None:
    """Give the lease back (only if we hold it)."""
    db.write(lambda s: s.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder)))


def lease_holder(db: Database, name: str) -> Lease | None:
    """The current, unexpired holder of ``name``, if any."""
    with db.session() as session:
        lease = session.scalar(select(Lease).where(Lease.name == name))
        if lease is None or lease.expires_at < utcnow():
            return None
        session.expunge(lease)
        return lease


def source_lease_name(source_name: str) -> str:
    return f"crawl:{source_name}"


SCHEDULER_LEASE = "scheduler"

"""Poll requests: the table through which the scheduler, ``monitor crawl`` and the web console hand
polls to crawl workers, and through which workers report each poll's outcome.

A worker claims queued rows atomically (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite every
write transaction is ``BEGIN IMMEDIATE``, so claims are serialised), keeps the rows it runs alive
with a heartbeat, and writes the outcome into the row. A running row whose heartbeat stopped for
one lease TTL, or whose worker is a dead process on this host, is re-queued by the scheduler.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.db.engine import Database
from monitor.db.leases import (
    database_now,
    holder_is_dead,
    release_leases,
    source_lease_name,
    take_lease,
)
from monitor.db.models import (
    ACTIVE_POLL_STATUSES,
    CrawlRun,
    PollRequest,
    PollRequester,
    PollStatus,
    RunStatus,
)

MAX_POLL_ATTEMPTS = 3
"""A poll whose worker died this many times is marked failed instead of re-queued again."""

FINAL_STATUSES = frozenset({PollStatus.DONE, PollStatus.FAILED, PollStatus.INTERRUPTED})


@dataclass(frozen=True)
class PollClaim:
    """A poll a worker took."""

    id: int
    source_name: str
    requested_by: str


@dataclass(frozen=True)
class PollState:
    """A snapshot of one row."""

    id: int
    source_name: str
    requested_by: str
    status: PollStatus
    requested_at: datetime
    claimed_by: str | None
    finished_at: datetime | None
    outcome: dict[str, Any] | None
    crawl_run_id: int | None

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES


def _state(row: PollRequest) -> PollState:
    return PollState(
        row.id,
        row.source_name,
        row.requested_by,
        PollStatus(row.status),
        row.requested_at,
        row.claimed_by,
        row.finished_at,
        row.outcome,
        row.crawl_run_id,
    )


def _active(session: Session, source_name: str) -> int | None:
    return session.scalar(
        select(PollRequest.id).where(
            PollRequest.source_name == source_name, PollRequest.status.in_(ACTIVE_POLL_STATUSES)
        )
    )


def request_poll(db: Database, source_name: str, requested_by: PollRequester) -> tuple[int, bool]:
    """Queue a poll of ``source_name`` unless one is queued or running: (row id, newly queued)."""

    def _insert(session: Session) -> tuple[int, bool]:
        existing = _active(session, source_name)
        if existing is not None:
            return existing, False
        row = PollRequest(
            source_name=source_name,
            requested_by=requested_by.value,
            status=PollStatus.QUEUED.value,
            requested_at=database_now(session),
        )
        session.add(row)
        session.flush()
        return row.id, True

    try:
        return db.write(_insert)
    except IntegrityError:  # another process queued it between our read and insert
        with db.session() as session:
            existing = _active(session, source_name)
        if existing is None:
            raise
        return existing, False


def claim_polls(db: Database, worker: str, limit: int) -> list[PollClaim]:
    """Take up to ``limit`` queued polls for ``worker`` (oldest first)."""
    if limit <= 0:
        return []

    def _claim(session: Session) -> list[PollClaim]:
        rows = session.execute(
            select(PollRequest.id, PollRequest.source_name, PollRequest.requested_by)
            .where(PollRequest.status == PollStatus.QUEUED.value)
            .order_by(PollRequest.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        now = database_now(session)
        claimed: list[PollClaim] = []
        for poll_id, source_name, requested_by in rows:
            if _take(session, poll_id, worker, now):
                claimed.append(PollClaim(poll_id, source_name, requested_by))
        return claimed

    return db.write(_claim)


def _take(session: Session, poll_id: int, worker: str, now: datetime) -> bool:
    """Mark one poll running for ``worker`` if it is still queued; True when it was."""
    taken = session.execute(
        update(PollRequest)
        .where(PollRequest.id == poll_id, PollRequest.status == PollStatus.QUEUED.value)
        .values(
            status=PollStatus.RUNNING.value,
            claimed_by=worker,
            claimed_at=now,
            heartbeat_at=now,
            attempts=PollRequest.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    return bool(taken)


def claim_poll(db: Database, poll_id: int, worker: str) -> PollClaim | None:
    """Take one named poll if it is still queued (a queue message named it)."""

    def _claim(session: Session) -> PollClaim | None:
        if not _take(session, poll_id, worker, database_now(session)):
            return None
        row = session.get(PollRequest, poll_id)
        assert row is not None
        return PollClaim(row.id, row.source_name, row.requested_by)

    return db.write(_claim)


@dataclass(frozen=True)
class StartedPolls:
    """What one batched start did: polls to run now (their source leases held), and polls
    refused because their source is being polled elsewhere (already finished as skipped)."""

    started: list[PollClaim]
    refused: list[PollClaim]


ALREADY_RUNNING = "already running elsewhere"


def start_polls(
    db: Database,
    worker: str,
    ttl_seconds: float,
    *,
    limit: int = 0,
    ids: list[int] | None = None,
) -> StartedPolls:
    """One transaction for a batch of polls: claim up to ``limit`` queued rows (or the named
    ``ids``, which queue messages carried), take each source's lease, and mark runs of those
    sources left ``running`` by a dead process as interrupted. A poll whose source lease is held
    by a live holder is finished at once as skipped (``already running elsewhere``)."""
    if (ids is None and limit <= 0) or ids == []:
        return StartedPolls([], [])

    def _start(session: Session) -> StartedPolls:
        query = select(PollRequest.id, PollRequest.source_name, PollRequest.requested_by).where(
            PollRequest.status == PollStatus.QUEUED.value
        )
        query = query.where(PollRequest.id.in_(ids)) if ids is not None else query.limit(limit)
        rows = session.execute(
            query.order_by(PollRequest.id).with_for_update(skip_locked=True)
        ).all()
        now = database_now(session)
        started: list[PollClaim] = []
        refused: list[PollClaim] = []
        for poll_id, source_name, requested_by in rows:
            if not _take(session, poll_id, worker, now):
                continue
            claim = PollClaim(poll_id, source_name, requested_by)
            if take_lease(session, source_lease_name(source_name), worker, ttl_seconds, now):
                started.append(claim)
                continue
            refused.append(claim)
            session.execute(
                update(PollRequest)
                .where(PollRequest.id == poll_id)
                .values(
                    status=PollStatus.DONE.value,
                    outcome={
                        "source": source_name, "run_id": None, "status": RunStatus.SKIPPED.value,
                        "counts": {}, "errors": [ALREADY_RUNNING],
                    },
                    finished_at=now,
                )
                .execution_options(synchronize_session=False)
            )  # fmt: skip
        _interrupt_abandoned_runs(session, [c.source_name for c in started], now)
        return StartedPolls(started, refused)

    return db.write(_start)


def _interrupt_abandoned_runs(session: Session, sources: list[str], now: datetime) -> None:
    """Runs of ``sources`` still ``running`` but not this process's: their crawl died (we hold
    the source leases now, so no other crawl of them is alive)."""
    if not sources:
        return
    session.execute(
        update(CrawlRun)
        .where(
            CrawlRun.source_name.in_(sources),
            CrawlRun.status == RunStatus.RUNNING.value,
            or_(
                CrawlRun.host.is_(None),
                CrawlRun.host != socket.gethostname(),
                CrawlRun.pid.is_(None),
                CrawlRun.pid != os.getpid(),
            ),
        )
        .values(
            status=RunStatus.INTERRUPTED.value,
            finished_at=func.coalesce(CrawlRun.finished_at, now),
        )
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class PollResult:
    """A finished poll as the worker reports it."""

    id: int
    source_name: str
    status: PollStatus
    outcome: dict[str, Any]
    crawl_run_id: int | None
    release_lease: bool = True


def finish_polls(db: Database, worker: str, results: list[PollResult]) -> list[int]:
    """One transaction for a batch of finished polls: write each outcome into its row and give
    the source leases back. Returns the ids no longer this worker's (re-queued while they ran)."""
    if not results:
        return []

    def _finish(session: Session) -> list[int]:
        now = database_now(session)
        lost: list[int] = []
        for result in results:
            written = session.execute(
                update(PollRequest)
                .where(
                    PollRequest.id == result.id,
                    PollRequest.claimed_by == worker,
                    PollRequest.status == PollStatus.RUNNING.value,
                )
                .values(
                    status=result.status.value,
                    outcome=result.outcome,
                    crawl_run_id=result.crawl_run_id,
                    finished_at=now,
                )
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            if not written:
                lost.append(result.id)
        release_leases(
            session,
            [source_lease_name(r.source_name) for r in results if r.release_lease],
            worker,
        )
        return lost

    return db.write(_finish)


def heartbeat_polls(db: Database, worker: str, ids: list[int]) -> None:
    """Keep the worker's running polls alive."""
    if not ids:
        return

    def _beat(session: Session) -> None:
        session.execute(
            update(PollRequest)
            .where(
                PollRequest.id.in_(ids),
                PollRequest.claimed_by == worker,
                PollRequest.status == PollStatus.RUNNING.value,
            )
            .values(heartbeat_at=database_now(session))
            .execution_options(synchronize_session=False)
        )

    db.write(_beat)


def finish_poll(
    db: Database,
    poll_id: int,
    worker: str,
    status: PollStatus,
    outcome: dict[str, Any],
    crawl_run_id: int | None,
) -> bool:
    """Write the outcome; False when the row is no longer this worker's (it was re-queued)."""

    def _finish(session: Session) -> bool:
        return bool(
            session.execute(
                update(PollRequest)
                .where(
                    PollRequest.id == poll_id,
                    PollRequest.claimed_by == worker,
                    PollRequest.status == PollStatus.RUNNING.value,
                )
                .values(
                    status=status.value,
                    outcome=outcome,
                    crawl_run_id=crawl_run_id,
                    finished_at=database_now(session),
                )
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
        )

    return db.write(_finish)


def release_polls(db: Database, worker: str, ids: list[int]) -> None:
    """Hand polls the worker took but never started back to the queue."""
    if not ids:
        return
    db.write(
        lambda s: s.execute(
            update(PollRequest)
            .where(
                PollRequest.id.in_(ids),
                PollRequest.claimed_by == worker,
                PollRequest.status == PollStatus.RUNNING.value,
            )
            .values(status=PollStatus.QUEUED.value, claimed_by=None, claimed_at=None)
            .execution_options(synchronize_session=False)
        )
    )


def requeue_abandoned(
    db: Database, ttl_seconds: float, *, max_attempts: int = MAX_POLL_ATTEMPTS
) -> list[int]:
    """Re-queue running polls whose worker died (heartbeat older than one TTL, or a dead process
    on this host); a poll that already died ``max_attempts`` times is marked failed."""

    def _requeue(session: Session) -> list[int]:
        now = database_now(session)
        stale_before = now - timedelta(seconds=ttl_seconds)
        rows = list(
            session.scalars(
                select(PollRequest).where(PollRequest.status == PollStatus.RUNNING.value)
            )
        )
        requeued: list[int] = []
        for row in rows:
            beat = row.heartbeat_at or row.claimed_at or row.requested_at
            if beat >= stale_before and not holder_is_dead(row.claimed_by or ""):
                continue
            if row.attempts >= max_attempts:
                row.status = PollStatus.FAILED.value
                row.finished_at = now
                row.outcome = {
                    "status": RunStatus.FAILED.value,
                    "errors": [f"the worker died {row.attempts} times running this poll"],
                }
            else:
                row.status = PollStatus.QUEUED.value
                row.claimed_by = None
                row.claimed_at = None
                row.heartbeat_at = None
            requeued.append(row.id)
        return requeued

    return db.write(_requeue)


def waiting_polls(db: Database, older_than_seconds: float) -> list[int]:
    """Queued polls requested more than ``older_than_seconds`` ago (by the database's clock)."""
    with db.session() as session:
        before = database_now(session) - timedelta(seconds=older_than_seconds)
        return list(
            session.scalars(
                select(PollRequest.id)
                .where(
                    PollRequest.status == PollStatus.QUEUED.value,
                    PollRequest.requested_at < before,
                )
                .order_by(PollRequest.id)
            )
        )


def poll_states(db: Database, ids: list[int]) -> dict[int, PollState]:
    """The rows ``ids`` as they are now."""
    with db.session() as session:
        rows = session.scalars(select(PollRequest).where(PollRequest.id.in_(ids)))
        return {row.id: _state(row) for row in rows}


def active_polls(db: Database) -> list[PollState]:
    """Queued and running polls, oldest first."""
    with db.session() as session:
        rows = session.scalars(
            select(PollRequest)
            .where(PollRequest.status.in_(ACTIVE_POLL_STATUSES))
            .order_by(PollRequest.id)
        )
        return [_state(row) for row in rows]


def wait_for_polls(
    db: Database,
    ids: list[int],
    *,
    timeout: float,
    interval: float = 0.5,
    should_stop: Callable[[], bool] = lambda: False,
    on_update: Callable[[dict[int, PollState]], None] | None = None,
) -> dict[int, PollState]:
    """Poll the rows until all are finished, ``timeout`` passes or ``should_stop()``."""
    deadline = time.monotonic() + timeout
    while True:
        states = poll_states(db, ids)
        if on_update is not None:
            on_update(states)
        if all(s.finished for s in states.values()) or time.monotonic() >= deadline:
            return states
        if should_stop():
            return states
        time.sleep(interval)

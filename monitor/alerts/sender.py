"""Sending digests from the outbox, at least once and at most twice per story and channel.

For each recipient and channel that is due:

1. One transaction creates a ``Digest`` with a fixed Message-ID and assigns the pending outbox
   rows to it. A digest still ``pending`` from an earlier run (a crash, a server that was down)
   is reused with the same rows and the same Message-ID.
2. The message is rendered, then 3. sent (SMTP, or an apprise channel), retrying transient
   failures (refused, dropped, timed out, 4xx) with bounded exponential backoff.
4. Only after the server accepted it does a second transaction mark the digest and its rows
   ``sent`` (:func:`mark_digest_sent`). A 5xx marks them ``failed`` and tells the operator.

Exactly-once delivery is impossible over SMTP: a crash (or a lost reply) after the server said
250 and before step 4 commits makes the next run send the same digest again, with the same
Message-ID, so mail clients can thread or drop it. That single duplicate is the bound; a story
is never lost, since rows only leave ``pending`` after acceptance. Tests simulate that crash by
replacing :func:`mark_digest_sent`, the one seam between acceptance and bookkeeping.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from monitor.alerts.channels import send_channel
from monitor.alerts.circuit import CircuitBreaker, Deadline
from monitor.alerts.delivery import (
    DEFAULT_RETRY,
    DigestOutcome,
    DigestReport,
    OutcomeStatus,
    OutWriter,
    RetryPolicy,
    with_retries,
)
from monitor.alerts.outbox import EMAIL, KIND_INSTANT, recipient_channels
from monitor.alerts.render import (
    RenderedMessage,
    load_stories,
    load_updated_stories,
    make_message_id,
    render_digest,
)
from monitor.alerts.smtp import send_bytes
from monitor.config import MonitorConfig, RecipientConfig
from monitor.db.engine import Database
from monitor.db.leases import (
    acquire_lease,
    default_holder,
    lease_holder,
    release_lease,
    renew_lease,
)
from monitor.db.models import AlertDelivery, DeliveryStatus, Digest, DigestStatus, utcnow
from monitor.errors import (
    DeliveryError,
    HeaderInjectionError,
    PermanentDeliveryError,
    ServerUnavailableError,
    TransientDeliveryError,
)

log = logging.getLogger(__name__)

SENDER_LEASE = "alerts:sender"
LEASE_SECONDS = 900.0
LEASE_WAIT_SECONDS = 60.0
PERIODS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
}
FREQUENCIES = ("instant", *PERIODS)


@dataclass(frozen=True)
class Target:
    """One recipient and one channel in one run, and which of its rows are due."""

    recipient: RecipientConfig
    channel: str
    url: str | None
    instant_only: bool
    period: timedelta | None
    nothing_new: bool

    @property
    def is_email(self) -> bool:
        return self.channel == EMAIL


@dataclass
class Batch:
    """The rows of one message: an existing digest, or (dry run) a preview of a new one."""

    digest_id: int | None
    message_id: str
    row_ids: list[int]
    story_ids: list[int]
    instant: bool
    period_start: datetime | None
    period_end: datetime
    created_at: datetime
    attempts: int = 0
    expected_stories: int = 0


@dataclass
class _Run:
    db: Database
    config: MonitorConfig
    now: datetime
    dry_run: bool
    retry: RetryPolicy
    writer: OutWriter
    report: DigestReport
    email_down: str | None = None
    seen_errors: set[str] = field(default_factory=set)
    circuit: CircuitBreaker | None = None
    deadline: Deadline = field(default_factory=lambda: Deadline.start(None))


def targets(config: MonitorConfig, frequency: str | None) -> list[Target]:
    """Who is due in this run: everyone (on demand), instant rows, or one frequency's recipients."""
    if frequency is not None and frequency not in FREQUENCIES:
        raise ValueError(f"unknown frequency {frequency!r} (use one of {', '.join(FREQUENCIES)})")
    due: list[Target] = []
    for recipient in config.email.active_recipients():
        if frequency in PERIODS and recipient.frequency != frequency:
            continue
        for key, url in recipient_channels(recipient).items():
            due.append(
                Target(
                    recipient=recipient,
                    channel=key,
                    url=url,
                    instant_only=frequency == "instant" and recipient.frequency != "instant",
                    period=PERIODS.get(frequency or ""),
                    nothing_new=frequency in PERIODS and recipient.nothing_new and key == EMAIL,
                )
            )
    return due


def send_digests(
    db: Database,
    config: MonitorConfig,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    out: Path | None = None,
    frequency: str | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    circuit: CircuitBreaker | None = None,
    deadline_seconds: float | None = None,
) -> DigestReport:
    """Send every due digest (see the module docstring); ``dry_run`` renders and writes only.

    ``frequency=None`` (``monitor digest``) sends everything pending for every recipient;
    ``"instant"`` sends pending instant rows (instant recipients and priority matches);
    ``"hourly"``/``"daily"``/``"weekly"`` sends the pending rows of that frequency's recipients.
    Operator alerts go out with on-demand and instant runs.

    ``circuit`` (kept by the caller across runs) skips a mail server that failed recently;
    ``deadline_seconds`` bounds the whole run: every SMTP timeout is cut to the time left, and
    once it is spent the remaining messages are deferred to the next run.
    """
    run = _Run(
        db=db,
        config=config,
        now=now or utcnow(),
        dry_run=dry_run,
        retry=retry,
        writer=OutWriter(out),
        report=DigestReport(dry_run=dry_run),
        circuit=circuit,
        deadline=Deadline.start(deadline_seconds, circuit.clock if circuit else time.monotonic),
    )
    if circuit is not None and not circuit.allows():
        run.email_down = circuit.reason()
    due = targets(config, frequency)
    if dry_run:
        for target in due:
            _preview_target(run, target)
        return run.report
    holder = default_holder()
    if not _take_sender_lease(db, holder):
        current = lease_holder(db, SENDER_LEASE)
        line = f"another digest sender is running ({current.holder if current else 'unknown'})"
        log.warning(line)
        run.report.errors.append(line)
        return run.report
    try:
        _suppress(db, config)
        for target in due:
            renew_lease(db, SENDER_LEASE, holder, LEASE_SECONDS)
            try:
                _send_target(run, target)
            except Exception as exc:  # boundary: one broken recipient must not stop the others
                line = f"digest for {target.recipient.address} ({target.channel}): {exc}"
                log.exception("digest failed unexpectedly: %s", line)
                run.report.errors.append(line)
        if frequency in (None, "instant") and run.email_down is None:
            from monitor.alerts.operator import send_operator_alerts

            send_operator_alerts(db, config, now=run.now, retry=retry, report=run.report)
    finally:
        release_lease(db, SENDER_LEASE, holder)
    return run.report


def _take_sender_lease(db: Database, holder: str) -> bool:
    """One sender per database; wait a little for another (e.g. the CLI) to finish."""
    deadline = time.monotonic() + LEASE_WAIT_SECONDS
    while True:
        if acquire_lease(db, SENDER_LEASE, holder, LEASE_SECONDS):
            return True
        current = lease_holder(db, SENDER_LEASE)
        if current is not None and _dead_local_holder(current.holder):
            release_lease(db, SENDER_LEASE, current.holder)
            continue
        if time.monotonic() >= deadline:
            return False
        time.sleep(1.0)


def _dead_local_holder(holder: str) -> bool:
    """True when ``holder`` (``host:pid``) is a process on this host that no longer exists."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _suppress(db: Database, config: MonitorConfig) -> None:
    """Rows and unsent digests for addresses now on the suppression list are never sent."""
    suppressed = [s.lower() for s in config.email.suppressed]
    if not suppressed:
        return

    def _mark(session: Session) -> None:
        session.execute(
            update(AlertDelivery)
            .where(
                AlertDelivery.status == DeliveryStatus.PENDING,
                func.lower(AlertDelivery.recipient).in_(suppressed),
            )
            .values(status=DeliveryStatus.SUPPRESSED)
        )
        session.execute(
            update(Digest)
            .where(
                Digest.status == DigestStatus.PENDING, func.lower(Digest.recipient).in_(suppressed)
            )
            .values(status=DigestStatus.SUPPRESSED)
        )

    db.write(_mark)


# --- choosing rows --------------------------------------------------------------------------


def _unassigned(target: Target, until: datetime):  # type: ignore[no-untyped-def]
    query = select(AlertDelivery).where(
        AlertDelivery.recipient == target.recipient.address,
        AlertDelivery.channel == target.channel,
        AlertDelivery.status == DeliveryStatus.PENDING,
        AlertDelivery.digest_id.is_(None),
        AlertDelivery.created_at <= until,
    )
    if target.instant_only:
        query = query.where(AlertDelivery.kind == KIND_INSTANT)
    return query.order_by(AlertDelivery.id)


def _pending_digest_ids(session: Session, target: Target) -> list[int]:
    return list(
        session.scalars(
            select(Digest.id)
            .where(
                Digest.recipient == target.recipient.address,
                Digest.channel == target.channel,
                Digest.status == DigestStatus.PENDING,
            )
            .order_by(Digest.id)
        )
    )


def _period_start(
    session: Session, target: Target, rows: list[AlertDelivery], now: datetime
) -> datetime | None:
    """Where the digest's period starts: the end of the target's last digest, else its
    schedule's period (or its oldest row, if older)."""
    last_end = session.scalar(
        select(func.max(Digest.period_end)).where(
            Digest.recipient == target.recipient.address,
            Digest.channel == target.channel,
            Digest.status == DigestStatus.SENT,
        )
    )
    candidates = [now - target.period] if target.period else []
    candidates += [row.created_at for row in rows]
    if last_end is not None and (not candidates or last_end <= min(candidates)):
        return last_end
    return min(candidates) if candidates else last_end


def _recently_sent(session: Session, target: Target, now: datetime) -> bool:
    """Whether a digest went to this target within half a period (guards "nothing new" spam)."""
    if target.period is None:
        return False
    last = session.scalar(
        select(func.max(Digest.period_end)).where(
            Digest.recipient == target.recipient.address,
            Digest.channel == target.channel,
            Digest.status == DigestStatus.SENT,
        )
    )
    return last is not None and last > now - target.period / 2


def _create_digest(session: Session, target: Target, now: datetime, sender: str) -> int | None:
    """Step 1: a new digest holding every due unassigned row; None when there is nothing."""
    rows = list(session.scalars(_unassigned(target, now).with_for_update(skip_locked=True)))
    if not rows and (not target.nothing_new or _recently_sent(session, target, now)):
        return None
    digest = Digest(
        recipient=target.recipient.address,
        channel=target.channel,
        message_id=f"<pending-{uuid.uuid4().hex}@invalid>",
        period_start=_period_start(session, target, rows, now),
        period_end=now,
        status=DigestStatus.PENDING,
        created_at=now,
        story_count=len({row.story_id for row in rows}),
    )
    session.add(digest)
    session.flush()
    digest.message_id = make_message_id(
        "digest",
        digest.id,
        [digest.recipient, digest.channel, now.isoformat(), *sorted(r.id for r in rows)],
        sender,
    )
    for row in rows:
        row.digest_id = digest.id
    return digest.id


def _load_batch(session: Session, digest_id: int) -> Batch:
    digest = session.get_one(Digest, digest_id)
    rows = list(session.scalars(select(AlertDelivery).where(AlertDelivery.digest_id == digest_id)))
    return Batch(
        digest_id=digest.id,
        message_id=digest.message_id,
        row_ids=[r.id for r in rows],
        story_ids=sorted({r.story_id for r in rows}),
        instant=bool(rows) and all(r.kind == KIND_INSTANT for r in rows),
        period_start=digest.period_start,
        period_end=digest.period_end,
        created_at=digest.created_at,
        attempts=digest.attempts,
        expected_stories=digest.story_count,
    )


# --- bookkeeping (each one transaction) -----------------------------------------------------


def mark_digest_sent(db: Database, digest_id: int, now: datetime) -> None:
    """Step 4: the server accepted the digest; mark it and its rows sent.

    Runs only after acceptance; a crash before it commits means one resend (see module doc).
    """

    def _mark(session: Session) -> None:
        session.execute(
            update(Digest)
            .where(Digest.id == digest_id)
            .values(status=DigestStatus.SENT, sent_at=now, last_error=None)
        )
        session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.digest_id == digest_id)
            .values(status=DeliveryStatus.SENT, sent_at=now, last_error=None)
        )

    db.write(_mark)


def _mark_failed(db: Database, digest_id: int, error: str) -> None:
    def _mark(session: Session) -> None:
        session.execute(
            update(Digest)
            .where(Digest.id == digest_id)
            .values(status=DigestStatus.FAILED, last_error=error)
        )
        session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.digest_id == digest_id)
            .values(status=DeliveryStatus.FAILED, last_error=error)
        )

    db.write(_mark)


def _count_attempt(db: Database, digest_id: int) -> None:
    def _bump(session: Session) -> None:
        session.execute(
            update(Digest).where(Digest.id == digest_id).values(attempts=Digest.attempts + 1)
        )
        session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.digest_id == digest_id)
            .values(attempts=AlertDelivery.attempts + 1)
        )

    db.write(_bump)


def _note_error(db: Database, digest_id: int, error: str) -> None:
    def _note(session: Session) -> None:
        session.execute(update(Digest).where(Digest.id == digest_id).values(last_error=error))
        session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.digest_id == digest_id)
            .values(last_error=error)
        )

    db.write(_note)


# --- rendering and sending -------------------------------------------------------------------


def _render(run: _Run, target: Target, batch: Batch) -> RenderedMessage:
    tz = ZoneInfo(target.recipient.timezone)
    email = run.config.email
    with run.db.session() as session:
        stories = load_stories(session, batch.story_ids, tz)
        updated = (
            load_updated_stories(
                session,
                target.recipient.address,
                since=batch.period_start,
                until=batch.period_end,
                tz=tz,
                exclude=batch.story_ids,
            )
            if email.updated_section
            else []
        )
    return render_digest(
        stories,
        recipient=target.recipient.address,
        timezone=target.recipient.timezone,
        period_start=batch.period_start,
        period_end=batch.period_end,
        message_id=batch.message_id,
        date=batch.created_at,
        sender=email.sender,
        unsubscribe_url=email.unsubscribe_url,
        instant=batch.instant,
        build=target.is_email,
        updated=updated,
    )


def _outcome(target: Target, batch: Batch, rendered: RenderedMessage | None) -> DigestOutcome:
    return DigestOutcome(
        recipient=target.recipient.address,
        channel=target.channel,
        status=OutcomeStatus.RENDERED,
        story_count=len(batch.story_ids),
        subject=rendered.subject if rendered else "",
        message_id=batch.message_id,
        digest_id=batch.digest_id,
    )


def _transmit(run: _Run, target: Target, rendered: RenderedMessage) -> None:
    remaining = run.deadline.remaining()
    if remaining is not None and remaining <= 0:
        raise ServerUnavailableError(f"the run's deadline ({run.deadline.seconds:g}s) is spent")
    if target.is_email:
        email = run.config.email
        if remaining is not None and remaining < email.timeout_seconds:
            email = email.model_copy(update={"timeout_seconds": max(remaining, 0.05)})
        refused = send_bytes(email, rendered.recipients, rendered.data)
        if refused:  # single-recipient digests: smtplib raises when all are refused
            raise PermanentDeliveryError(f"recipient refused: {refused}")
        return
    assert target.url is not None
    timeout = run.config.email.timeout_seconds
    send_channel(
        target.url,
        target.channel,
        rendered.subject,
        rendered.text,
        policy=run.config.crawl.fetch_policy(),
        timeout=max(min(timeout, remaining), 0.05) if remaining is not None else timeout,
    )


def _send_target(run: _Run, target: Target) -> None:
    """Deliver the target's pending digests (same rows, same Message-ID), then a new one."""
    if target.is_email and run.email_down:  # the server is unreachable: don't hammer it
        run.report.outcomes.append(
            DigestOutcome(
                target.recipient.address,
                target.channel,
                OutcomeStatus.DEFERRED,
                0,
                error=run.email_down,
            )
        )
        return
    with run.db.session() as session:
        pending = _pending_digest_ids(session, target)
    for digest_id in pending:
        if not _deliver(run, target, digest_id):
            return  # still undeliverable: newer rows wait, so messages keep their order
    sender = run.config.email.sender
    new_id = run.db.write(lambda s: _create_digest(s, target, run.now, sender))
    if new_id is not None:
        _deliver(run, target, new_id)


def _deliver(run: _Run, target: Target, digest_id: int) -> bool:
    """Steps 2–4 for one digest; True when it left ``pending`` (sent or failed)."""
    with run.db.session() as session:
        batch = _load_batch(session, digest_id)
    if not batch.row_ids and batch.expected_stories:
        _mark_failed(run.db, digest_id, "its stories were deleted before it was sent")
        return True
    outcome = _outcome(target, batch, None)
    run.report.outcomes.append(outcome)
    try:
        rendered = _render(run, target, batch)
    except HeaderInjectionError as exc:
        _fail(run, outcome, f"refused to send a malformed message: {exc}")
        return True
    outcome.subject = rendered.subject
    outcome.files = run.writer.write(rendered, email=target.is_email)
    _count_attempt(run.db, digest_id)
    try:
        with_retries(lambda: _transmit(run, target, rendered), run.retry)
    except PermanentDeliveryError as exc:
        _fail(run, outcome, str(exc))
        return True
    except TransientDeliveryError as exc:
        error = str(exc)
        if target.is_email and isinstance(exc, ServerUnavailableError):
            run.email_down = error
            if run.circuit is not None:
                run.circuit.failed(error)
        give_up = timedelta(hours=run.config.email.give_up_after_hours)
        if not target.is_email and run.now - batch.created_at >= give_up:
            hours = run.config.email.give_up_after_hours
            _fail(run, outcome, f"{error} (gave up after {hours:g} h, {batch.attempts + 1} runs)")
            return True
        _note_error(run.db, digest_id, error)
        outcome.status, outcome.error = OutcomeStatus.DEFERRED, error
        log.warning("digest %s to %s deferred: %s", batch.message_id, outcome.recipient, error)
        if error not in run.seen_errors:
            run.seen_errors.add(error)
            run.report.errors.append(error)
        return False
    mark_digest_sent(run.db, digest_id, utcnow())
    if target.is_email and run.circuit is not None:
        run.circuit.succeeded()
    outcome.status = OutcomeStatus.SENT
    log.info(
        "sent digest %s to %s via %s (%d stories)",
        batch.message_id,
        outcome.recipient,
        outcome.channel,
        outcome.story_count,
    )
    return True


def _fail(run: _Run, outcome: DigestOutcome, error: str) -> None:
    assert outcome.digest_id is not None
    _mark_failed(run.db, outcome.digest_id, error)
    outcome.status, outcome.error = OutcomeStatus.FAILED, error
    line = f"digest to {outcome.recipient} ({outcome.channel}) failed: {error}"
    log.error(line)
    run.report.errors.append(line)


# --- dry run ---------------------------------------------------------------------------------


def _preview_target(run: _Run, target: Target) -> None:
    """Render what a real run would send, writing nothing to the database."""
    with run.db.session() as session:
        batches = [_load_batch(session, d) for d in _pending_digest_ids(session, target)]
        rows = list(session.scalars(_unassigned(target, run.now)))
        if rows or (target.nothing_new and not _recently_sent(session, target, run.now)):
            sender = run.config.email.sender
            batches.append(
                Batch(
                    digest_id=None,
                    message_id=make_message_id(
                        "digest",
                        "preview",
                        [target.recipient.address, target.channel, *[r.id for r in rows]],
                        sender,
                    ),
                    row_ids=[r.id for r in rows],
                    story_ids=sorted({r.story_id for r in rows}),
                    instant=bool(rows) and all(r.kind == KIND_INSTANT for r in rows),
                    period_start=_period_start(session, target, rows, run.now),
                    period_end=run.now,
                    created_at=run.now,
                )
            )
    for batch in batches:
        outcome = _outcome(target, batch, None)
        run.report.outcomes.append(outcome)
        try:
            rendered = _render(run, target, batch)
        except HeaderInjectionError as exc:
            outcome.status, outcome.error = OutcomeStatus.FAILED, str(exc)
            run.report.errors.append(str(exc))
            continue
        outcome.subject = rendered.subject
        outcome.files = run.writer.write(rendered, email=target.is_email)


__all__ = [
    "DeliveryError",
    "DigestReport",
    "RetryPolicy",
    "mark_digest_sent",
    "send_digests",
    "targets",
]

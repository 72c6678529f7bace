"""Health alerts for operators: a failing or silent source, raised once per open problem.

The daemon calls :func:`raise_operator_alert` when it detects a problem and
:func:`resolve_operator_alert` when it clears. :func:`send_operator_alerts` (run by
``send_digests`` on instant and on-demand runs) mails every open, not yet notified alert to
all active recipients in ONE plain SMTP transaction with a Message-ID derived from the alert
ids, then marks them notified: the same at-most-one-duplicate bound as digests.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.alerts.delivery import (
    DEFAULT_RETRY,
    DigestOutcome,
    DigestReport,
    OutcomeStatus,
    RetryPolicy,
    with_retries,
)
from monitor.alerts.render import BRAND, build_email, format_when, make_message_id, render_parts
from monitor.alerts.sanitize import clean_line
from monitor.alerts.smtp import send_bytes
from monitor.config import MonitorConfig
from monitor.db.engine import Database
from monitor.db.models import OperatorAlert, utcnow
from monitor.errors import DeliveryError, PermanentDeliveryError

log = logging.getLogger(__name__)
OPERATOR_CHANNEL = "operator"
MAX_DETAIL_CHARS = 1000


def enqueue_operator_alert(
    session: Session, source_name: str, problem: str, detail: str, *, now: datetime | None = None
) -> OperatorAlert | None:
    """Open an alert in the caller's transaction unless the same problem is already open.

    ``INSERT … ON CONFLICT DO NOTHING`` on the partial unique index of open alerts: two
    processes raising the same problem at once open it once, on both backends.
    """
    values = {
        "source_name": source_name[:64],
        "problem": problem[:32],
        "detail": clean_line(detail, MAX_DETAIL_CHARS),
        "opened_at": now or utcnow(),
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(OperatorAlert)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=["source_name", "problem"],
            index_where=OperatorAlert.resolved_at.is_(None),
        )
        .returning(OperatorAlert.id)
    )
    new_id = session.scalar(statement)
    if new_id is None:
        return None
    return session.get(OperatorAlert, new_id)


def raise_operator_alert(db: Database, source_name: str, problem: str, detail: str) -> bool:
    """Open an operator alert once per open problem; True when it is new."""
    return db.write(lambda s: enqueue_operator_alert(s, source_name, problem, detail) is not None)


def resolve_operator_alert(db: Database, source_name: str, problem: str) -> bool:
    """Close the open alert for this source and problem; True when one was open."""
    now = utcnow()

    def _close(session: Session) -> bool:
        result: Any = session.execute(
            update(OperatorAlert)
            .where(
                OperatorAlert.source_name == source_name,
                OperatorAlert.problem == problem,
                OperatorAlert.resolved_at.is_(None),
            )
            .values(resolved_at=now)
        )
        return bool(result.rowcount)

    return db.write(_close)


def open_alerts(db: Database, *, unnotified_only: bool = False) -> list[OperatorAlert]:
    """Open alerts, oldest first (detached objects)."""
    with db.session() as session:
        query = select(OperatorAlert).where(OperatorAlert.resolved_at.is_(None))
        if unnotified_only:
            query = query.where(OperatorAlert.notified_at.is_(None))
        alerts = list(session.scalars(query.order_by(OperatorAlert.id)))
        session.expunge_all()
        return alerts


def mark_alerts_notified(db: Database, alert_ids: list[int], now: datetime) -> None:
    """After the server accepted the message: the alerts are notified."""
    db.write(
        lambda s: s.execute(
            update(OperatorAlert).where(OperatorAlert.id.in_(alert_ids)).values(notified_at=now)
        )
    )


def send_operator_alerts(
    db: Database,
    config: MonitorConfig,
    *,
    now: datetime | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    report: DigestReport | None = None,
) -> DigestReport:
    """Mail the open, un-notified alerts to all active recipients; mark them notified."""
    report = report if report is not None else DigestReport()
    alerts = open_alerts(db, unnotified_only=True)
    recipients = [r.address for r in config.email.active_recipients()]
    if not alerts or not recipients:
        return report
    email = config.email
    tz = ZoneInfo("UTC")
    ids = [a.id for a in alerts]
    message_id = make_message_id("operator", ids[0], ids, email.sender)
    context = {
        "brand": BRAND,
        "count": len(alerts),
        "alerts": [
            {
                "source": a.source_name,
                "problem": a.problem.replace("_", " "),
                "detail": a.detail,
                "since": format_when(a.opened_at, tz) + " UTC",
            }
            for a in alerts
        ],
    }
    subject, text, html = render_parts("operator", context)
    outcome = DigestOutcome(
        ", ".join(recipients), OPERATOR_CHANNEL, OutcomeStatus.RENDERED, 0, subject, message_id
    )
    report.outcomes.append(outcome)
    try:
        _, data = build_email(
            sender=email.sender,
            recipients=recipients,
            subject=subject,
            text=text,
            html=html,
            message_id=message_id,
            date=min(a.opened_at for a in alerts),
        )
        refused = with_retries(lambda: send_bytes(email, recipients, data), retry)
    except PermanentDeliveryError as exc:
        outcome.status, outcome.error = OutcomeStatus.FAILED, str(exc)
        report.errors.append(f"operator alert mail failed: {exc}")
        log.error("operator alert mail failed: %s", exc)
        return report  # not marked: the next run tries again
    except (DeliveryError, ValueError) as exc:
        outcome.status, outcome.error = OutcomeStatus.DEFERRED, str(exc)
        log.warning("operator alert mail deferred: %s", exc)
        return report
    mark_alerts_notified(db, ids, now or utcnow())
    outcome.status = OutcomeStatus.SENT
    report.operator_alerts_sent += len(alerts)
    if refused:
        report.errors.append(f"operator alert mail refused for: {', '.join(sorted(refused))}")
    return report

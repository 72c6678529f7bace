"""Mail and chat faults: a webhook outage shorter than the give-up time loses nothing (limits
count elapsed time, not runs; the clock is injected, nothing sleeps), and a password is never
sent in plain text."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from monitor.alerts.outbox import channel_key
from monitor.alerts.sender import send_digests
from monitor.alerts.smtp import check_smtp
from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, Digest, utcnow
from tests.alerts.conftest import FAST_RETRY, SMTPServer, Webhook, make_config, story_with_alerts


def _webhook_statuses(db: Database, webhook: Webhook) -> set[str]:
    with db.session() as session:
        return set(
            session.scalars(select(Digest.status).where(Digest.channel == channel_key(webhook.url)))
        )


def test_webhook_down_for_eleven_minutes_then_delivered_once(
    alerts_db: Database, smtp_server: SMTPServer, webhook: Webhook
) -> None:
    config = make_config(
        smtp_server.port, [{"address": "a@example.org", "channels": [webhook.url]}]
    )
    story_with_alerts(alerts_db, config)
    start = utcnow()
    webhook.fail_next = 10_000
    for minute in range(14):  # the once-a-minute instant job, 14 runs over 13 minutes
        send_digests(alerts_db, config, now=start + timedelta(minutes=minute), retry=FAST_RETRY)
    assert webhook.posts == []
    assert _webhook_statuses(alerts_db, webhook) == {"pending"}
    webhook.fail_next = 0  # the webhook is back
    report = send_digests(alerts_db, config, now=start + timedelta(minutes=14), retry=FAST_RETRY)
    assert report.ok, report.errors
    assert len(webhook.posts) == 1 and len(smtp_server.received) == 1
    assert _webhook_statuses(alerts_db, webhook) == {"sent"}


def test_webhook_down_past_the_give_up_time_fails_once_with_a_reason(
    alerts_db: Database, smtp_server: SMTPServer, webhook: Webhook
) -> None:
    config = make_config(
        smtp_server.port,
        [{"address": "a@example.org", "channels": [webhook.url]}],
        give_up_after_hours=24,
    )
    story_with_alerts(alerts_db, config)
    start = utcnow()
    webhook.fail_next = 10_000
    send_digests(alerts_db, config, now=start, retry=FAST_RETRY)
    send_digests(alerts_db, config, now=start + timedelta(hours=23, minutes=59), retry=FAST_RETRY)
    assert _webhook_statuses(alerts_db, webhook) == {"pending"}
    report = send_digests(alerts_db, config, now=start + timedelta(hours=24), retry=FAST_RETRY)
    assert _webhook_statuses(alerts_db, webhook) == {"failed"}
    assert any("gave up after 24 h" in line for line in report.errors), report.errors
    with alerts_db.session() as session:
        statuses = dict(session.execute(select(AlertDelivery.channel, AlertDelivery.status)).all())
    assert statuses["email"] == "sent"  # the other channel is not affected


def test_plain_text_login_is_refused(smtp_server: SMTPServer) -> None:
    email = make_config(smtp_server.port, username="monitor").email
    line = check_smtp(email)
    assert line is not None and "\n" not in line
    assert "refusing to send the SMTP password in plain text" in line

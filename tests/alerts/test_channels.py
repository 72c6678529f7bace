"""Apprise channels (a generic ``json://`` webhook on 127.0.0.2) with the outbox guarantees."""

from __future__ import annotations

from sqlalchemy import select

from monitor.alerts.outbox import channel_key
from monitor.alerts.sender import send_digests
from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, Digest
from tests.alerts.conftest import FAST_RETRY, SMTPServer, Webhook, make_config, story_with_alerts


def test_webhook_gets_one_plain_text_notification(
    alerts_db: Database, smtp_server: SMTPServer, webhook: Webhook
) -> None:
    config = make_config(
        smtp_server.port, [{"address": "a@example.org", "channels": [webhook.url]}]
    )
    story_with_alerts(alerts_db, config, "Cuba and Russia <b>sign</b> a deal")
    report = send_digests(alerts_db, config, retry=FAST_RETRY)
    assert report.ok, report.errors
    assert {o.channel for o in report.sent} == {"email", channel_key(webhook.url)}
    [post] = webhook.posts
    assert post["title"] == "Russia–Cuba monitor: 1 new story, " + post["title"].split(", ", 1)[1]
    assert "Cuba and Russia <b>sign</b> a deal" in post["message"]  # plain text, as is
    assert "https://outlet.example/" in post["message"]
    assert len(smtp_server.received) == 1
    with alerts_db.session() as session:
        assert set(session.scalars(select(AlertDelivery.status))) == {"sent"}
        channels = set(session.scalars(select(Digest.channel)))
    assert webhook.url not in channels  # the URL (it may hold a token) is not stored

    assert send_digests(alerts_db, config, retry=FAST_RETRY).outcomes == []
    assert len(webhook.posts) == 1


def test_webhook_failure_keeps_rows_pending_then_delivers_once(
    alerts_db: Database, smtp_server: SMTPServer, webhook: Webhook
) -> None:
    config = make_config(
        smtp_server.port, [{"address": "a@example.org", "channels": [webhook.url]}]
    )
    story_with_alerts(alerts_db, config)
    webhook.fail_next = 100
    report = send_digests(alerts_db, config, retry=FAST_RETRY)
    assert [o.channel for o in report.sent] == ["email"]
    assert [o.channel for o in report.deferred] == [channel_key(webhook.url)]
    assert webhook.posts == []
    with alerts_db.session() as session:
        rows = session.execute(select(AlertDelivery.channel, AlertDelivery.status)).all()
    statuses = {channel: status for channel, status in rows}
    assert statuses == {"email": "sent", channel_key(webhook.url): "pending"}

    webhook.fail_next = 1  # one more failure, retried within the run
    report = send_digests(alerts_db, config, retry=FAST_RETRY)
    assert report.ok and len(webhook.posts) == 1
    send_digests(alerts_db, config, retry=FAST_RETRY)
    assert len(webhook.posts) == 1 and len(smtp_server.received) == 1

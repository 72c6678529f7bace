"""Apprise channels (a generic ``json://`` webhook on 127.0.0.2) with the outbox guarantees."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from monitor.alerts.outbox import channel_key
from monitor.alerts.sender import send_digests
from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, Digest
from tests.alerts.conftest import FAST_RETRY, SMTPServer, Webhook, make_config, story_with_alerts
from tests.faults.conftest import ScriptedServer, scripted_server  # noqa: F401


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


def test_webhooks_go_through_the_guarded_fetch(
    alerts_db: Database,
    smtp_server: SMTPServer,
    webhook: Webhook,
    scripted_server: Callable[[str], ScriptedServer],  # noqa: F811 (the fixture)
) -> None:
    """The guard is on: a webhook on a private address, or one redirecting there, is refused
    (a permanent failure with a reason) and the private server is never hit."""
    private = scripted_server("127.0.0.1")
    private.routes["/hook"] = (200, {}, b"{}")
    public = scripted_server("127.0.0.2")
    public.routes["/hook"] = (307, {"Location": private.url("/hook")}, b"")
    direct, redirected = (
        f"json://127.0.0.1:{private.port}/hook",
        f"json://127.0.0.2:{public.port}/hook",
    )
    config = make_config(
        smtp_server.port, [{"address": "a@example.org", "channels": [direct, redirected]}]
    )
    story_with_alerts(alerts_db, config, "Cuba and Russia sign a deal")
    report = send_digests(alerts_db, config, retry=FAST_RETRY)
    failed = {o.channel: o.error or "" for o in report.failed}
    assert set(failed) == {channel_key(direct), channel_key(redirected)}, report
    assert all("non-public address" in error for error in failed.values()), failed
    assert private.hits == [] and public.hits == ["/hook"]


def test_other_apprise_channels_are_vetted_at_connect_time(
    alerts_db: Database,
    smtp_server: SMTPServer,
    scripted_server: Callable[[str], ScriptedServer],  # noqa: F811 (the fixture)
) -> None:
    """A non-JSON apprise channel (``form://``, posted by apprise's own ``requests`` code) on
    a public address is delivered; one on a private address, or redirecting there, is refused
    with the reason and the private server is never hit."""
    private = scripted_server("127.0.0.1")
    private.routes["/form"] = (200, {}, b"ok")
    public = scripted_server("127.0.0.2")
    public.routes["/form"] = (200, {}, b"ok")
    public.routes["/moved"] = (307, {"Location": private.url("/form")}, b"")
    delivered, direct, redirected = (
        f"form://127.0.0.2:{public.port}/form",
        f"form://127.0.0.1:{private.port}/form",
        f"form://127.0.0.2:{public.port}/moved",
    )
    config = make_config(
        smtp_server.port,
        [{"address": "a@example.org", "channels": [delivered, direct, redirected]}],
    )
    story_with_alerts(alerts_db, config, "Cuba and Russia sign a deal")
    report = send_digests(alerts_db, config, retry=FAST_RETRY)
    failed = {o.channel: o.error or "" for o in report.failed}
    assert set(failed) == {channel_key(direct), channel_key(redirected)}, report
    assert all("non-public address" in error for error in failed.values()), failed
    assert private.hits == []
    assert sorted(public.hits) == ["/form", "/moved"]

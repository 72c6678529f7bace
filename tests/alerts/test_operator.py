"""Operator alerts: raised once per open problem, mailed once to all recipients."""

from __future__ import annotations

from monitor.alerts.operator import open_alerts, raise_operator_alert, resolve_operator_alert
from monitor.alerts.sender import send_digests
from monitor.db.engine import Database
from tests.alerts.conftest import FAST_RETRY, SMTPServer, make_config


def test_raised_once_mailed_once_reopened_after_resolve(
    alerts_db: Database, smtp_server: SMTPServer
) -> None:
    config = make_config(
        smtp_server.port, ["a@example.org", "b@example.org"], suppressed=["b@example.org"]
    )
    assert raise_operator_alert(alerts_db, "tass", "failing", "3 runs failed: HTTP 503\r\nBcc: x@y")
    assert not raise_operator_alert(alerts_db, "tass", "failing", "4 runs failed")
    assert raise_operator_alert(alerts_db, "granma", "silent", "no articles for 3 days")

    report = send_digests(alerts_db, config, frequency="instant", retry=FAST_RETRY)
    assert report.operator_alerts_sent == 2
    [received] = smtp_server.received
    assert received.rcpt_tos == ["a@example.org"]
    message = received.message
    assert message["Subject"] == "Russia–Cuba monitor: 2 source problems need attention"
    assert message.get("Bcc") is None
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "tass: failing" in body and "granma: silent" in body and "HTTP 503 Bcc: x@y" in body

    send_digests(alerts_db, config, frequency="instant", retry=FAST_RETRY)
    send_digests(alerts_db, config, frequency="daily", retry=FAST_RETRY)
    assert len(smtp_server.received) == 1

    assert resolve_operator_alert(alerts_db, "tass", "failing")
    assert not resolve_operator_alert(alerts_db, "tass", "failing")
    assert [a.source_name for a in open_alerts(alerts_db)] == ["granma"]
    assert raise_operator_alert(alerts_db, "tass", "failing", "failing again")
    send_digests(alerts_db, config, retry=FAST_RETRY)
    assert len(smtp_server.received) == 2
    assert "1 source problem needs attention" in smtp_server.received[1].message["Subject"]

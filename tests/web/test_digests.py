"""Digests in the console: the test message goes through monitor/alerts to a real SMTP server
(aiosmtpd on loopback); an unreachable server is one clear line, not an error page."""

from __future__ import annotations

from pathlib import Path

from monitor.config import load_config
from monitor.db.engine import Database
from tests.alerts.conftest import SMTPServer, smtp_server  # noqa: F401  (the fixture)
from tests.web.conftest import RECIPIENTS, make_client, write_config


def test_send_a_test_message(tmp_path: Path, sqlite_db: Database, smtp_server: SMTPServer) -> None:  # noqa: F811
    path = write_config(tmp_path, sqlite_db.url)
    text = path.read_text().replace("smtp_port = 9", f"smtp_port = {smtp_server.port}")
    path.write_text(text)
    with make_client(load_config(path), sqlite_db) as client:
        sent = client.post("/api/digests/test", json={"recipient": RECIPIENTS[1]})
        assert sent.status_code == 200, sent.text
        assert sent.json()["ok"], sent.json()
        smtp_server.wait_for(1)
        assert len(smtp_server.received) == 1
        received = smtp_server.received[0]
        assert received.rcpt_tos == [RECIPIENTS[1]]
        assert str(received.message["Subject"]).startswith("[test] ")
        unknown = client.post("/api/digests/test", json={"recipient": "who@example.org"})
        assert unknown.status_code == 404 and len(smtp_server.received) == 1


def test_test_message_to_a_dead_server_says_why(tmp_path: Path, sqlite_db: Database) -> None:
    path = write_config(tmp_path, sqlite_db.url)  # smtp_port = 9: nothing listens there
    with make_client(load_config(path), sqlite_db) as client:
        answer = client.post("/api/digests/test", json={"recipient": RECIPIENTS[0]})
        assert answer.status_code == 200
        assert not answer.json()["ok"] and "127.0.0.1" in answer.json()["detail"]

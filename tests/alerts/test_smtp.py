"""``check_smtp``: one clear line for each way the server can be unusable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr

from monitor.alerts.smtp import check_smtp
from tests.alerts.conftest import HangingServer, SMTPServer, free_port, make_config

PASSWORD = "s3cret-Pa55"


class _Authenticator:
    def __call__(
        self, server: object, session: object, envelope: object, mechanism: str, auth_data: object
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def auth_server() -> Iterator[int]:
    port = free_port()
    controller = Controller(
        SMTPServer(port=port),
        hostname="127.0.0.1",
        port=port,
        authenticator=_Authenticator(),
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_ok(smtp_server: SMTPServer) -> None:
    assert check_smtp(make_config(smtp_server.port).email) is None


def test_connection_refused() -> None:
    line = check_smtp(make_config(free_port()).email)
    assert line is not None and line.startswith("SMTP 127.0.0.1:") and "connection refused" in line


def test_never_greets_times_out(hanging_server: HangingServer) -> None:
    line = check_smtp(make_config(hanging_server.port, timeout_seconds=0.3).email)
    hanging_server.wait_for_connections(1)
    assert len(hanging_server.connections) == 1  # one attempt, no retry loop
    assert line == f"SMTP 127.0.0.1:{hanging_server.port}: timed out after 0.3s"


def test_login(auth_server: int) -> None:
    email = make_config(auth_server, username="monitor", allow_plaintext_login=True).email
    good = email.model_copy(update={"password": SecretStr(PASSWORD)})
    assert check_smtp(good) is None
    bad = email.model_copy(update={"password": SecretStr("wrong-password")})
    line = check_smtp(bad)
    assert line is not None and line.startswith("SMTP login failed: 535")
    assert "wrong-password" not in line


def test_starttls_not_offered_is_one_line(smtp_server: SMTPServer) -> None:
    line = check_smtp(make_config(smtp_server.port, security="starttls").email)
    assert line is not None and "STARTTLS" in line.upper() and "\n" not in line

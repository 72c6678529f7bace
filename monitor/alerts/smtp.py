"""SMTP delivery with timeouts everywhere, and errors sorted into transient and permanent.

``smtplib`` waits forever by default (a server that accepts TCP and never greets hangs the
caller); every connection here carries ``timeout_seconds``, which bounds the connect and each
command's reply. The password comes from the config (``$MONITOR_SMTP_PASSWORD``) and is
never logged or put in an error message.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import socket
import ssl
from collections.abc import Sequence

from monitor.config import EmailConfig
from monitor.errors import (
    DeliveryError,
    PermanentDeliveryError,
    ServerUnavailableError,
    SMTPSetupError,
    TransientDeliveryError,
)

log = logging.getLogger(__name__)

__all__ = [
    "DeliveryError",
    "PermanentDeliveryError",
    "SMTPSetupError",
    "ServerUnavailableError",
    "TransientDeliveryError",
    "check_smtp",
    "classify",
    "connect",
    "send_bytes",
]


def _where(config: EmailConfig) -> str:
    return f"SMTP {config.smtp_host}:{config.smtp_port}"


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}".strip()


def connect(config: EmailConfig) -> smtplib.SMTP:
    """Connect, greet, secure (STARTTLS or implicit TLS) and log in; raise DeliveryError."""
    timeout = config.timeout_seconds
    client: smtplib.SMTP | None = None
    try:
        if config.security == "tls":
            client = smtplib.SMTP_SSL(
                config.smtp_host,
                config.smtp_port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=timeout)
        client.ehlo()
        if config.security == "starttls":
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if config.username:
            if config.security == "none" and not config.allow_plaintext_login:
                raise SMTPSetupError(
                    f"{_where(config)}: refusing to send the SMTP password in plain text "
                    '(security = "none" with a username; use "starttls" or "tls", or set '
                    "allow_plaintext_login = true for a relay on this machine)"
                )
            password = config.password.get_secret_value() if config.password else ""
            try:
                client.login(config.username, password)
            except smtplib.SMTPAuthenticationError as exc:
                raise SMTPSetupError(
                    f"SMTP login failed: {_reply(exc.smtp_code, exc.smtp_error)}"
                ) from exc
        return client
    except DeliveryError:
        _close(client)
        raise
    except smtplib.SMTPNotSupportedError as exc:
        _close(client)
        raise SMTPSetupError(f"{_where(config)}: {exc}") from exc
    except ssl.SSLError as exc:
        _close(client)
        raise SMTPSetupError(f"{_where(config)}: TLS failed: {exc.reason or exc}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        _close(client)
        error = classify(exc, config)
        if isinstance(error, PermanentDeliveryError):
            raise SMTPSetupError(str(error)) from exc
        raise ServerUnavailableError(str(error)) from exc


def _close(client: smtplib.SMTP | None) -> None:
    if client is None:
        return
    try:
        client.quit()
    except (OSError, smtplib.SMTPException) as exc:  # the session is over either way
        log.debug("SMTP QUIT failed: %s", exc)
        with contextlib.suppress(OSError):
            client.close()


def classify(exc: BaseException, config: EmailConfig) -> DeliveryError | BaseException:
    """Map an smtplib/socket exception to Transient/PermanentDeliveryError (others unchanged)."""
    where = _where(config)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{r}: {_reply(c, m)}" for r, (c, m) in exc.recipients.items())
        cls = PermanentDeliveryError if codes and min(codes) >= 500 else TransientDeliveryError
        return cls(f"{where}: recipient refused: {detail}")
    if isinstance(exc, smtplib.SMTPResponseException):
        text = _reply(exc.smtp_code, exc.smtp_error)
        if 500 <= exc.smtp_code < 600:
            return PermanentDeliveryError(f"{where}: rejected: {text}")
        return TransientDeliveryError(f"{where}: {text}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        if "timed out" in str(exc):  # smtplib turns a read timeout into a disconnect
            return TransientDeliveryError(f"{where}: timed out after {config.timeout_seconds:g}s")
        return TransientDeliveryError(f"{where}: connection closed by the server")
    if isinstance(exc, socket.timeout | TimeoutError):
        return TransientDeliveryError(f"{where}: timed out after {config.timeout_seconds:g}s")
    if isinstance(exc, ConnectionRefusedError):
        return TransientDeliveryError(f"{where}: connection refused")
    if isinstance(exc, socket.gaierror):
        return TransientDeliveryError(f"{where}: cannot resolve host ({exc.strerror})")
    if isinstance(exc, OSError):
        return TransientDeliveryError(f"{where}: {exc.strerror or exc}")
    if isinstance(exc, smtplib.SMTPException):
        return TransientDeliveryError(f"{where}: {exc}")
    return exc


def send_bytes(config: EmailConfig, recipients: Sequence[str], data: bytes) -> dict[str, str]:
    """Send one message; returns once the server accepted it (250 after DATA).

    The envelope recipients are exactly ``recipients`` (never taken from the headers). Returns
    the recipients the server refused while accepting others (``{address: reply}``); when it
    refuses all of them, raises.
    """
    client = connect(config)
    try:
        refused = client.sendmail(config.sender, list(recipients), data)
    except (OSError, smtplib.SMTPException) as exc:
        _close(client)
        raise classify(exc, config) from exc
    _close(client)
    return {r: _reply(code, message) for r, (code, message) in refused.items()}


def check_smtp(config: EmailConfig) -> str | None:
    """None when the server greets, secures and accepts the login; else one clear line."""
    try:
        client = connect(config)
    except DeliveryError as exc:
        return str(exc)
    try:
        code, message = client.noop()
        if code != 250:
            return f"{_where(config)}: NOOP answered {_reply(code, message)}"
        return None
    except (OSError, smtplib.SMTPException) as exc:
        return str(classify(exc, config))
    finally:
        _close(client)

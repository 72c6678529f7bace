"""Daemon logging: plain text or JSON lines on stderr, with secrets redacted before output."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.config import MonitorConfig

_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
) | {"message", "asctime", "taskName"}

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s/]+)(?=@)", re.I)
_MASK = "***"

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Never let ``value`` (a password) appear in a log line."""
    if value and len(value) >= 3:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with registered secrets and URL passwords masked."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + _MASK, text)
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """Masks the SMTP and database passwords (and any URL password) in every record.

    Works on the record itself (message, extra fields, traceback text), before any formatter
    serialises it: a password containing ``"`` or ``\\`` is masked as written, not after JSON
    escaped it into another spelling.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask secrets in ``record`` in place (idempotent) and return it.

    Runs at creation (the record factory) and again in the handler's filter: ``extra`` fields
    are attached only after the factory made the record, so the second pass is needed."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError, KeyError, IndexError):  # a bad format string: keep the msg
        message = str(record.msg)
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    for key, value in list(vars(record).items()):
        if key not in _STANDARD_ATTRS:
            setattr(record, key, _redact_value(value))
    return record


_original_factory: Callable[..., logging.LogRecord] | None = None


def install_redaction(*secrets: str | None) -> None:
    """Redact every log record this process creates, whatever handler (Scrapy's, a worker's)
    emits it: registers ``secrets`` and wraps the log record factory; idempotent."""
    global _original_factory
    for secret in secrets:
        register_secret(secret)
    if _original_factory is not None:
        return
    _original_factory = previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)


def install_config_redaction(config: MonitorConfig) -> None:
    """:func:`install_redaction` for the config's secrets: the SMTP, database and proxy
    passwords.

    Every process that logs calls it at start: the daemon, crawl children and workers."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    password = config.email.password
    try:
        database_password = make_url(config.database.url).password
    except ArgumentError:
        database_password = None
    proxy_password = config.crawl.proxy_password
    install_redaction(
        password.get_secret_value() if password is not None else None,
        str(database_password) if database_password is not None else None,
        proxy_password.get_secret_value() if proxy_password is not None else None,
    )


def remove_redaction() -> None:
    """Undo :func:`install_redaction` (tests)."""
    global _original_factory
    if _original_factory is not None:
        logging.setLogRecordFactory(_original_factory)
        _original_factory = None


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        k: v
        for k, v in vars(record).items()
        if k not in _STANDARD_ATTRS and k != "_monitor_redacted"
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, then the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        redact_record(record)  # on the record, before serialising (escaping changes spellings)
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in _extras(record).items():
            payload.setdefault(key, value)
        if record.exc_text:
            payload["exc"] = record.exc_text
        return json.dumps(payload, default=lambda v: redact(str(v)), ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``ts level logger: msg key=value ...`` on one line (tracebacks follow)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        redact_record(record)
        line = super().format(record)
        extras = _extras(record)
        if extras:
            fields = " ".join(f"{k}={json.dumps(v, default=str)}" for k, v in extras.items())
            head, sep, tail = line.partition("\n")
            line = f"{head} {fields}{sep}{tail}"
        return redact(line)


_HANDLER_MARK = "_monitor_daemon_handler"


def remove_logging() -> None:
    """Detach the handler that :func:`setup_logging` installed (tests, embedding)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)


def align_scrapy_logger(level: str) -> None:
    """Give the ``scrapy`` logger the level its handler prints.

    Scrapy's logging setup sets that logger to DEBUG and leaves the filtering to the handler,
    so every fetched page built two DEBUG records ("Crawled", "Scraped from") that were thrown
    away after going through the record factory (with its redaction). Call after Scrapy's
    ``configure_logging`` (``CrawlerProcess`` runs it).
    """
    logging.getLogger("scrapy").setLevel(level.upper())


def setup_logging(level: str = "INFO", json_format: bool = False) -> logging.Handler:
    """Route the root logger to stderr in the chosen format; idempotent (replaces our handler)."""
    remove_logging()
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(JsonFormatter() if json_format else TextFormatter())
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    # APScheduler logs every job start/finish and Alembic every schema check at INFO.
    for chatty in ("apscheduler", "alembic"):
        logging.getLogger(chatty).setLevel(
            logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
        )
    return handler

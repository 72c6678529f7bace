"""Secrets never leak from logs: redaction runs on the record before JSON serialisation, and a
process that installs the record factory (a crawl child, a worker) redacts every handler's
output, including Scrapy's own."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from monitor.daemon.logging import (
    JsonFormatter,
    RedactingFilter,
    TextFormatter,
    install_redaction,
    register_secret,
    remove_redaction,
)

SECRET = 'pa"ss\\wo"rd-42'  # a quote and a backslash: JSON escapes both


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger(f"faults.redaction.{id(stream)}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger, stream, handler
    logger.removeHandler(handler)
    remove_redaction()


def _fail_with_secret() -> None:
    raise RuntimeError(f"login failed with password {SECRET} for user monitor")


def _assert_clean(output: str) -> None:
    escaped = json.dumps(SECRET)[1:-1]
    assert SECRET not in output and escaped not in output, output
    assert "pa" + '\\"' + "ss" not in output


def test_json_traceback_line_has_no_escaped_secret(
    capture: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = capture
    register_secret(SECRET)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    try:
        _fail_with_secret()
    except RuntimeError:
        logger.exception("send failed for %s", SECRET, extra={"detail": f"pw={SECRET}"})
    line = stream.getvalue().strip()
    payload = json.loads(line)
    _assert_clean(line)
    assert "***" in payload["exc"] and "***" in payload["msg"] and "***" in payload["detail"]


def test_installed_factory_redacts_a_handler_without_our_filter(
    capture: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = capture
    handler.setFormatter(logging.Formatter("%(message)s"))  # e.g. Scrapy's own handler
    install_redaction(SECRET, "postgresql://u:dbpass@h/db")
    try:
        _fail_with_secret()
    except RuntimeError:
        logger.exception("crawl child: %s and postgresql://u:dbpass@h/db", SECRET)
    output = stream.getvalue()
    _assert_clean(output)
    assert "dbpass" not in output and "RuntimeError" in output


def test_text_format_redacts_tracebacks(
    capture: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = capture
    register_secret(SECRET)
    handler.setFormatter(TextFormatter())
    handler.addFilter(RedactingFilter())
    try:
        _fail_with_secret()
    except RuntimeError:
        logger.exception("boom")
    _assert_clean(stream.getvalue())


def test_extra_fields_are_redacted_when_the_factory_is_installed_too(
    capture: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    # A process with the factory installed (the daemon, a worker) still masks ``extra`` fields,
    # which logging attaches only after the factory made the record.
    logger, stream, handler = capture
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    install_redaction(SECRET)
    try:
        logger.error("send failed", extra={"detail": f"pw={SECRET}"})
    finally:
        remove_redaction()
    line = stream.getvalue().strip()
    assert json.loads(line)["detail"] == "pw=***"
    _assert_clean(line)

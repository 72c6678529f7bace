"""Log output: JSON lines with extra fields, and passwords never printed."""

from __future__ import annotations

import json
import logging

import pytest

from monitor.daemon.logging import redact, register_secret, remove_logging, setup_logging


def test_json_lines_with_extra_fields(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO", json_format=True)
    try:
        logging.getLogger("monitor.daemon.jobs").info(
            "crawl of %s ok", "a", extra={"source": "a", "counts": {"new": 2}}
        )
        logging.getLogger("monitor.x").debug("not shown")
    finally:
        remove_logging()
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["msg"] == "crawl of a ok" and record["level"] == "INFO"
    assert record["logger"] == "monitor.daemon.jobs" and record["counts"] == {"new": 2}
    assert record["ts"].endswith("+00:00")


@pytest.mark.parametrize("json_format", [True, False])
def test_passwords_are_redacted(capsys: pytest.CaptureFixture[str], json_format: bool) -> None:
    register_secret("s3cr3t-smtp")
    setup_logging("INFO", json_format=json_format)
    log = logging.getLogger("monitor.test")
    try:
        log.warning("login with %s failed", "s3cr3t-smtp", extra={"detail": "pw=s3cr3t-smtp"})
        log.error("cannot reach postgresql+psycopg://monitor:dbpass@db:5432/monitor")
        try:
            raise RuntimeError("smtp said s3cr3t-smtp")
        except RuntimeError:
            log.exception("boom")
    finally:
        remove_logging()
    err = capsys.readouterr().err
    assert "s3cr3t-smtp" not in err and "dbpass" not in err
    assert "monitor:***@db" in err


def test_redact_helper() -> None:
    assert redact("smtp://user:pw@host") == "smtp://user:***@host"
    assert redact("no secrets here") == "no secrets here"

"""Hostile web data: nothing leaks into headers, recipients or HTML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.alerts.render import (
    build_email,
    format_period,
    render_digest,
    snippet_segments,
    verify_message,
)
from monitor.alerts.sanitize import clean_header, safe_url
from monitor.alerts.sender import send_digests
from monitor.db.engine import Database
from monitor.errors import HeaderInjectionError
from tests.alerts.conftest import FAST_RETRY, SMTPServer, make_config, story_with_alerts

RLO = "\u202e"
HOSTILE_TITLES = [
    "<script>alert(1)</script> Russia & Cuba",
    "Russia\r\nBcc: x@y.example\r\n\r\nbody",
    "=?UTF-8?Q?=0A?=Bcc: victim@example.org",
    f"Cuba {RLO}gpj.exe\u2066 Russia\u2069 \x00\x1b[31m",
    "Rusia y Cuba " + "muy largo " * 1000,  # 10 kB
]


def _all_text(message: object) -> str:
    from email.message import EmailMessage

    assert isinstance(message, EmailMessage)
    return "\n".join(
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
    )


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_title_reaches_only_the_intended_recipient(
    alerts_db: Database, smtp_server: SMTPServer, title: str
) -> None:
    config = make_config(
        smtp_server.port,
        [{"address": "analyst@example.org", "frequency": "instant"}],
        unsubscribe_url="https://monitor.example.org/unsubscribe",
    )
    story_with_alerts(
        alerts_db,
        config,
        title,
        copies=[
            {"url": "javascript:alert(document.cookie)", "site_name": "<b>Evil</b>"},
            {"url": "https://ok.example/story", "site_name": f"Good{RLO} outlet"},
            {"url": "data:text/html,<script>alert(2)</script>"},
        ],
        snippet=f"<img src=x onerror=alert(3)> [Russia]{RLO} and [Cuba</p>]",
    )
    report = send_digests(alerts_db, config, frequency="instant", retry=FAST_RETRY)
    assert report.ok, report.errors
    [received] = smtp_server.received
    assert received.rcpt_tos == ["analyst@example.org"]
    message = received.message
    assert message.get_all("To") == ["analyst@example.org"]
    assert message.get("Bcc") is None and message.get("Cc") is None
    subject = message["Subject"]
    assert "\n" not in subject and "\r" not in subject and RLO not in subject
    assert len(subject) <= 150
    assert subject.startswith("Russia–Cuba monitor: ")
    for line in received.data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        assert not line.lower().startswith(b"bcc:")
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script" not in html.lower() and "<img" not in html and "<b>Evil" not in html
    if "<script>" in title:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(3)&gt;" in html
    if len(title) > 1000:
        assert subject.endswith("…") and len(html) < 20_000
    assert "javascript:" not in html and "data:text" not in html
    assert 'href="https://ok.example/story"' in html
    text = _all_text(message)
    assert RLO not in text and "\u2066" not in text and "\x1b" not in text and "\x00" not in text
    assert "javascript:" not in text


def test_verify_message_catches_injected_recipients() -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    _, data = build_email(
        sender="monitor@example.org",
        recipients=["analyst@example.org"],
        subject="ok",
        text="t",
        html="<p>t</p>",
        message_id="<digest-1.x@example.org>",
        date=now,
    )
    verify_message(data, ["analyst@example.org"], "<digest-1.x@example.org>")
    injected = data.replace(b"Subject: ok\r\n", b"Subject: ok\r\nBcc: victim@example.org\r\n")
    with pytest.raises(HeaderInjectionError):
        verify_message(injected, ["analyst@example.org"], "<digest-1.x@example.org>")
    extra_to = data.replace(
        b"To: analyst@example.org", b"To: analyst@example.org, victim@example.org"
    )
    with pytest.raises(HeaderInjectionError):
        verify_message(extra_to, ["analyst@example.org"], "<digest-1.x@example.org>")


def test_encoded_word_in_a_title_is_not_decoded_into_a_header() -> None:
    cleaned = clean_header("=?UTF-8?Q?=0A?=Bcc: victim@example.org")
    assert "=?" not in cleaned and "\n" not in cleaned
    now = datetime(2026, 11, 23, tzinfo=UTC)
    rendered = render_digest(
        [],
        recipient="analyst@example.org",
        timezone="UTC",
        period_start=now - timedelta(days=1),
        period_end=now,
        message_id="<digest-1.x@example.org>",
        date=now,
        sender="monitor@example.org",
        unsubscribe_url="javascript:alert(1)",
    )
    assert "javascript" not in rendered.html and "javascript" not in str(
        rendered.message["List-Unsubscribe"] if rendered.message else ""
    )


def test_safe_url_accepts_only_http_and_https() -> None:
    assert safe_url("https://example.org/a?b=c") == "https://example.org/a?b=c"
    assert safe_url("HTTP://example.org/") == "HTTP://example.org/"
    for bad in [
        "javascript:alert(1)",
        " javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "https://exa mple.org/",
        "https://example.org/\u202e",
        "//example.org/",
        "https:///nohost",
        None,
    ]:
        assert safe_url(bad) is None, bad


def test_snippet_segments_and_period_labels() -> None:
    assert snippet_segments("a [b] c [d]") == [
        ("a ", False),
        ("b", True),
        (" c ", False),
        ("d", True),
    ]
    assert snippet_segments("x\u202e[y]") == [("x", False), ("y", True)]
    tz = __import__("zoneinfo").ZoneInfo("America/Havana")
    end = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert format_period(end - timedelta(days=1), end, tz) == "22–23 Nov 2026"
    assert format_period(end - timedelta(days=7), end, tz) == "16–23 Nov 2026"
    assert (
        format_period(
            datetime(2026, 11, 30, 12, tzinfo=UTC), datetime(2026, 12, 2, 12, tzinfo=UTC), tz
        )
        == "30 Nov – 2 Dec 2026"
    )
    assert format_period(end - timedelta(hours=1), end, tz) == "23 Nov 2026, 06:00–07:00"

"""A test message for one recipient (the console's "send a test message"): the digest template
over sample stories, its subject marked as a test, sent through the configured SMTP server."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from monitor.alerts.render import (
    build_email,
    make_message_id,
    render_digest,
    sample_stories,
)
from monitor.alerts.smtp import DeliveryError, send_bytes
from monitor.config import MonitorConfig
from monitor.db.models import utcnow
from monitor.errors import HeaderInjectionError

TEST_SUBJECT_PREFIX = "[test] "


def send_test_digest(config: MonitorConfig, recipient: str) -> str | None:
    """Send a test digest to ``recipient``; None when the server accepted it, else why not."""
    email = config.email
    match = next((r for r in email.recipients if r.address.lower() == recipient.lower()), None)
    timezone = match.timezone if match is not None else "UTC"
    now = utcnow()
    message_id = make_message_id("test", secrets.token_hex(4), [recipient, now], email.sender)
    rendered = render_digest(
        sample_stories(now, ZoneInfo(timezone)),
        recipient=recipient,
        timezone=timezone,
        period_start=None,
        period_end=now,
        message_id=message_id,
        date=now,
        sender=email.sender,
        unsubscribe_url=email.unsubscribe_url,
        build=False,
    )
    try:
        _message, data = build_email(
            sender=email.sender,
            recipients=[recipient],
            subject=TEST_SUBJECT_PREFIX + rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=message_id,
            date=now,
            unsubscribe_url=email.unsubscribe_url,
        )
        refused = send_bytes(email, [recipient], data)
    except (DeliveryError, HeaderInjectionError, OSError) as exc:
        return str(exc)
    if refused:
        return f"recipient refused: {refused}"
    return None

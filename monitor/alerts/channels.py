"""Chat and webhook channels through apprise (Slack, Teams, Telegram, ``json://`` webhooks…)."""

from __future__ import annotations

import logging

from monitor.alerts.smtp import PermanentDeliveryError, TransientDeliveryError

log = logging.getLogger(__name__)


def send_apprise(url: str, key: str, title: str, body: str) -> None:
    """Notify one apprise URL with a plain-text body; raise a DeliveryError on failure.

    apprise reports only success or failure, so a failed notify is treated as transient (the
    rows stay pending); a URL apprise cannot parse is permanent. ``key`` (not the URL, which
    may hold a token) names the channel in messages.
    """
    import apprise

    client = apprise.Apprise()
    if not client.add(url):
        raise PermanentDeliveryError(f"channel {key}: apprise cannot use this URL")
    try:
        ok = client.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
    except Exception as exc:  # apprise plugins may raise on odd responses
        raise TransientDeliveryError(f"channel {key}: {type(exc).__name__}") from None
    if not ok:
        raise TransientDeliveryError(f"channel {key}: notification failed")

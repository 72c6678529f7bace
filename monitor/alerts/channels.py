"""Chat and webhook channels: ``json://`` / ``jsons://`` webhooks through the one guarded fetch
(:func:`monitor.netsafety.guarded_fetch`: every hop vetted, connected to the vetted address),
other apprise URLs (Slack, Teams, Telegram, ``form://``…) through apprise, its connections
vetted at connect time by :func:`monitor.netsafety.urllib3_guarded`."""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import unquote, urlsplit, urlunsplit

from monitor.errors import PermanentDeliveryError, TransientDeliveryError, UnsafeURLError
from monitor.netsafety import FetchPolicy, guarded_fetch, urllib3_guarded

log = logging.getLogger(__name__)

WEBHOOK_SCHEMES = {"json": "http", "jsons": "https"}
TRANSIENT_STATUSES = frozenset({408, 425, 429})
USER_AGENT = "RussiaCubaNewsMonitor/0.1 (digest webhook)"


def send_channel(
    url: str, key: str, title: str, body: str, *, policy: FetchPolicy, timeout: float
) -> None:
    """Deliver one plain-text digest to a channel; raise a DeliveryError on failure."""
    if urlsplit(url).scheme.lower() in WEBHOOK_SCHEMES:
        send_webhook(url, key, title, body, policy=policy, timeout=timeout)
    else:
        send_apprise(url, key, title, body, policy=policy)


def send_webhook(
    url: str, key: str, title: str, body: str, *, policy: FetchPolicy, timeout: float
) -> None:
    """POST apprise's JSON payload to a ``json://`` (http) or ``jsons://`` (https) webhook.

    5xx, 408, 429 and network failures are transient (the rows stay pending); a refused
    address and other 4xx are permanent. ``key`` (not the URL, which may hold a token) names
    the channel in messages.
    """
    parts = urlsplit(url)
    headers = {"Content-Type": "application/json"}
    if parts.username:
        login = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(login.encode()).decode()
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    scheme = WEBHOOK_SCHEMES[parts.scheme.lower()]
    target = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    payload = json.dumps({"version": "1.0", "title": title, "message": body, "type": "info"})
    try:
        response = guarded_fetch(
            target,
            policy=policy,
            user_agent=USER_AGENT,
            timeout=timeout,
            max_bytes=65_536,
            method="POST",
            body=payload.encode("utf-8"),
            headers=headers,
        )
    except UnsafeURLError as exc:
        raise PermanentDeliveryError(f"channel {key}: refused: {exc}") from exc
    except OSError as exc:
        raise TransientDeliveryError(f"channel {key}: {exc.strerror or exc}") from exc
    if 200 <= response.status < 300:
        return
    error = f"channel {key}: HTTP {response.status}"
    if response.status >= 500 or response.status in TRANSIENT_STATUSES:
        raise TransientDeliveryError(error)
    raise PermanentDeliveryError(error)


def send_apprise(url: str, key: str, title: str, body: str, *, policy: FetchPolicy) -> None:
    """Notify one apprise URL with a plain-text body; raise a DeliveryError on failure.

    apprise's HTTP requests run under :func:`monitor.netsafety.urllib3_guarded`: every
    connection, redirects included, is vetted at connect time; a refused address is a
    permanent failure with the reason. Otherwise apprise reports only success or failure, so
    a failed notify is treated as transient (the rows stay pending); a URL apprise cannot
    parse is permanent.
    """
    import apprise

    client = apprise.Apprise()
    if not client.add(url):
        raise PermanentDeliveryError(f"channel {key}: apprise cannot use this URL")
    with urllib3_guarded(policy) as refused:
        try:
            ok = client.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
        except Exception as exc:  # boundary: an apprise plugin failing on an odd response
            log.warning("channel %s: apprise raised %s", key, type(exc).__name__, exc_info=True)
            raise TransientDeliveryError(f"channel {key}: {type(exc).__name__}") from exc
    if refused:
        raise PermanentDeliveryError(f"channel {key}: refused: {refused[0]}")
    if not ok:
        raise TransientDeliveryError(f"channel {key}: notification failed")

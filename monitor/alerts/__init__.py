"""Alerts: the outbox written with each new story, and digests sent from it by email and apprise.

Public API: :func:`enqueue_story_alerts` (the ``ArticleStore(db, alerts=...)`` hook, see
:func:`story_hook`), :func:`send_digests`, :func:`check_smtp`, and the operator alerts
:func:`raise_operator_alert` / :func:`resolve_operator_alert`.
"""

from monitor.alerts.delivery import DigestOutcome, DigestReport, RetryPolicy
from monitor.alerts.operator import (
    enqueue_operator_alert,
    raise_operator_alert,
    resolve_operator_alert,
    send_operator_alerts,
)
from monitor.alerts.outbox import channel_key, enqueue_story_alerts, story_hook
from monitor.alerts.sender import send_digests
from monitor.alerts.smtp import check_smtp

__all__ = [
    "DigestOutcome",
    "DigestReport",
    "RetryPolicy",
    "channel_key",
    "check_smtp",
    "enqueue_operator_alert",
    "enqueue_story_alerts",
    "raise_operator_alert",
    "resolve_operator_alert",
    "send_digests",
    "send_operator_alerts",
    "story_hook",
]

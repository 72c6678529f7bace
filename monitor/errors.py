"""The project's exception tree: every expected failure is one of these."""

from __future__ import annotations


class MonitorError(Exception):
    """Base class of every error the monitor reports to an operator in one line."""

    exit_code = 1


class ConfigError(MonitorError):
    """The configuration file is missing, unreadable or invalid."""

    exit_code = 2


class DatabaseError(MonitorError):
    """The database cannot be reached or written."""


class SchemaOutdatedError(DatabaseError):
    """The database schema is not at the migration head: run ``monitor init``."""


class DeliveryError(MonitorError):
    """A digest or alert could not be delivered (``monitor.alerts``)."""


class TransientDeliveryError(DeliveryError):
    """Try again later: connection refused or dropped, timeout, 4xx reply, webhook 5xx."""


class PermanentDeliveryError(DeliveryError):
    """Do not retry this message: a 5xx reply, a refused webhook address or a 4xx."""


class ServerUnavailableError(TransientDeliveryError):
    """No session with the mail server (refused, timeout, TLS, login): affects every message."""


class SMTPSetupError(ServerUnavailableError):
    """The mail server refused the login or TLS: an operator must act."""


class RelevanceModelError(MonitorError):
    """The relevance model file is missing, unreadable or not a model for these features."""

    exit_code = 2


class RelevanceTrainingError(MonitorError):
    """A relevance model cannot be trained: too few labelled examples, or a bad corpus file."""

    exit_code = 2


class NotFoundError(MonitorError):
    """A record named on the command line (an article id) does not exist."""

    exit_code = 2


class DaemonError(MonitorError):
    """The daemon cannot start (bad job reference, lease held elsewhere)."""


class QueueError(MonitorError):
    """The Redis queue is unreachable or refused a command."""


class FetchRefusedError(MonitorError):
    """A start URL the source check would not fetch (the guarded fetch refused it)."""


class QuerySyntaxError(MonitorError, ValueError):
    """An invalid query; ``position`` is a 0-based offset, ``column`` is ``position + 1``."""

    def __init__(self, reason: str, position: int, source: str = "") -> None:
        self.reason = reason
        self.position = max(0, position)
        self.column = self.position + 1
        self.source = source
        super().__init__(f"{reason} at column {self.column}")

    def pointer(self) -> str:
        """The query with a caret under the offending character (for CLI output)."""
        return f"{self.source}\n{' ' * self.position}^"


class UnsafeURLError(MonitorError, ValueError):
    """The URL must not be fetched (scheme, or a non-public host or address)."""


class HeaderInjectionError(MonitorError, ValueError):
    """A built message does not have exactly the intended recipients and headers."""


class InvalidInput(MonitorError, ValueError):
    """A filter, query or form value the console cannot use (answered 400, one line)."""

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class NotAuthenticated(MonitorError):
    """No valid credentials: 401 for the API and feeds, a redirect to the login form for pages."""

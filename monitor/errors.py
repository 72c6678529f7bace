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

"""Fixtures for the story tests: the real SMTP server of the alert tests."""

from tests.alerts.conftest import smtp_server

__all__ = ["smtp_server"]

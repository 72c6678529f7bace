"""The long-running daemon: scheduled crawls in child processes, digests, housekeeping, health."""

from monitor.daemon.health import SourceHealth, evaluate_alerts, scheduled_jobs, source_health
from monitor.daemon.logging import setup_logging

__all__ = ["SourceHealth", "evaluate_alerts", "scheduled_jobs", "setup_logging", "source_health"]

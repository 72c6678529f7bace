"""Test helper: ``send_digests`` in a process that dies right after the SMTP server said 250.

``python -m tests.alerts.crash_sender DATABASE_URL CONFIG_JSON`` replaces
``monitor.alerts.sender.mark_digest_sent`` (the seam between acceptance and bookkeeping) with
``os._exit(CRASH_EXIT)``: the process is gone before the digest is marked sent, with no
cleanup, like a kill -9. Nothing in production code knows about this.
"""

from __future__ import annotations

import json
import os
import sys

from monitor.alerts import sender
from monitor.alerts.delivery import RetryPolicy
from monitor.config import MonitorConfig
from monitor.db.engine import Database

CRASH_EXIT = 17


def main() -> None:
    database_url, config_json = sys.argv[1], sys.argv[2]
    config = MonitorConfig.model_validate(json.loads(config_json))

    def crash(*args: object, **kwargs: object) -> None:
        os._exit(CRASH_EXIT)

    sender.mark_digest_sent = crash  # type: ignore[assignment]
    sender.send_digests(Database(database_url), config, retry=RetryPolicy(attempts=1))
    os._exit(0)  # not reached when a digest was accepted


if __name__ == "__main__":
    main()

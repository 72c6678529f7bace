"""Test helper: ``send_digests`` in a process that dies right after the SMTP server said 250.

``python -m tests.alerts.crash_sender DATABASE_URL CONFIG_JSON [exit|hang]`` replaces
``monitor.alerts.sender.mark_digest_sent`` (the seam between acceptance and bookkeeping) with
``os._exit(CRASH_EXIT)`` (``exit``), or with printing ``ACCEPTED`` and waiting for the test's
real ``kill -9`` (``hang``): the process is gone before the digest is marked sent, with no
cleanup. Nothing in production code knows about this.
"""

from __future__ import annotations

import json
import os
import sys
import time

from monitor.alerts import sender
from monitor.alerts.delivery import RetryPolicy
from monitor.config import MonitorConfig
from monitor.db.engine import Database

CRASH_EXIT = 17


def main() -> None:
    database_url, config_json = sys.argv[1], sys.argv[2]
    config = MonitorConfig.model_validate(json.loads(config_json))

    mode = sys.argv[3] if len(sys.argv) > 3 else "exit"

    def crash(*args: object, **kwargs: object) -> None:
        if mode == "hang":
            print("ACCEPTED", flush=True)
            time.sleep(3600)  # until the test's SIGKILL
        os._exit(CRASH_EXIT)

    sender.mark_digest_sent = crash  # type: ignore[assignment]
    sender.send_digests(Database(database_url), config, retry=RetryPolicy(attempts=1))
    os._exit(0)  # not reached when a digest was accepted


if __name__ == "__main__":
    main()

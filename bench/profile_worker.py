"""Run ``python -m monitor.crawl.worker`` under cProfile in every thread (the reactor, the
database thread, Twisted's thread pool) and write the merged stats when it exits.

``python bench/profile_worker.py OUT.pstats -- --config FILE [--log-level LEVEL]``; used by
``bench/worker_bench.py --profile OUT.pstats``. Read with ``python -m pstats OUT.pstats``.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()
_run = threading.Thread.run


def _profiled_run(self: threading.Thread) -> None:
    profile = cProfile.Profile()
    with _lock:
        _profiles.append(profile)
    profile.enable()
    try:
        _run(self)
    finally:
        profile.disable()


def main() -> int:
    out, rest = sys.argv[1], sys.argv[3:]
    threading.Thread.run = _profiled_run  # type: ignore[method-assign]
    from monitor.crawl.worker import main as worker_main

    profile = cProfile.Profile()
    profile.enable()
    try:
        code = worker_main(rest)
    finally:
        profile.disable()
        stats = pstats.Stats(profile)
        with _lock:
            for other in _profiles:
                try:
                    stats.add(other)
                except (TypeError, ValueError):  # a profile still running: skip it
                    continue
        stats.dump_stats(out)
    return code


if __name__ == "__main__":
    sys.exit(main())

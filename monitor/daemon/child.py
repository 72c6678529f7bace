"""Exec a crawl child that gets SIGTERM when the daemon dies (even by ``kill -9``).

``python -m monitor.daemon.child PARENT_PID -- ARGV...``: on Linux, set the parent-death signal to
SIGTERM, make sure the parent is still alive, then ``exec`` ARGV. The crawl then records its run as
interrupted instead of outliving the daemon that started it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel to send ``sig`` when our parent exits; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def main(argv: list[str]) -> int:
    """Set the death signal, check the parent, exec the command."""
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m monitor.daemon.child PARENT_PID -- ARGV...", file=sys.stderr)
        return 2
    parent, command = int(argv[0]), argv[2:]
    set_parent_death_signal()
    if os.getppid() != parent:  # the daemon died before prctl took effect
        return 143
    os.execv(command[0], command)
    return 127  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

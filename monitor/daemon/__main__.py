"""``python -m monitor.daemon --config FILE``: the daemon without the CLI (``monitor run``)."""

from __future__ import annotations

import argparse
import sys

from monitor.daemon.scheduler import run_daemon


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitor.daemon", description=__doc__)
    parser.add_argument("--config", "-c", default=None, help="config file (default: monitor.toml)")
    args = parser.parse_args(argv)
    return run_daemon(args.config)


if __name__ == "__main__":
    sys.exit(main())

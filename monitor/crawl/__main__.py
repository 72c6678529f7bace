"""``python -m monitor.crawl --config FILE [--source NAME]... [--trigger scheduled] [--json]``

The crawl child process the CLI and the daemon start (a Twisted reactor runs once per process).
With ``--json`` stdout carries one JSON object per line: ``{"event": "progress", "source",
"stage", "counts"}`` while crawling and ``{"event": "summary", ...SourceRunSummary}`` per source
at the end. Exit code 0 when the crawl ran (even if sources failed; the summary names them),
1 when the crawl machinery itself failed, 2 for a configuration error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from typing import Any

from monitor.errors import ConfigError, MonitorError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m monitor.crawl", description=__doc__)
    parser.add_argument("--config", help="config file (else $MONITOR_CONFIG, ./monitor.toml)")
    parser.add_argument("--source", action="append", help="source name (repeatable; default all)")
    parser.add_argument("--trigger", default="manual", help="recorded in crawl_runs.trigger")
    parser.add_argument("--json", action="store_true", help="JSON lines on stdout")
    parser.add_argument(
        "--lease-wait", type=float, default=10.0, help="seconds to wait for a busy source"
    )
    parser.add_argument("--log-level", default=None, help="Scrapy log level (default: config)")
    return parser


def _format_counts(counts: dict[str, Any]) -> str:
    keys = ("requests", "articles_found", "new", "syndicated", "duplicate", "updated")
    shown = [f"{k}={counts.get(k, 0)}" for k in keys]
    shown += [f"{k}={counts[k]}" for k in ("not_matching", "skipped") if counts.get(k)]
    return " ".join(shown)


def main(argv: list[str] | None = None) -> int:
    """Run the crawl; print progress and one summary per source."""
    args = _parser().parse_args(argv)
    from monitor.config import load_config

    try:
        config = load_config(args.config)
        if args.source:
            for name in args.source:
                config.source(name)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from monitor.daemon.logging import install_config_redaction

    install_config_redaction(config)
    lock = threading.Lock()

    def emit(payload: dict[str, Any]) -> None:
        with lock:
            sys.stdout.write(json.dumps(payload, default=str) + "\n")
            sys.stdout.flush()

    def progress(source: str, stage: str, counts: dict[str, Any]) -> None:
        emit({"event": "progress", "source": source, "stage": stage, "counts": counts})

    from monitor.crawl.extensions import reason_lines
    from monitor.crawl.runner import run_crawl

    try:
        summaries = run_crawl(
            config,
            args.source,
            trigger=args.trigger,
            progress=progress if args.json else None,
            lease_wait=args.lease_wait,
            log_level=args.log_level,
        )
    except Exception as exc:  # boundary: the process's exit code; a bug is logged in full
        if not isinstance(exc, MonitorError):
            logging.getLogger("monitor.crawl").exception("crawl failed")
        print(f"error: crawl failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for summary in summaries:
        if args.json:
            emit({"event": "summary", **summary.to_dict()})
            continue
        print(f"{summary.source}: {summary.status}  {_format_counts(summary.counts)}")
        for line in reason_lines(summary.source, summary.counts):
            print(line)
        for error in summary.errors[:10]:
            print(f"  ! {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Shared helpers of the fault-injection suite: the real CLI and a writer in another process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from monitor.db.engine import Database
from monitor.db.models import Article, Story

ROOT = Path(__file__).resolve().parents[2]

_WRITER = """
import sys
from monitor.db.engine import Database
from monitor.db.models import Story
db = Database(sys.argv[1], busy_timeout_ms=int(sys.argv[2]))
db.write(lambda s: s.add(Story(title="written by another process")), attempts=1)
print("written")
"""


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``monitor ARGS`` in a subprocess, with no MONITOR_ variables from the outside."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environment["PYTHONPATH"] = str(ROOT)
    environment["COLUMNS"] = "400"  # wide tables: cells are not wrapped across lines
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write_from_another_process(
    url: str, *, busy_timeout_ms: int
) -> subprocess.CompletedProcess[str]:
    """One small write unit (``Database.write``, one attempt) in a separate Python process."""
    return subprocess.run(
        [sys.executable, "-c", _WRITER, url, str(busy_timeout_ms)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def add_article(
    db: Database, n: int, *, title: str | None = None, canonical_url: str | None = None
) -> None:
    """Store one story with one article (plain rows, as a crawl would leave them)."""
    with db.session() as session:
        story = Story(title=title or f"Story {n}")
        session.add(story)
        session.flush()
        url = canonical_url or f"https://news.example/{n}"
        session.add(
            Article(
                canonical_url=url,
                url=url,
                story_id=story.id,
                content_fingerprint=f"{n:064d}",
                title=title or f"Story {n}",
                text=f"{title or 'Story'} {n}\n\nRussia and Cuba, paragraph one.",
                matched_terms=["russia", "cuba"],
            )
        )


def start_crawl(
    config_path: Path, *sources: str, log_level: str = "WARNING"
) -> subprocess.Popen[str]:
    """``python -m monitor.crawl --json`` in a child process (not waited for)."""
    command = [sys.executable, "-m", "monitor.crawl", "--config", str(config_path), "--json"]
    command += ["--log-level", log_level, "--lease-wait", "0"]
    for name in sources:
        command += ["--source", name]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def article_urls(db: Database) -> list[str]:
    """Every stored article's URL (duplicates kept, to be counted)."""
    from sqlalchemy import select

    with db.session() as session:
        return list(session.scalars(select(Article.url)))


def wait_until(condition: Callable[[], bool], *, timeout: float = 60.0) -> None:
    """Poll ``condition`` until true (a safety net against a hung test, not a speed bound)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.05)


def summaries(stdout: str) -> dict[str, dict[str, object]]:
    """The ``summary`` events of a ``--json`` crawl, by source name."""
    import json

    found: dict[str, dict[str, object]] = {}
    for line in stdout.splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("event") == "summary":
                found[str(event["source"])] = event
    return found


def child_pids(pid: int) -> list[int]:
    """The live child processes of ``pid`` (from /proc)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            children.append(int(entry.name))
    return children

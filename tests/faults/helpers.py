"""Shared helpers of the fault-injection suite: the real CLI and a writer in another process."""

from __future__ import annotations

import os
import subprocess
import sys
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

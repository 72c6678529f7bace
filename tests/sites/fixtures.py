"""Pytest fixtures over the demo news web: the server, a temporary database, and a helper that
runs real crawls in a child process (``python -m monitor.crawl --json``) and reads the results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.db.engine import Database
from monitor.db.migrate import upgrade
from monitor.db.models import Article, CrawlRun, HttpCacheEntry
from monitor.demo.site import NewsWeb
from tests.conftest import migrated_sqlite

REPO = Path(__file__).resolve().parents[2]

# Small limits so slow and hostile cases end quickly in tests.
TEST_CRAWL = {
    "download_timeout": 2.0,
    "autothrottle": False,
    "retry_times": 1,
    "max_page_bytes": 200_000,
    "per_domain_concurrency": 4,
    "extract_workers": 2,
    "lookback_days": 3.0,
}


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


class CrawlEnv:
    """A temporary config + SQLite database, and crawls of it in a child process."""

    def __init__(
        self, tmp_path: Path, db_url: str | None = None, *, migrated: bool = False
    ) -> None:
        """``migrated``: the database at ``db_url`` is already at head (a copied template)."""
        self.tmp_path = tmp_path
        self.db_url = db_url or f"sqlite:///{tmp_path / 'monitor.db'}"
        self.config_path = tmp_path / "monitor.toml"
        self.db = Database(self.db_url)
        if not migrated:
            upgrade(self.db)
        self.last_stderr = ""

    def write_config(
        self, sources: list[dict[str, Any]], *, crawl: dict[str, Any] | None = None
    ) -> Path:
        lines = [f"[database]\nurl = {_toml(self.db_url)}\n", "[crawl]"]
        lines += [f"{k} = {_toml(v)}" for k, v in {**TEST_CRAWL, **(crawl or {})}.items()]
        for source in sources:
            lines.append("\n[[sources]]")
            lines += [f"{k} = {_toml(v)}" for k, v in source.items()]
        self.config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return self.config_path

    def crawl(self, *names: str, timeout: float = 120) -> dict[str, dict[str, Any]]:
        """Run ``python -m monitor.crawl --json``; the summaries by source name."""
        command = [sys.executable, "-m", "monitor.crawl", "--config", str(self.config_path)]
        command += ["--json", "--log-level", "WARNING", "--lease-wait", "0"]
        for name in names:
            command += ["--source", name]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        done = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
        )
        self.last_stderr = done.stderr
        assert done.returncode == 0, done.stderr[-4000:]
        summaries: dict[str, dict[str, Any]] = {}
        for line in done.stdout.splitlines():
            event = json.loads(line)
            if event.get("event") == "summary":
                summaries[event["source"]] = event
        return summaries

    def articles(self) -> list[Article]:
        with self.db.session() as session:
            rows = list(session.scalars(select(Article).order_by(Article.id)))
            session.expunge_all()
            return rows

    def runs(self) -> list[CrawlRun]:
        with self.db.session() as session:
            rows = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
            session.expunge_all()
            return rows

    def http_cache(self) -> dict[str, HttpCacheEntry]:
        with self.db.session() as session:
            rows = list(session.scalars(select(HttpCacheEntry)))
            session.expunge_all()
            return {row.url: row for row in rows}


@pytest.fixture
def news_web() -> Iterator[NewsWeb]:
    """A fresh demo news web (its own state and request logs) on 127.0.0.2–5."""
    web = NewsWeb(slow_seconds=6.0, oversized_bytes=600_000).start()
    try:
        yield web
    finally:
        web.stop()


@pytest.fixture
def postgres_crawl_env(tmp_path: Path, migrated_postgres_url: str) -> Iterator[CrawlEnv]:
    """Like ``crawl_env``, on a fresh PostgreSQL database of its own."""
    env = CrawlEnv(tmp_path, migrated_postgres_url, migrated=True)
    try:
        yield env
    finally:
        env.db.dispose()


@pytest.fixture
def crawl_env(tmp_path: Path, sqlite_template: Path) -> Iterator[CrawlEnv]:
    """A migrated SQLite database and a config file in the test's temporary folder."""
    url = migrated_sqlite(sqlite_template, tmp_path / "monitor.db")
    env = CrawlEnv(tmp_path, url, migrated=True)
    try:
        yield env
    finally:
        env.db.dispose()

"""The disk under SQLite fills up during a real crawl: one clear ERROR line per writing
process, ``monitor status`` red, nothing half-stored (every article with its story and its
seen-URL row); once space is freed, the next crawl stores the rest, each article once."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.db.models import Article, SeenUrl, Story
from tests.faults.helpers import article_urls, run_cli, start_crawl
from tests.faults.site import FaultSite, source
from tests.sites.fixtures import CrawlEnv

HOST = "127.0.0.27"
ARTICLES = 12
HEADROOM = 1_250_000  # free bytes when the crawl starts (the start check wants 1 MB)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MB tmpfs: the disk that fills up."""
    folder = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs in CI: {mounted.stderr.decode().strip()}")
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def site() -> Iterator[FaultSite]:
    web = FaultSite(HOST, ARTICLES, padding=120)  # about 60 kB of text per article
    yield web
    web.stop()


def _consistent(env: CrawlEnv) -> int:
    with env.db.session() as session:
        articles = session.scalar(select(func.count()).select_from(Article)) or 0
        orphans = session.scalar(
            select(func.count())
            .select_from(Article)
            .outerjoin(Story, Story.id == Article.story_id)
            .where(Story.id.is_(None))
        )
        seen = session.scalar(
            select(func.count(func.distinct(SeenUrl.article_id))).where(
                SeenUrl.article_id.is_not(None)
            )
        )
    assert orphans == 0 and seen == articles, (articles, orphans, seen)
    return articles


def test_disk_fills_up_during_a_crawl(tmp_path: Path, disk: Path, site: FaultSite) -> None:
    env = CrawlEnv(tmp_path, f"sqlite:///{disk / 'monitor.db'}")
    env.write_config(
        [source("full", site)],
        crawl={
            "public_networks": [f"{HOST}/32"],
            "extract_workers": 1,
            "max_page_bytes": 2_000_000,
        },
    )
    filler = disk / "filler"
    filler.write_bytes(b"\0" * (shutil.disk_usage(disk).free - HEADROOM))

    process = start_crawl(env.config_path, "full")
    _out, err = process.communicate(timeout=180)
    failures = [line for line in err.splitlines() if "database write failed" in line]
    assert 1 <= len(failures) <= 2, err[-3000:]  # one line per writing process
    assert "full" in failures[0] and "Traceback" not in err, err[-3000:]
    stored = _consistent(env)
    assert 0 < stored < ARTICLES, stored
    status = run_cli("status", cwd=tmp_path, env={"MONITOR_CONFIG": str(env.config_path)})
    assert status.returncode == 1 and "disk full" in status.stdout, status.stdout

    filler.unlink()  # space is freed
    env.crawl("full")
    urls = article_urls(env.db)
    assert sorted(urls) == sorted(site.url(i) for i in range(ARTICLES))
    assert _consistent(env) == ARTICLES
    status = run_cli("status", cwd=tmp_path, env={"MONITOR_CONFIG": str(env.config_path)})
    assert "write failed" not in status.stdout, status.stdout
    env.db.dispose()

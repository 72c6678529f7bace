"""The console's API over a store of many stories (written through the real pipeline):
``GET /api/stories`` (a page, a filtered page, a search in the query language), a story, the
sources page data and the Atom feed. Usage: ``.venv/bin/python bench/web_bench.py [--stories N]``.
"""

from __future__ import annotations

import argparse
import html
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from fastapi.testclient import TestClient  # noqa: E402

from monitor.alerts.outbox import story_hook  # noqa: E402
from monitor.config import config_from_dict  # noqa: E402
from monitor.db.engine import Database  # noqa: E402
from monitor.db.migrate import upgrade  # noqa: E402
from monitor.demo.articles import ARTICLES  # noqa: E402
from monitor.processing import ArticleStore, FetchedPage, analyze_page  # noqa: E402
from monitor.query import DEFAULT_QUERY  # noqa: E402
from monitor.web.app import create_app  # noqa: E402

SOURCES = ("havana-daily", "moscow-wire", "caribbean-post")


def _page(title: str, paragraphs: list[str], site: str) -> bytes:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><meta property='og:site_name' content='{site}'></head><body><article>"
        f"<h1>{html.escape(title)}</h1>{body}</article></body></html>"
    ).encode()


def populate(db: Database, count: int) -> int:
    """``count`` distinct pages (demo articles reworded with random filler), stored."""
    config = config_from_dict({"database": {"url": db.url}})
    store = ArticleStore(db)
    store.on_new_story = story_hook(config)
    rng = random.Random(14)
    words = [w for a in ARTICLES for p in a.paragraphs for w in p.split()]
    relevant = [a for a in ARTICLES if a.relevant]
    stored = 0
    for index in range(count):
        article = relevant[index % len(relevant)]
        filler = " ".join(rng.choice(words) for _ in range(120))
        paragraphs = [f"{p} {index}" for p in article.paragraphs] + [filler]
        source = SOURCES[index % len(SOURCES)]
        page = FetchedPage(
            f"https://{source}.example/{index}",
            _page(f"{article.title} ({index})", paragraphs, source),
            source,
        )
        if store.store(analyze_page(page, DEFAULT_QUERY)).article_id is not None:
            stored += 1
    return stored


def best_ms(action: Callable[[], object], runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        db = Database(url)
        upgrade(db)
        started = time.perf_counter()
        stored = populate(db, args.stories)
        print(f"stored {stored} articles in {time.perf_counter() - started:.1f} s (pipeline)")
        sources = [
            {"name": n, "feeds": [f"https://{n}.example/feed"], "allow_private": True}
            for n in SOURCES
        ]
        config = config_from_dict({"database": {"url": url}, "sources": sources})
        client = TestClient(create_app(config, db, allowed_hosts_extra=["testserver"]))
        story_id = client.get("/api/stories", params={"limit": 1}).json()["items"][0]["id"]
        cases: list[tuple[str, str, dict[str, object]]] = [
            ("inbox page (50 stories)", "/api/stories", {}),
            ("filtered (source, unread)", "/api/stories", {"source": "moscow-wire", "unread": 1}),
            ("search: tanker OR flights", "/api/stories", {"q": "tanker OR flights"}),
            ("search, no match (full scan)", "/api/stories", {"q": "zanzibar"}),
            ("one story", f"/api/stories/{story_id}", {}),
            ("sources health", "/api/sources", {}),
            ("Atom feed (50 entries)", "/feeds/stories.atom", {}),
        ]
        for label, path, params in cases:
            response = client.get(path, params=params)
            assert response.status_code == 200, response.text
            print(f"{label:32} {best_ms(lambda p=path, q=params: client.get(p, params=q)):8.1f} ms")
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

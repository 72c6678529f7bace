"""End-to-end crawl benchmark: fetch, extract, match, dedup and store N local news pages.

Usage::

    .venv/bin/python bench/crawl_bench.py [--pages 5000] [--sample 200] [--workers 0]
        [--match-share 0.1] [--json]

A local site on 127.0.0.7 serves N deterministic article pages of 60–120 KB (demo article text
inside realistic chrome: navigation, sidebars, scripts, comments) behind an RSS feed and a
sitemap. The crawl runs through the real entry point (``python -m monitor.crawl``) into a
temporary SQLite database. Printed: pages/s, CPU seconds per page (children included), peak
RSS, the single-process ``clean_page`` rate on a sample of the same pages, and the ratio.

Then (unless ``--match-share 1``) the same crawl of a mix where only that share of the pages
match the query (the others: text without any Cuba-side term, in the same chrome, so the
query's pre-check can skip their cleaning), and the ratio of its pages/s to the all-matching
crawl's (target >= 3x at 10 %).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from monitor.demo.articles import ARTICLES  # noqa: E402

ADDRESS = "127.0.0.7"
NOW = datetime.now(UTC).replace(microsecond=0)
PARAGRAPHS = [p for a in ARTICLES for p in a.paragraphs]
WORDS = " ".join(PARAGRAPHS).split()
SENTENCES = [s.strip() + "." for p in PARAGRAPHS for s in p.split(". ") if s.strip()]


def _neutral_sentences() -> list[str]:
    """Demo sentences with no Cuba-side term of the default query: pages made of them (and
    "russia" added) cannot match it."""
    from monitor.query import DEFAULT_QUERY
    from monitor.query.precheck import PreCheck

    check = PreCheck.compile(DEFAULT_QUERY)
    return [s for s in SENTENCES if not check.may_match("russia moscow " + s)]


NEUTRAL = _neutral_sentences()
NEUTRAL_WORDS = " ".join(NEUTRAL).split()


def _title(i: int) -> str:
    source = ARTICLES[i % len(ARTICLES)]
    return f"{source.title} ({i})"


def matches(i: int, share: float) -> bool:
    """Whether page ``i`` is one of the matching pages (evenly spread) at ``share``."""
    return share >= 1 or int(i * share) != int((i + 1) * share) if share > 0 else False


def page_html(i: int, base: str, matching: bool = True) -> bytes:
    """Article ``i``: 60–120 KB of HTML, deterministic; ``matching=False``: the same shape with
    text that cannot match the default query (no Cuba-side term anywhere on the page)."""
    rng = random.Random(i)
    article = ARTICLES[i % len(ARTICLES)]
    # Distinct text per page: the story's lead plus sentences drawn from every demo story.
    sentences, words = (SENTENCES, WORDS) if matching else (NEUTRAL, NEUTRAL_WORDS)
    title = _title(i) if matching else f"{' '.join(rng.sample(words, 6))} ({i})"
    body = [article.paragraphs[0] if matching else " ".join(rng.sample(sentences, 3))]
    for _ in range(6):
        body.append(" ".join(rng.sample(sentences, 4)) + f" ({i}-{len(body)})")
    target = rng.randint(60_000, 120_000)
    nav = "".join(f'<li><a href="{base}/section/{k}/">Section {k}</a></li>' for k in range(60))
    related = "".join(
        f'<li><a href="{base}/a/{(i + k) % 9973}/">'
        f"{escape(_title(i + k) if matching else ' '.join(rng.sample(words, 7)))}</a></li>"
        for k in range(1, 25)
    )
    comments = "".join(
        f'<li class="comment"><b>reader{k}</b><p>{" ".join(rng.sample(words, 25))}</p></li>'
        for k in range(12)
    )
    text = "".join(f"<p>{escape(p)}</p>" for p in body)
    published = (NOW - timedelta(minutes=i)).isoformat()
    head = (
        f'<!DOCTYPE html><html lang="{article.language}"><head><meta charset="utf-8">'
        f'<title>{escape(title)}</title><link rel="canonical" href="{base}/a/{i}/">'
        f'<meta property="article:published_time" content="{published}">'
        "</head><body>"
    )
    main = (
        f"<header><nav><ul>{nav}</ul></nav></header><main><article><h1>{escape(title)}</h1>"
        f'<p class="byline">By {escape(article.author)}</p><div class="entry-content">{text}</div>'
        f'</article><section id="comments"><h2>Comments</h2><ol>{comments}</ol></section></main>'
        f'<aside class="sidebar"><h3>Related</h3><ul>{related}</ul></aside>'
    )
    # Fill to the target size with realistic, DOM-heavy chrome: teaser grids, widgets, menus.
    chrome: list[str] = []
    size = len(head) + len(main)
    k = 0
    while size < target - 400:
        words = " ".join(rng.sample(NEUTRAL_WORDS if not matching else WORDS, 18))
        block = (
            f'<div class="teaser card-{k % 7}"><a href="{base}/a/{(i * 7 + k) % 9973}/">'
            f'<img src="{base}/img/{k}.jpg" alt="" loading="lazy"><h4>{escape(words[:60])}</h4></a>'
            f'<p class="dek">{escape(words)}</p><span class="meta">{k} min read</span></div>'
        )
        if k % 9 == 0:
            push = f'{{"slot":"ad-{k}","pos":{k},"kw":"{words[:40]}"}}'
            block += f"<script>dataLayer.push({push});</script>"
        chrome.append(block)
        size += len(block)
        k += 1
    script = '<section class="more-news">' + "".join(chrome) + "</section>"
    return (head + main + script + "<footer>© Bench Times</footer></body></html>").encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    pages = 0
    base = ""
    folder: Path | None = None  # pages pre-generated to disk: serving costs little CPU and
    # the bench process stays small (a forked child's peak RSS counts the parent's pages)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/robots.txt":
            self._send(b"User-agent: *\nAllow: /\n", "text/plain")
        elif path == "/feed.xml":
            self._send(self._feed(), "application/rss+xml; charset=utf-8")
        elif path == "/sitemap.xml":
            self._send(self._sitemap(), "application/xml")
        elif path.startswith("/a/"):
            number = int(path.strip("/").split("/")[1])
            cached = self.folder / f"{number}.html" if self.folder else None
            if cached is not None and cached.exists():
                body = cached.read_bytes()
            else:
                body = page_html(number, self.base)
            self._send(body, "text/html; charset=utf-8")
        else:
            self._send(b"not found", "text/plain", 404)

    def _feed(self) -> bytes:
        items = "".join(
            f"<item><title>{escape(_title(i))}</title><link>{self.base}/a/{i}/</link>"
            f"<pubDate>{format_datetime(NOW - timedelta(minutes=i))}</pubDate></item>"
            for i in range(0, self.pages, 2)
        )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>{items}'
            "</channel></rss>"
        ).encode()

    def _sitemap(self) -> bytes:
        urls = "".join(
            f"<url><loc>{self.base}/a/{i}/</loc><lastmod>{(NOW - timedelta(minutes=i)).isoformat()}"
            "</lastmod></url>"
            for i in range(1, self.pages, 2)
        )
        return (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>"
        ).encode()


def serve(
    pages: int, folder: Path | None = None, share: float = 1.0
) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer((ADDRESS, 0), _Handler)
    server.daemon_threads = True
    base = f"http://{ADDRESS}:{server.server_address[1]}"
    _Handler.pages, _Handler.base, _Handler.folder = pages, base, folder
    if folder is not None:
        for i in range(pages):
            (folder / f"{i}.html").write_bytes(page_html(i, base, matches(i, share)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, base


def extraction_rate(base: str, sample: int) -> tuple[float, float]:
    """Pages/s of ``clean_page`` alone and of ``analyze_page`` (clean + match + fingerprint),
    one process, on a sample of the same pages (after a warm-up)."""
    from monitor.extract import clean_page
    from monitor.processing import FetchedPage, analyze_page
    from monitor.query import DEFAULT_QUERY

    pages = [(page_html(i, base), f"{base}/a/{i}/") for i in range(sample)]
    for body, url in pages[:20]:  # warm up imports, regexes and caches
        analyze_page(FetchedPage(url=url, body=body, source_name="bench"), DEFAULT_QUERY)
    started = time.process_time()
    for body, url in pages:
        clean_page(body, url, content_type="text/html; charset=utf-8")
    clean_rate = len(pages) / (time.process_time() - started)
    started = time.process_time()
    for body, url in pages:
        page = FetchedPage(url=url, body=body, source_name="bench", content_type="text/html")
        analyze_page(page, DEFAULT_QUERY)
    return clean_rate, len(pages) / (time.process_time() - started)


def crawl(base: str, pages: int, workers: int, folder: Path) -> dict[str, Any]:
    from monitor.db.engine import Database
    from monitor.db.migrate import upgrade

    db_url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(Database(db_url))
    config = folder / "bench.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n\n[crawl]\nautothrottle = false\nlookback_days = 30\n'
        "per_domain_concurrency = 16\nconcurrent_requests = 32\n"
        f"max_pages_per_source = {pages + 10}\n"
        f"extract_workers = {workers}\ndownload_timeout = 60\n\n"
        f'[[sources]]\nname = "bench"\nfeeds = ["{base}/feed.xml"]\n'
        f'sitemaps = ["{base}/sitemap.xml"]\n'
        "allow_private = true\n",
        encoding="utf-8",
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.crawl",
            "--config",
            str(config),
            "--json",
            "--log-level",
            "WARNING",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")},
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"crawl failed: {done.stderr[-2000:]}")
    summary = next(json.loads(line) for line in done.stdout.splitlines() if '"summary"' in line)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    found = summary["counts"].get("articles_found", 0)
    return {
        "pages": found,
        "wall_seconds": round(wall, 2),
        "pages_per_second": round(found / wall, 2),
        "steady_pages_per_second": _steady_rate(db_url),
        "cpu_seconds_per_page": round(cpu / max(found, 1), 4),
        "peak_rss_mb": round(after.ru_maxrss / 1024, 1),
        "status": summary["status"],
        "counts": summary["counts"],
    }


def _steady_rate(db_url: str) -> float | None:
    """Pages/s between the first and the last page recorded (start-up and the feed and sitemap
    excluded): the crawl's rate once pages flow, beside the end-to-end rate."""
    from sqlalchemy import func, select

    from monitor.db.engine import Database
    from monitor.db.models import SeenUrl

    db = Database(db_url)
    try:
        with db.session() as session:
            first, last, count = session.execute(
                select(
                    func.min(SeenUrl.first_seen_at),
                    func.max(SeenUrl.first_seen_at),
                    func.count(),
                ).where(SeenUrl.url.like("%/a/%"))
            ).one()
    finally:
        db.dispose()
    if not first or not last or count < 2 or last <= first:
        return None
    return round((count - 1) / (last - first).total_seconds(), 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--workers", type=int, default=0, help="extract workers (0: CPU count)")
    parser.add_argument(
        "--match-share", type=float, default=0.1,
        help="also crawl a mix where this share of pages match (1: skip the mix)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="crawl-bench-") as folder:
        pages_dir = Path(folder) / "pages"
        pages_dir.mkdir()
        server, base = serve(args.pages, pages_dir)
        try:
            result = crawl(base, args.pages, args.workers, Path(folder))
            single, analyze = extraction_rate(base, args.sample)
        finally:
            server.shutdown()
    mix: dict[str, Any] | None = None
    if args.match_share < 1:
        with tempfile.TemporaryDirectory(prefix="crawl-bench-mix-") as folder:
            pages_dir = Path(folder) / "pages"
            pages_dir.mkdir()
            server, base = serve(args.pages, pages_dir, args.match_share)
            try:
                mix = crawl(base, args.pages, args.workers, Path(folder))
            finally:
                server.shutdown()
        mix["match_share"] = args.match_share
        mix["ratio_vs_all_matching"] = round(
            mix["pages_per_second"] / result["pages_per_second"], 2
        )
        if mix["steady_pages_per_second"] and result["steady_pages_per_second"]:
            mix["steady_ratio_vs_all_matching"] = round(
                mix["steady_pages_per_second"] / result["steady_pages_per_second"], 2
            )
        result["mix"] = mix
    result["extraction_only_pages_per_second"] = round(single, 2)
    result["analyze_only_pages_per_second"] = round(analyze, 2)
    result["ratio_end_to_end_vs_extraction"] = round(result["pages_per_second"] / single, 2)
    if result["steady_pages_per_second"]:
        result["steady_ratio_vs_extraction"] = round(result["steady_pages_per_second"] / single, 2)
    result["cpus"] = os.cpu_count()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"pages crawled           {result['pages']} ({result['status']})")
        print(
            f"end-to-end              {result['pages_per_second']} pages/s "
            f"({result['wall_seconds']} s wall; {result['steady_pages_per_second']} pages/s "
            "from the first page stored to the last)"
        )
        print(f"CPU per page            {result['cpu_seconds_per_page']} s (children included)")
        print(f"peak RSS                {result['peak_rss_mb']} MB")
        print(f"extraction only (1 CPU) {result['extraction_only_pages_per_second']} pages/s")
        print(
            f"analyze_page (1 CPU)    {result['analyze_only_pages_per_second']} pages/s"
            " (clean + match + fingerprint + MinHash)"
        )
        print(
            f"ratio                   {result['ratio_end_to_end_vs_extraction']}x "
            f"(target >= 1.4x on {result['cpus']} CPUs; "
            f"{result.get('steady_ratio_vs_extraction')}x first to last page)"
        )
        _print_outcomes(result["counts"])
        if mix is not None:
            share = f"{mix['match_share']:.0%}"
            print(
                f"mix, {share} matching      {mix['pages_per_second']} pages/s "
                f"({mix['pages']} pages in {mix['wall_seconds']} s, "
                f"{mix['cpu_seconds_per_page']} s CPU/page)"
            )
            print(
                f"ratio mix / all-matching {mix['ratio_vs_all_matching']}x (target >= 3x at 10 %; "
                f"{mix.get('steady_ratio_vs_all_matching')}x first to last page, "
                f"{mix['steady_pages_per_second']} pages/s)"
            )
            _print_outcomes(mix["counts"], dropped=True)
    return 0


def _print_outcomes(counts: dict[str, Any], *, dropped: bool = False) -> None:
    keys = ["new", "syndicated", "duplicate", "not_matching", "skipped"]
    if dropped:
        keys.append("dropped_precheck")
    print("outcomes                " + ", ".join(f"{k}={counts.get(k, 0)}" for k in keys))


if __name__ == "__main__":
    sys.exit(main())

"""CPU per poll of an unchanged source in a warm crawl worker; scale-out and crash safety.

``python bench/worker_bench.py [--sources 1000] [--concurrent-polls 50]``: a local web serves one
feed per source (an ETag, answering 304 to a matching ``If-None-Match``; one entry older than the
look-back window, so no article is fetched). One ``python -m monitor.crawl.worker`` process
polls every source once (warm-up: first fetch, validators stored), then every source again; the
second round's CPU time of the worker process (user + system, from /proc) divided by the number
of polls is the figure. Target: ≤ 30 ms per poll (one process per poll costs about 4,000 ms).

``--workers 2``: the same on PostgreSQL + Redis with one worker, then with two (polls/s of the
unchanged round, and the ratio). ``--articles K``: a third round in which every feed lists K new
article pages; each published article must end up stored exactly once (counted from the
database: lost = published and in neither ``articles`` nor ``seen_urls``, duplicated = an URL
with more than one article row). ``--kill``: in the two-worker run, one worker is ``kill -9``ed
once half of that round's polls are done; the bench then does what the scheduler does at every
heartbeat (re-queue the dead worker's polls, re-send lost messages) until the round is done.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.demo.articles import ARTICLES  # noqa: E402

SENTENCES = [s.strip() + "." for a in ARTICLES for p in a.paragraphs for s in p.split(". ")]

FEED = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed {n}</title>'
    "<link>http://127.0.0.1/</link><description>d</description>{items}<item><title>Old item {n}"
    "</title><link>http://127.0.0.1:{port}/old/{n}.html</link>"
    "<pubDate>Mon, 03 Jan 2000 10:00:00 GMT</pubDate></item></channel></rss>"
)
ITEM = "<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate></item>"


def article_path(n: int, k: int) -> str:
    return f"/a/{n}-{k}.html"


def article_title(n: int, k: int) -> str:
    return f"{ARTICLES[(n + k) % len(ARTICLES)].title} (report {n}-{k})"


def article_html(n: int, k: int) -> bytes:
    """Article ``k`` of source ``n``: demo sentences drawn by a seeded generator, so every
    page is its own story (no two share a fingerprint or most of their shingles)."""
    rng = random.Random(n * 1000 + k)
    paragraphs = [" ".join(rng.sample(SENTENCES, 4)) for _ in range(7)]
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    title = escape(article_title(n, k))
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title></head>"
        f"<body><nav><a href=/>Home</a> <a href=/world>World</a></nav><article><h1>{title}</h1>"
        f"{body}</article><footer>Local bench site</footer></body></html>"
    ).encode()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed worker's sockets
            super().handle_error(request, client_address)


class Web:
    def __init__(self, delay: float = 0.0) -> None:
        web = self
        self.delay = delay
        self.counts = {"200": 0, "304": 0}
        self.articles = 0  # new article pages each feed lists (the --articles round)
        self.article_fetches: dict[str, int] = {}
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                web.handle(self)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path
        if self.delay:
            time.sleep(self.delay)  # a latency-bound web: every response waits
        if path == "/robots.txt":
            body = b"User-agent: *\nAllow: /\n"
            etag = '"robots"'
        elif path.startswith("/a/"):
            n, _, k = path.removeprefix("/a/").removesuffix(".html").partition("-")
            with self.lock:
                self.article_fetches[path] = self.article_fetches.get(path, 0) + 1
            body = article_html(int(n), int(k))
            etag = f'"{path}"'
        else:
            n = path.strip("/").removeprefix("feed-").removesuffix(".xml")
            items = "".join(
                ITEM.format(
                    title=escape(article_title(int(n), k)),
                    link=f"http://127.0.0.1:{self.port}{article_path(int(n), k)}",
                    date=format_datetime(datetime.now(UTC) - timedelta(minutes=k + 1)),
                )
                for k in range(self.articles)
            )
            body = FEED.format(n=n, port=self.port, items=items).encode()
            etag = f'"feed-{n}-v{1 + self.articles}"'
        if request.headers.get("If-None-Match") == etag:
            with self.lock:
                self.counts["304"] += 1
            request.send_response(304)
            request.send_header("ETag", etag)
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        with self.lock:
            self.counts["200"] += 1
        request.send_response(200)
        kind = "application/rss+xml" if "feed" in path else "text/plain"
        request.send_header("Content-Type", "text/html" if path.startswith("/a/") else kind)
        request.send_header("ETag", etag)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_database(name: str) -> str:
    """A fresh PostgreSQL database on the local server (trust auth); its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://{POSTGRES.removeprefix('postgresql://')}/{name}"


def _drop_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--concurrent-polls", type=int, default=50)
    parser.add_argument("--profile", help="write the worker's cProfile stats (all threads) here")
    parser.add_argument(
        "--workers", type=int, default=0,
        help="distributed: run 1 worker, then this many, on PostgreSQL + Redis; print the speed-up",
    )  # fmt: skip
    parser.add_argument("--delay-ms", type=int, default=0, help="every response waits this long")
    parser.add_argument(
        "--articles", type=int, default=0,
        help="a third round: every feed lists this many new articles; count lost and duplicated",
    )  # fmt: skip
    parser.add_argument(
        "--kill", action="store_true",
        help="with --workers and --articles: kill -9 one worker halfway through the third round",
    )  # fmt: skip
    args = parser.parse_args()
    if args.workers:
        one = run_bench(args, workers=1)
        many = run_bench(args, workers=args.workers)
        print(
            f"distributed, {args.delay_ms} ms per response, {args.concurrent_polls} polls per "
            f"worker: 1 worker {one.polls_per_second:.1f} polls/s, {args.workers} workers "
            f"{many.polls_per_second:.1f} polls/s: "
            f"{many.polls_per_second / one.polls_per_second:.2f}x (target >= 1.8x for 2)"
        )
        for label, result in (("1 worker", one), (f"{args.workers} workers", many)):
            if result.articles is not None:
                print(f"articles, {label}: {result.articles}")
        return 0
    run_bench(args, workers=0)
    return 0


@dataclass
class ArticleRound:
    published: int
    stored: int
    lost: int
    duplicated: int
    fetched_again: int  # article pages fetched more than once (a killed poll's pages, re-polled)
    killed: bool
    requeued: int  # polls the sweep re-queued or re-sent
    seconds: float

    def __str__(self) -> str:
        kill = ", one worker kill -9ed halfway" if self.killed else ""
        return (
            f"{self.published} published, {self.stored} stored, {self.lost} lost, "
            f"{self.duplicated} duplicated, {self.fetched_again} fetched twice, "
            f"{self.requeued} poll(s) re-queued{kill}, {self.seconds:.1f} s"
        )


@dataclass
class BenchResult:
    polls_per_second: float
    articles: ArticleRound | None = None


def run_bench(args: argparse.Namespace, *, workers: int) -> BenchResult:
    """Two rounds of one poll per source; the second round's polls/s. ``workers=0``: one
    embedded worker on SQLite (CPU per poll printed); else that many on PostgreSQL + Redis.
    With ``--articles``, a third round of new articles, counted from the database."""
    from monitor.config import load_config
    from monitor.crawl.queue import PollQueue, submit_poll, sweep_polls
    from monitor.db.engine import Database
    from monitor.db.migrate import upgrade
    from monitor.db.models import PollRequester
    from monitor.db.polls import active_polls

    web = Web(delay=args.delay_ms / 1000)
    tmp = Path(tempfile.mkdtemp(prefix="worker-bench-"))
    pg_name = f"worker_bench_{os.getpid()}_{workers}"
    url = _postgres_database(pg_name) if workers else f"sqlite:///{tmp / 'monitor.db'}"
    ttl = 10
    lines = [
        f'[database]\nurl = "{url}"\n',
        "[crawl]\nautothrottle = false\nretry_times = 0\nper_domain_concurrency = 32\n"
        "concurrent_requests = 32\nobey_robots = false\n",
        f"[worker]\nconcurrent_polls = {args.concurrent_polls}\nmax_polls = 1000000\n",
        f"[daemon]\nlease_ttl_seconds = {ttl}\nheartbeat_seconds = 2\n",
        '[logging]\nlevel = "WARNING"\n',
    ]
    if workers:
        lines.append(
            f'[queue]\nurl = "redis://127.0.0.1:6379/14"\nstream = "bench:{pg_name}"\n'
            f'group = "bench"\n'
        )
    for n in range(args.sources):
        lines.append(
            f'[[sources]]\nname = "s{n}"\nfeeds = ["http://127.0.0.1:{web.port}/feed-{n}.xml"]\n'
            "allow_private = true\n"
        )
    config_path = tmp / "monitor.toml"
    config_path.write_text("\n".join(lines), encoding="utf-8")
    db = Database(url)
    upgrade(db)
    queue = PollQueue.from_config(load_config(config_path))
    command = [sys.executable, "-m", "monitor.crawl.worker"]
    if args.profile:
        command = [sys.executable, str(ROOT / "bench" / "profile_worker.py"), args.profile, "--"]
    procs = [
        subprocess.Popen(
            [*command, "--config", str(config_path), "--log-level", "WARNING"],
            cwd=ROOT,
            stderr=(tmp / f"worker-{i}.log").open("wb"),
        )
        for i in range(max(1, workers))
    ]
    requeued: list[int] = []

    def sweep() -> None:
        """What the scheduler does at every heartbeat."""
        again, resent = sweep_polls(db, queue, ttl)
        requeued.extend(again + resent)

    def one_round(kill_at: int | None = None) -> tuple[float, float]:
        before, clock = sum(cpu_seconds(p.pid) for p in procs), time.monotonic()
        for n in range(args.sources):
            submit_poll(db, queue, f"s{n}", PollRequester.CLI)
        while active := len(active_polls(db)):
            if kill_at is not None and args.sources - active >= kill_at:
                os.kill(procs[0].pid, signal.SIGKILL)  # mid-round, polls in hand
                procs[0].wait()
                kill_at = None
            if any(p.poll() is not None for p in procs if p is not procs[0] or not killed):
                raise SystemExit(f"a worker died; see {tmp}")
            if killed:
                sweep()
            time.sleep(0.2)
        alive = [p for p in procs if p.poll() is None]
        return sum(cpu_seconds(p.pid) for p in alive) - before, time.monotonic() - clock

    killed = False
    articles: ArticleRound | None = None
    try:
        warm_cpu, warm_wall = one_round()
        cpu, wall = one_round()
        if args.articles:
            web.articles = args.articles
            killed = bool(args.kill and workers >= 2)
            _cpu, article_wall = one_round(kill_at=args.sources // 2 if killed else None)
            articles = _count_articles(db, web, args, killed, len(requeued), article_wall)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            proc.wait(60)
        if queue is not None:
            queue.redis.delete(queue.stream)
            queue.close()
        db.dispose()
        if workers:
            _drop_postgres_database(pg_name)
    polls = args.sources
    label = f"{workers} worker(s), PostgreSQL + Redis" if workers else "1 worker, SQLite"
    print(
        f"sources: {polls}, concurrent polls per worker: {args.concurrent_polls}, {label}",
        flush=True,
    )
    print(f"first round (cold, 200s):   {warm_cpu / polls * 1000:7.1f} ms CPU/poll, "
          f"{polls / warm_wall:6.1f} polls/s")  # fmt: skip
    print(f"second round (unchanged):   {cpu / polls * 1000:7.1f} ms CPU/poll, "
          f"{polls / wall:6.1f} polls/s  (target <= 30 ms)")  # fmt: skip
    if articles is not None:
        print(f"third round (new articles): {articles}", flush=True)
    print(f"responses: {web.counts}", flush=True)
    web.server.shutdown()
    return BenchResult(polls / wall, articles)


def _count_articles(
    db: Any, web: Web, args: argparse.Namespace, killed: bool, requeued: int, seconds: float
) -> ArticleRound:
    """Every published article page's fate, from the database."""
    from sqlalchemy import func, select

    from monitor.db.models import Article, SeenUrl

    published = {
        f"http://127.0.0.1:{web.port}{article_path(n, k)}"
        for n in range(args.sources)
        for k in range(args.articles)
    }
    with db.session() as session:
        rows = session.execute(select(Article.url, func.count()).group_by(Article.url)).all()
        seen = set(session.scalars(select(SeenUrl.url)))
    stored = {url for url, _count in rows}
    return ArticleRound(
        published=len(published),
        stored=len(stored & published),
        lost=len(published - stored - seen),
        duplicated=sum(1 for _url, count in rows if count > 1),
        fetched_again=sum(1 for count in web.article_fetches.values() if count > 1),
        killed=killed,
        requeued=requeued,
        seconds=seconds,
    )


if __name__ == "__main__":
    sys.exit(main())

"""CPU per poll of an unchanged source in a warm crawl worker.

``python bench/worker_bench.py [--sources 1000] [--concurrent-polls 50]``: a local web serves one
feed per source (an ETag, answering 304 to a matching ``If-None-Match``; one entry older than the
look-back window, so no article is fetched). One ``python -m monitor.crawl.worker`` process
polls every source once (warm-up: first fetch, validators stored), then every source again; the
second round's CPU time of the worker process (user + system, from /proc) divided by the number
of polls is the figure. Target: ≤ 30 ms per poll (one process per poll costs about 4,000 ms).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FEED = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed {n}</title>'
    "<link>http://127.0.0.1/</link><description>d</description><item><title>Old item {n}</title>"
    "<link>http://127.0.0.1:{port}/old/{n}.html</link>"
    "<pubDate>Mon, 03 Jan 2000 10:00:00 GMT</pubDate></item></channel></rss>"
)


class Web:
    def __init__(self, delay: float = 0.0) -> None:
        web = self
        self.delay = delay
        self.counts = {"200": 0, "304": 0}
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                web.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
        else:
            n = path.strip("/").removeprefix("feed-").removesuffix(".xml")
            body = FEED.format(n=n, port=self.port).encode()
            etag = f'"feed-{n}-v1"'
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
        request.send_header(
            "Content-Type", "application/rss+xml" if "feed" in path else "text/plain"
        )
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
    args = parser.parse_args()
    if args.workers:
        one = run_bench(args, workers=1)
        many = run_bench(args, workers=args.workers)
        print(
            f"distributed, {args.delay_ms} ms per response, {args.concurrent_polls} polls per "
            f"worker: 1 worker {one:.1f} polls/s, {args.workers} workers {many:.1f} polls/s: "
            f"{many / one:.2f}x (target >= 1.8x for 2)"
        )
        return 0
    run_bench(args, workers=0)
    return 0


def run_bench(args: argparse.Namespace, *, workers: int) -> float:
    """Two rounds of one poll per source; the second round's polls/s. ``workers=0``: one
    embedded worker on SQLite (CPU per poll printed); else that many on PostgreSQL + Redis."""
    from monitor.config import load_config
    from monitor.crawl.queue import PollQueue, submit_poll
    from monitor.db.engine import Database
    from monitor.db.migrate import upgrade
    from monitor.db.models import PollRequester
    from monitor.db.polls import active_polls

    web = Web(delay=args.delay_ms / 1000)
    tmp = Path(tempfile.mkdtemp(prefix="worker-bench-"))
    pg_name = f"worker_bench_{os.getpid()}_{workers}"
    url = _postgres_database(pg_name) if workers else f"sqlite:///{tmp / 'monitor.db'}"
    lines = [
        f'[database]\nurl = "{url}"\n',
        "[crawl]\nautothrottle = false\nretry_times = 0\nper_domain_concurrency = 32\n"
        "concurrent_requests = 32\nobey_robots = false\n",
        f"[worker]\nconcurrent_polls = {args.concurrent_polls}\nmax_polls = 1000000\n",
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

    def one_round() -> tuple[float, float]:
        before, clock = sum(cpu_seconds(p.pid) for p in procs), time.monotonic()
        for n in range(args.sources):
            submit_poll(db, queue, f"s{n}", PollRequester.CLI)
        while active_polls(db):
            if any(p.poll() is not None for p in procs):
                raise SystemExit(f"a worker died; see {tmp}")
            time.sleep(0.2)
        return sum(cpu_seconds(p.pid) for p in procs) - before, time.monotonic() - clock

    try:
        warm_cpu, warm_wall = one_round()
        cpu, wall = one_round()
    finally:
        for proc in procs:
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
    print(f"sources: {polls}, concurrent polls per worker: {args.concurrent_polls}, {label}")
    print(f"first round (cold, 200s):   {warm_cpu / polls * 1000:7.1f} ms CPU/poll, "
          f"{polls / warm_wall:6.1f} polls/s")  # fmt: skip
    print(f"second round (unchanged):   {cpu / polls * 1000:7.1f} ms CPU/poll, "
          f"{polls / wall:6.1f} polls/s  (target <= 30 ms)")  # fmt: skip
    print(f"responses: {web.counts}", flush=True)
    web.server.shutdown()
    return polls / wall


if __name__ == "__main__":
    sys.exit(main())

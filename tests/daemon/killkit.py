"""What the daemon kill tests share: the local news site (articles published while the daemon
runs), the local SMTP mailbox, the kill moment (``SOAK_SEED`` under ``make soak``) and kill -9.
The fixtures built on them (``site``, ``sites``, ``mailbox``) are in ``conftest.py``."""

from __future__ import annotations

import contextlib
import email
import os
import random
import signal
import socket
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = 12
# How many article pages a crawl fetched when the kill tests strike: 2 in `make test`; `make soak`
# repeats them with a random moment each time (SOAK_SEED), from the first page to the third last.
KILL_AFTER = (
    random.Random(int(os.environ["SOAK_SEED"])).randint(1, ARTICLES - 3)
    if os.environ.get("SOAK_SEED")
    else 2
)
ARTICLE_DELAY = 0.4

_WORDS = [
    "delegation",
    "minister",
    "agreement",
    "oil",
    "tanker",
    "shipment",
    "credit",
    "rouble",
    "embassy",
    "visit",
    "harbour",
    "sugar",
    "nickel",
    "railway",
    "tourism",
    "sanctions",
    "wheat",
    "exports",
    "energy",
    "grid",
    "bank",
    "loan",
    "treaty",
    "military",
    "training",
    "cooperation",
    "debt",
    "rescheduling",
    "satellite",
    "station",
    "investment",
    "factory",
    "engineers",
    "students",
    "scholarship",
    "vaccine",
    "hospital",
    "refinery",
    "power",
    "plant",
    "blackout",
    "fuel",
    "shortage",
    "island",
    "port",
    "tourists",
    "flights",
    "airline",
    "charter",
    "summit",
    "declaration",
    "memorandum",
    "partnership",
    "trade",
]


def article_text(i: int) -> tuple[str, list[str]]:
    """A distinct, matching article: its title and paragraphs."""
    rng = random.Random(i)
    title = f"Report {i}: Russia and Cuba sign {rng.choice(_WORDS)} {rng.choice(_WORDS)} deal"
    paragraphs = [
        f"HAVANA — Russian and Cuban officials met on Monday in Havana to discuss item {i}, "
        f"a new {rng.choice(_WORDS)} arrangement between Moscow and the island."
    ]
    for _ in range(7):
        words = [rng.choice(_WORDS) for _ in range(45)]
        paragraphs.append(
            "The Kremlin said " + " ".join(words) + f", according to Cuban state media ({i})."
        )
    return title, paragraphs


class NewsSite:
    """A slow local news site: an RSS feed and ARTICLES article pages."""

    def __init__(self, offset: int = 0) -> None:
        self.offset = offset  # article i carries the text of article_text(i + offset)
        self.served: Counter[str] = Counter()
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                site.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.published = datetime.now(UTC) - timedelta(hours=1)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, i: int) -> str:
        return f"{self.base}/news/article-{i}.html"

    def article_fetches(self) -> int:
        with self.lock:
            return sum(n for path, n in self.served.items() if path.startswith("/news/"))

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?")[0]
        with self.lock:
            self.served[path] += 1
        if path == "/robots.txt":
            self._send(request, "text/plain", "User-agent: *\nAllow: /\n")
        elif path == "/feed.xml":
            self._send(request, "application/rss+xml", self.feed())
        elif path.startswith("/news/article-") and path.endswith(".html"):
            i = int(path.removeprefix("/news/article-").removesuffix(".html"))
            time.sleep(ARTICLE_DELAY)
            self._send(request, "text/html; charset=utf-8", self.article(i))
        else:
            request.send_response(404)
            request.end_headers()

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, ctype: str, body: str) -> None:
        data = body.encode("utf-8")
        request.send_response(200)
        request.send_header("Content-Type", ctype)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        with contextlib.suppress(OSError):  # the crawler was killed mid-response
            request.wfile.write(data)

    def feed(self) -> str:
        items = "".join(
            f"<item><title>{article_text(i + self.offset)[0]}</title><link>{self.url(i)}</link>"
            f"<guid>{self.url(i)}</guid>"
            f"<pubDate>{format_datetime(self.published - timedelta(minutes=i))}</pubDate></item>"
            for i in range(ARTICLES)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Local news</title><link>{self.base}/</link><description>d</description>"
            f"{items}</channel></rss>"
        )

    def article(self, i: int) -> str:
        title, paragraphs = article_text(i + self.offset)
        when = (self.published - timedelta(minutes=i)).isoformat()
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        return (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<link rel="canonical" href="{self.url(i)}">'
            f'<meta property="og:title" content="{title}">'
            f'<meta property="article:published_time" content="{when}"></head><body>'
            f'<nav><a href="/">Home</a></nav><article><h1>{title}</h1>'
            f'<time datetime="{when}">{when}</time>{body}</article>'
            "<footer>Local news, all rights reserved</footer></body></html>"
        )


class Mailbox:
    """A local aiosmtpd server that keeps every message it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Message] = []
        mailbox = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                mailbox.messages.append(email.message_from_bytes(envelope.content))
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)


def kill(pid: int) -> None:
    """SIGKILL ``pid`` if it still exists (what the OOM killer or a power cut does)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)

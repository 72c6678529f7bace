"""robots.txt by RFC 9309 in a real Scrapy crawl: 5xx disallows all, 4xx allows all."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from tests.faults.conftest import ScriptedServer
from tests.faults.helpers import ROOT

_CRAWL = """
import sys
import scrapy
from scrapy.crawler import CrawlerProcess
from monitor.crawl.settings import DOWNLOADER_MIDDLEWARES

class One(scrapy.Spider):
    name = "one"
    start_urls = sys.argv[1:]

    def parse(self, response):
        yield {"url": response.url}

process = CrawlerProcess({
    "ROBOTSTXT_OBEY": True,
    "RETRY_ENABLED": False,
    "LOG_LEVEL": "ERROR",
    "TELNETCONSOLE_ENABLED": False,
    "DOWNLOADER_MIDDLEWARES": {
        k: v for k, v in DOWNLOADER_MIDDLEWARES.items() if "robots" in k.lower()
    },
})
process.crawl(One)
process.start()
"""

Make = Callable[[str], ScriptedServer]


def _crawl(*servers: ScriptedServer) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _CRAWL, *(server.url("/feed.xml") for server in servers)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_robots_status_decides(scripted_server: Make) -> None:
    """One crawl over five hosts: 503 and 500 disallow all, 404 and 403 allow all, and a 200
    robots.txt's own rules still apply."""
    expected = {503: False, 500: False, 404: True, 403: True, 200: False}
    servers = {}
    for n, status in enumerate(expected):
        server = scripted_server(f"127.0.0.{10 + n}")
        body = b"User-agent: *\nDisallow: /feed\n" if status == 200 else b"<h1>Error</h1>"
        # the error pages say nothing about robots: only the status may decide
        server.routes["/robots.txt"] = (status, {"Content-Type": "text/html"}, body)
        server.routes["/feed.xml"] = (200, {"Content-Type": "text/plain"}, b"ok")
        servers[status] = server
    _crawl(*servers.values())
    for status, server in servers.items():
        assert server.hits[:1] == ["/robots.txt"], (status, server.hits)
        assert ("/feed.xml" in server.hits) is expected[status], (status, server.hits)

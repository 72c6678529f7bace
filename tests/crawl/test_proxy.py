"""``[crawl] proxy``: a crawl's requests go through a real forward proxy on loopback, with the
credentials from the environment, and the SSRF guard still refuses non-public targets."""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from monitor.config import ConfigError, config_from_dict
from monitor.crawl.middlewares import _vet_name
from monitor.netsafety import FetchPolicy
from tests.sites.fixtures import REPO, CrawlEnv

SITE_ADDRESS = "127.0.0.8"  # marked public by [crawl] public_networks
PROXY_ADDRESS = "127.0.0.9"
PRIVATE_ADDRESS = "127.0.0.3"  # not marked public: the guard must refuse it
USER, PASSWORD = "monitor", "s3cr:et@proxy"


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        return


class Site:
    """A feed listing one page on the site, one on a private address and one on localhost."""

    def __init__(self) -> None:
        site = self
        self.clients: list[tuple[str, str]] = []  # (client address, path)

        class Handler(_Quiet):
            def do_GET(self) -> None:
                site.clients.append((self.client_address[0], self.path))
                body, kind = site.answer(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer((SITE_ADDRESS, 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://{SITE_ADDRESS}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str) -> tuple[bytes, str]:
        port = self.server.server_address[1]
        now = format_datetime(datetime.now(UTC))
        if path == "/feed.xml":
            links = [
                f"{self.base}/a1.html",
                f"http://{PRIVATE_ADDRESS}:{port}/secret.html",
                f"http://localhost:{port}/local.html",
            ]
            items = "".join(
                f"<item><title>Item {n}</title><link>{link}</link><pubDate>{now}</pubDate></item>"
                for n, link in enumerate(links)
            )
            feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{items}'
            return (feed + "</channel></rss>").encode(), "application/rss+xml"
        if path == "/robots.txt":
            return b"User-agent: *\nAllow: /\n", "text/plain"
        if path == "/a1.html":
            page = "<html><head><title>A page</title></head><body><p>Nothing here.</p></body>"
            return (page + "</html>").encode(), "text/html; charset=utf-8"
        return b"", "text/plain"


class ForwardProxy:
    """A tiny forward HTTP proxy: absolute-URI GETs, forwarded from its own address."""

    def __init__(self) -> None:
        proxy = self
        self.seen: list[tuple[str, str | None]] = []  # (absolute URL, Proxy-Authorization)
        self.lock = threading.Lock()

        class Handler(_Quiet):
            def do_GET(self) -> None:
                with proxy.lock:
                    proxy.seen.append((self.path, self.headers.get("Proxy-Authorization")))
                target = urlsplit(self.path)
                upstream = http.client.HTTPConnection(
                    target.hostname or "", target.port or 80, timeout=10,
                    source_address=(PROXY_ADDRESS, 0),
                )  # fmt: skip
                try:
                    upstream.request("GET", target.path or "/", headers={"Host": target.netloc})
                    answer = upstream.getresponse()
                    body = answer.read()
                    status, kind = answer.status, answer.getheader("Content-Type", "text/plain")
                except OSError:
                    status, kind, body = 502, "text/plain", b"bad gateway"
                finally:
                    upstream.close()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer((PROXY_ADDRESS, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{PROXY_ADDRESS}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    yield server
    server.server.shutdown()


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    server = ForwardProxy()
    yield server
    server.server.shutdown()


def _crawl(env: CrawlEnv) -> tuple[dict[str, Any], str]:
    command = [sys.executable, "-m", "monitor.crawl", "--config", str(env.config_path)]
    command += ["--json", "--log-level", "DEBUG", "--lease-wait", "0"]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environ |= {"MONITOR_PROXY_USER": USER, "MONITOR_PROXY_PASSWORD": PASSWORD}
    done = subprocess.run(
        command, cwd=REPO, env=environ, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-4000:]
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    summary = next(e for e in events if e.get("event") == "summary")
    return summary, done.stdout + done.stderr


def test_crawl_goes_through_the_proxy_and_the_guard_still_applies(
    tmp_path: Path, site: Site, proxy: ForwardProxy
) -> None:
    env = CrawlEnv(tmp_path)
    env.write_config(
        [{"name": "proxied", "feeds": [f"{site.base}/feed.xml"]}],
        crawl={"proxy": proxy.url, "public_networks": [f"{SITE_ADDRESS}/32"]},
    )
    summary, output = _crawl(env)

    urls = [url for url, _ in proxy.seen]
    assert f"{site.base}/feed.xml" in urls
    assert f"{site.base}/a1.html" in urls
    # Every request the site answered came from the proxy's address, none from the crawler.
    assert site.clients and {client for client, _ in site.clients} == {PROXY_ADDRESS}
    # The credentials came from the environment, as Scrapy's Basic Proxy-Authorization.
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert {auth for _, auth in proxy.seen} == {expected}
    assert PASSWORD not in output
    # The guard: neither the private address nor localhost was asked for, through the proxy or not.
    assert not [u for u in urls if PRIVATE_ADDRESS in u or "localhost" in u]
    assert not [path for _, path in site.clients if "secret" in path or "local" in path]
    errors = " | ".join(summary["errors"])
    assert f"refused http://{PRIVATE_ADDRESS}" in errors
    assert "refused http://localhost" in errors
    assert summary["counts"]["refused_unsafe_url"] == 2


def test_a_source_proxy_wins_and_an_explicit_none_goes_direct() -> None:
    config = config_from_dict(
        {
            "crawl": {"proxy": "http://all.example:3128"},
            "sources": [
                {"name": "own", "feeds": ["http://a.example/f"], "proxy": "https://own.example:1"},
                {"name": "shared", "feeds": ["http://a.example/f"]},
            ],
        }
    )
    assert config.crawl.proxy_url(config.source("own")) == "https://own.example:1"
    assert config.crawl.proxy_url(config.source("shared")) == "http://all.example:3128"
    assert config_from_dict({}).crawl.proxy_url(config.source("shared")) is None


@pytest.mark.parametrize(
    ("proxy", "message"),
    [
        ("http://user:pw@proxy.example:3128", "MONITOR_PROXY_USER"),
        ("socks5://proxy.example:1080", "is not an http"),
        ("http://proxy.example:3128/path", "no path"),
    ],
)
def test_bad_proxy_urls_are_config_errors(proxy: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict({"crawl": {"proxy": proxy}})
    with pytest.raises(ConfigError, match=message):
        config_from_dict(
            {"sources": [{"name": "s", "feeds": ["http://a.example/"], "proxy": proxy}]}
        )


def test_proxy_credentials_only_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="not in the file"):
        config_from_dict({"crawl": {"proxy_password": "x"}})
    monkeypatch.setenv("MONITOR_PROXY_PASSWORD", "pw-7Q9")
    with pytest.raises(ConfigError, match="MONITOR_PROXY_USER is not"):
        config_from_dict({"crawl": {"proxy": "http://p.example:1"}})
    monkeypatch.setenv("MONITOR_PROXY_USER", "me@x")
    config = config_from_dict({"crawl": {"proxy": "http://p.example:1"}, "sources": []})
    assert "pw-7Q9" not in repr(config) + config.model_dump_json()
    source = config_from_dict({"sources": [{"name": "s", "feeds": ["http://a.example/"]}]})
    assert config.crawl.proxy_url(source.source("s")) == "http://me%40x:pw-7Q9@p.example:1"


def test_a_target_name_resolving_to_a_private_address_is_refused() -> None:
    assert "non-public address 127." in (_vet_name("localhost", FetchPolicy()) or "")
    loopback = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
    assert _vet_name("localhost", FetchPolicy(public_networks=loopback)) is None

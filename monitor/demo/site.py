"""The demo news web: several news sites and a news-search service on loopback addresses.

``start_news_web()`` starts one threaded HTTP server per host (127.0.0.2 "havana-daily",
127.0.0.3 "moscow-wire", 127.0.0.4 "caribbean-post", 127.0.0.5 "news-search"), each with a
feed, a sitemap index with a Google News sitemap and a gzipped page sitemap, paginated
listings, robots.txt (``Disallow: /private/``), ETag/Last-Modified with 304 on feeds and
sitemaps, and some broken pages (404, 500, slow, wrong charset, oversized, redirect chain,
malformed feed). Every request is recorded per host; ``publish_next()`` publishes the next
held-back article so incremental crawls can be tested. Used by ``make demo``, the tests and
the benchmark; ``python -m monitor.demo.site`` serves it until interrupted.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO
from urllib.parse import parse_qs, quote, urlsplit

from monitor.demo import templates
from monitor.demo.articles import ARTICLES, OLD_ARTICLE, DemoArticle

log = logging.getLogger(__name__)


@dataclass
class Reply:
    """An HTTP answer; ``writer`` (if set) writes the raw bytes after the status line itself."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    writer: Callable[[BinaryIO], None] | None = None


@dataclass(frozen=True)
class Hit:
    """One request a host received."""

    path: str
    headers: dict[str, str]
    status: int
    at: float = 0.0


@dataclass(frozen=True)
class Call:
    """What a route handler sees of a request."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    @property
    def target(self) -> str:
        query = "&".join(f"{k}={v}" for k, vs in self.query.items() for v in vs)
        return self.path + (f"?{query}" if query else "")


Route = Callable[[Call], Reply]

HOSTS: dict[str, tuple[str, str, str]] = {
    # name: (address, site title, template)
    "havana-daily": ("127.0.0.2", "Havana Daily", "wordpress"),
    "moscow-wire": ("127.0.0.3", "Moscow Wire", "cms"),
    "caribbean-post": ("127.0.0.4", "Caribbean Post", "amp"),
    "news-search": ("127.0.0.5", "News Search", "search"),
}
FEED_PATHS = {"havana-daily": "/feed/", "moscow-wire": "/atom.xml", "caribbean-post": "/rss.xml"}
PER_PAGE = 3


class Host:
    """One site: an address, routes and a request log."""

    def __init__(self, web: NewsWeb, name: str, address: str, title: str, template: str) -> None:
        self.web, self.name, self.address, self.title = web, name, address, title
        self.template = template
        self.routes: dict[str, Route] = {}
        self.prefix_routes: list[tuple[str, Route]] = []
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None, "host not started"
        return f"http://{self.address}:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, handler: Route, *, prefix: bool = False) -> None:
        """Add or replace a route (``prefix=True``: every path starting with ``path``)."""
        if prefix:
            self.prefix_routes = [(p, h) for p, h in self.prefix_routes if p != path]
            self.prefix_routes.append((path, handler))
        else:
            self.routes[path] = handler

    def paths(self) -> list[str]:
        """Every requested path (with query), in order."""
        with self.lock:
            return [hit.path for hit in self.hits]

    def requests_for(self, path: str) -> list[Hit]:
        with self.lock:
            return [hit for hit in self.hits if hit.path == path]

    def dispatch(self, call: Call) -> Reply:
        handler = self.routes.get(call.path)
        if handler is None:  # the longest matching prefix wins
            matches = [(p, h) for p, h in self.prefix_routes if call.path.startswith(p)]
            if matches:
                handler = max(matches, key=lambda match: len(match[0]))[1]
        if handler is None:
            return not_found()
        return handler(call)


def not_found() -> Reply:
    return Reply(
        404, b"<html><body><h1>Not found</h1></body></html>", {"Content-Type": "text/html"}
    )


def html(text: str, status: int = 200, charset: str = "utf-8") -> Reply:
    return Reply(status, text.encode(charset), {"Content-Type": f"text/html; charset={charset}"})


def conditional(call: Call, body: bytes, content_type: str, modified: datetime) -> Reply:
    """A cacheable document: ETag + Last-Modified, 304 when the client's validator matches."""
    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
    last_modified = format_datetime(modified.astimezone(UTC), usegmt=True)
    headers = {"ETag": etag, "Last-Modified": last_modified, "Content-Type": content_type}
    if call.headers.get("if-none-match") == etag:
        return Reply(304, b"", {"ETag": etag, "Last-Modified": last_modified})
    since = call.headers.get("if-modified-since")
    if since and "if-none-match" not in call.headers:
        try:
            if parsedate_to_datetime(since) >= modified.replace(microsecond=0):
                return Reply(304, b"", {"ETag": etag, "Last-Modified": last_modified})
        except (TypeError, ValueError):
            pass
    return Reply(200, body, headers)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    host: Host

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr
        return

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        call = Call(parts.path, parse_qs(parts.query, keep_blank_values=True), headers)
        try:
            reply = self.host.dispatch(call)
        except Exception as exc:  # boundary: a broken route is a 500, not a dead server
            log.exception("demo route %s failed", parts.path)
            reply = Reply(500, f"route error: {exc}".encode(), {"Content-Type": "text/plain"})
        with self.host.lock:
            self.host.hits.append(Hit(self.path, headers, reply.status, time.monotonic()))
        try:
            if reply.writer is not None:
                reply.writer(self.wfile)  # type: ignore[arg-type]
                self.close_connection = True
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD" and reply.status != 304:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class NewsWeb:
    """The whole demo web: hosts, articles, publication state."""

    def __init__(
        self,
        *,
        now: datetime | None = None,
        slow_seconds: float = 5.0,
        oversized_bytes: int = 3_000_000,
        articles: tuple[DemoArticle, ...] = ARTICLES,
        hosts: dict[str, tuple[str, str, str]] | None = None,
    ) -> None:
        self.now = now or datetime.now(UTC).replace(microsecond=0)
        self.slow_seconds = slow_seconds
        self.oversized_bytes = oversized_bytes
        self.articles = list(articles)
        self.published = {a.key for a in self.articles if a.initially_published}
        self.published_at: dict[str, datetime] = {
            a.key: self.now - timedelta(hours=a.hours_ago) for a in [*self.articles, OLD_ARTICLE]
        }
        self.lock = threading.Lock()
        self.hosts = {name: Host(self, name, *spec) for name, spec in (hosts or HOSTS).items()}
        self._threads: list[threading.Thread] = []
        self._port: int | None = None
        for host in self.hosts.values():
            if host.template == "search":
                self._search_routes(host)
            else:
                self._site_routes(host)

    # --- lifecycle --------------------------------------------------------------------------

    def start(self, port: int = 0) -> NewsWeb:
        """Bind every host (``port=0``: an ephemeral port each) and serve in daemon threads."""
        self._port = port
        for host in self.hosts.values():
            if host.server is None:
                self._serve(host, port)
        return self

    def _serve(self, host: Host, port: int) -> None:
        handler = type(f"Handler_{host.name}", (_Handler,), {"host": host})
        server = ThreadingHTTPServer((host.address, port), handler)
        server.daemon_threads = True
        host.server = server
        thread = threading.Thread(target=server.serve_forever, name=f"web-{host.name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def add_host(self, name: str, address: str, title: str = "") -> Host:
        """An extra host with no routes yet (started at once if the web is running)."""
        host = Host(self, name, address, title or name, "custom")
        self.hosts[name] = host
        if self._port is not None:
            self._serve(host, self._port)
        return host

    def stop(self) -> None:
        for host in self.hosts.values():
            if host.server is not None:
                host.server.shutdown()
                host.server.server_close()
                host.server = None
        self._threads.clear()
        self._port = None

    def __enter__(self) -> NewsWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- state ------------------------------------------------------------------------------

    def host(self, name: str) -> Host:
        return self.hosts[name]

    def publish_next(self) -> DemoArticle | None:
        """Publish the next held-back article (dated now); None when all are out."""
        with self.lock:
            for article in self.articles:
                if article.key not in self.published:
                    self.published.add(article.key)
                    self.published_at[article.key] = datetime.now(UTC).replace(microsecond=0)
                    return article
        return None

    def publish_all(self) -> None:
        while self.publish_next() is not None:
            pass

    def live(self, host: str | None = None) -> list[DemoArticle]:
        """Published articles (of one host), newest first."""
        with self.lock:
            items = [
                a
                for a in self.articles
                if a.key in self.published and (host is None or a.host == host)
            ]
        return sorted(items, key=lambda a: self.published_at[a.key], reverse=True)

    def article_path(self, article: DemoArticle) -> str:
        template = self.hosts[article.host].template
        when = self.published_at[article.key]
        if template == "wordpress":
            return f"/{when:%Y/%m/%d}/{article.slug}/"
        if template == "cms":
            number = int(hashlib.sha1(article.key.encode()).hexdigest()[:6], 16) % 900000 + 100000
            return f"/news/{article.section}/{article.slug}-{number}.html"
        return f"/{article.section}/{article.slug}/"

    def article_url(self, article: DemoArticle) -> str:
        return self.hosts[article.host].url(self.article_path(article))

    def relevant_urls(self) -> set[str]:
        """URLs of the published articles that should match the default query."""
        return {self.article_url(a) for a in self.live() if a.relevant}

    # --- site routes ------------------------------------------------------------------------

    def _site_routes(self, host: Host) -> None:
        name = host.name
        host.route("/robots.txt", lambda c: self._robots(host))
        host.route("/", lambda c: self._home(host))
        host.route(FEED_PATHS[name], lambda c: self._feed(host, c))
        host.route("/sitemap.xml", lambda c: self._sitemap_index(host, c))
        host.route("/sitemap-news.xml", lambda c: self._news_sitemap(host, c))
        host.route("/sitemap-pages.xml.gz", lambda c: self._pages_sitemap(host, c))
        host.route("/news/", lambda c: self._listing(host, c))
        host.route("/private/", lambda c: html("<p>internal</p>"), prefix=True)
        host.route("/status/404", lambda c: not_found())
        host.route("/status/500", lambda c: html("<h1>Internal Server Error</h1>", 500))
        host.route("/slow/", lambda c: self._slow(host), prefix=True)
        host.route("/charset/wrong-header/", lambda c: self._wrong_charset(host))
        host.route("/oversized/", lambda c: self._oversized(), prefix=True)
        host.route(
            "/broken-feed.xml",
            lambda c: Reply(
                200,
                b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken<item><title>x'
                b"</titl><link>http://",
                {"Content-Type": "application/rss+xml"},
            ),
        )
        for hop in range(1, 4):
            host.route(f"/go/{hop}", self._redirect_hop(host, hop))
        host.route("/", lambda c: self._article(host, c), prefix=True)

    def _robots(self, host: Host) -> Reply:
        text = (
            "User-agent: *\nDisallow: /private/\nDisallow: /login/\n\n"
            f"Sitemap: {host.url('/sitemap.xml')}\n"
        )
        return Reply(200, text.encode(), {"Content-Type": "text/plain"})

    def _items(self, host: Host) -> list[tuple[DemoArticle, str, datetime]]:
        items = [(a, self.article_url(a), self.published_at[a.key]) for a in self.live(host.name)]
        if host.name == OLD_ARTICLE.host:
            items.append(
                (
                    OLD_ARTICLE,
                    host.url(f"/archive/{OLD_ARTICLE.slug}/"),
                    self.published_at[OLD_ARTICLE.key],
                )
            )
        return items

    def _home(self, host: Host) -> Reply:
        feed = host.url(FEED_PATHS[host.name])
        kind = "application/atom+xml" if feed.endswith("atom.xml") else "application/rss+xml"
        teasers = "".join(
            f'<li><a href="{url}">{a.title}</a></li>' for a, url, _ in self._items(host)[:6]
        )
        page = (
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{host.title}</title>'
            f'<link rel="alternate" type="{kind}" title="{host.title}" href="{feed}"></head>'
            f"<body><h1>{host.title}</h1><ul>{teasers}</ul>"
            f'<a href="{host.url("/news/")}">All news</a></body></html>'
        )
        return html(page)

    def _feed(self, host: Host, call: Call) -> Reply:
        items = [(a.title, url, when, a.paragraphs[0]) for a, url, when in self._items(host)]
        modified = max((when for _, _, when, _ in items), default=self.now)
        if host.name == "moscow-wire":
            body = templates.atom_feed(site=host.title, base=host.base, items=items)
            return conditional(call, body.encode(), "application/atom+xml; charset=utf-8", modified)
        body = templates.rss_feed(site=host.title, base=host.base, items=items)
        return conditional(call, body.encode(), "application/rss+xml; charset=utf-8", modified)

    def _sitemap_index(self, host: Host, call: Call) -> Reply:
        modified = max((w for _, _, w in self._items(host)), default=self.now)
        body = templates.sitemap_index(
            [
                (host.url("/sitemap-news.xml"), modified),
                (host.url("/sitemap-pages.xml.gz"), self.now - timedelta(days=200)),
            ]
        )
        return conditional(call, body.encode(), "application/xml", modified)

    def _news_sitemap(self, host: Host, call: Call) -> Reply:
        items = [(url, a.title, when, a.language) for a, url, when in self._items(host)]
        modified = max((w for _, _, w, _ in items), default=self.now)
        body = templates.news_sitemap(items, site=host.title)
        return conditional(call, body.encode(), "application/xml", modified)

    def _pages_sitemap(self, host: Host, call: Call) -> Reply:
        old = self.now - timedelta(days=200)
        body = templates.url_sitemap([(host.url("/about/"), old), (host.url("/contact/"), old)])
        return conditional(call, gzip.compress(body.encode(), mtime=0), "application/gzip", old)

    def _listing(self, host: Host, call: Call) -> Reply:
        page = int((call.query.get("page") or ["1"])[0] or 1)
        items = self._items(host)
        chunk = items[(page - 1) * PER_PAGE : page * PER_PAGE]
        if not chunk and page > 1:
            return not_found()
        more = len(items) > page * PER_PAGE
        page_html = templates.listing_page(
            site=host.title,
            base=host.base,
            title=f"Latest news – page {page}",
            items=[(a.title, url, when) for a, url, when in chunk],
            next_url=host.url(f"/news/?page={page + 1}") if more else None,
            extra_links=[
                (
                    "Internal memo on Russia–Cuba talks",
                    host.url("/private/memo-on-russia-cuba-talks/"),
                ),
                ("Sign in", host.url("/login/")),
            ],
        )
        return html(page_html)

    def _related(self, host: Host, exclude: str) -> list[tuple[str, str]]:
        return [(a.title, self.article_path(a)) for a in self.live(host.name) if a.key != exclude][
            :4
        ]

    def _render(self, host: Host, article: DemoArticle, url: str) -> str:
        render = templates.TEMPLATES[host.template]
        published = self.published_at[article.key]
        related = self._related(host, article.key)
        return render(templates.DemoPage(article, host.title, host.base, url, published, related))

    def _article(self, host: Host, call: Call) -> Reply:
        for article in self.live(host.name):
            if self.article_path(article) == call.path:
                return html(self._render(host, article, host.url(call.path)))
        if call.path == f"/archive/{OLD_ARTICLE.slug}/" and host.name == OLD_ARTICLE.host:
            return html(self._render(host, OLD_ARTICLE, host.url(call.path)))
        return not_found()

    def _slow(self, host: Host) -> Reply:
        time.sleep(self.slow_seconds)
        return html("<html><body><p>finally</p></body></html>")

    def _wrong_charset(self, host: Host) -> Reply:
        article = next(a for a in self.articles if a.language == "ru")
        text = self._render(host, article, host.url("/charset/wrong-header/"))
        return Reply(200, text.encode("utf-8"), {"Content-Type": "text/html; charset=iso-8859-1"})

    def _oversized(self) -> Reply:
        filler = b"<p>" + b"padding text " * 80 + b"</p>\n"
        body = (
            b"<html><body>" + filler * (self.oversized_bytes // len(filler) + 1) + b"</body></html>"
        )
        return Reply(200, body, {"Content-Type": "text/html"})

    def _redirect_hop(self, host: Host, hop: int) -> Route:
        def handler(call: Call) -> Reply:
            if hop < 3:
                return Reply(301, b"", {"Location": host.url(f"/go/{hop + 1}")})
            live = self.live(host.name)
            target = self.article_url(live[0]) if live else host.url("/")
            return Reply(302, b"", {"Location": target})

        return handler

    # --- the news-search service ------------------------------------------------------------

    def _search_routes(self, host: Host) -> None:
        host.route(
            "/robots.txt",
            lambda c: Reply(200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}),
        )
        host.route("/rss/search", lambda c: self._search_rss(host, c, google=True))
        host.route("/news/search", lambda c: self._search_rss(host, c, google=False))
        host.route("/api/v2/doc/doc", lambda c: self._gdelt(host, c))
        host.route("/rss/articles/", lambda c: self._redirect_to(c, "/rss/articles/"), prefix=True)
        host.route("/news/apiclick.aspx", lambda c: self._apiclick(c))

    def _redirect_to(self, call: Call, prefix: str) -> Reply:
        key = call.path[len(prefix) :]
        for article in self.live():
            if article.key == key:
                return Reply(302, b"", {"Location": self.article_url(article)})
        return not_found()

    def _apiclick(self, call: Call) -> Reply:
        target = (call.query.get("url") or [""])[0]
        return Reply(302, b"", {"Location": target}) if target else not_found()

    def _search_rss(self, host: Host, call: Call, *, google: bool) -> Reply:
        items = []
        for article in self.live():
            if not article.relevant:
                continue
            if google:
                link = host.url(f"/rss/articles/{article.key}")
            else:
                link = host.url(
                    f"/news/apiclick.aspx?url={quote(self.article_url(article), safe='')}"
                )
            title = f"{article.title} - {self.hosts[article.host].title}"
            items.append((title, link, self.published_at[article.key], article.paragraphs[0][:200]))
        body = templates.rss_feed(site="News search", base=host.base, items=items)
        return Reply(200, body.encode(), {"Content-Type": "application/rss+xml; charset=utf-8"})

    def _gdelt(self, host: Host, call: Call) -> Reply:
        import json

        articles = [
            {
                "url": self.article_url(a),
                "title": a.title,
                "seendate": f"{self.published_at[a.key]:%Y%m%dT%H%M%SZ}",
                "language": a.language,
                "domain": self.hosts[a.host].address,
            }
            for a in self.live()
            if a.relevant
        ]
        return Reply(
            200, json.dumps({"articles": articles}).encode(), {"Content-Type": "application/json"}
        )


def start_news_web(**kwargs: Any) -> NewsWeb:
    """Start the demo news web (ephemeral ports); call ``.stop()`` when done."""
    return NewsWeb(**kwargs).start()


def demo_sources(web: NewsWeb) -> list[dict[str, Any]]:
    """Source tables (as TOML-ready dicts) that crawl the demo web in every discovery mode."""
    havana, moscow, post, search = (web.host(n) for n in HOSTS)
    return [
        {"name": "havana-daily", "feeds": [havana.url("/feed/")], "allow_private": True},
        {"name": "moscow-wire", "sitemaps": [moscow.url("/sitemap.xml")], "allow_private": True},
        {"name": "caribbean-post", "site": post.url("/"), "allow_private": True},
        {"name": "havana-daily-sections", "pages": [havana.url("/news/")], "allow_private": True},
        {
            "name": "search-google",
            "type": "google_news",
            "feeds": [search.url("/rss/search")],
            "allow_private": True,
        },
    ]


def main() -> None:
    """Serve the demo web until interrupted, printing the hosts' addresses."""
    web = start_news_web()
    for host in web.hosts.values():
        print(f"{host.name:16} {host.base}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        web.stop()


if __name__ == "__main__":
    main()

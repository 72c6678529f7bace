"""Hostile cases served from an extra host (127.0.0.6): bombs, XML attacks, redirect abuse,
broken transfers, lying charsets, non-HTML bodies, spider traps and Retry-After.

``add_hostile_host(web)`` adds the routes; ``hostile_sources(host)`` returns one source per
case (name → what it exercises), all crawled together so one bad source can be shown not to
disturb the others.
"""

from __future__ import annotations

import gzip
import time
import zlib
from functools import cache
from typing import Any, BinaryIO

import brotli
import zstandard

from monitor.demo import templates
from monitor.demo.articles import ARTICLES
from monitor.demo.site import Call, Host, NewsWeb, Reply, Route, html, not_found

HOSTILE_ADDRESS = "127.0.0.6"
BOMB_BYTES = 30_000_000  # decompressed size; the crawl's DOWNLOAD_MAXSIZE is 200 kB
SECRET_MARKER = "file-content-must-never-be-stored"
RELEVANT = next(a for a in ARTICLES if a.key == "tanker")
RELEVANT_RU = next(a for a in ARTICLES if a.key == "treaty-ru")
RELEVANT_OTHER = next(a for a in ARTICLES if a.key == "tourism")


@cache
def _bomb_payload() -> bytes:
    return b"<html><body>" + b"\0" * BOMB_BYTES + b"</body></html>"


@cache
def bomb(encoding: str) -> bytes:
    """A small body that decompresses to ~30 MB."""
    payload = _bomb_payload()
    if encoding == "gzip":
        return gzip.compress(payload, compresslevel=9, mtime=0)
    if encoding == "deflate":
        return zlib.compress(payload, 9)
    if encoding == "br":
        return bytes(brotli.compress(payload, quality=5))
    if encoding == "zstd":
        return bytes(zstandard.ZstdCompressor(level=3).compress(payload))
    raise ValueError(encoding)


def _feed(host: Host, paths: list[str], title: str = "Hostile feed") -> Reply:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    items = [(f"Story {i}", host.url(p), now, "summary") for i, p in enumerate(paths)]
    body = templates.rss_feed(site=title, base=host.base, items=items)
    return Reply(200, body.encode(), {"Content-Type": "application/rss+xml; charset=utf-8"})


def _article_html(host: Host, path: str, article: Any = RELEVANT) -> str:
    from datetime import UTC, datetime

    page = templates.DemoPage(article, "Hostile", host.base, host.url(path), datetime.now(UTC), [])
    return templates.wordpress_page(page)


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>http://127.0.0.6/laughs/article</link></item></channel></rss>"""


def _xxe_feed(path: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
        f'<rss version="2.0"><channel><title>&xxe;</title><item><title>&xxe; {SECRET_MARKER}'
        f"</title><link>http://{HOSTILE_ADDRESS}{path}</link></item></channel></rss>"
    ).encode()


XXE_SITEMAP = (
    b'<?xml version="1.0"?>\n<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>http://127.0.0.6/xxe/&xxe;</loc></url></urlset>"
)


def _hang(wfile: BinaryIO) -> None:
    wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
    wfile.write(b"<html><body><p>start")
    wfile.flush()
    time.sleep(8)


def _broken_chunked(wfile: BinaryIO) -> None:
    wfile.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"10\r\n<html><body><p>ab\r\nZZZZ-not-a-chunk-size\r\nmore bytes\r\n"
    )
    wfile.flush()


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82" + bytes(range(256)) * 40
)


def add_hostile_host(web: NewsWeb) -> Host:
    """Add 127.0.0.6 with every hostile route."""
    host = web.add_host("hostile", HOSTILE_ADDRESS, "Hostile")
    r = host.route
    r(
        "/robots.txt",
        lambda c: Reply(
            200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"}
        ),
    )
    for encoding in ("gzip", "deflate", "br", "zstd"):
        r(f"/bomb/{encoding}/feed.xml", _bomb_feed(host, encoding))
        r(f"/bomb/{encoding}/article", _bomb_reply(encoding))
    r(
        "/bomb/sitemap.xml.gz",
        lambda c: Reply(200, bomb("gzip"), {"Content-Type": "application/gzip"}),
    )
    r("/xml/laughs.xml", lambda c: Reply(200, LAUGHS, {"Content-Type": "application/rss+xml"}))
    r(
        "/xml/xxe.xml",
        lambda c: Reply(200, _xxe_feed("/xxe/article"), {"Content-Type": "application/rss+xml"}),
    )
    r(
        "/xml/xxe-sitemap.xml",
        lambda c: Reply(200, XXE_SITEMAP, {"Content-Type": "application/xml"}),
    )
    r("/redirect/loop-feed.xml", lambda c: _feed(host, ["/loop/a"]))
    r("/loop/a", lambda c: Reply(302, b"", {"Location": host.url("/loop/b")}))
    r("/loop/b", lambda c: Reply(302, b"", {"Location": host.url("/loop/a")}))
    r("/redirect/long-feed.xml", lambda c: _feed(host, ["/chain/1"]))
    r("/chain/", lambda c: _chain(host, c), prefix=True)
    r("/redirect/scheme-feed.xml", lambda c: _feed(host, ["/to-file", "/to-data"]))
    r("/to-file", lambda c: Reply(302, b"", {"Location": "file:///etc/hostname"}))
    r("/to-data", lambda c: Reply(302, b"", {"Location": "data:text/html,<p>hi</p>"}))
    r("/hang/feed.xml", lambda c: _feed(host, ["/hang/article"]))
    r("/hang/article", lambda c: Reply(writer=_hang))
    r("/chunked/feed.xml", lambda c: _feed(host, ["/chunked/article"]))
    r("/chunked/article", lambda c: Reply(writer=_broken_chunked))
    r("/cp1252/feed.xml", lambda c: _cp1252_feed(host))
    r("/cp1252/article", lambda c: html(_article_html(host, "/cp1252/article")))
    r("/bom/feed.xml", lambda c: _feed(host, ["/bom/article"]))
    r(
        "/bom/article",
        lambda c: Reply(
            200,
            b"\xef\xbb\xbf" + _article_html(host, "/bom/article", RELEVANT_RU).encode("utf-8"),
            {"Content-Type": "text/html; charset=windows-1251"},
        ),
    )
    r("/png/feed.xml", lambda c: _feed(host, ["/png/article", "/nav/article"]))
    r("/png/article", lambda c: Reply(200, PNG, {"Content-Type": "text/html"}))
    r("/nav/article", lambda c: html(_nav_only(host)))
    r("/trap/list", lambda c: _trap_list(host, c))
    r("/grow/", lambda c: _grow(host, c), prefix=True)
    r("/cap/feed.xml", lambda c: _feed(host, [f"/cap/story-number-{i}" for i in range(12)]))
    r("/cap/", lambda c: html(_nav_only(host)), prefix=True)
    r("/ra/feed.xml", lambda c: _feed(host, ["/ra/article"]))
    r("/ra/article", lambda c: _retry_after_once(host, c))
    r("/ra-long/feed.xml", lambda c: _feed(host, ["/ra-long/article"]))
    r("/ra-long/article", lambda c: Reply(503, b"busy", {"Retry-After": "99999"}))
    return host


def _bomb_feed(host: Host, encoding: str) -> Route:
    return lambda call: _feed(host, [f"/bomb/{encoding}/article"])


def _bomb_reply(encoding: str) -> Route:
    headers = {"Content-Type": "text/html", "Content-Encoding": encoding}
    return lambda call: Reply(200, bomb(encoding), headers)


def _chain(host: Host, call: Call) -> Reply:
    hop = int(call.path.rsplit("/", 1)[1] or 1)
    if hop >= 25:
        return html(_article_html(host, call.path))
    return Reply(302, b"", {"Location": host.url(f"/chain/{hop + 1}")})


def _cp1252_feed(host: Host) -> Reply:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Noticias</title>'
        f"<item><title>Díaz-Canel recibe al canciller ruso – “visita histórica”</title>"
        f"<link>{host.url('/cp1252/article')}</link></item></channel></rss>"
    ).encode("cp1252")
    return Reply(200, body, {"Content-Type": "application/rss+xml; charset=utf-8"})


def _nav_only(host: Host) -> str:
    links = "".join(
        f'<li><a href="{host.url(f"/section/{i}/")}">Section {i}</a></li>' for i in range(40)
    )
    return (
        f"<html><head><title>Sections</title></head><body><nav><ul>{links}</ul></nav></body></html>"
    )


def _trap_list(host: Host, call: Call) -> Reply:
    page = int((call.query.get("page") or ["1"])[0])
    return html(
        f"<html><body><h1>Archive page {page}</h1>"
        f'<a rel="next" href="{host.url(f"/trap/list?page={page + 1}")}">Next</a>'
        f'<a href="{host.url(f"/calendar/2025/{page}/")}">Calendar</a></body></html>'
    )


def _grow(host: Host, call: Call) -> Reply:
    longer = call.path.rstrip("/") + "/" + "x" * 150 + "/"
    return html(f'<html><body><a rel="next" href="{host.url(longer)}">Next</a></body></html>')


def _retry_after_once(host: Host, call: Call) -> Reply:
    if len(host.requests_for("/ra/article")) == 0:
        return Reply(429, b"slow down", {"Retry-After": "1", "Content-Type": "text/plain"})
    return html(_article_html(host, "/ra/article", RELEVANT_OTHER))


def hostile_sources(host: Host) -> list[dict[str, Any]]:
    """One source per hostile case (all ``allow_private``: the test hosts are loopback)."""
    u = host.url
    cases: list[dict[str, Any]] = [
        {"name": f"bomb-{e}", "feeds": [u(f"/bomb/{e}/feed.xml")]}
        for e in ("gzip", "deflate", "br", "zstd")
    ]
    cases += [
        {"name": "bomb-sitemap", "sitemaps": [u("/bomb/sitemap.xml.gz")]},
        {"name": "xml-laughs", "feeds": [u("/xml/laughs.xml")]},
        {"name": "xml-xxe-feed", "feeds": [u("/xml/xxe.xml")]},
        {"name": "xml-xxe-sitemap", "sitemaps": [u("/xml/xxe-sitemap.xml")]},
        {"name": "redirect-loop", "feeds": [u("/redirect/loop-feed.xml")]},
        {"name": "redirect-long", "feeds": [u("/redirect/long-feed.xml")]},
        {"name": "redirect-scheme", "feeds": [u("/redirect/scheme-feed.xml")]},
        {"name": "hang", "feeds": [u("/hang/feed.xml")]},
        {"name": "chunked", "feeds": [u("/chunked/feed.xml")]},
        {"name": "cp1252", "feeds": [u("/cp1252/feed.xml")]},
        {"name": "bom", "feeds": [u("/bom/feed.xml")]},
        {"name": "png-nav", "feeds": [u("/png/feed.xml")]},
        {"name": "trap-pages", "pages": [u("/trap/list?page=1")], "max_depth": 2},
        {"name": "trap-growing", "pages": [u("/grow/start/")], "max_depth": 5},
        {"name": "page-cap", "feeds": [u("/cap/feed.xml")], "max_pages": 3},
        {"name": "retry-after", "feeds": [u("/ra/feed.xml")]},
        {"name": "retry-after-long", "feeds": [u("/ra-long/feed.xml")]},
    ]
    for case in cases:
        case["allow_private"] = True
    return cases


__all__ = ["SECRET_MARKER", "add_hostile_host", "bomb", "hostile_sources", "not_found"]

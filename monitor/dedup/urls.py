"""URL identity: one canonical form per article URL, search-redirect unwrapping, same-site test.

Everything here is pure and offline: no DNS, no HTTP, and the public-suffix list is the snapshot
bundled with tldextract (it is never downloaded).
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, unquote_plus, urljoin, urlsplit, urlunsplit

import tldextract
from w3lib.url import canonicalize_url as _w3lib_canonicalize

__all__ = ["canonicalize_url", "registered_domain", "resolve_search_redirect", "same_site"]

# Query parameters that only track where a click came from (compared case-insensitively).
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "yclid",
        "ysclid",
        "_ga",
        "_gl",
        "igshid",
        "igsh",
        "ref_src",
        "ref_url",
        "cmpid",
        "cmp",
        "ocid",
        "smid",
        "smtyp",
        "icid",
        "intcmp",
        "s_cid",
        "wt.mc_id",
        "mkt_tok",
        "_hsenc",
        "_hsmi",
        "hsctatracking",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "__twitter_impression",
        "ito",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "sr_share",
        "share",
        "phpsessid",
        "jsessionid",
        # AMP viewer / Google AMP cache bookkeeping
        "usqp",
        "amp_js_v",
        "amp_gsa",
        "amp_tf",
        "amp_r",
        "aoh",
        "referrer",
    }
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_", "_hs", "matomo_")

# Query parameters that mark the AMP rendering of an article: (name, value or None for any).
_AMP_PARAMS = {"amp": None, "outputtype": "amp", "output": "amp", "_amp": None}

# Leading host labels that do not change which article a URL names.
_STRIPPED_HOST_LABELS = ("www", "amp")

_HOST_RE = re.compile(r"^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$")
_JSESSIONID_RE = re.compile(r";jsessionid=[^/;?]*", re.IGNORECASE)
_AMP_CACHE_SUFFIX = ".cdn.ampproject.org"
_AMP_SUFFIXES = ((".amp.html", ".html"), (".amp.htm", ".htm"), (".amp", ""))


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    # suffix_list_urls=() and cache_dir=None: the bundled snapshot only, never the network/disk.
    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )


def _is_ip_literal(host: str) -> bool:
    return ":" in host or bool(re.fullmatch(r"[0-9.]+", host))


@lru_cache(maxsize=65536)
def registered_domain(host: str) -> str:
    """The registrable domain of a host (``news.bbc.co.uk`` → ``bbc.co.uk``), offline.

    IP literals and single-label hosts are returned unchanged; for hosts under a suffix the
    list does not know (``site.example``) the last two labels are used.
    """
    host = host.strip().strip("[]").rstrip(".").lower()
    if not host or _is_ip_literal(host) or "." not in host:
        return host
    parts = _extractor()(host)
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    if parts.suffix:  # the host is itself a public suffix
        return host
    return ".".join(host.split(".")[-2:])


def _canonical_host(host: str) -> str:
    host = host.rstrip(".")
    if not host:
        raise ValueError("URL has no host")
    if _is_ip_literal(host):
        return f"[{host}]" if ":" in host else host
    if not _HOST_RE.match(host):
        raise ValueError(f"invalid host {host!r}")
    domain = registered_domain(host)
    labels = host.split(".")
    # Strip www./amp. only while they sit in front of the registered domain (www.com stays).
    while labels[0] in _STRIPPED_HOST_LABELS and len(labels) > len(domain.split(".")):
        labels = labels[1:]
    return ".".join(labels)


def _is_tracking(key: str) -> bool:
    name = unquote_plus(key).strip().lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _is_amp_marker(key: str, value: str) -> bool:
    name = unquote_plus(key).strip().lower()
    if name not in _AMP_PARAMS:
        return False
    wanted = _AMP_PARAMS[name]
    return wanted is None or unquote_plus(value).strip().lower() == wanted


def _canonical_query(query: str) -> str:
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        if _is_tracking(key) or _is_amp_marker(key, value):
            continue
        kept.append(pair)
    return "&".join(kept)


def _canonical_path(path: str) -> str:
    segments: list[str] = []
    # Drops the trailing slash and '//'; resolves dot segments ';jsessionid=' may have left.
    for segment in _JSESSIONID_RE.sub("", path).split("/"):
        if segment == "..":
            segments = segments[:-1]
        elif segment not in ("", "."):
            segments.append(segment)
    while True:  # to a fixed point, so that e.g. /x.amp.amp and /story/amp.amp settle
        segments = [s for s in segments if s.lower() != "amp"]  # /amp/story, /story/amp
        if not segments:
            break
        last = segments[-1]
        lower = last.lower()
        for amp_suffix, replacement in _AMP_SUFFIXES:
            stem = last[: -len(amp_suffix)]
            if lower.endswith(amp_suffix) and stem.strip("."):  # never leave '.' or '..'
                segments[-1] = stem + replacement
                break
        else:
            break
    return "/" + "/".join(segments)


def _unwrap_amp_cache(host: str, path: str, query: str) -> str | None:
    """The publisher URL behind a Google AMP cache / viewer URL, if it is one."""
    rest: str | None = None
    if host.endswith(_AMP_CACHE_SUFFIX):
        for prefix in ("/c/", "/v/"):
            if path.startswith(prefix):
                rest = path[len(prefix) :]
                break
    elif registered_domain(host).startswith("google.") and path.startswith("/amp/"):
        rest = path[len("/amp/") :]
    if not rest:
        return None
    scheme = "http"
    if rest.startswith("s/"):
        scheme, rest = "https", rest[2:]
    if "." not in rest.split("/", 1)[0]:  # the publisher's host must be a domain name
        return None
    return f"{scheme}://{rest}" + (f"?{query}" if query else "")


def canonicalize_url(url: str, *, base: str | None = None) -> str:
    """One canonical form per article URL; idempotent.

    - scheme folded to ``https``; user info, default ports (80, 443) and fragments dropped;
    - host lower-cased, IDNA-encoded, trailing dot removed, a leading ``www.`` (and ``amp.``)
      label stripped when it sits in front of the registered domain;
    - tracking parameters (``utm_*``, ``fbclid``, ``gclid``, …) removed, the rest sorted;
    - percent-encoding normalised, ``.``/``..`` segments resolved, ``//`` collapsed,
      trailing slash removed (the empty path is ``/``), ``;jsessionid=`` dropped;
    - AMP variants mapped to the article: ``amp`` path segments, ``.amp``/``.amp.html``
      suffixes, ``?amp=1``/``?outputType=amp``, ``amp.`` subdomains and Google AMP cache URLs.

    The path keeps its case (servers may be case-sensitive). ``base`` resolves relative URLs.
    Raises ``ValueError`` for non-http(s) or unparsable URLs.
    """
    raw = url.strip()
    if base is not None:
        raw = urljoin(base.strip(), raw)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"unparsable URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    hostname = (parts.hostname or "").rstrip(".")
    if not hostname:
        raise ValueError(f"URL has no host: {url!r}")
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    if port is not None and port not in (80, 443):
        netloc += f":{port}"
    try:
        normalised = _w3lib_canonicalize(
            urlunsplit(("https", netloc, parts.path, parts.query, "")), keep_fragments=False
        )
        parts = urlsplit(normalised)
        port = parts.port
    except (ValueError, UnicodeError) as exc:
        raise ValueError(f"unparsable URL {url!r}: {exc}") from None
    host = _canonical_host((parts.hostname or "").lower())
    path, query = _canonical_path(parts.path), _canonical_query(parts.query)
    # Checked on the path as given and as canonicalised, so that the result is a fixed point.
    unwrapped = _unwrap_amp_cache(host, parts.path, query) or _unwrap_amp_cache(host, path, query)
    if unwrapped is not None:
        return canonicalize_url(unwrapped)
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit(("https", netloc, path, query, ""))


def same_site(a: str, b: str) -> bool:
    """Whether two URLs belong to the same registered domain (``news.x.co.uk`` ~ ``x.co.uk``).

    Offline (bundled public-suffix list, private suffixes such as ``blogspot.com`` included);
    False when either URL has no host or does not parse.
    """
    try:
        host_a = (urlsplit(a.strip()).hostname or "").rstrip(".")
        host_b = (urlsplit(b.strip()).hostname or "").rstrip(".")
    except ValueError:
        return False
    if not host_a or not host_b:
        return False
    return registered_domain(host_a) == registered_domain(host_b)


# ---- search redirect links -----------------------------------------------------------------

_GOOGLE_NEWS_PATH = re.compile(r"^/(?:__i/)?(?:rss/)?(?:rd/)?(?:articles|read)/([A-Za-z0-9_-]+)")


def _http_url(candidate: str | None) -> str | None:
    if not candidate:
        return None
    candidate = candidate.strip()
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.hostname:
        return candidate
    return None


def _b64url_decode(data: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return None


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            break
    raise ValueError("bad varint")


def _protobuf_http_string(data: bytes) -> str | None:
    """The first length-delimited protobuf field that holds an http(s) URL, if any."""
    pos = 0
    try:
        while pos < len(data):
            key, pos = _read_varint(data, pos)
            wire = key & 7
            if wire == 0:
                _, pos = _read_varint(data, pos)
            elif wire == 2:
                length, pos = _read_varint(data, pos)
                chunk = data[pos : pos + length]
                pos += length
                if chunk[:4].lower() == b"http":
                    return _http_url(chunk.decode("utf-8"))
            elif wire == 1:
                pos += 8
            elif wire == 5:
                pos += 4
            else:
                return None
    except (ValueError, UnicodeDecodeError):
        return None
    return None


def _google_news_article(token: str) -> str | None:
    data = _b64url_decode(token)
    if not data:
        return None
    found = _protobuf_http_string(data)
    if found:
        return found
    # Some old IDs are not clean protobuf: cut the URL out of the bytes by hand.
    start = data.find(b"http")
    if start < 0:
        return None
    match = re.match(rb"https?://[\x21-\x7e]+", data[start:])
    if not match:
        return None
    # The URL ends where non-printable bytes (the next field's tag) begin.
    return _http_url(match.group(0).decode("ascii"))


def _bing_ck_target(value: str) -> str | None:
    # Bing /ck/a links: u=a1<base64url(URL)>
    if value.startswith("a1"):
        decoded = _b64url_decode(value[2:])
        if decoded:
            try:
                return _http_url(decoded.decode("utf-8"))
            except UnicodeDecodeError:
                return None
    return _http_url(value)


def resolve_search_redirect(url: str) -> str | None:
    """The publisher URL inside a news-search redirect link, or None if it is not in the URL.

    Handles Bing (``/news/apiclick.aspx?url=``, ``/ck/a?u=a1<base64>``), Google
    (``/url?q=|url=``), Facebook (``l.php?u=``), DuckDuckGo (``/l/?uddg=``), and old-format
    Google News article IDs (base64url protobuf holding the URL). New-format Google News IDs
    need a network round trip: None, and the crawler follows the redirect instead.
    Nested redirect links are unwrapped (up to three levels).
    """
    current = url.strip()
    resolved: str | None = None
    for _ in range(3):
        target = _resolve_once(current)
        if target is None:
            break
        resolved = current = target
    return resolved


def _resolve_once(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or parts.scheme.lower() not in ("http", "https"):
        return None
    domain = registered_domain(host)
    params: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        params.setdefault(key.lower(), value)
    path = unquote(parts.path)
    if host == "news.google.com":
        match = _GOOGLE_NEWS_PATH.match(path)
        return _google_news_article(match.group(1)) if match else _http_url(params.get("url"))
    if domain.startswith("google.") and path in ("/url", "/link"):
        return _http_url(params.get("url")) or _http_url(params.get("q"))
    if domain == "bing.com":
        if path.lower().startswith("/news/apiclick") or path.lower() == "/url":
            return _http_url(params.get("url"))
        if path.startswith("/ck/"):
            return _bing_ck_target(params.get("u", ""))
        return None
    if domain == "facebook.com" and path in ("/l.php", "/flx/warn/"):
        return _http_url(params.get("u"))
    if domain == "duckduckgo.com" and path.rstrip("/") == "/l":
        return _http_url(params.get("uddg"))
    if domain == "yahoo.com" and "/RU=" in parts.path:
        # r.search.yahoo.com/.../RU=<encoded>/RK=...
        encoded = parts.path.split("/RU=", 1)[1].split("/", 1)[0]
        return _http_url(unquote(encoded))
    return None

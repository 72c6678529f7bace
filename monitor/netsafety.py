"""SSRF guard: refuse URLs that point at this machine, the local network or cloud metadata.

``check_public_url`` checks the literal host in every spelling resolvers accept (integer,
hex, octal and shortened IPv4, IPv4-mapped IPv6, percent-encoded or full-width digits), the
reserved local names, and, with ``resolve=True``, every address the name resolves to; a
name that does not resolve is refused. :func:`guarded_fetch` connects to the address it vetted
(no second lookup for DNS rebinding to answer); the crawl's resolver
(``monitor.crawl.resolver.GuardedResolver``) vets the address Scrapy connects to.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from monitor.errors import UnsafeURLError

__all__ = [
    "FetchPolicy",
    "FetchedResponse",
    "UnsafeURLError",
    "check_public_url",
    "guarded_fetch",
    "is_public_address",
    "parse_ip_literal",
    "resolve_vetted",
    "vet_literal",
    "vet_url",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that never leave the machine or the local network (RFC 6761, 6762, 8375, cloud DNS).
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".home.arpa", ".lan")

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")


def _parse_ipv4_part(part: str) -> int:
    if part.lower().startswith("0x"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part, 10)


def _parse_inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """IPv4 in BSD ``inet_aton`` forms (``127.1``, ``2130706433``, ``0x7f.1``, ``0177.0.0.1``)."""
    parts = host.split(".")
    if parts and parts[-1] == "":
        parts = parts[:-1]  # a trailing dot
    if not 1 <= len(parts) <= 4 or not all(parts):
        return None
    try:
        numbers = [_parse_ipv4_part(part) for part in parts]
    except ValueError:
        return None
    *head, last = numbers
    if any(not 0 <= n <= 255 for n in head) or not 0 <= last < 256 ** (5 - len(numbers)):
        return None
    value = 0
    for n in head:
        value = value << 8 | n
    value = value << (8 * (5 - len(numbers))) | last
    return ipaddress.IPv4Address(value)


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a host string spells literally (any inet_aton form, IPv6 with or without
    brackets or zone), or None when it is a name."""
    host = host.strip().strip("[]")
    if "%" in host:  # IPv6 zone id (fe80::1%eth0)
        host = host.split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if ":" in host:
        return None
    return _parse_inet_aton(host)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or address in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _is_public(address: IPAddress) -> bool:
    if (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    ):
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return address not in _CGNAT
    if address.is_site_local:
        return False
    embedded = _embedded_ipv4(address)
    return embedded is None or _is_public(embedded)


def is_public_address(ip: str) -> bool:
    """Whether an IP address (any literal form) is globally routable and not special-purpose.

    ``ValueError`` if ``ip`` is not an IP address.
    """
    address = parse_ip_literal(ip)
    if address is None:
        raise ValueError(f"not an IP address: {ip!r}")
    return _is_public(address)


def _host_spellings(raw_host: str) -> list[str]:
    """The host as written, percent-decoded and NFKC-folded (what resolvers may see)."""
    spellings = []
    for candidate in (raw_host, unquote(raw_host)):
        for form in (candidate, unicodedata.normalize("NFKC", candidate)):
            form = form.strip().lower().rstrip(".")
            form = form.replace("\u3002", ".").replace("\uff0e", ".").replace("\uff61", ".")
            if form not in spellings:
                spellings.append(form)
    return spellings


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchPolicy:
    """Which addresses a fetch may connect to.

    ``public_networks`` are CIDRs treated as public (``[crawl] public_networks``: a test's
    loopback range); ``allow_private`` (a source's ``allow_private = true``) allows any.
    """

    allow_private: bool = False
    public_networks: tuple[IPNetwork, ...] = ()

    def allows(self, address: IPAddress) -> bool:
        """Whether a connection to ``address`` is allowed."""
        if self.allow_private or _is_public(address):
            return True
        return any(address.version == n.version and address in n for n in self.public_networks)


def _check_name(host: str) -> None:
    """Refuse a host name that never leaves the machine or the local network."""
    if host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES) or host.startswith("localhost."):
        raise UnsafeURLError(f"host {host} is a local name")
    if "." not in host:
        raise UnsafeURLError(f"host {host} is a single-label (local network) name")
    if host.endswith(".arpa"):
        raise UnsafeURLError(f"host {host} is not a public name")


def _target(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an http(s) URL, else :class:`UnsafeURLError`."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeURLError(f"unparsable URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURLError(f"scheme {scheme or '(none)'!r} is not http or https")
    host = parts.hostname
    if not host:
        raise UnsafeURLError("URL has no host")
    return scheme, host, port or (443 if scheme == "https" else 80)


def vet_literal(url: str, policy: FetchPolicy) -> tuple[str, int, IPAddress | None]:
    """``(host, port, literal address or None)`` after the checks that need no DNS: the scheme,
    the host in every spelling resolvers accept (a literal address must be allowed by
    ``policy``), local and single-label names. One vetting for every caller."""
    _scheme, host, port = _target(url)
    literal = parse_ip_literal(host)
    if policy.allow_private:
        return host, port, literal
    for spelling in _host_spellings(host):
        address = parse_ip_literal(spelling)
        if address is None:
            _check_name(spelling)
        elif not policy.allows(address):
            raise UnsafeURLError(f"host {spelling} is a non-public address ({address})")
        else:
            literal = literal or address
    return host, port, literal


def resolve_vetted(host: str, port: int, policy: FetchPolicy) -> list[str]:
    """Every address ``host`` resolves to, each allowed by ``policy``; a name that does not
    resolve is refused (the caller connects to one of these, never resolving again)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        raise UnsafeURLError(f"host {host} does not resolve") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise UnsafeURLError(f"host {host} does not resolve")
    for address in addresses:
        parsed = parse_ip_literal(address)
        if parsed is None or not policy.allows(parsed):
            raise UnsafeURLError(f"host {host} resolves to non-public address {address}")
    return addresses


def check_public_url(url: str, *, resolve: bool = True) -> None:
    """Raise :class:`UnsafeURLError` (one-line reason) unless the URL is http(s) to a public host.

    With ``resolve=True`` every address ``getaddrinfo`` returns must be public too, and a name
    that does not resolve is refused. ``resolve=False`` checks only what the URL says literally
    (config loading, where DNS may be unavailable).
    """
    policy = FetchPolicy()
    host, port, literal = vet_literal(url, policy)
    if resolve and literal is None:
        resolve_vetted(host, port, policy)


# --------------------------------------------------------------------------- guarded fetch


@dataclass(frozen=True)
class FetchedResponse:
    """The final response of a guarded fetch (after any redirects)."""

    status: int
    headers: Message
    body: bytes
    url: str


def vet_url(url: str, policy: FetchPolicy) -> tuple[str, int, str]:
    """``(host, port, address)``: the one vetted address a fetch of ``url`` must connect to.

    The name is resolved once, here; every address must be allowed, and a name that does
    not resolve is refused (the caller connects to the returned address, so a second
    lookup cannot answer differently).
    """
    host, port, _literal = vet_literal(url, policy)
    return host, port, resolve_vetted(host, port, policy)[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a vetted address, whatever the name resolves to now."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a vetted address; SNI and the certificate check use the name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def guarded_fetch(
    url: str,
    *,
    policy: FetchPolicy,
    user_agent: str,
    timeout: float,
    max_bytes: int,
    max_redirects: int = 5,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> FetchedResponse:
    """The one HTTP client for requests outside the Scrapy crawl (``extract URL``, ``sources
    check``): every hop is vetted and connected to its vetted address, redirects are
    followed here (at most ``max_redirects``), the body is capped at ``max_bytes`` + 1.

    Raises :class:`UnsafeURLError` for a refused hop and ``OSError`` for network failures.
    """
    for _hop in range(max_redirects + 1):
        host, port, address = vet_url(url, policy)
        parts = urlsplit(url)
        pinned = (
            _PinnedHTTPSConnection if parts.scheme.lower() == "https" else _PinnedHTTPConnection
        )
        connection = pinned(host, port, address=address, timeout=timeout)
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request(
                method, target, body=body, headers={"User-Agent": user_agent, **(headers or {})}
            )
            response = connection.getresponse()
            location = response.getheader("Location")
            if response.status in REDIRECT_STATUSES and location:
                url = urljoin(url, location.strip())
                if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                    method, body = "GET", None
                continue
            data = response.read(max_bytes + 1)
            return FetchedResponse(response.status, response.msg, data, url)
        except http.client.HTTPException as exc:
            raise OSError(f"bad HTTP response: {type(exc).__name__}") from exc
        finally:
            connection.close()
    raise UnsafeURLError(f"more than {max_redirects} redirects")


@dataclass
class _Urllib3Guard:
    """The policy of the guarded urllib3 section now running in this process, its refusals."""

    policy: FetchPolicy | None = None
    refused: list[str] | None = None


# Process-wide on purpose: apprise runs its plugins on worker threads of its own, so the
# policy must hold for every thread while a guarded section runs; sections take turns.
_URLLIB3_GUARD = _Urllib3Guard()
_URLLIB3_SECTION = threading.Lock()
_URLLIB3_INSTALL = threading.Lock()


def _install_urllib3_hook() -> None:
    """Route urllib3's connection factory through the guard once per process.

    Written by hand because apprise's plugins call ``requests`` directly (a new session per
    notification), so no session or adapter of ours can be handed to them; urllib3's own
    ``create_connection`` is the one place every such connection passes. Outside a guarded
    section (:func:`urllib3_guarded`) it behaves exactly as before.
    """
    import urllib3.util.connection as connection

    with _URLLIB3_INSTALL:
        original = connection.create_connection
        if getattr(original, "_monitor_guard", False):
            return

        def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
            policy, refused = _URLLIB3_GUARD.policy, _URLLIB3_GUARD.refused
            if policy is None:
                return original(address, *args, **kwargs)
            host, port = address
            try:
                vetted = resolve_vetted(host.strip("[]"), port, policy)
            except UnsafeURLError as exc:
                if refused is not None:
                    refused.append(str(exc))
                raise OSError(f"refused: {exc}") from exc
            # connect to the vetted address itself: no second lookup can answer differently
            return original((vetted[0], port), *args, **kwargs)

        create_connection._monitor_guard = True  # type: ignore[attr-defined]
        connection.create_connection = create_connection


@contextmanager
def urllib3_guarded(policy: FetchPolicy) -> Iterator[list[str]]:
    """Every urllib3 (``requests``) connection opened inside, by any thread, is vetted against
    ``policy`` at connect time, every redirect hop included, and made to the vetted address;
    yields the refusals (one line each). TLS still checks the name (SNI and certificate use
    the host). Sections run one at a time."""
    _install_urllib3_hook()
    refused: list[str] = []
    with _URLLIB3_SECTION:
        _URLLIB3_GUARD.policy, _URLLIB3_GUARD.refused = policy, refused
        try:
            yield refused
        finally:
            _URLLIB3_GUARD.policy, _URLLIB3_GUARD.refused = None, None

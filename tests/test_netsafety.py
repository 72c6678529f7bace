"""SSRF guard: every spelling of a local address is refused, public addresses pass."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from monitor.netsafety import UnsafeURLError, check_public_url, is_public_address, parse_ip_literal

UNSAFE = [
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/admin",
    "http://169.254.169.254/latest/meta-data/",
    "http://2130706433/",  # integer IPv4
    "http://0x7f000001/",  # hex
    "http://0x7F.0.0.1/",
    "http://017700000001/",  # octal
    "http://0177.0.0.1/",
    "http://127.1/",  # shortened
    "http://127.0.1/",
    "http://0/",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[fe80::1%25eth0]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[ff02::1]/",
    "http://localhost/",
    "http://LOCALHOST:3000/",
    "http://localhost./",
    "http://foo.localhost/",
    "http://printer.local/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://router/",  # single-label name
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://198.18.0.1/",  # benchmarking
    "http://192.0.2.1/",  # documentation
    "http://224.0.0.1/",  # multicast
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",
    "http://%31%32%37.0.0.1/",  # percent-encoded digits
    "http://１２７.0.0.1/",  # full-width digits
    "http://user:pw@127.0.0.1/",
    "ftp://8.8.8.8/",
    "file:///etc/passwd",
    "gopher://8.8.8.8/",
    "javascript:alert(1)",
    "http:///nohost",
    "http://x.example:99999/",
]

PUBLIC = [
    "http://8.8.8.8/",
    "https://1.1.1.1/dns-query",
    "http://[2001:4860::8888]/",
    "https://[2606:4700:4700::1111]/",
    "http://134744072/",  # 8.8.8.8 as an integer is still public
    "https://news.example.com/2026/11/russia-cuba",
    "https://192.168.1.1.nip.io/",  # a name: only resolution can tell
]


@pytest.mark.parametrize("url", UNSAFE)
@pytest.mark.parametrize("resolve", [False, True])
def test_unsafe_urls_are_refused(url: str, resolve: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _no_dns)
    with pytest.raises(UnsafeURLError) as caught:
        check_public_url(url, resolve=resolve)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("url", PUBLIC)
def test_public_urls_pass_literal_checks(url: str) -> None:
    check_public_url(url, resolve=False)


def _no_dns(*args: Any, **kwargs: Any) -> Any:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def _resolving_to(*addresses: str) -> Any:
    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        out = []
        for address in addresses:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            out.append((family, socket.SOCK_STREAM, 6, "", (address, port)))
        return out

    return fake


def test_names_resolving_to_private_addresses_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _resolving_to("10.1.2.3"))
    with pytest.raises(UnsafeURLError, match=r"resolves to non-public address 10\.1\.2\.3"):
        check_public_url("https://evil.example/")
    check_public_url("https://evil.example/", resolve=False)  # literal checks only


def test_every_resolved_address_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _resolving_to("93.184.216.34", "::1"))
    with pytest.raises(UnsafeURLError, match="::1"):
        check_public_url("https://mixed.example/")
    monkeypatch.setattr(socket, "getaddrinfo", _resolving_to("fe80::1%eth0"))
    with pytest.raises(UnsafeURLError):
        check_public_url("https://linklocal.example/")


def test_names_resolving_to_public_addresses_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _resolving_to("93.184.216.34", "2606:2800::1"))
    check_public_url("https://public.example/")


def test_names_that_do_not_resolve_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _no_dns)
    with pytest.raises(UnsafeURLError, match="does not resolve"):
        check_public_url("https://does-not-exist.example/")
    check_public_url("https://does-not-exist.example/", resolve=False)


def test_literal_addresses_are_not_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("getaddrinfo called")

    monkeypatch.setattr(socket, "getaddrinfo", boom)
    check_public_url("http://8.8.8.8/")
    check_public_url("http://[2001:4860::8888]/")


@pytest.mark.parametrize(
    ("ip", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860::8888", True),
        ("[2001:4860::8888]", True),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("0x7f000001", False),
        ("2130706433", False),
        ("fe80::1%eth0", False),
        ("100.100.100.100", False),
        ("0.0.0.0", False),
    ],
)
def test_is_public_address(ip: str, public: bool) -> None:
    assert is_public_address(ip) is public


def test_is_public_address_rejects_names() -> None:
    with pytest.raises(ValueError):
        is_public_address("example.com")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("10.1.1", "10.1.0.1"),
        ("1.2.3.4.", "1.2.3.4"),
        ("[::1]", "::1"),
        ("example.com", None),
        ("256.1.1.1", None),
        ("4294967296", None),
        ("1.2.3.4.5", None),
        ("08.1.1.1", None),  # invalid octal
    ],
)
def test_parse_ip_literal(host: str, expected: str | None) -> None:
    parsed = parse_ip_literal(host)
    assert (str(parsed) if parsed is not None else None) == expected

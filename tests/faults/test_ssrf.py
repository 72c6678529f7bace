"""One guarded fetch for every request outside the crawl, with the guard ON: 127.0.0.2/.3 are
marked public through ``[crawl] public_networks``; 127.0.0.1 stays private."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import ip_network
from pathlib import Path

import pytest

from monitor.netsafety import FetchPolicy, UnsafeURLError, guarded_fetch, vet_url
from tests.faults.conftest import ScriptedServer
from tests.faults.helpers import run_cli

PUBLIC = FetchPolicy(public_networks=(ip_network("127.0.0.2/32"), ip_network("127.0.0.3/32")))
ARTICLE = (
    b"<html lang='en'><head><title>Russia and Cuba</title></head><body><article>"
    b"<h1>Russia and Cuba sign deals</h1>"
    + b"".join(
        b"<p>Russia and Cuba agreed on energy, trade and transport in Havana, paragraph %d of "
        b"a report long enough to count as an article body for the cleaner.</p>" % n
        for n in range(6)
    )
    + b"</article></body></html>"
)

Make = Callable[[str], ScriptedServer]


def _config(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "monitor.toml").write_text(
        '[database]\nurl = "sqlite:///data/monitor.db"\n'
        '[crawl]\npublic_networks = ["127.0.0.2/32", "127.0.0.3/32"]\n' + extra
    )
    return tmp_path


def test_redirect_from_public_to_private_is_refused(scripted_server: Make) -> None:
    private = scripted_server("127.0.0.1")
    private.routes["/secret"] = (200, {}, b"metadata secrets")
    public = scripted_server("127.0.0.2")
    public.routes["/r"] = (302, {"Location": private.url("/secret")}, b"")
    with pytest.raises(UnsafeURLError, match=r"127\.0\.0\.1"):
        guarded_fetch(public.url("/r"), policy=PUBLIC, user_agent="t", timeout=5, max_bytes=10_000)
    assert public.hits == ["/r"] and private.hits == []


def test_public_redirect_chain_is_followed_and_bounded(scripted_server: Make) -> None:
    public = scripted_server("127.0.0.2")
    public.routes["/a"] = (301, {"Location": "/b"}, b"")
    public.routes["/b"] = (200, {"Content-Type": "text/plain"}, b"landed")
    public.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    got = guarded_fetch(public.url("/a"), policy=PUBLIC, user_agent="t", timeout=5, max_bytes=100)
    assert (got.status, got.body, got.url) == (200, b"landed", public.url("/b"))
    with pytest.raises(UnsafeURLError, match="more than 3 redirects"):
        guarded_fetch(
            public.url("/loop"),
            policy=PUBLIC,
            user_agent="t",
            timeout=5,
            max_bytes=100,
            max_redirects=3,
        )


def test_unresolvable_name_and_private_literals_are_refused() -> None:
    with pytest.raises(UnsafeURLError, match="does not resolve"):
        vet_url("http://no-such-host.invalid/", PUBLIC)
    for url in (
        "http://127.0.0.1/",
        "http://169.254.169.254/latest",
        "http://[::1]/",
        "http://0x7f.1/",
    ):
        with pytest.raises(UnsafeURLError):
            vet_url(url, PUBLIC)
    assert vet_url("http://127.0.0.3:81/x", PUBLIC) == ("127.0.0.3", 81, "127.0.0.3")


def test_monitor_extract_refuses_a_redirect_to_private(
    scripted_server: Make, tmp_path: Path
) -> None:
    private = scripted_server("127.0.0.1")
    private.routes["/secret"] = (200, {}, ARTICLE)
    public = scripted_server("127.0.0.3")
    public.routes["/redirect-to-private"] = (302, {"Location": private.url("/secret")}, b"")
    public.routes["/article"] = (200, {"Content-Type": "text/html"}, ARTICLE)
    project = _config(tmp_path)
    refused = run_cli("extract", public.url("/redirect-to-private"), cwd=project)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused" in lines[0] and "127.0.0.1" in lines[0], lines
    assert private.hits == []
    fetched = run_cli("extract", public.url("/article"), cwd=project)  # guard on, public host
    assert fetched.returncode == 0, fetched.stderr
    assert "Russia and Cuba sign deals" in fetched.stdout


def test_sources_check_refuses_a_redirect_to_private(scripted_server: Make, tmp_path: Path) -> None:
    private = scripted_server("127.0.0.1")
    private.routes["/feed.xml"] = (200, {}, b"<rss/>")
    public = scripted_server("127.0.0.2")
    public.routes["/feed.xml"] = (302, {"Location": private.url("/feed.xml")}, b"")
    project = _config(
        tmp_path, f'[[sources]]\nname = "outlet"\nfeeds = ["{public.url("/feed.xml")}"]\n'
    )
    result = run_cli("sources", "check", cwd=project)
    assert result.returncode == 1
    assert "refused" in result.stdout and "127.0.0.1" in result.stdout
    assert public.hits == ["/feed.xml"] and private.hits == []

"""The network guard (tests/netguard.py) that every test runs under: loopback only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import netguard

OUTSIDE_V4 = ("192.0.2.1", 9)  # TEST-NET-1: routable in form, reserved for documentation
OUTSIDE_V6 = ("2001:db8::1", 9)


@pytest.fixture
def violations(network_guard: netguard.ViolationLog) -> Iterator[list[str]]:
    """What the guard recorded during the test; taken so that the test itself does not fail."""
    recorded: list[str] = []
    yield recorded
    recorded += network_guard.take()


def test_connect_outside_loopback_is_refused_before_anything_is_sent(
    network_guard: netguard.ViolationLog,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(netguard.OutsideNetworkError, match=r"192\.0\.2\.1"):
            sock.connect(OUTSIDE_V4)
        with pytest.raises(OSError):  # never connected: no SYN left the machine
            sock.getpeername()
    assert [line for line in network_guard.take() if "192.0.2.1" in line] != []


def _connect_ex() -> None:
    with socket.socket() as sock:
        sock.connect_ex(OUTSIDE_V4)


def _create_connection() -> None:
    socket.create_connection(OUTSIDE_V4, timeout=1).close()


def _ipv6() -> None:
    with socket.socket(socket.AF_INET6) as sock:
        sock.connect(OUTSIDE_V6)


def _udp_sendto() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"x", OUTSIDE_V4)


def _v4_mapped() -> None:
    with socket.socket(socket.AF_INET6) as sock:
        sock.connect(("::ffff:192.0.2.1", 9))


def _host_name() -> None:
    socket.create_connection(("example.org", 80), timeout=1).close()  # refused before DNS


@pytest.mark.parametrize(
    "attempt", [_connect_ex, _create_connection, _ipv6, _udp_sendto, _v4_mapped, _host_name]
)
def test_every_way_out_is_refused(attempt: Callable[[], None], violations: list[str]) -> None:
    with pytest.raises(netguard.OutsideNetworkError):
        attempt()


def test_loopback_and_unix_sockets_still_connect(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.3", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5) as client:
            client.sendall(b"ping")
            accepted, _ = server.accept()
            with accepted:
                assert accepted.recv(4) == b"ping"
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)


def test_python_children_run_under_the_guard(network_guard: netguard.ViolationLog) -> None:
    script = "import socket; socket.socket().connect(('192.0.2.1', 9))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode != 0
    assert "OutsideNetworkError" in done.stderr
    assert [line for line in network_guard.take() if f"pid {os.getpid()}" not in line] != []


def test_a_swallowed_violation_still_reaches_the_log(network_guard: netguard.ViolationLog) -> None:
    script = (
        "import socket\n"
        "try:\n    socket.socket().connect(('192.0.2.1', 9))\n"
        "except Exception:\n    pass\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    recorded = network_guard.take()
    assert len(recorded) == 1 and "192.0.2.1" in recorded[0] and "refused" in recorded[0]


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.0.0.6", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("", True),
        ("10.0.0.1", False),
        ("0.0.0.0", False),
        ("8.8.8.8", False),
        ("example.org", False),
        (None, False),
    ],
)
def test_is_loopback(host: object, allowed: bool) -> None:
    assert netguard.is_loopback(host) is allowed

"""A guard that refuses network connections outside loopback (standard library only).

``install(log)`` patches ``socket.socket.connect``, ``connect_ex`` and ``sendto`` and
``socket.create_connection``: a destination outside 127.0.0.0/8 and ::1 (or a host name other
than ``localhost``, refused before any DNS lookup) raises :class:`OutsideNetworkError` before
anything is sent, and is appended to the log file, so that a caller which swallows the error
still leaves a trace the test session turns into a failure (tests/conftest.py).

The same module runs in Python child processes through a ``sitecustomize`` that the test session
puts on ``PYTHONPATH``. Not covered: C libraries that open their own sockets (libpq behind
psycopg), non-Python child processes, Python children started with ``-S``/``-I`` or with an
environment that drops ``PYTHONPATH``, and DNS lookups made by ``getaddrinfo`` directly.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOG_ENV = "TESTS_NETGUARD_LOG"
_INET = (socket.AF_INET, socket.AF_INET6)


class OutsideNetworkError(RuntimeError):
    """Code under test tried to reach an address outside loopback.

    Not an ``OSError``, so that retry and fallback code does not mistake it for a refused
    connection and carry on.
    """


def is_loopback(host: object) -> bool:
    """Whether a connect/sendto host names this machine's loopback interface."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host in ("", "localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # another host name: resolving it would already leave the machine
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _refuse(log: Path | None, what: str, address: object) -> None:
    message = f"{what} to {address!r} refused: tests may only reach loopback (pid {os.getpid()})"
    if log is not None:
        with log.open("a", encoding="utf-8") as file:
            file.write(message + "\n")
    raise OutsideNetworkError(message)


def install(log: Path | None) -> None:
    """Patch the socket module of this process (idempotent)."""
    if getattr(socket, "_netguard_installed", False):
        return
    connect: Callable[..., Any] = socket.socket.connect
    connect_ex: Callable[..., Any] = socket.socket.connect_ex
    sendto: Callable[..., Any] = socket.socket.sendto
    create_connection: Callable[..., Any] = socket.create_connection

    def _check(sock: socket.socket, what: str, address: object) -> None:
        if sock.family in _INET and isinstance(address, tuple) and not is_loopback(address[0]):
            _refuse(log, what, address)

    def guarded_connect(self: socket.socket, address: Any) -> None:
        _check(self, "connect", address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        _check(self, "connect_ex", address)
        return int(connect_ex(self, address))

    def guarded_sendto(self: socket.socket, data: Any, *args: Any) -> int:
        _check(self, "sendto", args[-1] if args else None)
        return int(sendto(self, data, *args))

    def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if not is_loopback(address[0]):
            _refuse(log, "create_connection", address)
        return create_connection(address, *args, **kwargs)  # type: ignore[no-any-return]

    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = guarded_sendto  # type: ignore[assignment]
    socket.create_connection = guarded_create_connection
    socket._netguard_installed = True  # type: ignore[attr-defined]


class ViolationLog:
    """The violations recorded by this process and its Python children, read incrementally."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.touch()
        self._offset = 0

    def take(self) -> list[str]:
        """The violations recorded since the last call."""
        with self.path.open("rb") as file:
            file.seek(self._offset)
            new = file.read()
        self._offset += len(new)
        return new.decode("utf-8", "replace").splitlines()


SITECUSTOMIZE = """\
# Written by the test session (tests/conftest.py): the network guard, in every Python child.
import os

import _netguard

log = os.environ.get(_netguard.LOG_ENV)
_netguard.install(_netguard.Path(log) if log else None)
"""


def prepare_children(folder: Path) -> Path:
    """A folder holding the guard and a ``sitecustomize`` that installs it; for PYTHONPATH."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_netguard.py").write_text(Path(__file__).read_text(encoding="utf-8"), "utf-8")
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return folder

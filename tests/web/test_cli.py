"""``monitor web`` and ``monitor web token`` through the real CLI in subprocesses: the refusal
to serve a non-loopback address without authentication, tokens, and a real uvicorn server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.db.engine import Database
from tests.web.conftest import populate, write_config


@pytest.fixture
def cli_config(tmp_path: Path, sqlite_db: Database) -> Path:
    """A config on an SQLite database (the CLI's behaviour does not depend on the backend)."""
    return write_config(tmp_path, sqlite_db.url)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MONITOR_WEB_TOKEN"}
    env.update(extra)
    return env


def monitor(
    config: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env or _env(),
        timeout=120,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10"])
def test_non_loopback_without_auth_exits_2_with_one_line(cli_config: Path, host: str) -> None:
    result = monitor(cli_config, "web", "--host", host, "--port", "8080")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "without authentication" in lines[0] and host in lines[0]
    assert result.stdout == ""


def test_token_commands(cli_config: Path) -> None:
    config_path = cli_config
    created = monitor(config_path, "web", "token", "create", "--role", "viewer", "--label", "ci")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("mon_") and len(token) > 30
    feed = monitor(config_path, "web", "token", "create", "--feed")
    assert feed.returncode == 0 and feed.stdout.strip().splitlines()[-1].startswith("monfeed_")
    listed = monitor(config_path, "web", "token", "list")
    assert listed.returncode == 0 and "viewer" in listed.stdout and "feed" in listed.stdout
    assert token not in listed.stdout
    bad = monitor(config_path, "web", "token", "create", "--role", "root")
    assert bad.returncode == 2
    both = monitor(config_path, "web", "token", "create", "--role", "admin", "--feed")
    assert both.returncode == 2
    revoked = monitor(config_path, "web", "token", "revoke", "1")
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    missing = monitor(config_path, "web", "token", "revoke", "99")
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serves_with_auth_and_never_logs_tokens(cli_config: Path, sqlite_db: Database) -> None:
    config_path = cli_config
    populate(sqlite_db, load_config(config_path))
    admin = "admin-token-for-the-served-console-42"
    feed = monitor(config_path, "web", "token", "create", "--feed").stdout.strip().splitlines()[-1]
    port = _free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config_path), "web", "--host",
         "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=_env(MONITOR_WEB_TOKEN=admin),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # until the server answers (it imports Scrapy's world first)
            try:
                status, _body = _get(f"{base}/healthz")
                break
            except OSError:
                assert child.poll() is None, child.stdout.read() if child.stdout else ""
                time.sleep(0.1)
        else:
            pytest.fail("the console never answered")
        assert status == 200
        assert _get(f"{base}/api/stories")[0] == 401
        status, body = _get(f"{base}/api/stories", admin)
        assert status == 200 and b'"items"' in body
        assert _get(f"{base}/feeds/stories.atom?token={feed}")[0] == 200
        assert _get(f"{base}/feeds/stories.atom?token=wrong-{admin}")[0] == 401
    finally:
        child.terminate()
        output, _ = child.communicate(timeout=30)
    assert f"console: http://127.0.0.1:{port}/" in output
    assert "/feeds/stories.atom" in output  # requests are logged, by path only
    assert feed not in output and admin not in output

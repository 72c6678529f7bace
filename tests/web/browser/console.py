"""The real ``monitor web`` as a child process on a free loopback port (tests and screenshots)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class ConsoleServer:
    """``monitor --config CONFIG web --host 127.0.0.1 --port N``, stopped with :meth:`stop`."""

    def __init__(self, config: Path, *, token: str | None = None, log: Path | None = None) -> None:
        self.config = config
        self.token = token
        self.host = "127.0.0.1"
        self.port = free_port(self.host)
        self.log_path = log or config.with_name("monitor-web.log")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    def start(self, timeout: float = 30.0) -> ConsoleServer:
        """Start the console and wait until it answers (its open OpenAPI document)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        if self.token is not None:
            env["MONITOR_WEB_TOKEN"] = self.token
        command = [sys.executable, "-m", "monitor", "--config", str(self.config), "web"]
        command += ["--host", self.host, "--port", str(self.port)]
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"monitor web exited {self.process.returncode}:\n{self.output()}"
                )
            try:
                with urllib.request.urlopen(self.url("/openapi.json"), timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"monitor web did not answer within {timeout}s:\n{self.output()}")

    def output(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> ConsoleServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

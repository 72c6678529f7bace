"""A planted SMTP password never appears in any output, log or the database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from monitor.demo.site import NewsWeb
from tests.sites.fixtures import CrawlEnv

SECRET = "planted-Secret-4711"


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return done.stdout + done.stderr


def test_planted_password_is_never_printed_logged_or_stored(
    news_web: NewsWeb, crawl_env: CrawlEnv, tmp_path: Path
) -> None:
    havana = news_web.host("havana-daily")
    config = crawl_env.write_config(
        [{"name": "havana-daily", "feeds": [havana.url("/feed/")], "allow_private": True}]
    )
    with config.open("a", encoding="utf-8") as handle:
        handle.write(
            '\n[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = 1\nusername = "monitor"\n'
            'recipients = ["analyst@example.org"]\n[logging]\nlevel = "DEBUG"\n'
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_SMTP_PASSWORD"] = SECRET
    outputs = [
        _run(["--config", str(config), "crawl", "--verbose"], tmp_path, env),
        _run(["--config", str(config), "digest"], tmp_path, env),
        _run(["--config", str(config), "status"], tmp_path, env),
    ]
    assert "crawl summary" in outputs[0]
    assert "Spider opened" in outputs[0]  # Scrapy's own log, with its settings dump, was shown
    assert "SMTP" in outputs[1]  # the dead server was reported in one line
    for output in outputs:
        assert SECRET not in output
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path

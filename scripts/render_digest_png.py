"""Render a sample digest (hand-written stories, no database) to PNG with headless Chromium.

Usage: ``.venv/bin/python scripts/render_digest_png.py [OUT.png]`` (default ``docs/digest.png``);
Needs ``chromium`` on PATH.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.alerts.render import render_digest, sample_stories  # noqa: E402

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def sample_html(now: datetime, timezone: str = "Europe/Madrid") -> str:
    """The HTML part of a digest of the sample stories."""
    stories = sample_stories(now, ZoneInfo(timezone))
    rendered = render_digest(
        stories,
        recipient="analyst@example.org",
        timezone=timezone,
        period_start=now - timedelta(days=1),
        period_end=now,
        message_id="<digest-0.sample@example.org>",
        date=now,
        sender="monitor@example.org",
        unsubscribe_url="https://monitor.example.org/unsubscribe",
        build=False,
    )
    return rendered.html


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "digest.png"
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium not found: apt-get install -y chromium", file=sys.stderr)
        return 1
    now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "digest.html"
        page.write_text(sample_html(now), encoding="utf-8")
        out.parent.mkdir(parents=True, exist_ok=True)
        command = [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--screenshot={out.resolve()}",
            "--window-size=900,1400",
            page.as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0 or not out.exists():
            print(result.stderr[-2000:], file=sys.stderr)
            return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

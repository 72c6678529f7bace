"""`monitor extract --json` reports access and hit offsets (the fields the store keeps)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.pages import RELEVANT, page_html
from tests.sites.fixtures import REPO
from tests.stories.test_edits_e2e import TEASER, walled_page


def test_extract_json_has_access_and_snippet_offsets(tmp_path: Path) -> None:
    (tmp_path / "monitor.toml").write_text(f'[database]\nurl = "sqlite:///{tmp_path}/m.db"\n')
    (tmp_path / "walled.html").write_bytes(walled_page("Russia and Cuba restore flights", TEASER))
    (tmp_path / "open.html").write_bytes(page_html(*RELEVANT["oil"]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    files = [str(tmp_path / "walled.html"), str(tmp_path / "open.html")]
    config = str(tmp_path / "monitor.toml")
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", config, "extract", *files, "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    walled, plain = (json.loads(line) for line in done.stdout.splitlines())
    assert (walled["access"], plain["access"]) == ("paywalled", "open")
    assert walled["error"] is None and walled["matched"]
    hits = {walled["snippet"][start:end].lower() for start, end in walled["snippet_spans"]}
    assert {"russia", "cuba"} <= hits and "[" not in walled["snippet"]

"""Screenshots of the web console on the demo data: the inbox, a story page and the sources page.

Usage: ``.venv/bin/python scripts/screenshots.py [OUT_DIR]`` (default ``docs/screenshots/``).
Runs ``make demo``'s script (``python -m monitor.demo``) into a temporary folder, serves the
console on its database with the real ``monitor web`` (loopback, no token: open), and captures
the pages in headless Debian chromium driven by Selenium through the system chromedriver.
Needs ``chromium`` and ``chromedriver`` (``make chromium``); everything stays on loopback.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.web.browser.chrome import launch, missing_reason  # noqa: E402
from tests.web.browser.console import ConsoleServer  # noqa: E402

WIDTH = 1280
LAB_QUERY = "(putin OR путин* OR kremlin OR кремл*) AND (cuba OR куб*)"
MAX_HEIGHT = 1500


def run_demo(folder: Path) -> Path:
    """``python -m monitor.demo --output FOLDER``; the demo's config file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    done = subprocess.run(
        [sys.executable, "-m", "monitor.demo", "--output", str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise SystemExit(f"the demo failed (exit {done.returncode}):\n{done.stdout[-3000:]}")
    return folder / "monitor.toml"


def capture(driver: Any, url: str, out: Path, *, wait_for: str = "main") -> None:
    """Open ``url``, size the window to the page (up to MAX_HEIGHT) and save a PNG."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.set_window_size(WIDTH, 900)
    driver.get(url)
    WebDriverWait(driver, 15).until(ec.presence_of_element_located((By.CSS_SELECTOR, wait_for)))
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(WIDTH, min(MAX_HEIGHT, max(700, height)))
    time.sleep(0.2)  # let the resize reflow before the capture
    out.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(out))
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--demo", type=Path, help="use this finished demo output (its monitor.toml) instead"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    if reason := missing_reason():
        print(f"error: {reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="monitor-screens-") as tmp:
        folder = Path(tmp)
        if args.demo is not None:
            config = args.demo.resolve() / "monitor.toml"
        else:
            print("running the demo (python -m monitor.demo) …", flush=True)
            config = run_demo(folder / "demo")
        with ConsoleServer(config, log=folder / "web.log") as console:
            driver = launch(folder / "downloads", width=WIDTH)
            try:
                capture(driver, console.url("/"), out / "inbox.png", wait_for=".stories")

                story_url = str(
                    driver.execute_script(
                        "const items = Array.from(document.querySelectorAll('.story'));"
                        "const grouped = items.find(i => / copies/.test(i.textContent));"
                        "return (grouped || items[0]).querySelector('.title a').href;"
                    )
                )  # a syndicated story (several copies) shows the grouping best
                capture(driver, story_url, out / "story.png", wait_for=".fulltext")
                capture(driver, console.url("/sources"), out / "sources.png", wait_for="table")
                lab = console.url("/lab?q=" + quote(LAB_QUERY))
                capture(driver, lab, out / "query-lab.png", wait_for="#lab-result")
            finally:
                driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())

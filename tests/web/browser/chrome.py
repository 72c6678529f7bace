"""Headless Debian chromium driven by Selenium through the system chromedriver.

The driver's path is given to ``Service`` explicitly, so Selenium Manager never looks for (or
downloads) a browser or a driver; chromium's own background traffic (updates, sync, safe
browsing, translation) is switched off, and every page must work offline.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
INSTALL_HINT = "apt-get install chromium chromium-driver (or run `make chromium`)"


def chromium_paths() -> tuple[str, str] | None:
    """(browser, driver) of the Debian packages, or None when either is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        return None
    real = Path("/usr/lib/chromium/chromium")  # the binary behind Debian's wrapper script
    return (str(real) if real.exists() else browser), driver


def missing_reason() -> str | None:
    """None when the browser tests can run, else why they cannot."""
    if chromium_paths() is None:
        return f"chromium or chromedriver not installed: {INSTALL_HINT}"
    return None


def launch(downloads: Path, width: int = 1280, height: int = 900):  # type: ignore[no-untyped-def]
    """A headless Chrome WebDriver on the system chromium (the caller quits it)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    paths = chromium_paths()
    if paths is None:
        raise RuntimeError(f"chromium or chromedriver not installed: {INSTALL_HINT}")
    browser, driver = paths
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",  # containers and CI run as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
        "--metrics-recording-only",
        "--safebrowsing-disable-auto-update",
        "--password-store=basic",
        "--lang=en-US",
        "--force-device-scale-factor=1",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console errors, CSP
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "credentials_enable_service": False}
    )
    service = Service(executable_path=driver, log_output=os.devnull)
    return webdriver.Chrome(service=service, options=options)

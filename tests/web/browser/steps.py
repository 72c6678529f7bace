"""What a user does in the console, as small Selenium steps (explicit waits, no sleeps)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.browser.console import ConsoleServer

WAIT = 20.0


def wait(driver: Any, timeout: float = WAIT) -> WebDriverWait[Any]:
    return WebDriverWait(driver, timeout, poll_frequency=0.1)


def find(driver: Any, selector: str, timeout: float = WAIT) -> WebElement:
    """The first element matching ``selector`` (waits; shows the page if it never comes)."""
    try:
        element: WebElement = wait(driver, timeout).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, selector))
        )
    except TimeoutException:
        page = re.sub(r"\s+", " ", driver.page_source)[:1500]
        raise AssertionError(f"no {selector!r} on {driver.current_url}: {page}") from None
    return element


def all_of(driver: Any, selector: str) -> list[WebElement]:
    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def until(driver: Any, condition: Callable[[Any], Any], timeout: float = WAIT) -> Any:
    return wait(driver, timeout).until(condition)


def submit_and_wait(driver: Any, button: WebElement) -> None:
    """Click a button that loads a new page and wait until the old one is gone."""
    page = driver.find_element(By.TAG_NAME, "html")
    button.click()
    wait(driver).until(ec.staleness_of(page))
    find(driver, "main")


def sign_in(driver: Any, console: ConsoleServer, token: str) -> None:
    """Open the console; if it sends us to the login form, sign in with ``token``."""
    driver.get(console.url("/"))
    find(driver, "main")
    if "/login" not in driver.current_url:
        return
    field = find(driver, "#token")
    field.clear()
    field.send_keys(token)
    submit_and_wait(driver, driver.find_element(By.ID, "login-button"))
    find(driver, ".stories, .empty")


def story_titles(driver: Any) -> list[str]:
    return [e.text.strip() for e in all_of(driver, "#story-list .story .title a")]


def js(driver: Any, script: str, *args: Any) -> Any:
    """Read the page in one script call: no element handle can go stale between two steps
    while htmx swaps nodes."""
    return driver.execute_script(script, *args)


def item_state(driver: Any, story_id: int) -> dict[str, Any] | None:
    """The classes, label and text of one inbox item, read atomically (None if absent)."""
    return js(  # type: ignore[no-any-return]
        driver,
        "const e = document.getElementById('story-' + arguments[0]);"
        "return e ? {classes: Array.from(e.classList), label: e.dataset.label,"
        " text: e.textContent} : null;",
        story_id,
    )

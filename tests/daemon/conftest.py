"""Fixtures for the daemon tests: config files, the job-function recorder, log cleanup."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from monitor.daemon.logging import remove_logging
from tests.daemon import jobfuncs
from tests.daemon.killkit import Mailbox, NewsSite


def render_toml(data: dict[str, Any]) -> str:
    """A tiny TOML writer for the config shapes the tests use."""
    lines: list[str] = []

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return str(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    for key, section in data.items():
        if isinstance(section, list):
            for item in section:
                lines.append(f"[[{key}]]")
                lines.extend(f"{k} = {value(v)}" for k, v in item.items())
        else:
            lines.append(f"[{key}]")
            for k, v in section.items():
                if isinstance(v, list) and v and isinstance(v[0], dict):
                    continue
                lines.append(f"{k} = {value(v)}")
            for k, v in section.items():
                if isinstance(v, list) and v and isinstance(v[0], dict):
                    for item in v:
                        lines.append(f"[[{key}.{k}]]")
                        lines.extend(f"{ik} = {value(iv)}" for ik, iv in item.items())
    return "\n".join(lines) + "\n"


def source(name: str, schedule: str = "every 30 minutes", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "site": f"http://127.0.0.1:9/{name}/",
        "allow_private": True,
        "schedule": schedule,
        **extra,
    }


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a config file for ``url`` with the given sources and sections; returns its path."""

    def _write(url: str, sources: list[dict[str, Any]] | None = None, **sections: Any) -> Path:
        data: dict[str, Any] = {"database": {"url": url}}
        data["daemon"] = {"lease_seconds": 10, **sections.pop("daemon", {})}
        data.update(sections)
        if sources:
            data["sources"] = sources
        path = tmp_path / "monitor.toml"
        path.write_text(render_toml(data), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def recorder() -> Iterator[ModuleType]:
    """The job-function recorder of :mod:`tests.daemon.jobfuncs`, empty for this test."""
    jobfuncs.reset()
    yield jobfuncs
    jobfuncs.reset()


@pytest.fixture
def daemon_logging() -> Iterator[None]:
    """Remove the log handlers ``run_daemon`` installs on the root logger."""
    yield
    remove_logging()


@pytest.fixture
def site() -> Iterator[NewsSite]:
    """One local news site."""
    news = NewsSite()
    news.thread.start()
    yield news
    news.server.shutdown()
    news.server.server_close()


@pytest.fixture
def sites(request: pytest.FixtureRequest) -> Iterator[dict[str, NewsSite]]:
    """One local news site per name in the test module's ``SOURCES``."""
    webs = {name: NewsSite(offset=100 * n) for n, name in enumerate(request.module.SOURCES)}
    for web in webs.values():
        web.thread.start()
    yield webs
    for web in webs.values():
        web.server.shutdown()
        web.server.server_close()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A local SMTP server (aiosmtpd) keeping every message."""
    box = Mailbox()
    box.controller.start()
    yield box
    box.controller.stop()

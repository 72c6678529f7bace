"""The wheel is a working product: built from the sources, installed into a venv of its own and
run from an unrelated folder, it creates its database and crawls a source.

The venv gets the locked dependencies through a ``.pth`` line naming this environment's
site-packages (no download), and the wheel itself with ``--no-deps``; the project's own code can
only come from the wheel, because nothing puts the checkout on that venv's path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.db.engine import Database
from monitor.db.migrate import head_revision
from monitor.db.models import Article
from monitor.demo.site import NewsWeb

REPO = Path(__file__).resolve().parents[1]
# What a build needs: the metadata and the three trees the wheel is made of.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "monitor", "spiders", "migrations")

pytestmark = pytest.mark.slow


def _run(command: list[str | Path], cwd: Path, timeout: float = 180) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONITOR_", "PYTHON"))}
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from a copy of the sources (the checkout stays untouched)."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            shutil.copytree(
                REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(REPO / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
    _run([*command, "--no-build-isolation", "--wheel-dir", dist, source], cwd=source)
    (built,) = dist.glob("news_monitor-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only the wheel; the locked dependencies are visible through a .pth."""
    root = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", root], cwd=root)
    python = root / "bin" / "python"
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], root)
    ours = sysconfig.get_path("purelib")
    Path(purelib.strip(), "locked-dependencies.pth").write_text(ours + "\n", encoding="utf-8")
    install: list[str | Path] = [sys.executable, "-m", "pip", "--python", python, "install", "-q"]
    _run([*install, "--no-deps", wheel], cwd=root)
    return root


def test_wheel_maps_spiders_and_migrations_under_monitor(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    top_level = {name.split("/", 1)[0] for name in names}
    assert top_level == {"monitor", "news_monitor-0.1.0.dist-info"}
    migrations = sorted((REPO / "migrations" / "versions").glob("*.py"))
    for needed in (
        "monitor/spiders/source.py",
        "monitor/_migrations/env.py",
        "monitor/_migrations/script.py.mako",
        *(f"monitor/_migrations/versions/{path.name}" for path in migrations),
        "monitor/alerts/templates/digest/body.html",
        "monitor/alerts/templates/digest/subject.txt",
        "monitor/alerts/templates/operator/body.txt",
        "monitor/py.typed",
    ):
        assert needed in names, f"{needed} missing from {wheel.name}"


def test_installed_wheel_inits_and_crawls_from_any_folder(venv: Path, tmp_path: Path) -> None:
    python = venv / "bin" / "python"
    where = _run([python, "-c", "import monitor.spiders as m; print(m.__file__)"], tmp_path)
    assert Path(where.strip()).is_relative_to(venv), where

    monitor = venv / "bin" / "monitor"
    assert "init" in _run([monitor, "--help"], cwd=tmp_path)
    with NewsWeb() as web:
        havana = web.host("havana-daily")
        (tmp_path / "monitor.toml").write_text(
            '[database]\nurl = "sqlite:///monitor.db"\n\n'
            "[crawl]\nautothrottle = false\ndownload_timeout = 3.0\n\n"
            f'[[sources]]\nname = "havana-daily"\nfeeds = ["{havana.url("/feed/")}"]\n'
            "allow_private = true\n",
            encoding="utf-8",
        )
        assert f"to schema {head_revision()}" in _run([monitor, "init"], cwd=tmp_path)
        _run([monitor, "crawl"], cwd=tmp_path)
        expected = {url for url in web.relevant_urls() if url.startswith(havana.base)}

    db = Database(f"sqlite:///{tmp_path / 'monitor.db'}")
    try:
        with db.session() as session:
            stored = set(session.scalars(select(Article.url)))
    finally:
        db.dispose()
    assert expected and stored == expected

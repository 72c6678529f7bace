"""The real ``monitor`` CLI in a subprocess: exit codes, one-line errors, init/articles/export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.db.engine import Database
from monitor.db.models import Article, Story


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "monitor.toml").write_text(
        '[database]\nurl = "sqlite:///data/monitor.db"\n'
        '[[sources]]\nname = "local"\nfeeds = ["http://127.0.0.2:8999/feed.xml"]\n'
        "allow_private = true\n"
    )
    return tmp_path


def test_help_everywhere(project: Path) -> None:
    for command in (
        [],
        ["init"],
        ["crawl"],
        ["run"],
        ["articles"],
        ["export"],
        ["digest"],
        ["status"],
        ["sources", "check"],
        ["query", "test"],
        ["extract"],
    ):
        result = run_cli(*command, "--help", cwd=project)
        assert result.returncode == 0, (command, result.stderr)
        assert "Usage" in result.stdout


def test_bad_config_exits_2_with_one_line(project: Path) -> None:
    (project / "monitor.toml").write_text("[database]\nurll = 'x'\n")
    result = run_cli("init", cwd=project)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "database.urll: unknown key" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_config_exits_2(tmp_path: Path) -> None:
    result = run_cli("--config", str(tmp_path / "none.toml"), "status", cwd=tmp_path)
    assert result.returncode == 2
    assert "config file not found" in result.stderr


def test_usage_error_exits_2(project: Path) -> None:
    assert run_cli("articles", "--limit", "zero", cwd=project).returncode == 2
    assert run_cli("no-such-command", cwd=project).returncode == 2


def test_commands_refuse_an_uninitialised_database(project: Path) -> None:
    result = run_cli("articles", cwd=project)
    assert result.returncode == 1
    assert "run `monitor init`" in result.stderr


def test_unreachable_database_is_one_line(project: Path) -> None:
    result = run_cli(
        "init", cwd=project, env={"MONITOR_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot reach database")
    assert result.stderr.strip().count("\n") == 0


def test_init_articles_export(project: Path) -> None:
    first = run_cli("init", cwd=project)
    assert first.returncode == 0, first.stderr
    assert "upgraded from empty" in first.stdout
    assert "already at schema" in run_cli("init", cwd=project).stdout
    db = Database(f"sqlite:///{project / 'data' / 'monitor.db'}")
    with db.session() as session:
        for n in range(3):
            story = Story(title=f"Story {n}")
            session.add(story)
            session.flush()
            session.add(
                Article(
                    canonical_url=f"https://news.example/{n}",
                    url=f"https://news.example/{n}",
                    story_id=story.id,
                    content_fingerprint=str(n) * 64,
                    title=f"Story {n}",
                    text=f"Story {n}\n\nRussia and Cuba, paragraph one.\n\nParagraph two.",
                    matched_terms=["russia", "cuba"],
                )
            )
    db.dispose()
    listed = run_cli("articles", "--json", "--limit", "2", cwd=project)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["title"] for r in rows] == ["Story 2", "Story 1"]
    out = project / "export"
    assert run_cli("export", str(out), cwd=project).returncode == 0
    files = sorted(p.name for p in out.iterdir())
    assert [f[:4] for f in files] == ["000_", "001_", "002_"]
    assert (
        out / files[0]
    ).read_text() == "Story 0\n\nRussia and Cuba, paragraph one.\n\nParagraph two.\n"
    again = run_cli("export", str(out), cwd=project)
    assert "0 written, 3 unchanged" in again.stdout
    assert sorted(p.name for p in out.iterdir()) == files

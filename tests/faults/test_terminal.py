"""Web text cannot break the terminal: markup in a stored title prints as itself, and control
characters (ESC, BEL, OSC hyperlinks, C1, bidi overrides) are stripped at extraction and
never printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.db.engine import Database
from monitor.db.migrate import upgrade
from monitor.extract import ExtractedArticle, clean_page
from monitor.extract.control import strip_control
from tests.faults.helpers import add_article, run_cli

HOSTILE_TITLE = "Cuba [/] and [bold]Russia[/bold] \x1b[2J\x1b]0;owned\x07 sign \x1b]8;;http://x.example/\x07deal"
ESCAPE_FREE = ("\x1b", "\x07", "\x9b", "\u202e")

PARAGRAPHS = [
    "Russia and Cuba signed a set of agreements on energy and trade in Havana, officials said "
    "on Tuesday, after two days of talks between the delegations of both governments.",
    "The deputy prime minister who led the visit said Moscow would help repair the island's "
    "power stations and ship fuel on easier terms before the end of the coming season.",
    "Officials in Havana said the accords would ease shortages, while critics said they would "
    "deepen the island's dependence on a distant partner under international sanctions.",
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "monitor.toml").write_text(
        '[database]\nurl = "sqlite:///data/monitor.db"\n'
        '[[sources]]\nname = "local"\nfeeds = ["http://127.0.0.2:8999/feed.xml"]\n'
        "allow_private = true\n"
    )
    (tmp_path / "data").mkdir()
    db = Database(f"sqlite:///{tmp_path / 'data' / 'monitor.db'}")
    upgrade(db)
    add_article(db, 1, title=HOSTILE_TITLE)
    db.dispose()
    return tmp_path


def test_articles_prints_a_hostile_title(project: Path) -> None:
    result = run_cli("articles", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "MarkupError" not in result.stderr
    assert "[/]" in result.stdout and "[bold]Russia[/bold]" in result.stdout
    assert not any(c in result.stdout for c in ESCAPE_FREE)


def test_query_test_prints_a_hostile_title(project: Path) -> None:
    result = run_cli("query", "test", "cuba", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "[/]" in result.stdout
    assert not any(c in result.stdout for c in ESCAPE_FREE)


def _hostile_page() -> str:
    ld = json.dumps(
        {
            "@type": "NewsArticle",
            "headline": "Havana\x1b]8;;http://x.example/\x07 talks",
            "author": {"@type": "Person", "name": "Ana\x1b[31m Perez\u202e"},
        }
    )
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        "<html lang='en'><head><title>Talks</title>"
        "<meta property='og:title' content='Russia &#x1b;[2Jand Cuba&#x7; [/] sign deals'>"
        "<meta property='og:site_name' content='The &#x1b;]0;pwned&#x7;Daily'>"
        f"<script type='application/ld+json'>{ld}</script></head>"
        f"<body><article><h1>Russia and Cuba sign deals</h1>{body}"
        "<p>A last paragraph with a \x1b[5mblinking\x1b[0m word and a bell\x07 in its text "
        "that a page author put there to reach the operator's terminal directly.</p>"
        "</article></body></html>"
    )


def test_control_characters_are_stripped_at_extraction() -> None:
    article = clean_page(_hostile_page(), "https://news.example/a")
    assert isinstance(article, ExtractedArticle)
    for value in (article.title, article.text, article.author or "", article.site_name or ""):
        assert not any(c in value for c in ESCAPE_FREE), repr(value)
    assert article.title == "Havana talks"  # the JSON-LD headline, its OSC link removed
    assert article.site_name == "The Daily"
    assert "blinking" in article.text


def test_monitor_extract_prints_no_control_characters(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(_hostile_page())
    result = run_cli("extract", "--json", str(page), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for key in ("title", "text", "author", "site_name"):
        assert not any(c in (data[key] or "") for c in ESCAPE_FREE), (key, data[key])


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x1b[2Jb", "ab"),
        ("\x1b]8;;http://x.example/\x07link\x1b]8;;\x07", "link"),
        ("\x1b]0;title\x1b\\x", "x"),
        ("tab\tand\nline", "tab\tand\nline"),
        ("c1\x9b31mz\x85", "c1z"),
        ("bidi\u202eevil\u2066", "bidievil"),
        ("plain [/] text", "plain [/] text"),
    ],
)
def test_strip_control(raw: str, clean: str) -> None:
    assert strip_control(raw) == clean

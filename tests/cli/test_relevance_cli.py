"""Stage 2 through the real CLI: near misses, feedback, extract --json, digests, bad models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.alerts.outbox import story_hook
from monitor.config import load_config
from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, Article
from monitor.demo.articles import ARTICLES, NOISE_ARTICLES
from monitor.demo.site import NewsWeb
from monitor.processing import ArticleStore, FetchedPage, analyze_page
from tests.cli.test_cli import run_cli
from tests.pages import NOISE, OFF_TOPIC, RELEVANT, page_html

CONFIG = (
    '[database]\nurl = "sqlite:///data/monitor.db"\n'
    "[[email.recipients]]\naddress = 'analyst@example.org'\nfrequency = 'daily'\n"
    "[[email.recipients]]\naddress = 'desk@example.org'\nfrequency = 'instant'\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "monitor.toml").write_text(CONFIG)
    assert run_cli("init", cwd=tmp_path).returncode == 0
    return tmp_path


@pytest.fixture
def db(project: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{project / 'data' / 'monitor.db'}")
    yield database
    database.dispose()


def pages(folder: Path) -> dict[str, Path]:
    """Every test page as an HTML file: relevant, noise and off-topic."""
    folder.mkdir(exist_ok=True)
    files: dict[str, Path] = {}
    for key, (title, paragraphs) in {**RELEVANT, **NOISE, "off": OFF_TOPIC}.items():
        files[key] = folder / f"{key}.html"
        files[key].write_bytes(page_html(title, paragraphs))
    return files


def store_pages(project: Path, files: dict[str, Path]) -> dict[str, str]:
    """Store each page as the crawl pipeline does (same call, process default); outcomes."""
    config = load_config(project / "monitor.toml")
    database = Database(config.database.url.replace("data/", f"{project}/data/"))
    store = ArticleStore(database, alerts=story_hook(config))
    outcomes: dict[str, str] = {}
    for key, path in files.items():
        page = FetchedPage(f"https://site.example/{key}", path.read_bytes(), "cli")
        outcomes[key] = store.store(analyze_page(page, config.query.match)).outcome
    database.dispose()
    return outcomes


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def article_ids(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(select(Article.title, Article.id)).all()
    by_title = dict(rows)
    every = {**RELEVANT, **NOISE}
    return {key: by_title[title] for key, (title, _) in every.items() if title in by_title}


def test_extract_and_the_pipeline_agree(project: Path) -> None:
    files = pages(project / "pages")
    extracted = run_cli("extract", "--json", *map(str, files.values()), cwd=project)
    assert extracted.returncode == 0, extracted.stderr
    rows = {Path(str(r["input"])).stem: r for r in json_lines(extracted.stdout)}
    outcomes = store_pages(project, files)
    for key, row in rows.items():
        assert set(row) >= {
            "matched",
            "query_matched",
            "relevance",
            "relevance_reasons",
            "near_miss",
            "language_unsupported",
        }
        stored_relevant = outcomes[key] in ("new", "syndicated")
        assert row["matched"] == stored_relevant, (key, row, outcomes[key])
        assert row["near_miss"] == (outcomes[key] == "near_miss"), key
        assert row["query_matched"] == (outcomes[key] != "not_matching"), key
    assert rows["oil"]["matched"] and not rows["oil"]["near_miss"]
    assert rows["sanctions"]["query_matched"] and rows["sanctions"]["near_miss"]
    assert not rows["sanctions"]["matched"]
    reasons = rows["sanctions"]["relevance_reasons"]
    assert isinstance(reasons, list) and any("countries" in str(r) for r in reasons)
    assert rows["off"]["relevance"] is None and not rows["off"]["query_matched"]
    relevance = rows["flights"]["relevance"]
    assert isinstance(relevance, float) and 0.5 < relevance <= 1.0


def test_articles_near_misses_feedback_and_export(project: Path, db: Database) -> None:
    outcomes = store_pages(project, pages(project / "pages"))
    assert sorted(k for k, v in outcomes.items() if v == "near_miss") == sorted(NOISE)
    ids = article_ids(db)
    listed = run_cli("articles", "--json", cwd=project)
    assert listed.returncode == 0, listed.stderr
    rows = json_lines(listed.stdout)
    assert sorted(r["id"] for r in rows) == sorted(ids[k] for k in RELEVANT)  # type: ignore[type-var]
    assert all("relevance" in r and r["near_miss"] is False for r in rows)
    near = json_lines(run_cli("articles", "--json", "--near-misses", cwd=project).stdout)
    assert sorted(r["id"] for r in near) == sorted(ids[k] for k in NOISE)  # type: ignore[type-var]
    assert all(r["near_miss"] is True and isinstance(r["relevance"], float) for r in near)
    table = run_cli("articles", "--near-misses", cwd=project, env={"COLUMNS": "250"})
    assert "2 near miss(es)" in table.stdout and "Wrestling worlds" in table.stdout

    exported = run_cli("export", str(project / "out"), cwd=project)
    assert exported.returncode == 0, exported.stderr
    texts = [p.read_text() for p in (project / "out").iterdir()]
    assert len(texts) == len(RELEVANT)
    assert not any("Wrestling" in t or "sanctions" in t for t in texts)

    # Promote the wrestling piece: it is listed and alerted (twice the label: one alert each).
    wrestling = ids["wrestling"]
    for _ in range(2):
        promoted = run_cli("feedback", str(wrestling), "relevant", cwd=project)
        assert promoted.returncode == 0, promoted.stderr
    assert (
        "promoted: 2 alert(s) queued"
        in run_cli("feedback", str(ids["sanctions"]), "relevant", cwd=project).stdout
    )
    with db.session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(AlertDelivery)
            .join(Article, Article.story_id == AlertDelivery.story_id)
            .where(Article.id == wrestling)
        )
    assert count == 2  # one per recipient, however often it was labelled
    listed_after = {r["id"] for r in json_lines(run_cli("articles", "--json", cwd=project).stdout)}
    assert wrestling in listed_after
    # Demote a relevant story: gone from the list, no longer exported.
    demoted = run_cli("feedback", str(ids["oil"]), "irrelevant", cwd=project)
    assert demoted.returncode == 0 and "demoted" in demoted.stdout
    listed_after = {r["id"] for r in json_lines(run_cli("articles", "--json", cwd=project).stdout)}
    assert ids["oil"] not in listed_after


def test_digest_holds_relevant_stories_by_relevance_with_the_reason(
    project: Path, db: Database
) -> None:
    store_pages(project, pages(project / "pages"))
    eml = project / "digest.eml"
    result = run_cli("digest", "--dry-run", "--out", str(eml), cwd=project)
    assert result.returncode == 0, result.stderr
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    text = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined,union-attr]
    assert RELEVANT["oil"][0] in text and RELEVANT["flights"][0] in text
    assert NOISE["sanctions"][0] not in text and NOISE["wrestling"][0] not in text
    assert "Why: relevance " in text
    with db.session() as session:
        scores = dict(session.execute(select(Article.title, Article.relevance)).all())
    first, second = sorted(RELEVANT.values(), key=lambda tp: -(scores[tp[0]] or 0))
    assert text.index(first[0]) < text.index(second[0])


def test_feedback_errors_are_one_line_exit_2(project: Path) -> None:
    unknown = run_cli("feedback", "424242", "relevant", cwd=project)
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "error: no article with id 424242"
    bad_label = run_cli("feedback", "1", "maybe", cwd=project)
    assert bad_label.returncode == 2 and "relevant" in bad_label.stderr


def test_missing_or_corrupt_model_is_one_line_exit_2(project: Path) -> None:
    page = project / "p.html"
    page.write_bytes(page_html(*RELEVANT["oil"]))
    (project / "monitor.toml").write_text(CONFIG + '[relevance]\nmodel = "models/none.json"\n')
    for command in (["extract", str(page)], ["crawl"], ["relevance", "eval"]):
        result = run_cli(*command, cwd=project)
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr.strip().count("\n") == 0, result.stderr
        assert "relevance model not found" in result.stderr
        assert str(project / "models" / "none.json") in result.stderr
    (project / "models").mkdir()
    (project / "models" / "none.json").write_text("{not json")
    corrupt = run_cli("extract", str(page), cwd=project)
    assert corrupt.returncode == 2 and corrupt.stderr.strip().count("\n") == 0
    assert "relevance model unreadable" in corrupt.stderr


def test_relevance_off_and_query_warnings(project: Path) -> None:
    page = project / "p.html"
    page.write_bytes(page_html(*NOISE["sanctions"]))
    (project / "monitor.toml").write_text(CONFIG + "[relevance]\nenabled = false\n")
    row = json_lines(run_cli("extract", "--json", str(page), cwd=project).stdout)[0]
    assert row["matched"] and row["relevance"] is None and not row["near_miss"]
    (project / "monitor.toml").write_text(CONFIG + "[query]\nmatch = 'cuba AND russia'\n")
    warned = run_cli("extract", "--json", str(page), cwd=project)
    assert warned.returncode == 0
    assert warned.stderr.count("warning: the relevance model") == 1
    (project / "monitor.toml").write_text(CONFIG + "[query]\nmin_score = 1.0\n")
    removed = run_cli("extract", str(page), cwd=project)
    assert removed.returncode == 2 and "min_score was removed" in removed.stderr


def test_crawl_keeps_noise_as_near_misses(tmp_path: Path) -> None:
    web = NewsWeb(articles=ARTICLES + NOISE_ARTICLES).start()
    try:
        feed, site = web.host("havana-daily").url("/feed/"), web.host("caribbean-post").url("/")
        (tmp_path / "monitor.toml").write_text(
            '[database]\nurl = "sqlite:///data/monitor.db"\n[crawl]\nautothrottle = false\n'
            "download_timeout = 3.0\nretry_times = 0\n"
            f'[[sources]]\nname = "havana"\nfeeds = ["{feed}"]\nallow_private = true\n'
            f'[[sources]]\nname = "post"\nsite = "{site}"\nallow_private = true\n'
        )
        assert run_cli("init", cwd=tmp_path).returncode == 0
        crawled = run_cli("crawl", cwd=tmp_path)
        assert crawled.returncode == 0, crawled.stderr
    finally:
        web.stop()
    near = json_lines(run_cli("articles", "--json", "--near-misses", cwd=tmp_path).stdout)
    expected = {a.title for a in NOISE_ARTICLES if a.host in ("havana-daily", "caribbean-post")}
    assert {str(r["title"]) for r in near} == expected
    relevant = json_lines(run_cli("articles", "--json", cwd=tmp_path).stdout)
    assert relevant and not {str(r["title"]) for r in relevant} & expected


def test_retraining_learns_from_feedback(project: Path, db: Database) -> None:
    store_pages(project, pages(project / "pages"))
    ids = article_ids(db)
    assert run_cli("feedback", str(ids["wrestling"]), "relevant", cwd=project).returncode == 0
    assert run_cli("feedback", str(ids["oil"]), "irrelevant", cwd=project).returncode == 0
    out = project / "retrained.json"
    trained = run_cli("relevance", "train", "--out", str(out), cwd=project)
    assert trained.returncode == 0, trained.stderr
    assert "analyst feedback: 2 labelled stories" in trained.stdout
    assert out.exists()
    skipped = run_cli(
        "relevance", "train", "--no-feedback", "--out", str(project / "plain.json"), cwd=project
    )
    assert skipped.returncode == 0 and "analyst feedback" not in skipped.stdout


def test_query_test_shows_relevance(project: Path) -> None:
    store_pages(project, pages(project / "pages"))
    result = run_cli("query", "test", "cuba*", cwd=project, env={"COLUMNS": "300"})
    assert result.returncode == 0, result.stderr
    lines = {line for line in result.stdout.splitlines() if "│" in line}
    sanctions = [line for line in lines if "Treasury widens" in line]
    oil = [line for line in lines if "Russian tanker delivers" in line]
    assert sanctions and "near miss" in sanctions[0]
    assert oil and "near miss" not in oil[0]
    assert " rel " in result.stdout or "┃ rel" in result.stdout

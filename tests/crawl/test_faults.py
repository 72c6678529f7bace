"""A failing optional step is a counted fault, not a silent normal outcome; a page is parsed once.

The faults are provoked for real (the third-party or project function raises inside the real
pipeline), and each test checks both that the page still went on and that the fault is reported.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

import monitor.extract.clean as clean_module
import monitor.pipelines.precheck as precheck_module
import monitor.pipelines.store as store_module
from monitor.config import load_config
from monitor.crawl.extensions import counts_from_stats
from monitor.db.engine import Database
from monitor.demo.articles import ARTICLES, DemoArticle
from monitor.extract import ExtractedArticle, Fault, ParsedPage, Skipped, clean_page, parse_page
from monitor.pipelines.precheck import PrecheckGate, raw_page_text
from monitor.processing import ArticleStore, FetchedPage
from monitor.query import compile_query
from monitor.stories.outcomes import StoreOutcome
from tests.conftest import migrated_sqlite
from tests.pages import RELEVANT, page_html

TITLE, PARAGRAPHS = RELEVANT["oil"]
PAGE = page_html(TITLE, PARAGRAPHS * 2)


def _boom(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("injected failure")


def test_a_page_parsed_once_cleans_as_from_its_bytes() -> None:
    parsed = parse_page(PAGE, "text/html; charset=utf-8")
    assert isinstance(parsed, ParsedPage)
    assert raw_page_text(parsed) == raw_page_text(PAGE, "text/html; charset=utf-8")
    from_parse = clean_page(parsed, "http://127.0.0.2/a")
    from_bytes = clean_page(PAGE, "http://127.0.0.2/a", content_type="text/html; charset=utf-8")
    assert isinstance(from_parse, ExtractedArticle)
    assert from_parse == from_bytes
    with pytest.raises(ValueError, match="cleaned already"):
        clean_page(parsed, "http://127.0.0.2/a")  # its tree was changed by the first cleaning


def test_parse_page_says_why_a_page_is_not_html() -> None:
    assert parse_page(b"%PDF-1.7 binary", "application/pdf") == Skipped(
        clean_module.SkipReason.NOT_HTML
    )
    assert parse_page(b"   ", None) == Skipped(clean_module.SkipReason.EMPTY)


def test_a_failing_htmldate_is_a_counted_fault_and_the_article_is_kept(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import htmldate

    monkeypatch.setattr(htmldate, "find_date", _boom)
    with caplog.at_level(logging.WARNING):
        result = clean_page(PAGE, "http://127.0.0.2/a")  # no declared date: htmldate is asked
    assert isinstance(result, ExtractedArticle)
    assert result.title == TITLE
    assert result.faults == (Fault.HTMLDATE,)
    assert any("htmldate failed" in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_failing_decoder_is_a_counted_fault_and_the_page_is_read_as_utf8(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(clean_module, "decode_html", _boom)
    with caplog.at_level(logging.ERROR):
        result = clean_page(PAGE, "http://127.0.0.2/a")
    assert isinstance(result, ExtractedArticle)
    assert Fault.DECODE in result.faults
    assert PARAGRAPHS[0] in result.body
    assert any("cannot decode" in r.getMessage() and r.exc_info for r in caplog.records)


def test_fault_counters_reach_the_run_counts() -> None:
    counts = counts_from_stats({"monitor/faults/precheck": 2, "monitor/faults/htmldate": 1})
    assert counts["fault_precheck"] == 2
    assert counts["fault_htmldate"] == 1


@pytest.fixture
def worker(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """This process as an extraction worker (its Database and store), on a migrated SQLite."""
    url = migrated_sqlite(sqlite_template, tmp_path / "monitor.db")
    config_path = tmp_path / "monitor.toml"
    config_path.write_text(
        f'[database]\nurl = "{url}"\n[relevance]\nenabled = false\n'
        '[[sources]]\nname = "wire"\nfeeds = ["http://127.0.0.2/feed.xml"]\n'
        "allow_private = true\n",
        encoding="utf-8",
    )
    config = load_config(config_path)
    db = Database(url)
    state = store_module._WorkerState(ArticleStore.for_config(db, config))
    monkeypatch.setattr(store_module, "_worker", state)
    yield
    db.dispose()


def _process(url: str, body: bytes = PAGE) -> store_module.StoreResult:
    page = FetchedPage(url=url, body=body, source_name="wire", content_type="text/html")
    query = "(russia OR moscow) AND cuba"
    return store_module.process_page(page, store_module.PageJob(query=query, kind="rss"))


@pytest.mark.usefixtures("worker")
def test_a_failing_precheck_sends_the_page_the_full_path_and_is_counted(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(precheck_module, "raw_page_text", _boom)
    with caplog.at_level(logging.ERROR):
        result = _process("http://127.0.0.2/news/1")
    assert result.outcome == StoreOutcome.NEW  # stored: the pre-check never rejects on failure
    assert result.detail["faults"] == [str(Fault.PRECHECK)]
    assert any("pre-check failed" in r.getMessage() and r.exc_info for r in caplog.records)


@pytest.mark.usefixtures("worker")
def test_a_page_without_faults_reports_none() -> None:
    result = _process("http://127.0.0.2/news/2")
    assert result.outcome == StoreOutcome.NEW
    assert "faults" not in result.detail


@pytest.mark.usefixtures("worker")
def test_a_parse_failure_is_an_analysis_error_not_a_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "parse_page", _boom)
    result = _process("http://127.0.0.2/news/3")
    assert result.outcome == StoreOutcome.ERROR
    assert result.detail["stage"] == "analysis"
    assert "injected failure" in result.detail["error"]


def _matching_articles() -> list[DemoArticle]:
    query = compile_query("(russia OR moscow) AND cuba")
    found = [a for a in ARTICLES if query.match(a.title, "\n\n".join(a.paragraphs)).matched]
    assert len(found) >= 6
    return found


@pytest.mark.usefixtures("worker")
def test_a_source_whose_pages_all_pass_skips_most_pre_checks_and_counts_them() -> None:
    assert store_module._worker is not None
    store_module._worker.gate = PrecheckGate(window=2, min_rejected_share=0.5, sample_every=2)
    results = [
        _process(
            f"http://127.0.0.2/news/gate-{n}",
            page_html(article.title, list(article.paragraphs)),
        )
        for n, article in enumerate(_matching_articles()[:6])
    ]
    # matching pages, pre-checked or not: each goes the full path and is stored
    failed = {StoreOutcome.NOT_MATCHING, StoreOutcome.SKIPPED, StoreOutcome.ERROR}
    assert not failed & {r.outcome for r in results}, results
    assert [bool(r.detail.get("precheck_skipped")) for r in results] == [
        False, False, True, False, True, False,
    ]  # fmt: skip

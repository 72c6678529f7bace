"""Benchmark metric functions."""

from __future__ import annotations

from collections import Counter

import pytest

from monitor.extract.evaluate import PageScore, aggregate, score_page, shingles, token_f1


def test_shingles() -> None:
    assert shingles("") == Counter()
    assert shingles("a b") == Counter({("a", "b"): 1})
    assert shingles("a b c d e") == Counter({("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1})
    assert shingles("x x x x x") == Counter({("x", "x", "x", "x"): 2})


def test_score_page_multiset() -> None:
    page = score_page("a b c d e f", "a b c d e")
    assert (page.tp, page.fp, page.fn) == (2, 1, 0)


def test_aggregate_skips_undefined_pages() -> None:
    pages = [PageScore(tp=1, fp=0, fn=1), PageScore(tp=0, fp=0, fn=4), PageScore(0, 0, 0)]
    scores = aggregate(pages)
    assert scores.precision == 1.0
    assert scores.recall == pytest.approx(0.25)
    assert scores.f1 == pytest.approx(0.4)
    assert scores.pages == 3


def test_token_f1() -> None:
    assert token_f1("", "") == 1.0
    assert token_f1("Hello world", "hello world") == 1.0
    assert token_f1("a b", "c d") == 0.0

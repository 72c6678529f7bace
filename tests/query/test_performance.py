"""Matching speed: a 10 kB article must take about a millisecond (generous bound for CI)."""

from __future__ import annotations

import time
from pathlib import Path

from monitor.query import DEFAULT_QUERY, compile_query

SEEDS = sorted((Path(__file__).resolve().parents[2] / "seeds").glob("*.txt"))


def test_matching_a_10kb_article_is_fast() -> None:
    body = "\n\n".join(p.read_text(encoding="utf-8") for p in SEEDS) * 2
    body = body[:10_000]
    query = compile_query(DEFAULT_QUERY)
    assert query.match("Russia and Cuba", body).matched  # warm the per-query memo
    runs = 50
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(runs):
            query.match("Russia and Cuba", body)
        best = min(best, (time.perf_counter() - started) / runs)
    assert best < 0.010, f"{best * 1000:.2f} ms per 10 kB article"

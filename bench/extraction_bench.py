"""Article-extraction benchmark: project cleaner vs. plain trafilatura.

Usage::

    .venv/bin/python bench/extraction_bench.py [--bench-dir DIR] [--json] [--only NAME]

The bench folder holds ``html/<id>.html.gz`` and ``ground-truth.json`` (id -> {articleBody,
url}); default ``<repo>/../shared/extraction-bench``, overridable by ``MONITOR_EXTRACTION_BENCH``.
Metric: see :mod:`monitor.extract.evaluate` (shingle precision/recall/F1, body only).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from monitor.extract import ExtractedArticle, clean_page  # noqa: E402
from monitor.extract.evaluate import PageScore, aggregate, score_page  # noqa: E402

DEFAULT_BENCH_DIR = Path(__file__).resolve().parents[2] / "shared" / "extraction-bench"


@dataclass(frozen=True)
class BenchPage:
    """One benchmark page: id, URL, HTML text and ground-truth body."""

    page_id: str
    url: str
    html: str
    truth: str


@dataclass(frozen=True)
class RowResult:
    """Scores and timing of one extractor over the bench."""

    name: str
    precision: float
    recall: float
    f1: float
    ms_per_page: float
    pages: int


def bench_dir_from_env(explicit: str | Path | None = None) -> Path:
    """Resolve the bench folder: argument, then $MONITOR_EXTRACTION_BENCH, then the default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("MONITOR_EXTRACTION_BENCH")
    return Path(env) if env else DEFAULT_BENCH_DIR


def load_pages(bench_dir: Path) -> list[BenchPage]:
    """Load all pages listed in ``ground-truth.json`` (sorted by id)."""
    truth = json.loads((bench_dir / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        raw = gzip.decompress((bench_dir / "html" / f"{page_id}.html.gz").read_bytes())
        entry = truth[page_id]
        pages.append(
            BenchPage(page_id, entry.get("url") or "", raw.decode("utf-8"), entry["articleBody"])
        )
    return pages


def project_cleaner(page: BenchPage) -> str:
    """Body of :func:`clean_page` (no title line); a Skipped result is an empty prediction."""
    result = clean_page(page.html, page.url or None)
    return result.body if isinstance(result, ExtractedArticle) else ""


def trafilatura_default(page: BenchPage) -> str:
    """``trafilatura.extract`` with its defaults."""
    import trafilatura

    return trafilatura.extract(page.html, url=page.url or None) or ""


def trafilatura_no_comments(page: BenchPage) -> str:
    """``trafilatura.extract(include_comments=False)``."""
    import trafilatura

    return trafilatura.extract(page.html, url=page.url or None, include_comments=False) or ""


EXTRACTORS: dict[str, Callable[[BenchPage], str]] = {
    "project cleaner": project_cleaner,
    "trafilatura defaults": trafilatura_default,
    "trafilatura no comments": trafilatura_no_comments,
}


def run_extractor(
    name: str, extract: Callable[[BenchPage], str], pages: list[BenchPage]
) -> tuple[RowResult, dict[str, PageScore]]:
    """Run one extractor over all pages (after one untimed warm-up call)."""
    if pages:
        extract(pages[0])
    scores: dict[str, PageScore] = {}
    elapsed = 0.0
    for page in pages:
        start = time.perf_counter()
        predicted = extract(page)
        elapsed += time.perf_counter() - start
        scores[page.page_id] = score_page(predicted, page.truth)
    total = aggregate(scores.values())
    row = RowResult(
        name=name,
        precision=total.precision,
        recall=total.recall,
        f1=total.f1,
        ms_per_page=1000 * elapsed / len(pages) if pages else 0.0,
        pages=len(pages),
    )
    return row, scores


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-dir", help="benchmark folder (html/, ground-truth.json)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--only", choices=sorted(EXTRACTORS), help="run a single extractor")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst pages (F1)")
    args = parser.parse_args(argv)

    bench_dir = bench_dir_from_env(args.bench_dir)
    if not (bench_dir / "ground-truth.json").is_file():
        print(f"benchmark not found: {bench_dir}", file=sys.stderr)
        return 2
    pages = load_pages(bench_dir)
    names = [args.only] if args.only else list(EXTRACTORS)
    rows: list[RowResult] = []
    worst: dict[str, list[tuple[str, float, float]]] = {}
    for name in names:
        row, scores = run_extractor(name, EXTRACTORS[name], pages)
        rows.append(row)
        if args.worst:
            ranked = sorted(
                scores.items(), key=lambda kv: (kv[1].precision or 0) + (kv[1].recall or 0)
            )
            worst[name] = [
                (pid[:12], round(s.precision or 0, 3), round(s.recall or 0, 3))
                for pid, s in ranked[: args.worst]
            ]

    if args.json:
        print(json.dumps({"bench_dir": str(bench_dir), "rows": [asdict(r) for r in rows]}))
    else:
        print(f"extraction benchmark: {len(pages)} pages from {bench_dir}")
        print(f"{'extractor':26s} {'precision':>9s} {'recall':>8s} {'F1':>7s} {'ms/page':>8s}")
        for r in rows:
            print(
                f"{r.name:26s} {r.precision:9.4f} {r.recall:8.4f} {r.f1:7.4f} {r.ms_per_page:8.1f}"
            )
        for name, items in worst.items():
            print(f"\nworst pages for {name} (id, precision, recall):")
            for item in items:
                print("  ", *item)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

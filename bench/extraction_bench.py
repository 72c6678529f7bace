"""Article-extraction benchmark: project cleaner vs. plain trafilatura, on dev and held-out.

Usage::

    .venv/bin/python bench/extraction_bench.py [--bench-dir DIR] [--json] [--only NAME]
                                               [--part dev|heldout|all] [--worst N]

Two sources of pages:

* the shared benchmark (``html/<id>.html.gz`` + ``ground-truth.json``; default
  ``<repo>/../shared/extraction-bench``, or ``$MONITOR_EXTRACTION_BENCH``): 111 real pages.
  The cleaner's rules were written on them, so they are all **dev**;
* the corpus in ``tests/extract/corpus/`` (pages in real CMS shapes, truth in the seed
  format, see ``tests/extract/corpus_build.py``), split by a hash of the page id into **dev**
  and **held-out**; held-out pages are never looked at while writing rules.

Metric: see :mod:`monitor.extract.evaluate` (shingle precision/recall/F1, body only). ``--worst``
lists dev pages only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from monitor.extract import ExtractedArticle, TemplateSet, clean_page  # noqa: E402
from monitor.extract.evaluate import PageScore, aggregate, score_page  # noqa: E402

DEFAULT_BENCH_DIR = Path(__file__).resolve().parents[2] / "shared" / "extraction-bench"
SHARED_BENCH_FALLBACK = Path("/work/shared/extraction-bench")
CORPUS_DIR = REPO / "tests" / "extract" / "corpus"


@dataclass(frozen=True)
class BenchPage:
    """One benchmark page: id, URL, HTML text and ground-truth body."""

    page_id: str
    url: str
    html: str
    truth: str
    part: str = "dev"  # dev or heldout
    origin: str = "bench"  # bench (shared, real pages) or corpus


@dataclass(frozen=True)
class RowResult:
    """Scores and timing of one extractor over the bench."""

    name: str
    precision: float
    recall: float
    f1: float
    ms_per_page: float
    pages: int
    cpu_ms_per_page: float = 0.0  # process CPU time: robust when other jobs share the cores


def bench_dir_from_env(explicit: str | Path | None = None) -> Path:
    """Resolve the bench folder: argument, then $MONITOR_EXTRACTION_BENCH, then the default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("MONITOR_EXTRACTION_BENCH")
    if env:
        return Path(env)
    if not DEFAULT_BENCH_DIR.is_dir() and SHARED_BENCH_FALLBACK.is_dir():
        return SHARED_BENCH_FALLBACK  # a git worktree one level deeper than the checkout
    return DEFAULT_BENCH_DIR


def load_corpus(corpus_dir: Path = CORPUS_DIR) -> list[BenchPage]:
    """The corpus pages with their split; the truth's title line is not scored."""
    split = json.loads((corpus_dir / "split.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, part in sorted(split.items()):
        html = (corpus_dir / f"{page_id}.html").read_text(encoding="utf-8")
        truth = (corpus_dir / f"{page_id}.txt").read_text(encoding="utf-8")
        body = truth.split("\n\n", 1)[1] if "\n\n" in truth else ""
        url = f"https://{page_id.rsplit('-', 1)[0]}.example/2024/{page_id}/"
        pages.append(BenchPage(page_id, url, html, body, part=part, origin="corpus"))
    return pages


def load_all(bench_dir: Path | None) -> list[BenchPage]:
    """Shared bench pages (if present, all dev) and the corpus pages."""
    pages = []
    if bench_dir is not None and (bench_dir / "ground-truth.json").is_file():
        pages.extend(load_pages(bench_dir))
    return pages + load_corpus()


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


def site_templates(pages: list[BenchPage]) -> dict[str, TemplateSet]:
    """Per page, the template learned from the OTHER pages of its site (same host, same part).

    What the crawler would know after seeing the rest of the site; untimed, unsupervised (no
    truth is used).
    """
    fingerprints: dict[str, tuple[str, ...]] = {}
    sites: dict[tuple[str, str], list[str]] = defaultdict(list)
    for page in pages:
        result = clean_page(page.html, page.url or None)
        if isinstance(result, ExtractedArticle):
            fingerprints[page.page_id] = result.block_fingerprints
        sites[(urlsplit(page.url).hostname or "", page.part)].append(page.page_id)
    learned: dict[str, TemplateSet] = {}
    for members in sites.values():
        counts = Counter(f for pid in members for f in fingerprints.get(pid, ()))
        for pid in members:
            own = Counter(fingerprints.get(pid, ()))
            learned[pid] = TemplateSet.learn(counts - own, len(members) - 1)
    return learned


def with_templates(templates: dict[str, TemplateSet]) -> Callable[[BenchPage], str]:
    """The project cleaner given each page's learned site template."""

    def extract(page: BenchPage) -> str:
        result = clean_page(page.html, page.url or None, templates=templates.get(page.page_id))
        return result.body if isinstance(result, ExtractedArticle) else ""

    return extract


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
    cpu = 0.0
    for page in pages:
        start, start_cpu = time.perf_counter(), time.process_time()
        predicted = extract(page)
        elapsed += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        scores[page.page_id] = score_page(predicted, page.truth)
    total = aggregate(scores.values())
    row = RowResult(
        name=name,
        precision=total.precision,
        recall=total.recall,
        f1=total.f1,
        ms_per_page=1000 * elapsed / len(pages) if pages else 0.0,
        pages=len(pages),
        cpu_ms_per_page=1000 * cpu / len(pages) if pages else 0.0,
    )
    return row, scores


SITE_TEMPLATES = "  + learned site templates"
PARTS = (
    ("dev", lambda p: p.part == "dev"),
    ("  shared bench (tuned on)", lambda p: p.origin == "bench"),
    ("  corpus dev", lambda p: p.origin == "corpus" and p.part == "dev"),
    ("held-out (corpus)", lambda p: p.part == "heldout"),
)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-dir", help="benchmark folder (html/, ground-truth.json)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--only", choices=sorted(EXTRACTORS), help="run a single extractor")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst dev pages (F1)")
    args = parser.parse_args(argv)

    bench_dir = bench_dir_from_env(args.bench_dir)
    if not (bench_dir / "ground-truth.json").is_file():
        print(f"shared benchmark not found: {bench_dir} (corpus only)", file=sys.stderr)
    pages = load_all(bench_dir)
    names = [args.only] if args.only else list(EXTRACTORS)
    extractors = dict(EXTRACTORS)
    if "project cleaner" in names:
        extractors[SITE_TEMPLATES] = with_templates(site_templates(pages))
        names.insert(names.index("project cleaner") + 1, SITE_TEMPLATES)
    rows: list[dict[str, object]] = []
    worst: dict[str, list[tuple[str, float, float]]] = {}
    for name in names:
        row, scores = run_extractor(name, extractors[name], pages)
        for label, keep in PARTS:
            chosen = [scores[p.page_id] for p in pages if keep(p)]
            if not chosen:
                continue
            total = aggregate(chosen)
            rows.append(
                {
                    "extractor": name,
                    "part": label.strip(),
                    "pages": total.pages,
                    "precision": total.precision,
                    "recall": total.recall,
                    "f1": total.f1,
                    "ms_per_page": row.ms_per_page,
                    "cpu_ms_per_page": row.cpu_ms_per_page,
                }
            )
        if args.worst:
            dev_ids = {p.page_id for p in pages if p.part == "dev"}
            ranked = sorted(
                ((pid, s) for pid, s in scores.items() if pid in dev_ids),
                key=lambda kv: (kv[1].precision or 0) + (kv[1].recall or 0),
            )
            worst[name] = [
                (pid[:16], round(s.precision or 0, 3), round(s.recall or 0, 3))
                for pid, s in ranked[: args.worst]
            ]

    if args.json:
        print(json.dumps({"bench_dir": str(bench_dir), "rows": rows}))
    else:
        print(f"extraction benchmark: {len(pages)} pages ({bench_dir} + {CORPUS_DIR.name}/)")
        header = f"{'extractor':24s} {'part':26s} {'pages':>5s} {'precision':>9s} {'recall':>8s}"
        print(f"{header} {'F1':>7s} {'ms/page':>8s} {'cpu ms':>7s}")
        for r in rows:
            print(
                f"{r['extractor']!s:24s} {r['part']!s:26s} {r['pages']:5d} {r['precision']:9.4f} "
                f"{r['recall']:8.4f} {r['f1']:7.4f} {r['ms_per_page']:8.1f} "
                f"{r['cpu_ms_per_page']:7.1f}"
            )
        for name, items in worst.items():
            print(f"\nworst dev pages for {name} (id, precision, recall):")
            for item in items:
                print("  ", *item)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

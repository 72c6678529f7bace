"""Quality gate: the cleaner must not fall below the pinned F1 floors (``baseline.json``).

The gate is the **held-out** part of the corpus in ``tests/extract/corpus/`` (hash split, see
``corpus_build.py``): pages no rule was written on. The shared benchmark
(``../shared/extraction-bench`` or ``$MONITOR_EXTRACTION_BENCH``; skipped when missing) is dev
data the rules were tuned on, kept as a second, looser floor.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from monitor.extract import ExtractedArticle, clean_page
from monitor.extract.evaluate import aggregate, score_page
from tests.extract.corpus_build import CORPUS_DIR, split_of

BASELINE = json.loads((Path(__file__).with_name("baseline.json")).read_text(encoding="utf-8"))
_DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "extraction-bench"
BENCH_DIR = Path(
    os.environ.get("MONITOR_EXTRACTION_BENCH")
    or (_DEFAULT if _DEFAULT.is_dir() else Path("/work/shared/extraction-bench"))
)


def _body(html: str, url: str | None) -> str:
    result = clean_page(html, url)
    return result.body if isinstance(result, ExtractedArticle) else ""


def test_split_is_the_hash_split_and_both_parts_are_populated() -> None:
    split = json.loads((CORPUS_DIR / "split.json").read_text(encoding="utf-8"))
    assert all(split_of(page_id) == part for page_id, part in split.items())
    assert {"dev", "heldout"} == set(split.values())
    assert sum(part == "heldout" for part in split.values()) >= 50


def test_cleaner_f1_on_heldout_not_below_floor() -> None:
    split = json.loads((CORPUS_DIR / "split.json").read_text(encoding="utf-8"))
    scores = []
    for page_id, part in sorted(split.items()):
        if part != "heldout":
            continue
        html = (CORPUS_DIR / f"{page_id}.html").read_text(encoding="utf-8")
        truth = (CORPUS_DIR / f"{page_id}.txt").read_text(encoding="utf-8").split("\n\n", 1)[1]
        scores.append(score_page(_body(html, None), truth))
    total = aggregate(scores)
    floor = BASELINE["heldout"]["f1_floor"]
    assert total.f1 >= floor, (
        f"held-out F1 {total.f1:.4f} (P {total.precision:.4f}, R {total.recall:.4f}) "
        f"below floor {floor}"
    )


def test_cleaner_f1_on_shared_bench_not_below_floor() -> None:
    truth_file = BENCH_DIR / "ground-truth.json"
    if not truth_file.is_file():
        pytest.skip(f"extraction bench not found at {BENCH_DIR} (set MONITOR_EXTRACTION_BENCH)")
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    scores = []
    for page_id, entry in sorted(truth.items()):
        html = gzip.decompress((BENCH_DIR / "html" / f"{page_id}.html.gz").read_bytes())
        scores.append(
            score_page(_body(html.decode("utf-8"), entry.get("url")), entry["articleBody"])
        )
    total = aggregate(scores)
    assert total.pages == len(truth)
    floor = BASELINE["dev_shared_bench"]["f1_floor"]
    assert total.f1 >= floor, (
        f"F1 {total.f1:.4f} (P {total.precision:.4f}, R {total.recall:.4f}) below floor {floor}"
    )

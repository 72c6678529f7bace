"""Quality gate: the project cleaner must not fall below the pinned benchmark F1.

The bench lives outside the repository (``../shared/extraction-bench`` or
``$MONITOR_EXTRACTION_BENCH``); the test skips when it is missing. Floor: ``baseline.json``.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from monitor.extract import ExtractedArticle, clean_page
from monitor.extract.evaluate import aggregate, score_page

BASELINE = json.loads((Path(__file__).with_name("baseline.json")).read_text(encoding="utf-8"))
BENCH_DIR = Path(
    os.environ.get("MONITOR_EXTRACTION_BENCH")
    or Path(__file__).resolve().parents[3] / "shared" / "extraction-bench"
)


def test_cleaner_f1_not_below_floor() -> None:
    truth_file = BENCH_DIR / "ground-truth.json"
    if not truth_file.is_file():
        pytest.skip(f"extraction bench not found at {BENCH_DIR} (set MONITOR_EXTRACTION_BENCH)")
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    scores = []
    for page_id, entry in sorted(truth.items()):
        html = gzip.decompress((BENCH_DIR / "html" / f"{page_id}.html.gz").read_bytes())
        result = clean_page(html.decode("utf-8"), entry.get("url") or None)
        predicted = result.body if isinstance(result, ExtractedArticle) else ""
        scores.append(score_page(predicted, entry["articleBody"]))
    total = aggregate(scores)
    assert total.pages == len(truth)
    assert total.f1 >= BASELINE["f1_floor"], (
        f"F1 {total.f1:.4f} (P {total.precision:.4f}, R {total.recall:.4f}) "
        f"below floor {BASELINE['f1_floor']}"
    )

"""Micro-benchmarks of the per-article stages after extraction: match, fingerprint, MinHash,
and building the story index. Usage: ``.venv/bin/python bench/pipeline_bench.py``."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from monitor.dedup import StoryIndex, content_fingerprint, minhash_signature  # noqa: E402
from monitor.query import DEFAULT_QUERY, compile_query  # noqa: E402


def best_ms(action: Callable[[], object], runs: int = 30, repeats: int = 5) -> float:
    """Best mean time of ``runs`` calls over ``repeats`` tries, in milliseconds."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(runs):
            action()
        best = min(best, (time.perf_counter() - started) / runs)
    return best * 1000


def main() -> int:
    seeds = [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))]
    body = ("\n\n".join(seeds) * 2)[:10_000]
    query = compile_query(DEFAULT_QUERY)
    print(f"article: {len(body)} characters, {len(body.split())} words")
    print(f"compile default query   {best_ms(lambda: compile_query(DEFAULT_QUERY), 5):8.2f} ms")
    print(
        f"match (default query)   {best_ms(lambda: query.match('Russia and Cuba', body)):8.2f} ms"
    )
    print(f"content fingerprint     {best_ms(lambda: content_fingerprint(body)):8.2f} ms")
    print(f"MinHash signature       {best_ms(lambda: minhash_signature(body)):8.2f} ms")
    rng = np.random.default_rng(5)
    signatures = [
        b"\x01" + rng.integers(0, 2**32, 128, dtype=np.uint64).astype("<u4").tobytes()
        for _ in range(50_000)
    ]
    started = time.perf_counter()
    index = StoryIndex()
    index.add_many(enumerate(signatures))
    print(f"story index, 50k built  {(time.perf_counter() - started) * 1000:8.0f} ms")
    print(f"story index lookup      {best_ms(lambda: index.find(signatures[7]), 100):8.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

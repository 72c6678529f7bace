"""The page archive on the extraction benchmark's real pages: compression ratio, compress and
decompress time per page, archive write rate, and ``reprocess`` throughput over the archive
(SQLite in a temporary folder).

Usage: ``.venv/bin/python bench/archive_bench.py [PAGES_DIR]`` (default: the ``html`` folder
of ``$MONITOR_EXTRACTION_BENCH`` or ``<repo>/../shared/extraction-bench``).
"""

from __future__ import annotations

import gzip
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from monitor.config import config_from_dict  # noqa: E402
from monitor.db.archive import archive_entry, archive_pages, decompress  # noqa: E402
from monitor.db.engine import Database  # noqa: E402
from monitor.db.migrate import upgrade  # noqa: E402
from monitor.processing import FetchedPage  # noqa: E402
from monitor.reprocess import reprocess  # noqa: E402

DEFAULT_BENCH = REPO.parent / "shared" / "extraction-bench"  # as bench/extraction_bench.py


def _pages(folder: Path) -> list[FetchedPage]:
    pages = []
    for path in sorted(folder.glob("*.html*")):
        raw = path.read_bytes()
        body = gzip.decompress(raw) if path.suffix == ".gz" else raw
        pages.append(
            FetchedPage(f"https://bench.example/{path.name.split('.')[0]}/", body, "bench")
        )
    return pages


def main() -> int:
    bench = os.environ.get("MONITOR_EXTRACTION_BENCH")
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(bench or DEFAULT_BENCH) / "html"
    if not folder.is_dir():
        print(f"no pages at {folder}: skipped")
        return 0
    pages = _pages(folder)
    started = time.perf_counter()
    entries = [archive_entry(p) for p in pages]
    compress_s = time.perf_counter() - started
    started = time.perf_counter()
    for entry in entries:
        decompress(entry.compression, entry.body)
    decompress_s = time.perf_counter() - started
    raw = sum(e.raw_size for e in entries)
    stored = sum(e.stored_size for e in entries)
    n = len(pages)
    print(f"pages: {n}, {raw / n / 1024:.0f} KiB HTML on average")
    print(f"zstd ratio               {stored / raw:8.3f}  ({stored / n / 1024:.1f} KiB per page)")
    print(f"compress                 {compress_s / n * 1000:8.2f} ms/page")
    print(f"decompress               {decompress_s / n * 1000:8.2f} ms/page")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        upgrade(db)
        started = time.perf_counter()
        for start in range(0, n, 20):
            db.write(lambda s, chunk=entries[start : start + 20]: archive_pages(s, chunk))
        write_s = time.perf_counter() - started
        print(f"archive write (SQLite)   {n / write_s:8.0f} pages/s")
        config = config_from_dict({"database": {"url": db.url}})
        started = time.perf_counter()
        summary = reprocess(db, config, dry_run=True)
        dry_s = time.perf_counter() - started
        print(
            f"reprocess --dry-run      {n / dry_s:8.1f} pages/s "
            f"({summary.newly_matching} would match, {summary.outcomes['skipped']} skipped)"
        )
        started = time.perf_counter()
        summary = reprocess(db, config)
        run_s = time.perf_counter() - started
        print(
            f"reprocess (storing)      {n / run_s:8.1f} pages/s ({summary.newly_matching} stored)"
        )
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

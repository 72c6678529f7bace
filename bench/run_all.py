"""``make bench``: every benchmark in one run, with the machine they ran on."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> str:
    """One line describing the CPU, cores and memory."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "?"
    return f"{cpu}, {os.cpu_count()} cores, {memory}, Python {platform.python_version()}"


def main() -> int:
    print(f"machine: {machine()}", flush=True)
    failures = 0
    benches: tuple[tuple[str, list[str]], ...] = (
        ("extraction_bench.py", []),
        ("pipeline_bench.py", []),
        ("relevance_bench.py", []),
        ("crawl_bench.py", sys.argv[1:]),
        ("worker_bench.py", []),
        (
            "worker_bench.py",
            [
                "--workers",
                "2",
                "--delay-ms",
                "200",
                "--concurrent-polls",
                "4",
                "--articles",
                "1",
                "--kill",
            ],
        ),
        ("web_bench.py", []),
        ("archive_bench.py", []),
    )
    for script, args in benches:
        path = HERE / script
        if not path.exists():
            print(f"{script}: not present", flush=True)
            continue
        print(f"\n== {script}", flush=True)
        failures += subprocess.call([sys.executable, str(path), *args]) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

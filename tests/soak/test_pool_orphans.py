"""Found by the soak: after SIGKILL of a crawl worker its extraction pool processes lived on
(re-parented to init, each holding a database connection), a pair more after every kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.helpers import wait_until

ROOT = Path(__file__).resolve().parents[2]

_HOLDER = """
import sys, time
from monitor.config import MonitorConfig
from monitor.pipelines.store import WorkerPool
config = MonitorConfig.model_validate(
    {"database": {"url": sys.argv[1]}, "crawl": {"extract_workers": 2}}
)
pool = WorkerPool(config)
if sys.argv[2] == "fork":
    pool.warm()  # forked before any thread, as the crawl worker does at start
else:
    import threading
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
    pool.warm()  # a thread runs: from the forkserver, as a replaced pool is
print(" ".join(str(pid) for pid in pool.executor()._processes), flush=True)
time.sleep(3600)
"""


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal: Linux")
@pytest.mark.parametrize("start", ["fork", "forkserver"])
def test_pool_processes_die_with_the_killed_worker(tmp_path: Path, start: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, f"sqlite:///{tmp_path / 'monitor.db'}", start],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None
    pool_pids = [int(pid) for pid in holder.stdout.readline().split()]
    try:
        assert len(pool_pids) == 2 and all(_alive(pid) for pid in pool_pids)
        os.kill(holder.pid, signal.SIGKILL)  # what the OOM killer or the soak does
        holder.wait()
        wait_until(lambda: not any(_alive(pid) for pid in pool_pids), timeout=20)
    finally:
        for pid in pool_pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)

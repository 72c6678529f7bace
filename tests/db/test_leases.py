"""Leases: holder identity, dead-holder takeover, heartbeat renewal, the database's clock."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete

from monitor.db.engine import Database
from monitor.db.leases import (
    acquire_lease,
    default_holder,
    holder_is_dead,
    lease_holder,
    list_leases,
    parse_holder,
    process_start_time,
    renew_leases,
)
from monitor.db.migrate import upgrade
from monitor.db.models import Lease

ROOT = Path(__file__).resolve().parents[2]


def _finished_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_holder_names_host_pid_and_start_time() -> None:
    who = parse_holder(default_holder())
    assert who.host == socket.gethostname()
    assert who.pid == os.getpid()
    assert who.start == process_start_time(os.getpid())
    assert not holder_is_dead(default_holder())


def test_dead_and_reused_pids_are_dead_other_hosts_never() -> None:
    host = socket.gethostname()
    assert holder_is_dead(f"{host}:{_finished_pid()}:12345")
    assert holder_is_dead(f"{host}:{_finished_pid()}")  # the older host:pid form
    # our own pid with another start time: the pid was reused by a new process
    other_start = int(process_start_time(os.getpid()) or 0) + 1
    assert holder_is_dead(f"{host}:{os.getpid()}:{other_start}")
    assert not holder_is_dead(f"elsewhere.example:{_finished_pid()}:1")


def test_lease_of_a_dead_local_process_is_taken_over_at_once(db: Database) -> None:
    dead = f"{socket.gethostname()}:{_finished_pid()}:999"
    assert acquire_lease(db, "crawl:x", dead, 3600)
    (state,) = list_leases(db)
    assert state.holder == dead and state.holder_dead and not state.expired
    me = default_holder()
    assert acquire_lease(db, "crawl:x", me, 60)  # not expired, but its process is gone
    holder = lease_holder(db, "crawl:x")
    assert holder is not None and holder.holder == me


def test_live_holder_on_another_host_keeps_its_lease_until_expiry(db: Database) -> None:
    assert acquire_lease(db, "crawl:y", "elsewhere.example:1:1", 60)
    assert not acquire_lease(db, "crawl:y", default_holder(), 60)
    assert acquire_lease(db, "crawl:z", "elsewhere.example:1:1", -1)  # already expired
    assert acquire_lease(db, "crawl:z", default_holder(), 60)


def test_heartbeat_renews_many_and_reports_lost_ones(db: Database) -> None:
    me = default_holder()
    assert acquire_lease(db, "crawl:a", me, 5)
    assert acquire_lease(db, "crawl:b", me, 5)
    before = {lease.name: lease.expires_at for lease in list_leases(db)}
    db.write(lambda s: s.execute(delete(Lease).where(Lease.name == "crawl:b")))  # lost
    lost = renew_leases(db, ["crawl:a", "crawl:b"], me, 600)
    assert lost == ["crawl:b"]
    after = {lease.name: lease.expires_at for lease in list_leases(db)}
    assert after["crawl:a"] > before["crawl:a"] + timedelta(seconds=500)


@pytest.mark.skipif(shutil.which("faketime") is None, reason="faketime is not installed")
def test_expiry_follows_the_database_clock_not_the_host_clock(postgres_url: str) -> None:
    """A host whose clock runs 400 days ahead still takes a 60-second lease on PostgreSQL."""
    db = Database(postgres_url)
    upgrade(db)
    script = (
        "import sys; from monitor.db.engine import Database;"
        "from monitor.db.leases import acquire_lease;"
        "sys.exit(0 if acquire_lease(Database(sys.argv[1]), 'crawl:skew', 'fast.example:1:1', 60)"
        " else 1)"
    )
    done = subprocess.run(
        ["faketime", "+400 days", sys.executable, "-c", script, postgres_url],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    holder = lease_holder(db, "crawl:skew")
    assert holder is not None
    assert holder.expires_at < datetime.now(UTC) + timedelta(seconds=120)
    # and the fast host cannot keep a lease alive past the database's expiry either
    assert not acquire_lease(db, "crawl:skew", "other.example:2:2", 60)
    db.dispose()

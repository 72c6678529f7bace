"""poll_requests: one active poll per source, atomic claims, outcomes, re-queue of dead workers."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from monitor.db.engine import Database
from monitor.db.leases import database_now
from monitor.db.models import PollRequest, PollRequester, PollStatus
from monitor.db.polls import (
    active_polls,
    claim_polls,
    finish_poll,
    heartbeat_polls,
    poll_states,
    release_polls,
    request_poll,
    requeue_abandoned,
)


def test_one_queued_or_running_poll_per_source(db: Database) -> None:
    first, queued = request_poll(db, "a", PollRequester.SCHEDULER)
    assert queued
    assert request_poll(db, "a", PollRequester.CLI) == (first, False)
    (claim,) = claim_polls(db, "w:1:1", 10)
    assert claim.id == first
    assert request_poll(db, "a", PollRequester.CLI) == (first, False)  # still running
    assert finish_poll(db, first, "w:1:1", PollStatus.DONE, {"status": "ok"}, None)
    second, queued = request_poll(db, "a", PollRequester.CLI)
    assert queued and second != first


def test_the_database_refuses_a_second_active_row(db: Database) -> None:
    request_poll(db, "a", PollRequester.SCHEDULER)
    with pytest.raises(IntegrityError):
        db.write(lambda s: s.add(PollRequest(source_name="a", status="queued")) or s.flush())


def test_concurrent_claimers_never_share_a_poll(db: Database) -> None:
    ids = {request_poll(db, f"s{i}", PollRequester.SCHEDULER)[0] for i in range(40)}
    taken: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def claimer(name: str) -> None:
        barrier.wait()
        mine: list[int] = []
        while batch := claim_polls(db, name, 3):
            mine += [claim.id for claim in batch]
        taken[name] = mine

    threads = [threading.Thread(target=claimer, args=(f"w{n}:1:1",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    everything = [poll_id for mine in taken.values() for poll_id in mine]
    assert sorted(everything) == sorted(ids)  # each poll claimed exactly once


def test_outcome_only_from_the_claiming_worker(db: Database) -> None:
    poll_id, _ = request_poll(db, "a", PollRequester.WEB)
    claim_polls(db, "w:1:1", 1)
    assert not finish_poll(db, poll_id, "other:2:2", PollStatus.DONE, {}, None)
    assert finish_poll(db, poll_id, "w:1:1", PollStatus.INTERRUPTED, {"status": "x"}, None)
    state = poll_states(db, [poll_id])[poll_id]
    assert state.status is PollStatus.INTERRUPTED and state.finished
    assert state.outcome == {"status": "x"} and state.requested_by == "web"


def test_polls_of_a_dead_local_worker_are_requeued_at_once(db: Database) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    worker = f"{socket.gethostname()}:{dead.pid}:7"
    poll_id, _ = request_poll(db, "a", PollRequester.SCHEDULER)
    claim_polls(db, worker, 1)
    heartbeat_polls(db, worker, [poll_id])
    assert requeue_abandoned(db, 3600) == [poll_id]  # fresh heartbeat, but the process is gone
    assert [p.status for p in active_polls(db)] == [PollStatus.QUEUED]
    (again,) = claim_polls(db, "w:1:1", 1)
    assert again.id == poll_id


def test_polls_of_a_silent_remote_worker_are_requeued_after_one_ttl(db: Database) -> None:
    poll_id, _ = request_poll(db, "a", PollRequester.SCHEDULER)
    claim_polls(db, "far.example:1:1", 1)
    assert requeue_abandoned(db, 60) == []  # its heartbeat is fresh
    with db.session() as session:
        old = database_now(session).replace(year=2000)
    db.write(lambda s: s.execute(update(PollRequest).values(heartbeat_at=old)))
    assert requeue_abandoned(db, 60) == [poll_id]


def test_a_poll_that_kills_its_worker_repeatedly_fails(db: Database) -> None:
    poll_id, _ = request_poll(db, "a", PollRequester.SCHEDULER)
    with db.session() as session:
        old = database_now(session).replace(year=2000)
    for _ in range(3):
        claim_polls(db, "far.example:1:1", 1)
        db.write(lambda s: s.execute(update(PollRequest).values(heartbeat_at=old)))
        requeue_abandoned(db, 60, max_attempts=3)
    state = poll_states(db, [poll_id])[poll_id]
    assert state.status is PollStatus.FAILED
    assert state.outcome is not None and "died 3 times" in state.outcome["errors"][0]


def test_released_polls_go_back_to_the_queue(db: Database) -> None:
    poll_id, _ = request_poll(db, "a", PollRequester.SCHEDULER)
    claim_polls(db, "w:1:1", 1)
    release_polls(db, "w:1:1", [poll_id])
    assert [p.status for p in active_polls(db)] == [PollStatus.QUEUED]


# --- batched start and finish (the worker's two transactions per batch) -----------------------


def test_start_polls_claims_leases_and_refuses_a_source_polled_elsewhere(db: Database) -> None:
    from monitor.db.leases import acquire_lease, lease_holder, source_lease_name
    from monitor.db.polls import ALREADY_RUNNING, start_polls

    a, _ = request_poll(db, "a", PollRequester.SCHEDULER)
    b, _ = request_poll(db, "b", PollRequester.CLI)
    assert acquire_lease(db, source_lease_name("b"), "other-host:7:7", 60)  # b runs elsewhere
    batch = start_polls(db, "w:1:1", 60, limit=10)
    assert [c.id for c in batch.started] == [a] and [c.id for c in batch.refused] == [b]
    holder = lease_holder(db, source_lease_name("a"))
    assert holder is not None and holder.holder == "w:1:1"
    states = poll_states(db, [a, b])
    assert states[a].status == PollStatus.RUNNING and states[a].claimed_by == "w:1:1"
    assert states[b].status == PollStatus.DONE and states[b].outcome is not None
    assert states[b].outcome["status"] == "skipped"
    assert states[b].outcome["errors"] == [ALREADY_RUNNING]
    assert start_polls(db, "w:2:2", 60, limit=10).started == []  # nothing left to claim


def test_start_polls_by_id_takes_only_queued_rows(db: Database) -> None:
    from monitor.db.polls import start_polls

    a, _ = request_poll(db, "a", PollRequester.SCHEDULER)
    b, _ = request_poll(db, "b", PollRequester.SCHEDULER)
    assert [c.id for c in start_polls(db, "w:1:1", 60, ids=[a]).started] == [a]
    assert start_polls(db, "w:2:2", 60, ids=[a]).started == []  # already running: not twice
    assert poll_states(db, [b])[b].status == PollStatus.QUEUED
    assert start_polls(db, "w:1:1", 60, ids=[]).started == []


def test_start_polls_interrupts_runs_a_dead_crawl_left_running(db: Database) -> None:
    from sqlalchemy import select

    from monitor.db.models import CrawlRun
    from monitor.db.polls import start_polls
    from monitor.db.repository import start_crawl_run

    dead_run = start_crawl_run(db, "a", trigger="scheduled")
    db.write(
        lambda s: s.execute(
            update(CrawlRun).where(CrawlRun.id == dead_run).values(host="gone", pid=1)
        )
    )
    request_poll(db, "a", PollRequester.SCHEDULER)
    start_polls(db, "w:1:1", 60, limit=1)
    with db.session() as session:
        assert session.scalar(select(CrawlRun.status).where(CrawlRun.id == dead_run)) == (
            "interrupted"
        )


def test_finish_polls_writes_outcomes_releases_leases_and_reports_lost_rows(
    db: Database,
) -> None:
    from monitor.db.leases import lease_holder, source_lease_name
    from monitor.db.polls import PollResult, finish_polls, start_polls

    a, _ = request_poll(db, "a", PollRequester.SCHEDULER)
    b, _ = request_poll(db, "b", PollRequester.SCHEDULER)
    start_polls(db, "w:1:1", 60, limit=10)
    db.write(  # b was re-queued while it ran (its worker looked dead)
        lambda s: s.execute(
            update(PollRequest)
            .where(PollRequest.id == b)
            .values(status=PollStatus.QUEUED.value, claimed_by=None)
        )
    )
    lost = finish_polls(
        db,
        "w:1:1",
        [
            PollResult(a, "a", PollStatus.DONE, {"status": "ok", "counts": {"new": 1}}, None),
            PollResult(b, "b", PollStatus.DONE, {"status": "ok"}, None),
        ],
    )
    assert lost == [b]
    states = poll_states(db, [a, b])
    assert states[a].status == PollStatus.DONE and states[a].outcome == {
        "status": "ok",
        "counts": {"new": 1},
    }
    assert states[b].status == PollStatus.QUEUED  # untouched: its new worker reports it
    assert lease_holder(db, source_lease_name("a")) is None
    assert lease_holder(db, source_lease_name("b")) is None

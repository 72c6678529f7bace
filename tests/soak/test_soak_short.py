"""The short soak in ``make test``: one cycle per kind of failure and deployment (the scheduler,
a crawl worker and the digest sender each SIGKILLed once at a seeded moment; in the distributed
deployment also Redis losing the queue's stream and group); nothing lost, nothing stored or
delivered twice beyond the documented single resend. ``make soak`` runs the long one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.soak.soak import Deployment, SoakReport, run_soak, victims

SEED = 12


def _check(report: SoakReport) -> None:
    print("\n" + "\n".join(report.lines()))  # the counts and recovery times, never asserted
    kinds = victims(report.deployment)
    assert sorted(k.victim for k in report.kills) == sorted(kinds), report.kills
    assert report.relevant_published > 0 and report.irrelevant_published > 0
    assert report.ok, "\n".join(report.lines())
    assert report.stored == report.relevant_published
    assert report.delivered == 2 * report.relevant_published  # instant + daily recipient


@pytest.mark.slow
def test_short_soak_embedded(tmp_path: Path) -> None:
    cycles = len(victims(Deployment.EMBEDDED))  # one of each kind: the soak deals them in turn
    _check(run_soak(cycles, SEED, Deployment.EMBEDDED, workdir=tmp_path, settle_timeout=120))


@pytest.mark.slow
def test_short_soak_distributed(tmp_path: Path, postgres_url: str) -> None:
    pytest.importorskip("redis")
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis on 127.0.0.1:6379: {exc}")
    report = run_soak(
        len(victims(Deployment.DISTRIBUTED)),
        SEED,
        Deployment.DISTRIBUTED,
        workdir=tmp_path,
        db_url=postgres_url,
        settle_timeout=120,
    )
    _check(report)

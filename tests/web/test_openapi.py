"""schemathesis against /openapi.json: generated requests to every API operation get no server
error and answers that match the document (bounded: a few examples per operation)."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from monitor.config import load_config
from monitor.db.engine import Database
from monitor.web.app import create_app
from tests.web.conftest import populate, write_config

EXAMPLES_PER_OPERATION = 6
# Crawl now starts a crawl worker and the test message talks SMTP: both have their own tests.
LEFT_OUT = r"(/crawl$|/digests/test$)"
# A schema-valid request may still be refused with a documented 400 (a query with a syntax
# error, a cursor the server never made): the document cannot express those rules.
EXCLUDED_CHECKS = [positive_data_acceptance]


def test_api_matches_its_openapi_document(tmp_path: Path, sqlite_db: Database) -> None:
    config = load_config(write_config(tmp_path, sqlite_db.url))
    populate(sqlite_db, config)
    app = create_app(config, sqlite_db, allowed_hosts_extra=["testserver"])
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=LEFT_OUT)
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def _run(case: schemathesis.Case) -> None:
            case.call_and_validate(excluded_checks=EXCLUDED_CHECKS)

        _run()
        tested.append(operation.label)
    assert len(tested) >= 15, tested
    assert "GET /api/stories" in tested

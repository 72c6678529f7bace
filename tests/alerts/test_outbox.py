"""The outbox: rows written with the story, per recipient and channel, idempotent."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from monitor.alerts.outbox import EMAIL, channel_key, enqueue_story_alerts, story_hook
from monitor.db.engine import Database
from monitor.db.models import AlertDelivery, Story
from tests.alerts.conftest import add_story, enqueue, make_config


def _rows(db: Database) -> list[tuple[int, str, str, str, str]]:
    with db.session() as session:
        return [
            (r.story_id, r.recipient, r.channel, r.kind, r.status)
            for r in session.scalars(select(AlertDelivery).order_by(AlertDelivery.id))
        ]


def test_one_row_per_active_recipient_and_channel(any_db: Database) -> None:
    hook_url = "json://127.0.0.2:9/"
    config = make_config(
        25,
        [
            {"address": "a@example.org", "channels": [hook_url]},
            {"address": "b@example.org", "frequency": "weekly"},
            {"address": "gone@example.org"},
        ],
        suppressed=["GONE@example.org"],
    )
    story_id = add_story(any_db)
    assert enqueue(any_db, config, story_id) == 3
    assert sorted(_rows(any_db)) == sorted(
        [
            (story_id, "a@example.org", EMAIL, "digest", "pending"),
            (story_id, "a@example.org", channel_key(hook_url), "digest", "pending"),
            (story_id, "b@example.org", EMAIL, "digest", "pending"),
        ]
    )
    # The channel key names the scheme but holds no part of the URL's secrets.
    assert channel_key(hook_url).startswith("json:") and "127.0.0.2" not in channel_key(hook_url)


def test_enqueue_twice_inserts_nothing_more(any_db: Database) -> None:
    config = make_config(25, ["a@example.org", "b@example.org"])
    story_id = add_story(any_db)
    assert enqueue(any_db, config, story_id) == 2
    assert enqueue(any_db, config, story_id) == 0
    assert len(_rows(any_db)) == 2


def test_recipient_query_narrows_and_priority_makes_instant(any_db: Database) -> None:
    config = make_config(
        25,
        [
            {"address": "oil@example.org", "query": "oil OR petróleo"},
            {"address": "military@example.org", "query": "military"},
            {"address": "now@example.org", "frequency": "instant"},
        ],
        priority_query="putin",
    )
    plain = add_story(any_db, "Russia ships oil to Cuba", text="Russia ships oil to Cuba.")
    urgent = add_story(
        any_db, "Putin meets Díaz-Canel", text="Putin and Díaz-Canel discuss oil in Moscow."
    )
    enqueue(any_db, config, plain)
    enqueue(any_db, config, urgent)
    rows = {(s, r, k) for s, r, _c, k, _st in _rows(any_db)}
    assert rows == {
        (plain, "oil@example.org", "digest"),
        (plain, "now@example.org", "instant"),
        (urgent, "oil@example.org", "instant"),
        (urgent, "now@example.org", "instant"),
    }


def test_hook_runs_in_the_callers_transaction(any_db: Database) -> None:
    config = make_config(25, ["a@example.org"])
    story_id = add_story(any_db)
    hook = story_hook(config)

    class Boom(Exception):
        pass

    def _work(session: Any) -> None:
        story = session.get_one(Story, story_id)
        assert hook(session, story, story.articles[0]) == 1
        raise Boom

    with pytest.raises(Boom):
        any_db.write(_work)
    assert _rows(any_db) == []  # rolled back with the story's transaction

    def _commit(session: Any) -> int:
        story = session.get_one(Story, story_id)
        return enqueue_story_alerts(session, story, story.articles[0], config)

    assert any_db.write(_commit) == 1

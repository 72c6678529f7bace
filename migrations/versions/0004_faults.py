"""faults: at most one open operator alert per problem (partial unique index)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("resolved_at IS NULL")


def upgrade() -> None:
    # Duplicates the old check-then-insert let through: keep the oldest open alert per problem.
    op.execute(
        "UPDATE operator_alerts SET resolved_at = opened_at "
        "WHERE resolved_at IS NULL AND id NOT IN ("
        "SELECT keep_id FROM (SELECT MIN(id) AS keep_id FROM operator_alerts "
        "WHERE resolved_at IS NULL GROUP BY source_name, problem) AS oldest)"
    )
    op.create_index(
        "uq_operator_alerts_open",
        "operator_alerts",
        ["source_name", "problem"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index("uq_operator_alerts_open", table_name="operator_alerts")

"""crawl runtime: seen-URL fetch times, redirect chains, revalidation

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("seen_urls") as batch:
        batch.add_column(sa.Column("etag", sa.String(512), nullable=True))
        batch.add_column(sa.Column("last_modified", sa.String(128), nullable=True))
        batch.add_column(
            sa.Column("revalidations", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("seen_urls") as batch:
        batch.drop_column("revalidations")
        batch.drop_column("last_modified")
        batch.drop_column("etag")

"""page archive: fetched HTML kept for reprocessing

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "page_archive",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("requested_url", sa.Text(), nullable=True),
        sa.Column("source_name", sa.String(length=64), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("etag", sa.String(length=512), nullable=True),
        sa.Column("last_modified", sa.String(length=128), nullable=True),
        sa.Column("listed_title", sa.Text(), nullable=True),
        sa.Column("listed_published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discovered_from", sa.Text(), nullable=True),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("compression", sa.String(length=8), nullable=False),
        sa.Column("raw_size", sa.Integer(), nullable=False),
        sa.Column("stored_size", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(
            "compression IN ('zstd', 'zlib', 'none')", name=op.f("ck_page_archive_compression")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_archive")),
        sa.UniqueConstraint("url_hash", name=op.f("uq_page_archive_url_hash")),
    )
    with op.batch_alter_table("page_archive", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_page_archive_fetched_at"), ["fetched_at"], unique=False
        )
        batch_op.create_index(
            "ix_page_archive_source_fetched", ["source_name", "fetched_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("page_archive", schema=None) as batch_op:
        batch_op.drop_index("ix_page_archive_source_fetched")
        batch_op.drop_index(batch_op.f("ix_page_archive_fetched_at"))
    op.drop_table("page_archive")

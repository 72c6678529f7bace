"""extraction: learned site templates

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "template_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("page_key", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fingerprints", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_template_pages_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_pages")),
        sa.UniqueConstraint("source_id", "page_key", name="uq_template_pages_source_page"),
    )
    op.create_index("ix_template_pages_source_seq", "template_pages", ["source_id", "id"])
    op.create_table(
        "template_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=16), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("sample", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_template_blocks_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_blocks")),
        sa.UniqueConstraint("source_id", "fingerprint", name="uq_template_blocks_source_fp"),
    )
    op.create_index("ix_template_blocks_source_pages", "template_blocks", ["source_id", "pages"])


def downgrade() -> None:
    op.drop_index("ix_template_blocks_source_pages", table_name="template_blocks")
    op.drop_table("template_blocks")
    op.drop_index("ix_template_pages_source_seq", table_name="template_pages")
    op.drop_table("template_pages")

"""story store: article revisions, access, date method, snippet spans, typed store outcomes

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here (not imported) so the migration keeps meaning what it meant when written.
_OUTCOMES = (
    "new",
    "near_miss",
    "syndicated",
    "duplicate",
    "updated",
    "unchanged",
    "not_matching",
    "skipped",
    "error",
    "unresolved",
)
_ACCESS = ("open", "paywalled", "consent_wall")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "article_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("revised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("title_changed", sa.Boolean(), nullable=False),
        sa.Column("paragraphs_added", sa.Integer(), nullable=False),
        sa.Column("paragraphs_removed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_revisions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_revisions")),
    )
    op.create_index(
        op.f("ix_article_revisions_article_id"), "article_revisions", ["article_id"], unique=False
    )
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("snippet_spans", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("access", sa.String(length=16), server_default="open", nullable=False)
        )
        batch.add_column(sa.Column("published_method", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint("access", _in("access", _ACCESS))
    with op.batch_alter_table("seen_urls") as batch:
        batch.create_check_constraint("outcome", _in("outcome", _OUTCOMES))


def downgrade() -> None:
    with op.batch_alter_table("seen_urls") as batch:
        batch.drop_constraint(op.f("ck_seen_urls_outcome"), type_="check")
    # Outcomes older code does not know become the nearest one it does.
    op.execute("UPDATE seen_urls SET outcome = 'duplicate' WHERE outcome = 'unchanged'")
    op.execute("UPDATE seen_urls SET outcome = 'skipped' WHERE outcome = 'error'")
    with op.batch_alter_table("articles") as batch:
        batch.drop_constraint(op.f("ck_articles_access"), type_="check")
        batch.drop_column("modified_at")
        batch.drop_column("published_method")
        batch.drop_column("access")
        batch.drop_column("snippet_spans")
    op.drop_index(op.f("ix_article_revisions_article_id"), table_name="article_revisions")
    op.drop_table("article_revisions")

"""faults: hash-keyed canonical URLs, deferred requests, status CHECK constraints

URL columns become TEXT (a URL of any length is stored whole); uniqueness moves to a sha256
key column (``url_key``), filled here for existing rows. Digest and delivery statuses get
CHECK constraints (``DigestStatus``, ``DeliveryStatus``).

Revision ID: 0010
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, URL column, key column, old unique constraint)
_KEYED = (
    ("articles", "canonical_url", "canonical_url_hash", "uq_articles_canonical_url"),
    ("seen_urls", "url", "url_hash", "uq_seen_urls_url"),
    ("http_cache", "url", "url_hash", "uq_http_cache_url"),
)
_DIGEST_STATUSES = ("pending", "sent", "failed", "suppressed")
_DELIVERY_STATUSES = ("pending", "sent", "failed", "suppressed", "withdrawn")


def _key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def _fill_keys(table: str, column: str, key: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, {column} FROM {table}")).all()
    statement = sa.text(f"UPDATE {table} SET {key} = :key WHERE id = :id")
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        bind.execute(statement, [{"id": row[0], "key": _key(row[1])} for row in chunk])


def _in(values: tuple[str, ...]) -> str:
    return f"status IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    for table, column, key, old_unique in _KEYED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(key, sa.String(64), nullable=True))
        _fill_keys(table, column, key)
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(old_unique, type_="unique")
            if table == "seen_urls":
                batch.drop_index("ix_seen_urls_canonical_url")
                batch.alter_column(
                    "canonical_url", type_=sa.Text(), existing_type=sa.String(2048)
                )
            if table == "articles":
                batch.alter_column("url", type_=sa.Text(), existing_type=sa.String(2048))
            batch.alter_column(
                column, type_=sa.Text(), existing_type=sa.String(2048), existing_nullable=False
            )
            batch.alter_column(key, nullable=False, existing_type=sa.String(64))
            batch.create_unique_constraint(f"uq_{table}_{key}", [key])

    op.execute(f"UPDATE digests SET status = 'failed' WHERE NOT ({_in(_DIGEST_STATUSES)})")
    op.execute(
        f"UPDATE alert_deliveries SET status = 'failed' WHERE NOT ({_in(_DELIVERY_STATUSES)})"
    )
    with op.batch_alter_table("digests") as batch:
        batch.create_check_constraint("status", _in(_DIGEST_STATUSES))
    with op.batch_alter_table("alert_deliveries") as batch:
        batch.create_check_constraint("status", _in(_DELIVERY_STATUSES))

    op.create_table(
        "deferred_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_name", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("times", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deferred_requests")),
        sa.UniqueConstraint("source_name", "url_hash", name="uq_deferred_requests_url"),
    )
    op.create_index(
        op.f("ix_deferred_requests_source_name"), "deferred_requests", ["source_name"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_deferred_requests_source_name"), table_name="deferred_requests")
    op.drop_table("deferred_requests")
    with op.batch_alter_table("alert_deliveries") as batch:
        batch.drop_constraint(op.f("ck_alert_deliveries_status"), type_="check")
    with op.batch_alter_table("digests") as batch:
        batch.drop_constraint(op.f("ck_digests_status"), type_="check")
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, column, key, old_unique in reversed(_KEYED):
        short = {"postgresql_using": f"left({column}, 2048)"} if postgres else {}
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_{key}", type_="unique")
            batch.alter_column(column, type_=sa.String(2048), existing_type=sa.Text(), **short)
            if table == "articles":
                url_short = {"postgresql_using": "left(url, 2048)"} if postgres else {}
                batch.alter_column(
                    "url", type_=sa.String(2048), existing_type=sa.Text(), **url_short
                )
            if table == "seen_urls":
                canonical_short = (
                    {"postgresql_using": "left(canonical_url, 2048)"} if postgres else {}
                )
                batch.alter_column(
                    "canonical_url",
                    type_=sa.String(2048),
                    existing_type=sa.Text(),
                    **canonical_short,
                )
                batch.create_index("ix_seen_urls_canonical_url", ["canonical_url"])
            batch.drop_column(key)
            batch.create_unique_constraint(old_unique, [column])

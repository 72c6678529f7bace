"""web console: tokens, sessions, operator overrides, story marks, saved queries

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('saved_queries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('created_at', _TS, nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_queries')),
    sa.UniqueConstraint('name', name=op.f('uq_saved_queries_name'))
    )
    op.create_table('source_overrides',
    sa.Column('source_name', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=True),
    sa.Column('muted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('updated_at', _TS, nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('source_name', name=op.f('pk_source_overrides'))
    )
    op.create_table('web_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', _TS, nullable=False),
    sa.Column('revoked_at', _TS, nullable=True),
    sa.CheckConstraint("kind IN ('api', 'feed')", name=op.f('ck_web_keys_kind')),
    sa.CheckConstraint("role IS NULL OR role IN ('viewer', 'analyst', 'admin')", name=op.f('ck_web_keys_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_keys')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_web_keys_token_hash'))
    )
    op.create_table('story_marks',
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('read_at', _TS, nullable=True),
    sa.Column('starred_at', _TS, nullable=True),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_story_marks_story_id_stories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('story_id', name=op.f('pk_story_marks'))
    )
    op.create_table('web_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=True),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', _TS, nullable=False),
    sa.Column('expires_at', _TS, nullable=False),
    sa.ForeignKeyConstraint(['key_id'], ['web_keys.id'], name=op.f('fk_web_sessions_key_id_web_keys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_web_sessions'))
    )
    op.create_index(op.f('ix_web_sessions_expires_at'), 'web_sessions', ['expires_at'], unique=False)
    op.create_index(op.f('ix_web_sessions_key_id'), 'web_sessions', ['key_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_web_sessions_key_id'), table_name='web_sessions')
    op.drop_index(op.f('ix_web_sessions_expires_at'), table_name='web_sessions')
    op.drop_table('web_sessions')
    op.drop_table('story_marks')
    op.drop_table('web_keys')
    op.drop_table('source_overrides')
    op.drop_table('saved_queries')

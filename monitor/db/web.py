"""The web console's state: hashed API keys and feed tokens, login sessions, operator overrides
of configured sources, story marks (read, starred) and saved queries.

Only SHA-256 digests of tokens are stored: a token is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.db.engine import Database
from monitor.db.models import (
    SavedQuery,
    SourceOverride,
    StoryMark,
    WebKey,
    WebKeyKind,
    WebRole,
    WebSession,
    utcnow,
)
from monitor.errors import NotFoundError

TOKEN_PREFIX = {WebKeyKind.API: "mon_", WebKeyKind.FEED: "monfeed_"}


def hash_token(token: str) -> str:
    """The stored form of a token (tokens are random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class KeyInfo:
    """A key as listed: never the token itself."""

    id: int
    kind: WebKeyKind
    role: WebRole | None
    label: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _info(row: WebKey) -> KeyInfo:
    return KeyInfo(
        row.id,
        WebKeyKind(row.kind),
        WebRole(row.role) if row.role else None,
        row.label,
        row.prefix,
        row.created_at,
        row.revoked_at,
    )


def create_key(
    db: Database, kind: WebKeyKind, role: WebRole | None = None, label: str = ""
) -> tuple[KeyInfo, str]:
    """Make a key (an API key needs a role; a feed token has none); returns it and the token."""
    if kind == WebKeyKind.API and role is None:
        raise ValueError("an API key needs a role")
    token = TOKEN_PREFIX[kind] + secrets.token_urlsafe(32)

    def _add(session: Session) -> KeyInfo:
        row = WebKey(
            kind=kind.value,
            role=role.value if kind == WebKeyKind.API and role else None,
            label=label[:200],
            token_hash=hash_token(token),
            prefix=token[: len(TOKEN_PREFIX[kind]) + 4],
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return _info(row)

    return db.write(_add), token


def list_keys(db: Database) -> list[KeyInfo]:
    """Every key, newest first (revoked ones too)."""
    with db.session() as session:
        return [_info(r) for r in session.scalars(select(WebKey).order_by(WebKey.id.desc()))]


def revoke_key(db: Database, key_id: int) -> KeyInfo:
    """Revoke a key and end its login sessions; NotFoundError for an unknown id."""

    def _revoke(session: Session) -> KeyInfo:
        row = session.get(WebKey, key_id)
        if row is None:
            raise NotFoundError(f"no console key with id {key_id}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        session.execute(delete(WebSession).where(WebSession.key_id == key_id))
        return _info(row)

    return db.write(_revoke)


def api_keys_exist(db: Database) -> bool:
    """Whether any unrevoked API key exists (then the console requires authentication)."""
    with db.session() as session:
        return bool(
            session.scalar(
                select(
                    exists().where(WebKey.kind == WebKeyKind.API.value, WebKey.revoked_at.is_(None))
                )
            )
        )


def find_key(db: Database, token: str, kind: WebKeyKind) -> KeyInfo | None:
    """The unrevoked key of this kind whose token this is, else None."""
    if not token:
        return None
    with db.session() as session:
        row = session.scalar(
            select(WebKey).where(
                WebKey.token_hash == hash_token(token),
                WebKey.kind == kind.value,
                WebKey.revoked_at.is_(None),
            )
        )
        return _info(row) if row is not None else None


# --- login sessions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionInfo:
    """A live login session."""

    role: WebRole
    name: str
    key_id: int | None
    csrf_token: str
    expires_at: datetime


def create_session(
    db: Database, role: WebRole, name: str, key_id: int | None, lifetime: timedelta
) -> tuple[str, SessionInfo]:
    """Start a session; returns the cookie value and the session (expired ones are purged)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    info = SessionInfo(role, name[:200], key_id, secrets.token_urlsafe(32), now + lifetime)

    def _add(session: Session) -> None:
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        session.add(
            WebSession(
                token_hash=hash_token(token),
                role=role.value,
                name=info.name,
                key_id=key_id,
                csrf_token=info.csrf_token,
                created_at=now,
                expires_at=info.expires_at,
            )
        )

    db.write(_add)
    return token, info


def find_session(db: Database, token: str) -> SessionInfo | None:
    """The unexpired session of this cookie value, else None."""
    if not token:
        return None
    with db.session() as session:
        row = session.get(WebSession, hash_token(token))
        if row is None or row.expires_at <= utcnow():
            return None
        return SessionInfo(WebRole(row.role), row.name, row.key_id, row.csrf_token, row.expires_at)


def end_session(db: Database, token: str) -> None:
    """Forget a session (logout)."""
    db.write(
        lambda session: session.execute(
            delete(WebSession).where(WebSession.token_hash == hash_token(token))
        )
    )


# --- operator overrides of sources ---------------------------------------------------------------


@dataclass(frozen=True)
class Override:
    """A source's override: ``enabled`` None follows the config."""

    source_name: str
    enabled: bool | None
    muted: bool
    updated_at: datetime
    updated_by: str


def source_overrides(db: Database) -> dict[str, Override]:
    """Every source override by source name."""
    with db.session() as session:
        return {
            r.source_name: Override(r.source_name, r.enabled, r.muted, r.updated_at, r.updated_by)
            for r in session.scalars(select(SourceOverride))
        }


def disabled_sources(db: Database) -> set[str]:
    """Sources an operator disabled in the console: the scheduler does not poll them."""
    with db.session() as session:
        return set(
            session.scalars(
                select(SourceOverride.source_name).where(SourceOverride.enabled.is_(False))
            )
        )


def muted_sources(db: Database) -> set[str]:
    """Sources muted in the console: their stories are hidden from the inbox and feeds."""
    with db.session() as session:
        return set(
            session.scalars(
                select(SourceOverride.source_name).where(SourceOverride.muted.is_(True))
            )
        )


_UNSET = object()


def set_source_override(
    db: Database,
    source_name: str,
    *,
    enabled: bool | object | None = _UNSET,
    muted: bool | None = None,
    by: str = "",
) -> Override:
    """Change a source's override; an override that no longer changes anything is deleted."""

    def _set(session: Session) -> Override:
        row = session.get(SourceOverride, source_name)
        if row is None:
            row = SourceOverride(source_name=source_name, enabled=None, muted=False)
            session.add(row)
        if enabled is not _UNSET:
            row.enabled = enabled  # type: ignore[assignment]
        if muted is not None:
            row.muted = muted
        row.updated_at = utcnow()
        row.updated_by = by[:200]
        result = Override(source_name, row.enabled, row.muted, row.updated_at, row.updated_by)
        if row.enabled is None and not row.muted:
            if row in session.new:
                session.expunge(row)
            else:
                session.delete(row)
        return result

    return db.write(_set)


# --- story marks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marks:
    """A story's marks."""

    read: bool
    starred: bool


def story_marks(session: Session, story_ids: Iterable[int]) -> dict[int, Marks]:
    """Marks of the given stories (absent: neither read nor starred)."""
    ids = list(story_ids)
    if not ids:
        return {}
    return {
        row.story_id: Marks(row.read_at is not None, row.starred_at is not None)
        for row in session.scalars(select(StoryMark).where(StoryMark.story_id.in_(ids)))
    }


def set_marks(
    db: Database, story_ids: Iterable[int], *, read: bool | None = None, starred: bool | None = None
) -> int:
    """Set or clear read / starred on existing stories; returns how many stories were marked."""
    from monitor.db.models import Story

    ids = sorted(set(story_ids))

    def _mark(session: Session) -> int:
        known = set(session.scalars(select(Story.id).where(Story.id.in_(ids)))) if ids else set()
        now = utcnow()
        for story_id in sorted(known):
            row = session.get(StoryMark, story_id)
            if row is None:
                row = StoryMark(story_id=story_id)
                session.add(row)
            if read is not None:
                row.read_at = (row.read_at or now) if read else None
            if starred is not None:
                row.starred_at = (row.starred_at or now) if starred else None
        return len(known)

    return db.write(_mark)


# --- saved queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedQueryInfo:
    id: int
    name: str
    query: str
    created_at: datetime
    created_by: str


def _saved(row: SavedQuery) -> SavedQueryInfo:
    return SavedQueryInfo(row.id, row.name, row.query, row.created_at, row.created_by)


def list_saved_queries(db: Database) -> list[SavedQueryInfo]:
    with db.session() as session:
        return [_saved(r) for r in session.scalars(select(SavedQuery).order_by(SavedQuery.name))]


def get_saved_query(db: Database, query_id: int) -> SavedQueryInfo:
    with db.session() as session:
        row = session.get(SavedQuery, query_id)
        if row is None:
            raise NotFoundError(f"no saved query with id {query_id}")
        return _saved(row)


def save_query(db: Database, name: str, query: str, *, by: str = "") -> SavedQueryInfo:
    """Store a query under a new name; ValueError when the name is taken."""

    def _add(session: Session) -> SavedQueryInfo:
        row = SavedQuery(name=name, query=query, created_at=utcnow(), created_by=by[:200])
        session.add(row)
        session.flush()
        return _saved(row)

    try:
        return db.write(_add)
    except IntegrityError:
        raise ValueError(f"a saved query named {name!r} exists already") from None


def delete_saved_query(db: Database, query_id: int) -> None:
    def _delete(session: Session) -> None:
        row = session.get(SavedQuery, query_id)
        if row is None:
            raise NotFoundError(f"no saved query with id {query_id}")
        session.delete(row)

    db.write(_delete)

"""The database: schema, engine and sessions, migrations, and shared queries."""

from monitor.db.engine import Database, make_engine, redact_url
from monitor.db.migrate import current_revision, head_revision, require_current_schema, upgrade

__all__ = [
    "Database",
    "current_revision",
    "head_revision",
    "make_engine",
    "redact_url",
    "require_current_schema",
    "upgrade",
]

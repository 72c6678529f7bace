"""Alembic's migration scripts; installed as ``monitor._migrations`` (see setup.py)."""

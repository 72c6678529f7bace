"""Parsing helpers shared by CLI commands."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import typer

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """``--since``: an ISO date/time (UTC if no zone) or a relative age like ``12h`` or ``7d``."""
    if value is None:
        return None
    text = value.strip()
    match = _RELATIVE.match(text)
    if match:
        seconds = int(match.group(1)) * _UNITS[match.group(2)]
        return (now or datetime.now(UTC)) - timedelta(seconds=seconds)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is neither an ISO date (2026-11-22) nor an age like 12h or 7d",
            param_hint="--since",
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed

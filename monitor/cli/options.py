"""Parsing helpers shared by CLI commands."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Protocol

import typer


class QueryHit(Protocol):
    """A query-test match: a stored article or an archived page."""

    @property
    def score(self) -> float: ...

    @property
    def relevance(self) -> float | None: ...

    @property
    def near_miss(self) -> bool: ...

    @property
    def title(self) -> str: ...

    @property
    def terms(self) -> list[str] | tuple[str, ...]: ...

    @property
    def snippet(self) -> str: ...


#: The columns of :func:`match_cells`, after each table's own identifying columns.
MATCH_COLUMNS = ("score", "rel", "title", "terms", "snippet")


def match_cells(hit: QueryHit) -> list[str]:
    """A query-test table's cells for one match: score, relevance, title, terms, snippet."""
    from monitor.extract.control import strip_control  # the extract package is slow to import

    rel = "" if hit.relevance is None else f"{hit.relevance:.2f}"
    return [
        f"{hit.score:.2f}",
        rel + (" near miss" if hit.near_miss else ""),
        strip_control(hit.title)[:70],
        strip_control(", ".join(hit.terms)),
        strip_control(hit.snippet)[:160],
    ]


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

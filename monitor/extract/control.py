"""Terminal-safe text: strip escape sequences, control characters and bidi overrides.

Web text (titles, bodies, authors, site names from ``og:`` tags or JSON-LD) is stored and
printed; an ESC in it could clear the operator's screen, retitle the terminal or plant a
hyperlink (OSC 8). Everything here is removed at extraction, so it is never stored.
"""

from __future__ import annotations

import re

# Whole escape sequences first, so their parameters do not remain as stray text:
# OSC (ESC ] ... BEL | ESC \ | C1 ST), DCS/SOS/PM/APC strings, CSI (ESC [ ... final byte),
# then any other two-character escape.
_ESCAPE_SEQUENCE_RE = re.compile(
    r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[ -~]?"
)
# C0 except TAB and LF, DEL, C1, and the bidi embedding/override/isolate controls.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_control(text: str) -> str:
    """``text`` without escape sequences, C0/C1 controls (TAB and LF kept) or bidi overrides."""
    if not text.isprintable():
        text = _CONTROL_RE.sub("", _ESCAPE_SEQUENCE_RE.sub("", text))
    return text


def strip_control_optional(text: str | None) -> str | None:
    """:func:`strip_control` for optional metadata; an empty result becomes None."""
    if text is None:
        return None
    return strip_control(text) or None

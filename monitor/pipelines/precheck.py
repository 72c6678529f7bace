"""The raw text of a page for the query pre-check: everything a cleaner could take text from.

Read from the page's one parse (:func:`monitor.extract.parse_page`, which
:func:`monitor.extract.clean_page` then cleans: the pre-check only reads the tree), and a
superset of what it can output: every text node (but code: scripts and styles), the attributes
that carry text (``content``, ``alt``, ``title``…), JSON-LD strings (decoded, entities
unescaped, embedded tags removed), joined with nothing in between, so a word the cleaner
assembles from several text nodes is a substring here too. Invisible and control characters
are removed as the cleaner removes them.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from monitor.extract.boilerplate import has_consent_marker, has_paywall_marker
from monitor.extract.clean import _INVISIBLE_RE, ParsedPage, Skipped, parse_page
from monitor.extract.control import _CONTROL_RE, _ESCAPE_SEQUENCE_RE
from monitor.query.precheck import PreCheck

# Attributes that hold URLs, styles or identifiers: no cleaner outputs them as text.
_NOT_TEXT_ATTRIBUTES = frozenset(
    {"href", "src", "srcset", "class", "id", "style", "rel", "type", "charset", "width", "height"}
)
_TAG_RE = re.compile(r"<[^>]*>")
WALL_TEXT_CHARS = 20_000
# What the cleaner deletes from text (escape sequences, controls, invisible marks), in one pass.
_DELETED_RE = re.compile(
    "|".join(f"(?:{r.pattern})" for r in (_ESCAPE_SEQUENCE_RE, _CONTROL_RE, _INVISIBLE_RE))
)
# Code, not text: the cleaner drops scripts and styles before extracting (JSON-LD is read
# separately).
_TEXT_NODES = etree.XPath("//text()[not(parent::script or parent::style)]", smart_strings=False)
# The first character of anything _DELETED_RE removes: one cheap scan says whether to run it.
_DELETABLE_RE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\u202a-\u202e\u2066-\u2069\ufeff]"
)
_JSON_LD = etree.XPath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]')


def _text_attributes(tree: Any) -> Iterator[str]:
    """Values of the attributes that can hold text, element by element (a Python loop: an
    XPath comparing each attribute's name with the excluded ones was slower)."""
    for element in tree.iter(etree.Element):
        for name, value in element.attrib.items():
            if name not in _NOT_TEXT_ATTRIBUTES and not name.startswith("data-"):
                yield value


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            yield current
        elif isinstance(current, dict):
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _json_ld_strings(raw: str) -> Iterator[str]:
    try:
        data = json.loads(raw.strip().removesuffix(";"), strict=False)
    except (ValueError, RecursionError):
        return
    for text in _strings(data):
        yield text
        if "<" in text:
            yield _TAG_RE.sub("", text)


def raw_page_text(page: bytes | ParsedPage, content_type: str | None = None) -> str | None:
    """The page's raw text, or None when it is no HTML page the cleaner would read (the full
    path then decides, and records its own skip reason). ``page``: the response body (decoded
    with ``content_type``'s charset) or its :class:`ParsedPage`, which is only read."""
    parsed = page if isinstance(page, ParsedPage) else parse_page(page, content_type)
    if isinstance(parsed, Skipped) or parsed.tree is None:
        return None
    tree = parsed.tree
    # XPath (in C): text nodes in document order but code, then text-bearing attribute values.
    parts: list[str] = _TEXT_NODES(tree)
    parts.extend(_text_attributes(tree))
    for script in _JSON_LD(tree):
        parts.extend(_json_ld_strings(script.text or ""))
    text = "".join(parts)
    if "&" in text:  # metadata values are unescaped once more by the cleaner
        text += html_lib.unescape(text)
    return _DELETED_RE.sub("", text) if _DELETABLE_RE.search(text) else text


def page_may_match(
    precheck: PreCheck, page: bytes | ParsedPage, content_type: str | None = None
) -> bool:
    """False only when the page surely cannot match (True when unsure: not HTML, unparsable).

    A short page showing a paywall or consent prompt (a wall in place of the article) goes the
    full path, which counts it as skipped with its reason: a source that blocks us must keep
    showing up in its skip share. (Markers are only looked for in pages of up to
    ``WALL_TEXT_CHARS`` characters of raw text: the prompts' regexes are slow on long pages.)
    An exception is a bug: the caller logs and counts it and sends the page the full path.
    """
    text = raw_page_text(page, content_type)
    if text is None or precheck.may_match(text):
        return True
    if len(text) > WALL_TEXT_CHARS:
        return False
    return has_paywall_marker(text) or has_consent_marker(text)


@dataclass
class PrecheckGate:
    """Whether a source's next page is worth pre-checking.

    The pre-check only pays on a page it rejects (it saves that page's cleaning, model and
    store, several times its own cost) and is pure overhead on a page that matches. So per
    source it keeps the outcomes of the last ``window`` pre-checks; while fewer than
    ``min_rejected_share`` of them rejected, only every ``sample_every``-th page is pre-checked,
    enough to notice the source's mix changing. Skipping never changes a result: the full path
    decides every page the pre-check does not reject.
    """

    window: int = 32
    min_rejected_share: float = 0.1
    sample_every: int = 8
    _outcomes: dict[str, deque[bool]] = field(default_factory=dict)
    _skipped: dict[str, int] = field(default_factory=dict)

    def should_check(self, source: str) -> bool:
        outcomes = self._outcomes.get(source)
        if outcomes is None or len(outcomes) < self.window:
            return True
        if sum(outcomes) >= self.min_rejected_share * len(outcomes):
            return True
        skipped = self._skipped.get(source, 0) + 1
        if skipped >= self.sample_every:
            self._skipped[source] = 0
            return True
        self._skipped[source] = skipped
        return False

    def record(self, source: str, rejected: bool) -> None:
        """One pre-check's outcome for ``source``."""
        outcomes = self._outcomes.setdefault(source, deque(maxlen=self.window))
        outcomes.append(rejected)

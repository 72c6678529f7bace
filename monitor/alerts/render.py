"""Rendering digests: stories from the database into subject, plain text, HTML and a MIME message.

Every web-derived string is cleaned (controls and bidi overrides removed) by the templates'
``finalize`` hook; HTML templates autoescape everything, text templates never produce markup.
The finished message is parsed back and its recipients and headers checked before it is sent.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from monitor.alerts.sanitize import (
    clean_header,
    clean_inline,
    clean_line,
    safe_url,
    truncate,
    url_host,
)
from monitor.db.models import AlertDelivery, Article, ArticleRevision, Story
from monitor.errors import HeaderInjectionError
from monitor.query.snippet import spans_to_segments

TEMPLATES = Path(__file__).resolve().parent / "templates"
BRAND = "Russia–Cuba monitor"
MAX_TITLE_CHARS = 300
MAX_SNIPPET_CHARS = 600
MAX_SUBJECT_CHARS = 150
MAX_LINKS_PER_STORY = 20
MAX_STORIES_PER_MESSAGE = 100
MAX_REASONS = 2
_HIT = re.compile(r"\[([^\[\]\n]{1,200})\]")
# Headers a message we build may carry; anything else means something was injected.
ALLOWED_HEADERS = frozenset(
    {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "list-unsubscribe",
        "auto-submitted",
        "x-auto-response-suppress",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)
_ADDRESS_HEADERS = ("to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc")


ACCESS_BADGES = {"paywalled": "Paywalled", "consent_wall": "Consent wall"}


def access_badge(access: str | None) -> str:
    """The digest's badge for a copy whose text is not all visible (empty when open)."""
    return ACCESS_BADGES.get(access or "open", "")


@dataclass(frozen=True)
class StoryLink:
    """One copy of a story: where it was published."""

    url: str
    outlet: str
    access: str = "open"

    @property
    def badge(self) -> str:
        return access_badge(self.access)


@dataclass(frozen=True)
class DigestStory:
    """One story as a digest shows it (all strings still raw; templates clean them)."""

    story_id: int
    title: str
    url: str | None
    outlets: list[str]
    published: datetime
    published_label: str
    language: str
    terms: list[str]
    segments: list[tuple[str, bool]]
    links: list[StoryLink]
    score: float
    relevance: float | None = None  # the best copy's relevance (None: the model was off)
    reasons: list[str] = field(default_factory=list)  # why, strongest first
    access: str = "open"  # the lead copy's: open, paywalled or consent_wall
    update_note: str = ""  # in the "updated" section: when and how the story was edited

    @property
    def badge(self) -> str:
        """``Paywalled`` / ``Consent wall`` when only the headline and teaser are free."""
        return access_badge(self.access)

    @property
    def reason_line(self) -> str:
        """``relevance 0.93: both sides in the title; …`` (empty when there is no score)."""
        if self.relevance is None:
            return ""
        why = "; ".join(self.reasons[:MAX_REASONS])
        return f"relevance {self.relevance:.2f}" + (f": {why}" if why else "")


@dataclass
class RenderedMessage:
    """A rendered digest: the parts, the MIME message and its wire bytes."""

    subject: str
    text: str
    html: str
    recipients: list[str]
    message_id: str
    message: EmailMessage | None = None
    data: bytes = b""
    extra: dict[str, Any] = field(default_factory=dict)


def _finalize(value: Any) -> Any:
    if isinstance(value, Markup) or not isinstance(value, str):
        return "" if value is None else value
    return clean_inline(value)


def _environment(*, autoescape: bool, keep_trailing_newline: bool = False) -> Environment:
    """The message templates' Jinja2 settings; only escaping and the last newline differ."""
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=autoescape,
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
    )


@lru_cache(maxsize=1)
def html_environment() -> Environment:
    """Jinja2 for HTML: autoescape on for every template, values cleaned before escaping."""
    return _environment(autoescape=True)


def bracket_hits(segments: Iterable[tuple[str, bool]]) -> str:
    """Plain-text snippet: hits wrapped in ``[brackets]``."""
    return "".join(f"[{text}]" if hit else text for text, hit in segments)


@lru_cache(maxsize=1)
def text_environment() -> Environment:
    """Jinja2 for plain text and subjects: no escaping, values reduced to clean single lines."""
    environment = _environment(autoescape=False, keep_trailing_newline=True)
    environment.filters["bracket_hits"] = bracket_hits
    return environment


def render_parts(kind: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Render ``templates/{kind}/subject.txt, body.txt, body.html`` with ``context``."""
    subject = text_environment().get_template(f"{kind}/subject.txt").render(context)
    text = text_environment().get_template(f"{kind}/body.txt").render(context)
    html = html_environment().get_template(f"{kind}/body.html").render(context)
    return clean_header(subject, MAX_SUBJECT_CHARS), text, html


def _bounded(pieces: Iterable[tuple[str, bool]], max_chars: int) -> list[tuple[str, bool]]:
    segments: list[tuple[str, bool]] = []
    used = 0
    for text, hit in pieces:
        if not text or used >= max_chars:
            continue
        if used + len(text) > max_chars:
            text = truncate(text, max_chars - used)
        segments.append((text, hit))
        used += len(text)
    return segments


def snippet_segments(snippet: str, max_chars: int = MAX_SNIPPET_CHARS) -> list[tuple[str, bool]]:
    """Split a snippet whose hits are marked ``[hit]`` into ``(text, is_hit)`` segments.

    Only for snippets stored before hit offsets existed (``snippet_spans`` is NULL) and for
    hand-written samples; see :func:`stored_snippet_segments`.
    """
    snippet = clean_line(snippet)
    pieces: list[tuple[str, bool]] = []
    position = 0
    for match in [*_HIT.finditer(snippet), None]:
        start = match.start() if match else len(snippet)
        pieces.append((snippet[position:start], False))
        if match:
            pieces.append((match.group(1), True))
            position = match.end()
    return _bounded(pieces, max_chars)


def stored_snippet_segments(
    snippet: str, spans: Sequence[Sequence[int]] | None, max_chars: int = MAX_SNIPPET_CHARS
) -> list[tuple[str, bool]]:
    """An article's stored snippet as segments: hits from its offsets, so a literal ``[…]``
    in the text stays text; rows without offsets (``None``) still mark hits with brackets."""
    if spans is None:
        return snippet_segments(snippet, max_chars)
    pieces = [(clean_inline(text), hit) for text, hit in spans_to_segments(snippet, spans)]
    if pieces:
        pieces[0] = (pieces[0][0].lstrip(), pieces[0][1])
        pieces[-1] = (pieces[-1][0].rstrip(), pieces[-1][1])
    return _bounded(pieces, max_chars)


def format_when(moment: datetime, tz: ZoneInfo) -> str:
    """``23 Nov 2026, 14:05`` in the recipient's time zone."""
    local = moment.astimezone(tz)
    return f"{local.day} {local:%b %Y, %H:%M}"


def format_period(start: datetime | None, end: datetime, tz: ZoneInfo) -> str:
    """A compact period label: ``23 Nov 2026``, ``22–23 Nov 2026``, ``30 Nov – 2 Dec 2026``."""
    last = end.astimezone(tz)
    if start is None:
        return f"{last.day} {last:%b %Y}"
    first = start.astimezone(tz)
    if end - start < timedelta(hours=23) and first.date() == last.date():
        return f"{last.day} {last:%b %Y}, {first:%H:%M}–{last:%H:%M}"
    if first.date() == last.date():
        return f"{last.day} {last:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def _story_view(story: Story, tz: ZoneInfo) -> DigestStory:
    articles = list(story.articles)
    lead = max(articles, key=lambda a: (a.relevance or 0.0, a.score, -a.id)) if articles else None
    links: list[StoryLink] = []
    outlets: list[str] = []
    for article in articles:
        url = safe_url(article.url) or safe_url(article.canonical_url)
        outlet = clean_line(article.site_name or "", 80) or (url_host(url) if url else "")
        if outlet and outlet not in outlets:
            outlets.append(outlet)
        if url and all(link.url != url for link in links) and len(links) < MAX_LINKS_PER_STORY:
            links.append(StoryLink(url=url, outlet=outlet or "link", access=article.access))
    times = [a.published_at or a.first_seen_at for a in articles] or [story.created_at]
    published = min(times)
    terms: list[str] = []
    for article in articles:
        for term in article.matched_terms or []:
            cleaned = clean_line(term, 60)
            if cleaned and cleaned not in terms:
                terms.append(cleaned)
    if lead is not None and lead.snippet:
        segments = stored_snippet_segments(lead.snippet, lead.snippet_spans)
    else:  # no snippet: the start of the text, without hits
        segments = stored_snippet_segments(lead.text[:MAX_SNIPPET_CHARS] if lead else "", [])
    languages = sorted({clean_line(a.language, 16).upper() for a in articles if a.language})
    return DigestStory(
        story_id=story.id,
        title=clean_line(story.title or (lead.title if lead else ""), MAX_TITLE_CHARS)
        or "(untitled)",
        url=links[0].url if links else None,
        outlets=outlets,
        published=published,
        published_label=format_when(published, tz),
        language=", ".join(languages),
        terms=terms[:12],
        segments=segments,
        links=links,
        score=story.score,
        relevance=story.relevance,
        reasons=[clean_line(str(r), 120) for r in (lead.relevance_reasons or [])] if lead else [],
        access=lead.access if lead else "open",
    )


def load_stories(session: Session, story_ids: Iterable[int], tz: ZoneInfo) -> list[DigestStory]:
    """The stories to show, most relevant first (the model's relevance, then the query's
    score), then newest first."""
    ids = sorted(set(story_ids))
    if not ids:
        return []
    stories = session.scalars(
        select(Story).where(Story.id.in_(ids)).options(selectinload(Story.articles))
    ).all()
    views = [_story_view(story, tz) for story in stories]
    views.sort(
        key=lambda s: (
            -(s.relevance if s.relevance is not None else -1.0),
            -s.score,
            -s.published.timestamp(),
            s.story_id,
        )
    )
    return views


def load_updated_stories(
    session: Session,
    recipient: str,
    *,
    since: datetime | None,
    until: datetime,
    tz: ZoneInfo,
    exclude: Iterable[int] = (),
) -> list[DigestStory]:
    """Stories already sent to ``recipient`` whose articles were edited in ``(since, until]``
    (for ``[email] updated_section``), most recently edited first, each with its edit note."""
    revised = (
        select(Article.story_id, ArticleRevision.revised_at, ArticleRevision.id)
        .join(Article, Article.id == ArticleRevision.article_id)
        .where(
            ArticleRevision.revised_at <= until,
            Article.story_id.in_(
                select(AlertDelivery.story_id).where(
                    AlertDelivery.recipient == recipient, AlertDelivery.status == "sent"
                )
            ),
        )
        .order_by(ArticleRevision.revised_at, ArticleRevision.id)
    )
    if since is not None:
        revised = revised.where(ArticleRevision.revised_at > since)
    skip = set(exclude)
    latest: dict[int, datetime] = {}
    edits: dict[int, int] = {}
    for story_id, revised_at, _ in session.execute(revised):
        if story_id is None or story_id in skip:
            continue
        latest[story_id] = revised_at
        edits[story_id] = edits.get(story_id, 0) + 1
    if not latest:
        return []
    stories = session.scalars(
        select(Story).where(Story.id.in_(latest)).options(selectinload(Story.articles))
    ).all()
    views = []
    for story in stories:
        count = edits[story.id]
        note = f"edited {format_when(latest[story.id], tz)}" + (
            f" ({count} revisions)" if count > 1 else ""
        )
        views.append(replace(_story_view(story, tz), update_note=note))
    views.sort(key=lambda v: (-latest[v.story_id].timestamp(), v.story_id))
    return views


def sender_domain(sender: str) -> str:
    """The domain of the sender address (for Message-IDs)."""
    return sender.rsplit("@", 1)[-1].strip().lower() or "localhost"


def make_message_id(prefix: str, key: int | str, parts: Sequence[object], sender: str) -> str:
    """``<{prefix}-{key}.{hash}@{sender domain}>``: stable for the same inputs."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:16]
    return f"<{prefix}-{key}.{digest}@{sender_domain(sender)}>"


def _unsubscribe_header(sender: str, url: str | None) -> str:
    targets = [f"<mailto:{sender}?subject=unsubscribe>"]
    checked = safe_url(url) if url else None
    if checked:
        targets.append(f"<{checked}>")
    return ", ".join(targets)


def build_email(
    *,
    sender: str,
    recipients: Sequence[str],
    subject: str,
    text: str,
    html: str,
    message_id: str,
    date: datetime,
    unsubscribe_url: str | None = None,
) -> tuple[EmailMessage, bytes]:
    """A multipart/alternative message and its SMTP wire bytes, verified after building."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = clean_header(sender, 320)
    message["To"] = ", ".join(clean_header(r, 320) for r in recipients)
    message["Subject"] = clean_header(subject, MAX_SUBJECT_CHARS)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = clean_header(message_id, 255)
    message["List-Unsubscribe"] = _unsubscribe_header(sender, unsubscribe_url)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    data = message.as_bytes(policy=policy.SMTP)
    verify_message(data, recipients, message_id)
    return message, data


def verify_message(data: bytes, recipients: Sequence[str], message_id: str) -> None:
    """Parse ``data`` back; raise HeaderInjectionError unless recipients and headers are exact."""
    parsed = BytesParser(policy=policy.default).parsebytes(data)
    names = [name.lower() for name in parsed]
    unexpected = sorted(set(names) - ALLOWED_HEADERS)
    if unexpected:
        raise HeaderInjectionError(f"unexpected header(s) in built message: {unexpected}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise HeaderInjectionError(f"repeated header(s) in built message: {repeated}")
    found: list[str] = []
    for header in _ADDRESS_HEADERS:
        values = [str(v) for v in parsed.get_all(header, [])]
        found.extend(address.lower() for _, address in getaddresses(values))
    if sorted(found) != sorted(r.lower() for r in recipients):
        raise HeaderInjectionError(
            f"built message addresses {sorted(found)} instead of {sorted(recipients)}"
        )
    subject = str(parsed.get("Subject", ""))
    if "\r" in subject or "\n" in subject:
        raise HeaderInjectionError("line break in the subject")
    if str(parsed.get("Message-ID", "")).strip() != message_id:
        raise HeaderInjectionError("Message-ID changed while building the message")


def digest_context(
    stories: Sequence[DigestStory],
    *,
    updated: Sequence[DigestStory] = (),
    recipient: str,
    tz: ZoneInfo,
    period_start: datetime | None,
    period_end: datetime,
    instant: bool,
    unsubscribe_url: str | None,
    sender: str,
) -> dict[str, Any]:
    """Everything the digest templates use."""
    shown = list(stories[:MAX_STORIES_PER_MESSAGE])
    count = len(stories)
    noun = "story" if count == 1 else "stories"
    return {
        "brand": BRAND,
        "stories": shown,
        "updated": list(updated[:MAX_STORIES_PER_MESSAGE]),
        "count": count,
        "hidden": count - len(shown),
        "noun": noun,
        "headline": f"{count} new {noun}" if count else "No new stories",
        "period": format_period(period_start, period_end, tz),
        "timezone": tz.key,
        "instant": instant,
        "top_title": shown[0].title if shown else "",
        "recipient": recipient,
        "sender": sender,
        "unsubscribe_url": safe_url(unsubscribe_url) if unsubscribe_url else None,
    }


def render_digest(
    stories: Sequence[DigestStory],
    *,
    recipient: str,
    timezone: str,
    period_start: datetime | None,
    period_end: datetime,
    message_id: str,
    date: datetime,
    sender: str,
    unsubscribe_url: str | None = None,
    instant: bool = False,
    build: bool = True,
    updated: Sequence[DigestStory] = (),
) -> RenderedMessage:
    """Render one digest for one recipient; with ``build`` also the verified MIME message."""
    tz = ZoneInfo(timezone)
    context = digest_context(
        stories,
        updated=updated,
        recipient=recipient,
        tz=tz,
        period_start=period_start,
        period_end=period_end,
        instant=instant,
        unsubscribe_url=unsubscribe_url,
        sender=sender,
    )
    subject, text, html = render_parts("digest", context)
    rendered = RenderedMessage(subject, text, html, [recipient], message_id)
    if build:
        rendered.message, rendered.data = build_email(
            sender=sender,
            recipients=[recipient],
            subject=subject,
            text=text,
            html=html,
            message_id=message_id,
            date=date,
            unsubscribe_url=unsubscribe_url,
        )
    return rendered


def sample_stories(now: datetime, tz: ZoneInfo) -> list[DigestStory]:
    """Hand-written stories for previews and screenshots (no database needed)."""
    raw = [
        (
            "Russia and Cuba sign oil supply and power-plant agreements in Havana",
            ["Reuters", "Havana Times", "OnCuba News"],
            "EN",
            ["russia", "cuba", "oil"],
            "Moscow will ship 1.6 million tonnes of [oil] a year to [Cuba] under an accord "
            "signed on Friday, as [Russia] deepens economic ties with the island…",
            3.4,
            2,
        ),
        (
            "Díaz-Canel meets Putin in Moscow, pledges closer military-technical cooperation",
            ["TASS", "Prensa Latina"],
            "EN, ES",
            ["putin", "díaz-canel", "moscow"],
            "[Putin] received [Díaz-Canel] at the Kremlin; the leaders discussed energy, "
            "tourism and the payment system Mir in [Moscow]…",
            2.9,
            5,
        ),
        (
            "Rusia enviará trigo y aceite a Cuba como ayuda humanitaria",
            ["Cubadebate"],
            "ES",
            ["rusia", "cuba"],
            "El gobierno de [Rusia] anunció el envío de 25 000 toneladas de trigo a [Cuba] "
            "para garantizar la canasta básica…",
            2.1,
            9,
        ),
        (
            "Россия и Куба обсудили поставки нефти и туристический поток",
            ["ТАСС"],
            "RU",
            ["россия", "куба"],
            "[Россия] и [Куба] договорились увеличить число прямых рейсов и поставки нефти…",
            1.8,
            14,
        ),
    ]
    stories: list[DigestStory] = []
    for index, (title, outlets, language, terms, snippet, score, hours) in enumerate(raw, 1):
        published = now - timedelta(hours=hours)
        links = [
            StoryLink(
                url=f"https://{_slug(o)}.example/news/{index}",
                outlet=o,
            )
            for o in outlets
        ]
        stories.append(
            DigestStory(
                story_id=index,
                title=title,
                url=links[0].url,
                outlets=outlets,
                published=published,
                published_label=format_when(published, tz),
                language=language,
                terms=terms,
                segments=snippet_segments(snippet),
                links=links,
                score=score,
            )
        )
    return stories


def _slug(name: str) -> str:
    ascii_name = "".join(c for c in name.lower() if c.isascii() and c.isalnum())
    return ascii_name or "tass-ru"

"""Multilingual (en/es/ru) filters for boilerplate paragraphs that survive trafilatura.

Three kinds of rules, all matched against a *whole* normalised paragraph (case-insensitive):

* :data:`ANYWHERE_PATTERNS` — short labels that are never article text (``Advertisement``,
  image credits such as ``Photo: Reuters``, newsletter promos, ``Read more: …`` teasers);
  dropped wherever they occur.
* :data:`EDGE_PATTERNS` — comment prompts, cookie notices, newsletter boxes, share buttons,
  "Continue reading" links; dropped only while they sit at the start or the end of the body.
* :data:`LINK_BOX_PATTERNS` — headings of link boxes ("Related posts", "Don't miss"); dropped
  together with the headline-like lines (short, no final punctuation) that follow them.
* :data:`SECTION_PATTERNS` — headings that open a trailing comment/author section
  ("1 thought on …", "Comments"); the body is cut there when most of the text lies before it.

Also :func:`has_paywall_marker` and :func:`has_consent_marker` used for skip detection.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "ANYWHERE_PATTERNS",
    "EDGE_PATTERNS",
    "LINK_BOX_PATTERNS",
    "SECTION_PATTERNS",
    "filter_boilerplate",
    "has_consent_marker",
    "has_paywall_marker",
    "is_boilerplate_line",
]

_SOCIAL = (
    r"(?:facebook|twitter|x|whatsapp|telegram|linkedin|e-?mail|email|print|pinterest|reddit|vk"
    r"|vkontakte|ok|odnoklassniki|messenger|copy link|copiar enlace|imprimir|correo|flipboard"
    r"|pocket|tumblr|threads|bluesky|mastodon|viber)"
)


def _compile(patterns: Sequence[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# Never article text, wherever they occur (bounded by _ANYWHERE_MAX_CHARS).
ANYWHERE_PATTERNS: tuple[str, ...] = (
    # advertising labels
    r"(?:advertisement|advertising|sponsored(?: content)?|ad|ads|publicidad|anuncio|publicité"
    r"|реклама|спонсорский материал)\.?",
    r"(?:story|article) continues (?:below|after (?:this )?(?:ad|advertisement))\.?",
    r"scroll (?:down )?to continue(?: with content)?\.?",
    r"(?:la noticia |el artículo )?contin[uú]a (?:debajo|después de la publicidad)\.?",
    r"продолжение (?:ниже|после рекламы)\.?",
    # image credits
    r"(?:photo|photos|photograph|image|picture|pic|foto|fotos|fotografía|imagen|фото|фотография"
    r"|изображение)(?: credit| de archivo)?s?\s*(?::|/|©|by|de|—|–)\s*.{1,140}",
    r"(?:credit|crédito|créditos|источник фото)\s*:\s*.{1,140}",
    r"©\s*.{1,100}",
    # newsletter promos
    r"(?:subscribe|sign up|register) (?:to|for) .{0,100}newsletters?.{0,160}",
    r"also on [\w-]+(?:\.[\w-]+)+ .{1,200}",
    r"\[/?[a-z_]+(?: [^\]]*)?\].{0,200}",
    # a shortcode whose opening "[" was stripped: button link="…" type="big"] Label[/button
    r"[a-z_]+(?: [a-z_-]+=[\"”“'][^\]]*)+\].{0,200}",
    r"get (?:our|the) .{0,60}newsletter.{0,120}",
    r"suscr[ií]b[ae]te (?:a|al|gratis a) (?:nuestro |nuestra )?(?:bolet[ií]n|newsletter).{0,120}",
    r"(?:recibe|reciba) (?:nuestro|el) bolet[ií]n.{0,120}",
    r"подпишитесь на (?:нашу |нашу еженедельную )?(?:рассылку|канал|telegram|телеграм).{0,120}",
    # inline link teasers
    r"(?:related|see more|see also|read more|read also|also read|more|watch|listen|recommended"
    r"|relacionad[oa]s?|lee también|lea también|vea también|ver también|mira también"
    r"|читайте также|смотрите также|по теме)\s*:\s*.{1,200}",
    r"(?:.{0,140}[(/|©]\s*)?(?:getty images|shutterstock|istock|afp|reuters|ap photo|efe|epa"
    r"|sputnik|tass|тасс|риа новости|ria novosti)(?: via getty images| photo)?\)?\.?",
)
_ANYWHERE_MAX_CHARS = 200

# Boilerplate when found at the start or end of the body.
EDGE_PATTERNS: tuple[str, ...] = (
    # comment forms and comment counters
    r"please enter your (?:comment|name|e-?mail(?: address)?)(?: here)?[!.]?",
    r"leave a (?:reply|comment|response)(?: cancel reply)?\.?",
    r"(?:you must be |please )?log(?:ged)? in to (?:post a )?comment\.?",
    r"(?:post|add|write|submit) (?:a |your )?comment\.?",
    r"comments? are (?:closed|disabled)\.?",
    r"no comments(?: yet)?\.?",
    r"be the first to comment\.?",
    r"join the (?:conversation|discussion)\.?",
    r"\d+\s+(?:thoughts?|comments?|responses?|replies) (?:on|to) .{1,200}",
    r"(?:deja|dejar|escribe|añade|agregar) (?:un |tu )?comentario\.?",
    r"(?:los )?comentarios (?:están )?cerrados\.?",
    r"por favor,? (?:introduce|ingrese|ingresa|escribe|escriba) (?:tu|su) (?:comentario|nombre"
    r"|correo)(?: aquí)?[!.]?",
    r"(?:оставьте|оставить|добавить|написать) комментарий\.?",
    r"комментарии (?:закрыты|отключены)\.?",
    # cookie notices
    r"(?:this|our) (?:web ?site|site) uses cookies.{0,400}",
    r"we use cookies.{0,400}",
    r"(?:este|nuestro) (?:sitio(?: web)?|portal|web) (?:utiliza|usa) cookies.{0,400}",
    r"(?:utilizamos|usamos) cookies.{0,400}",
    r"(?:мы используем|этот сайт использует|сайт использует) (?:файлы )?cookies?.{0,400}",
    r"privacy (?:&|and) cookies? policy\.?",
    r"(?:accept|allow|reject) (?:all )?cookies\.?",
    r"(?:aceptar|rechazar) (?:todas )?(?:las )?cookies\.?",
    r"cookie (?:policy|settings|preferences)\.?",
    # newsletter boxes
    r"(?:newsletter|sign up|subscribe)(?: now| here| today)?[.!]?",
    r"enter your e-?mail(?: address)?.{0,120}",
    r"follow (?:us|me|him|her|them|the .{1,60}|[\w .'-]{1,40}) on (?:facebook|twitter|instagram|x"
    r"|youtube|tiktok|telegram|linkedin|threads).{0,160}",
    r"(?:like|liked|enjoy|enjoyed|love) this (?:story|article|post)\?.{0,120}",
    r"tell us what you think.{0,60}",
    r".{0,200}\bwe(?:['’]d| would) (?:like|love) to hear (?:from you|what you think|your thoughts)"
    r".{0,250}",
    r"get (?:access to )?.{0,80} (?:delivered|subscriptions?) .{0,400}",
    r".{0,200}\b(?:sign up|subscribe)(?: (?:for|to) .{1,80}?)?(?: today| now| here)?"
    r" to (?:get|receive) .{0,100}newsletters?\b.{0,120}",
    r".{0,200}\bsign up (?:for|to) (?:our |the )?(?:free )?.{0,60}newsletters?\b.{0,120}",
    r"[\w .'-]{1,40} newsletter\.?",
    r".{0,300}\bfollow (?:us|me|him|her|them) (?:on|at) (?:facebook|twitter|instagram|x|threads"
    r"|linkedin|bluesky|mastodon)\b.{0,100}",
    r"listen to .{1,60}(?: live| on (?:bbc sounds|spotify|apple podcasts|itunes|google podcasts))"
    r".{0,120}",
    r"how to (?:listen to|subscribe to|download) .{1,80}",
    r"[\w .'-]{1,30}:\s*https?://\S+",
    r"síguenos en .{1,80}",
    r"(?:подписывайтесь|следите за нами) (?:на|в) .{1,80}",
    # share buttons
    r"(?:share|tweet|pin|email) (?:this|on|via|to) .{1,60}",
    r"share(?: this)?(?: (?:article|story|post|page))?:?",
    r"click to share on .{1,60}",
    rf"{_SOCIAL}(?:\s*[,|·/•]?\s*{_SOCIAL})*",
    r"compart(?:ir|e)(?: en| esta noticia| este artículo)?(?: .{1,40})?:?",
    r"поделиться(?: в .{1,40})?:?",
    # read-more / related links
    r"continue reading.{0,120}",
    r"(?:read|see) (?:more|also|next|the full (?:story|article))\b.{0,160}",
    r"(?:click|tap) here to (?:read|see) more.{0,80}",
    r"(?:related|recommended) (?:posts?|articles?|stories|news|content|coverage|reading)\.?:?",
    r"(?:you (?:may|might) )?also (?:like|be interested in|read).{0,120}",
    r"more (?:from|on|in) .{1,60}",
    r"(?:sigue|seguir|continuar|continúa) leyendo.{0,120}",
    r"(?:lee|leer|lea) (?:también|más|además|el artículo completo).{0,160}",
    r"(?:te puede interesar|también te puede interesar|más noticias).{0,160}",
    r"(?:noticias|art[ií]culos|entradas|notas) relacionad[oa]s\.?:?",
    r"(?:читайте|смотрите) (?:также|далее|ещё|еще|подробнее).{0,160}",
    r"(?:похожие|связанные) (?:записи|статьи|новости|материалы)\.?:?",
    r"(?:ещё|еще) по теме.{0,160}",
    r"(?:previous|next) (?:post|article|story)\.?:?.{0,160}",
    r"(?:tags?|etiquetas|теги|метки)\s*:.{0,200}",
    r"(?:copyright|all rights reserved|todos los derechos reservados|все права защищены)\b.{0,150}",
    r"(?:updated|last updated|published|actualizado|publicado|обновлено|опубликовано)"
    r"(?: at| on| el| a las| в)? \d.{0,60}",
    r"(?:have a (?:news )?tip|got a (?:news )?tip|¿tienes una pista)\??.{0,200}",
    r"(?:filed under|categories|categorías|рубрики)\s*:.{0,200}",
)
_EDGE_MAX_CHARS = 500

# A short heading that opens a trailing comment section: the body is cut there.
SECTION_PATTERNS: tuple[str, ...] = (
    r"\d+\s+(?:thoughts?|comments?|responses?|replies) (?:on|to) .{1,200}",
    r"(?:leave a (?:reply|comment)|comments?(?: \(\d+\))?|discussion|what do you think\??)\.?:?",
    r"about the author\.?:?",
    r"(?:comentarios|sobre el autor|deja (?:un|tu) comentario)\.?:?",
    r"(?:комментарии|об авторе)\.?:?",
)
# A heading that opens a box of links; it is dropped with the headline-like lines after it.
LINK_BOX_PATTERNS: tuple[str, ...] = (
    r"(?:related|recommended|more|popular|trending|latest|top) (?:posts?|articles?|stories|news"
    r"|content|coverage|reading|videos?)\.?:?",
    r"(?:you (?:may|might) )?also (?:like|be interested in|read)\.?:?",
    r"(?:you may have missed|don'?t miss|must read|most (?:read|popular|viewed))\.?:?",
    r"more (?:from|on|in) .{1,60}",
    r"(?:noticias|art[ií]culos|entradas|notas) relacionad[oa]s\.?:?",
    r"(?:también )?te (?:puede|podría) interesar\.?:?",
    r"(?:lo )?más (?:leído|visto)\.?:?",
    r"(?:no te pierdas|lee también|leer también)\.?:?",
    r"(?:похожие|связанные) (?:записи|статьи|новости|материалы)\.?:?",
    r"(?:читайте|смотрите) (?:также|ещё|еще)\.?:?",
    r"(?:другие новости|ещё по теме|еще по теме|по теме|самое читаемое|не пропустите)\.?:?",
)
_SECTION_MAX_CHARS = 220
# Heading of a closing promo box ("Pick Six Newsletter" + a one-line pitch).
_BOX_HEADING_RE = re.compile(r"[\w .'&-]{1,40} (?:newsletter|podcast)s?:?", re.IGNORECASE)
_BOX_BLURB_MAX_CHARS = 160

_ANYWHERE_RE = _compile(ANYWHERE_PATTERNS)
_EDGE_RE = _compile(EDGE_PATTERNS)
_SECTION_RE = _compile(SECTION_PATTERNS)
_LINK_BOX_RE = _compile(LINK_BOX_PATTERNS)
_SENTENCE_END_RE = re.compile(r"[.!?…:;。！？][\"”»’')\]]*$")
_HEADLINE_MAX_CHARS = 200

_PAYWALL_RE = _compile(
    (
        r"subscribe (?:now )?to (?:continue|keep) reading",
        r"(?:to )?continue reading,? (?:please )?(?:subscribe|log in|sign in)",
        r"(?:sign in|log in|register) to (?:continue|keep) reading",
        r"this (?:article|content|story) is (?:only )?(?:available|exclusive|reserved) (?:only )?"
        r"(?:to|for) (?:our )?(?:subscribers|members|premium)",
        r"already (?:a subscriber|have an account)\?",
        r"subscribers? only",
        r"unlock (?:this|full) (?:article|story|access)",
        r"you(?:'ve| have) reached your (?:free )?(?:article )?limit",
        r"suscr[ií]bete para (?:seguir|continuar) leyendo",
        r"(?:contenido|art[ií]culo) (?:exclusivo|reservado) (?:para|a) suscriptores",
        r"¿ya eres suscriptor",
        r"para (?:seguir|continuar) leyendo,? (?:suscr[ií]bete|inicia sesi[oó]n|reg[ií]strate)",
        r"(?:доступн\w+|материал доступен) только (?:по|для) подписк\w*",
        r"(?:оформите|оформить) подписку,? чтобы (?:продолжить|читать)",
        r"чтобы (?:продолжить|дочитать) (?:чтение|статью),? (?:оформите|оформить|войдите)",
    )
)
_CONSENT_RE = _compile(
    (
        r"before you continue",
        r"we value your privacy",
        r"we care about your privacy",
        r"(?:your|manage) (?:privacy|cookie) (?:choices|preferences|settings|options)",
        r"by clicking [\"“]?(?:accept|agree|i agree|accept all)",
        r"consent to (?:the use of )?(?:cookies|our use)",
        r"(?:we|our partners) (?:and our partners )?(?:store and/or )?access information"
        r" on a device",
        r"antes de continuar",
        r"tu privacidad es importante",
        r"valoramos tu privacidad",
        r"al hacer clic en [\"“]?aceptar",
        r"прежде чем продолжить",
        r"мы ценим вашу конфиденциальность",
        r"согласие на (?:использование|обработку) (?:файлов )?cookie",
    )
)


def _norm(paragraph: str) -> str:
    return paragraph.strip().strip("»«\"'“”‘’[](){}*•·-–— ").strip()


def is_boilerplate_line(paragraph: str, *, at_edge: bool = True) -> bool:
    """True if the paragraph is boilerplate (edge rules apply only when ``at_edge``)."""
    text = _norm(paragraph)
    if not text:
        return True
    if len(text) <= _ANYWHERE_MAX_CHARS and _ANYWHERE_RE.fullmatch(text):
        return True
    return at_edge and len(text) <= _EDGE_MAX_CHARS and bool(_EDGE_RE.fullmatch(text))


def _section_start(paragraphs: list[str]) -> int | None:
    """Index of a trailing-section heading with at least as much text before as after it."""
    total = sum(len(p) for p in paragraphs)
    before = 0
    for index, paragraph in enumerate(paragraphs):
        text = _norm(paragraph)
        if (
            index > 0
            and len(text) <= _SECTION_MAX_CHARS
            and _SECTION_RE.fullmatch(text)
            and before >= total - before - len(paragraph)
        ):
            return index
        before += len(paragraph)
    return None


def _is_headline_like(paragraph: str) -> bool:
    """Short and without sentence-final punctuation: a link title, a byline, a label."""
    text = paragraph.strip()
    return len(text) <= _HEADLINE_MAX_CHARS and not _SENTENCE_END_RE.search(text)


def _drop_link_boxes(paragraphs: list[str]) -> list[str]:
    """Drop "Related posts"-style headings plus the headline-like lines that follow them."""
    kept: list[str] = []
    in_box = False
    for index, paragraph in enumerate(paragraphs):
        text = _norm(paragraph)
        if index > 0 and len(text) <= _SECTION_MAX_CHARS and _LINK_BOX_RE.fullmatch(text):
            in_box = True
            continue
        if in_box and _is_headline_like(paragraph):
            continue
        in_box = False
        kept.append(paragraph)
    return kept


def filter_boilerplate(paragraphs: list[str]) -> list[str]:
    """Drop boilerplate paragraphs: labels anywhere, link boxes, comment sections, edges."""
    kept = [p for p in paragraphs if not is_boilerplate_line(p, at_edge=False)]
    kept = _drop_link_boxes(kept)
    cut = _section_start(kept)
    if cut is not None:
        kept = kept[:cut]
    start, end = 0, len(kept)
    while start < end and is_boilerplate_line(kept[start]):
        start += 1
    while end > start:
        if is_boilerplate_line(kept[end - 1]):
            end -= 1
        elif (
            end - start >= 2
            and len(kept[end - 1]) <= _BOX_BLURB_MAX_CHARS
            and _BOX_HEADING_RE.fullmatch(_norm(kept[end - 2]))
        ):
            end -= 2  # a closing promo box: its heading and a one-line blurb
        else:
            break
    return kept[start:end]


def has_paywall_marker(text: str) -> bool:
    """True if the text contains a paywall prompt ("Subscribe to continue reading", …)."""
    return bool(_PAYWALL_RE.search(text))


def has_consent_marker(text: str) -> bool:
    """True if the text contains a consent-dialog phrase ("Before you continue", …)."""
    return bool(_CONSENT_RE.search(text))

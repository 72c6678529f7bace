"""Site templates: fingerprints, learning from counts, stripping; the database counts."""

from __future__ import annotations

from sqlalchemy import func, select

from monitor.db.engine import Database
from monitor.db.models import TemplateBlock, TemplatePage
from monitor.db.repository import source_id
from monitor.db.templates import (
    WINDOW,
    TemplateCache,
    load_templates,
    record_page,
    template_report,
)
from monitor.extract import ExtractedArticle, TemplateSet, clean_page
from monitor.extract.templates import MIN_PAGES, block_fingerprints, fingerprint

CTA_ES = "¿Te gustó esta nota? Únete a nuestro canal y recibe las noticias del día 2025."
CTA_RU = "Понравился материал? Подпишитесь на наш канал, чтобы не пропустить главное."


def test_fingerprint_ignores_case_punctuation_digits_any_script() -> None:
    assert fingerprint(CTA_ES) == fingerprint(CTA_ES.upper().replace("2025", "2026") + "!!")
    assert fingerprint(CTA_RU) == fingerprint("  " + CTA_RU.lower().replace(",", " ,"))
    assert fingerprint(CTA_ES) != fingerprint(CTA_RU)
    assert fingerprint("…") == ""
    assert block_fingerprints([CTA_ES, CTA_ES.upper(), "", "x" * 700]) == (fingerprint(CTA_ES),)


def test_learn_needs_enough_pages_and_share() -> None:
    counts = {"a": 10, "b": 3, "c": 6}
    assert not TemplateSet.learn(counts, pages=MIN_PAGES - 1)
    learned = TemplateSet.learn(counts, pages=20)
    assert learned.fingerprints == {"a", "c"}  # c: 6 >= 0.3 * 20; b below the floor
    assert TemplateSet.learn(counts, pages=30).fingerprints == {"a"}  # floor 9


def test_strip_keeps_order_and_other_paragraphs() -> None:
    templates = TemplateSet(frozenset({fingerprint(CTA_RU)}), pages=10)
    assert templates.strip(["one", CTA_RU.upper(), "two"]) == ["one", "two"]
    assert TemplateSet().strip(["one"]) == ["one"]


def _page(paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<html lang='es'><head><title>Nota</title></head><body><article><h1>Nota</h1>"
        f"{body}</article></body></html>"
    )


ARTICLE = [
    "El gobierno cubano anunció este martes un nuevo acuerdo energético con Rusia que incluye "
    "el suministro de combustible y la modernización de varias centrales termoeléctricas.",
    "Según el comunicado oficial, las entregas comenzarán el próximo mes y se extenderán "
    "durante al menos dos años, con condiciones de pago preferenciales para la isla.",
    "Analistas consultados señalaron que el acuerdo podría aliviar los apagones que afectan "
    "a la población desde el verano, aunque advirtieron sobre la dependencia del suministro.",
]


def test_clean_page_strips_learned_template_and_reports_fingerprints() -> None:
    html = _page([*ARTICLE, CTA_ES])
    plain = clean_page(html)
    assert isinstance(plain, ExtractedArticle)
    assert CTA_ES in plain.body  # no phrase rule knows this call-to-action
    assert fingerprint(CTA_ES) in plain.block_fingerprints
    templates = TemplateSet(frozenset({fingerprint(CTA_ES)}), pages=10)
    cleaned = clean_page(html, templates=templates)
    assert isinstance(cleaned, ExtractedArticle)
    assert cleaned.paragraphs == ARTICLE
    assert cleaned.template_blocks_removed == 1
    assert cleaned.block_fingerprints == plain.block_fingerprints  # learning sees the template


def test_record_page_counts_once_per_page_and_learns(db: Database) -> None:
    cta = fingerprint(CTA_RU)
    with db.session() as session:
        src = source_id(session, "lenta")
        other = source_id(session, "other")
        results = []
        for i in range(MIN_PAGES):
            own = fingerprint(f"article paragraph {chr(97 + i)} of the site")
            results.append(
                record_page(session, src, f"https://s.example/{i}", [own, cta], ["x", CTA_RU])
            )
        assert all(r.counted for r in results)
        assert not results[-2].templates and results[-1].learned == {cta}
        # A re-fetch of the same page does not count again.
        again = record_page(session, src, "https://s.example/0", [cta], [CTA_RU])
        assert not again.counted and again.templates.fingerprints == {cta}
        assert load_templates(session, src).fingerprints == {cta}
        assert not load_templates(session, other)
        report = template_report(session, "lenta")
        assert report is not None and report.pages == MIN_PAGES
        assert [(b.sample, b.pages) for b in report.templates] == [(CTA_RU, MIN_PAGES)]
        assert template_report(session, "missing") is None
        cache = TemplateCache()
        assert cache.get(session, src).fingerprints == {cta}


def test_window_forgets_old_pages(sqlite_db: Database) -> None:
    old, new = fingerprint("old footer"), fingerprint("new footer")
    with sqlite_db.session() as session:
        src = source_id(session, "site")
        for i in range(WINDOW):
            record_page(session, src, f"https://s.example/a{i}", [old])
        assert load_templates(session, src).fingerprints == {old}
        for i in range(WINDOW):
            record_page(session, src, f"https://s.example/b{i}", [new])
        pages = session.scalar(select(func.count()).select_from(TemplatePage))
        assert pages == WINDOW
        assert load_templates(session, src).fingerprints == {new}
        assert session.scalars(select(TemplateBlock.fingerprint)).all() == [new]


def test_page_cleaned_with_an_older_set_is_reported_for_re_cleaning(sqlite_db: Database) -> None:
    cta, own = fingerprint(CTA_ES), fingerprint("a paragraph of its own")
    with sqlite_db.session() as session:
        src = source_id(session, "site")
        for i in range(MIN_PAGES):
            record_page(
                session, src, f"https://s.example/{i}", [cta, fingerprint(f"p {chr(97 + i)}")]
            )
        # Analysed before the set was known (nothing applied): its template block is stale.
        late = record_page(session, src, "https://s.example/late", [cta, own], applied=frozenset())
        assert late.counted and late.learned == {cta}
        # Analysed with the current set: nothing to re-clean.
        fresh = record_page(session, src, "https://s.example/fresh", [cta, own], applied={cta})
        assert fresh.counted and not fresh.learned

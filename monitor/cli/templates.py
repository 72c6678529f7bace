"""``monitor sources templates NAME``: what the site-template learner knows about a source."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from monitor.db.engine import Database
from monitor.db.templates import template_report


def templates_command(db: Database, name: str, *, as_json: bool, console: Console) -> int:
    """Print the learned template blocks of source ``name`` (exit 1 when it has no row)."""
    with db.session() as session:
        report = template_report(session, name)
    if report is None:
        console.print(f"no pages counted for source {name!r} yet", markup=False)
        return 1
    if as_json:
        payload = {
            "source": report.source,
            "pages": report.pages,
            "floor": report.floor,
            "blocks": [
                {
                    "fingerprint": b.fingerprint,
                    "pages": b.pages,
                    "template": b.template,
                    "sample": b.sample,
                }
                for b in report.blocks
            ],
        }
        console.print_json(json.dumps(payload, ensure_ascii=False))
        return 0
    learned = report.templates
    console.print(
        f"{report.source}: {report.pages} article pages counted; a block is template on "
        f">= {report.floor:g} of them; {len(learned)} template block(s) learned",
        markup=False,
    )
    if not report.blocks:
        return 0
    table = Table(show_header=True, header_style="bold")
    table.add_column("pages", justify="right")
    table.add_column("template")
    table.add_column("block")
    for block in report.blocks:
        table.add_row(str(block.pages), "yes" if block.template else "-", block.sample)
    console.print(table)
    return 0

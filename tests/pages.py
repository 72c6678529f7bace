"""Article pages for the two-stage tests: relevant coverage and query-matching noise.

Written for these tests; each noise page is of a kind the relevance model must catch (a
country list, a third-country story, sport, Cold-War history).
"""

from __future__ import annotations

import html

RELEVANT = {
    "oil": (
        "Russian tanker delivers crude to Cuba as blackouts deepen",
        [
            "A Russian tanker carrying crude oil docked at Matanzas on Tuesday, the first such "
            "delivery to Cuba in six weeks, as the island struggles with long blackouts.",
            "Cuban officials said the cargo would feed the country's largest power station. "
            "Moscow has become Havana's main fuel supplier since shipments from other partners "
            "fell, and Russian officials call the deliveries support for a traditional ally.",
            "Deputy Prime Minister Ricardo Cabrisas is expected in Moscow later this month for "
            "talks on energy, debt and trade with the Russian government.",
        ],
    ),
    "flights": (
        "Russia and Cuba agree to restore direct flights to the island's resorts",
        [
            "Russia and Cuba signed an agreement in Moscow on Wednesday to restore direct "
            "flights from several Russian cities to Varadero and Cayo Coco.",
            "Cuban Tourism Minister Juan Carlos García said Cuba hoped to receive half a "
            "million Russian visitors next year. Cuban hotels now accept Russia's Mir cards.",
            "The deal also covers training for Cuban hotel staff in Russian and a plan to "
            "simplify insurance for Russian tour operators working with Havana.",
        ],
    ),
}

NOISE = {
    "sanctions": (
        "Treasury widens sanctions list to fourteen countries",
        [
            "The Treasury Department on Tuesday added new names to its sanctions programme, "
            "which now covers Iran, North Korea, Syria, Russia, Cuba, Venezuela, Belarus, "
            "Myanmar, Nicaragua, Sudan, Yemen, Libya, Somalia and Zimbabwe.",
            "Officials said the update concerns a dozen shipping firms and a handful of banks. "
            "Companies have thirty days to wind down contracts with the listed entities.",
            "Trade lawyers expect guidance on exemptions for food and medicine next month, and "
            "business groups asked for a longer transition period for small exporters.",
        ],
    ),
    "wrestling": (
        "Wrestling worlds: late comeback seals heavyweight gold",
        [
            "The heavyweight final in Belgrade went to the last seconds on Sunday night. The "
            "Cuban wrestler trailed by two points before a throw sealed the gold medal against "
            "his Russian opponent.",
            "The Greco-Roman tournament ends on Tuesday. Coaches from Iran, Turkey and Japan "
            "praised the level of the bracket, and the crowd gave both finalists an ovation.",
            "The medal table is led by Iran ahead of Japan, with the hosts third after a strong "
            "first week; the team event and the women's finals follow next weekend.",
        ],
    ),
}

OFF_TOPIC = (
    "Council approves park budget",
    [
        "The city council approved a new budget for parks and libraries on Monday, with more "
        "money for playgrounds and longer opening hours in the summer months. " * 3
    ],
)


def page_html(title: str, paragraphs: list[str], *, site: str = "Test Daily") -> bytes:
    """A plain article page the cleaner extracts ``title`` and ``paragraphs`` from."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><meta property='og:site_name' content='{site}'></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{html.escape(title)}</h1>{body}</article>"
        f"<footer>© {site}</footer></body></html>"
    ).encode()

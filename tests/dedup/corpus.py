"""Test texts: a ~600-word wire story, its syndicated variants, and a different story."""

from __future__ import annotations

from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

HEADLINE = "Russia and Cuba sign energy and transport deals as Havana faces blackouts"

BODY = """\
Russia and Cuba signed a package of agreements on Thursday covering oil deliveries, power \
generation and the repair of the island's railways, as the Caribbean nation struggles with \
its worst energy crisis in decades and rolling blackouts that have lasted up to twenty hours \
a day in some provinces.

The documents were signed in Havana by Russian Deputy Prime Minister Dmitry Chernyshenko and \
Cuba's Minister of Foreign Trade and Foreign Investment, Oscar Pérez-Oliva Fraga, at the close \
of a two-day session of the intergovernmental commission that oversees economic cooperation \
between the two countries.

Under the main agreement, Russian state companies will supply Cuba with up to 1.6 million \
tonnes of crude oil and refined products over the next year on deferred payment terms, \
officials said. A separate memorandum commits Russian engineers to overhaul four units at the \
Antonio Guiteras and Felton thermal power plants, which have repeatedly broken down since a \
nationwide grid collapse in October left most of the country's ten million people without \
electricity for several days.

"Our Cuban friends can count on Russia in difficult times, as they always have," \
Chernyshenko told reporters after the ceremony, adding that Moscow was ready to expand \
cooperation in tourism, agriculture and the pharmaceutical industry. He said the number of \
Russian tourists visiting the island had risen by almost a third this year, helped by new \
direct flights from Moscow to Varadero and Cayo Coco.

Pérez-Oliva described the agreements as "a lifeline at a decisive moment" and thanked Russia \
for what he called its unconditional solidarity in the face of the United States embargo, \
which Havana blames for shortages of food, medicine and fuel. He gave no figure for the total \
value of the deals, and neither government disclosed the interest rate on the deferred \
payments.

The transport accord provides for the delivery of 75 locomotives and several hundred freight \
and passenger cars built by Russian manufacturers, part of a long-delayed programme to rebuild \
Cuba's rail network, much of which dates from before the 1959 revolution. Russian Railways \
has been working on sections of the line between Havana and Santiago de Cuba since 2019.

Economists in Havana said the oil shipments would ease but not end the blackouts. Cuba needs \
around 100,000 barrels of oil a day and produces less than half of that, relying on imports \
that have dwindled as Venezuela, once its main supplier, cut deliveries amid its own economic \
troubles. Mexico has also sent cargoes this year, but in smaller volumes than in 2023.

"Russian crude helps keep the lights on for a few more weeks, but the grid itself is worn \
out," said an energy analyst at the University of Havana who asked not to be named because he \
was not authorised to speak to foreign media. "Without new generating capacity, every \
hurricane or breakdown takes the whole system down again."

The agreements come as Moscow seeks to strengthen ties with its Cold War ally at a time of \
confrontation with the West over the war in Ukraine. Russian warships, including a \
nuclear-powered submarine, visited Havana last year, drawing attention from Washington, which \
said the port call posed no threat to the United States.

Cuba has backed Russia's position at the United Nations and joined the BRICS group as a \
partner country this year. President Miguel Díaz-Canel has visited Moscow several times since \
taking office and met President Vladimir Putin on the sidelines of the Victory Day parade in \
May, when the two leaders pledged to deepen what they called a strategic partnership.

The commission agreed to meet again in Moscow next year to review progress on the projects.\
"""

RELATED = """
Related:
Cuba suffers fourth nationwide blackout in a year
Russian oil tanker arrives in Matanzas
Díaz-Canel meets Putin in Moscow
Read more: https://wire.example/world/americas
Follow us on Facebook and X for the latest news from the region.\
"""


def syndicated_variants() -> dict[str, str]:
    """How partner sites reprint the wire story: each should land in the story of ``BODY``."""
    edited = (
        BODY.replace("signed a package of agreements", "signed a series of agreements")
        .replace("up to twenty hours", "up to 20 hours")
        .replace("told reporters", "told journalists")
    )
    return {
        "new headline": "Moscow throws Havana an energy lifeline\n\n" + BODY,
        "agency intro": "MOSCOW (Reuters) – " + BODY,
        "trailing related links": BODY + "\n" + RELATED,
        "words edited": edited,
        "all at once": "Moscow to the rescue as Cuba goes dark\n\nHAVANA (AFP) – "
        + edited
        + "\n"
        + RELATED,
        "curly quotes and whitespace": BODY.replace('"', "\u201c").replace("\n\n", "\n \n\t"),
        "last paragraph cut": BODY.rsplit("\n\n", 1)[0],
    }


def different_story_same_topic() -> str:
    """Another Russia–Cuba energy story, written independently (must not join ``BODY``)."""
    return """\
A Russian tanker carrying about 700,000 barrels of crude oil docked at the Cuban port of \
Matanzas on Sunday, the second such delivery this month, as Havana tries to restore power \
after a string of grid failures that left much of the island in darkness.

Cuba's Ministry of Energy and Mines said the cargo would be processed at the Cienfuegos \
refinery and distributed to thermal power plants across the country. Officials did not say \
how the shipment would be paid for. Russia has supplied oil to Cuba on credit several times \
since 2022, according to ship-tracking data and statements from both governments.

The delivery comes weeks after Russia and Cuba signed agreements on energy and transport \
during a visit by a Russian deputy prime minister to Havana. Moscow has also promised spare \
parts and technicians for ageing power stations built with Soviet help in the 1980s.

Residents in Havana and the eastern provinces reported outages of ten hours or more on \
Saturday. The national electricity utility, the Unión Eléctrica, said a breakdown at the \
Felton plant in Holguín had taken 250 megawatts out of the system. Authorities have closed \
schools and suspended some state work to save fuel.

Analysts say Russian help cannot solve Cuba's structural energy problems. The island's \
plants burn heavy domestic crude that damages boilers, and investment in maintenance has \
fallen for years because of a lack of hard currency. Solar parks financed by China are \
expected to add capacity next year, but far less than the country needs.

The United States has criticised the Russian oil shipments, saying they prop up the Cuban \
government, while Havana says the fuel is needed to keep hospitals, water pumps and homes \
running. Relations between Moscow and Havana have grown closer since the start of the war in \
Ukraine, with regular visits by officials and military delegations.\
"""


def seed_text(n: int) -> str:
    """The text of seed ``n`` (000–004): five different real Russia–Cuba articles."""
    return next(SEEDS.glob(f"{n:03d}_*.txt")).read_text(encoding="utf-8")

"""The words the relevance signals look for, in English, Spanish and Russian, in base forms.

Entries are written once, in dictionary form; :func:`lexicon_index` normalises them with the
same :func:`~monitor.relevance.morphology.normalise_token` as the article text, so inflected and
accented forms (``Кубы``, ``кубинскими``, ``rusos``, ``Moscú``) match without inflection lists.

Each table row is ``key | english ; spanish ; russian`` with comma-separated phrases.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from monitor.query.normalize import WORD_RE
from monitor.relevance.morphology import normalise_token

#: The topic's two sides: country keys in :data:`COUNTRIES`.
SIDE_A, SIDE_B = "russia", "cuba"

# Countries (name, demonym, capital, leaders where unambiguous). Russia and Cuba include the
# Soviet Union and their leaders, as the default query does.
COUNTRIES = """
russia | russia, russian, russians, moscow, muscovite, kremlin, putin, lavrov, soviet,
  soviets, ussr, soviet union, medvedev, shoigu, mishustin, peskov, zakharova, rosneft,
  roscongress, belousov, manturov, chernyshenko, siluanov, reshetnikov, volodin, matviyenko,
  patrushev, naryshkin, ryabkov, kolokoltsev, sechin, aeroflot, rosatom, gazprom, zarubezhneft,
  lukoil, kamaz, sberbank, rostec, russian railways, st petersburg, saint petersburg,
  northern fleet, russian federation
  ; rusia, ruso, rusa, moscú, moscovita, kremlin, putin, lavrov, soviético, urss,
  unión soviética, medvédev, shoigú, mishustin, peskov, zajárova, rosneft, federación de rusia,
  mánturov, chernyshenko, silúanov, reshétnikov, volodin, matvienko, pátrushev, narishkin,
  riabkov, kolokóltsev, sechin, aeroflot, rosatom, gazprom, zarubezhneft, lukoil, kamaz,
  sberbank, rostec, san petersburgo, flota del norte
  ; россия, российский, россиянин, рф, москва, московский, кремль, кремлёвский, путин, лавров,
  советский, ссср, советский союз, медведев, шойгу, мишустин, песков, захарова, роснефть,
  русский, белоусов, мантуров, чернышенко, силуанов, решетников, володин, матвиенко,
  патрушев, нарышкин, рябков, колокольцев, сечин, аэрофлот, росатом, газпром,
  зарубежнефть, лукойл, камаз, сбербанк, ростех, ржд, петербург, санкт-петербург,
  северный флот, минобороны, госдума, совфед, отечественный, вмф
cuba | cuba, cuban, cubans, havana, díaz-canel, fidel castro, raúl castro, bruno rodríguez,
  varadero, matanzas, cienfuegos, holguín, camagüey, mariel, island of freedom, marrero,
  cabrisas, cupet, gaviota, granma, prensa latina, cubadebate, pinar del río, cayo coco,
  isle of youth, villa clara, sancti spíritus, ciego de ávila, las tunas
  ; cuba, cubano, habana, habanero, díaz-canel, fidel castro, raúl castro, bruno rodríguez,
  isla de la libertad, marrero, cabrisas, cupet, gaviota, granma, prensa latina, cubadebate,
  pinar del río, cayo coco, isla de la juventud, unión eléctrica, villa clara,
  sancti spíritus, ciego de ávila, las tunas, azcuba
  ; куба, кубинский, кубинец, кубинка, гавана, гаванский, диас-канель, фидель кастро,
  рауль кастро, бруно родригес, остров свободы, варадеро, матансас, сьенфуэгос, ольгин,
  камагуэй, мариэль, марреро, кабрисас, гавиота, гранма, пренса латина, пинар-дель-рио,
  кайо-коко, вилья-клара, санкти-спиритус, сьего-де-авила, лас-тунас, остров молодёжи
united-states | united states, u.s., usa, american, americans, washington, white house, biden,
  trump, pentagon, state department
  ; estados unidos, ee.uu., eeuu, eua, estadounidense, norteamericano, washington, casa blanca,
  biden, trump, pentágono, departamento de estado
  ; сша, соединённые штаты, америка, американский, американец, вашингтон, белый дом, байден,
  трамп, пентагон, госдеп, госдепартамент
venezuela | venezuela, venezuelan, caracas, maduro, chávez ; venezuela, venezolano, caracas,
  maduro, chávez ; венесуэла, венесуэльский, каракас, мадуро, чавес
nicaragua | nicaragua, nicaraguan, managua, daniel ortega ; nicaragua, nicaragüense, managua,
  daniel ortega ; никарагуа, никарагуанский, манагуа, даниэль ортега
iran | iran, iranian, tehran ; irán, iraní, teherán ; иран, иранский, тегеран
china | china, chinese, beijing, xi jinping ; china, chino, pekín, beijing, xi jinping
  ; китай, китайский, кнр, пекин, си цзиньпин
ukraine | ukraine, ukrainian, kyiv, kiev, zelensky ; ucrania, ucraniano, kiev, zelenski
  ; украина, украинский, киев, зеленский, всу
belarus | belarus, belarusian, minsk, lukashenko ; bielorrusia, bielorruso, minsk, lukashenko
  ; беларусь, белоруссия, белорусский, минск, лукашенко
north-korea | north korea, north korean, pyongyang, dprk ; corea del norte, norcoreano,
  pyongyang ; кндр, северная корея, северокорейский, пхеньян
south-korea | south korea, south korean, seoul ; corea del sur, surcoreano, seúl
  ; южная корея, южнокорейский, сеул
syria | syria, syrian, damascus ; siria, sirio, damasco ; сирия, сирийский, дамаск
iraq | iraq, iraqi, baghdad ; irak, iraquí, bagdad ; ирак, иракский, багдад
afghanistan | afghanistan, afghan, kabul ; afganistán, afgano, kabul ; афганистан, афганский
india | india, indian, new delhi ; india, indio, nueva delhi ; индия, индийский, нью-дели
pakistan | pakistan, pakistani ; pakistán, paquistaní ; пакистан, пакистанский
brazil | brazil, brazilian, brasília, lula ; brasil, brasileño, brasilia, lula
  ; бразилия, бразильский, бразилиа, лула
mexico | mexico, mexican ; méxico, mexicano ; мексика, мексиканский
argentina | argentina, argentine, argentinian, buenos aires ; argentina, argentino,
  buenos aires ; аргентина, аргентинский, буэнос-айрес
chile | chile, chilean, santiago de chile ; chile, chileno ; чили, чилийский
colombia | colombia, colombian, bogotá ; colombia, colombiano, bogotá ; колумбия, колумбийский
peru | peru, peruvian, lima ; perú, peruano ; перу, перуанский
bolivia | bolivia, bolivian ; bolivia, boliviano ; боливия, боливийский
ecuador | ecuador, ecuadorian, quito ; ecuador, ecuatoriano, quito ; эквадор, эквадорский
uruguay | uruguay, uruguayan ; uruguay, uruguayo ; уругвай, уругвайский
paraguay | paraguay, paraguayan ; paraguay, paraguayo ; парагвай, парагвайский
panama | panama, panamanian ; panamá, panameño ; панама, панамский
honduras | honduras, honduran ; honduras, hondureño ; гондурас, гондурасский
guatemala | guatemala, guatemalan ; guatemala, guatemalteco ; гватемала, гватемальский
el-salvador | el salvador, salvadoran ; el salvador, salvadoreño ; сальвадор, сальвадорский
dominican-republic | dominican republic, dominican ; república dominicana, dominicano
  ; доминиканская республика, доминиканский
haiti | haiti, haitian ; haití, haitiano ; гаити, гаитянский
jamaica | jamaica, jamaican ; jamaica, jamaiquino ; ямайка, ямайский
canada | canada, canadian, ottawa ; canadá, canadiense ; канада, канадский
united-kingdom | united kingdom, britain, great britain, british, london, uk ; reino unido,
  gran bretaña, británico, londres ; великобритания, британия, британский, лондон
france | france, french, paris ; francia, francés, parís ; франция, французский, париж
germany | germany, german, berlin ; alemania, alemán, berlín ; германия, немецкий, берлин, фрг
italy | italy, italian, rome ; italia, italiano, roma ; италия, итальянский, рим
spain | spain, spanish, madrid ; españa, español, madrid ; испания, испанский, мадрид
portugal | portugal, portuguese, lisbon ; portugal, portugués, lisboa ; португалия, португальский
netherlands | netherlands, dutch, holland ; países bajos, holanda, neerlandés ; нидерланды,
  голландия, нидерландский
poland | poland, polish, warsaw ; polonia, polaco, varsovia ; польша, польский, варшава
hungary | hungary, hungarian, budapest ; hungría, húngaro, budapest ; венгрия, венгерский
serbia | serbia, serbian, belgrade ; serbia, serbio, belgrado ; сербия, сербский, белград
greece | greece, greek, athens ; grecia, griego, atenas ; греция, греческий, афины
turkey | turkey, türkiye, turkish, ankara, erdogan ; turquía, turco, ankara, erdogan
  ; турция, турецкий, анкара, эрдоган
israel | israel, israeli ; israel, israelí ; израиль, израильский
palestine | palestine, palestinian, gaza ; palestina, palestino, gaza ; палестина,
  палестинский, газа
egypt | egypt, egyptian, cairo ; egipto, egipcio, el cairo ; египет, египетский, каир
saudi-arabia | saudi arabia, saudi ; arabia saudí, arabia saudita, saudí ; саудовская аравия,
  саудовский
uae | united arab emirates, uae, emirati ; emiratos árabes unidos, emiratí ; оаэ,
  объединённые арабские эмираты
qatar | qatar, qatari ; catar, qatar, catarí ; катар, катарский
kazakhstan | kazakhstan, kazakh ; kazajistán, kazajo ; казахстан, казахстанский
uzbekistan | uzbekistan, uzbek ; uzbekistán, uzbeko ; узбекистан, узбекский
kyrgyzstan | kyrgyzstan, kyrgyz ; kirguistán, kirguís ; киргизия, кыргызстан, киргизский
tajikistan | tajikistan, tajik ; tayikistán, tayiko ; таджикистан, таджикский
armenia | armenia, armenian, yerevan ; armenia, armenio, ereván ; армения, армянский, ереван
azerbaijan | azerbaijan, azerbaijani, baku ; azerbaiyán, azerí, bakú ; азербайджан,
  азербайджанский, баку
georgia | georgia, georgian, tbilisi ; georgia, georgiano, tiflis ; грузия, грузинский, тбилиси
moldova | moldova, moldovan ; moldavia, moldavo ; молдавия, молдова, молдавский
japan | japan, japanese, tokyo ; japón, japonés, tokio ; япония, японский, токио
vietnam | vietnam, vietnamese, hanoi ; vietnam, vietnamita, hanói ; вьетнам, вьетнамский, ханой
laos | laos, lao, laotian ; laos, laosiano ; лаос, лаосский
indonesia | indonesia, indonesian, jakarta ; indonesia, indonesio, yakarta ; индонезия,
  индонезийский, джакарта
malaysia | malaysia, malaysian ; malasia, malasio ; малайзия, малайзийский
thailand | thailand, thai, bangkok ; tailandia, tailandés ; таиланд, тайский, бангкок
mongolia | mongolia, mongolian ; mongolia, mongol ; монголия, монгольский
south-africa | south africa, south african, pretoria ; sudáfrica, sudafricano ; юар,
  южная африка, южноафриканский
ethiopia | ethiopia, ethiopian ; etiopía, etíope ; эфиопия, эфиопский
nigeria | nigeria, nigerian ; nigeria, nigeriano ; нигерия, нигерийский
algeria | algeria, algerian ; argelia, argelino ; алжир, алжирский
angola | angola, angolan ; angola, angoleño ; ангола, ангольский
mozambique | mozambique ; mozambique, mozambiqueño ; мозамбик, мозамбикский
uganda | uganda, ugandan ; uganda, ugandés ; уганда, угандийский
mali | mali, malian ; malí, maliense ; мали, малийский
burkina-faso | burkina faso ; burkina faso ; буркина-фасо
libya | libya, libyan ; libia, libio ; ливия, ливийский
sudan | sudan, sudanese ; sudán, sudanés ; судан, суданский
eritrea | eritrea, eritrean ; eritrea, eritreo ; эритрея, эритрейский
myanmar | myanmar, burma ; myanmar, birmania ; мьянма, бирма
australia | australia, australian ; australia, australiano ; австралия, австралийский
"""

#: Which of the :data:`COUNTRIES` keys count as "third countries" for dominance (all but the sides).
THIRD_COUNTRY_EXCLUDED = frozenset({SIDE_A, SIDE_B})


class Marker(StrEnum):
    """Kinds of non-country words the signals count."""

    HISTORY = "history"  # Cold-War events and people
    SPORT = "sport"
    RELATION = "relation"  # words of bilateral dealings: visits, agreements, supplies, credit
    HOMONYM = "homonym"  # look-alikes that are not the topic (Kubinka, montaña rusa)
    REGION = "region"  # "Latin America": consumed so "American" is not the United States


MARKERS = """
history | missile crisis, cold war, bay of pigs, khrushchev, kennedy,
  brezhnev, gorbachev, andropov, october crisis, caribbean crisis
  ; crisis de los misiles, crisis de octubre, guerra fría, bahía de cochinos, playa girón,
  jruschov, kruschev, kennedy, brézhnev, gorbachov, época soviética
  ; карибский кризис, холодная война, залив свиней, хрущёв, кеннеди, брежнев, горбачёв,
  андропов
sport | olympic, olympics, championship, champion, medal, tournament, league, athlete, boxing,
  boxer, volleyball, baseball, chess, grandmaster, world cup, fifa, ioc, coach, match,
  semifinal, wrestling, judo, fencing, athletics, stadium, sprinter, qualifier
  ; olímpico, olimpiada, juegos olímpicos, campeonato, campeón, medalla, torneo, liga, atleta,
  boxeo, boxeador, voleibol, béisbol, ajedrez, gran maestro, copa del mundo,
  selección, entrenador, semifinal, judo, esgrima, atletismo, estadio, velocista
  ; олимпийский, олимпиада, чемпионат, чемпион, медаль, турнир, лига, спортсмен, бокс,
  боксёр, волейбол, бейсбол, шахматы, шахматист, гроссмейстер, чемпионат мира, сборная,
  тренер, матч, полуфинал, дзюдо, фехтование, лёгкая атлетика, стадион, мок
relation | bilateral, relations, ties, cooperation, agreement, accord, treaty, memorandum,
  intergovernmental, commission, visit, talks, delegation, ambassador, embassy, partnership,
  partner, ally, alliance, strategic, shipment, supply, tanker, oil, fuel, credit, loan, debt,
  investment, trade, exports, imports, tourists, tourism, flights, warship, frigate,
  submarine, naval, military, minister, summit, aid, donation, scholarship, students,
  university, exchange, culture, payments, bank, card, sugar, wheat, intelligence, espionage,
  recruit, recruitment, recruiter, mercenary, contract, soldier, army, front
  ; bilateral, relaciones, vínculos, lazos, cooperación, acuerdo, tratado, memorando,
  intergubernamental, comisión, visita, conversaciones, delegación, embajador, embajada,
  asociación, socio, aliado, alianza, estratégico, envío, suministro, petrolero, petróleo,
  combustible, crédito, préstamo, deuda, inversión, comercio, exportaciones, importaciones,
  turistas, turismo, vuelos, buque de guerra, fragata, submarino, naval, militar, ministro,
  cumbre, ayuda, donativo, donación, becas, estudiantes, universidad, intercambio, cultura,
  pagos, banco, tarjeta, azúcar, trigo, inteligencia, espionaje, reclutamiento, reclutar,
  reclutador, mercenario, contrato, soldado, ejército, frente
  ; двусторонний, отношения, связи, сотрудничество, соглашение, договор, меморандум,
  межправительственный, комиссия, визит, переговоры, делегация, посол, посольство,
  партнёрство, партнёр, союзник, стратегический, поставка, поставки, танкер, нефть,
  топливо, кредит, заём, долг, инвестиции, торговля, экспорт, импорт, туристы, туризм,
  рейсы, корабль, фрегат, подводная лодка, флот, военный, министр, саммит, помощь,
  гуманитарный, стипендия, студенты, университет, вуз, обмен, культура, платёж, банк,
  карта, сахар, пшеница, разведка, разведывательный, вербовка, завербовать, вербовщик,
  наёмник, контракт, солдат, армия, фронт
homonym | mark cuban, cuba gooding, moscow mule, havana brown, russian blue, russian roulette,
  russian doll, russian dressing, cuba libre, moscow idaho, cuba new york, cuba missouri,
  cuban sandwich, cuban heels, russian river, kubinka
  ; montaña rusa, ruleta rusa, ensaladilla rusa, muñeca rusa, azul ruso, cuba libre,
  mark cuban, cuba gooding, kubinka, mula de moscú, sándwich cubano
  ; кубок, кубань, кубанский, кубик, русская рулетка, московский мул, марк кьюбан,
  куба гудинг, русская голубая, гавана браун, куб
region | latin america, latin american, south america, central america, north america,
  americas ; américa latina, latinoamérica, latinoamericano, sudamérica, centroamérica,
  norteamérica ; латинская америка, латиноамериканский, южная америка, центральная америка
"""

#: Bilateral compound adjectives, matched on folded text (hyphen or dash between the parts).
BILATERAL_PATTERN = (
    r"(?:russian|russo|soviet|ruso|rusa|sovietic[oa]|российско|русско|советско)\s*[-–—]\s*"
    r"(?:cuban|cubano|cubana|кубинск)"
    r"|(?:cuban|cubano|cubana|кубинско)\s*[-–—]\s*"
    r"(?:russian|soviet|rus[oa]s?|sovietic[oa]s?|российск|русск|советск)"
    r"|(?:moscow|moscu|москв[аыеу]?)\s*[-–—]\s*(?:havana|la habana|гаван)"
    r"|(?:havana|la habana|гаван[аыеу]?)\s*[-–—]\s*(?:moscow|moscu|москв)"
)


@dataclass(frozen=True)
class Concept:
    """What a matched phrase means: a country (key) or a marker kind."""

    kind: str  # "country" or a Marker value
    key: str  # country key, or the phrase's first normal form for markers


def _rows(table: str) -> Iterator[tuple[str, list[str]]]:
    """``(key, [phrase, ...])`` for each row, phrases from all three languages."""
    rows: list[str] = []
    for line in table.strip().splitlines():
        if line.startswith("  "):
            rows[-1] += " " + line.strip()
        else:
            rows.append(line.strip())
    for row in rows:
        key, _, body = row.partition("|")
        phrases = [p.strip() for part in body.split(";") for p in part.split(",")]
        yield key.strip(), [p for p in phrases if p]


def phrase_forms(phrase: str, language: str | None) -> tuple[str, ...]:
    """The normal forms of a phrase's words, as text is normalised for ``language``."""
    return tuple(normalise_token(word, language) for word in WORD_RE.findall(phrase))


@dataclass(frozen=True)
class LexiconIndex:
    """Lexicon phrases normalised for one article language: one-word ones by their form,
    longer ones by their first two forms (longest first), and every phrase's first form."""

    single: dict[str, Concept]
    multi: dict[tuple[str, str], tuple[tuple[tuple[str, ...], Concept], ...]]
    starts: frozenset[str]


@lru_cache(maxsize=8)
def lexicon_index(language: str | None) -> LexiconIndex:
    """Every lexicon phrase normalised the way text in ``language`` is (built once per language)."""
    single: dict[str, Concept] = {}
    multi: dict[tuple[str, str], list[tuple[tuple[str, ...], Concept]]] = {}

    def add(phrase: str, concept: Concept) -> None:
        forms = phrase_forms(phrase, language)
        if len(forms) == 1:
            single.setdefault(forms[0], concept)
        elif forms:
            multi.setdefault((forms[0], forms[1]), []).append((forms, concept))

    for key, phrases in _rows(COUNTRIES):
        for phrase in phrases:
            add(phrase, Concept("country", key))
    for kind, phrases in _rows(MARKERS):
        marker = Marker(kind)
        for phrase in phrases:
            add(phrase, Concept(marker.value, phrase))
    return LexiconIndex(
        single=single,
        multi={k: tuple(sorted(v, key=lambda item: -len(item[0]))) for k, v in multi.items()},
        starts=frozenset(single) | {first for first, _ in multi},
    )


def warm_lexicon_indexes() -> None:
    """Build every language's :func:`lexicon_index` now (it loads the Russian morphology and the
    stemmers on the way): a process about to fork its worker pool calls this, so the workers
    share one copy instead of each building its own on its first pages (about 0.4 s of CPU)."""
    from monitor.relevance.morphology import SUPPORTED_LANGUAGES

    for language in (*sorted(SUPPORTED_LANGUAGES), None):
        lexicon_index(language)

"""The demo news web's articles: realistic stories in English, Spanish and Russian.

Some are about Russia–Cuba relations (they must match the default query), some only about
Russia, only about Cuba, or neither; one wire story is published by two hosts under different
headlines (a syndicated copy). ``hours_ago`` places each story relative to when the site
starts; ``initially_published=False`` stories appear only after ``NewsWeb.publish_next()``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoArticle:
    """One story as a host publishes it."""

    key: str
    host: str
    slug: str
    section: str
    language: str
    title: str
    author: str
    paragraphs: tuple[str, ...]
    hours_ago: float = 6.0
    relevant: bool = False
    initially_published: bool = True
    wire_key: str | None = None  # the same wire text published by several hosts

    @property
    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


_TANKER = (
    "A Russian-flagged tanker carrying roughly 700,000 barrels of crude oil docked on Tuesday "
    "at the port of Matanzas, east of Havana, the first such delivery in six weeks as Cuba "
    "struggles with rolling blackouts that have left some provinces without power for up to "
    "twenty hours a day.",
    "Cuban energy officials said the cargo, shipped from the Baltic port of Primorsk, would be "
    "refined at the Cienfuegos plant and used mainly to fuel the Antonio Guiteras "
    "thermoelectric station, the island's largest and most troubled power plant. The ministry "
    "of energy and mines gave no figure for the price or the terms of payment.",
    "Moscow has become Havana's most important fuel supplier since shipments from Venezuela "
    "fell sharply. Russian officials have described the deliveries as humanitarian support "
    "for a traditional ally, while independent economists in Havana say the arrangement "
    "leaves Cuba dependent on a partner that is itself under heavy Western sanctions.",
    "The tanker's arrival was tracked for days by shipping analysts, who noted that the vessel "
    "switched off its transponder for part of the voyage across the Atlantic. Port workers in "
    "Matanzas said unloading would take about four days, weather permitting.",
    "Residents of Havana greeted the news with caution. 'We have heard about ships before,' "
    "said Marta Rodríguez, a retired teacher in the Centro Habana district who keeps a "
    "rechargeable lamp by her door. 'What we need is electricity that lasts the whole evening, "
    "not announcements.' Food that needs refrigeration has become a daily worry for families "
    "across the island.",
    "The Cuban government blames the crisis on the United States embargo and on ageing "
    "infrastructure, and says new solar parks built with Chinese help will ease the shortfall "
    "next year. Deputy Prime Minister Ricardo Cabrisas is expected in Moscow later this month "
    "for talks on energy, debt and trade, according to the Russian embassy in Havana.",
)

_TOURISM = (
    "Russia and Cuba signed an agreement in Moscow on Wednesday to restore direct flights "
    "between several Russian cities and the island's beach resorts, as both governments try to "
    "revive a tourism trade hit hard by the pandemic and by sanctions on Russian airlines.",
    "Under the deal, carriers will operate weekly flights from Moscow, Saint Petersburg and "
    "Yekaterinburg to Varadero, Cayo Coco and Holguín from the start of the winter season, "
    "Russia's deputy minister of economic development told reporters after the signing "
    "ceremony. Cuban Tourism Minister Juan Carlos García said the island hoped to receive half "
    "a million Russian visitors next year, up from about 180,000 last year.",
    "Russian travellers have become Cuba's second-largest group of foreign tourists after "
    "Canadians. Because Visa and Mastercard cards issued in Russia no longer work abroad, the "
    "two countries have been connecting Russia's Mir payment system to Cuban banks, and Cuban "
    "hotels now accept Mir cards at a growing number of resorts.",
    "The agreement also covers joint marketing, training for Cuban hotel staff in Russian, and "
    "a plan to simplify insurance for Russian tour operators, who have complained about "
    "delays in payments. The state company Havanatur said it would open an office in Moscow.",
    "Critics in the Cuban tourism industry say the problem is not demand but supply: "
    "blackouts, shortages of food and fuel, and a decline in service quality have pushed "
    "occupancy rates at many hotels below thirty per cent. 'A Russian family that spends two "
    "weeks in Varadero expects hot water and dinner every night,' said one hotel manager, "
    "who asked not to be named.",
    "Officials in both capitals described the deal as a sign that relations between Moscow and "
    "Havana are at their strongest since the Soviet era. The Kremlin said President Vladimir "
    "Putin had discussed tourism with Cuban President Miguel Díaz-Canel during their last "
    "meeting and asked ministers to remove obstacles to travel.",
)

_WHEAT_ES = (
    "Rusia enviará a Cuba 25.000 toneladas de trigo y un cargamento de aceite vegetal como "
    "parte de un paquete de ayuda humanitaria, anunció este lunes la embajada rusa en La "
    "Habana, en un momento en que la isla enfrenta la peor escasez de alimentos en décadas.",
    "Según el comunicado, el primer barco con trigo partirá del puerto de Novorossiysk a "
    "finales de mes y llegará a la bahía de La Habana en unas tres semanas. El grano será "
    "destinado a la producción del pan normado que se distribuye a través de la libreta de "
    "abastecimiento, cuya ración se ha reducido varias veces este año por falta de harina.",
    "El embajador ruso, Víktor Koronelli, afirmó que Moscú mantendrá su apoyo a Cuba "
    "«en las buenas y en las malas» y recordó que ambos gobiernos firmaron en los últimos "
    "meses acuerdos de cooperación en energía, transporte y agricultura. El gobierno cubano "
    "agradeció el gesto y lo calificó como una muestra de la amistad entre los dos pueblos.",
    "Economistas independientes señalan que la ayuda alivia la situación a corto plazo, pero "
    "no resuelve los problemas estructurales de la agricultura cubana, que produce cada vez "
    "menos arroz, frijoles y carne de cerdo. La isla importa más del ochenta por ciento de "
    "los alimentos que consume y carece de divisas para pagarlos.",
    "En las panaderías de La Habana, las colas comienzan antes del amanecer. «Hay días en que "
    "el pan llega tarde o no llega», contó Yamilé Pérez, vecina del municipio de Playa. "
    "«Si viene el trigo ruso, ojalá que se note en la mesa y no solo en la televisión».",
    "Rusia ya había enviado donaciones de trigo, aceite y combustible en años anteriores. "
    "Además, empresas rusas participan en la modernización de centrales eléctricas y del "
    "ferrocarril cubano, y el Kremlin ha reestructurado la deuda de La Habana en varias "
    "ocasiones, aplazando los pagos hasta la próxima década.",
)

_TREATY_RU = (
    "Россия и Куба подписали в Гаване межправительственное соглашение о сотрудничестве в "
    "области энергетики и промышленности, сообщили во вторник в Министерстве экономического "
    "развития России. Документ предусматривает участие российских компаний в модернизации "
    "кубинских электростанций и нефтеперерабатывающего завода в Сьенфуэгосе.",
    "Соглашение подписали заместитель председателя правительства России и кубинский вице-"
    "премьер Рикардо Кабрисас. По словам российской стороны, речь идёт о проектах на сумму "
    "более одного миллиарда долларов, которые будут реализованы в течение пяти лет. Часть "
    "работ будет оплачиваться за счёт государственного кредита Москвы.",
    "Кубинская энергосистема переживает тяжёлый кризис: из-за аварий на устаревших "
    "теплоэлектростанциях и нехватки топлива отключения электричества в ряде провинций "
    "длятся по многу часов. В Гаване заявили, что рассчитывают на российское оборудование и "
    "специалистов, чтобы восстановить мощности уже к следующему лету.",
    "Кроме того, стороны договорились расширить поставки российских автомобилей и "
    "сельскохозяйственной техники, а также увеличить число кубинских студентов в "
    "российских вузах. Президент Кубы Мигель Диас-Канель ранее называл Россию "
    "стратегическим партнёром и благодарил Москву за поддержку в условиях блокады.",
    "Эксперты отмечают, что торговый оборот между двумя странами остаётся небольшим, а "
    "многие ранее объявленные проекты так и не были реализованы. Тем не менее Кремль "
    "рассматривает Кубу как важного союзника в Латинской Америке, а российские туристы "
    "снова возвращаются на кубинские курорты.",
    "Следующее заседание межправительственной комиссии запланировано на осень в Москве. "
    "Стороны также обсудили переход на расчёты в национальных валютах и подключение "
    "кубинских банков к российской платёжной системе «Мир».",
    "В Гаване отмечают, что первые российские специалисты прибудут на электростанцию имени "
    "Антонио Гитераса уже в следующем месяце. Они должны оценить состояние котлов и турбин, "
    "а также подготовить график ремонта. Кубинские энергетики надеются, что помощь из Москвы "
    "позволит сократить число аварийных отключений до начала жаркого сезона, когда нагрузка "
    "на сеть резко возрастает из-за кондиционеров и насосов для подачи воды.",
)

_FRIGATE = (
    "A Russian navy frigate, a nuclear-powered submarine and two support vessels sailed into "
    "Havana harbour on Wednesday for a five-day port call, passing the old Morro castle as "
    "crowds watched from the seafront Malecón.",
    "Cuba's armed forces ministry said the visit was routine and that none of the ships "
    "carried nuclear weapons, and that their presence posed no threat to the region. The "
    "frigate Admiral Gorshkov fired a 21-gun salute on entering the port, which was answered "
    "by a Cuban artillery battery.",
    "The United States said it was monitoring the flotilla closely. A Pentagon spokesperson "
    "said the deployment was part of normal Russian naval activity and that Washington did "
    "not see a direct threat, while noting that a US submarine had arrived at the naval base "
    "at Guantánamo Bay in the east of the island the same week.",
    "Moscow's defence ministry said the ships had carried out exercises with high-precision "
    "weapons in the Atlantic before reaching Cuba. After Havana, the flotilla is expected to "
    "continue to Venezuela, another close ally of the Kremlin in Latin America.",
    "It is the most significant Russian naval visit to the Caribbean in several years and "
    "comes at a time of heightened tension between Russia and the West over the war in "
    "Ukraine. Analysts said the port call was mainly symbolic, a reminder that Moscow can "
    "show its flag close to American shores.",
    "For many Cubans, the spectacle offered a brief distraction from food shortages and power "
    "cuts. Families queued at the dock to tour the frigate on an open day organised by the "
    "embassy, and Russian sailors were seen buying souvenirs and rum in Old Havana.",
)

_RATE = (
    "The Central Bank of Russia kept its key interest rate unchanged at 16 per cent on "
    "Friday, saying inflation was slowing more gradually than expected and that tight "
    "monetary policy would be needed for longer to bring it back to its four per cent target.",
    "Governor Elvira Nabiullina told a news conference in Moscow that consumer demand remained "
    "strong, driven by rising wages in a labour market where unemployment is at a record low. "
    "Companies in many industries report shortages of workers, she said, which pushes up "
    "costs and prices.",
    "Annual inflation stood at 7.8 per cent last month, according to the state statistics "
    "service Rosstat. The central bank raised its forecast for the year and said it no longer "
    "expected to begin cutting rates before the second half of next year.",
    "Business groups had lobbied for lower borrowing costs, arguing that high rates make it "
    "difficult to finance investment in manufacturing. Several large companies have warned "
    "that debt payments are eating into profits, and mortgage lending outside state subsidy "
    "programmes has slowed sharply.",
    "The rouble strengthened slightly after the decision. Economists said the bank's tone was "
    "more hawkish than markets had anticipated and that a further increase could not be ruled "
    "out if inflation expectations among households and businesses rose again.",
    "The budget is also under pressure from high military spending, which has boosted "
    "industrial output but contributed to overheating. The finance ministry plans to raise "
    "some taxes next year, a move the central bank said could help cool demand.",
)

_SUGAR = (
    "Cuba's sugar harvest has fallen to its lowest level in more than a century, officials "
    "admitted this week, producing barely 350,000 tonnes of raw sugar, not enough to cover "
    "the island's own needs for rationed food and the food processing industry.",
    "The state sugar company Azcuba said only a fraction of the country's mills operated "
    "during the harvest because of shortages of fuel, fertiliser and spare parts, while heavy "
    "rains in the spring delayed cutting in the central provinces of Villa Clara and "
    "Cienfuegos.",
    "Sugar was once the backbone of the Cuban economy. In 1970 the island produced more than "
    "eight million tonnes, and for decades the industry employed hundreds of thousands of "
    "workers. Most mills were closed in the early 2000s, and many towns built around them "
    "have struggled ever since.",
    "The decline has forced the government to import sugar for the monthly ration, a "
    "situation many Cubans find hard to believe. 'My grandfather cut cane all his life,' said "
    "Orlando Castillo, a farmer near Sagua la Grande. 'Now we buy sugar from abroad.'",
    "Economists say the problem reflects the wider crisis of state agriculture: low prices "
    "paid to farmers, a lack of machinery and the difficulty of getting credit. Reforms "
    "allowing private cooperatives to sell part of their output have had limited effect.",
    "Azcuba said it hoped to reach 500,000 tonnes next season by repairing boilers and "
    "planting new cane, but gave no details on how the repairs would be financed. Rum "
    "distilleries, which depend on molasses, have also reported reduced supplies.",
)

_HURRICANE = (
    "Jamaica's government urged residents of low-lying coastal areas to prepare for "
    "evacuation on Thursday as a tropical storm strengthened into a hurricane south of the "
    "island, with forecasters predicting heavy rain, flash floods and dangerous storm surge.",
    "The National Hurricane Center said the storm had maximum sustained winds of 120 "
    "kilometres per hour and could intensify further over warm waters before passing close to "
    "Jamaica's southern coast late on Friday. A hurricane warning was issued for the whole "
    "island and a tropical storm watch for the Cayman Islands.",
    "Prime Minister Andrew Holness said shelters would open in every parish by Friday morning "
    "and asked fishermen to return to port. Supermarkets in Kingston reported long queues as "
    "people stocked up on water, canned food and batteries.",
    "Schools were closed and the main airports suspended flights from Friday afternoon. The "
    "tourism ministry said hotels on the north coast were carrying out their emergency plans "
    "and that visitors would be moved away from beachfront rooms if necessary.",
    "Scientists say warmer ocean temperatures are making Atlantic hurricanes stronger and "
    "wetter, and that storms now tend to intensify more rapidly in the hours before they make "
    "landfall, leaving less time to prepare. Caribbean governments have called for more "
    "climate finance to build sea walls and stronger housing.",
    "Farmers in the parishes of St Elizabeth and Clarendon, where most of Jamaica's vegetables "
    "are grown, rushed to harvest what they could before the rain. Officials warned of "
    "landslides in the Blue Mountains and asked residents to avoid crossing flooded gullies.",
)

_ZAFRA_ES = (
    "Las lluvias de las últimas semanas han vuelto a retrasar la siembra de frijoles y maíz "
    "en el oriente de Cuba, donde los campesinos denuncian además la falta de combustible "
    "para preparar la tierra y de fertilizantes para las cosechas de invierno.",
    "En Granma y Holguín, muchas cooperativas trabajan con bueyes porque los tractores están "
    "paralizados por falta de piezas. «Tenemos la tierra y las ganas, lo que falta es todo lo "
    "demás», explicó Reinaldo Fonseca, productor de la zona de Bayamo, que perdió parte de su "
    "cosecha de boniato por las inundaciones.",
    "El Ministerio de la Agricultura reconoció que los planes de siembra no se cumplirán en "
    "su totalidad y pidió a las empresas estatales que paguen a tiempo a los productores, "
    "una queja frecuente en el campo cubano. Algunos campesinos esperan meses para cobrar "
    "lo que entregaron al Estado.",
    "Los mercados agropecuarios de Santiago de Cuba reflejan la escasez: una libra de frijoles "
    "negros cuesta ya más de trescientos pesos, y el precio del arroz se ha duplicado en un "
    "año. Para una jubilada que cobra la pensión mínima, una compra básica puede consumir "
    "más de la mitad de sus ingresos del mes.",
    "Expertos en economía agraria proponen liberalizar la venta de insumos y permitir que "
    "los productores fijen precios, medidas que el gobierno ha anunciado en parte pero que "
    "avanzan con lentitud. Mientras tanto, la isla importa la mayoría de los alimentos que "
    "consume y la producción nacional sigue cayendo.",
    "Las autoridades provinciales aseguran que la situación mejorará con la llegada de la "
    "temporada seca, aunque los campesinos recuerdan que el mismo mensaje se repite cada año.",
)

_METRO_RU = (
    "В Москве открылись три новые станции Большой кольцевой линии метро, сообщил мэр "
    "столицы Сергей Собянин. Новые станции расположены на юго-западе города и должны "
    "сократить время поездки для жителей нескольких районов на пятнадцать–двадцать минут.",
    "По словам мэра, за последние десять лет в Москве было построено более ста станций "
    "метро, а Большая кольцевая линия стала самой длинной кольцевой линией в мире. "
    "Пассажиропоток на новых станциях в первые дни превысил прогнозы, отметили в "
    "столичном департаменте транспорта.",
    "Оформление станций посвящено истории науки и космоса: на стенах размещены мозаики с "
    "изображением первых спутников и портреты известных учёных. Архитекторы использовали "
    "светлый камень и стекло, чтобы сделать подземные залы просторнее.",
    "Жители новых районов давно ждали открытия метро. «Раньше до работы я добирался почти "
    "полтора часа с двумя пересадками, теперь дорога займёт меньше часа», — рассказал "
    "житель района Солнцево. При этом некоторые горожане жалуются на шум строительства и "
    "перекрытые улицы вокруг станций.",
    "В ближайшие годы власти планируют продлить несколько радиальных линий за пределы МКАД "
    "и построить новые пересадочные узлы с пригородными поездами. Стоимость программы "
    "развития транспорта оценивается в сотни миллиардов рублей.",
    "Эксперты отмечают, что быстрый рост сети метро помог снизить нагрузку на дороги, "
    "однако пробки в часы пик по-прежнему остаются одной из главных проблем столицы.",
    "Городские власти также обещают обновить подвижной состав: до конца года на линии выйдут "
    "новые поезда с широкими проходами, информационными экранами и зарядными устройствами "
    "для телефонов. Часть старых вагонов будет отправлена на модернизацию, а часть — списана. "
    "Кроме того, на нескольких станциях появятся лифты для пассажиров с детскими колясками и "
    "маломобильных граждан, а вестибюли получат дополнительные турникеты для оплаты по лицу "
    "и банковской картой. Транспортные аналитики считают, что в ближайшие годы спрос на "
    "поездки в метро продолжит расти вместе с населением новых районов на окраинах города.",
)

_STUDENTS = (
    "More than 1,500 Cuban students will study at Russian universities this academic year on "
    "government scholarships, the Russian embassy in Havana said on Monday, the largest group "
    "since the collapse of the Soviet Union.",
    "The students will take courses in engineering, medicine, nuclear physics and "
    "agriculture at universities in Moscow, Kazan, Novosibirsk and Saint Petersburg, after a "
    "year of Russian language classes. Cuba's higher education ministry said the places were "
    "allocated by competitive examination across all provinces.",
    "During the Soviet era tens of thousands of Cubans trained in the USSR, and many of the "
    "island's engineers, doctors and officials still speak Russian. The programme faded in "
    "the 1990s, when Moscow's economic support for Havana ended abruptly.",
    "Both governments have promoted education as part of a broader revival of ties that "
    "includes energy, tourism and trade agreements. Russia's ambassador said the scholarships "
    "would 'train the specialists who will build the new Cuban economy together with Russian "
    "companies'.",
    "For the students, the scholarship is also a chance to leave a country in deep economic "
    "crisis. 'My parents studied in Kyiv and Minsk when it was all one country,' said Daniela "
    "Suárez, 19, from Camagüey, who will study civil engineering in Kazan. 'I want to see "
    "Russia for myself and come back with a profession.'",
    "Some families worry about the cold, the distance and the war in Ukraine, and about "
    "whether their children will return. Cuba has lost hundreds of thousands of young people "
    "to emigration in recent years, most of them to the United States and Spain.",
)

_VARADERO = (
    "Russian tourists are returning to the beaches of Varadero in numbers not seen for years, "
    "hotel managers on Cuba's best-known resort peninsula say, helped by new direct flights "
    "from Moscow and by the acceptance of Russia's Mir payment cards.",
    "At the all-inclusive resorts along the sixty-kilometre strip of sand, Russian is now "
    "heard as often as English or French. Some hotels have hired Russian-speaking guides and "
    "added buckwheat porridge and pelmeni to the breakfast buffet.",
    "'Two years ago our hotel was almost empty,' said Yoandry Martínez, a receptionist at a "
    "state-owned resort managed by a Spanish chain. 'Now we have Russian groups every week, "
    "and many of them come back a second time.' Canadians remain the largest group of "
    "visitors, but their numbers have fallen.",
    "The recovery is uneven. Tourism as a whole is still far below the level of 2018, and "
    "many hotels in Havana remain half empty. Power cuts and shortages have led to complaints "
    "on review sites, and tour operators in Moscow say they must warn clients about the "
    "situation outside the resorts.",
    "Russian visitors say the attraction is simple: the sea is warm, the island is "
    "considered friendly to Russia, and Western destinations have become difficult to reach "
    "since the European Union closed its airspace to Russian airlines. 'Here nobody asks "
    "where you are from,' said Irina, a teacher from Samara, on her third visit.",
    "Cuba's tourism ministry hopes the Russian market will help the island reach three million "
    "visitors this year, a target economists consider optimistic.",
)

_IDAHO = (
    "The city council of Moscow, Idaho, approved a plan on Monday to expand the farmers "
    "market downtown and to close part of Main Street to traffic on Saturdays during the "
    "summer season, after a year in which attendance grew by a third.",
    "Council members said the market, which brings together growers from the Palouse region, "
    "had become one of the main attractions of the university town. Vendors sell lentils, "
    "honey, flowers and baked goods, and local musicians play in Friendship Square.",
    "Some downtown business owners had worried that closing the street would hurt shops that "
    "depend on customers arriving by car. After a trial last year, however, most said sales "
    "rose on market days, and the chamber of commerce supported the plan.",
    "The council also approved funding for new bicycle racks, benches and shade structures, "
    "and asked the parks department to study whether a winter indoor market could be held at "
    "the county fairgrounds. Tourism officials noted that the market is now listed in several "
    "regional travel guides alongside the hiking trails of the nearby mountains.",
    "Residents who spoke at the meeting praised the plan, although one asked the council to "
    "make sure parking for people with disabilities remained close to the market. A local "
    "restaurant owner, who jokingly serves a 'Moscow mule' cocktail named after the town, "
    "said the busier Saturdays had helped him hire two more staff.",
    "The expanded market will open in May and run every Saturday until the end of October, "
    "with a smaller holiday market planned for the weekend after Thanksgiving.",
)

ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        "tanker",
        "havana-daily",
        "russian-tanker-docks-in-matanzas-amid-blackouts",
        "cuba",
        "en",
        "Russian oil tanker docks in Matanzas as Cuba battles blackouts",
        "Elena Marrero",
        _TANKER,
        hours_ago=5,
        relevant=True,
    ),
    DemoArticle(
        "tourism",
        "moscow-wire",
        "russia-and-cuba-agree-to-restore-direct-flights",
        "world",
        "en",
        "Russia and Cuba agree to restore direct flights to island resorts",
        "Dmitry Volkov",
        _TOURISM,
        hours_ago=9,
        relevant=True,
    ),
    DemoArticle(
        "wheat-es",
        "havana-daily",
        "rusia-enviara-trigo-y-aceite-a-cuba",
        "cuba",
        "es",
        "Rusia enviará trigo y aceite a Cuba como ayuda humanitaria",
        "Ana Lucía Ferrer",
        _WHEAT_ES,
        hours_ago=14,
        relevant=True,
    ),
    DemoArticle(
        "treaty-ru",
        "moscow-wire",
        "rossiya-i-kuba-podpisali-soglashenie-ob-energetike",
        "world",
        "ru",
        "Россия и Куба подписали соглашение о сотрудничестве в энергетике",
        "Ольга Смирнова",
        _TREATY_RU,
        hours_ago=20,
        relevant=True,
    ),
    DemoArticle(
        "frigate-wire",
        "moscow-wire",
        "russian-navy-frigate-arrives-in-havana",
        "world",
        "en",
        "Russian navy frigate and submarine arrive in Havana for port call",
        "Wire staff",
        _FRIGATE,
        hours_ago=26,
        relevant=True,
        wire_key="frigate",
    ),
    DemoArticle(
        "frigate-post",
        "caribbean-post",
        "russian-warships-make-port-call-in-cuba",
        "region",
        "en",
        "Russian warships make port call in Cuba as US watches closely",
        "Wire staff",
        _FRIGATE,
        hours_ago=25,
        relevant=True,
        wire_key="frigate",
    ),
    DemoArticle(
        "rate",
        "moscow-wire",
        "central-bank-of-russia-holds-key-rate",
        "economy",
        "en",
        "Central Bank of Russia holds key rate at 16% as inflation eases slowly",
        "Pavel Orlov",
        _RATE,
        hours_ago=30,
    ),
    DemoArticle(
        "sugar",
        "havana-daily",
        "cuba-sugar-harvest-falls-to-century-low",
        "cuba",
        "en",
        "Cuba's sugar harvest falls to its lowest level in a century",
        "Elena Marrero",
        _SUGAR,
        hours_ago=40,
    ),
    DemoArticle(
        "hurricane",
        "caribbean-post",
        "jamaica-braces-for-hurricane",
        "region",
        "en",
        "Jamaica braces for hurricane as storm strengthens in the Caribbean",
        "Marcus Campbell",
        _HURRICANE,
        hours_ago=8,
    ),
    DemoArticle(
        "zafra-es",
        "caribbean-post",
        "lluvias-retrasan-siembra-en-oriente-cubano",
        "region",
        "es",
        "Las lluvias y la falta de combustible retrasan la siembra en el oriente cubano",
        "Redacción",
        _ZAFRA_ES,
        hours_ago=18,
    ),
    DemoArticle(
        "metro-ru",
        "moscow-wire",
        "v-moskve-otkrylis-tri-novye-stantsii-metro",
        "city",
        "ru",
        "В Москве открылись три новые станции метро",
        "Иван Кузнецов",
        _METRO_RU,
        hours_ago=12,
    ),
    DemoArticle(
        "idaho",
        "caribbean-post",
        "moscow-idaho-expands-farmers-market",
        "world",
        "en",
        "Moscow, Idaho expands its downtown farmers market",
        "Staff reporter",
        _IDAHO,
        hours_ago=36,
    ),
    DemoArticle(
        "students",
        "caribbean-post",
        "cuban-students-head-to-russian-universities",
        "region",
        "en",
        "Cuban students head to Russian universities in record numbers",
        "Marcus Campbell",
        _STUDENTS,
        hours_ago=1,
        relevant=True,
        initially_published=False,
    ),
    DemoArticle(
        "varadero",
        "havana-daily",
        "russian-tourists-return-to-varadero",
        "cuba",
        "en",
        "Russian tourists return to Varadero's beaches",
        "Elena Marrero",
        _VARADERO,
        hours_ago=0.5,
        relevant=True,
        initially_published=False,
    ),
)

# An old story (outside every look-back window): listed in feeds, never to be fetched.
OLD_ARTICLE = DemoArticle(
    "archive",
    "havana-daily",
    "archive-soviet-advisers-leave-cuba",
    "cuba",
    "en",
    "Archive: Soviet advisers leave Cuba as Moscow cuts support",
    "Archive desk",
    _SUGAR[:3] + _TOURISM[:3],
    hours_ago=24 * 60,
    relevant=True,
)


# --- Noise: the query matches these, the relevance model must not alert them -------------
# One of each common kind: a country list, a third-country story, sport, Cold-War history.
# ``make demo`` serves them (``NewsWeb(articles=ARTICLES + NOISE_ARTICLES)``) and shows them
# caught as near misses; the default web (and the tests that count its articles) leaves them out.

_SANCTIONS = (
    "The Treasury Department on Tuesday added new names to its sanctions programme, which now "
    "covers Iran, North Korea, Syria, Russia, Cuba, Venezuela, Belarus, Myanmar, Nicaragua, "
    "Sudan, Yemen, Libya, Somalia and Zimbabwe.",
    "Officials said the update concerns a dozen shipping firms and a handful of regional banks. "
    "Companies have thirty days to wind down contracts with the listed entities, and insurers "
    "were told to review policies for vessels that changed their flag in the past year.",
    "Trade lawyers expect more guidance on exemptions for food and medicine next month, and "
    "several business groups asked for a longer transition period, saying that small exporters "
    "cannot audit their customers' owners in a few weeks.",
    "The department said the list is reviewed every quarter and that three entities were "
    "removed after they changed ownership.",
)

_MADURO = (
    "Venezuelan President Nicolás Maduro gathered supporters in Caracas on Saturday and thanked "
    "Russia, Cuba, China and Iran for standing with Venezuela in what he called a year of siege.",
    "The Venezuelan government says oil exports fell again this quarter. Opposition leaders in "
    "Venezuela called for fresh talks on an election calendar, while managers at the state oil "
    "company warned of outages at the Paraguaná refineries.",
    "Economists in Caracas said the economy of Venezuela depends on oil prices more than on any "
    "ally, and that inflation remains the main worry of Venezuelan households, who spend most of "
    "their income on food.",
    "The rally ended with a march to the Miraflores palace. The electoral council is expected to "
    "publish a timetable for regional elections before the end of the month.",
)

_WRESTLING = (
    "The heavyweight final in Belgrade went to the last seconds on Sunday night. The Cuban "
    "wrestler trailed by two points before a throw in the closing seconds sealed the gold medal "
    "against his Russian opponent.",
    "The Greco-Roman tournament ends on Tuesday. Coaches from Iran, Turkey and Japan praised the "
    "level of the bracket, and the crowd gave both finalists a standing ovation.",
    "The medal table is led by Iran ahead of Japan, with the hosts third after a strong first "
    "week; the team event and the women's finals follow next weekend.",
    "Tickets for the final session sold out within an hour, organisers said, and the arena will "
    "open a second fan zone outside the main hall.",
)

_MISSILES = (
    "In October 1962 President John F. Kennedy learned that the Soviet Union was placing nuclear "
    "missiles in Cuba. For thirteen days Washington and Moscow stood at the brink of war.",
    "Kennedy ordered a naval quarantine; Khrushchev eventually agreed to remove the missiles in "
    "exchange for a US pledge not to invade the island and a quiet promise about American "
    "missiles in Turkey.",
    "Historians still debate how close the superpowers came to war. Recordings of the White "
    "House meetings show Kennedy's advisers split between an air strike and a blockade, and "
    "the Joint Chiefs pressing for an invasion.",
    "A new exhibition at the presidential library opens next week with letters, photographs "
    "and the reconnaissance images that started the crisis.",
)

NOISE_ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        "noise-sanctions",
        "moscow-wire",
        "treasury-widens-sanctions-list",
        "world",
        "en",
        "Treasury widens sanctions list to fourteen countries",
        "Wire staff",
        _SANCTIONS,
        hours_ago=9,
    ),
    DemoArticle(
        "noise-maduro",
        "caribbean-post",
        "maduro-hosts-allies-in-caracas",
        "region",
        "en",
        "Maduro rallies supporters as Caracas faces new pressure",
        "Marcus Campbell",
        _MADURO,
        hours_ago=5,
    ),
    DemoArticle(
        "noise-wrestling",
        "havana-daily",
        "wrestling-worlds-heavyweight-gold",
        "sport",
        "en",
        "Wrestling worlds: late comeback seals heavyweight gold",
        "Sports desk",
        _WRESTLING,
        hours_ago=7,
    ),
    DemoArticle(
        "noise-missiles",
        "caribbean-post",
        "thirteen-days-that-nearly-ended-the-world",
        "region",
        "en",
        "Sixty-four years on: the thirteen days that nearly ended the world",
        "Features desk",
        _MISSILES,
        hours_ago=11,
    ),
)

"""The project's default query: Russia–Cuba coverage in English, Spanish and Russian.

Two groups joined by an implicit AND: a Russia side and a Cuba side. Notes on the choices:

* Accents and case do not matter (``Moscú`` = ``moscu``), so one spelling covers both.
* ``russia*`` covers Russia/Russian(s); ``soviet*`` covers Soviet and soviético/soviética;
  ``cuban*`` covers Cuban(s) and cubano/cubana/cubanos/cubanas.
* Russian inflects nouns, so prefixes are used where they are safe (``росси*``, ``москв*``,
  ``кремл*``, ``путин*``) and explicit case forms where a prefix would catch other words:
  ``куб*`` would match кубок (cup) and кубик (cube), ``гаван*`` would match гавань (harbour).
* Castro only as "Fidel/Raúl Castro": a bare surname would pull in Xiomara Castro and others.
* Russian state companies (Rosneft, Aeroflot, Gazprom, Rosatom, Zarubezhneft, Rostec) and,
  in Russian, the institutions a Moscow newsroom names without "Russia" (Минобороны,
  Госдума, Совфед) and ``отечественный`` ("our", i.e. Russian) stand for the Russia side.
* Russian news says ``РФ`` (МИД РФ, Минобороны РФ) and ``русский`` as often as
  ``Россия``; ``гаванск*`` is the adjective of Havana (``гавань`` stays out).
* Coverage that never names the country (a tanker "reaches the island", "Остров свободы")
  is caught by Cuba's usual metonyms, its main ports and resorts (Varadero, Mariel, Matanzas,
  Cienfuegos) and provinces with names found nowhere else (Villa Clara, Sancti Spíritus…);
  the relevance stage then judges what the wider gate lets in. Guantánamo stays out (US news).
* Known false positives are excluded with NOT phrases: the actor Cuba Gooding, Mark Cuban,
  the towns Moscow (Idaho), Cuba (New York, Missouri, New Mexico), the Moscow Mule cocktail.
  An exclusion only disables the word it guards (``moscow``, ``cuba``, ``cuban*``), so an
  article about Moscow, Idaho still matches if it also names Russia and Cuba some other way.
"""

from __future__ import annotations

DEFAULT_QUERY = """\
(
  russia* OR rusia OR ruso OR rusa OR rusos OR rusas OR росси* OR рф OR русск*
  OR (moscow -"moscow idaho" -"moscow mule") OR moscú OR moscovit* OR москв* OR москов*
  OR kremlin OR кремл* OR putin OR путин* OR lavrov OR лавров*
  OR soviet* OR urss OR ussr OR советск* OR ссср
  OR rosneft* OR роснефт* OR aeroflot OR аэрофлот* OR gazprom* OR газпром* OR rosatom
  OR росатом* OR zarubezhneft OR зарубежнефт* OR rostec OR ростех* OR минобороны
  OR госдум* OR совфед* OR отечественн*
)
(
  (cuba -"cuba gooding" -"cuba new york" -"cuba missouri" -"cuba new mexico")
  OR (cuban* -"mark cuban")
  OR куба OR кубы OR кубе OR кубу OR кубой OR кубин*
  OR havana OR habana OR гавана OR гаваны OR гаване OR гавану OR гаваной OR гаванск*
  OR díaz-canel OR диас-канел*
  OR "fidel castro" OR "raúl castro" OR "фидел* кастро" OR "раул* кастро"
  OR "остров* свободы" OR "isla de la libertad"
  OR varadero OR варадеро OR matanzas OR матансас OR cienfuegos OR сьенфуэгос
  OR holguín OR ольгин* OR camagüey OR камагуэй OR mariel OR мариэл*
  OR "pinar del río" OR "пинар дель рио" OR "villa clara" OR "вилья клар*"
  OR "sancti spíritus" OR "санкти спиритус" OR "ciego de ávila" OR "сьего де авил*"
  OR "las tunas" OR "лас тунас" OR "isla de la juventud" OR "остров* молодежи"
)"""

"""Matching: operators, normalisation, scripts, fields, proximity and the result details."""

from __future__ import annotations

import pickle

import pytest

from monitor.query import CompiledQuery, MatchResult, compile_query, normalize, tokenize


def matches(query: str, body: str, title: str = "") -> bool:
    return compile_query(query).match(title, body).matched


BODY = "Russian President Vladimir Putin met Cuban leader Díaz-Canel in Moscow on Tuesday."


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("putin", True),
        ("castro", False),
        ("putin AND moscow", True),
        ("putin moscow", True),  # implicit AND
        ("putin castro", False),
        ("putin AND castro", False),
        ("castro OR putin", True),
        ("castro OR fidel", False),
        ("NOT castro", True),
        ("NOT putin", False),
        ("putin -castro", True),
        ("putin -moscow", False),
        ("putin NOT moscow", False),
        ('putin -"fidel castro"', True),
        ('putin -"in moscow"', False),
        ("putin -(castro OR fidel)", True),
        ("putin -(castro OR moscow)", False),
        ("(castro OR putin) (havana OR moscow)", True),
        ("castro OR putin havana", False),  # = castro OR (putin AND havana)
        ("(castro OR putin) havana", False),
        ("NOT NOT putin", True),
    ],
)
def test_boolean_operators(query: str, expected: bool) -> None:
    assert matches(query, BODY) is expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"vladimir putin"', True),
        ('"putin vladimir"', False),
        ('"president vladimir putin met"', True),
        ('"russian putin"', False),
        ('"cuban leader díaz-canel"', True),
        ('"on tuesday"', True),
        ('"tuesday on"', False),
    ],
)
def test_phrases(query: str, expected: bool) -> None:
    assert matches(query, BODY) is expected


def test_phrase_ignores_punctuation_between_words() -> None:
    assert matches('"moscow idaho"', "He lives in Moscow, Idaho.")
    assert matches('"cuba s leader"', "Cuba’s leader")
    assert matches('"moscow idaho"', "Moscow. Idaho")  # sentence punctuation is ignored too
    assert not matches('"moscow idaho"', "Moscow in Idaho")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("russ*", True),
        ("rus*", True),
        ("russian*", True),
        ("russians*", False),
        ("cub*", True),
        ("mosc*", True),
        ("putin*", True),
        ("puti*", True),
        ("xyz*", False),
        ('"vladimir put*"', True),
        ('"vlad* putin"', True),
        ("díaz-can*", True),
    ],
)
def test_prefix_wildcards(query: str, expected: bool) -> None:
    assert matches(query, BODY) is expected


def test_prefix_handles_inflections() -> None:
    text = "Делегация из России прибыла в Гавану; кубинские власти встретили гостей."
    assert matches("росси*", text)
    assert matches("кубин*", text)
    assert not matches("россия", text)
    assert matches("cuban*", "Los cubanos y las cubanas")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("putin NEAR/0 vladimir", True),  # adjacent, reversed order
        ("vladimir NEAR/0 putin", True),
        ("russian NEAR/1 putin", False),  # two words between
        ("russian NEAR/2 putin", True),
        ("putin NEAR/2 russian", True),  # either order
        ("russian NEAR/3 moscow", False),
        ("russian NEAR/10 moscow", True),
        ('"vladimir putin" NEAR/1 cuban', True),  # "met" between
        ('"vladimir putin" NEAR/0 cuban', False),
        ('cuban NEAR/1 "vladimir putin"', True),
        ("díaz-canel NEAR/1 moscow", True),
        ("mosc* NEAR/2 tues*", True),
        ("(castro OR putin) NEAR/1 (havana OR cuban)", True),
        ("(castro OR fidel) NEAR/5 cuban", False),
        ("putin NEAR/3 putin", False),  # needs two distinct occurrences
    ],
)
def test_near(query: str, expected: bool) -> None:
    assert matches(query, BODY) is expected


def test_near_never_crosses_fields() -> None:
    assert not matches("putin NEAR/1 cuba", "Cuba said nothing.", title="Putin")
    assert matches("putin NEAR/1 cuba", "nothing", title="Putin in Cuba")


def test_near_out_of_range_in_long_text() -> None:
    filler = " ".join(["word"] * 50)
    text = f"Putin {filler} Cuba {filler} Putin"
    assert not matches("putin NEAR/49 cuba", text)
    assert matches("putin NEAR/50 cuba", text)


def test_field_scope() -> None:
    title, body = "Putin visits Havana", "The Russian leader met Cuban officials."
    q = compile_query
    assert q("title:putin").match(title, body).matched
    assert not q("title:russian").match(title, body).matched
    assert q("body:russian").match(title, body).matched
    assert q("text:russian").match(title, body).matched
    assert not q("body:putin").match(title, body).matched
    assert q('title:"visits havana"').match(title, body).matched
    assert q("title:(castro OR putin)").match(title, body).matched
    assert not q("title:(castro OR russian)").match(title, body).matched
    assert q("putin russian").match(title, body).matched  # default scope: title and body
    assert not q("-title:putin").match(title, body).matched
    assert not q('"havana the"').match(title, body).matched  # phrases don't span fields


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("Diaz-Canel", "Miguel Díaz-Canel"),
        ("Díaz-Canel", "MIGUEL DIAZ-CANEL"),
        ("diaz canel", "Díaz Canel"),
        ('"diaz canel"', "Díaz-Canel"),
        ("MOSCÚ", "en moscu"),
        ("moscu", "EN MOSCÚ"),
        ("Habana", "LA HABANA"),
        ("raul", "Raúl"),
        ("sao paulo", "São Paulo"),
        ("strasse", "Straße"),
        ("fine", "ﬁne"),  # ligature
        ("Diaz", "Di\u0301az"),  # decomposed accent in the document
    ],
)
def test_case_and_accent_insensitive(query: str, text: str) -> None:
    assert matches(query, text)


def test_cyrillic() -> None:
    text = "Президент России Владимир Путин встретился в Москве с лидером Кубы Диас-Канелем."
    assert matches("путин", text)
    assert matches("ПУТИН", text)
    assert matches("россии кубы", text)
    assert matches("москв*", text)
    assert matches("диас-канел*", text)
    assert matches('"президент россии"', text)
    assert not matches("россия", text)
    assert matches("Россия", "РОССИЯ")
    assert matches("елка", "Ёлка") and matches("ёлка", "елка")
    assert not matches("мои", "мой")  # й keeps its identity
    assert matches("кубой", "Кубой")


def test_normalize_and_tokenize() -> None:
    assert normalize("Díaz-Canel MOSCÚ Ёж Йошкар") == "diaz-canel moscu еж йошкар"
    assert tokenize("Díaz-Canel’s visit, 2024!") == ["diaz", "canel", "s", "visit", "2024"]


def test_result_terms_spans_and_score() -> None:
    query = compile_query('russ* OR putin OR "fidel castro" OR -cuba OR castro')
    body = "Fidel Castro and the Russian envoy. Putin later met Castro."
    result = query.match("Russia and Castro", body)
    assert result.matched
    # Query order, written form lower-cased, never NOT terms.
    assert result.terms == ("russ*", "putin", "fidel castro", "castro")
    assert [body[a:b] for a, b in result.spans] == ["Fidel Castro", "Russian", "Putin", "Castro"]
    assert result.score > 0
    assert query.positive_terms == ("russ*", "putin", "fidel castro", "castro")
    assert query.source.startswith("russ*")


def test_spans_for_non_ascii_body() -> None:
    body = "В Москве Путин принял делегацию. Путин — «за». Díaz-Canel прибыл; ПУТИН улетел."
    result = compile_query("путин OR díaz-canel").match("", body)
    assert [body[a:b] for a, b in result.spans] == ["Путин", "Путин", "Díaz-Canel", "ПУТИН"]


def test_spans_with_ligature_splitting_words() -> None:
    body = "Le ½ ﬁnal: Cuba wins"
    result = compile_query("cuba").match("", body)
    assert [body[a:b] for a, b in result.spans] == ["Cuba"]


def test_terms_only_count_when_they_contribute() -> None:
    query = compile_query("(putin AND castro) OR cuba")
    result = query.match("", "Putin visited Cuba.")
    assert result.terms == ("cuba",)  # putin did not satisfy its AND branch


def test_score_prefers_title_hits_and_density() -> None:
    query = compile_query("cuba")
    in_title = query.match("Cuba", "A story.")
    in_body = query.match("A story", "Cuba.")
    assert in_title.score > in_body.score
    short = query.match("", "Cuba " * 3)
    diluted = query.match("", "Cuba " * 3 + "filler " * 1000)
    assert short.score > diluted.score
    assert query.match("", "nothing").score == 0.0


def test_no_match_result() -> None:
    assert compile_query("cuba").match("", "") == MatchResult(False, (), (), 0.0)


def test_compiled_query_is_reusable_and_picklable() -> None:
    query = compile_query("russ* cuba")
    for _ in range(3):
        assert query.match("", "Russia and Cuba").matched
        assert not query.match("", "Russia only").matched
    clone = pickle.loads(pickle.dumps(query))
    assert isinstance(clone, CompiledQuery)
    assert clone.source == query.source
    assert clone.match("", "Russia and Cuba").terms == ("russ*", "cuba")

"""Parsing: the AST for every construct, precedence, and error positions."""

from __future__ import annotations

import pytest

from monitor.query import (
    And,
    Field,
    Near,
    Not,
    Or,
    Phrase,
    Prefix,
    QuerySyntaxError,
    Term,
    parse_query,
)


def t(word: str) -> Term:
    return Term(word)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("cuba", t("cuba")),
        ("Cuba AND Russia", And((t("cuba"), t("russia")))),
        ("cuba russia", And((t("cuba"), t("russia")))),
        ("cuba OR russia", Or((t("cuba"), t("russia")))),
        ("NOT cuba", Not(t("cuba"))),
        ("-cuba", Not(t("cuba"))),
        ('-"cuba gooding"', Not(Phrase(("cuba", "gooding")))),
        ("-(a OR b)", Not(Or((t("a"), t("b"))))),
        ('"Raúl  Castro"', Phrase(("raul", "castro"))),
        ("russ*", Prefix("russ")),
        ("Díaz-Canel", Phrase(("diaz", "canel"))),
        ("диас-канел*", Phrase(("диас", "канел*"))),
        ('"фидел* кастро"', Phrase(("фидел*", "кастро"))),
        ("a NEAR/5 b", Near(t("a"), t("b"), 5)),
        ('"a b" NEAR/0 c*', Near(Phrase(("a", "b")), Prefix("c"), 0)),
        ("(a OR b) NEAR/3 c", Near(Or((t("a"), t("b"))), t("c"), 3)),
        ("title:putin", Field("title", t("putin"))),
        ('title:"raul castro"', Field("title", Phrase(("raul", "castro")))),
        ("title:(a OR b)", Field("title", Or((t("a"), t("b"))))),
        ("text:a body:b", And((Field("body", t("a")), Field("body", t("b"))))),
        ("-title:a", Not(Field("title", t("a")))),
        ("10:30", Phrase(("10", "30"))),
    ],
)
def test_constructs(source: str, expected: object) -> None:
    assert parse_query(source) == expected


def test_precedence_not_near_and_or() -> None:
    # NOT > NEAR > AND > OR
    assert parse_query("a OR b c") == Or((t("a"), And((t("b"), t("c")))))
    assert parse_query("a b OR c") == Or((And((t("a"), t("b"))), t("c")))
    assert parse_query("a AND b OR c AND d") == Or((And((t("a"), t("b"))), And((t("c"), t("d")))))
    assert parse_query("a NEAR/2 b c") == And((Near(t("a"), t("b"), 2), t("c")))
    assert parse_query("a NEAR/2 b OR c") == Or((Near(t("a"), t("b"), 2), t("c")))
    assert parse_query("NOT a b") == And((Not(t("a")), t("b")))
    assert parse_query("a NOT b") == And((t("a"), Not(t("b"))))
    assert parse_query("a AND NOT b OR c") == Or((And((t("a"), Not(t("b")))), t("c")))
    assert parse_query("(a OR b) c") == And((Or((t("a"), t("b"))), t("c")))


def test_operators_are_uppercase_only() -> None:
    assert parse_query("cuba and russia") == And((t("cuba"), t("and"), t("russia")))
    assert parse_query("a or b") == And((t("a"), t("or"), t("b")))
    assert parse_query("ANDROID ORACLE NOTE NEARBY") == And(
        (t("android"), t("oracle"), t("note"), t("nearby"))
    )
    assert parse_query('"AND"') == Phrase(("and",))


def test_str_round_trips() -> None:
    source = 'title:(putin OR "raul castro") -cuba* (a NEAR/3 b)'
    node = parse_query(source)
    assert parse_query(str(node)) == node


def test_labels_keep_the_analysts_spelling() -> None:
    node = parse_query('Díaz-Canel "Raúl Castro" Russ*')
    assert isinstance(node, And)
    assert [c.label for c in node.children] == ["díaz-canel", "raúl castro", "russ*"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("source", "column", "fragment"),
    [
        ("", 1, "empty query"),
        ("   ", 1, "empty query"),
        ("cuba AND (russia OR moscow))", 28, "unexpected ')'"),
        ("(cuba OR russia", 16, "end of query"),
        ("cuba AND", 9, "end of query"),
        ("cuba AND OR russia", 10, "unexpected 'OR'"),
        ("OR cuba", 1, "unexpected 'OR'"),
        ("cuba NOT", 9, "end of query"),
        ("()", 2, "unexpected ')'"),
        ("*", 1, "'*'"),
        ("cuba *ussia", 6, "'*'"),
        ("ru*ssia", 3, "'*'"),
        ("a NEAR b", 3, "NEAR/n"),
        ("a NEAR/x b", 3, "NEAR/n"),
        ("a NEAR/3", 9, "end of query"),
        ("a NEAR/2 b NEAR/2 c", 12, "unexpected 'NEAR/2'"),
        ("a NEAR/2 title:b", 10, "NEAR operands"),
        ("a NEAR/2 NOT b", 10, "NEAR operands"),
        ("author:smith", 1, "unknown field 'author'"),
        ('cuba "russia', 6, "unterminated quote"),
        ('cuba ""', 6, "empty phrase"),
        ("cuba - russia", 6, "'-'"),
        ("cuba &", 6, "no letters"),
    ],
)
def test_errors_report_column(source: str, column: int, fragment: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(source)
    error = info.value
    assert error.column == column
    assert error.position == column - 1
    assert fragment in str(error)
    assert str(error).endswith(f"at column {column}")


def test_error_message_format_and_pointer() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query("cuba AND (x))")
    assert str(info.value) == "unexpected ')' at column 13"
    assert info.value.pointer() == "cuba AND (x))\n            ^"
    assert isinstance(info.value, ValueError)

"""Parse analyst queries (Google Alerts / Lucene style) into the AST with a lark LALR grammar.

Syntax, tightest binding first:

* ``word``, ``"a phrase"``, ``russ*`` (trailing ``*`` = prefix), ``(group)``, ``field:operand``
  with fields ``title``, ``body`` (alias ``text``); a hyphenated word such as ``díaz-canel``
  is the phrase ``"diaz canel"``.
* ``NOT x`` or ``-x`` (``-"phrase"``, ``-(group)``, ``-title:x``).
* ``a NEAR/n b``: at most ``n`` other words between ``a`` and ``b``, either order; operands
  are words, prefixes, phrases or parenthesised ORs of those.
* ``a AND b``, or just ``a b`` (implicit AND).
* ``a OR b``.

Operators are case-sensitive and uppercase, as in Lucene: ``and``/``or``/``not``/``near`` are
ordinary words. Quote an operator to search for it as a word: ``"AND"``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import cast

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from monitor.errors import QuerySyntaxError
from monitor.query.nodes import And, Field, FieldName, Near, Node, Not, Or, Phrase, Prefix, Term
from monitor.query.normalize import WORD_RE, normalize

GRAMMAR = r"""
?start: or_expr

?or_expr: and_expr (_OR and_expr)*
?and_expr: near_expr (_AND? near_expr)*
?near_expr: unary (NEAR unary)?
?unary: NOT unary   -> not_expr
      | NEG unary   -> not_expr
      | primary
?primary: WORD
        | PHRASE
        | "(" or_expr ")"
        | FIELD primary  -> field_expr

_OR: "OR"
_AND: "AND"
NOT: "NOT"
NEAR.3: /NEAR\/\d+(?=[\s()"]|$)/
FIELD.2: /[^\W\d_]\w*:/
NEG: /-(?=[^\s)])/
PHRASE: /"[^"]*"/
WORD: /[^\s()"\-][^\s()"]*/

%ignore /\s+/
"""

FIELDS: dict[str, FieldName] = {"title": "title", "body": "body", "text": "body"}
_STAR_OR_WORD = re.compile(rf"(?P<word>{WORD_RE.pattern})(?P<star>\*)?|\*")


@cache
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", lexer="basic", propagate_positions=False)


def parse_query(source: str) -> Node:
    """Parse ``source`` into an AST; raises :class:`QuerySyntaxError` for any invalid query."""
    if not source.strip():
        raise QuerySyntaxError("empty query", 0, source)
    try:
        tree = _parser().parse(source)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, source) from None
    _check_depth(tree, source)
    return _Builder(source).build(tree)


MAX_DEPTH = 100  # nested NOTs, fields and operators: the builder and matcher recurse per level


def _check_depth(tree: Tree[Token], source: str) -> None:
    """QuerySyntaxError when the parse tree is deeper than :data:`MAX_DEPTH` (walked
    iteratively, so a query of thousands of NOTs cannot exhaust the stack)."""
    stack: list[tuple[Tree[Token] | Token, int]] = [(tree, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, Tree):
            continue
        if depth > MAX_DEPTH:
            raise QuerySyntaxError(
                f"query nested too deeply (more than {MAX_DEPTH} levels)", _start(item), source
            )
        stack.extend((child, depth + 1) for child in item.children)


def _syntax_error(exc: UnexpectedInput, source: str) -> QuerySyntaxError:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        char = source[pos] if pos < len(source) else ""
        if char == '"':
            return QuerySyntaxError("unterminated quote", pos, source)
        if char == "-":
            return QuerySyntaxError("'-' must be followed directly by a term", pos, source)
        return QuerySyntaxError(f"unexpected {char!r}", pos, source)
    token: Token | None = None
    if isinstance(exc, UnexpectedToken):
        token = exc.token
    if isinstance(exc, UnexpectedEOF) or token is None or token.type == "$END":
        end = len(source.rstrip())
        return QuerySyntaxError("unexpected end of query", end, source)
    pos = token.start_pos if token.start_pos is not None else 0
    return QuerySyntaxError(f"unexpected {str(token)!r}", pos, source)


class _Builder:
    """Turns the lark parse tree into AST nodes, validating words, fields and NEAR."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, reason: str, position: int) -> QuerySyntaxError:
        return QuerySyntaxError(reason, position, self.source)

    def build(self, item: Tree[Token] | Token) -> Node:
        if isinstance(item, Token):
            if item.type == "PHRASE":
                return self.phrase(item)
            return self.word(item)
        children = item.children
        if item.data == "or_expr":
            return _flatten(Or, [self.build(c) for c in children])
        if item.data == "and_expr":
            return _flatten(And, [self.build(c) for c in children])
        if item.data == "not_expr":
            return Not(self.build(children[-1]))
        if item.data == "near_expr":
            return self.near(children[0], cast(Token, children[1]), children[2])
        if item.data == "field_expr":
            field_token = cast(Token, children[0])
            name = field_token.value[:-1]
            canonical = FIELDS.get(name.lower())
            if canonical is None:
                raise self.error(
                    f"unknown field {name!r} (use title, body or text)", field_token.start_pos or 0
                )
            return Field(canonical, self.build(children[1]))
        raise self.error(f"unsupported construct {item.data}", 0)  # pragma: no cover

    def near(self, left: Tree[Token] | Token, op: Token, right: Tree[Token] | Token) -> Node:
        distance = int(op.value.split("/", 1)[1])
        nodes = (self.build(left), self.build(right))
        for raw, node in zip((left, right), nodes, strict=True):
            if not _positional(node):
                raise self.error(
                    "NEAR operands must be words, prefixes, phrases or (a OR b) groups of them",
                    _start(raw),
                )
        return Near(nodes[0], nodes[1], distance)

    def word(self, token: Token) -> Node:
        value = token.value
        start = token.start_pos or 0
        if value == "NEAR" or value.startswith("NEAR/"):
            raise self.error(f"bad proximity operator {value!r}, expected NEAR/n", start)
        words = self.words(value, start, quoted=False)
        label = value.lower()
        if len(words) > 1:
            return Phrase(words, label)
        word = words[0]
        if word.endswith("*"):
            return Prefix(word[:-1], label)
        return Term(word, label)

    def phrase(self, token: Token) -> Node:
        start = token.start_pos or 0
        inner = token.value[1:-1]
        words = self.words(inner, start + 1, quoted=True)
        return Phrase(words, " ".join(inner.lower().split()))

    def words(self, raw: str, start: int, *, quoted: bool) -> tuple[str, ...]:
        """Normalised words of one raw term; ``*`` may only end a word."""
        words: list[str] = []
        for match in _STAR_OR_WORD.finditer(raw):
            if match.group("word") is None:
                raise self.error("'*' must follow a word, as in russ*", start + match.start())
            if match.group("star") and match.end() < len(raw):
                following = raw[match.end()]
                if WORD_RE.match(following):
                    raise self.error(
                        "'*' is only allowed at the end of a word", start + match.end() - 1
                    )
            normalised = list(WORD_RE.findall(normalize(match.group("word"))))
            if not normalised:  # pragma: no cover - a word always normalises to something
                continue
            if match.group("star"):
                normalised[-1] += "*"
            words.extend(normalised)
        if not words:
            what = "empty phrase" if quoted else f"term {raw!r} has no letters or digits"
            raise self.error(what, start - 1 if quoted else start)
        return tuple(words)


def _flatten(kind: type[And] | type[Or], children: list[Node]) -> Node:
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    return kind(tuple(flat))


def _positional(node: Node) -> bool:
    if isinstance(node, Term | Prefix | Phrase):
        return True
    if isinstance(node, Or):
        return all(_positional(child) for child in node.children)
    return False


def _start(item: Tree[Token] | Token) -> int:
    while isinstance(item, Tree):  # a loop, not recursion: the tree may be thousands deep
        children = [c for c in item.children if isinstance(c, Tree | Token)]
        if not children:
            return 0  # pragma: no cover
        item = children[0]
    return item.start_pos or 0

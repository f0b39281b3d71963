"""Parsing: text -> ast.Program, every node carrying its source span.

Input: text and the file name it came from. Output: `ast.Program`, `ast.Query` or `ast.Sentence`
(inside fact files). Raises errors.ParseError with the position, what was found, what would fit,
and a hint where one is likely.

The grammar is `grammar.lark`; Lark's LALR parser (its tables stored by grammar_tables.py) calls
the transformer below as it reduces, so no parse tree is built. Two shortcuts, each held to Lark's
result by tests/test_parse_fast.py: a line that is a plain fact of constants (`ally(g0, g1).`) is
read with the grammar's own terminals, the lines between such lines going to Lark
(`_with_plain_facts`); and a SENTENCE token of words alone (no qualifier, no quoted word) is split
into its words instead of a second, `sentence` parse (`_plain_sentence`). Nothing here evaluates
text: values are decoded by hand (`_unescape`), never by `eval` or `literal_eval`.

Why one module: the transformer's methods are grammar.lark's rules one to one, and the fast paths,
the error recovery and the error messages all work on the same Lark parser, tokens and spans
(candidates for modules of their own once a parse package exists).
"""

from __future__ import annotations

import calendar
import datetime
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import ast, grammar_tables, values
from .errors import AllegianceError, ParseError

GRAMMAR = grammar_tables.GRAMMAR


@dataclass
class _Context:
    """Per-parse state the transformer needs; one per thread (see `_local`)."""

    file: str = "<input>"
    lines: list[str] = field(default_factory=list)
    dialect: str = "prolog"
    wildcards: int = 0
    line_offset: int = 0
    column_offset: int = 0
    clauses_seen: int = 0


_local = threading.local()
_C = TypeVar("_C")


def _ctx() -> _Context:
    ctx: _Context | None = getattr(_local, "ctx", None)
    if ctx is None:
        ctx = _local.ctx = _Context()
    return ctx


def _int64(value: int, token: Token) -> int:
    """An integer constant, refused where it is written when it does not fit in 64 bits (it reached
    the engine before, which said so without a place, and only for the first)."""
    # 2**63 itself passes: `-9223372036854775808` is a minus applied to it (negate)
    if not values.INT64_MIN <= value <= values.INT64_MAX + 1:
        raise ParseError(f"integer {value} does not fit in 64 bits", _span(token),
                         f"integers range from {values.INT64_MIN} to {values.INT64_MAX}; "
                         "write it as text (\"...\") if it is an identifier")
    return value


# A 64-bit float holds 15 to 17 significant decimal digits: more would be silently rounded away
# (a 39-digit decimal became 1e+38).
_MAX_DECIMAL_DIGITS = 17


def _float(token: Token) -> float:
    mantissa = re.split(r"[eE]", token.value)[0]
    digits = mantissa.replace(".", "").replace("-", "").replace("+", "").lstrip("0").rstrip("0")
    if len(digits) > _MAX_DECIMAL_DIGITS:
        raise ParseError(f"decimal {token.value} has {len(digits)} significant digits; a 64-bit float keeps "
                         f"at most {_MAX_DECIMAL_DIGITS}", _span(token),
                         "round it, or write it as text (\"...\") to keep every digit")
    return float(token.value)


def _span(token: Token) -> ast.Span:
    ctx = _ctx()
    line = (token.line or 1) + ctx.line_offset
    column = token.column or 1
    end_line = (token.end_line or token.line or 1) + ctx.line_offset
    end_column = token.end_column or column + len(token)
    if (token.line or 1) == 1:
        column += ctx.column_offset
    if (token.end_line or 1) == 1:
        end_column += ctx.column_offset
    return ast.Span(ctx.file, line, column, end_line, end_column)


def _span_of(node: Any) -> ast.Span:
    span = getattr(node, "span", None)
    if isinstance(span, ast.Span):
        return span
    if isinstance(node, Token):
        return _span(node)
    return ast.NOWHERE


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "0": "\0", "'": "'", "/": "/"}


def _unescape(token: Token) -> str:
    """Decode a double-quoted string's escapes: \\n \\t \\r \\" \\\\ \\uXXXX \\UXXXXXXXX."""
    body: str = token.value[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in "uU":
            width = 4 if nxt == "u" else 8
            digits = body[i + 2 : i + 2 + width]
            try:
                if len(digits) != width:
                    raise ValueError
                out.append(chr(int(digits, 16)))
            except (ValueError, OverflowError):
                raise ParseError(f"bad escape \\{nxt}{digits} in string", _span(token),
                                 f"write \\{nxt} followed by {width} hex digits") from None
            i += 2 + width
        else:
            raise ParseError(f"unknown escape \\{nxt} in string", _span(token),
                             'known escapes: \\n \\t \\r \\" \\\\ \\uXXXX')
    return "".join(out)


def _date(token: Token, text: str | None = None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text or token.value)
    except ValueError:
        raise ParseError(f"'{text or token.value}' is not a valid date", _span(token),
                         "dates are written YYYY-MM-DD") from None


_QUALIFIER_KINDS = {
    "according": "according_to",
    "reported": "reported_by",
    "claimed": "claimed_by",
    "confirmed": "confirmed_by",
    "assessed": "assessed_by",
    "denied": "denied_by",
}


def _dates_in(token: Token) -> tuple[datetime.date, ...]:
    import re

    return tuple(_date(token, d) for d in re.findall(r"\d{4}-\d{2}-\d{2}", token.value))


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


def _whens_in(token: Token) -> tuple[tuple[datetime.date, datetime.date, bool], ...]:
    """The days or months of a date qualifier, each as (first day, last day, written as a month)."""
    found = []
    for day, month, name, year in re.findall(r"(\d{4}-\d{2}-\d{2})|(\d{4}-\d{2})|([A-Z][a-z]+)\s+(\d{4})",
                                             token.value):
        if day:
            d = _date(token, day)
            found.append((d, d, False))
            continue
        y, m = (int(month[:4]), int(month[5:])) if month else (int(year), _MONTHS.index(name.lower()) + 1)
        if not (1 <= m <= 12 and y >= datetime.MINYEAR):
            raise ParseError(f"'{month or f'{name} {year}'}' is not a valid month", _span(token),
                             "months are written YYYY-MM")
        found.append((datetime.date(y, m, 1), datetime.date(y, m, calendar.monthrange(y, m)[1]), True))
    return tuple(found)


class _Build(Transformer[Token, Any]):
    """Lark calls these as it reduces. Method names are the grammar's rule names (and aliases)."""

    # --- terms ---

    def name_term(self, children: list[Token]) -> ast.Term:
        (token,) = children
        name = token.value
        if name == "_":
            ctx = _ctx()
            ctx.wildcards += 1
            return ast.Wildcard(ctx.wildcards, _span(token))
        if token.type == "UNAME" or _ctx().dialect == "souffle":
            return ast.Variable(name, _span(token))
        return ast.Constant(name, _span(token))

    def string(self, children: list[Token]) -> ast.Constant:
        (token,) = children
        return ast.Constant(_unescape(token), _span(token))

    def symbol(self, children: list[Token]) -> ast.Constant:
        (token,) = children
        return ast.Constant(token.value, _span(token))

    def integer(self, children: list[Token]) -> ast.Constant:
        (token,) = children
        return ast.Constant(_int64(int(token.value), token), _span(token))

    def month(self, children: list[Token]) -> ast.Constant:
        """A month as a field's value (`date: 2015-10`, `date: October 2015`): its text, YYYY-MM,
        which curation reads as a month (a source's date: its last day, docs/language.md)."""
        (token,) = children
        ((first, _, _),) = _whens_in(token)
        return ast.Constant(f"{first.year:04d}-{first.month:02d}", _span(token))

    def negative_integer(self, children: list[Token]) -> ast.Constant:
        _, token = children
        return ast.Constant(_int64(-int(token.value), token), _span(token))

    def decimal(self, children: list[Token]) -> ast.Constant:
        (token,) = children
        return ast.Constant(_float(token), _span(token))

    def date(self, children: list[Token]) -> ast.Constant:
        (token,) = children
        return ast.Constant(_date(token), _span(token))

    def binop(self, children: list[Any]) -> ast.Term:
        left, op, right = children
        if isinstance(left, ast.Constant) and isinstance(right, ast.Constant):
            folded = _fold(op.value, left.value, right.value)
            if folded is not None:
                return ast.Constant(folded, left.span)
        return _binop(op.value, left, right, _span(op))

    def negate(self, children: list[Any]) -> ast.Term:
        op, operand = children
        if isinstance(operand, ast.Constant) and isinstance(operand.value, (int, float)):
            return ast.Constant(-operand.value, _span(op))
        return _binop("-", ast.Constant(0, _span(op)), operand, _span(op))

    def var(self, children: list[Token]) -> ast.Variable:
        (token,) = children
        return ast.Variable(token.value, _span(token))

    # --- literals ---

    def pred_name(self, children: list[Token]) -> Token:
        return children[0]

    def term_list(self, children: list[ast.Term]) -> list[ast.Term]:
        return children

    def atom(self, children: list[Any]) -> ast.Atom:
        name, args = children
        return ast.Atom(name.value, tuple(args or ()), _span(name))

    def atom_as(self, children: list[Any]) -> ast.Atom:
        if len(children) == 1:
            return children[0]  # type: ignore[no-any-return]
        atom, _, variable = children
        return ast.Atom(atom.pred, atom.args, atom.span, variable)

    def neg_literal(self, children: list[Any]) -> ast.NegLiteral:
        op, atom = children
        return ast.NegLiteral(atom, _span(op))

    def comparison(self, children: list[Any]) -> ast.Comparison:
        left, op, right = children
        return ast.Comparison(op.value, left, right, _span(op))

    def body(self, children: list[ast.Literal]) -> tuple[ast.Literal, ...]:
        return tuple(children)

    # --- clauses ---

    def rule(self, children: list[Any]) -> ast.Rule:
        head, body = children
        return self._clause(ast.Rule(head, body, head.span))

    def negation(self, children: list[Token]) -> Token:
        return children[0]

    def statement(self, children: list[Any]) -> ast.Clause:
        negated = isinstance(children[0], Token)
        atom = children[1] if negated else children[0]
        qualifiers = tuple(children[2:] if negated else children[1:])
        span = _span(children[0]) if negated else atom.span
        if not negated and not qualifiers:
            return self._clause(ast.Fact(atom, span))
        return self._clause(ast.Statement(atom, negated, qualifiers, span, self._line_text(span)))

    def query_clause(self, children: list[Any]) -> ast.Query:
        (body,) = children
        return self._clause(ast.Query(body, _span_of(body[0])))

    def query(self, children: list[Any]) -> ast.Query:
        (body,) = children
        return ast.Query(body, _span_of(body[0]))

    def dialect(self, children: list[Token]) -> ast.Dialect:
        keyword, name = children
        ctx = _ctx()
        if name.value not in ("souffle", "prolog"):
            raise ParseError(f"unknown dialect '{name.value}'", _span(name), "known dialects: prolog, souffle")
        if ctx.clauses_seen:
            raise ParseError(".dialect must be the first line of a file", _span(keyword))
        ctx.dialect = name.value
        return self._clause(ast.Dialect(name.value, _span(keyword)))

    def param(self, children: list[Token]) -> ast.Param:
        name = children[0].value
        type_ = children[1].value if len(children) > 1 else "symbol"
        if type_ not in ("symbol", "string", "number", "float", "date"):
            raise ParseError(f"unknown type '{type_}'", _span(children[1]),
                             "types are symbol (an entity or atom), string (free text), number, float, date")
        return ast.Param(name, type_)

    def params(self, children: list[ast.Param]) -> tuple[ast.Param, ...]:
        return tuple(children)

    def decl(self, children: list[Any]) -> ast.Declaration:
        keyword, name, params = children
        return self._clause(ast.Declaration(name.value, params or (), _span(name)))

    def field(self, children: list[Any]) -> tuple[str, tuple[ast.Value, ...]]:
        name, *values = children
        return (name.value, tuple(v.value for v in values))

    def block(self, children: list[Any]) -> tuple[tuple[str, tuple[ast.Value, ...]], ...]:
        return tuple(children)

    def source_block(self, children: list[Any]) -> ast.SourceBlock:
        _, name, *rest = children
        fields = rest[0] if rest else None  # None: `.source id.` selects a source declared elsewhere
        return self._clause(ast.SourceBlock(name.value, fields, _span(name)))

    def entity_block(self, children: list[Any]) -> ast.EntityDecl:
        _, name, fields = children
        return self._clause(ast.EntityDecl(name.value, fields, _span(name)))

    def relation_block(self, children: list[Any]) -> ast.RelationDecl:
        _, name, params, *rest = children
        fields = rest[0] if rest else ()
        return self._clause(ast.RelationDecl(name.value, params or (), fields, False, _span(name)))

    def inconsistency_block(self, children: list[Any]) -> ast.RelationDecl:
        _, name, params, fields = children
        return self._clause(ast.RelationDecl(name.value, params or (), fields, True, _span(name)))

    def trust_block(self, children: list[Any]) -> ast.TrustBlock:
        _, name, *clauses = children
        for clause in clauses:
            if not isinstance(clause, (ast.Rule, ast.Fact)):
                raise ParseError("a trust policy holds only rules and plain facts", clause.span,
                                 "write rules deriving trusted(S) from the statement metadata")
        return self._clause(ast.TrustBlock(name.value, tuple(clauses), _span(name)))

    # --- qualifiers ---

    def qualifier(self, children: list[Any]) -> ast.Qualifier:
        return children[-1]  # type: ignore[no-any-return]

    sentence_qualifier = qualifier

    def who(self, children: list[Token]) -> str:
        (token,) = children
        return _unescape(token) if token.type == "STRING" else token.value

    def asserter(self, children: list[Any]) -> ast.Qualifier:
        keyword, who = children
        kind = _QUALIFIER_KINDS[keyword.value.split()[0]]
        text = " ".join(who) if isinstance(who, tuple) else who
        return ast.Qualifier(kind, text, (), _span(keyword))

    def on_date(self, children: list[Token]) -> ast.Qualifier:
        (token,) = children
        return ast.Qualifier("on", None, _dates_in(token), _span(token))

    # A month is its first day as a start and its last day as an end: `since 2015-10` from
    # 2015-10-01, `until 2015-10` up to 2015-10-31, `in 2015-10` both (until includes its bound).

    def since_date(self, children: list[Token]) -> ast.Qualifier:
        (token,) = children
        ((first, _, month),) = _whens_in(token)
        return ast.Qualifier("since", None, (first,), _span(token), (month,) if month else ())

    def until_date(self, children: list[Token]) -> ast.Qualifier:
        (token,) = children
        ((_, last, month),) = _whens_in(token)
        return ast.Qualifier("until", None, (last,), _span(token), (month,) if month else ())

    # A month as a report date is its last day: the statement was surely out by then (--known-on)
    def reported_on(self, children: list[Token]) -> ast.Qualifier:
        (token,) = children
        ((_, last, month),) = _whens_in(token)
        return ast.Qualifier("reported_on", None, (last,), _span(token), (month,) if month else ())

    def in_month(self, children: list[Token]) -> ast.Qualifier:
        (token,) = children
        ((first, last, _),) = _whens_in(token)
        return ast.Qualifier("in", None, (first, last), _span(token), (True, True))

    def between_dates(self, children: list[Token]) -> ast.Qualifier:
        (token,) = children
        (first, _, month_from), (_, last, month_until) = _whens_in(token)
        if first > last:
            raise ParseError(f"'{token.value}' ends before it starts", _span(token),
                             "write the earlier date first")
        months = (month_from, month_until) if month_from or month_until else ()
        return ast.Qualifier("between", None, (first, last), _span(token), months)

    def credibility(self, children: list[Token]) -> ast.Qualifier:
        (token,) = children
        grade = int(token.value.split()[-1])
        if not 1 <= grade <= 6:
            raise ParseError(f"credibility {grade} is outside 1..6", _span(token),
                             "1 = confirmed by other sources ... 6 = truth cannot be judged")
        return ast.Qualifier("credibility", None, (grade,), _span(token))

    def quoting(self, children: list[Token]) -> ast.Qualifier:
        keyword, text = children
        return ast.Qualifier("quoting", None, (_unescape(text),), _span(keyword))

    def from_source(self, children: list[Token]) -> ast.Qualifier:
        keyword, name = children
        return ast.Qualifier("from_source", None, (name.value,), _span(keyword))

    # --- controlled English ---

    def words(self, children: list[Token]) -> tuple[str, ...]:
        out: list[str] = []
        for token in children:
            if token.type == "STRING":
                out.extend(_unescape(token).split())
            else:
                out.append(token.value)
        return tuple(out)

    name_words = words

    def sentence(self, children: list[Any]) -> tuple[tuple[str, ...], tuple[ast.Qualifier, ...]]:
        words, *qualifiers = children
        return words, tuple(qualifiers)

    def english(self, children: list[Token]) -> ast.Sentence:
        (token,) = children
        span = _span(token)
        inside = _blank_commas(token.value)
        plain = _plain_sentence(inside)
        if plain is not None:
            words, qualifiers = plain, ()
        else:
            ctx = _ctx()
            saved = (ctx.line_offset, ctx.column_offset)
            ctx.line_offset, ctx.column_offset = span.line - 1, span.column - 1
            try:
                words, qualifiers = _parse_with(inside, "sentence")
            finally:
                ctx.line_offset, ctx.column_offset = saved
        text = " ".join(token.value.split())
        return self._clause(ast.Sentence(words, qualifiers, span, text))

    # --- check files ---

    def row(self, children: list[ast.Constant]) -> ast.Row:
        return tuple(c.value for c in children)

    def rows(self, children: list[ast.Row]) -> tuple[ast.Row, ...]:
        return tuple(children)

    def expect_keyword(self, children: list[Token]) -> tuple[Token, tuple[tuple[str, ast.Value], ...]]:
        keyword, *selectors = children
        found: list[tuple[str, ast.Value]] = []
        for token in selectors:
            if token.type in ("AT_DATE", "KNOWN_ON_DATE"):
                found.append(("at" if token.type == "AT_DATE" else "known_on", _dates_in(token)[0]))
            else:
                found.append(("under" if token.type == "UNDER_POLICY" else "without", token.value.split()[-1]))
        return keyword, tuple(found)

    def expect_holds(self, children: list[Any]) -> ast.Expect:
        (keyword, selectors), body = children
        return self._clause(ast.Expect("holds", ast.Query(body, _span(keyword)), span=_span(keyword),
                                       selectors=selectors))

    def expect_none(self, children: list[Any]) -> ast.Expect:
        (keyword, selectors), _, body = children
        return self._clause(ast.Expect("none", ast.Query(body, _span(keyword)), span=_span(keyword),
                                       selectors=selectors))

    def expect_equals(self, children: list[Any]) -> ast.Expect:
        (keyword, selectors), body, op, rows = children
        if op.value != "=":
            raise ParseError(f"expected '=' before the answer set, found '{op.value}'", _span(op),
                             "write: expect query = {a, b}.")
        query = ast.Query(body, _span(keyword))
        return self._clause(ast.Expect("equals", query, answers=rows or (), span=_span(keyword), selectors=selectors))

    def expect_count(self, children: list[Any]) -> ast.Expect:
        (keyword, selectors), _, body, op, number = children
        query = ast.Query(body, _span(keyword))
        return self._clause(
            ast.Expect("count", query, op=op.value, count=int(number.value), span=_span(keyword), selectors=selectors)
        )

    def accept(self, children: list[Any]) -> ast.Accept:
        keyword, atom, _, reason = children
        return self._clause(ast.Accept(atom, _unescape(reason), _span(keyword)))

    # --- helpers ---

    def _clause(self, clause: _C) -> _C:
        _ctx().clauses_seen += 1
        return clause

    def _line_text(self, span: ast.Span) -> str:
        lines = _ctx().lines
        if 1 <= span.line <= len(lines):
            return lines[span.line - 1].strip()
        return ""

    def program(self, children: list[ast.Clause]) -> list[ast.Clause]:
        return children


MAX_DEPTH = 100  # nesting of arithmetic; every later stage walks expressions recursively


def _binop(op: str, left: ast.Term, right: ast.Term, span: ast.Span) -> ast.BinOp:
    depth = 1 + max(t.depth if isinstance(t, ast.BinOp) else 0 for t in (left, right))
    if depth > MAX_DEPTH:
        raise ParseError(f"expression nested too deeply (over {MAX_DEPTH} levels)", span,
                         "split it with intermediate variables: T = A + B, X = T * C")
    return ast.BinOp(op, left, right, span, depth)


def _blank_commas(text: str) -> str:
    """Commas outside strings become spaces, keeping every other character where it was."""
    if '"' not in text:
        return text.replace(",", " ")
    out = list(text)
    in_string = escaped = False
    for i, c in enumerate(out):
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == ",":
            out[i] = " "
    return "".join(out)


# --- the fast path of a sentence: words alone ---------------------------------------------------
#
# Most English statements are words and numbers and a period, with no qualifier: parsed with the
# `sentence` start, such a text gives (its words, ()). `_plain_sentence` reads exactly those texts
# with the lexer's own terminals, as the contextual lexer cuts them (the `word` terminals and what
# the grammar ignores), and leaves every other text (one where a qualifier terminal matches, a
# quoted word, anything Lark would reject) to the `sentence` parse.


@dataclass(frozen=True)
class _SentenceSyntax:
    skip: re.Pattern[str]  # what the lexer ignores (WS, COMMENT), any amount
    word: re.Pattern[str]  # a word terminal but STRING (whose words need unescaping), and what it ignores after
    qualifier: re.Pattern[str]  # the first terminal of any sentence qualifier


_sentence_syntax: _SentenceSyntax | None = None


def _plain_sentence(text: str) -> tuple[str, ...] | None:
    """The words of a sentence that has nothing but words and numbers (and its period); None for
    any other text."""
    global _sentence_syntax
    if _sentence_syntax is None:
        lark = _lark()

        def first(rule: str) -> list[str]:
            return [r.expansion[0].name for r in lark.rules if r.origin.name == rule]

        def union(names: Iterable[str]) -> str:
            terminals = sorted((lark.get_terminal(n) for n in names), key=lambda t: (
                -t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))  # the lexer's order
            return "|".join(f"(?:{t.pattern.to_regexp()})" for t in terminals)

        skip = f"(?:{union(lark.lexer_conf.ignore)})*"
        _sentence_syntax = _SentenceSyntax(
            skip=re.compile(skip),
            word=re.compile(f"({union(n for n in first('word') if n != 'STRING')}){skip}"),
            qualifier=re.compile(union(first("sentence_qualifier_body"))),
        )
    syntax = _sentence_syntax
    if syntax.qualifier.search(text):
        return None  # a qualifier, or what might lex as one: the parse decides
    words: list[str] = []
    ignored = syntax.skip.match(text)
    pos = ignored.end() if ignored else 0
    while pos < len(text):
        m = syntax.word.match(text, pos)
        if m is None:  # only the final period may follow, after a word (grammar: words ... "."?)
            ignored = syntax.skip.match(text, pos + 1)
            return tuple(words) if words and text[pos] == "." and ignored and ignored.end() == len(text) else None
        words.append(m.group(1))
        pos = m.end()
    return tuple(words) if words else None


def _fold(op: str, left: ast.Value, right: ast.Value) -> ast.Value | None:
    """Constant folding, so `result(1-2-3)` is the constant -4 (left-associative, as parsed),
    with the engines' arithmetic: -7 / 2 folds to -3, as an engine would compute it."""
    return values.apply(op, left, right)


_parser_lock = threading.Lock()
_parser: Lark | None = None


def _lark() -> Lark:
    global _parser
    with _parser_lock:
        if _parser is None:
            _parser = grammar_tables.load(GRAMMAR.read_text(encoding="utf-8"), _Build())
        return _parser


def _parse_with(text: str, start: str) -> Any:
    try:
        return _lark().parse(text, start=start)
    except VisitError as exc:
        if isinstance(exc.orig_exc, AllegianceError):
            raise exc.orig_exc from None
        raise
    except UnexpectedInput as exc:
        raise _friendly(exc, text) from None


def parse_program(text: str, file: str = "<input>", dialect: str = "prolog") -> ast.Program:
    """Parse a whole file or REPL entry into clauses."""
    ctx = _local.ctx = _Context(file=file, lines=text.splitlines(), dialect=dialect)
    if text.startswith("\ufeff"):
        text = text[1:]
    clauses = _with_plain_facts(text, ctx) if dialect == "prolog" and "(" in text else None
    if clauses is None:  # Lark reads it whole, from a clean state (a fast attempt leaves none behind)
        ctx = _local.ctx = _Context(file=file, lines=ctx.lines, dialect=dialect)
        clauses = _parse_with(text, "program")
    return ast.Program(tuple(clauses), file, ctx.dialect)


# --- the fast path of plain fact lines ----------------------------------------------------------
# Generated networks and dumps are mostly lines like `ally(g0, g1).`: a fact of constants alone (a
# name, a string, a whole number, a decimal, a date), one a line. Such a line is read with regular
# expressions that spell the grammar's own terminals (LNAME, STRING, DATE, DECIMAL, INT, COMMENT)
# into exactly the Fact Lark builds, spans included; the lines between such lines go to Lark as
# they are, each run on its own (a run of comments and blank lines holds no clause). A run Lark
# cannot read alone (a line that only looked like a fact: the last line of a rule or of an English
# sentence running over lines, a line inside a block), a value the decoders refuse (a bad date or
# escape), or a `.dialect` directive, and the whole text goes to Lark instead, so the clauses or
# the error are always Lark's. tests/test_parse_fast.py holds the two equal on generated files.

_NAME = r"[a-z][A-Za-z0-9_]*"
_ARG = (r'"(?:[^"\\\n]|\\.)*"|\d{4}-\d{2}-\d{2}(?!\w)|\d+\.\d+(?:[eE][+-]?\d+)?(?![\w.])|\d{1,18}(?![\w.])|'
        + _NAME + r"(?!\w)")
_PLAIN_FACT = re.compile(rf"[ \t]*({_NAME})[ \t]*\([ \t]*((?:{_ARG})(?:[ \t]*,[ \t]*(?:{_ARG}))*)[ \t]*\)[ \t]*\.[ \t]*"
                         r"(?:(?:%|//)[^\n]*)?\r?")
_ARG_TOKEN = re.compile(r'(?P<STRING>"(?:[^"\\\n]|\\.)*")|(?P<DATE>\d{4}-\d{2}-\d{2}(?!\w))|'
                        r"(?P<DECIMAL>\d+\.\d+(?:[eE][+-]?\d+)?)|(?P<INT>\d+)|(?P<LNAME>" + _NAME + ")")
_NO_CLAUSE = re.compile(r"[ \t]*(?:(?:%|//)[^\n]*)?\r?")  # a blank or comment line
_KEYWORDS = frozenset({"not", "expect", "accept"})  # words that open another clause at a line's start


def _with_plain_facts(text: str, ctx: _Context) -> list[ast.Clause] | None:
    """The clauses of `text`, its plain fact lines read without Lark; None: Lark must read it all."""
    lines = text.split("\n")
    clauses: list[ast.Clause] = []
    start = 0  # first line not read yet
    fast = 0

    def run(end: int) -> bool:  # lines[start:end] through Lark, at their place in the file
        if all(_NO_CLAUSE.fullmatch(line) for line in lines[start:end]):
            return True
        ctx.line_offset = start
        try:
            clauses.extend(_parse_with("\n".join(lines[start:end]), "program"))
        except ParseError:
            return False
        finally:
            ctx.line_offset = 0
        return ctx.dialect == "prolog"

    for number, line in enumerate(lines):
        match = _PLAIN_FACT.fullmatch(line)
        if match is None or match.group(1) in _KEYWORDS:
            continue
        if not run(number):
            return None
        fact = _plain_fact(match, number + 1, ctx.file)
        if fact is None:
            return None
        clauses.append(fact)
        ctx.clauses_seen += 1
        fast += 1
        start = number + 1
    if not fast or not run(len(lines)):
        return None
    return clauses


def _plain_fact(match: re.Match[str], line: int, file: str) -> ast.Fact | None:
    """The Fact of a line _PLAIN_FACT matched, as the transformer builds it; None where a decoder
    refuses a value (Lark then raises its error, at its place)."""
    column = match.start(1) + 1
    name = match.group(1)
    span = ast.Span(file, line, column, line, column + len(name))
    args: list[ast.Term] = []
    offset = match.start(2) + 1
    for token in _ARG_TOKEN.finditer(match.group(2)):
        kind, text = token.lastgroup, token.group()
        at = offset + token.start()
        where = ast.Span(file, line, at, line, at + len(text))
        value: ast.Value
        try:
            if kind == "LNAME":
                value = text
            elif kind == "INT":
                value = int(text)
            elif kind == "STRING":
                value = text[1:-1] if "\\" not in text else _unescape(Token("STRING", text, line=line, column=at))
            elif kind == "DATE":
                value = _date(Token("DATE", text, line=line, column=at))
            else:
                value = _float(Token("DECIMAL", text, line=line, column=at))
        except ParseError:
            return None
        args.append(ast.Constant(value, where))
    return ast.Fact(ast.Atom(name, tuple(args), span), span)


# --- error recovery: every syntax error of a file, not only the first ------------------------------

_MAX_PARSE_ERRORS = 1000  # past this many, a file is not what it claims to be; stop looking


def parse_program_recovering(text: str, file: str = "<input>",
                             dialect: str = "prolog") -> tuple[ast.Program, list[ParseError]]:
    """Parse a file, reporting every syntax error: on an error, record it, skip to the next clause
    boundary (a line ending with '.' or '}', or a blank line) and go on with the rest.

    Returns the clauses that did parse and the errors, in source order. A file without errors costs
    one ordinary parse; each error costs re-parsing the text between it and the previous one."""
    try:
        return parse_program(text, file, dialect), []
    except ParseError:
        pass
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    ctx = _local.ctx = _Context(file=file, lines=text.splitlines(), dialect=dialect)
    clauses: list[ast.Clause] = []
    errors: list[ParseError] = []
    _recover(lines, 0, len(lines), ctx, clauses, errors)
    return ast.Program(tuple(clauses), file, ctx.dialect), errors


def _recover(lines: list[str], start: int, end: int, ctx: _Context, clauses: list[ast.Clause],
             errors: list[ParseError]) -> None:
    """Parse lines[start:end] into clauses, recording errors; every step moves past an error line,
    so it ends."""
    while start < end and len(errors) < _MAX_PARSE_ERRORS:
        ctx.line_offset, ctx.column_offset = start, 0
        try:
            clauses.extend(_parse_with("\n".join(lines[start:end]), "program"))
            return
        except ParseError as exc:
            error = exc
        bad = min(max((error.span.line if error.span else start + 1) - 1, start), end - 1)
        # the clauses before the failing one: up to the last boundary above the error line
        cut = bad
        while cut > start and not _boundary(lines[cut - 1]):
            cut -= 1
        if cut > start:
            _recover(lines, start, cut, ctx, clauses, errors)
        errors.append(error)
        if cut < bad and error.span is not None and error.span.column == _indent(lines[bad]) + 1:
            # the clause above never ended (a missing '.'): it is the bad one; this line starts anew
            start = bad
            continue
        if error.span is not None and error.span.column > len(lines[bad].rstrip()):
            # the error sits past the end of this line (a missing '.' at its end): the next line starts anew
            start = bad + 1
            continue
        # skip the failing clause: resume after the first boundary at or below the error line
        resume = bad
        while resume < end - 1 and not _boundary(lines[resume]):
            resume += 1
        start = resume + 1


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _boundary(line: str) -> bool:
    """Whether a clause can end with this line: blank, or ending with '.' or '}' (a trailing comment
    aside). A comment line is no boundary: it may sit inside a block or a long statement."""
    stripped = line.strip()
    if not stripped:
        return True
    for marker in ("%", "//"):
        at = stripped.find(marker)
        if at >= 0 and stripped.count('"', 0, at) % 2 == 0:
            stripped = stripped[:at].rstrip()
    return stripped.endswith((".", "}"))


def parse_query(text: str, file: str = "<query>", dialect: str = "prolog") -> ast.Query:
    """Parse a query: `ally(X, nusra)`, `?- ally(X, nusra).`, `p(X), not q(X)`."""
    _local.ctx = _Context(file=file, lines=text.splitlines(), dialect=dialect)
    query: ast.Query = _parse_with(text, "query")
    return query


# --- error messages -----------------------------------------------------------------------------

_NAMES = {
    "LNAME": "a name",
    "UNAME": "a variable",
    "STRING": "a string",
    "INT": "a number",
    "DECIMAL": "a number",
    "DATE": "a date",
    "DOT": "'.'",
    "COMMA": "','",
    "LPAR": "'('",
    "RPAR": "')'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "COLON": "':'",
    "IF": "':-'",
    "__ANON_0": "':-'",
    "CMP_OP": "a comparison",
    "SENTENCE": "a statement in English",
    "WORD": "a word",
    "$END": "the end of the input",
}


def _describe(name: str) -> str:
    if name in _NAMES:
        return _NAMES[name]
    terminal = next((t for t in _lark().terminals if t.name == name), None)
    if terminal is not None and terminal.pattern.type == "str":
        return f"'{terminal.pattern.value}'"
    return name.lower().replace("_", " ")


def _friendly(exc: UnexpectedInput, text: str) -> ParseError:
    ctx = _ctx()
    line = (exc.line if exc.line and exc.line > 0 else 1) + ctx.line_offset
    column = exc.column if exc.column and exc.column > 0 else 1
    if (exc.line or 1) == 1:
        column += ctx.column_offset
    hint: str | None = None
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        char = text[pos] if pos < len(text) else ""
        message = f"unexpected character {char!r}"
        rest = text[pos + 1:].split("\n", 1)[0]
        if char == '"' and '"' not in rest.replace('\\\\', "").replace('\\"', ""):
            # a string with no end on its line (the REPL waited for one: its toolbar said so)
            message, hint = "this string is never closed", 'end it with " on the same line (write \\n for a line break)'
        elif char == "'":
            hint = 'strings take double quotes: "..."'
        elif char == "&":
            hint = "join body literals with ','"
        span = ast.Span(ctx.file, line, column, line, column + 1)
        return ParseError(message, span, hint)
    if isinstance(exc, UnexpectedEOF):
        expected = sorted({_describe(e) for e in exc.expected})
        last = text.rstrip().splitlines() or [""]
        line = len(last) + ctx.line_offset
        column = len(last[-1]) + 1
        hint = "did you forget the '.' at the end?" if "'.'" in expected else None
        span = ast.Span(ctx.file, line, column, line, column + 1)
        return ParseError(f"unexpected end of input; expected {_join(expected)}", span, hint)
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    expected = sorted({_describe(e) for e in exc.accepts or exc.expected})
    found = "end of input" if token.type == "$END" else repr(str(token.value))
    if token.type == "$END":
        lines = text.rstrip().splitlines() or [""]
        line, column = len(lines) + ctx.line_offset, len(lines[-1]) + 1
    width = max(1, len(str(token.value))) if token.type != "$END" else 1
    previous = _previous_token(exc)
    at_end = token.type == "$END"
    if "'.'" in expected and (at_end or (previous is not None and (token.line or 0) > (previous.end_line or 0))):
        # The clause before ended without its period: point where the period belongs.
        if at_end or previous is None:
            lines = text.rstrip().splitlines() or [""]
            line, column = len(lines) + ctx.line_offset, len(lines[-1]) + 1
        else:
            line = (previous.end_line or 1) + ctx.line_offset
            column = (previous.end_column or 1) + (ctx.column_offset if (previous.end_line or 1) == 1 else 0)
        span = ast.Span(ctx.file, line, column, line, column + 1)
        return ParseError(f"expected '.' at the end of this clause{'' if at_end else ', before ' + found}", span,
                          "every fact, rule and statement ends with a period")
    elif token.type == "UNAME" and "a name" in expected:
        hint = "names of constants start with a lowercase letter (or quote them: \"...\")"
    elif token.type == "SENTENCE":
        hint = "an English statement must stand on its own, ending with a period"
    span = ast.Span(ctx.file, line, column, line, column + width)
    return ParseError(f"unexpected {found}; expected {_join(expected)}", span, hint)


def _previous_token(exc: UnexpectedToken) -> Token | None:
    history = getattr(exc, "token_history", None) or []
    return history[-1] if history else None


_OPERATORS = {"'+'", "'-'", "'*'", "'/'", "'%'"}


def _join(items: list[str]) -> str:
    if _OPERATORS & set(items):
        items = [i for i in items if i not in _OPERATORS] + ["an operator"]
    if len(items) > 8:
        items = items[:8] + ["..."]
    return ", ".join(items) if items else "something else"

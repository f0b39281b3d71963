"""Highlighting: the Pygments lexer for allegiance text, shared by the docs and the REPL.

Input: text (facts, rules, queries, fact-file blocks, controlled English, check files, REPL
meta-commands). Output: Pygments tokens. Registered as the `allegiance` lexer (pyproject's
`pygments.lexers` entry point), so ```` ```allegiance ```` blocks in the docs use it too.

It follows grammar.lark's terminals (the ones with a pattern come from terminals.py) but never fails: what the grammar could not read comes out as
`Error` tokens, which the REPL draws in red while the line is being typed.
"""

from __future__ import annotations

import re
from typing import ClassVar

# Pygments ships no type information (and types-Pygments is not a dependency).
from pygments.lexer import RegexLexer, bygroups, include  # type: ignore[import-untyped]
from pygments.token import (  # type: ignore[import-untyped]
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from . import terminals

# The qualifiers of grammar.lark (ASSERTER, QUOTING, FROM_SOURCE, and CREDIBILITY's words before its
# number; the dated ones below), as keywords.
_CREDIBILITY = terminals.qualifier_started("CREDIBILITY").removesuffix(r"\s+\d")  # its words
_QUALIFIERS = "(?:" + "|".join([terminals.pattern("ASSERTER"), terminals.pattern("FROM_SOURCE"),
                                terminals.pattern("QUOTING"), _CREDIBILITY + r"(?=\s+\d)(?![\w-])"]) + ")"
_DATE = terminals.DATE
# on/since/until/between are qualifiers only before a date, as in grammar.lark
_WHEN = terminals.DAY_OR_MONTH + r"(?![\w-])"  # a day or a month (2015-10, October 2015)
_DATED = [
    (r"(reported)(\s+)(on)(\s+)(" + _DATE + ")", bygroups(Keyword, Whitespace, Keyword, Whitespace, Number.Other)),
    (r"(on)(\s+)(" + _DATE + ")", bygroups(Keyword, Whitespace, Number.Other)),
    (r"(since|until|in)(\s+)(" + _WHEN + ")", bygroups(Keyword, Whitespace, Number.Other)),
    (r"(between)(\s+)(" + _WHEN + r")(\s+)(and)(\s+)(" + _WHEN + ")",
     bygroups(Keyword, Whitespace, Number.Other, Whitespace, Keyword, Whitespace, Number.Other)),
]
_NUMBER = terminals.NUMBER
# grammar.lark's SENTENCE: a capitalised word, blanks, and no Datalog punctuation next.
_SENTENCE_START = r"^[ \t]*" + terminals.SENTENCE_START


class AllegianceLexer(RegexLexer):  # type: ignore[misc]
    """Datalog with allegiance's fact-file blocks, qualifiers and controlled English."""

    name = "Allegiance"
    aliases: ClassVar[list[str]] = ["allegiance", "allegiance-datalog"]
    filenames: ClassVar[list[str]] = ["*.facts", "*.dl", "*.check"]
    mimetypes: ClassVar[list[str]] = ["text/x-allegiance"]
    flags = re.MULTILINE

    tokens: ClassVar[dict[str, list]] = {  # type: ignore[type-arg]
        "root": [
            include("comments"),
            (r"[ \t\f\r\n\ufeff]+", Whitespace),
            # a REPL meta-command: `:load facts/x.facts`
            (r"^(:[a-z]+)(.*)$", bygroups(Keyword.Pseudo, Text)),
            (r"\?-|:-", Punctuation),
            (r"\.(?:decl|dialect|source|entity|relation|inconsistency|trust)(?![\w])", Keyword.Declaration),
            (_SENTENCE_START, Text, "sentence"),
            (r"(?:expect|accept|because|count|no)(?=\s)", Keyword),
            (r"(?:not|as)(?![\w-])", Keyword),
            *_DATED,
            (_QUALIFIERS, Keyword),
            include("values"),
            (r"[a-z][A-Za-z0-9_]*(?=\s*\()", Name.Function),
            (r"[A-Z][A-Za-z0-9_]*(?=\s*\()", Name.Function),
            (r"[A-Z_][A-Za-z0-9_]*", Name.Variable),
            (r"[a-z][A-Za-z0-9_]*", Name.Constant),
            (r"!=|<=|>=|[<>=!+\-*/]", Operator),
            (r"[(){},.;:]", Punctuation),
        ],
        "comments": [
            # `%` between an operand and a number, variable or `(` is modulo (grammar.lark's MOD);
            # anywhere else it starts a comment
            (r"(?<=\w)([ \t]*)(%)(?=[ \t]*[\dA-Z_(])", bygroups(Whitespace, Operator)),
            (r"%.*?$", Comment.Single),
            (r"//.*?$", Comment.Single),
        ],
        "values": [
            (r'"(?:[^"\\\n]|\\.)*"', String.Double),
            (r'"[^\n]*', Error),  # a string that never closes
            (_DATE, Number.Other),
            (_NUMBER, Number),
        ],
        "sentence": [
            # ends at a period that ends the line, as grammar.lark's SENTENCE does
            (r"\.(?=[ \t]*(?:%.*|//.*)?$)", Punctuation, "#pop"),
            (r"\n[ \t]*\n", Whitespace, "#pop"),
            *_DATED,
            (_QUALIFIERS, Keyword),
            include("values"),
            (r"[^\s\"\d.]+|\s+|\.", Text),
        ],
    }


__all__ = ["AllegianceLexer"]

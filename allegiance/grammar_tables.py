"""The parser's LALR tables, stored beside the grammar so that a start does not compute them.

Input: grammar.lark's text. Output: the Lark parser that `parse.py` uses, read from
`grammar_tables.json` when that file was made from this very grammar by this very Lark version
(its `key`), else built from the grammar as usual. Building takes about 0.1 s of every start;
reading the file, about a tenth of that.

The file is plain JSON that allegiance writes itself (`make tables`, after any change to
grammar.lark; a test fails while it is stale): Lark's own serialized form, with
tuples and integer-keyed dicts tagged, since JSON has neither. Never a pickle, never Lark's cache in
the temporary folder. grammar.lark stays the one source of the syntax: the tables are derived from
it, and a file that does not match it is ignored.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Transformer
from lark.grammar import Rule
from lark.lexer import TerminalDef

GRAMMAR = Path(__file__).with_name("grammar.lark")
TABLES = Path(__file__).with_name("grammar_tables.json")
FORMAT = 1  # of the file; a change of the encoding below changes it

# The options parse.py builds its parser with; part of the key.
OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "lexer": "contextual",
    "start": ["program", "query", "sentence"],
    "maybe_placeholders": True,
}


def key(grammar: str) -> str:
    """What the tables depend on: the grammar, the options, Lark's version, the file format."""
    recipe = json.dumps([FORMAT, lark.__version__, OPTIONS, grammar], sort_keys=True)
    return hashlib.sha256(recipe.encode("utf-8")).hexdigest()


def build(grammar: str, transformer: Transformer[Any, Any] | None) -> Lark:
    return Lark(grammar, transformer=transformer, cache=False, **OPTIONS)


def load(grammar: str, transformer: Transformer[Any, Any] | None) -> Lark:
    """The parser of `grammar`: from the stored tables when they are this grammar's, else built."""
    stored = _read(grammar)
    if stored is not None:
        # Lark.load without its pickle: the form Lark.save writes, handed over as a dict
        parser: Lark = Lark._load_from_dict(  # type: ignore[no-untyped-call]
            stored["data"], stored["memo"], transformer=transformer)
        return parser
    return build(grammar, transformer)


def _read(grammar: str) -> dict[str, Any] | None:
    try:
        stored = json.loads(TABLES.read_text(encoding="utf-8"), object_hook=_decode)
    except (OSError, ValueError):
        return None  # no file, or a damaged one: build the parser instead
    if not isinstance(stored, dict) or stored.get("key") != key(grammar):
        return None
    return {"data": stored["data"], "memo": stored["memo"]}


def tables(parser: Lark) -> dict[str, Any]:
    """The JSON-ready form of a built parser (its transformer left out: the loader supplies it)."""
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k != "transformer"}
    return {"data": _encode(data), "memo": _encode(memo)}


def write(path: Path = TABLES) -> None:
    grammar = GRAMMAR.read_text(encoding="utf-8")
    stored = {"key": key(grammar), "lark": lark.__version__, **tables(build(grammar, None))}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(stored, separators=(",", ":")) + "\n", encoding="utf-8")
    tmp.replace(path)


def _encode(value: Any) -> Any:
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"__dict__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot store {type(value).__name__} in the tables")


def _decode(obj: dict[str, Any]) -> Any:
    """json.loads' object_hook: every JSON object, innermost first, back to what _encode was given."""
    if "__dict__" in obj:
        return {k: v for k, v in obj["__dict__"]}
    if "__tuple__" in obj:
        return tuple(obj["__tuple__"])
    return obj

"""The codec of stored knowledge: values, rows and the known dataclasses <-> JSON text.

Stage: used by persist.py to keep a knowledge base in a DuckDB file. Input (encoding): plain values
(str, int, float, datetime.date, None, bool), tuples, frozensets and instances of the classes that
`classes()` lists (ast.py nodes, catalog.py's declarations, provenance.StatementRecord,
history.Retraction). Output: JSON text, and back.

Decoding is a whitelist, never pickle or eval: a JSON object becomes an instance only when its
`"class"` names one of those classes and its keys are exactly that class's fields; anything else is
a `CodecError`. JSON keeps apart the kinds that Datalog keeps apart (`1`, `1.0`, `"1"`, `true`);
dates, tuples and frozensets are tagged objects.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from typing import Any

from . import ast
from .catalog import Entity, Relation, Source, Template
from .history import Retraction
from .provenance import StatementRecord


class CodecError(ValueError):
    """Stored text that this codec did not write (a damaged or foreign file)."""


_CLASSES: dict[str, type] = {}
_FIELDS: dict[type, tuple[str, ...]] = {}


def classes() -> dict[str, type]:
    """The classes the decoder may build, by name."""
    if not _CLASSES:
        for cls in (
            ast.Span, ast.PredicateSym, ast.Variable, ast.Wildcard, ast.Constant, ast.BinOp, ast.Atom,
            ast.NegLiteral, ast.Comparison, ast.Assignment, ast.Fact, ast.Rule, ast.Query, ast.Param,
            ast.Declaration, ast.RelationDecl, ast.Dialect, ast.SourceBlock, ast.EntityDecl, ast.Qualifier,
            ast.Statement, ast.Sentence, ast.TrustBlock,
            Source, Entity, Template, Relation, StatementRecord,
            Retraction,
        ):
            _CLASSES[cls.__name__] = cls
            _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.init)
    return _CLASSES


# --- encoding -----------------------------------------------------------------------------------


def plain(obj: object) -> Any:
    """obj as JSON-ready lists, dicts and scalars (tagged where JSON has no such kind)."""
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, datetime.date) and not isinstance(obj, datetime.datetime):
        return {"date": obj.isoformat()}
    if isinstance(obj, tuple):
        return [plain(x) for x in obj]
    if isinstance(obj, frozenset):
        return {"frozenset": [plain(x) for x in obj]}
    cls = type(obj)
    if classes().get(cls.__name__) is cls:
        out: dict[str, Any] = {"class": cls.__name__}
        for name in _FIELDS[cls]:
            out[name] = plain(getattr(obj, name))
        return out
    raise TypeError(f"cannot store a {cls.__name__}")  # a bug: only known classes reach the store


def dumps(obj: object) -> str:
    return json.dumps(plain(obj), ensure_ascii=False, separators=(",", ":"))


def _date_default(obj: object) -> Any:
    if isinstance(obj, datetime.date) and not isinstance(obj, datetime.datetime):
        return {"date": obj.isoformat()}
    raise TypeError(f"cannot store a {type(obj).__name__}")


def dumps_values(values: list[Any]) -> str:
    """A list of plain values and lists of them (rows): the fast path, dates tagged."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"), default=_date_default)


# --- decoding -----------------------------------------------------------------------------------


def _date(text: object) -> datetime.date:
    if not isinstance(text, str):
        raise CodecError("a date that is not text")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CodecError(f"not a date: {text!r}") from None


def built(data: Any) -> Any:
    """The inverse of `plain`: lists become tuples, tagged objects dates, frozensets and instances."""
    if data is None or isinstance(data, (str, bool, int, float)):
        return data
    if isinstance(data, list):
        return tuple(built(x) for x in data)
    if isinstance(data, dict):
        if set(data) == {"date"}:
            return _date(data["date"])
        if set(data) == {"frozenset"} and isinstance(data["frozenset"], list):
            return frozenset(built(x) for x in data["frozenset"])
        name = data.get("class")
        cls = classes().get(name) if isinstance(name, str) else None
        if cls is None:
            raise CodecError(f"unknown stored class {name!r}")
        fields = _FIELDS[cls]
        if set(data) - {"class"} != set(fields):
            raise CodecError(f"stored {name} with other fields than {', '.join(fields)}")
        try:
            return cls(**{f: built(data[f]) for f in fields})
        except TypeError as exc:
            raise CodecError(f"stored {name}: {exc}") from None
    raise CodecError(f"unexpected stored value {data!r}")


def loads(text: object) -> Any:
    if not isinstance(text, str):
        raise CodecError("stored JSON that is not text")
    try:
        data = json.loads(text)
    except ValueError as exc:  # json.JSONDecodeError, or a number too long to read
        raise CodecError(f"damaged JSON: {exc}") from None
    return built(data)


def _value_hook(obj: dict[str, Any]) -> Any:
    if set(obj) == {"date"}:
        return _date(obj["date"])
    raise CodecError("a stored value that is neither a scalar nor a date")


def loads_values(text: object) -> list[Any]:
    """The inverse of `dumps_values`: a list (inner lists stay lists; the caller makes rows)."""
    if not isinstance(text, str):
        raise CodecError("stored JSON that is not text")
    try:
        data = json.loads(text, object_hook=_value_hook)
    except ValueError as exc:
        raise CodecError(f"damaged JSON: {exc}") from None
    if not isinstance(data, list):
        raise CodecError("stored rows that are not a list")
    return data


def row(values: object) -> ast.Row:
    """A stored row: a list of str, int, float and date values (never bool, never nested)."""
    if not isinstance(values, list):
        raise CodecError("a stored row that is not a list")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (str, int, float, datetime.date)):
            raise CodecError(f"a stored value that is not str, int, float or date: {v!r}")
    return tuple(values)


__all__ = ["CodecError", "built", "classes", "dumps", "dumps_values", "loads", "loads_values", "plain", "row"]

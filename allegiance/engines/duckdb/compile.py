"""Compiling rules to SQL for the DuckDB engine: value representations, column type inference,
and terms, comparisons, arithmetic and rule bodies as SQL text.

Stage: engine (the DuckDB engine's compiler). Input: ast rules and terms, and each column's representation
(s, i, f, d native; t tagged VARCHAR, see engine.py's docstring). Output: SQL text whose every
constant is a bound parameter (`Params`) and whose every name is one we generate; no text from a
user ever becomes SQL syntax. Nothing here talks to a database.

Why one module: a column's representation decides the SQL of every term, comparison and join over
it, so the kinds inferred here and the SQL written from them are one concept, the compiler; the Spark
engine reuses it whole (engines/spark/dialect.py carries its SQL to Spark's dialect).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ... import ast, errors, values
from ...ast import PredicateSym, Row, Value

Kinds = tuple[frozenset[str], ...]

SQL_TYPE = {"s": "VARCHAR", "i": "BIGINT", "f": "DOUBLE", "d": "DATE", "t": "VARCHAR"}
DECLARED_KIND = {"symbol": "s", "string": "s", "number": "i", "float": "f", "date": "d"}
ALL_KINDS = frozenset("sifd")
_INT64 = (values.INT64_MIN, values.INT64_MAX)


# --- values and their representations -----------------------------------------------------------


def kind_of(value: object) -> str:
    """s, i, f or d; bool and datetime are refused: they would silently become 1 or a date."""
    if isinstance(value, (bool, datetime.datetime)):
        raise errors.QueryError(f"unsupported value {value!r}: values are str, int, float or date")
    if isinstance(value, str):
        return "s"
    if isinstance(value, int):
        return "i"
    if isinstance(value, float):
        return "f"
    if isinstance(value, datetime.date):
        return "d"
    raise errors.QueryError(f"unsupported value {value!r}: values are str, int, float or date")


_KINDS_OF_TYPES = {str: "s", int: "i", float: "f", datetime.date: "d"}


def column_kinds(column: Sequence[object]) -> set[str]:
    """The kinds of a column's values, as kind_of gives them, looking at one value per type (a
    column of 100,000 values has a type or two): the same kinds, and kind_of's refusal where a
    value has none (naming a value of that type, not always the column's first such)."""
    kinds = set()
    for t in set(map(type, column)):
        kind = _KINDS_OF_TYPES.get(t)
        kinds.add(kind if kind is not None else kind_of(next(v for v in column if type(v) is t)))
    return kinds


def stored_as_is(rows: Collection[Row], reps: Sequence[str]) -> bool:
    """Whether encode leaves every value of rows as it is under reps: no tagged column, and every
    integer in 64 bits (a row is then its own key; else each value is encoded, which refuses one
    that does not fit)."""
    if "t" in reps:
        return False
    for j, rep in enumerate(reps):
        if rep == "i" and rows:
            column = [row[j] for row in rows]
            if min(column) < _INT64[0] or max(column) > _INT64[1]:  # type: ignore[operator]
                return False
    return True


def row_key(reps: Sequence[str], rows: Collection[Row]) -> Callable[[Row], tuple[object, ...]]:
    """How rows become the keys a table of `reps` holds: each row itself where encode would leave
    every value as it is (stored_as_is: no call per value), else each value encoded."""
    if stored_as_is(rows, reps):
        return lambda row: row
    return lambda row: tuple(encode(v, rep) for v, rep in zip(row, reps, strict=True))


def rep_for(kinds: frozenset[str]) -> str:
    """The column representation: the one kind, 't' (tagged VARCHAR) for several, VARCHAR for none."""
    if len(kinds) == 1:
        return next(iter(kinds))
    return "t" if kinds else "s"


def encode(value: Value, rep: str) -> object:
    """A Python value as stored in a column of `rep` (the caller checked that its kind fits)."""
    if isinstance(value, int) and not _INT64[0] <= value <= _INT64[1]:
        raise errors.QueryError(f"integer {value} does not fit in 64 bits")
    if rep != "t":
        return value
    kind = kind_of(value)
    if isinstance(value, str):
        return "s:" + value
    if isinstance(value, datetime.date):
        return "d:" + value.isoformat()
    # repr of a float is the shortest round-trip form, which is also DuckDB's CAST(DOUBLE AS VARCHAR)
    return f"{kind}:{value!r}"


def _decode_tagged(text: str) -> Value:
    kind, payload = text[0], text[2:]
    if kind == "s":
        return payload
    if kind == "i":
        return int(payload)
    if kind == "f":
        return float(payload)
    return datetime.date.fromisoformat(payload)


def row_decoder(reps: Sequence[str]) -> Callable[[tuple[object, ...]], Row]:
    if not reps:
        return lambda _raw: ()
    tagged = [j for j, rep in enumerate(reps) if rep == "t"]
    if not tagged:
        return lambda raw: raw  # type: ignore[return-value]

    def decode(raw: tuple[object, ...]) -> Row:
        row = list(raw)
        for j in tagged:
            row[j] = _decode_tagged(str(row[j]))
        return tuple(row)  # type: ignore[arg-type]

    return decode


def unnested(reps: Sequence[str], rows: Sequence[Row]) -> tuple[list[list[object]], str]:
    """rows as one list parameter a column, encoded for columns of `reps`, and the SELECT items
    that unnest them into rows again (`SELECT {items}`)."""
    columns: list[list[object]]
    if stored_as_is(rows, reps):  # each value as it is: no call per value
        columns = [[row[j] for row in rows] for j in range(len(reps))]
    else:
        columns = [[encode(row[j], rep) for row in rows] for j, rep in enumerate(reps)]
    items = ", ".join(f"unnest(CAST(${j + 1} AS {SQL_TYPE[rep]}[]))" for j, rep in enumerate(reps))
    return columns, items


def column_names(arity: int) -> list[str]:
    return [f"c{j}" for j in range(arity)] if arity else ["z"]


def column_defs(reps: Sequence[str]) -> str:
    if not reps:
        return "z BOOLEAN"
    return ", ".join(f"c{j} {SQL_TYPE[rep]}" for j, rep in enumerate(reps))


# --- type inference ---------------------------------------------------------------------------------


def _term_kinds(term: ast.Term, env: Mapping[str, frozenset[str]]) -> frozenset[str]:
    if isinstance(term, ast.Variable):
        return env.get(term.name, frozenset())
    if isinstance(term, ast.Constant):
        return frozenset(kind_of(term.value))
    if isinstance(term, ast.BinOp):
        return _arith_kinds(_term_kinds(term.left, env), _term_kinds(term.right, env))
    return ALL_KINDS


def _arith_kinds(left: frozenset[str], right: frozenset[str]) -> frozenset[str]:
    """int op int is an int; a float with any number is a float; anything else has no value."""
    out: set[str] = set()
    if "i" in left and "i" in right:
        out.add("i")
    if left & {"i", "f"} and right & {"i", "f"} and ("f" in left or "f" in right):
        out.add("f")
    return frozenset(out)


def infer_kinds(
    rules: Iterable[ast.Rule], start: Mapping[PredicateSym, Kinds]
) -> dict[PredicateSym, Kinds]:
    """Kinds of every column: the fixpoint of `start` flowing through the rules into their heads."""
    kinds: dict[PredicateSym, list[set[str]]] = {s: [set(c) for c in cols] for s, cols in start.items()}
    rules = tuple(rules)

    def column(sym: PredicateSym) -> list[set[str]]:
        return kinds.setdefault(sym, [set() for _ in range(sym.arity)])

    changed = True
    while changed:
        changed = False
        for rule in rules:
            env: dict[str, frozenset[str]] = {}
            for literal in rule.body:
                if isinstance(literal, ast.Atom):
                    cols = column(literal.sym)
                    for j, arg in enumerate(literal.args):
                        if isinstance(arg, ast.Variable):
                            here = frozenset(cols[j])
                            env[arg.name] = env[arg.name] & here if arg.name in env else here
                elif isinstance(literal, ast.Assignment):
                    env[literal.variable.name] = _term_kinds(literal.expr, env)
            head = column(rule.head.sym)
            for j, arg in enumerate(rule.head.args):
                new = _term_kinds(arg, env) - head[j]
                if new:
                    head[j].update(new)
                    changed = True
    return {s: tuple(frozenset(c) for c in cols) for s, cols in kinds.items()}


def program_kinds(
    rules: Sequence[ast.Rule], types: Mapping[PredicateSym, Sequence[str]],
    fact_kinds: Mapping[PredicateSym, Sequence[Iterable[str]]],
) -> dict[PredicateSym, Kinds]:
    """Kinds of every column of every predicate the rules, the declarations or the facts mention:
    the facts' kinds and the declared types, flowed through the rules (infer_kinds)."""
    mentioned = set(types) | set(fact_kinds)
    for rule in rules:
        mentioned |= body_preds(rule) | {rule.head.sym}
    start: dict[PredicateSym, Kinds] = {}
    for sym in mentioned:
        declared = types.get(sym, ())
        facts = fact_kinds.get(sym, ())
        start[sym] = tuple(
            (frozenset(facts[j]) if j < len(facts) else frozenset())
            | (frozenset(DECLARED_KIND[declared[j]]) if j < len(declared) and declared[j] in DECLARED_KIND else frozenset())
            for j in range(sym.arity))
    return infer_kinds(rules, start)


def query_rules_in_order(rules: Iterable[ast.Rule]) -> dict[PredicateSym, list[ast.Rule]]:
    """A query's rules by head, heads in dependency order (each after the query predicates it reads;
    none is recursive, CheckedQuery says so)."""
    own: dict[PredicateSym, list[ast.Rule]] = {}
    for rule in rules:
        own.setdefault(rule.head.sym, []).append(rule)
    order: list[PredicateSym] = []

    def visit(sym: PredicateSym) -> None:
        if sym in own and sym not in order:
            for rule in own[sym]:
                for dep in body_preds(rule):
                    if dep != sym:
                        visit(dep)
            order.append(sym)

    for sym in own:
        visit(sym)
    return {sym: own[sym] for sym in order}


# --- SQL for terms, comparisons and rules -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expr:
    """A SQL expression and the representation of its value; nullable when it may have no value."""

    sql: str
    rep: str
    nullable: bool = False


class Params:
    """The bound parameters of one statement: constants never become SQL text."""

    def __init__(self) -> None:
        self.values: list[object] = []
        self.aliases = 0

    def const(self, value: Value) -> Expr:
        kind = kind_of(value)
        self.values.append(encode(value, kind))
        return Expr(f"CAST(${len(self.values)} AS {SQL_TYPE[kind]})", kind)

    def alias(self, prefix: str) -> str:
        self.aliases += 1
        return f"{prefix}{self.aliases}"


def _mention(*exprs: Expr) -> str:
    """A condition that reads every expr and decides nothing: a statement must still mention the
    parameters inside an operand whose value turned out not to matter (DuckDB counts them)."""
    return " AND ".join(f"({e.sql}) IS NULL" for e in exprs) or "TRUE"


def _always(value: bool, *exprs: Expr) -> str:
    return f"(TRUE OR {_mention(*exprs)})" if value else f"(FALSE AND {_mention(*exprs)})"


def _no_value(rep: str, *exprs: Expr) -> Expr:
    return Expr(f"CAST((CASE WHEN {_mention(*exprs)} THEN NULL END) AS {SQL_TYPE[rep]})", rep, True)


def _view(e: Expr, group: str) -> tuple[str, str] | None:
    """(condition, value) reading e as kind `group` (s, d, i; n: any number as DOUBLE), or None."""
    if e.rep == "t":
        if group == "n":
            return f"left({e.sql}, 2) IN ('i:', 'f:')", f"TRY_CAST(substr({e.sql}, 3) AS DOUBLE)"
        return f"left({e.sql}, 2) = '{group}:'", f"TRY_CAST(substr({e.sql}, 3) AS {SQL_TYPE[group]})"
    if group == e.rep:
        return "TRUE", e.sql
    if group == "n" and e.rep in ("i", "f"):
        return "TRUE", f"CAST({e.sql} AS DOUBLE)"
    return None


def _to_tagged(e: Expr) -> Expr:
    if e.rep == "t":
        return e
    if e.rep == "s":
        return Expr(f"('s:' || {e.sql})", "t", e.nullable)
    return Expr(f"('{e.rep}:' || CAST({e.sql} AS VARCHAR))", "t", e.nullable)


def convert(e: Expr, rep: str) -> Expr:
    if e.rep == rep:
        return e
    if rep == "t":
        return _to_tagged(e)
    if e.rep == "t":
        view = _view(e, rep)
        assert view is not None
        return Expr(f"(CASE WHEN {view[0]} THEN {view[1]} END)", rep, True)
    if e.rep == "i" and rep == "f":
        return Expr(f"CAST({e.sql} AS DOUBLE)", "f", e.nullable)
    return _no_value(rep, e)


def compare_sql(op: str, a: Expr, b: Expr) -> str:
    """A SQL condition for `a op b` (op: = != < <= > >=) across representations."""
    sql_op = "<>" if op == "!=" else op
    numeric = {"i", "f"}
    if (a.rep == b.rep and a.rep != "t") or (a.rep in numeric and b.rep in numeric):
        return f"({a.sql} {sql_op} {b.sql})"
    if op in ("=", "!="):
        if a.rep == "t" or b.rep == "t":
            return f"({_to_tagged(a).sql} {sql_op} {_to_tagged(b).sql})"
        return _always(op != "=", a, b)  # values of different kinds are never equal
    branches = []
    for group in ("i", "n", "s", "d"):
        va, vb = _view(a, group), _view(b, group)
        if va and vb:
            branches.append(f"WHEN {va[0]} AND {vb[0]} THEN {va[1]} {sql_op} {vb[1]}")
    if not branches:
        return _always(False, a, b)
    return f"(CASE {' '.join(branches)} ELSE FALSE END)"


def _arith(op: str, a: Expr, b: Expr) -> Expr:
    """`a op b` for + - * / %: int op int stays an int (`/` truncates), with a float it is a float.
    A divisor of zero gives no value (values.apply), written `NULLIF(b, 0)` rather than left to the
    engine: DuckDB gives inf for a float over 0.0, and Spark in ANSI mode (which it runs in, so that
    an integer overflow is an error as on DuckDB) raises DIVIDE_BY_ZERO."""
    int_op = "//" if op == "/" else op

    def divisor(sql: str) -> str:
        return f"NULLIF({sql}, 0)" if op in ("/", "%") else sql

    if a.rep in ("i", "f") and b.rep in ("i", "f"):
        if a.rep == b.rep == "i":
            return Expr(f"({a.sql} {int_op} {divisor(b.sql)})", "i", True)
        return Expr(f"(CAST({a.sql} AS DOUBLE) {op} {divisor(f'CAST({b.sql} AS DOUBLE)')})", "f", True)
    branches = []
    ia, ib = _view(a, "i"), _view(b, "i")
    if ia and ib:
        branches.append(f"WHEN {ia[0]} AND {ib[0]} THEN 'i:' || CAST(({ia[1]} {int_op} {divisor(ib[1])}) AS VARCHAR)")
    na, nb = _view(a, "n"), _view(b, "n")
    if na and nb:
        branches.append(f"WHEN {na[0]} AND {nb[0]} THEN 'f:' || CAST(({na[1]} {op} {divisor(nb[1])}) AS VARCHAR)")
    if not branches:  # a string or a date in arithmetic: no value
        return _no_value("t", a, b)
    return Expr(f"(CASE {' '.join(branches)} END)", "t", True)


def _term(term: ast.Term, bindings: Mapping[str, Expr], params: Params) -> Expr:
    if isinstance(term, ast.Variable):
        return bindings[term.name]
    if isinstance(term, ast.Constant):
        return params.const(term.value)
    if isinstance(term, ast.BinOp):
        return _arith(term.op, _term(term.left, bindings, params), _term(term.right, bindings, params))
    raise AssertionError("a wildcard outside an atom breaks the CheckedProgram contract")


Source = Callable[[PredicateSym], str]  # a predicate -> the table (or CTE) a body atom reads


def rule_select(
    rule: ast.Rule,
    sources: Sequence[str],
    negated_source: Source,
    reps_of: Callable[[PredicateSym], tuple[str, ...]],
    params: Params,
) -> str:
    """One SELECT producing the head rows of `rule`, in the head predicate's representations.

    sources[i] is the table read by the i-th positive body atom (full relation or delta)."""
    froms: list[str] = []
    conds: list[str] = []
    bindings: dict[str, Expr] = {}
    deferred: list[tuple[Expr, ast.Term]] = []
    positive = [lit for lit in rule.body if isinstance(lit, ast.Atom)]
    for i, atom in enumerate(positive):
        alias = params.alias("t")
        froms.append(f"{sources[i]} AS {alias}")
        reps = reps_of(atom.sym)
        for j, arg in enumerate(atom.args):
            col = Expr(f"{alias}.c{j}", reps[j])
            if isinstance(arg, ast.Variable):
                if arg.name in bindings:
                    conds.append(compare_sql("=", bindings[arg.name], col))
                else:
                    bindings[arg.name] = col
            elif isinstance(arg, ast.Constant):
                conds.append(compare_sql("=", col, params.const(arg.value)))
            elif isinstance(arg, ast.BinOp):
                deferred.append((col, arg))  # defensive: analysis moves expressions out of atoms
    for literal in rule.body:
        if isinstance(literal, ast.Assignment):
            value = _term(literal.expr, bindings, params)
            if literal.variable.name in bindings:
                conds.append(compare_sql("=", bindings[literal.variable.name], value))
            else:
                bindings[literal.variable.name] = value
            if value.nullable:
                conds.append(f"({value.sql}) IS NOT NULL")
        elif isinstance(literal, ast.Comparison):
            left = _term(literal.left, bindings, params)
            right = _term(literal.right, bindings, params)
            conds.append(compare_sql(literal.op, left, right))
        elif isinstance(literal, ast.NegLiteral):
            conds.append(_not_exists(literal.atom, negated_source, reps_of, bindings, params))
    for col, term in deferred:
        conds.append(compare_sql("=", col, _term(term, bindings, params)))
    items: list[str] = []
    head_reps = reps_of(rule.head.sym)
    for j, arg in enumerate(rule.head.args):
        value = convert(_term(arg, bindings, params), head_reps[j])
        items.append(f"{value.sql} AS c{j}")
        if value.nullable:
            conds.append(f"({value.sql}) IS NOT NULL")
    if not items:
        items.append("TRUE AS z")
    sql = f"SELECT {', '.join(items)}"
    if froms:
        sql += f" FROM {', '.join(froms)}"
    if conds:
        sql += f" WHERE {' AND '.join(conds)}"
    return sql


def _not_exists(
    atom: ast.Atom,
    source: Source,
    reps_of: Callable[[PredicateSym], tuple[str, ...]],
    bindings: Mapping[str, Expr],
    params: Params,
) -> str:
    # not q(X, c)  ->  NOT EXISTS (SELECT 1 FROM q WHERE q.c0 = X AND q.c1 = c)
    alias = params.alias("n")
    reps = reps_of(atom.sym)
    conds = []
    for j, arg in enumerate(atom.args):
        if isinstance(arg, ast.Wildcard):
            continue
        conds.append(compare_sql("=", Expr(f"{alias}.c{j}", reps[j]), _term(arg, bindings, params)))
    where = f" WHERE {' AND '.join(conds)}" if conds else ""
    return f"NOT EXISTS (SELECT 1 FROM {source(atom.sym)} AS {alias}{where})"


def copied_relation(rule: ast.Rule) -> PredicateSym | None:
    """The relation whose rows the rule copies as they are (its body one atom of distinct
    variables, its head those variables in the same order); None for any other rule."""
    if len(rule.body) != 1 or not isinstance(rule.body[0], ast.Atom):
        return None
    args = rule.body[0].args
    if not all(isinstance(a, ast.Variable) for a in args) or len(set(args)) != len(args):
        return None
    return rule.body[0].sym if rule.head.args == args else None


def is_projection_of_a_set(rule: ast.Rule) -> bool:
    """Whether rule's rows are distinct whenever its one body atom's relation is: the body is a
    single atom of distinct variables and constants, the head exactly those variables."""
    if len(rule.body) != 1 or not isinstance(rule.body[0], ast.Atom):
        return False
    names = []
    for arg in rule.body[0].args:
        if isinstance(arg, ast.Variable):
            names.append(arg.name)
        elif not isinstance(arg, ast.Constant):
            return False
    head = [a.name for a in rule.head.args if isinstance(a, ast.Variable)]
    return (
        len(head) == len(rule.head.args)
        and len(set(names)) == len(names)
        and sorted(head) == sorted(names)
    )


def stable_positions(rules: Iterable[ast.Rule]) -> set[int]:
    """Positions j of a linear stratum's predicate that every recursive rule copies unchanged from
    its recursive atom to its head (the same variable at j in both): a row's value there is the one
    of the row it was derived from."""
    rules = tuple(rules)
    if not rules:
        return set()
    sym = rules[0].head.sym
    stable = set(range(sym.arity))
    for rule in rules:
        for atom in positive_atoms(rule):
            if atom.sym != sym:
                continue
            stable = {
                j for j in stable
                if isinstance(rule.head.args[j], ast.Variable)
                and isinstance(atom.args[j], ast.Variable)
                and rule.head.args[j].name == atom.args[j].name  # type: ignore[union-attr]
            }
    return stable


def reach_steps(rules: Iterable[ast.Rule], stable: set[int]) -> tuple[int, list[ast.Rule]] | None:
    """For a linear stratum whose one unstable position j is passed from head to recursive atom
    through a step that the stable positions take no part in, (j, the step rules); else None.

        p(X, Z) :- allied(X, Y), p(Y, Z).    gives j = 0 and   __step(X, Y) :- allied(X, Y).

    Then the rows of p with value c at j are the base rows (facts and non-recursive rules) whose
    value at j is reachable from c by steps, with c put at j: a point query of right recursion is a
    reachability, not the whole closure. A step that is the identity adds nothing and is dropped."""
    rules = tuple(rules)
    if not rules:
        return None
    sym = rules[0].head.sym
    unstable = set(range(sym.arity)) - stable
    if len(unstable) != 1:
        return None
    (j,) = unstable
    steps: list[ast.Rule] = []
    for rule in rules:
        recursive = [a for a in positive_atoms(rule) if a.sym == sym]
        if not recursive:
            continue
        (atom,) = recursive
        head_u, atom_u = rule.head.args[j], atom.args[j]
        if not isinstance(head_u, ast.Variable) or not isinstance(atom_u, ast.Variable):
            return None
        if head_u.name == atom_u.name:
            continue
        rest = [lit for lit in rule.body if lit is not atom]
        outputs = {a.name for k, a in enumerate(atom.args) if k != j and isinstance(a, ast.Variable)}
        mentioned: set[str] = set()
        bound: set[str] = set()
        for lit in rest:
            mentioned |= _variables(lit)
            if isinstance(lit, ast.Atom):
                bound |= _variables(lit)
            elif isinstance(lit, ast.Assignment):
                bound.add(lit.variable.name)
        if mentioned & outputs or not {head_u.name, atom_u.name} <= bound:
            return None
        steps.append(ast.Rule(ast.Atom("__step", (head_u, atom_u), rule.span), tuple(rest), rule.span))
    return j, steps


def steps_are_base(rules: Iterable[ast.Rule], j: int, steps: Sequence[ast.Rule]) -> bool:
    """Whether a binary linear stratum's non-recursive rules, read from position j (reach_steps'
    unstable one) to the other, are its steps, up to the names of variables: then its rows with c
    at j are c and what c reaches in one step or more, and a reachability yields them with no join
    to the base (seeding.py's `_reach_from`).

        linked(X, Y) :- tie(X, Y).   linked(X, Z) :- tie(X, Y), linked(Y, Z).   (j 0, __step = tie)
        before(X, Y) :- e(X, Y).     before(X, Z) :- before(X, Y), e(Y, Z).     (j 1, __step(Z, Y) :- e(Y, Z))"""
    rules = tuple(rules)
    if not rules or rules[0].head.sym.arity != 2 or not steps:
        return False
    sym = rules[0].head.sym
    base = [r for r in rules if sym not in {a.sym for a in positive_atoms(r)}]
    return {_shape(r, (j, 1 - j)) for r in base} == {_shape(r, (0, 1)) for r in steps}


def _shape(rule: ast.Rule, order: tuple[int, ...]) -> tuple[object, ...]:
    """A rule with its head's name dropped, its head's arguments in `order` and its variables named
    by first occurrence: equal for two rules that differ only there."""
    names: dict[str, int] = {}

    def shape(node: object) -> object:
        if isinstance(node, ast.Variable):
            return ("var", names.setdefault(node.name, len(names)))
        if isinstance(node, tuple):
            return tuple(shape(n) for n in node)
        if hasattr(node, "__dataclass_fields__"):
            fields = [f for f in node.__dataclass_fields__ if f != "span"]
            return (type(node).__name__, *(shape(getattr(node, f)) for f in fields))
        return node

    return (shape(tuple(rule.head.args[k] for k in order)), shape(rule.body))


def permutations_closed(rules: Iterable[ast.Rule]) -> list[tuple[int, ...]] | None:
    """For a linear stratum whose every recursive rule only reorders its predicate's arguments,
    the group those orders generate (each a tuple: the head's position k takes the body's
    position perm[k]); else None. Its rows are then the base's rows under each order of the group,
    with no recursion (a symmetric relation: the base and its rows flipped).

        ally(X, Y) :- ally(Y, X).    gives [(0, 1), (1, 0)]"""
    rules = tuple(rules)
    if not rules:
        return None
    sym = rules[0].head.sym
    generators: list[tuple[int, ...]] = []
    for rule in rules:
        if sym not in {a.sym for a in positive_atoms(rule)}:
            continue
        (atom,) = rule.body if len(rule.body) == 1 else (None,)
        if not isinstance(atom, ast.Atom) or atom.statement is not None:
            return None
        body = [a.name if isinstance(a, ast.Variable) else None for a in atom.args]
        head = [a.name if isinstance(a, ast.Variable) else None for a in rule.head.args]
        if None in body or len(set(body)) != len(body) or sorted(head, key=str) != sorted(body, key=str):
            return None
        generators.append(tuple(body.index(name) for name in head))
    if not generators:
        return None
    group = {tuple(range(sym.arity))}
    frontier = list(group)
    while frontier:  # every product of generators: a group of a few permutations of a few positions
        perm = frontier.pop()
        for g in generators:
            product = tuple(perm[g[k]] for k in range(sym.arity))
            if product not in group:
                group.add(product)
                frontier.append(product)
    return sorted(group)


def _variables(node: ast.Literal | ast.Term) -> set[str]:
    if isinstance(node, ast.Variable):
        return {node.name}
    if isinstance(node, ast.Atom):
        return set().union(*(_variables(a) for a in node.args)) if node.args else set()
    if isinstance(node, ast.NegLiteral):
        return _variables(node.atom)
    if isinstance(node, ast.Comparison):
        return _variables(node.left) | _variables(node.right)
    if isinstance(node, ast.Assignment):
        return {node.variable.name} | _variables(node.expr)
    if isinstance(node, ast.BinOp):
        return _variables(node.left) | _variables(node.right)
    return set()


def positive_atoms(rule: ast.Rule) -> list[ast.Atom]:
    return [lit for lit in rule.body if isinstance(lit, ast.Atom)]


# Semi-naive evaluation, one round of a rule  h :- b1, ..., bn.  whose body reads this stratum:
#   round 0:  h :- b1, ..., bn.                         (every atom over its full relation)
#   round i:  h :- b1, ..., Δbk, ..., bn.   for each k whose relation gained rows in round i-1
def round_sources(rule: ast.Rule, full: Callable[[PredicateSym], str],
                  delta: Mapping[PredicateSym, str] | None) -> list[list[str]]:
    """The FROM sources of each SELECT a rule contributes to one round, one per positive atom:
    its full relation's table, or (one variant per changed atom) the last round's delta. delta None:
    the first round, one SELECT over the full relations."""
    full_sources = [full(a.sym) for a in positive_atoms(rule)]
    if delta is None:
        return [full_sources]
    return [[*full_sources[:k], delta[atom.sym], *full_sources[k + 1:]]
            for k, atom in enumerate(positive_atoms(rule)) if atom.sym in delta]


def body_preds(rule: ast.Rule) -> set[PredicateSym]:
    found = set()
    for lit in rule.body:
        if isinstance(lit, ast.Atom):
            found.add(lit.sym)
        elif isinstance(lit, ast.NegLiteral):
            found.add(lit.atom.sym)
    return found


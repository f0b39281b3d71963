"""Helpers shared by the engine tests (a plain module, not a conftest: the REPL tests have a conftest of their own, and `import conftest` would find whichever came first)."""

from __future__ import annotations

# --- hand-built checked programs (written for test_pydatalog.py; any engine test may use them) ---
# Until allegiance.analysis.check lands, tests build CheckedPrograms from ast nodes. These helpers
# trust the caller to respect checked.py's contract (bodies in evaluation order, safe rules).
from allegiance import ast
from allegiance.analysis.checked import CheckedProgram, CheckedQuery, Stratum


def hv(name: str) -> ast.Variable:
    """A variable."""
    return ast.Variable(name)


def hc(value: ast.Value) -> ast.Constant:
    """A constant."""
    return ast.Constant(value)


def _term(x: ast.Term | ast.Value) -> ast.Term:
    """`"X"` (a capital first) is a variable, `"_3"` the wildcard numbered 3, any other value a
    constant."""
    if isinstance(x, (ast.Variable, ast.Wildcard, ast.Constant, ast.BinOp)):
        return x
    if isinstance(x, str) and x[:1] == "_" and x[1:].isdigit():
        return ast.Wildcard(int(x[1:]))
    if isinstance(x, str) and x[:1].isupper():
        return ast.Variable(x)
    return ast.Constant(x)


def hatom(pred: str, *args: ast.Term | ast.Value) -> ast.Atom:
    return ast.Atom(pred, tuple(_term(a) for a in args))


def hnot(pred: str, *args: ast.Term | ast.Value) -> ast.NegLiteral:
    return ast.NegLiteral(hatom(pred, *args))


def hop(op: str, left: ast.Term | ast.Value, right: ast.Term | ast.Value) -> ast.BinOp:
    return ast.BinOp(op, _term(left), _term(right))


def hcmp(op: str, left: ast.Term | ast.Value, right: ast.Term | ast.Value) -> ast.Comparison:
    return ast.Comparison(op, _term(left), _term(right))


def hassign(variable: str, expr: ast.Term | ast.Value) -> ast.Assignment:
    return ast.Assignment(ast.Variable(variable), _term(expr))


def hrule(head: ast.Atom, *body: ast.Literal) -> ast.Rule:
    return ast.Rule(head, tuple(body))


def hand_checked(*rules: ast.Rule) -> CheckedProgram:
    """A CheckedProgram of the rules in one stratum (enough for engines that order evaluation
    themselves, such as pyDatalog)."""
    heads = frozenset(r.head.sym for r in rules)
    strata = (Stratum(heads, tuple(rules), recursive=True),) if rules else ()
    return CheckedProgram(rules=tuple(rules), strata=strata)


def hand_query(*body: ast.Literal) -> CheckedQuery:
    """`?- body.` as analysis would hand it over: one rule `__query(vars) :- body.`"""
    query = ast.Query(tuple(body))
    variables = query.variables
    goal = ast.Atom("__query", variables)
    return CheckedQuery(
        rules=(ast.Rule(goal, tuple(body)),),
        goal=goal.sym,
        variables=tuple(v.name for v in variables),
        source=query,
    )


# --- text programs and explicit strata (written for test_duckdb*.py) ------------------------------


def checked_text(
    text: str, *known: ast.PredicateSym
) -> tuple[CheckedProgram, dict[ast.PredicateSym, set[ast.Row]]]:
    """Parse and check a Datalog text (`known`: predicates whose facts come separately): its
    CheckedProgram and the facts it states."""
    from allegiance.analysis import check, facts_of
    from allegiance.parse import parse_program

    program = parse_program(text)
    return check(program, known), facts_of(program)


def checked_query_text(text: str, checked: CheckedProgram) -> CheckedQuery:
    from allegiance.analysis import check_query
    from allegiance.parse import parse_query

    return check_query(parse_query(text), checked)


def hand_strata(*strata: tuple[ast.Rule, ...]) -> CheckedProgram:
    """A CheckedProgram whose strata are given in evaluation order (for engines that rely on them)."""
    built = []
    for rules in strata:
        heads = frozenset(r.head.sym for r in rules)
        recursive = any(isinstance(lit, ast.Atom) and lit.sym in heads for r in rules for lit in r.body)
        built.append(Stratum(heads, tuple(rules), recursive))
    return CheckedProgram(rules=tuple(r for s in strata for r in s), strata=tuple(built))


# --- programs from text (parse + analysis), for test_pydatalog.py; any engine test may use them ---
from allegiance.analysis import check, check_query, facts_of  # noqa: E402
from allegiance.parse import parse_program, parse_query  # noqa: E402


def text_program(text: str) -> tuple[CheckedProgram, dict[ast.PredicateSym, set[ast.Row]]]:
    """The checked program and the facts a Datalog text states."""
    program = parse_program(text)
    return check(program), facts_of(program)


def text_query(text: str, program: CheckedProgram) -> CheckedQuery:
    return check_query(parse_query(text), program)


def closure(edges: set[tuple[object, object]] | list[tuple[object, object]]) -> set[tuple[object, object]]:
    """Transitive closure of edges by naive iteration in Python: the answer the engines must give."""
    edge_list = list(edges)
    result = set(edge_list)
    while True:
        new = {(a, d) for (a, b) in result for (c, d) in edge_list if b == c} - result
        if not new:
            return result
        result |= new

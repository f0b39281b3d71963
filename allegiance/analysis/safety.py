"""Safety and normalization of one rule.

Input: an ast.Rule. Output: the rule in the engines' normal form (see checked.py) plus auxiliary
rules for negated literals with local variables, and warnings. Raises UnsafeVariableError for a
head, comparison or expression variable that no positive body atom binds, WildcardInHeadError for
`_` in a head.

Safety: every head variable and every variable of a comparison is bound by a positive body atom or
by an assignment `V = expr` whose expression is bound. A variable that occurs only inside a negated
atom reads "for no value" (Prolog's and Nemo's reading), so
    ok(X) :- person(X), not banned(X, Y).
becomes
    __neg1_banned(X) :- banned(X, Y).
    ok(X) :- person(X), not __neg1_banned(X).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from .. import ast
from ..errors import AllegianceError, UnsafeVariableError, WildcardInHeadError
from ..provenance import statement_relation


@dataclass
class Normalized:
    rule: ast.Rule
    aux_names: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    aux_rules: list[ast.Rule] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[AllegianceError] = field(default_factory=list)
    # One error per unbound variable and rule: the one nearest the start of the rule.
    unbound: dict[str, AllegianceError] = field(default_factory=dict)

    def report_unbound(self, name: str, error: AllegianceError) -> None:
        known = self.unbound.get(name)
        if known is None or _position(error) < _position(known):
            self.unbound[name] = error

    def all_errors(self) -> list[AllegianceError]:
        return [*self.errors, *self.unbound.values()]


def _position(error: AllegianceError) -> tuple[int, int]:
    return (error.span.line, error.span.column) if error.span else (0, 0)


class _Fresh:
    """Fresh variable names that cannot clash with the rule's own (`_T1`, `_T2`, ...)."""

    def __init__(self, rule: ast.Rule | ast.Query) -> None:
        literals = list(rule.body) + ([rule.head] if isinstance(rule, ast.Rule) else [])
        self.taken = {v.name for lit in literals for v in ast.literal_variables(lit)}
        self.counter = itertools.count(1)

    def __call__(self, span: ast.Span) -> ast.Variable:
        while True:
            name = f"_T{next(self.counter)}"
            if name not in self.taken:
                self.taken.add(name)
                return ast.Variable(name, span)


def normalize_rule(rule: ast.Rule, aux_names: Iterator[int]) -> Normalized:
    """`aux_names` numbers the auxiliary predicates of negations (`__neg<N>_pred`)."""
    out = Normalized(rule, aux_names=aux_names)
    for arg in rule.head.args:
        for node in _walk(arg):
            if isinstance(node, ast.Wildcard):
                out.errors.append(WildcardInHeadError(
                    f"`_` in the head of {rule.head.sym}: every head argument needs a value",
                    node.span, "name the variable it stands for, and bind it in the body"))
    body, bound, fresh = _normalize_body(rule, rule.body, out)
    head_args: list[ast.Term] = []
    assignments: list[ast.Literal] = []
    for arg in rule.head.args:
        if isinstance(arg, ast.BinOp):
            # pyDatalog drops heads with arithmetic; evaluate it in the body instead:
            # h(X + 1) :- b(X).   becomes   h(T) :- b(X), T = X + 1.
            var = fresh(arg.span)
            assignments.append(ast.Assignment(var, arg, arg.span))
            head_args.append(var)
        else:
            head_args.append(arg)
    for var in (v for a in rule.head.args for v in ast.term_variables(a)):
        if var.name not in bound:
            out.report_unbound(var.name, UnsafeVariableError(
                f"variable {var.name} in the head of {rule.head.sym} never appears in a positive body literal",
                var.span, f"bind {var.name} with a body atom, or write a constant"))
    out.errors = out.all_errors()
    if out.errors:
        return out
    body = _insert_before_negations(body, assignments)
    head = ast.Atom(rule.head.pred, tuple(head_args), rule.head.span)
    out.rule = ast.Rule(head, tuple(body), rule.span)
    return out


def normalize_query(query: ast.Query, aux_names: Iterator[int]) -> Normalized:
    """A query's body, normalized like a rule's; the caller builds the goal rule around it."""
    head = ast.Atom("__query", tuple(query.variables), query.span)
    rule = ast.Rule(head, query.body, query.span)
    out = Normalized(rule, aux_names=aux_names)
    body, bound, _ = _normalize_body(rule, query.body, out)
    for var in query.variables:
        if var.name not in bound:
            out.errors.append(UnsafeVariableError(
                f"variable {var.name} only occurs in a negated literal, so it has no value to show",
                var.span, f"write _ instead of {var.name}, or bind it with a positive literal"))
    out.errors = out.all_errors()
    if not out.errors:
        out.rule = ast.Rule(head, tuple(body), query.span)
    return out


def _walk(term: ast.Term) -> list[ast.Term]:
    if isinstance(term, ast.BinOp):
        return [term, *_walk(term.left), *_walk(term.right)]
    return [term]


def _names(term: ast.Term) -> set[str]:
    return {v.name for v in ast.term_variables(term)}


def _normalize_body(
    rule: ast.Rule, body: tuple[ast.Literal, ...], out: Normalized
) -> tuple[list[ast.Literal], set[str], _Fresh]:
    fresh = _Fresh(rule)
    positives: list[ast.Atom] = []
    tests: list[ast.Comparison] = []
    negatives: list[ast.NegLiteral] = []
    bound: set[str] = set()
    shown: dict[int, str] = {}  # how to name a test analysis made up, in messages

    for literal in body:
        if isinstance(literal, ast.Atom):
            args: list[ast.Term] = []
            for arg in literal.args:
                if isinstance(arg, ast.BinOp):
                    # fib(N - 1, X): a test, not a binding: fib(T, X), T = N - 1.
                    var = fresh(arg.span)
                    test = ast.Comparison("=", var, arg, arg.span)
                    tests.append(test)
                    shown[id(test)] = str(arg)[1:-1]
                    args.append(var)
                else:
                    args.append(arg)
            if literal.statement is not None:
                args.append(literal.statement)
                atom = ast.Atom(statement_relation(literal.pred), tuple(args), literal.span)
            else:
                atom = ast.Atom(literal.pred, tuple(args), literal.span)
            positives.append(atom)
            bound.update(v.name for v in args if isinstance(v, ast.Variable))
        elif isinstance(literal, ast.NegLiteral):
            negatives.append(literal)
        elif isinstance(literal, ast.Comparison):
            for side in (literal.left, literal.right):
                for node in _walk(side):
                    if isinstance(node, ast.Wildcard):
                        out.errors.append(UnsafeVariableError(
                            "`_` in a comparison compares with nothing", node.span,
                            "name the variable and bind it with a positive literal"))
            tests.append(literal)

    # Order comparisons so each one's inputs are bound; `V = expr` with V new is an assignment.
    ordered: list[ast.Literal] = []
    pending = list(tests)
    while pending:
        progress = False
        for test in list(pending):
            left, right = _names(test.left), _names(test.right)
            if left | right <= bound:
                ordered.append(test)
            elif test.op == "=" and isinstance(test.left, ast.Variable) and test.left.name not in bound and right <= bound:
                ordered.append(ast.Assignment(test.left, test.right, test.span))
                bound.add(test.left.name)
            elif test.op == "=" and isinstance(test.right, ast.Variable) and test.right.name not in bound and left <= bound:
                ordered.append(ast.Assignment(test.right, test.left, test.span))
                bound.add(test.right.name)
            else:
                continue
            pending.remove(test)
            progress = True
        if not progress:
            break
    for test in pending:
        for var in ast.term_variables(test.left) + ast.term_variables(test.right):
            if var.name not in bound:
                out.report_unbound(var.name, UnsafeVariableError(
                    f"variable {var.name} in `{shown.get(id(test), test)}` is not bound by a positive body literal",
                    var.span, f"bind {var.name} with a body atom before comparing it"))
                break

    for neg in negatives:
        ordered.extend(_normalize_negation(rule, neg, bound, fresh, out))
    return [*positives, *ordered], bound, fresh


def _normalize_negation(
    rule: ast.Rule, neg: ast.NegLiteral, bound: set[str], fresh: _Fresh, out: Normalized
) -> list[ast.Literal]:
    atom = neg.atom
    pre: list[ast.Literal] = []
    args: list[ast.Term] = []
    local: list[ast.Term] = []
    for arg in atom.args:
        if isinstance(arg, ast.BinOp):
            missing = _names(arg) - bound
            if missing:
                name = sorted(missing)[0]
                out.report_unbound(name, UnsafeVariableError(
                    f"variable {name} in `{arg}` is not bound by a positive body literal",
                    arg.span, f"bind {name} with a body atom"))
                continue
            var = fresh(arg.span)
            pre.append(ast.Assignment(var, arg, arg.span))
            args.append(var)
        else:
            args.append(arg)
            if isinstance(arg, ast.Wildcard) or (isinstance(arg, ast.Variable) and arg.name not in bound):
                local.append(arg)
    if not local:
        return [*pre, ast.NegLiteral(ast.Atom(atom.pred, tuple(args), atom.span), neg.span)]
    for term in local:
        if isinstance(term, ast.Variable):
            out.warnings.append(
                f"{term.span}: warning: variable {term.name} occurs only in `{neg}`; it reads "
                f"\"for no value of {term.name}\" (write _ to say so without this warning)")
    # not banned(X, Y)  with Y local  ==  not __negN_banned(X)  where  __negN_banned(X) :- banned(X, Y).
    keep = [a for a in args if not (isinstance(a, ast.Wildcard) or (isinstance(a, ast.Variable) and a.name not in bound))]
    keep_vars = list(dict.fromkeys(a for a in keep if isinstance(a, ast.Variable)))
    name = f"__neg{next(out.aux_names)}_{atom.pred}"
    aux_head = ast.Atom(name, tuple(keep_vars), atom.span)
    aux_body = ast.Atom(atom.pred, tuple(args), atom.span)
    out.aux_rules.append(ast.Rule(aux_head, (aux_body,), atom.span))
    return [*pre, ast.NegLiteral(ast.Atom(name, tuple(keep_vars), atom.span), neg.span)]


def _insert_before_negations(body: list[ast.Literal], extra: list[ast.Literal]) -> list[ast.Literal]:
    if not extra:
        return body
    cut = next((i for i, lit in enumerate(body) if isinstance(lit, ast.NegLiteral)), len(body))
    return [*body[:cut], *extra, *body[cut:]]

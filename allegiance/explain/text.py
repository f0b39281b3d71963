"""Facts and literals as Datalog text, with a binding's values filled in.

Stage: shared by the proof search, why-not and their values. Input: a predicate and a row, or a
body literal and a binding (variable name -> value). Output: text such as `ally(fsa, nusra)` or
`member(fsa, X) as S1`, with the bound variables replaced by their values.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import ast


def substitute(term: ast.Term, env: Mapping[str, ast.Value]) -> ast.Term:
    """term with the variables env binds replaced by their values as constants."""
    if isinstance(term, ast.Variable) and term.name in env:
        return ast.Constant(env[term.name])
    if isinstance(term, ast.BinOp):
        return ast.BinOp(term.op, substitute(term.left, env), substitute(term.right, env))
    return term


def bound_text(literal: ast.Literal, env: Mapping[str, ast.Value]) -> str:
    """A literal as Datalog text with the variables env binds replaced by their values."""
    if isinstance(literal, ast.Atom):
        text = str(ast.Atom(literal.pred, tuple(substitute(a, env) for a in literal.args)))
        if literal.statement is not None:
            sid = env.get(literal.statement.name)
            text += f" as {ast.format_value(sid) if sid is not None else literal.statement}"
        return text
    if isinstance(literal, ast.NegLiteral):
        return f"not {bound_text(literal.atom, env)}"
    if isinstance(literal, ast.Comparison):
        return str(ast.Comparison(literal.op, substitute(literal.left, env), substitute(literal.right, env)))
    return str(literal)


def fact_text(sym: ast.PredicateSym, row: ast.Row) -> str:
    """`ally(fsa, nusra)`: a fact as Datalog text, without its period."""
    return f"{sym.name}({', '.join(ast.format_value(v) for v in row)})"



__all__ = ["bound_text", "fact_text", "substitute"]

"""Explanation: why a fact holds, why it does not, and what an inconsistency rests on.

Stage: after the engine. Input: a KnowledgeBase (its rules as written, its engine's relations and
derivation rounds, its statements and catalog) and a fact as text. Output: plain values: `Why` (proof
trees, `Proof`), `WhyNot` (nearest statements, failing rule literals) and, for inconsistencies, the
statements they rest on; then text or JSON.

    proof.py     the values: RuleRef, Evidence, Proof, Why, Failure, WhyNot
    text.py      facts and literals as Datalog text, a binding's values filled in
    search.py    the proof search: Explainer (one per knowledge base state, explainer_for)
    why.py       `why FACT`: parse the fact, find its shallowest proof (or several)
    why_not.py   `whynot FACT`: nearest statements, the literal each rule fails at
    premise.py   a statement as a premise in words: who asserts it, who reported it, its grade
    support.py   the smallest set of statements an inconsistency rests on, weakest first; the
                 weakest statement behind an answer's support
    critical.py  the sources an answer cannot do without (leave-one-out)
    findings.py  each inconsistency with its support, weakest premise and single-source flag
    render.py    a Why, WhyNot or Proof as an indented tree or as JSON

Each imports only the ones above it in this list (render.py only proof.py).
"""

from .proof import Evidence, Failure, Proof, RuleRef, Why, WhyNot
from .render import proof_json, render_tree
from .search import Explainer, explainer_for
from .support import (
    answer_statements,
    explain_inconsistencies,
    fact_support_json,
    graded_why,
    graded_why_not,
    inconsistency_supports,
    support_json,
)
from .text import fact_text
from .why import DEFAULT_LIMIT, parse_fact, why
from .why_not import why_not

__all__ = ["DEFAULT_LIMIT", "answer_statements", "fact_support_json", "graded_why", "graded_why_not", "inconsistency_supports",
           "support_json", "Evidence", "Explainer", "Failure", "Proof", "RuleRef", "Why", "WhyNot",
           "explain_inconsistencies", "explainer_for", "fact_text", "parse_fact", "proof_json", "render_tree",
           "why", "why_not"]

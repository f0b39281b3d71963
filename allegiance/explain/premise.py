"""A premise in words: who asserts a statement, who reported it to us, and how it is graded.

Stage: after the proof search, for the front ends. Input: a statement record and the catalog.
Output: the phrase an analyst writes under a finding: "a claim by Alliance of 41, reported by
Reuters, as quoted by In Foreign, graded F6". The asserter is the statement's own (`claimed by
...`), else the source's publisher. The hops that brought it to us, nearest first: the source's
publisher when that is not the asserter, then the sources it reached us through (`via:`, PROV-O's
wasQuotedFrom). The first hop "reported" it (a report is "quoted": "a report by Reuters, as quoted
by In Foreign"), the later ones "quoted" it. The grade is the Admiralty code of the source's
reliability and the statement's credibility (grades.py: "F" and "6" when not graded), the status
being named by the noun.
"""

from __future__ import annotations

from ..catalog import Catalog
from ..grades import Grade
from ..provenance import StatementRecord

# a statement's status as the noun an analyst uses for it
NOUNS = {"claimed": "a claim", "reported": "a report", "assessed": "an assessment", "confirmed": "a confirmation",
         "denied": "a denial"}


def noun(status: str) -> str:
    """`a claim`, `a report`, ...; a status of the knowledge base's own: `a statement (rumoured)`."""
    return NOUNS.get(status, f"a statement ({status})")


def relays(source: str, catalog: Catalog) -> list[str]:
    """The publishers of the sources a source reached us through (`via:`), nearest first."""
    names: list[str] = []
    seen = {source}
    src = catalog.sources.get(source)
    current = src.via[0] if src and src.via else None
    while current is not None and current not in seen:  # a `via` loop is a curating mistake; stop at it
        seen.add(current)
        relay = catalog.sources.get(current)
        names.append((relay.publisher or relay.id) if relay else current)
        current = relay.via[0] if relay and relay.via else None
    return names


def premise_text(record: StatementRecord, catalog: Catalog) -> str:
    """"a claim by Alliance of 41, reported by Reuters, as quoted by In Foreign, graded F6"."""
    src = catalog.sources.get(record.source)
    publisher = (src.publisher or src.id) if src else record.source
    # `confirmed by agency` naming the source itself: its publisher speaks
    asserter = catalog.display(record.asserter) if record.asserter and record.asserter != record.source else publisher
    grade = Grade.of(src.reliability if src else None, record.credibility, record.status)
    # a publisher named by one of the asserter's aliases is the asserter ("U.S. Department of State"
    # publishing what us_state_department says), not a second hop quoting it
    own = publisher == asserter or (record.asserter is not None and catalog.resolve(publisher) == record.asserter)
    hops = ([] if own else [publisher]) + relays(record.source, catalog)
    parts = [f"{noun(record.status)} by {asserter}"]
    # the first hop reports what the asserter said ("a report by Wire, reported by Blog" says
    # it twice: a report is quoted); the later ones quote the hop before them
    parts += [f"{'reported by' if n == 0 and record.status != 'reported' else 'as quoted by'} {name}"
              for n, name in enumerate(hops)]
    parts.append(f"graded {grade.reliability}{grade.credibility}")
    return ", ".join(parts)


__all__ = ["NOUNS", "noun", "premise_text", "relays"]

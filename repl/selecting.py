"""Meta-commands that choose what counts: `:trust`, `:without`, `:at`, `:known-on`.

Input: a Session and the text after the command's name. Output: an Output saying the selection now
in use (allegiance.selection.Selection), which every query, :why, :whynot, :inconsistencies,
:check, :sources QUERY and :timeline then honour, and which the prompt shows while it is set.
Each takes `off` to clear it; without an argument it shows the setting. A mistake (an unknown
policy or source, a bad date) changes nothing and is drawn with a did-you-mean or a caret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allegiance.selection import Selection, parse_date, validate
from allegiance.trust import DEFAULT, policies

from .commands import special_command
from .output import Output, say

if TYPE_CHECKING:
    from .session import Session


def _set(session: Session, selection: Selection) -> Output:
    validate(selection, session.kb.state)  # raises before anything changes
    session.selection = selection
    described = selection.describe()
    return say(f"counting: {described}" if described else "counting every statement")


def _show(session: Session, what: str) -> Output:
    described = session.selection.describe()
    return say(f"{what}; counting: {described}" if described else f"{what}; counting every statement")


@special_command("trust", "[POLICY|off]", "count only the statements a trust policy trusts (shown in the prompt)",
                 completes="choice:all|confirmed|reliable|usual|dated|off")
def _trust(session: Session, arg: str) -> Output:
    """Built in: all (the default), confirmed, reliable (sources A-B, not merely claimed), usual
    (A-C, not merely claimed), dated (statements that say when they held); and every `.trust`
    policy of the knowledge base. `:trust off` is `:trust all`."""
    name = arg.strip()
    if not name:
        known = ", ".join(sorted(policies(session.kb.state.declarations)))
        return _show(session, f"trust policy {session.selection.trust} (policies: {known})")
    return _set(session, session.selection.replace(trust=DEFAULT if name == "off" else name))


@special_command("without", "[SOURCE...|off]", "leave sources out, a what-if (shown in the prompt)")
def _without(session: Session, arg: str) -> Output:
    """`:without blog_1 blog_2` adds sources to those left out; `:without off` puts them all back."""
    names = arg.split()
    if not names:
        left = ", ".join(sorted(session.selection.without)) or "none"
        return _show(session, f"sources left out: {left}")
    if names == ["off"]:
        return _set(session, session.selection.replace(without=frozenset()))
    return _set(session, session.selection.replace(without=session.selection.without | set(names)))


@special_command("at", "[DATE|off]", "valid time: only statements holding on DATE, YYYY-MM-DD (shown in the prompt)")
def _at(session: Session, arg: str) -> Output:
    """A statement counts on DATE when its `on`, `between`, `since` or `until` covers it (bounds
    included); an undated statement counts on every date (`:trust dated` leaves those out)."""
    if not arg.strip():
        return _show(session, f"at {session.selection.at or 'any date'}")
    if arg.strip() == "off":
        return _set(session, session.selection.replace(at=None))
    session.sources["<:at>"] = arg
    return _set(session, session.selection.replace(at=parse_date(arg, "<:at>")))


@special_command("known-on", "[DATE|off]", "knowledge time: only sources published by DATE (shown in the prompt)")
def _known_on(session: Session, arg: str) -> Output:
    """What we knew on DATE: statements of sources published on or before it, or reported on or
    before it where a statement has its own `reported on` date (a source with no date counts on
    every date; a date written as a month counts from the month's last day)."""
    if not arg.strip():
        return _show(session, f"known on {session.selection.known_on or 'any date'}")
    if arg.strip() == "off":
        return _set(session, session.selection.replace(known_on=None))
    session.sources["<:known-on>"] = arg
    return _set(session, session.selection.replace(known_on=parse_date(arg, "<:known-on>")))


__all__: list[str] = []

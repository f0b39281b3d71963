"""What one REPL entry produces: text for stdout, an error for stderr, and what the loop does next.

Stage: the REPL's lowest layer. Input: what a step has to say. Output: an Output value.
Every dispatch step returns an Output instead of printing, so the interactive loop, the script loop
and the tests all read the same value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Output:
    text: str = ""
    error: str = ""  # already rendered (`file:line:col: message`, source line, caret)
    quit: bool = False
    page: bool = False  # show `text` through the pager (:more)
    # A question to ask before going on (`add allly/2 as a new predicate? [y/N]`): `then` runs on yes;
    # `default` is the answer an empty reply gives.
    confirm: str = ""
    then: Callable[[], Output] | None = None
    default: bool = False

    @property
    def ok(self) -> bool:
        return not self.error


def say(text: str) -> Output:
    return Output(text=text)


def oops(error: str) -> Output:
    return Output(error=error)

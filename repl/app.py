"""The interactive REPL: prompt-toolkit wiring around session.py and suggest.py.

Input: a Session, a terminal. Output: what the user sees. Every piece here is a thin wrapper:
the completer calls suggest.suggest, the lexer is allegiance.lexer, Enter asks session.is_complete,
and the loop reads, dispatches (dispatch.dispatch) and renders (show), as ptpython's does.
"""

from __future__ import annotations

import os
import pydoc
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.styles import Style

from allegiance import __version__, printable
from allegiance.lexer import AllegianceLexer

from .dispatch import dispatch
from .output import Output
from .session import Session, data_dir, is_complete
from .suggest import signature_hint, suggest

PROMPT = "?- "
CONTINUATION = "|  "
STYLE = Style.from_dict({
    "pygments.error": "bg:#aa2222 #ffffff",
    "pygments.name.variable": "#d78700",
    "pygments.name.function": "#5f87d7 bold",
    "pygments.name.constant": "",
    "pygments.comment": "#808080 italic",
    "bottom-toolbar": "#aaaaaa bg:#262626 noreverse",
    "error": "#ff5f5f",
    "continuation": "#808080",
})


class ReplCompleter(Completer):
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        try:
            found = suggest(document.text_before_cursor, self.session.index)
        except Exception:  # a bug in the completer must not crash the REPL
            return
        for s in found:
            yield Completion(s.text, start_position=s.start, display=s.display or s.text, display_meta=s.meta)


def history_path() -> Path:
    """$ALLEGIANCE_HISTORY, else `history` in the data directory (session.data_dir)."""
    override = os.environ.get("ALLEGIANCE_HISTORY")
    return Path(override) if override else data_dir() / "history"


def _history() -> History:
    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
    except OSError:
        return InMemoryHistory()  # a read-only home still gets a session
    return FileHistory(str(path))


def key_bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.complete_state is not None and buffer.complete_state.current_completion is not None:
            buffer.complete_state = None  # Enter on a highlighted completion takes it, nothing more
            return
        if is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    @bindings.add("escape", "enter")
    def _run_as_is(event: KeyPressEvent) -> None:
        event.current_buffer.validate_and_handle()

    return bindings


def prompt_session(session: Session) -> PromptSession[str]:
    def toolbar() -> str:
        try:
            hint = signature_hint(prompt.default_buffer.document.text_before_cursor, session.index)
        except Exception:  # the toolbar is a nicety; it must never take the REPL down
            hint = ""
        return " " + (hint or "Tab: complete   Ctrl-R: search history   :help   Ctrl-D: quit")

    prompt: PromptSession[str] = PromptSession(
        message=PROMPT,
        multiline=True,
        prompt_continuation=lambda width, line, wrap: [("class:continuation", CONTINUATION.ljust(width))],
        lexer=PygmentsLexer(AllegianceLexer),
        completer=ReplCompleter(session),
        complete_while_typing=True,
        auto_suggest=AutoSuggestFromHistory(),
        history=_history(),
        enable_history_search=False,
        key_bindings=key_bindings(),
        bottom_toolbar=toolbar,
        style=STYLE,
        include_default_pygments_style=True,
        mouse_support=False,
    )
    return prompt


def banner(session: Session) -> str:
    kb = session.kb
    return (f"allegiance {__version__} on {kb.engine_name}: {kb.statement_count} statements, "
            f"{len(kb.catalog.entities)} entities, {len(kb.predicates())} predicates, {len(kb.rules)} rules.\n"
            "Type a query like ally(X, nusra), :help for more, Ctrl-D to leave.")


def show(output: Output) -> None:
    """Print an entry's Output; no control character from the knowledge base reaches the terminal."""
    if output.text:
        text = printable.screen(output.text)
        if output.page:
            pydoc.pager(text)
        else:
            print(text, flush=True)
    if output.error:
        print_formatted_text(FormattedText([("class:error", printable.screen(output.error))]), style=STYLE)


def run(session: Session) -> int:
    """Read, dispatch, render, until :quit or Ctrl-D. Returns 0."""
    prompt = prompt_session(session)
    print(banner(session), flush=True)
    for warning in session.kb.warnings:
        print(printable.screen(f"warning: {warning}"))
    while True:
        try:
            text = prompt.prompt()
        except KeyboardInterrupt:
            continue  # Ctrl-C clears the line
        except EOFError:
            break
        try:
            output = dispatch(text, session)
        except KeyboardInterrupt:  # Ctrl-C outside the engine (parsing, rendering)
            output = Output(error="interrupted (the knowledge base is as it was)")
        except Exception as exc:  # a bug must not end the session; its entry is lost, nothing else
            detail = traceback.format_exc() if os.environ.get("ALLEGIANCE_DEBUG") else ""
            output = Output(error=f"internal error: {type(exc).__name__}: {exc} (please report it)\n{detail}".rstrip())
        show(output)
        if output.quit:
            break
    sys.stdout.flush()
    return 0

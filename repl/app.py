"""The interactive REPL: prompt-toolkit wiring around session.py and suggest.py.

Input: a Session, a terminal. Output: what the user sees. Every piece here is a thin wrapper:
the completer calls suggest.suggest, the lexer is allegiance.lexer, Enter asks session.is_complete,
and the loop reads, dispatches (dispatch.dispatch) and renders (show), as ptpython's does.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import shutil
import subprocess
import sys
import termios
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import prompt_toolkit
from prompt_toolkit import PromptSession, print_formatted_text, search
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory, ConditionalAutoSuggest
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import FormattedText, StyleAndTextTuples, fragment_list_to_text
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input.typeahead import get_typeahead, store_typeahead
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.keys import Keys
from prompt_toolkit.layout.processors import Processor, Transformation, TransformationInput
from prompt_toolkit.lexers import DynamicLexer, PygmentsLexer
from prompt_toolkit.styles import Style

from allegiance import __version__, printable
from allegiance.lexer import AllegianceLexer

from . import presses
from .commands import default_pager
from .dispatch import dispatch
from .output import Output
from .running import INTERRUPTED, run_entry
from .session import Session, data_dir, is_complete, pending
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
    "elided": "#808080 italic",
})


# Past this many characters in the entry (a pasted 100 KB line) highlighting, completion, the
# signature bar and suggestions from history are off: each is at least linear in the entry and runs
# on every key, so a long paste would take minutes to draw. Enter still runs it.
MAX_ASSISTED = 5_000


def assisted(text: str) -> bool:
    return len(text) <= MAX_ASSISTED


class LongLine(Processor):
    """A line longer than MAX_ASSISTED is drawn as the SHOWN characters around the cursor, the rest
    counted (`…98,000 characters… xxxx …2,000 more…`): prompt-toolkit wraps and copies every
    character of a line on each key (get_height_for_line, copy_line), so typing into a 100 KB
    line took 0.4 s a key. Editing, Enter and the text run are the whole line's."""

    SHOWN = 2_000

    def apply_transformation(self, ti: TransformationInput) -> Transformation:
        text = fragment_list_to_text(ti.fragments)
        if len(text) <= MAX_ASSISTED:
            return Transformation(ti.fragments)
        at = ti.document.cursor_position_col if ti.lineno == ti.document.cursor_position_row else 0
        start = max(0, min(at - self.SHOWN // 2, len(text) - self.SHOWN))
        end = min(len(text), start + self.SHOWN)
        left = f"…{start:,} characters… " if start else ""
        right = f" …{len(text) - end:,} more…" if end < len(text) else ""
        shown: StyleAndTextTuples = [("class:elided", left), ("", text[start:end]), ("class:elided", right)]

        def to_display(i: int) -> int:
            return len(left) + min(max(i - start, 0), end - start)

        def to_source(j: int) -> int:
            return start + min(max(j - len(left), 0), end - start)

        return Transformation([f for f in shown if f[1]], to_display, to_source)


class ReplCompleter(Completer):
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        if not assisted(document.text):
            return
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
        if event.app.layout.is_searching:
            # Enter in Ctrl-R's search takes the match and runs it, as in bash (not the search text)
            search.accept_search()
        buffer = event.app.current_buffer
        if buffer.complete_state is not None and buffer.complete_state.current_completion is not None:
            buffer.complete_state = None  # Enter on a highlighted completion takes it, nothing more
            return
        if is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    @bindings.add("escape", "enter")
    def _run_as_is(event: KeyPressEvent) -> None:
        if event.app.layout.is_searching:
            search.accept_search()
        event.app.current_buffer.validate_and_handle()

    return bindings


def prompt_session(session: Session) -> PromptSession[str]:
    def toolbar() -> str:
        text = prompt.default_buffer.text
        if not assisted(text):
            return f" a long entry ({len(text):,} characters): no highlighting or completion   Enter: run it"
        try:
            # an entry Enter continued says why (an open string looked like a REPL that hung)
            hint = (pending(text) if "\n" in text else "") or \
                signature_hint(prompt.default_buffer.document.text_before_cursor, session.index)
        except Exception:  # the toolbar is a nicety; it must never take the REPL down
            hint = ""
        return " " + (hint or "Tab: complete   Ctrl-R: search history   :help   Ctrl-D: quit")

    highlighter = PygmentsLexer(AllegianceLexer)
    prompt: PromptSession[str] = PromptSession(
        message=lambda: session.prompt,  # shows a selection (:trust, :at ...) while one is set
        multiline=True,
        prompt_continuation=lambda width, line, wrap: [("class:continuation", CONTINUATION.ljust(width))],
        lexer=DynamicLexer(lambda: highlighter if assisted(prompt.default_buffer.text) else None),
        completer=ReplCompleter(session),
        complete_while_typing=True,
        auto_suggest=ConditionalAutoSuggest(AutoSuggestFromHistory(),
                                            Condition(lambda: assisted(prompt.default_buffer.text))),
        history=_history(),
        enable_history_search=False,
        key_bindings=key_bindings(),
        bottom_toolbar=toolbar,
        style=STYLE,
        include_default_pygments_style=True,
        mouse_support=False,
        input_processors=[LongLine()],
    )
    return prompt


def banner(session: Session) -> str:
    kb = session.kb
    # a line each, so that none wraps on an 80-column terminal
    return (f"allegiance {__version__} on {kb.engine_name}\n"
            f"{kb.statement_count:,} statements, {len(kb.catalog.entities):,} entities, "
            f"{len(kb.predicates()):,} predicates, {len(kb.rules):,} rules.\n"
            "Type a query like ally(X, nusra), :help for more, Ctrl-D to leave.")


def show(output: Output, session: Session | None = None) -> None:
    """Print an entry's Output; no control character from the knowledge base reaches the terminal.
    Text taller than the terminal (or :more's) goes through the pager (`:pager`)."""
    if output.text:
        text = printable.screen(output.text)
        pager = pager_for(session, text, output.page) if session else None
        if pager is None or not page(text, pager):
            print(text, flush=True)
    if output.error:
        print_formatted_text(FormattedText([("class:error", printable.screen(output.error))]), style=STYLE)


def pager_for(session: Session, text: str, asked: bool) -> list[str] | None:
    """The pager command for this text, or None to print it as it is."""
    if session.pager == "off" or not sys.stdout.isatty():
        return None
    # Only what is taller than the screen: less -F does not quit on a short text with a chopped
    # line (less 590), so paging a short wide text would leave the user in the pager.
    if not asked and text.count("\n") + 1 < shutil.get_terminal_size().lines - 1:
        return None
    return shlex.split(session.pager) if session.pager else default_pager()


def page(text: str, command: list[str]) -> bool:
    """Show text through the pager; False when it cannot run (then the caller prints it)."""
    env = dict(os.environ)
    env.setdefault("LESS", "-SRXF")  # as pgcli: chop long lines, keep colours, no screen clearing
    try:
        subprocess.run(command, input=text + "\n", text=True, env=env, check=False)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def keys_held() -> Iterator[None]:
    """While an entry runs, keys typed ahead are neither echoed over its output nor lost: the next
    prompt reads and shows them; a terminal's late reply to prompt-toolkit (a cursor position
    report, `^[[1;1R`) is read there too instead of landing on the screen. Ctrl-C still interrupts."""
    try:
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
    except (OSError, ValueError, termios.error):
        yield  # not a terminal
        return
    quiet = list(saved)
    quiet[3] &= ~(termios.ECHO | termios.ICANON)  # lflags; ISIG stays, so Ctrl-C is SIGINT
    termios.tcsetattr(fd, termios.TCSANOW, quiet)  # TCSANOW: keep what is already typed
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)


def _entry(work: Callable[[], Output], session: Session, since: float | None = None) -> Output:
    """One entry's Output, whatever happens to it: interrupted, or a bug (its entry is lost, nothing
    else: a bug must not end the session)."""
    try:
        with keys_held():
            return run_entry(work, session, since)
    except KeyboardInterrupt:  # an engine that stops on Python's own Ctrl-C (pyDatalog, Spark: running.py)
        return Output(error=INTERRUPTED)
    except Exception as exc:
        detail = traceback.format_exc() if os.environ.get("ALLEGIANCE_DEBUG") else ""
        return Output(error=f"internal error: {type(exc).__name__}: {exc} (please report it)\n{detail}".rstrip())


def enter_times(prompt: PromptSession[str]) -> Callable[[], float]:
    """When Enter last ended a line of `prompt`: a Ctrl-C from then on is the entry's (presses.py),
    even one pressed before prompt-toolkit has handed the terminal back."""
    accept = prompt.default_buffer.accept_handler
    entered = [time.monotonic()]

    def accepted(buffer: Buffer) -> bool:
        entered[0] = time.monotonic()
        return accept(buffer) if accept is not None else False

    prompt.default_buffer.accept_handler = accepted
    return lambda: entered[0]


def ctrl_c_typed_ahead(prompt: PromptSession[str]) -> bool:
    """Whether Ctrl-C came among the keys prompt-toolkit read after Enter (the terminal still raw: a
    key, not a signal, which the next prompt would have taken for a Ctrl-C at it). The keys up to
    it go; those after it stay for the next prompt."""
    keys = get_typeahead(prompt.app.input)
    last = max((i for i, key in enumerate(keys) if key.key == Keys.ControlC), default=None)
    store_typeahead(prompt.app.input, keys if last is None else keys[last + 1:])
    return last is not None


def ask(question: str, default: bool) -> bool:
    """A yes-or-no question; Enter gives `default`, Ctrl-C and Ctrl-D say no."""
    try:
        reply = prompt_toolkit.prompt(question).strip().lower()
    except (KeyboardInterrupt, EOFError):
        return False
    return default if not reply else reply in ("y", "yes")


def run(session: Session) -> int:
    """Read, dispatch, render, until :quit or Ctrl-D. Returns 0. Outside the prompt, Ctrl-C is
    recorded, not raised (presses.py): it stops the entry running, or the one whose Enter came
    before it; pressed in the pager or as output prints, it ends nothing."""
    prompt = prompt_session(session)
    entered = enter_times(prompt)
    print(banner(session), flush=True)
    for warning in session.kb.warnings:
        print(printable.screen(f"warning: {warning}"))
    with presses.recording():
        while True:
            try:
                text = prompt.prompt()  # (prompt-toolkit's own Ctrl-C handler while it reads)
            except KeyboardInterrupt:
                continue  # Ctrl-C clears the line
            except EOFError:
                break
            session.columns = shutil.get_terminal_size().columns  # listings fit the terminal as it is now
            if ctrl_c_typed_ahead(prompt):
                output = Output(error=INTERRUPTED)
            else:
                output = _entry(functools.partial(dispatch, text, session), session, since=entered())
            show(output, session)
            if output.confirm and output.then is not None:
                output = _entry(output.then, session) if ask(output.confirm, output.default) else Output(text="not added")
                show(output, session)
            if output.quit:
                break
    sys.stdout.flush()
    return 0

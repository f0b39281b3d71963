"""Typing into a very long line stays as quick as typing into a short one (issue 16, item 9: a
pasted 100 KB line drew fine, but each key typed into it then took 0.4 s, prompt-toolkit wrapping
and copying the whole line on every key).

The REPL's own prompt (app.prompt_session) on prompt-toolkit's pipe input and a real VT100
renderer writing to memory; each key is timed until the screen is drawn again. A ratio against a
short line, never a time: the machine's speed cancels out.
"""

from __future__ import annotations

import asyncio
import io
import time

from allegiance.repl.app import prompt_session
from allegiance.repl.dispatch import open_session
from prompt_toolkit.application import create_app_session
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output.vt100 import Vt100_Output

from allegiance.kb import KnowledgeBase

KEYS = "ABCDEFGHIJKLNOPQRSTU"


def type_into(text: str) -> tuple[float, str, str]:
    """The median seconds per key typed at the end of `text`, the line after, and the screen drawn."""
    kb = KnowledgeBase(timeout=None)
    kb.load_text("member(fsa, alliance41).\n", "small.dl")
    session = open_session(kb, None, True)
    screen = io.StringIO()
    with create_pipe_input() as keys, \
            create_app_session(input=keys, output=Vt100_Output(screen, lambda: Size(40, 140), term="xterm")):
        prompt = prompt_session(session)

        async def main() -> tuple[float, str]:
            task = asyncio.ensure_future(prompt.prompt_async(default=text))
            app = prompt.app
            while not app.is_running or app.invalidated:
                await asyncio.sleep(0.01)
            times = []
            for key in KEYS:
                before = len(prompt.default_buffer.text)
                start = time.perf_counter()
                keys.send_text(key)
                while len(prompt.default_buffer.text) == before or app.invalidated:
                    await asyncio.sleep(0)
                times.append(time.perf_counter() - start)
            typed = prompt.default_buffer.text
            app.exit(result="")
            await task
            return sorted(times)[len(times) // 2], typed

        median, typed = asyncio.run(main())
    kb.close()
    return median, typed, screen.getvalue()


def test_a_key_typed_into_a_100_kb_line_costs_about_what_it_costs_in_a_short_one() -> None:
    short, typed, _ = type_into('member(X, "' + "x" * 20)
    assert typed.endswith(KEYS)
    long, typed, screen = type_into('member(X, "' + "x" * 100_000)
    assert typed == 'member(X, "' + "x" * 100_000 + KEYS  # every key landed where the cursor was
    assert long < 4 * short, f"{long * 1000:.1f} ms a key in a 100 KB line, {short * 1000:.1f} ms in a short one"
    assert "characters…" in screen  # the line is drawn around the cursor, the rest counted

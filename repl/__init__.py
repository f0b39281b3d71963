"""The interactive shell (installed as allegiance.repl). A plain placeholder until the REPL lands."""

from __future__ import annotations

import argparse
import sys

from allegiance import render
from allegiance.cli import fail, open_kb
from allegiance.errors import AllegianceError


def main(args: argparse.Namespace) -> int:
    kb = open_kb(args, interactive=sys.stdin.isatty())
    try:
        for line in sys.stdin:
            text = line.strip()
            if not text or text.startswith("%"):
                continue
            if text in (":quit", ":q"):
                break
            try:
                answers = kb.query(text)
                print(render.answers(text, answers.variables, answers.rows))
            except AllegianceError as exc:
                fail(exc, kb)
    finally:
        kb.close()
    return 0

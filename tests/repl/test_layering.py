"""The core never imports prompt-toolkit, and neither does script mode."""

from __future__ import annotations

import subprocess
import sys


def test_core_and_script_mode_do_not_import_prompt_toolkit() -> None:
    code = ("import sys, allegiance, allegiance.cli, allegiance.lexer, allegiance.repl, allegiance.repl.session; "
            "print('prompt_toolkit' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"

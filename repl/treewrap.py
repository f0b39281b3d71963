"""Fitting a proof tree to the terminal: long lines wrapped at spaces, under their own branch.

Stage: REPL (between the commands and the terminal). Input: the text of a `:why` or `:whynot`
tree (explain.render_tree) and the terminal's width. Output: the same text, each line longer than
the width broken at spaces, its continuation lines drawn under the same branch (the tree's
`│   ├── ` prefix carried on as `│   │   ` plus the line's own indent) and indented two more.
The terminal wrapped them itself, at the last column, in the middle of an identifier
(`not ally(fsa_gr` / `oups_in_alliance41, ...)`), and lost the tree's left edge (issue 16).
A word longer than the room left is not cut: it runs past the edge as it did before.
"""

from __future__ import annotations

import textwrap

_BRANCHES = "│├└─ "


def _prefix(line: str) -> tuple[str, str]:
    """(the tree's drawing at the line's start with its indent, the same carried on below it)."""
    end = 0
    while end < len(line) and line[end] in _BRANCHES:
        end += 1
    drawing = line[:end]
    carried = drawing.replace("├──", "│  ").replace("└──", "   ").replace("─", " ")
    return drawing, carried + "  "


def wrap_tree(text: str, width: int | None) -> str:
    """`text` with each line wider than `width` wrapped at spaces (see the module docstring)."""
    if not width or width < 40:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        drawing, carried = _prefix(line)
        if len(carried) > width // 2:  # a tree so deep there is no room to wrap in
            out.append(line)
            continue
        pieces = textwrap.wrap(line[len(drawing):], width=width, initial_indent=drawing, subsequent_indent=carried,
                               break_long_words=False, break_on_hyphens=False, drop_whitespace=True)
        out.extend(pieces or [line])
    return "\n".join(out)


__all__ = ["wrap_tree"]

"""Opening a file the REPL wrote (:graph's page or picture) in the user's browser, when there is one.

Input: a path, the environment and the platform. Output: whether a browser was asked to open it.
A machine without a display (a server, CI, an SSH session) opens nothing: the file is still written
and named, and the user opens it where they can.
"""

from __future__ import annotations

import os
import sys
import webbrowser
from collections.abc import Mapping
from pathlib import Path


def has_display(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> bool:
    """macOS and Windows always have one; elsewhere an X11 or Wayland display must be named."""
    if platform == "darwin" or platform.startswith("win"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def open_file(path: str, environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> bool:
    if not has_display(environ, platform):
        return False
    try:
        return webbrowser.open(Path(path).resolve().as_uri())
    except webbrowser.Error:
        return False


__all__ = ["has_display", "open_file"]

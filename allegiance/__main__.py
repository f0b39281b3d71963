"""`python -m allegiance` is the `allegiance` command."""

import sys

from allegiance.cli import run

sys.exit(run())

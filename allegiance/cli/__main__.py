"""`python -m allegiance.cli` is the `allegiance` command, as `python -m allegiance` is."""

import sys

from allegiance.cli import main

sys.exit(main())

"""`python -m allegiance` is the `allegiance` command."""

import sys

from allegiance.cli import main

sys.exit(main())

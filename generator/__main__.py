"""Run `python -m generator` as the `survey` command."""

import sys

from .cli import main

sys.exit(main())

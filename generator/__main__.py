"""Run `python -m generator` as the `survey` command."""

from .cli import entry

entry()

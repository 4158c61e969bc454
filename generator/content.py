"""Write paper records as tidy YAML, the way a contributor would by hand."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import yaml

FIELD_ORDER = (
    "title", "authors", "et_al", "year", "venue", "entry_type", "arxiv", "doi",
    "url", "code", "section", "tags", "added", "abstract",
)
FOLD_AT = 80


class _Dumper(yaml.SafeDumper):
    """Write long text as folded blocks and lists indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    tidy = value == value.strip() and "  " not in value and "\t" not in value
    style = None
    if tidy and "\n" in value:
        style = "|"
    elif tidy and len(value) > FOLD_AT:
        style = ">"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump_yaml(value: Any) -> str:
    """Return YAML text with long strings as folded blocks and indented lists."""
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=FOLD_AT + 8)


def paper_yaml(fields: Mapping[str, Any]) -> str:
    """Return the YAML text of one paper file, fields in a fixed order."""
    # An empty value, or `et_al: false`, is what leaving the field out says already.
    ordered = {name: fields[name] for name in FIELD_ORDER if fields.get(name) not in (None, "", [], ()) and fields.get(name) is not False}
    for name, value in ordered.items():
        if isinstance(value, tuple):
            ordered[name] = list(value)
        if isinstance(value, datetime.datetime):
            ordered[name] = value.date()
    return dump_yaml(ordered)

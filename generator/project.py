"""Find the survey folder and read the few settings the generator needs from mkdocs.yml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .models import Problem

CONFIG_FILE = "mkdocs.yml"


class _ConfigLoader(yaml.SafeLoader):
    """Read mkdocs.yml, ignoring tags such as !!python/name that only MkDocs resolves."""


def _ignore(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    return None


_ConfigLoader.add_multi_constructor("", _ignore)
_ConfigLoader.add_multi_constructor("!", _ignore)
_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore)


@dataclass(frozen=True, slots=True)
class Project:
    """Where a survey's sources and outputs live."""

    root: Path
    config_file: Path
    content: Path
    docs: Path
    site: Path


class ProjectError(Exception):
    """The survey folder is not usable; the message says why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _inside(root: Path, value: Any, name: str, default: str) -> Path:
    text = value if isinstance(value, str) and value.strip() else default
    path = (root / text).resolve()
    if path == root or root not in path.parents:
        raise ProjectError([Problem(CONFIG_FILE, 1, name, f"'{text}' must be a folder inside the survey folder")])
    return path


def open_project(root: Path) -> Project:
    """Read mkdocs.yml in a survey folder and return where things live."""
    root = root.resolve()
    config_file = root / CONFIG_FILE
    if not config_file.is_file():
        raise ProjectError([Problem(str(config_file), 0, "", "no mkdocs.yml here: run survey commands from the survey's folder (the one holding mkdocs.yml and content/)")])
    try:
        config = yaml.load(config_file.read_text(encoding="utf-8-sig"), Loader=_ConfigLoader) or {}
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 1
        raise ProjectError([Problem(CONFIG_FILE, line, "", f"YAML syntax error: {error.problem}")]) from None
    if not isinstance(config, dict):
        raise ProjectError([Problem(CONFIG_FILE, 1, "", "expected a mapping of settings")])
    docs = _inside(root, config.get("docs_dir"), "docs_dir", "docs")
    site = _inside(root, config.get("site_dir"), "site_dir", "site")
    return Project(root, config_file, root / "content", docs, site)

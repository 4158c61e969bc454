"""Find the survey folder and read the few settings the generator needs from mkdocs.yml."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .models import Problem, ProblemsError, did_you_mean

CONFIG_FILE = "mkdocs.yml"


class _ConfigLoader(yaml.SafeLoader):
    """Read mkdocs.yml, ignoring tags such as !!python/name that only MkDocs resolves."""


def _ignore(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    return None


def _environment(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Read `!ENV NAME` or `!ENV [NAME, OTHER, default]` as MkDocs does: the first variable set, else the default."""
    if isinstance(node, yaml.ScalarNode):
        return os.environ.get(str(loader.construct_scalar(node)))
    if isinstance(node, yaml.SequenceNode):
        names = [str(loader.construct_scalar(item)) if isinstance(item, yaml.ScalarNode) else "" for item in node.value]
        found = next((os.environ[name] for name in names[:-1] if name in os.environ), None)
        if found is not None:
            return found
        return os.environ.get(names[0]) if len(names) == 1 else names[-1]
    return None


_ConfigLoader.add_constructor("!ENV", _environment)
_ConfigLoader.add_multi_constructor("", _ignore)
_ConfigLoader.add_multi_constructor("!", _ignore)
_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore)


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """What the pages need from mkdocs.yml: where the site and its repository live."""

    site_name: str = ""
    site_url: str | None = None
    repo_url: str | None = None
    edit_branch: str = "main"
    directory_urls: bool = True
    search: str = "auto"  # extra.survey.search: "full" indexes abstracts, "light" does not, "auto" by size


@dataclass(frozen=True, slots=True)
class Project:
    """Where a survey's sources and outputs live."""

    root: Path
    config_file: Path
    content: Path
    docs: Path
    site: Path
    warnings: tuple[Problem, ...] = ()  # settings in mkdocs.yml that work, but not offline
    settings: SiteSettings = SiteSettings()  # what the pages need from mkdocs.yml


class ProjectError(ProblemsError):
    """The survey folder is not usable; the message says why."""


def _inside(root: Path, value: Any, name: str, default: str, line: int) -> Path:
    text = value if isinstance(value, str) and value.strip() else default
    path = (root / text).resolve()
    if path == root or root not in path.parents:
        raise ProjectError([Problem(CONFIG_FILE, line, name, f"'{text}' must be a folder inside the survey folder")])
    return path


def _overlap(a: Path, b: Path) -> bool:
    return a == b or a in b.parents or b in a.parents


# Sources an output folder must never be, hold or sit in: a build replaces its output folders.
PROTECTED = ("content", "site_templates", ".git", ".github")


def _check_outputs(root: Path, docs: Path, site: Path, text: str) -> None:
    problems = []
    lines = {name: _line_of(text, name) for name in ("docs_dir", "site_dir")}
    if _overlap(docs, site):
        problems.append(Problem(CONFIG_FILE, lines["site_dir"], "site_dir", "docs_dir and site_dir must be separate folders, neither inside the other"))
    for name, folder in (("docs_dir", docs), ("site_dir", site)):
        for source in PROTECTED:
            if _overlap(folder, (root / source).resolve()):
                problems.append(Problem(CONFIG_FILE, lines[name], name, f"'{folder.relative_to(root).as_posix()}' overlaps '{source}/', which holds sources: use a folder of its own such as '{name[:-4]}'"))
    if not problems and not _site_or_empty(site):
        problems.append(Problem(CONFIG_FILE, lines["site_dir"], "site_dir", f"'{site.relative_to(root).as_posix()}' holds files but no built site (no index.html), and a build replaces the whole folder: name a folder of its own, such as 'site'"))
    if problems:
        raise ProjectError(problems)


def _site_or_empty(folder: Path) -> bool:
    """Tell whether a folder can be replaced by a build: missing, empty, or a site built before
    (its home page is there; a build never leaves a site without one)."""
    if not folder.is_dir() or folder.is_symlink():
        return True  # missing; a file or a link there is refused when the site is swapped in (write.replace_folder)
    return (folder / "index.html").is_file() or next(folder.iterdir(), None) is None


# extra.survey.search: "full" indexes abstracts, "light" does not, "auto" chooses by the survey's size.
SEARCH_CHOICES = ("auto", "full", "light")


def _line_of(text: str, name: str, indented: bool = False) -> int:
    """Return the line of mkdocs.yml that sets `name:` (the first; only nested settings when `indented`), or 1."""
    return next((n for n, row in enumerate(text.splitlines(), start=1) if (not indented or row[:1] in (" ", "\t")) and row.strip().startswith(f"{name}:")), 1)


# The settings `extra: survey:` takes.
SURVEY_SETTINGS = ("search", "edit_branch")


def _check_extra(config: dict[str, Any], text: str) -> None:
    """Refuse a survey setting under `extra: survey:` that would silently mean something else,
    or be ignored: a misspelt name, or a branch that is not a name."""
    extra = config.get("extra")
    survey = extra.get("survey") if isinstance(extra, dict) else None
    if survey is None:
        return
    if not isinstance(survey, dict):
        raise ProjectError([Problem(CONFIG_FILE, _line_of(text, "survey", indented=True), "extra.survey", f"expected settings ({', '.join(SURVEY_SETTINGS)}), one 'name: value' per line")])
    problems = []
    for name in survey:
        if name not in SURVEY_SETTINGS:
            hint = did_you_mean(str(name).replace("-", "_"), SURVEY_SETTINGS) or f" (known: {', '.join(SURVEY_SETTINGS)})"
            problems.append(Problem(CONFIG_FILE, _line_of(text, str(name), indented=True), f"extra.survey.{name}", f"unknown setting '{name}'{hint}"))
    if "search" in survey and str(survey["search"]).strip().lower() not in SEARCH_CHOICES:
        problems.append(Problem(CONFIG_FILE, _line_of(text, "search", indented=True), "extra.survey.search", f"'{survey['search']}' is not a choice: use one of {', '.join(SEARCH_CHOICES)}"))
    branch = survey.get("edit_branch")
    if "edit_branch" in survey and not (isinstance(branch, str | int) and not isinstance(branch, bool) and str(branch).strip()):
        problems.append(Problem(CONFIG_FILE, _line_of(text, "edit_branch", indented=True), "extra.survey.edit_branch", "expected the name of a branch, such as main"))
    if problems:
        raise ProjectError(problems)


def _web_url(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and re.match(r"https?://[^\s]+$", value.strip()) else None


def read_settings(root: Path) -> SiteSettings:
    """Read the pages' settings from a survey's mkdocs.yml, or the defaults when it cannot be read."""
    try:
        config = yaml.load((root / CONFIG_FILE).read_text(encoding="utf-8-sig"), Loader=_ConfigLoader)
    except (OSError, yaml.YAMLError):
        return SiteSettings()
    return _settings(config)


def _settings(config: Any) -> SiteSettings:
    """Return site_name, site_url, repo_url, use_directory_urls and extra.survey's edit_branch and search."""
    if not isinstance(config, dict):
        return SiteSettings()
    extra = config["extra"] if isinstance(config.get("extra"), dict) else {}
    survey = extra["survey"] if isinstance(extra.get("survey"), dict) else {}
    branch = survey.get("edit_branch")
    search = str(survey.get("search", "auto")).strip().lower()
    return SiteSettings(
        site_name=str(config.get("site_name") or ""),
        site_url=_web_url(config.get("site_url")),
        repo_url=_web_url(config.get("repo_url")),
        edit_branch=str(branch).strip() if isinstance(branch, str | int) and str(branch).strip() else "main",
        directory_urls=config.get("use_directory_urls") is not False,
        search=search if search in SEARCH_CHOICES else "auto",
    )


def _offline_warnings(config: dict[str, Any], text: str) -> tuple[Problem, ...]:
    """Warn about settings that make the site load fonts, styles or scripts from other hosts."""
    problems = []
    theme = config.get("theme")
    theme = {"name": theme} if isinstance(theme, str) else theme  # "theme: material" is allowed too
    if isinstance(theme, dict) and theme.get("name") == "material" and theme.get("font", None) is not False:
        line = _line_of(text, "font") if "font" in theme else _line_of(text, "theme")
        problems.append(Problem(CONFIG_FILE, line, "theme.font", "Material for MkDocs loads this font from Google Fonts, so every reader's browser asks Google for it and the site does not work offline: set 'font: false' to use the reader's own fonts", "warning"))
    for name in ("extra_css", "extra_javascript"):
        entries = config.get(name)
        for entry in entries if isinstance(entries, list) else []:
            address = entry.get("path", "") if isinstance(entry, dict) else str(entry)
            if re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", address.strip(), re.IGNORECASE):
                problems.append(Problem(CONFIG_FILE, _line_of(text, name), name, f"'{address}' is loaded from another host, so the site does not work offline: put the file in the docs folder's assets instead", "warning"))
    return tuple(problems)


def open_project(root: Path) -> Project:
    """Read mkdocs.yml in a survey folder and return where things live."""
    root = root.resolve()
    config_file = root / CONFIG_FILE
    if not config_file.is_file():
        raise ProjectError([Problem(str(config_file), 0, "", "no mkdocs.yml here: run survey commands from the survey's folder (the one holding mkdocs.yml and content/)")])
    try:
        text = config_file.read_text(encoding="utf-8-sig")
        config = yaml.load(text, Loader=_ConfigLoader) or {}
    except UnicodeDecodeError:
        raise ProjectError([Problem(CONFIG_FILE, 1, "", "file is not UTF-8; save it as UTF-8")]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"YAML syntax error at column {mark.column + 1}: " if mark else "YAML syntax error: "
        raise ProjectError([Problem(CONFIG_FILE, mark.line + 1 if mark else 1, "", where + str(error.problem))]) from None
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        raise ProjectError([Problem(CONFIG_FILE, 1, "", f"cannot read it: {error}")]) from None
    if not isinstance(config, dict):
        raise ProjectError([Problem(CONFIG_FILE, 1, "", "expected a mapping of settings")])
    _check_extra(config, text)
    content = root / "content"
    if content.is_symlink() or (content.exists() and root not in content.resolve().parents):
        raise ProjectError([Problem("content", 0, "", "is a symbolic link: content/ must be a folder inside the survey folder")])
    docs = _inside(root, config.get("docs_dir"), "docs_dir", "docs", _line_of(text, "docs_dir"))
    site = _inside(root, config.get("site_dir"), "site_dir", "site", _line_of(text, "site_dir"))
    _check_outputs(root, docs, site, text)
    return Project(root, config_file, content, docs, site, _offline_warnings(config, text), _settings(config))

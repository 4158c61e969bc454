"""Read `content/`: paper files and the curator's overrides (the input edge)."""

from __future__ import annotations

import datetime
import difflib
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from . import workers
from .cache import Memo, digest, memo
from .models import Overrides, Paper, Problem
from .schema import Raw, overrides_from_raw, paper_from_raw

# Limits that keep a hostile file from stalling a build: a paper file is a few kilobytes,
# so these leave ample room while refusing YAML that is huge or nested absurdly deep.
MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 20
PAPERS_DIR = "papers"
OVERRIDES_FILE = "overrides.yaml"
PUBLISHED_FILE = "published-keys.txt"
NOT_REGULAR = "is not a regular file"
LINK_REFUSED = "is a symbolic link: content files must be regular files inside content/"


class _Loader(yaml.SafeLoader):
    """A safe loader that keeps dates as dates and nothing more."""


# libyaml parses fifty times faster than the pure-Python parser. Its messages differ a
# little, so a file it refuses is parsed again the slow way for the message the user sees.
_FastLoader: type = getattr(yaml, "CSafeLoader", _Loader)


def _syntax_problem(shown: str, error: yaml.MarkedYAMLError) -> Problem:
    """Point at the line to fix: where an unclosed quote or bracket opened, else where parsing failed."""
    mark, context = error.problem_mark, error.context_mark
    if context is not None and "scanning" in (error.context or ""):
        mark = context
    if mark is None:
        return Problem(shown, 1, "", f"YAML syntax error: {error.problem}")
    where = f"YAML syntax error at column {mark.column + 1}: {error.problem}"
    if error.context and context is not None and context is not mark:
        where += f" ({error.context} on line {context.line + 1})"
    elif error.context and context is mark:
        where += f" ({error.context}; it is never closed)"
    line = mark.buffer.split("\n")[mark.line] if mark.buffer else ""
    if error.problem == "mapping values are not allowed here" and ": " in line[: mark.column]:
        # A second ": " on a line: a title such as "LoRA: Low-Rank Adaptation" written without quotes.
        where += ": a value with ': ' in it goes in quotes, as in title: 'LoRA: Low-Rank Adaptation'"
    elif error.problem == "found character '\\t' that cannot start any token":
        # YAML indents with spaces only, and an editor's Tab key may insert a tab.
        where += ": indent with spaces, not tabs" if not line[: mark.column].strip() else ": write a space instead of the tab"
    return Problem(shown, mark.line + 1, "", where)


def outside(path: Path, folder: Path) -> bool:
    """Tell whether a path, once links are followed, lies outside a folder."""
    resolved, base = path.resolve(), folder.resolve()
    return resolved != base and base not in resolved.parents


def _read_bytes(path: Path | str, shown: str) -> tuple[bytes | None, list[Problem]]:
    """Read at most one byte more than the limit from a regular file.

    Plain system calls: a buffered `read(limit + 1)` sets aside the whole limit for every
    file, a fifth of a second over 10,000 papers. The file is opened without waiting, so a
    named pipe is refused rather than waited on.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None, [Problem(shown, 1, "", NOT_REGULAR)]
    except OSError as error:
        return None, [Problem(shown, 1, "", f"cannot read file: {error.strerror}")]
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            return None, [Problem(shown, 1, "", NOT_REGULAR)]
        data = _read_at_most(fd, MAX_FILE_BYTES + 1, status.st_size)
    except OSError as error:
        return None, [Problem(shown, 1, "", f"cannot read file: {error.strerror}")]
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        return None, [Problem(shown, 1, "", f"file is larger than the limit of {MAX_FILE_BYTES // 1024} KiB ({MAX_FILE_BYTES} bytes)")]
    return data, []


def _read_at_most(fd: int, limit: int, expected: int) -> bytes:
    """Read up to `limit` bytes of an open file that had `expected` bytes; it may have changed since."""
    data = os.read(fd, min(limit, expected + 1))
    if len(data) <= expected:  # a short read of a regular file is its end
        return data
    while len(data) < limit and (more := os.read(fd, min(limit - len(data), 1 << 16))):
        data += more
    return data


def _screen(source: str, shown: str) -> list[Problem]:
    """Refuse aliases and deep nesting before building any node (billion laughs, stack depth)."""
    depth = 0
    for event in yaml.parse(source, Loader=_Loader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            return [Problem(shown, line, "", "YAML aliases (*name) are not allowed in content files")]
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return [Problem(shown, line, "", f"YAML nested more than {MAX_DEPTH} levels deep")]
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return []


def _compose(source: str, shown: str) -> tuple[Any, list[Problem]]:
    """Screen then compose a YAML text; YAML errors propagate."""
    problems = _screen(source, shown)
    if problems:
        return None, problems
    return yaml.compose(source, Loader=_Loader), []


def _plain(node: Any) -> bool:
    """Tell whether a composed tree is shallow and shares no node, as the screen demands.

    libyaml composes an alias as a second reference to its anchor's node, and stops at a
    thousand levels of nesting, so composing first is safe; anything refused here is
    parsed again by `_compose` for its message.
    """
    seen: set[int] = set()
    stack = [(node, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            return False
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            if depth > MAX_DEPTH:
                return False
            stack += [(child, depth + 1) for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            if depth > MAX_DEPTH:
                return False
            stack += [(child, depth + 1) for child in node.value]
    return True


def read_yaml(path: Path, shown: str) -> tuple[Any, list[Problem]]:
    """Read and parse one YAML file; return its node tree and problems."""
    data, problems = _read_bytes(path, shown)
    if data is None:
        return None, problems
    return parse_yaml(data, shown)


def not_utf8(shown: str, data: bytes, error: UnicodeDecodeError) -> Problem:
    """Return the problem of bytes that are not UTF-8: the line and byte of the first bad character."""
    line = data[: error.start].count(b"\n") + 1
    return Problem(shown, line, "", f"file is not UTF-8 (byte {data[error.start]:#04x} at offset {error.start}); save it as UTF-8")


def parse_yaml(data: bytes, shown: str) -> tuple[Any, list[Problem]]:
    """Parse the bytes of one YAML file; return its node tree and problems."""
    try:
        source = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, [not_utf8(shown, data, error)]
    if _FastLoader is not _Loader:
        try:
            node = yaml.compose(source, Loader=_FastLoader)
            if node is None or _plain(node):
                return node, []
        except yaml.YAMLError:
            pass
    try:
        return _compose(source, shown)
    except yaml.MarkedYAMLError as error:
        return None, [_syntax_problem(shown, error)]
    except yaml.reader.ReaderError as error:
        line = source[: error.position].count("\n") + 1
        character = error.character if isinstance(error.character, int) else ord(error.character)
        return None, [Problem(shown, line, "", f"character U+{character:04X} is not allowed in YAML; remove it")]
    except yaml.YAMLError as error:
        return None, [Problem(shown, 1, "", f"YAML error: {error}")]


_STR, _INT, _FLOAT, _DATE, _SEQ = (f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "timestamp", "seq"))
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,17})")
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def _value(node: Any) -> Any:
    """Construct a value node; the common shapes of a paper are read directly, as SafeLoader would."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR:
            return node.value
        if node.tag == _INT and _DECIMAL.fullmatch(node.value):
            return int(node.value)
        if node.tag in (_INT, _FLOAT):
            # No field of a paper is a fraction: an unquoted `arxiv: 2401.00010` is read as
            # written, not as the number 2401.0001, which names another paper. Nor is any
            # written in YAML 1.1's other notations: `title: 1:30` stays "1:30", not 90 (base
            # 60), and `010` and `0x10` stay as written, not 8 and 16.
            return node.value
        day = _DAY.fullmatch(node.value) if node.tag == _DATE else None
        if day:
            return datetime.date(*map(int, day.groups()))
    elif isinstance(node, yaml.SequenceNode) and node.tag == _SEQ and all(isinstance(item, yaml.ScalarNode) for item in node.value):
        return [item.value if item.tag == _STR else _value(item) for item in node.value]
    return _Loader("").construct_object(node, deep=True)


def _mapping(node: Any, shown: str, what: str) -> tuple[Raw | None, list[Problem]]:
    """Construct a mapping node's values, remembering each key's line."""
    if node is None:
        return Raw(shown, {}, {}, 1), []
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        return None, [Problem(shown, line, "", f"expected {what} (lines of 'field: value'), got a {node.id}")]
    data: dict[str, Any] = {}
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.id)
        key_line = key_node.start_mark.line + 1
        if key in lines:
            problems.append(Problem(shown, key_line, key, f"given twice (first on line {lines[key]})"))
            continue
        lines[key] = key_line
        try:
            data[key] = _value(value_node)
        except yaml.MarkedYAMLError as error:
            problems.append(Problem(shown, key_line, key, f"cannot read value: {error.problem}"))
        except (yaml.YAMLError, ValueError, OverflowError) as error:
            # A date such as 2024-13-45 or a number of thousands of digits fails while built.
            problems.append(Problem(shown, key_line, key, f"cannot read value: {str(error).split(';')[0]}"))
    return Raw(shown, data, lines, line), problems


def _nodes(node: Any, key: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == key:
                return value_node
    return None


# A paper file's record (None when it could not be read as one), its problems, and its fields
# when it is a YAML mapping that could not be read as a paper (see `load_papers`).
Parsed = tuple[Paper | None, tuple[Problem, ...], Raw | None]


def _paper(data: bytes, shown: str, key: str) -> Parsed:
    """Turn one paper file's bytes into its record, or say why not."""
    node, problems = parse_yaml(data, shown)
    if problems:
        return None, tuple(problems), None
    raw, problems = _mapping(node, shown, "a paper")
    if raw is None:
        return None, tuple(problems), None
    paper, found = paper_from_raw(raw, key)
    # A file read despite an error (a key given twice) is checked as a paper: not twice.
    return paper, tuple(problems + found), raw if paper is None else None


def _parse(file: tuple[bytes, str, str]) -> Parsed:
    return _paper(*file)


# From this many new paper files, they are parsed by all the machine's cores (see workers.py).
PARALLEL_FROM = 1000
# `survey serve` reloads every file after each edit: an unchanged file is parsed once.
_PAPERS: Memo[tuple[str, str, str], Parsed] = memo()


def load_papers(content: Path, root: Path) -> tuple[list[Paper], list[Problem], list[Raw]]:
    """Read every `content/papers/*.yaml` in name order: the papers, the problems, and the fields
    of the files that could not be read as papers, as far as they are YAML mappings.

    A file with a wrong year still says which section it wants and which paper it is; checking
    those now reports every mistake of the file at once (see `unread_sections`, validate.py).
    """
    papers: list[Paper] = []
    problems: list[Problem] = []
    unread: list[Raw] = []
    folder = content / PAPERS_DIR
    if not folder.is_dir():
        return [], [Problem(_shown(folder, root), 0, "", "folder of paper files is missing")], []
    if folder.is_symlink() or outside(folder, root):
        return [], [Problem(_shown(folder, root), 0, "", LINK_REFUSED)], []
    shown_folder = _shown(folder, root)
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    files: list[tuple[str, str, bytes]] = []
    for entry in entries:
        name = entry.name
        shown = f"{shown_folder}/{name}"
        if name.startswith("."):
            continue
        if is_editor_file(name):
            problems.append(Problem(shown, 0, "", "an editor's backup or swap file: not read (delete it, or keep it out of the folder)", "warning"))
            continue
        if entry.is_symlink():
            problems.append(Problem(shown, 1, "", LINK_REFUSED))
            continue
        stem, suffix = os.path.splitext(name)
        if suffix == ".yml":
            problems.append(Problem(shown, 1, "", "paper files end in '.yaml', not '.yml'"))
            continue
        if suffix != ".yaml" or not entry.is_file(follow_symlinks=False):
            problems.append(Problem(shown, 1, "", "only '<key>.yaml' paper files belong in this folder"))
            continue
        data, found = _read_bytes(entry.path, shown)
        if data is None:
            problems += found
            continue
        files.append((shown, stem, data))
    keys = [(shown, stem, digest(data)) for shown, stem, data in files]
    # Files not parsed before are parsed by all the machine's cores when there are many.
    new = [(key, (data, shown, stem)) for key, (shown, stem, data) in zip(keys, files, strict=True) if key not in _PAPERS]
    processes = workers.available() if len(new) >= PARALLEL_FROM else 1
    for (key, _), result in zip(new, workers.map_items(_parse, [file for _, file in new], processes), strict=True):
        _PAPERS.put(key, result)
    for key, (shown, stem, data) in zip(keys, files, strict=True):
        paper, reported, raw = _PAPERS.get(key, _paper, data, shown, stem)
        problems += reported
        if paper is not None:
            papers.append(paper)
        if raw is not None:
            unread.append(raw)
    # The released keys guard the papers, so their file's problems are reported with them.
    return papers, problems + published_problems(content, root), unread


def paper_file_count(content: Path) -> int:
    """Return how many entries the folder of paper files holds (0 without one): a survey's size before reading it."""
    try:
        with os.scandir(content / PAPERS_DIR) as listing:
            return sum(1 for _ in listing)
    except OSError:
        return 0


def parsed() -> list[tuple[tuple[str, str, str], Parsed]]:
    """Return the paper files this build parsed or found parsed, for `keep_parsed` in another process."""
    return _PAPERS.used()


def keep_parsed(results: Sequence[tuple[tuple[str, str, str], Parsed]]) -> None:
    """Keep paper files parsed by a copy of this process, so that the next build does not parse them again."""
    for key, result in results:
        _PAPERS.put(key, result)


def unread_papers(problems: Sequence[Problem], content: Path, root: Path) -> set[str]:
    """Return the keys of paper files that `load_papers` found but could not read."""
    folder = _shown(content / PAPERS_DIR, root)
    return {
        problem.path[len(folder) + 1 : -len(".yaml")]
        for problem in problems
        if problem.severity == "error" and problem.path.startswith(f"{folder}/") and problem.path.endswith(".yaml") and "/" not in problem.path[len(folder) + 1 :]
    }


def unread_sections(raws: Sequence[Raw], problems: Sequence[Problem]) -> list[tuple[str, int, str]]:
    """Return the `section:` that paper files which could not be read still name: (file, line, id),
    but for files whose `section:` is itself among their `problems`."""
    wrong_section = {problem.path for problem in problems if problem.field == "section"}
    return [
        (raw.path, raw.line_of("section"), value.strip())
        for raw in raws
        if raw.path not in wrong_section and isinstance(value := raw.data.get("section"), str) and value.strip()
    ]


# An editor's backup, swap and autosave files beside the files it edits ("x.yaml~", "#x.yaml#",
# "x.yaml.swp"): a hidden file (".x.yaml.swp") is skipped anyway.
EDITOR_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".bak")


def is_editor_file(name: str) -> bool:
    """Tell whether a file name is an editor's backup, swap or autosave file, not content."""
    return name.startswith("#") or name.endswith(EDITOR_SUFFIXES)


def load_overrides(content: Path, root: Path) -> tuple[Overrides, list[Problem]]:
    """Read `content/overrides.yaml`; a survey without one gets the defaults."""
    path = content / OVERRIDES_FILE
    shown = _shown(path, root)
    misnamed = _misnamed_overrides(content, root)
    if misnamed:
        return Overrides(path=shown), misnamed
    if not path.exists() and not path.is_symlink():
        return Overrides(path=shown), []
    if path.is_symlink():
        return Overrides(path=shown), [Problem(shown, 1, "", LINK_REFUSED)]
    node, problems = read_yaml(path, shown)
    if problems:
        return Overrides(path=shown), problems
    raw, problems = _mapping(node, shown, "the overrides")
    if raw is None:
        return Overrides(path=shown), problems
    sections: list[Raw] = []
    section_nodes = _nodes(node, "sections")
    if section_nodes is not None:
        if isinstance(section_nodes, yaml.SequenceNode):
            for item in section_nodes.value:
                found_raw, found = _mapping(item, shown, "a section")
                problems += found
                if found_raw is not None:
                    sections.append(found_raw)
        else:
            problems.append(Problem(shown, raw.line_of("sections"), "sections", "expected a list of sections ('- id: ...')"))
    automatic = None
    automatic_node = _nodes(node, "automatic_sections")
    if automatic_node is not None:
        automatic, found = _mapping(automatic_node, shown, "bounds (min, max, min_size)")
        problems += found
    overrides, found = overrides_from_raw(raw, sections, automatic)
    return overrides, problems + found


def sections_complete(overrides: Overrides, problems: Sequence[Problem]) -> bool:
    """Tell whether every section of the overrides was read, despite these problems of the file:
    none of its errors is in the `sections:` list, or leaves the file unread."""
    lines = dict(overrides.lines)
    wrong = [p.line for p in problems if p.severity == "error"]
    if not wrong:
        return True
    if "sections" not in lines:
        return False  # the file could not be read as settings, or has no sections to miss
    start = lines["sections"]
    end = min((line for line in lines.values() if line > start), default=start + 10**9)
    return not any(line < 1 or start <= line < end for line in wrong)


def _misnamed_overrides(content: Path, root: Path) -> list[Problem]:
    """Name a file that was meant as the overrides but is not read ("overrides.yml",
    "Overrides.yaml", "override.yaml"): its titles, exclusions and stop words would be ignored."""
    try:
        names = sorted(entry.name for entry in os.scandir(content) if entry.is_file())
    except OSError:
        return []
    stem = OVERRIDES_FILE.rsplit(".", 1)[0]
    return [
        Problem(_shown(content / name, root), 1, "", f"the curator's file is read only as '{OVERRIDES_FILE}': rename this one, or its settings are ignored")
        for name in names
        if name != OVERRIDES_FILE and name.lower().endswith((".yaml", ".yml")) and difflib.SequenceMatcher(None, name.rsplit(".", 1)[0].lower(), stem).ratio() >= 0.8
    ]


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _published_path(content: Path) -> Path | None:
    path = content / PUBLISHED_FILE
    return path if path.is_file() and not path.is_symlink() else None


def published_problems(content: Path, root: Path) -> list[Problem]:
    """Report a list of released keys that cannot be trusted: a link, too large, not UTF-8."""
    path = content / PUBLISHED_FILE
    shown = _shown(path, root)
    if path.is_symlink():
        return [Problem(shown, 1, "", LINK_REFUSED)]
    if not path.exists():
        return []
    data, problems = _read_bytes(path, shown)
    if data is None:
        return problems
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return [not_utf8(shown, data, error)]
    return []


def load_published(content: Path, root: Path) -> tuple[str, list[tuple[int, str]]]:
    """Read the list of released citation keys, one a line, with their line numbers."""
    path = _published_path(content)
    shown = _shown(content / PUBLISHED_FILE, root)
    if path is None or published_problems(content, root):
        return shown, []
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    # A key is a line's text up to a comment: "lee2024old  # withdrawn, kept for citations".
    keys = [(number, line.split("#", 1)[0].strip()) for number, line in enumerate(lines, start=1)]
    return shown, [(n, k) for n, k in keys if k]


PUBLISHED_HEADER = "# Citation keys released so far. `survey check` fails if one disappears; `survey release` adds new ones.\n"


def published_text(new: list[str], kept: str | None = None) -> str:
    """Return the published-keys file after a release: the file as the curator left it (its
    comments and order too), or a header, then the new keys in order."""
    text = PUBLISHED_HEADER if kept is None else kept
    if text and not text.endswith("\n"):
        text += "\n"
    return text + "".join(f"{key}\n" for key in sorted(set(new)))

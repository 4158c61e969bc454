"""Write outputs (the output edge): only changed bytes, only our own files, atomically."""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .models import Problem
from .project import ProjectError

MANIFEST = ".survey-manifest.json"


@dataclass(frozen=True, slots=True)
class WriteReport:
    """What a write changed in the docs folder."""

    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]


def _target(folder: Path, relative: str) -> Path:
    path = (folder / relative).resolve()
    if folder.resolve() not in path.parents:
        raise ProjectError([Problem(_shown(folder, relative), 0, "", f"refusing to write outside {folder.name}/")])
    return path


def _shown(folder: Path, relative: str) -> str:
    return f"{folder.name}/{relative}"


def _clean_relative(relative: Any) -> bool:
    """Tell whether a manifest entry is a plain relative path (no '..', not absolute)."""
    return isinstance(relative, str) and bool(relative) and not relative.startswith("/") and posixpath.normpath(relative) == relative and ".." not in relative.split("/")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace a file's bytes in one step, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_manifest(folder: Path) -> set[str]:
    try:
        listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {entry for entry in listed if _clean_relative(entry)} if isinstance(listed, list) else set()


def _refusal(folder: Path, relative: str, payload: bytes, ours: set[str]) -> Problem | None:
    """Say why a generated file cannot be written: a link out, a folder in the way, a file not ours."""
    shown = _shown(folder, relative)
    if not _clean_relative(relative):
        return Problem(shown, 0, "", "refusing a generated file name that is not a plain relative path")
    path = folder / relative
    if folder.resolve() not in path.resolve().parents:
        return Problem(shown, 0, "", f"refusing to write outside {folder.name}/ (a symbolic link points elsewhere)")
    for parent in path.relative_to(folder).parents:
        if (folder / parent).exists() and not (folder / parent).is_dir():
            return Problem(_shown(folder, parent.as_posix()), 0, "", f"is a file where survey writes a folder for {relative}: move it away")
    if path.is_dir():
        return Problem(shown, 0, "", "is a folder where survey writes a file: move it away")
    if path.exists() and relative not in ours and path.read_bytes() != payload:
        return Problem(shown, 0, "", f"exists but was not written by survey (it is not listed in {folder.name}/{MANIFEST}): move it away, or delete it if it is an old generated file")
    return None


def write_docs(folder: Path, files: Mapping[str, str | bytes]) -> WriteReport:
    """Write generated files whose bytes changed; remove files only we wrote before.

    A file that is in the way and was not written by survey is never overwritten: the whole
    write is refused before any file changes.
    """
    if folder.exists() and not folder.is_dir():
        raise ProjectError([Problem(folder.name, 0, "", "is a file where survey writes its docs folder: move it away")])
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / MANIFEST
    previous = _read_manifest(folder)
    payloads = {relative: data.encode("utf-8") if isinstance(data, str) else data for relative, data in files.items()}
    problems = [found for relative in sorted(payloads) if (found := _refusal(folder, relative, payloads[relative], previous))]
    if problems:
        raise ProjectError(problems)
    written, unchanged = [], 0
    for relative in sorted(payloads):
        payload = payloads[relative]
        path = _target(folder, relative)
        if path.is_file() and path.read_bytes() == payload:
            unchanged += 1
            continue
        write_atomic(path, payload)
        written.append(relative)
    removed = []
    for relative in sorted(previous - set(payloads)):
        path = folder / relative
        # Only a plain file we wrote goes; a link or a folder someone put there stays.
        if path.is_file() and not path.is_symlink() and folder.resolve() in path.resolve().parents:
            path.unlink()
            removed.append(relative)
    listing = (json.dumps(sorted(payloads), indent=0) + "\n").encode("utf-8")
    if not manifest.is_file() or manifest.read_bytes() != listing:
        write_atomic(manifest, listing)
    return WriteReport(tuple(written), unchanged, tuple(removed))


def replace_folder(target: Path, fill: Callable[[Path], None]) -> None:
    """Fill a fresh folder next to `target`, then swap it in; on failure keep the old one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    retired = target.parent / f".{target.name}.old"
    if retired.exists() and not target.exists():
        os.replace(retired, target)  # a build stopped mid-swap: the last good site comes back
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-"))
    try:
        fill(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        os.replace(target, retired)
    try:
        os.replace(staging, target)
    except BaseException:
        if retired.exists() and not target.exists():
            os.replace(retired, target)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(retired, ignore_errors=True)

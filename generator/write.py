"""Write outputs (the output edge): only changed bytes, only our own files, atomically."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

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
        raise ValueError(f"refusing to write outside {folder}: {relative}")
    return path


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


def write_docs(folder: Path, files: Mapping[str, str | bytes]) -> WriteReport:
    """Write generated files whose bytes changed; remove files only we wrote before."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / MANIFEST
    try:
        previous = set(json.loads(manifest.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        previous = set()
    written, unchanged = [], 0
    for relative in sorted(files):
        data = files[relative]
        payload = data.encode("utf-8") if isinstance(data, str) else data
        path = _target(folder, relative)
        if path.is_file() and path.read_bytes() == payload:
            unchanged += 1
            continue
        write_atomic(path, payload)
        written.append(relative)
    removed = []
    for relative in sorted(previous - set(files)):
        try:
            path = _target(folder, relative)
        except ValueError:
            continue
        if path.is_file():
            path.unlink()
            removed.append(relative)
    listing = (json.dumps(sorted(files), indent=0) + "\n").encode("utf-8")
    if not manifest.is_file() or manifest.read_bytes() != listing:
        write_atomic(manifest, listing)
    return WriteReport(tuple(written), unchanged, tuple(removed))


def replace_folder(target: Path, fill: Callable[[Path], None]) -> None:
    """Fill a fresh folder next to `target`, then swap it in; on failure keep the old one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-"))
    try:
        fill(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    retired = target.parent / f".{target.name}.old"
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        os.replace(target, retired)
    os.replace(staging, target)
    shutil.rmtree(retired, ignore_errors=True)

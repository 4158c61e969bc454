"""Write outputs (the output edge): only changed bytes, only our own files, atomically."""

from __future__ import annotations

import contextlib
import errno
import glob
import itertools
import json
import os
import posixpath
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from .models import Problem
from .project import ProjectError

MANIFEST = ".survey-manifest.json"
# Files are written by this many threads when there are at least THREADS_FROM of them.
WRITE_THREADS = 4
THREADS_FROM = 256


@dataclass(frozen=True, slots=True)
class WriteReport:
    """What a write changed in the docs folder."""

    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Staged:
    """A generated file already on disk, in the staging folder: where it is and its size."""

    path: Path
    size: int

    def read(self) -> bytes:
        return self.path.read_bytes()


@dataclass(frozen=True, slots=True)
class Kept:
    """A file of the docs folder to leave as it is: the last build wrote these bytes, and they are still there (see reuse.py)."""

    size: int


# Files are made readable as any new file is (the user's umask applies, as with open()): a paper
# file from `survey add` or a page in docs/ is not private to its writer.
FILE_MODE = 0o666


def stage(folder: Path, relative: str, data: bytes) -> Staged:
    """Put a generated file into the staging folder, to be moved into the docs folder by `write_docs`."""
    path = folder / quote(relative, safe="")
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE)
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    return Staged(path, len(data))


def fresh_folder(parent: Path, prefix: str) -> Path:
    """Make a new folder `<prefix><process id>-<random>` in `parent`.

    First remove the folders of that prefix whose process no longer runs: a build that was
    killed (a closed terminal, an out-of-memory kill) never reached its own clean-up. A folder
    of a build still running, here or in another process, is left alone.
    """
    for leftover in parent.glob(f"{glob.escape(prefix)}*"):
        if leftover.is_dir() and not leftover.is_symlink() and not _running(leftover.name[len(prefix) :].split("-", 1)[0]):
            shutil.rmtree(leftover, ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=parent, prefix=f"{prefix}{os.getpid()}-"))


def _running(pid: str) -> bool:
    """Tell whether a process of this id runs (a name without one is an earlier version's: no)."""
    if os.name == "nt":
        return True  # Windows' os.kill ends the process it asks about
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process is there
    except PermissionError:
        return True  # another user's
    except (ProcessLookupError, OverflowError):
        return False
    return True


@contextlib.contextmanager
def staging(docs: Path) -> Iterator[Path]:
    """Give a fresh folder beside the docs folder for files being made; remove it afterwards.

    Pages go to disk as they are rendered instead of being held until writing (at 100,000
    papers they are gigabytes), and a changed file is then moved into place, not copied.
    """
    docs.parent.mkdir(parents=True, exist_ok=True)
    folder = fresh_folder(docs.parent, f".{docs.name}.staging-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


FileData = str | bytes | Staged | Kept


def _shown(folder: Path, relative: str) -> str:
    return f"{folder.name}/{relative}"


def _clean_relative(relative: Any) -> bool:
    """Tell whether a manifest entry is a plain relative path (no '..', not absolute)."""
    return isinstance(relative, str) and bool(relative) and not relative.startswith("/") and posixpath.normpath(relative) == relative and ".." not in relative.split("/")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace a file's bytes in one step, so a reader never sees half a file."""
    # A fixed temporary name (tempfile.mkstemp draws random ones) and no mkdir until a folder
    # is found missing: writing is most of the cost of a docs folder of 100,000 files.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        handle = os.open(temporary, flags, FILE_MODE)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(temporary, flags, FILE_MODE)
    except FileExistsError:  # left by a process that stopped mid-write: take the next free name
        for number in itertools.count(2):
            temporary = path.with_name(f".{path.name}.{os.getpid()}.{number}.tmp")
            with contextlib.suppress(FileExistsError):
                handle = os.open(temporary, flags, FILE_MODE)
                break
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _read_manifest(folder: Path) -> set[str]:
    try:
        listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {entry for entry in listed if _clean_relative(entry)} if isinstance(listed, list) else set()


class _Checks:
    """What is already in the docs folder, looked up once per folder and once per file.

    A docs folder holds tens of thousands of files in a handful of folders: each folder is
    resolved once, and each file costs one `lstat` (and a read only when the sizes match).
    """

    def __init__(self, folder: Path, ours: set[str]):
        self.folder = folder
        self.base = folder.resolve()
        self.ours = ours
        self._folders: dict[str, tuple[bool, str | None]] = {}
        self.status: dict[str, os.stat_result | None] = {}
        self.links: set[str] = set()

    def inside(self, path: Path) -> bool:
        """Tell whether a path, once links are followed, lies inside the docs folder."""
        return self.base in path.resolve().parents

    def _blocked(self, parent: str) -> tuple[bool, str | None]:
        """Return whether a folder of the docs folder leads outside it, and which of its steps is a file."""
        if parent not in self._folders:
            resolved = (self.folder / parent).resolve()
            outside = resolved != self.base and self.base not in resolved.parents
            steps = [parent, *(p.as_posix() for p in PurePosixPath(parent).parents if p.as_posix() != ".")]
            in_the_way = next((step for step in steps if (self.folder / step).exists() and not (self.folder / step).is_dir()), None)
            self._folders[parent] = (outside, in_the_way)
        return self._folders[parent]

    def refusal(self, relative: str, data: FileData) -> Problem | None:
        """Say why a generated file cannot be written: a link out, a folder in the way, a file not ours."""
        shown = _shown(self.folder, relative)
        if not _clean_relative(relative):
            return Problem(shown, 0, "", "refusing a generated file name that is not a plain relative path")
        path = self.folder / relative
        outside, in_the_way = self._blocked(posixpath.dirname(relative))
        if outside:
            return Problem(shown, 0, "", f"refusing to write outside {self.folder.name}/ (a symbolic link points elsewhere)")
        if in_the_way is not None:
            return Problem(_shown(self.folder, in_the_way), 0, "", f"is a file where survey writes a folder for {relative}: move it away")
        status: os.stat_result | None
        try:
            status = os.lstat(path)
        except FileNotFoundError:
            self.status[relative] = None
            return None
        if stat.S_ISLNK(status.st_mode):
            if not self.inside(path):
                return Problem(shown, 0, "", f"refusing to write outside {self.folder.name}/ (a symbolic link points elsewhere)")
            self.links.add(relative)
            status = os.stat(path) if path.exists() else None
        self.status[relative] = status
        if status is not None and stat.S_ISDIR(status.st_mode):
            return Problem(shown, 0, "", "is a folder where survey writes a file: move it away")
        if status is not None and relative not in self.ours and not self.same(relative, data):
            return Problem(shown, 0, "", f"exists but was not written by survey (it is not listed in {self.folder.name}/{MANIFEST}): move it away, or delete it if it is an old generated file")
        return None

    def same(self, relative: str, data: FileData) -> bool:
        """Tell whether the file already holds exactly these bytes."""
        if isinstance(data, Kept):
            return True
        status = self.status.get(relative)
        size = data.size if isinstance(data, Staged) else len(_encoded(data))
        if status is None or not stat.S_ISREG(status.st_mode) or status.st_size != size:
            return False
        return (self.folder / relative).read_bytes() == _encoded(data)


def _encoded(data: FileData) -> bytes:
    if isinstance(data, Staged):
        return data.read()
    if isinstance(data, Kept):  # never asked for: a kept file is the same by definition
        raise ValueError("a kept file's bytes are the docs folder's")
    return data.encode("utf-8") if isinstance(data, str) else data


def _move(staged: Staged, path: Path) -> None:
    """Move a staged file into place in one step; copy it where the docs folder is on another disk."""
    try:
        try:
            os.replace(staged.path, path)
        except FileNotFoundError:  # the first file of a new folder
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.path, path)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        write_atomic(path, staged.read())


def write_docs(folder: Path, files: Mapping[str, FileData]) -> WriteReport:
    """Write generated files whose bytes changed; remove files only we wrote before.

    A file is given as text, bytes, or a file already made in the staging folder (see `stage`).

    A file that is in the way and was not written by survey is never overwritten: the whole
    write is refused before any file changes.
    """
    if folder.exists() and not folder.is_dir():
        raise ProjectError([Problem(folder.name, 0, "", "is a file where survey writes its docs folder: move it away")])
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / MANIFEST
    previous = _read_manifest(folder)
    # Each file is encoded when it is needed, not all at once: at 100,000 papers the docs
    # folder is gigabytes, and a second copy of it all would double the peak memory.
    names = sorted(files)
    checks = _Checks(folder, previous)
    problems = [found for relative in names if (found := checks.refusal(relative, files[relative]))]
    if problems:
        raise ProjectError(problems)
    def update(relative: str) -> None:
        """Put one file's new bytes in place."""
        data = files[relative]
        path = folder / relative
        # A link inside the folder is written through; the checks refused any other.
        target = path.resolve() if relative in checks.links else path
        if isinstance(data, Staged):
            _move(data, target)
        else:
            write_atomic(target, _encoded(data))

    # The file system does most of the work, outside Python's lock: threads overlap it. All files
    # are compared first, then the changed ones written in one burst, so that a watcher
    # (`mkdocs serve` looks at docs/ every half second) sees the changes land together.
    threads = WRITE_THREADS if len(names) >= THREADS_FROM else 1
    with ThreadPoolExecutor(threads) as pool:
        same = list(pool.map(lambda relative: checks.same(relative, files[relative]), names))
        written = [relative for relative, unchanged_ in zip(names, same, strict=True) if not unchanged_]
        list(pool.map(update, written))
    unchanged = len(names) - len(written)
    removed = []
    for relative in sorted(previous - set(files)):
        path = folder / relative
        # Only a plain file we wrote goes; a link or a folder someone put there stays.
        if path.is_file() and not path.is_symlink() and checks.inside(path):
            path.unlink()
            removed.append(relative)
    # A folder emptied by those removals goes too (a section back to one page, an index back to
    # one letter page), so that the folder holds what a clean build would; one holding anything
    # else stays.
    for parent in sorted({parent for relative in removed for parent in PurePosixPath(relative).parents if parent.name}, key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            (folder / parent).rmdir()
    listing = (json.dumps(names, indent=0) + "\n").encode("utf-8")
    if not manifest.is_file() or manifest.read_bytes() != listing:
        write_atomic(manifest, listing)
    return WriteReport(tuple(written), unchanged, tuple(removed))


def _remove(path: Path) -> None:
    """Remove a folder, a file or a link at `path`, if there is one."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _umask() -> int:
    """Return the process's umask: from Linux's /proc, else by setting it and setting it back
    (which another thread creating a file at that moment could notice)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def replace_folder(target: Path, fill: Callable[[Path], None]) -> None:
    """Fill a fresh folder next to `target`, then swap it in; on failure keep the old one.

    A file or a link at `target` is not survey's to replace: the build is refused before it starts.
    """
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        kind = "a link" if target.is_symlink() else "a file"
        raise ProjectError([Problem(target.name, 0, "", f"is {kind} where survey puts its built site folder: move it away, or name another folder in site_dir of mkdocs.yml")])
    target.parent.mkdir(parents=True, exist_ok=True)
    retired = target.parent / f".{target.name}.old"
    if retired.exists() and not target.exists():
        os.replace(retired, target)  # a build stopped mid-swap: the last good site comes back
    staging = fresh_folder(target.parent, f".{target.name}.new-")
    try:
        # mkdtemp makes a folder only its owner may read; the site is for a web server and every
        # reader of a shared folder, as a folder made by mkdir would be.
        staging.chmod(0o777 & ~_umask())
        fill(staging)
        _remove(retired)  # what an earlier, interrupted swap retired (a file, with an older survey)
        if target.exists():
            os.replace(target, retired)
        os.replace(staging, target)
    except BaseException:
        if retired.exists() and not target.exists():
            os.replace(retired, target)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _remove(retired)

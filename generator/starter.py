"""What `survey init` writes for a new survey: its settings, the curator's file, a .gitignore and a CI workflow."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from . import __version__
from .load import OVERRIDES_FILE, PAPERS_DIR
from .models import InputError, Problem
from .project import CONFIG_FILE
from .render import packaged_folder
from .write import write_atomic

DISTRIBUTION = "survey-generator"
WORKFLOW = Path(".github") / "workflows" / "survey.yml"

NEW_OVERRIDES = """# The curator's file: section titles, descriptions and reading order; excluded papers; extra
# stop words (see the README). Papers join a section through the `section:` field of their own file.
title: {title}
description: What this survey covers, in a paragraph for the home page.
"""
# Made by `survey build`: outputs, and the folders a build works in (a build killed outright
# leaves them until the next one clears them).
NEW_GITIGNORE = "# Made by `survey build`: outputs, not sources.\n/docs/\n/site/\n/.docs.staging-*/\n/.site.new-*/\n/.site.old/\n"


@dataclass(frozen=True, slots=True)
class Install:
    """How CI installs the `survey` that runs here: a pip requirement, and whether CI can reach it."""

    requirement: str
    reachable: bool
    source: str  # where this one was installed from, as said to the curator


def this_install(direct_url: str | None, version: str) -> Install:
    """Return how to install this `survey` again, from its PEP 610 record (None: from an index).

    A Git checkout is pinned to its commit and an archive to its address; a folder on this
    machine (an editable install, or a checkout run without installing) cannot be reached from
    CI, so the release of the same version is named instead, for the curator to change.
    """
    if direct_url is None:
        return Install(f"{DISTRIBUTION}=={version}", True, "the package index")
    try:
        record = json.loads(direct_url)
        url = str(record["url"])
    except (ValueError, KeyError, TypeError):
        return Install(f"{DISTRIBUTION}=={version}", False, "an unknown place")
    scheme = urlsplit(url).scheme
    vcs = record.get("vcs_info") if isinstance(record.get("vcs_info"), dict) else None
    if vcs is not None and scheme not in ("file", ""):
        commit = vcs.get("commit_id") or vcs.get("requested_revision")
        return Install(f"{DISTRIBUTION} @ {vcs.get('vcs', 'git')}+{url}" + (f"@{commit}" if commit else ""), True, url)
    if scheme in ("http", "https"):
        return Install(f"{DISTRIBUTION} @ {url}", True, url)
    return Install(f"{DISTRIBUTION}=={version}", False, url)


def current_install() -> Install:
    """Return how the running `survey` was installed."""
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a checkout, not installed
        install = this_install(json.dumps({"url": Path(__file__).resolve().parent.parent.as_uri(), "dir_info": {}}), __version__)
    else:
        install = this_install(distribution.read_text("direct_url.json"), distribution.version)
    if install.reachable or urlsplit(install.source).scheme != "file":
        return install
    return from_checkout(Path(url2pathname(urlsplit(install.source).path))) or install


def public_address(remote: str) -> str | None:
    """Return the https address of a Git remote that CI could clone, or None (a folder, another protocol).

    "git@github.com:ada/survey.git" and "ssh://git@github.com/ada/survey.git" become
    "https://github.com/ada/survey.git", as a CI runner without the curator's keys reaches them.
    """
    if remote.startswith(("https://", "http://")):
        return remote
    scp = re.fullmatch(r"[\w.-]+@([\w.-]+):(?!/)(.+)", remote)  # git@host:owner/repo.git
    if scp:
        return f"https://{scp.group(1)}/{scp.group(2)}"
    parts = urlsplit(remote)
    if parts.scheme in ("ssh", "git+ssh", "git") and parts.hostname:
        return f"https://{parts.hostname}{parts.path}"
    return None


def from_checkout(folder: Path) -> Install | None:
    """Return how CI installs `survey` from the Git checkout it was installed from, when it can.

    That is the commit checked out, from the address of the remote `origin`, when a branch of
    that remote holds the commit (it was pushed, as far as this checkout knows). Git is asked
    about this checkout only: nothing goes over the network.
    """

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):  # no git, or it hung
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    remote = git("remote", "get-url", "origin")
    commit = git("rev-parse", "--verify", "HEAD^{commit}")
    address = public_address(remote) if remote else None
    if not (address and commit and git("branch", "--remotes", "--contains", commit, "--list", "origin/*")):
        return None
    return Install(f"{DISTRIBUTION} @ git+{address}@{commit}", True, f"{address} (commit {commit[:12]} of the checkout {folder})")


def workflow_text(install: Install) -> str:
    """Return the CI workflow of a new survey, installing `survey` as `install` says."""
    where = " ".join(install.source.split())  # a comment holds one line
    note = f"As `survey init` was: from {where}." if install.reachable else f"survey was installed from {where}, which CI cannot reach: say where to install it from."
    command = json.dumps(f"pip install {shlex.quote(install.requirement)}")  # a JSON string is a YAML string
    text = (packaged_folder() / "new-survey-workflow.yml").read_text(encoding="utf-8")
    return text.replace("__INSTALL_NOTE__", note).replace("__INSTALL_COMMAND__", command)


def start_survey(root: Path, title: str, install: Install) -> list[Problem]:
    """Write a new survey's files into `root`; return warnings for the curator (the workflow to edit).

    A folder with mkdocs.yml or content/ already holds a survey: nothing is written. A .gitignore
    or a workflow of the same name already there is left as it is. A file that cannot be written
    stops the command with its reason, and what was written before it is taken away again.
    """
    made = [root / CONFIG_FILE, root / "content"]
    present = [path for path in made if path.exists() or path.is_symlink()]
    if present:
        raise InputError([Problem(path.name, 0, "", "is already here: `survey init` starts a survey only in a folder without one") for path in present])
    quoted = json.dumps(title, ensure_ascii=False)  # a JSON string is a YAML string, quotes and all
    config = (packaged_folder() / "new-survey-mkdocs.yml").read_text(encoding="utf-8").replace("__SITE_NAME__", quoted)
    files = {
        Path("content") / OVERRIDES_FILE: NEW_OVERRIDES.format(title=quoted),
        Path(CONFIG_FILE): config,
        Path(".gitignore"): NEW_GITIGNORE,
        WORKFLOW: workflow_text(install),
    }
    written: list[Path] = []  # files and folders this call made, to take away if a later one fails
    try:
        _make_folder(root, written)
        _make_folder(root / "content" / PAPERS_DIR, written)
        for name, text in files.items():
            path = root / name
            if name in (Path(".gitignore"), WORKFLOW) and (path.exists() or path.is_symlink()):
                continue  # the curator's own
            _make_folder(path.parent, written)
            write_atomic(path, text.encode("utf-8"))
            written.append(path)
    except OSError as error:
        for path in reversed(written):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()
        failed = Path(error.filename) if error.filename else root
        where = failed.relative_to(root) if failed.is_relative_to(root) and failed != root else failed
        why = "is a file, where a folder is needed" if isinstance(error, (FileExistsError, NotADirectoryError)) else f"cannot be written ({error.strerror})"
        raise InputError([Problem(where.as_posix(), 0, "", f"{why}: no survey was started")]) from None
    if install.reachable or root / WORKFLOW not in written:  # reachable, or the curator's own workflow
        return []
    return [Problem(WORKFLOW.as_posix(), _install_line(), "", f"installs '{install.requirement}', but this survey command was installed from {install.source}, which CI cannot reach: put where to install it from (such as 'survey-generator @ git+https://github.com/you/survey@main')", "warning")]


def _make_folder(folder: Path, written: list[Path]) -> None:
    """Make a folder and the ones above it that are missing, noting each made."""
    missing = [folder, *folder.parents]
    missing = [path for path in missing if not path.is_dir()][::-1]
    for path in missing:
        path.mkdir()
        written.append(path)


def _install_line() -> int:
    """Return the line of the workflow that installs `survey`."""
    lines = (packaged_folder() / "new-survey-workflow.yml").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if "__INSTALL_COMMAND__" in line)

"""Shared fixtures: a copy of the small fixture survey, and of the shipped one."""

from __future__ import annotations

import base64
import html
import re
import shutil
from pathlib import Path

import pytest

from generator import cache
from generator.cli import main

TESTS = Path(__file__).parent
REPO = TESTS.parent
FIXTURE = TESTS / "fixtures" / "survey"
# A copy of ../shared/seed, so the tests run from any clone.
SEED = TESTS / "fixtures" / "seed"


def copy_survey(source: Path, target: Path) -> Path:
    """Copy a survey's sources (mkdocs.yml, content/) into a fresh folder."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "mkdocs.yml", target / "mkdocs.yml")
    shutil.copytree(source / "content", target / "content")
    return target


@pytest.fixture(autouse=True)
def cold_caches() -> None:
    """Start every test cold: no analysis remembered from another test's build."""
    cache.clear()


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    """A writable copy of the fixture survey."""
    return copy_survey(FIXTURE, tmp_path / "survey")


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A writable copy of the survey this repository ships."""
    return copy_survey(REPO, tmp_path / "shipped")


@pytest.fixture(scope="session")
def shipped_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped survey, built once for all tests that only read the site."""
    root = copy_survey(REPO, tmp_path_factory.mktemp("shipped-site"))
    assert main(["-C", str(root), "build"]) == 0
    return root


# A paper's BibTeX download: a `data:` URL with the file name to save it under.
BIBTEX_DOWNLOAD = re.compile(r'href="data:application/x-bibtex;charset=utf-8;base64,([^"]*)" download="([^"]*)\.bib"')


def bibtex_downloads(folder: Path, pattern: str = "*.md") -> dict[str, str]:
    """Return every paper's BibTeX download in a folder's pages: the file name's key -> the text saved."""
    found: dict[str, str] = {}
    for page in sorted(folder.rglob(pattern)):
        for data, name in BIBTEX_DOWNLOAD.findall(page.read_text(encoding="utf-8")):
            found[html.unescape(name)] = base64.b64decode(data, validate=True).decode("utf-8")
    return found


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the `survey` command; return its exit code, output and error output."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err

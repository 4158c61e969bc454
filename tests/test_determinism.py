"""Same content in, byte-identical site out: HTML, BibTeX, JSON, search index, sitemap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO, copy_survey, run
from generator import cache


def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_two_builds_in_different_folders_are_byte_identical(survey, tmp_path, capsys):
    other = copy_survey(survey, tmp_path / "again")
    assert run(capsys, "-C", str(survey), "build")[0] == 0
    cache.clear()  # the second build computes everything again, as a new process would
    assert run(capsys, "-C", str(other), "build")[0] == 0
    first, second = site_files(survey / "site"), site_files(other / "site")
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name] != second[name]]
    assert different == []


def test_a_rebuild_gives_the_same_site(survey, capsys):
    assert run(capsys, "-C", str(survey), "build")[0] == 0
    first = site_files(survey / "site")
    assert run(capsys, "-C", str(survey), "build")[0] == 0
    assert site_files(survey / "site") == first


def test_a_build_in_a_new_process_with_another_hash_seed_gives_the_same_site(survey, tmp_path, capsys):
    """No cache, set iteration order or import state of this process carries into the output."""
    assert run(capsys, "-C", str(survey), "build")[0] == 0
    other = copy_survey(survey, tmp_path / "fresh")
    environment = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "generator", "-C", str(other), "build"], env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    first, second = site_files(survey / "site"), site_files(other / "site")
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []

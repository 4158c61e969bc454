"""Golden files: the fixture survey's generated pages, BibTeX, JSON and Atom feed, byte for byte.

Refresh after an intended change with `SURVEY_REFRESH_GOLDEN=1 pytest tests/test_golden.py`
and read the diff before committing it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import TESTS, run

GOLDEN = TESTS / "golden" / "docs"
COMPARED = (".md", ".bib", ".json", ".xml")


def generated_files(docs: Path) -> dict[str, bytes]:
    return {
        p.relative_to(docs).as_posix(): p.read_bytes()
        for p in sorted(docs.rglob("*"))
        if p.is_file() and p.suffix in COMPARED
    }


def test_generated_docs_match_golden_files(survey, capsys):
    code, _, err = run(capsys, "-C", str(survey), "generate")
    assert code == 0, err
    actual = generated_files(survey / "docs")
    if os.environ.get("SURVEY_REFRESH_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, data in actual.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(data)
    expected = generated_files(GOLDEN)
    assert sorted(actual) == sorted(expected), "generated file names differ from tests/golden/docs"
    for name in expected:
        assert actual[name].decode() == expected[name].decode(), f"{name} differs from its golden file"


def test_generate_twice_is_byte_identical_and_rewrites_nothing(survey, capsys):
    run(capsys, "-C", str(survey), "generate")
    first = generated_files(survey / "docs")
    mtimes = {p: p.stat().st_mtime_ns for p in (survey / "docs").rglob("*") if p.is_file()}
    code, out, _ = run(capsys, "-C", str(survey), "generate")
    assert code == 0
    assert "0 files written" in out
    assert generated_files(survey / "docs") == first
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes

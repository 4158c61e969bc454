"""Importing the seed listing: 118 papers, the duplicate found, facts never invented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import SEED, run

LISTING = SEED / "papers-listing.txt"
METADATA = SEED / "metadata.jsonl"


@pytest.fixture
def empty_survey(survey: Path) -> Path:
    for path in (survey / "content" / "papers").iterdir():
        path.unlink()
    (survey / "content" / "overrides.yaml").unlink()
    return survey


def imported(survey: Path) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text()) for p in sorted((survey / "content" / "papers").glob("*.yaml"))}


def test_import_adds_118_papers_and_reports_the_duplicate(empty_survey, capsys):
    code, out, err = run(capsys, "-C", str(empty_survey), "import", str(LISTING), "--metadata", str(METADATA), "--added", "2026-11-25")
    assert code == 0
    papers = imported(empty_survey)
    assert len(papers) == 118
    assert "papers-listing.txt:201: skipped, duplicate of content/papers/" in out
    assert "same arXiv id 2205.12410" in out
    assert sum("AdaMix" in p["title"] for p in papers.values()) == 1
    assert "added 118 paper(s), skipped 1 duplicate(s)" in out
    assert "has only" not in err  # every abstract line of the seed is a real abstract


def test_a_listing_missing_an_abstract_line_is_warned_about(survey, tmp_path, capsys):
    listing = tmp_path / "listing.txt"
    abstract = "We study how models learn many tasks at once and find that sharing helps small tasks most."
    listing.write_text(f"First title\n{abstract}\nSecond title without its abstract\nThird title\n{abstract}\n", encoding="utf-8")
    code, _, err = run(capsys, "-C", str(survey), "import", str(listing), "--dry-run")
    assert code == 1  # the last line is left without a partner…
    assert f"{listing}:5: field 'abstract': title 'We study how models" in err
    # …and the warning shows where the pairs went wrong.
    assert f"{listing}:4: warning: field 'abstract': the abstract line after 'Second title without its abstract' has only 2 word(s)" in err


def test_import_takes_facts_only_from_the_metadata(empty_survey, capsys):
    run(capsys, "-C", str(empty_survey), "import", str(LISTING), "--metadata", str(METADATA), "--added", "2026-11-25")
    papers = imported(empty_survey)
    rows = [json.loads(line) for line in METADATA.read_text().splitlines()]
    by_title = {p["title"]: p for p in papers.values()}
    for row in rows:
        paper = by_title[row["title"]]
        assert paper.get("authors", []) == (row["authors"] or [])
        assert paper.get("year") == row["year"]
        assert paper.get("arxiv") == row["arxiv_id"]
    lori = papers["zhang2025lori"]
    assert lori["authors"][-1] == "Tom Goldstein"
    assert lori["added"].isoformat() == "2026-11-25"


def test_import_moves_links_out_of_abstracts_without_trailing_punctuation(empty_survey, capsys):
    run(capsys, "-C", str(empty_survey), "import", str(LISTING), "--added", "2026-11-25")
    papers = imported(empty_survey)
    by_title = {p["title"]: p for p in papers.values()}
    assert by_title["Compacter: Efficient Low-Rank Hypercomplex Adapter Layers"]["code"] == "https://github.com/rabeehk/compacter"
    assert by_title["Task Vectors are Cross-Modal"]["url"] == "https://task-vectors-are-cross-modal.github.io"
    assert by_title["Incremental Task Learning with Incremental Rank Updates"]["code"] == "https://github.com/CSIPlab/task-increment-rank-update"
    for paper in papers.values():
        for field in ("code", "url"):
            if field in paper:
                assert not paper[field].endswith((".", ")", ",")), paper[field]


def test_import_without_metadata_invents_no_author_or_year(empty_survey, capsys):
    run(capsys, "-C", str(empty_survey), "import", str(LISTING), "--added", "2026-11-25")
    papers = imported(empty_survey)
    assert len(papers) == 118
    assert not any("authors" in p or "year" in p or "arxiv" in p for p in papers.values())


def test_import_again_adds_nothing(empty_survey, capsys):
    run(capsys, "-C", str(empty_survey), "import", str(LISTING), "--metadata", str(METADATA), "--added", "2026-11-25")
    before = {p.name: p.read_bytes() for p in (empty_survey / "content" / "papers").iterdir()}
    code, out, _ = run(capsys, "-C", str(empty_survey), "import", str(LISTING), "--metadata", str(METADATA))
    assert code == 0
    assert "added 0 paper(s), skipped 119 duplicate(s)" in out
    assert {p.name: p.read_bytes() for p in (empty_survey / "content" / "papers").iterdir()} == before


def test_shipped_content_is_the_imported_seed():
    from conftest import REPO

    titles = {yaml.safe_load(p.read_text())["title"] for p in (REPO / "content" / "papers").glob("*.yaml")}
    listing_titles = {json.loads(line)["title"] for line in METADATA.read_text().splitlines()}
    assert titles == listing_titles
    assert len(titles) == 118


def _import_with_metadata(survey, tmp_path, capsys, facts: str) -> tuple[Path, int, str]:
    """Import a one-paper listing titled "First title" with these metadata lines (a dry run); return the metadata file, exit code and errors."""
    listing = tmp_path / "listing.txt"
    listing.write_text("First title\nWe study how models learn many tasks at once and find that sharing helps small tasks most.\n", encoding="utf-8")
    metadata = tmp_path / "facts.jsonl"
    metadata.write_text(facts, encoding="utf-8")
    code, _, err = run(capsys, "-C", str(survey), "import", str(listing), "--metadata", str(metadata), "--dry-run")
    return metadata, code, err


def test_metadata_of_the_wrong_shape_is_named_and_left_out(survey, tmp_path, capsys):
    facts = '{"n": 1, "title": "First title", "authors": "Jane Doe", "year": "2020x"}\n{"n": 7, "title": "Elsewhere"}\n'
    metadata, code, err = _import_with_metadata(survey, tmp_path, capsys, facts)
    assert code == 1
    assert f"{metadata}:1: field 'authors': expected a list of names, got str 'Jane Doe'; the authors are left out" in err
    assert f"{metadata}:1: field 'year': expected a whole number, got '2020x'; the year is left out" in err
    assert f"{metadata}:2: warning: field 'n': entry 7 is not in the listing (1 papers); its facts are not used" in err


def test_a_link_a_url_field_would_refuse_stays_in_the_abstract_and_the_paper_is_added(empty_survey, tmp_path, capsys):
    listing = tmp_path / "listing.txt"
    abstract = "We release splits at https://example.com/data/{split}/file.json and code at https://github.com/someone/tool for everyone to use."
    listing.write_text(f"A Dataset of Splits\n{abstract}\n", encoding="utf-8")
    code, out, err = run(capsys, "-C", str(empty_survey), "import", str(listing), "--added", "2026-11-25")
    assert code == 0, err
    (paper,) = imported(empty_survey).values()
    assert paper["code"] == "https://github.com/someone/tool" and "url" not in paper
    assert "https://example.com/data/{split}/file.json" in paper["abstract"]


def test_metadata_needs_the_title_of_each_paper_and_its_help_says_so(survey, tmp_path, capsys):
    with pytest.raises(SystemExit):
        run(capsys, "import", "--help")
    shown = " ".join(capsys.readouterr().out.split())
    assert "'n' (the paper's place in the listing, from 1) and 'title' (the listing's title, case and punctuation aside) are required: a line without them, or with another title, is an error" in shown
    metadata, code, err = _import_with_metadata(survey, tmp_path, capsys, '{"n": 1, "authors": ["Jane Doe"], "year": 2020}\n')
    assert code == 1
    assert f"{metadata}:1: field 'title': metadata for entry 1 gives no title to check it against; its facts are not used" in err

"""Sections: the curator's sections and pins win; other papers go where they fit best."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run


def survey_json(root: Path) -> dict:
    return json.loads((root / "docs" / "survey.json").read_text(encoding="utf-8"))


def sections_of(root: Path) -> dict[str, str]:
    data = survey_json(root)
    return {key: s["id"] for s in data["sections"] for key in s["papers"]}


def test_curated_sections_keep_their_order_titles_and_pins(survey, capsys):
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    data = survey_json(survey)
    assert [s["id"] for s in data["sections"]] == ["merging", "adapters", "benchmarks"]
    assert [s["title"] for s in data["sections"]] == ["Model merging", "Low-rank adapters", "Benchmarks"]
    placed = sections_of(survey)
    assert placed["ilharco2022editing"] == "merging"
    assert placed["hu2021lora"] == "adapters"
    assert placed["srivastava2022beyond"] == "benchmarks"


def test_unpinned_papers_go_to_the_section_they_fit(survey, capsys):
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    placed = sections_of(survey)
    assert placed["yadav2023ties"] == "merging"
    assert placed["tam2023merging"] == "merging"
    assert placed["yang2025cabs"] == "merging"
    assert placed["zhang2025lori"] == "adapters"
    assert placed["wang2023multilora"] == "adapters"
    assert placed["chen2024megabench"] == "benchmarks"
    assert placed["gu2024olmes"] == "benchmarks"


def test_a_pin_overrides_what_the_words_say(survey, capsys):
    path = survey / "content" / "papers" / "zhang2025lori.yaml"
    path.write_text(path.read_text() + "section: benchmarks\n")
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    assert sections_of(survey)["zhang2025lori"] == "benchmarks"


def test_excluded_papers_leave_the_site_but_stay_in_content(survey, capsys):
    overrides = survey / "content" / "overrides.yaml"
    overrides.write_text(overrides.read_text() + "exclude: [gu2024olmes]\n")
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    assert "gu2024olmes" not in sections_of(survey)
    assert (survey / "content" / "papers" / "gu2024olmes.yaml").exists()
    assert "gu2024olmes" not in (survey / "docs" / "bibliography.bib").read_text()


def test_without_overrides_sections_are_found_and_titled_from_keywords(survey, capsys):
    (survey / "content" / "overrides.yaml").unlink()
    for path in (survey / "content" / "papers").glob("*.yaml"):
        path.write_text("".join(line for line in path.read_text().splitlines(keepends=True) if not line.startswith("section:")))
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    data = survey_json(survey)
    assert len(data["sections"]) >= 2
    for section in data["sections"]:
        assert section["keywords"]
        first = section["keywords"][0]
        assert section["title"].lower().startswith(first.lower())
    placed = sections_of(survey)
    assert len(placed) == 12
    assert placed["ilharco2022editing"] == placed["yadav2023ties"], "model merging papers group together"
    assert placed["hu2021lora"] == placed["wang2023multilora"], "LoRA papers group together"


def test_keywords_prefer_bigrams_and_skip_stop_words(survey, capsys):
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    data = survey_json(survey)
    merging = next(s for s in data["sections"] if s["id"] == "merging")
    assert "fixture" not in " ".join(merging["keywords"])
    for section in data["sections"]:
        words = section["keywords"]
        for term in words:
            if " " in term:
                for part in term.split():
                    assert part not in words, f"{part!r} repeats the bigram {term!r}"


def test_the_json_exports_give_each_paper_and_section_a_line_of_its_own(survey, capsys):
    """`survey.json` and the CSL-JSON bibliography: valid JSON, one record a line, so a diff or grep shows whole papers."""
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    data = survey_json(survey)
    lines = (survey / "docs" / "survey.json").read_text(encoding="utf-8").splitlines()
    for record in [*data["sections"], *data["papers"]]:
        assert sum(line.strip().rstrip(",") == json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) for line in lines) == 1
    csl = (survey / "docs" / "bibliography.json").read_text(encoding="utf-8")
    items = json.loads(csl)
    assert len(csl.splitlines()) == len(items) + 2 == len(data["papers"]) + 2
    assert all(json.loads(line.rstrip(",")) in items for line in csl.splitlines()[1:-1])

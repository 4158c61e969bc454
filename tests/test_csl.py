"""CSL-JSON: item shape and values as Zotero and citeproc read them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.bibtex import split_author
from generator.csl import csl_name, to_csl
from generator.models import Paper

FIXTURES = Path(__file__).parent / "fixtures" / "bibtex"


def load_papers(name: str) -> list[Paper]:
    """Return the papers of a JSON fixture."""
    records = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return [
        Paper(**{k: tuple(v) if isinstance(v, list) else v for k, v in record.items()})
        for record in records
    ]


def item(**fields) -> dict:
    """Return the CSL item of one paper built from fields."""
    fields.setdefault("key", "smith2024x")
    fields.setdefault("title", "A title")
    fields["authors"] = tuple(fields.get("authors", ()))
    (result,) = to_csl([Paper(**fields)])
    return result


def test_conference_paper_item():
    assert item(
        key="hu2022lora",
        title="LoRA: Low-Rank Adaptation of Large Language Models",
        authors=["Edward J. Hu", "Ludwig van der Waals", "Karimi Mahabadi, Rabeeh"],
        year=2022,
        venue="ICLR 2022",
        arxiv="2106.09685",
        doi="https://doi.org/10.1000/X_Y",
        abstract="We  propose\nLoRA.",
    ) == {
        "id": "hu2022lora",
        "type": "paper-conference",
        "title": "LoRA: Low-Rank Adaptation of Large Language Models",
        "author": [
            {"family": "Hu", "given": "Edward J."},
            {"family": "Waals", "given": "Ludwig", "non-dropping-particle": "van der"},
            {"family": "Karimi Mahabadi", "given": "Rabeeh"},
        ],
        "issued": {"date-parts": [[2022]]},
        "container-title": "ICLR 2022",
        "DOI": "10.1000/X_Y",
        "URL": "https://arxiv.org/abs/2106.09685",
        "abstract": "We propose LoRA.",
    }


def test_journal_article_drops_the_year_from_its_name():
    result = item(authors=["Ann Smith"], year=2023, venue="Nature Human Behaviour (2023)")
    assert result["type"] == "article-journal"
    assert result["container-title"] == "Nature Human Behaviour"


def test_arxiv_preprint_is_recorded_as_zotero_does():
    result = item(authors=["Ann Smith"], year=2025, arxiv="2504.07448")
    assert result["type"] == "article"
    assert (result["publisher"], result["number"]) == ("arXiv", "arXiv:2504.07448")
    assert "container-title" not in result


def test_other_preprint_servers_are_the_publisher():
    result = item(year=2024, venue="bioRxiv (2024)")
    assert (result["type"], result["publisher"]) == ("article", "bioRxiv")
    assert "number" not in result and "container-title" not in result


def test_published_paper_with_arxiv_id_has_no_arxiv_publisher():
    result = item(year=2021, venue="NeurIPS 2021", arxiv="2106.04647")
    assert "publisher" not in result and "number" not in result


def test_explicit_type_wins():
    assert item(venue="Higher-Order and Symbolic Computation", entry_type="article")["type"] == (
        "article-journal"
    )


def test_missing_values_are_left_out():
    assert item() == {"id": "smith2024x", "type": "article", "title": "A title"}


def test_tags_are_keywords_that_zotero_makes_tags_of():
    assert item(tags=("model merging", "théorie"))["keyword"] == "model merging, théorie"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("José Ñúñez-García", {"family": "Ñúñez-García", "given": "José"}),
        ("Guy L. Steele Jr.", {"family": "Steele", "given": "Guy L.", "suffix": "Jr."}),
        ("Smith, Jr., John", {"family": "Smith", "given": "John", "suffix": "Jr."}),
        (
            "Vincent van Gogh",
            {"family": "Gogh", "given": "Vincent", "non-dropping-particle": "van"},
        ),
        ("OpenAI", {"family": "OpenAI"}),
        ("World Health Organization,", {"literal": "World Health Organization"}),
        ("Karimi Mahabadi, Rabeeh", {"family": "Karimi Mahabadi", "given": "Rabeeh"}),
    ],
)
def test_names(name, expected):
    assert csl_name(split_author(name)) == expected


def test_text_is_plain_unicode_without_latex():
    result = item(title="Über {Braces} & 100% of $x_1$ ~ \\emph{x}", authors=["Łukasz Kaiser"])
    assert result["title"] == "Über {Braces} & 100% of $x_1$ ~ \\emph{x}"
    assert result["author"] == [{"family": "Kaiser", "given": "Łukasz"}]


def test_every_fixture_gives_json_in_a_stable_form():
    papers = load_papers("hostile") + load_papers("sample")
    items = to_csl(papers)
    assert [i["id"] for i in items] == [p.key for p in papers]
    text = json.dumps(items, ensure_ascii=False, indent=1)
    assert json.dumps(to_csl(papers), ensure_ascii=False, indent=1) == text
    allowed = {
        "id", "type", "title", "author", "issued", "container-title",
        "publisher", "number", "DOI", "URL", "abstract", "keyword",
    }  # fmt: skip
    for result in items:
        assert set(result) <= allowed
        assert result["type"] in {"paper-conference", "article-journal", "article"}
        assert all(name.get("family") or name.get("literal") for name in result.get("author", []))

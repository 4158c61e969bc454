"""BibTeX writing and reading: entry types, names, escaping, golden file, round trips."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pybtex.bibtex.utils import change_case
from pybtex.database import parse_string as pybtex_parse

from generator.bibimport import read_bibtex
from generator.bibtex import (
    NameParts,
    bibtex_name,
    clean_text,
    clean_venue,
    entry_type,
    is_preprint_venue,
    latex_text,
    latex_title,
    latex_to_text,
    split_author,
    to_entry,
    write_bibtex,
)
from generator.models import Paper

FIXTURES = Path(__file__).parent / "fixtures" / "bibtex"
GOLDEN = FIXTURES / "expected.bib"


def load_papers(name: str) -> list[Paper]:
    """Return the papers of a JSON fixture."""
    records = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return [
        Paper(**{k: tuple(v) if isinstance(v, list) else v for k, v in record.items()})
        for record in records
    ]


def paper(**fields) -> Paper:
    """Return a paper with a key and title unless given."""
    fields.setdefault("key", "smith2024x")
    fields.setdefault("title", "A title")
    for name in ("authors", "tags"):
        if name in fields:
            fields[name] = tuple(fields[name])
    return Paper(**fields)


def fields_of(p: Paper, **kwargs) -> dict[str, str]:
    """Return the fields of a paper's entry as a dict."""
    return {field.key: field.value for field in to_entry(p, **kwargs).fields}


def parse_one(bib: str):
    """Parse BibTeX and return its only entry, failing on any failed block."""
    library = bibtexparser.parse_string(bib)
    assert library.failed_blocks == []
    assert len(library.entries) == 1
    return library.entries[0]


def balanced(value: str) -> bool:
    """Tell whether braces nest properly, counting every brace as BibTeX does."""
    depth = 0
    for char in value:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


# ---------------------------------------------------------------------------
# Entry types


@pytest.mark.parametrize(
    ("venue", "expected"),
    [
        ("NeurIPS 2021", "inproceedings"),
        ("Findings of ACL 2025", "inproceedings"),
        ("ICML 2024 Workshop on Data-centric Machine Learning", "inproceedings"),
        ("SemEval-2023 Shared Task on Explainable Sexism", "inproceedings"),
        ("Workshop on Computational Social Science", "inproceedings"),
        ("Proceedings of the AAAI Conference on Artificial Intelligence", "inproceedings"),
        ("LREC-COLING 2024", "inproceedings"),
        ("TMLR 2023", "article"),
        ("TACL", "article"),
        ("Transactions on Machine Learning Research", "article"),
        ("Journal of Machine Learning Research", "article"),
        ("IEEE Transactions on Pattern Analysis and Machine Intelligence", "article"),
        ("Nature Human Behaviour (2023)", "article"),
        ("Nature", "article"),
        ("npj Drug Discovery (2026)", "article"),
        ("Science", "article"),
        ("Machine Learning: Science and Technology", "article"),
        ("Intelligent Computing", "article"),
        ("Proceedings of the National Academy of Sciences", "article"),
        ("arXiv", "misc"),
        ("arXiv preprint", "misc"),
        ("bioRxiv (2024)", "misc"),
        ("", "misc"),
        (None, "misc"),
    ],
)
def test_entry_type_follows_the_venue(venue, expected):
    assert entry_type(paper(venue=venue)) == expected


@pytest.mark.parametrize(
    ("venue", "explicit"),
    [("NeurIPS 2021", "article"), ("Nature", "inproceedings"), ("TMLR", "misc"), (None, "article")],
)
def test_explicit_entry_type_wins(venue, explicit):
    assert entry_type(paper(venue=venue, entry_type=explicit)) == explicit


def test_written_types_and_venue_fields():
    authors = ["Ann Smith"]
    conference = to_entry(paper(authors=authors, year=2021, venue="NeurIPS 2021"))
    journal = to_entry(paper(authors=authors, year=2023, venue="Nature Human Behaviour (2023)"))
    preprint = to_entry(paper(authors=authors, year=2025, arxiv="2504.07448"))
    assert (conference.entry_type, conference["booktitle"]) == ("inproceedings", "NeurIPS 2021")
    # The year in parentheses is the year field's business, not the journal's name.
    assert (journal.entry_type, journal["journal"]) == ("article", "Nature Human Behaviour")
    assert preprint.entry_type == "misc"
    assert preprint["howpublished"] == "arXiv:2504.07448"


def test_paper_without_authors_becomes_misc_with_a_sort_key():
    fields = fields_of(paper(title="A Paper", year=2023, venue="ICLR 2023"))
    assert to_entry(paper(title="A Paper", year=2023, venue="ICLR 2023")).entry_type == "misc"
    assert "author" not in fields
    assert fields["key"] == "A Paper"
    assert fields["howpublished"] == "ICLR 2023"


def test_a_paper_without_authors_is_cited_by_a_short_label_not_its_whole_title():
    """natbib prints the `key` as the citation and in the list: the whole title made both a line long."""
    assert fields_of(paper(title="Über " * 60))["key"] == " ".join([r"{\"U}ber"] * 5)
    assert fields_of(paper(title="Audio-AdapterFusion: A Task-ID-free Approach for Efficient Speech Recognition"))["key"] == "Audio-AdapterFusion"
    assert fields_of(paper(title='"Which LLM should I use?": Evaluating LLMs for tasks'))["key"] == "{``}Which LLM should I use?{''}"
    assert fields_of(paper(title="A very long head that is no name at all: the rest"))["key"] == "A very long head that"
    assert fields_of(paper(title="Short: a title"))["key"] == "Short: a title"
    assert len(fields_of(paper(title="α" * 200))["key"]) <= 120


def test_a_venue_that_only_says_arxiv_still_prints_the_arxiv_id():
    assert fields_of(paper(authors=["Geoffrey Hinton"], venue="arXiv", arxiv="1207.0580"))["howpublished"] == "arXiv:1207.0580"
    assert fields_of(paper(authors=["Geoffrey Hinton"], venue="arXiv"))["howpublished"] == "arXiv"  # no id to print


def test_quotes_open_after_a_hyphen_or_slash_too():
    assert latex_text('The "Good"-"Bad" test, "in"/"out"') == "The {``}Good{''}-{``}Bad{''} test, {``}in{''}/{``}out{''}"


def test_a_doi_with_characters_bibtex_cannot_hold_imports_back_as_written():
    doi = "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"
    text = write_bibtex([paper(authors=["Ann Smith"], year=1998, doi=doi), paper(key="lee2020y", doi="10.1234/abc_def%41")])
    assert "%3C693::AID-ASI4%3E" in text  # "<" and ">" cannot stand in BibTeX
    assert [record["doi"] for record in read_bibtex(text, "x.bib")[0]] == [doi, "10.1234/abc_def%41"]


def test_paper_without_year_says_no_date():
    entry = to_entry(paper(authors=["Ann Smith"], venue="ACL"))
    assert entry.entry_type == "inproceedings"
    assert entry["year"] == "n.d."


def test_explicit_type_without_venue_is_written_as_misc():
    # plain.bst would warn "empty journal"; @misc needs no venue.
    entry = to_entry(paper(authors=["Ann Smith"], year=2020, entry_type="article"))
    assert entry.entry_type == "misc"


# ---------------------------------------------------------------------------
# Fields


def test_fields_come_in_a_fixed_order():
    full = paper(
        authors=["Ann Smith"],
        year=2021,
        venue="NeurIPS 2021",
        doi="https://doi.org/10.1000/xyz",
        arxiv="2106.09685",
        url="https://example.org/paper",
        abstract="An abstract.",
        tags=["model merging"],
    )
    assert list(fields_of(full, abstract=True)) == [
        "author",
        "title",
        "booktitle",
        "year",
        "doi",
        "eprint",
        "archivePrefix",
        "url",
        "keywords",
        "abstract",
    ]
    assert fields_of(full)["doi"] == "10.1000/xyz"


def test_abstract_only_on_request():
    p = paper(authors=["Ann Smith"], year=2021, abstract="We show 50% & more.")
    assert "abstract" not in fields_of(p)
    assert fields_of(p, abstract=True)["abstract"] == r"We show 50\% \& more."


@pytest.mark.parametrize("arxiv", ["2504.07448", "hep-th/9901001"])
def test_arxiv_gives_eprint_and_url(arxiv):
    fields = fields_of(paper(authors=["Ann Smith"], year=2021, venue="ICLR 2021", arxiv=arxiv))
    assert fields["eprint"] == arxiv
    assert fields["archivePrefix"] == "arXiv"
    assert fields["url"] == f"https://arxiv.org/abs/{arxiv}"


def test_paper_url_wins_over_arxiv_url():
    p = paper(arxiv="2504.07448", url="https://openreview.net/forum?id=abc_d")
    assert fields_of(p)["url"] == "https://openreview.net/forum?id=abc_d"


def test_url_characters_that_break_bibtex_are_percent_encoded():
    p = paper(url="https://example.org/a b/{x}\\y/ü")
    assert fields_of(p)["url"] == "https://example.org/ab/%7Bx%7D%5Cy/%C3%BC"


def test_invalid_key_is_a_bug_not_a_broken_file():
    with pytest.raises(ValueError, match="not a valid BibTeX key"):
        to_entry(paper(key="bad key, {x}"))


def test_duplicate_keys_are_refused():
    with pytest.raises(ValueError, match="duplicate keys: a1"):
        write_bibtex([paper(key="a1"), paper(key="b1"), paper(key="a1")])


# ---------------------------------------------------------------------------
# Names


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("Ludwig van der Waals", "van der Waals, Ludwig"),
        ("van der Waals, Ludwig", "van der Waals, Ludwig"),
        ("Karimi Mahabadi, Rabeeh", "Karimi Mahabadi, Rabeeh"),
        ("José Ñúñez-García", r"{\~N}{\'u}{\~n}ez-Garc{\'i}a, Jos{\'e}"),
        ("Łukasz Kaiser", r"Kaiser, {\L}ukasz"),
        ("Smith, Jr., John", "Smith, Jr., John"),
        ("John Smith Jr.", "Smith, Jr., John"),
        ("Guy L. Steele Jr.", "Steele, Jr., Guy L."),
        ("Vincent van Gogh", "van Gogh, Vincent"),
        ("García de la Torre, Juan", r"{Garc{\'i}a de la Torre}, Juan"),
        ("Van der Waals, J.", "{Van der Waals}, J."),
        ("OpenAI", "OpenAI"),
        ("Karimi Mahabadi,", "{Karimi Mahabadi}"),
        ("Google and DeepMind,", "{Google and DeepMind}"),
        ("Bob (Robert) Jones", "Jones, Bob {(}Robert{)}"),
        # Full-width letters and U+1F101 encode to "and" and "0,", which BibTeX would cut at.
        ("Ａnn ａｎｄ Ｂob", "Bob, {Ann and}"),
        ("\U0001f101 Smith", "Smith, {0,}"),
    ],
)
def test_names_are_written_family_first(name, written):
    assert bibtex_name(split_author(name)) == written


@pytest.mark.parametrize(
    ("name", "first", "prelast", "last", "lineage"),
    [
        ("Ludwig van der Waals", "Ludwig", "van der", "Waals", ""),
        ("Karimi Mahabadi, Rabeeh", "Rabeeh", "", "Karimi Mahabadi", ""),
        ("García de la Torre, Juan", "Juan", "", "García de la Torre", ""),
        ("Guy L. Steele Jr.", "Guy L.", "", "Steele", "Jr."),
        ("Smith, Jr.,", "", "", "Smith, Jr.", ""),
        ("Google and DeepMind,", "", "", "Google and DeepMind", ""),
    ],
)
def test_bibtex_reads_name_parts_as_meant(name, first, prelast, last, lineage):
    bib = write_bibtex([paper(authors=[name], year=2020)])
    (person,) = pybtex_parse(bib, "bibtex").entries["smith2024x"].persons["author"]
    read = (
        latex_to_text(" ".join(person.first_names + person.middle_names)),
        latex_to_text(" ".join(person.prelast_names)),
        latex_to_text(" ".join(person.last_names)),
        latex_to_text(" ".join(person.lineage_names)),
    )
    assert read == (first, prelast, last, lineage)


def test_et_al_appends_and_others():
    fields = fields_of(paper(authors=["Ann Smith", "Bob Jones"], et_al=True))
    assert fields["author"] == "Smith, Ann and Jones, Bob and others"
    assert "author" not in fields_of(paper(authors=[], et_al=True))


def test_empty_names_are_dropped():
    assert fields_of(paper(authors=["", "  ", "Ann Smith", ","]))["author"] == "Smith, Ann"


# ---------------------------------------------------------------------------
# Escaping


# Written as the nearest thing T1 has: ș with a cedilla, the ligature as two letters.
LOSSY = {"ș", "ﬁ"}


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("&", r"\&"),
        ("%", r"\%"),
        ("$", r"\$"),
        ("#", r"\#"),
        ("_", r"\_"),
        ("{", r"{\textbraceleft}"),
        ("}", r"{\textbraceright}"),
        ("~", r"{\textasciitilde}"),
        ("^", r"{\textasciicircum}"),
        ("\\", r"{\textbackslash}"),
        ('"', "{``}"),  # LaTeX's quotes, not \textquotedbl, which stops LaTeX without T1 fonts
        ('say "hi" (or "bye")', "say {``}hi{''} (or {``}bye{''})"),
        ("it''s", "it{'}{'}s"),  # two apostrophes: LaTeX would typeset a closing quote
        ("<", r"{\textless}"),
        (">", r"{\textgreater}"),
        ("|", r"{\textbar}"),
        ("[", "{[}"),
        ("]", "{]}"),
        ("ü", r"{\"u}"),
        ("é", r"{\'e}"),
        ("ñ", r"{\~n}"),
        ("Ñ", r"{\~N}"),
        ("ł", r"{\l}"),
        ("ø", r"{\o}"),
        ("ß", r"{\ss}"),
        ("å", r"{\r{a}}"),
        ("ű", r"{\H{u}}"),  # pylatexenc alone gets this one wrong (as ú)
        ("ș", r"{\c{s}}"),
        ("ễ", r"{\~{\^e}}"),
        ("α", r"{\ensuremath{\alpha}}"),
        ("–", r"{\textendash}"),
        ("ﬁ", "fi"),
        ("张", "{[U+5F20]}"),
        ("😀", "{[U+1F600]}"),
    ],
)
def test_each_special_character_is_encoded_and_decodes_back(text, latex):
    assert latex_text(text) == latex
    assert latex.isascii()
    if text not in LOSSY:
        assert latex_to_text(latex) == text


def test_control_characters_are_removed_and_whitespace_collapsed():
    assert latex_text("a\x00b\x07c\u200b d\t\te\nf\u00a0g") == "abc d e f g"


def test_stray_backslashes_and_braces_are_text_never_latex():
    title = to_entry(paper(title="\\input{/etc/passwd} a } b { c \\"))["title"]
    assert "\\input" not in title
    assert title == (
        r"{\textbackslash}input{\textbraceleft}/etc/passwd{\textbraceright} "
        r"a {\textbraceright} b {\textbraceleft} c {\textbackslash}"
    )


@pytest.mark.parametrize(
    "word", ["LoRA", "SemEval", "BERT", "MultiLoRA", "GPT-4", "TaskMatrix.AI", "Über", "iPhone"]
)
def test_words_with_capitals_are_protected(word):
    assert latex_title(f"the {word} model") == f"the {{{latex_text(word)}}} model"


def test_lowercasing_styles_keep_the_title_as_written():
    title = "Über LoRA: GPT-4 and TaskMatrix.AI Meet SemEval, MultiLoRA and BERT"
    field = to_entry(paper(title=title))["title"]
    # change.case$ "t" is what plain.bst does to every title.
    assert latex_to_text(change_case(field, "t")) == title


def test_lowercase_words_are_left_to_the_style():
    assert latex_title("a study of über models") == r"a study of {\"u}ber models"


# ---------------------------------------------------------------------------
# Whole files


def test_write_is_deterministic_and_laid_out():
    papers = load_papers("sample")
    text = write_bibtex(papers)
    assert text == write_bibtex(list(papers))
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.count("\n\n@") == len(papers) - 1
    assert text.isascii()
    for line in text.splitlines():
        assert re.fullmatch(r"@\w+\{[\w:.+/-]+,|  \w+ = \{.*\},?|\}|", line), line


def test_entries_keep_the_input_order():
    papers = load_papers("sample")
    keys = [entry.key for entry in bibtexparser.parse_string(write_bibtex(papers[::-1])).entries]
    assert keys == [p.key for p in papers[::-1]]


def test_no_papers_give_an_empty_file():
    assert write_bibtex([]) == ""


def test_golden_file():
    text = write_bibtex(load_papers("hostile") + load_papers("sample"), abstract=True)
    if os.environ.get("SURVEY_REFRESH_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="ascii")
    assert GOLDEN.read_text(encoding="ascii") == text, (
        "BibTeX output changed; if intended, rerun with SURVEY_REFRESH_GOLDEN=1 and review the diff"
    )


def _expected_parts(p: Paper) -> list[NameParts]:
    return [parts for parts in map(split_author, p.authors) if parts.family]


ALL_FIXTURES = load_papers("hostile") + load_papers("sample")


@pytest.mark.parametrize("p", ALL_FIXTURES, ids=lambda p: p.key)
def test_round_trip_through_bibtexparser(p):
    entry = parse_one(write_bibtex([p]))
    assert latex_to_text(entry["title"]) == clean_text(p.title)
    assert entry["year"] == (str(p.year) if p.year else "n.d.")
    names = split_multiple_persons_names(entry["author"]) if "author" in entry else []
    if p.et_al and names:
        assert names.pop() == "others"
    read = []
    for name in names:
        bib = parse_single_name_into_parts(name, strict=False)
        read.append(
            NameParts(
                given=latex_to_text(" ".join(bib.first)),
                particle=latex_to_text(" ".join(bib.von)),
                family=latex_to_text(" ".join(bib.last)),
                suffix=latex_to_text(" ".join(bib.jr)),
            )
        )
    assert read == [_bibtex_view(parts) for parts in _expected_parts(p)]


def _bibtex_view(parts: NameParts) -> NameParts:
    """Return parts as BibTeX holds them: a suffix without a given name joins the family."""
    if parts.suffix and not parts.given:
        return NameParts(family=f"{parts.family}, {parts.suffix}", particle=parts.particle)
    return parts


@pytest.mark.parametrize("p", ALL_FIXTURES, ids=lambda p: p.key)
def test_round_trip_through_pybtex(p):
    entry = pybtex_parse(write_bibtex([p]), "bibtex").entries[p.key]
    assert latex_to_text(entry.fields["title"]) == clean_text(p.title)
    assert entry.fields["year"] == (str(p.year) if p.year else "n.d.")
    persons = list(entry.persons.get("author", []))
    if p.et_al and persons:
        assert persons.pop().last_names == ["others"]
    read = [
        NameParts(
            given=latex_to_text(" ".join(person.first_names + person.middle_names)),
            particle=latex_to_text(" ".join(person.prelast_names)),
            family=latex_to_text(" ".join(person.last_names)),
            suffix=latex_to_text(" ".join(person.lineage_names)),
        )
        for person in persons
    ]
    assert read == [_bibtex_view(parts) for parts in _expected_parts(p)]


@pytest.mark.parametrize("p", ALL_FIXTURES, ids=lambda p: p.key)
def test_round_trip_through_read_bibtex(p):
    (record,), problems = read_bibtex(write_bibtex([p], abstract=True), "refs.bib")
    assert problems == []
    assert record["key"] == p.key
    assert record["title"] == clean_text(p.title)
    assert record["year"] == p.year
    assert record["et_al"] == (p.et_al and bool(p.authors))
    assert [split_author(a) for a in record["authors"]] == [
        _bibtex_view(parts) for parts in _expected_parts(p)
    ]
    assert record["abstract"] == clean_text(p.abstract)
    assert record["arxiv"] == p.arxiv
    assert record["venue"] == (None if not p.venue or is_preprint_venue(p.venue) else clean_venue(p.venue))
    assert record["tags"] == [clean_text(tag) for tag in p.tags]
    assert entry_type(Paper(**_paper_fields(record))) == to_entry(p).entry_type


def _paper_fields(record: dict) -> dict:
    return {**record, "authors": tuple(record["authors"]), "tags": tuple(record["tags"])}


def test_tags_are_the_entrys_keywords_and_read_back_as_tags():
    written = fields_of(paper(authors=["Ann Smith"], year=2021, tags=["model merging", "théorie & 100%"]))
    assert written["keywords"] == r"model merging, th{\'e}orie \& 100\%"
    assert "keywords" not in fields_of(paper(authors=["Ann Smith"], year=2021))
    # Zotero and JabRef separate keywords by commas, Scopus and Web of Science by semicolons.
    (record,), _ = read_bibtex("@misc{k, title={T}, keywords={LoRA; adapters, Adapters ,, th{\\'e}orie}}", "refs.bib")
    assert record["tags"] == ["LoRA", "adapters", "théorie"]
    (record,), _ = read_bibtex("@misc{k, title={T}, keywords={" + "x" * 61 + ", short}}", "refs.bib")
    assert record["tags"] == ["short"]  # longer than a tag may be: dropped, not an error


# ---------------------------------------------------------------------------
# Properties

HOSTILE_PIECES = st.sampled_from(
    [
        "<script>",
        "</script>",
        "%",
        "{",
        "}",
        "\\",
        "\\input{",
        "@article{x,",
        " and ",
        ",",
        "~",
        "$",
    ]
)
ANY_TEXT = st.lists(st.one_of(st.text(max_size=12), HOSTILE_PIECES), max_size=8).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=ANY_TEXT, authors=st.lists(ANY_TEXT, max_size=4), et_al=st.booleans())
def test_any_title_and_names_give_one_clean_entry(title, authors, et_al):
    p = Paper(key="k2024", title=title, authors=tuple(authors), et_al=et_al, abstract=title)
    bib = write_bibtex([p], abstract=True)
    assert bib.isascii()
    entry = parse_one(bib)
    for field in entry.fields:
        assert balanced(field.value), (field.key, field.value)
    # pybtex is stricter than bibtexparser and raises on malformed names or braces.
    persons = pybtex_parse(bib, "bibtex").entries["k2024"].persons.get("author", [])
    names = [a for a in authors if split_author(a).family]
    assert len(persons) == len(names) + (1 if et_al and names else 0)


EXACT_ALPHABET = st.sampled_from(
    list("abcxyzABCXYZ0129 .,:;!?'()-+*/=@&%$#_{}~^\\\"<>|[]")
    + list("äöüÄÖÜßéèêñÑçłŁøØåÅæœ")
    + ["张", "伟", "α", "Δ", "😀"]
)


@settings(max_examples=300, deadline=None)
@given(title=st.lists(EXACT_ALPHABET, min_size=1, max_size=40).map("".join))
def test_titles_decode_back_to_what_was_written(title):
    # TeX ligatures such as -- and `` are read back as the dashes and quotes they print.
    assume(clean_text(title) and not re.search(r"--|``|''|!`|\?`", clean_text(title)))
    (record,), _ = read_bibtex(write_bibtex([Paper(key="k1", title=title)]), "refs.bib")
    assert record["title"] == clean_text(title)


NAME_WORD = st.text(alphabet="abcdefghXYZÄäöüéñłŁøß'-.", min_size=1, max_size=8).filter(
    lambda w: any(c.isalpha() for c in w) and "--" not in w and "''" not in w
)


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(NAME_WORD, min_size=1, max_size=4),
    particle=st.sampled_from(["", "van", "van der", "de la"]),
    comma=st.booleans(),
)
def test_names_survive_writing_and_reading(words, particle, comma):
    *given_words, family = words
    given_name = " ".join(given_words)
    family = f"{particle} {family}".strip()
    name = f"{family}, {given_name}" if comma else f"{given_name} {family}"
    expected = split_author(name)
    assume(expected.family)
    (record,), _ = read_bibtex(write_bibtex([Paper(key="k1", title="T", authors=(name,))]), "x")
    assert [split_author(a) for a in record["authors"]] == [_bibtex_view(expected)]


BIB_PIECES = st.sampled_from(
    [
        "@misc{",
        "@article{k,",
        "@string{s = ",
        "@preamble{",
        "@comment{",
        "title = ",
        "author = {",
        "year = 20x",
        " and ",
        "others",
        "{",
        "}",
        ",",
        '"',
        "#",
        "=",
        "\n",
        "\\",
        '{\\"U}',
    ]
)
BIB_LIKE = st.lists(st.one_of(BIB_PIECES, st.text(max_size=6)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=BIB_LIKE)
def test_reading_never_raises(text):
    records, problems = read_bibtex(text, "refs.bib")
    assert all(problem.line >= 1 for problem in problems)


# ---------------------------------------------------------------------------
# Reading


READ_SAMPLE = r"""% exported by hand
@inproceedings{uber2021,
  author = {M{\"u}ller, Hans and Ca{\~n}ete, Jos{\'e} and van der Waals, Ludwig
            and Karimi Mahabadi, Rabeeh and others},
  title = {{\"U}ber {LoRA}: 100\% of $x_1$ \& more},
  booktitle = {Proceedings of NeurIPS},
  year = 2021,
  eprint = {2106.09685v2},
  archivePrefix = {arXiv},
  doi = {https://doi.org/10.1000/a\_b},
}

@article{gs2023,
  title={Some preprint},
  author={Smith, John},
  journal={arXiv preprint arXiv:2303.12345},
  year={2023}
}

@article{cell2020,
  title = {A {Cell} paper},
  author = {Doe, Jane},
  journal = {Cell},
  year = {2020},
  url = {https://example.org/x\_y},
}
"""


def test_read_bibtex_decodes_latex_to_unicode():
    records, problems = read_bibtex(READ_SAMPLE, "refs.bib")
    assert problems == []
    uber = records[0]
    assert uber["title"] == "Über LoRA: 100% of x_1 & more"  # mathematics as its text
    assert uber["authors"] == [
        "Hans Müller",
        "José Cañete",
        "Ludwig van der Waals",
        "Karimi Mahabadi, Rabeeh",
    ]
    assert uber["et_al"] is True
    assert uber["year"] == 2021
    assert uber["arxiv"] == "2106.09685"
    assert uber["doi"] == "10.1000/a_b"
    assert uber["venue"] == "Proceedings of NeurIPS"
    assert uber["entry_type"] is None  # the venue already says inproceedings


def test_read_bibtex_keeps_a_bare_ampersand():
    # Exports write "&" unescaped in titles and journals; LaTeX would read it as a column separator.
    text = "@article{a, title={Science & Engineering of R\\&D}, journal={Law & Society Review}, author={Doe, Jane}, year={2020}}\n"
    (record,), problems = read_bibtex(text, "refs.bib")
    assert problems == []
    assert (record["title"], record["venue"]) == ("Science & Engineering of R&D", "Law & Society Review")


def test_read_bibtex_joins_concatenated_fields():
    # bibtexparser 2 resolves a field that is one @string, but leaves "a" # b # {c} as written.
    text = """@string{acl = "Association for Computational Linguistics"}
@inproceedings{a,
  title = "Tasks " # {and {LoRA}} # " at scale",
  booktitle = "Proceedings of the " # acl # { Meeting, } # 2021,
  author = {Doe, Jane}, year = 2021, month = 10 # "~" # jan,
}
@article{b, title = {C# for Everyone}, journal = "J. " # undefined, author = {Doe, Jane}, year = 2020}
"""
    records, problems = read_bibtex(text, "refs.bib")
    assert [str(p) for p in problems] == [
        "refs.bib:2: warning: not imported, as a paper file has no field for them: month (1 entry)",
        "refs.bib:7: warning: field 'journal': 'undefined' is no @string of this file (nor a month): read as the text 'undefined'",
    ]
    assert [(r["title"], r["venue"]) for r in records] == [
        ("Tasks and LoRA at scale", "Proceedings of the Association for Computational Linguistics Meeting, 2021"),
        ("C# for Everyone", "J. undefined"),  # a # inside braces is text; an unknown name stays as written
    ]


def test_read_bibtex_follows_crossref_and_reads_biblatex_journaltitle():
    # DBLP's crossref exports put the venue and year in a @proceedings entry that is no paper.
    text = """@inproceedings{DBLP:conf/acl/Roe20, title = {Crossref Child}, crossref = {DBLP:conf/acl/2020}, author = {Roe, Rita}}
@proceedings{DBLP:conf/acl/2020, title = {Proceedings of the 58th Annual Meeting of the ACL}, year = {2020}, publisher = {ACL}}
@article{b, title = {From Zotero}, journaltitle = {Journal of BibLaTeX}, author = {Doe, Jane}, date = {2021-05-03}}
@book{c, title = {A Book of Its Own}, author = {Poe, Edgar}, year = {2019}}
"""
    records, problems = read_bibtex(text, "refs.bib")
    assert problems == []
    assert [(r["key"], r["venue"], r["year"]) for r in records] == [
        ("DBLP:conf/acl/Roe20", "Proceedings of the 58th Annual Meeting of the ACL", 2020),
        ("b", "Journal of BibLaTeX", 2021),
        ("c", None, 2019),  # a book no entry points at is a work of its own
    ]


def test_read_bibtex_takes_the_arxiv_id_from_an_arxiv_doi():
    (record,), _ = read_bibtex("@article{z, title={Zot}, doi={10.48550/arXiv.2212.04089}, journal={arXiv}, year={2022}}", "refs.bib")
    assert (record["arxiv"], record["venue"]) == ("2212.04089", None)


def test_an_organisation_author_reads_and_writes_back_whole():
    (record,), _ = read_bibtex("@misc{a, title={Report}, author={{World Health Organization} and Doe, Jane}, year={2020}}", "refs.bib")
    assert record["authors"] == ["World Health Organization,", "Jane Doe"]
    paper = Paper(key="a", title="Report", authors=tuple(record["authors"]), year=2020)
    assert "author = {{World Health Organization} and Doe, Jane}" in write_bibtex([paper])


def test_read_bibtex_finds_arxiv_in_a_google_scholar_journal():
    gs = read_bibtex(READ_SAMPLE, "refs.bib")[0][1]
    assert (gs["arxiv"], gs["venue"], gs["entry_type"]) == ("2303.12345", None, None)


def test_read_bibtex_keeps_an_entry_type_the_venue_does_not_imply():
    cell = read_bibtex(READ_SAMPLE, "refs.bib")[0][2]
    assert (cell["venue"], cell["entry_type"], cell["url"]) == (
        "Cell",
        "article",
        "https://example.org/x_y",
    )


@pytest.mark.parametrize(
    ("url", "arxiv"),
    [
        ("https://arxiv.org/abs/2106.09685v2", "2106.09685"),
        ("http://arxiv.org/pdf/2106.09685.pdf", "2106.09685"),
        ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
    ],
)
def test_read_bibtex_finds_arxiv_in_urls(url, arxiv):
    (record,), _ = read_bibtex(f"@misc{{k, title={{T}}, url={{{url}}}}}", "refs.bib")
    assert record["arxiv"] == arxiv
    assert record["url"] is None  # the arxiv field links it already


BAD_BIB = """@misc{ok1,
  title = {Fine},
  year = {2020},
}

@misc{notitle,
  author = {Nobody},
  year = {2020}
}

@article{ok1,
  title = {Again},
}

@article{broken,
  title = {oops
  year = 2020
}

@misc{twice,
  title = {One},
  title = {Two},
}

@misc{circa,
  title = {Undated},
  year = {circa}
}
"""


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        (6, "title", "entry 'notitle' has no title"),
        (11, "key", "duplicate key 'ok1' (first used on line 1)"),
        (15, "", "could not parse this entry"),
        (20, "title", "field written twice in entry 'twice'"),
        (25, "year", "expected a year such as 2021 in entry 'circa', got 'circa'"),
    ],
)
def test_read_bibtex_reports_problems_with_lines(line, field, message):
    _, problems = read_bibtex(BAD_BIB, "refs.bib")
    found = [p for p in problems if p.line == line]
    assert len(found) == 1, problems
    assert found[0].field == field
    assert message in found[0].message
    assert str(found[0]).startswith(f"refs.bib:{line}: ")


def test_read_bibtex_keeps_good_entries_among_bad_ones():
    records, problems = read_bibtex(BAD_BIB, "refs.bib")
    assert [r["key"] for r in records] == ["ok1", "circa"]
    assert len(problems) == 5
    assert [p.severity for p in problems].count("warning") == 1


# ---------------------------------------------------------------------------
# The entries are written without bibtexparser's writer (it is slow at 100,000 papers):
# the bytes must be what bibtexparser writes in the same layout.


def bibtexparser_text(papers: list[Paper], *, abstract: bool = False) -> str:
    """Return the papers' BibTeX as bibtexparser writes it with this module's format."""
    from bibtexparser.library import Library
    from bibtexparser.middlewares.enclosing import AddEnclosingMiddleware

    from generator.bibtex import bibtex_format

    enclose = AddEnclosingMiddleware(allow_inplace_modification=True, default_enclosing="{", reuse_previous_enclosing=False, enclose_integers=True)
    library = Library([to_entry(p, abstract=abstract) for p in papers])
    return bibtexparser.write_string(library, unparse_stack=[enclose], bibtex_format=bibtex_format())


@given(
    titles=st.lists(ANY_TEXT.filter(lambda t: clean_text(t) != ""), min_size=1, max_size=4),
    authors=st.lists(ANY_TEXT, max_size=3),
    abstract=ANY_TEXT,
    venue=st.one_of(st.none(), ANY_TEXT),
    year=st.one_of(st.none(), st.integers(1900, 2025)),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_written_entries_are_byte_for_byte_what_bibtexparser_writes(titles, authors, abstract, venue, year):
    papers = [
        paper(key=f"paper{i}", title=title, authors=authors, abstract=abstract, venue=venue or None, year=year, arxiv="2504.07448" if i % 2 else None)
        for i, title in enumerate(titles)
    ]
    assert write_bibtex(papers) == bibtexparser_text(papers)
    assert write_bibtex(papers, abstract=True) == bibtexparser_text(papers, abstract=True)


@pytest.mark.parametrize("name", ["sample", "hostile"])
def test_the_fixture_papers_are_written_as_bibtexparser_writes_them(name):
    papers = load_papers(name)
    assert write_bibtex(papers) == bibtexparser_text(papers)
    assert write_bibtex(papers, abstract=True) == bibtexparser_text(papers, abstract=True)


@pytest.mark.parametrize(
    ("entry", "venue"),
    [
        ("@misc{a, title={T}, howpublished={ASRU 2023}}", "ASRU 2023"),
        ("@online{a, title={T}, howpublished={Workshop on {NLP} for Science}}", "Workshop on NLP for Science"),
        ("@misc{a, title={T}, howpublished={\\url{https://example.org/t}}}", None),
        ("@misc{a, title={T}, howpublished={Accessed: 2024-01-02}}", None),
        ("@misc{a, title={T}, howpublished={arXiv preprint arXiv:2101.00001}}", None),
        ("@article{a, title={T}, journal={Nature}, howpublished={Online}}", "Nature"),
    ],
)
def test_a_misc_entrys_howpublished_is_its_venue_unless_it_is_a_link_a_note_or_arxiv(entry, venue):
    (record,), _ = read_bibtex(entry, "refs.bib")
    assert record["venue"] == venue


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_the_check_of_a_names_length_never_underestimates_its_latex(name):
    from generator.schema import _most_latex

    assert len(bibtex_name(split_author(name))) <= _most_latex(name)


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"Effects of {$\alpha$}-Synuclein", "Effects of α-Synuclein"),
        (r"An {$O(n \log n)$} Algorithm for $k$-Means", "An O(n log n) Algorithm for k-Means"),
        (r"{\texttt{DSPy}}: Compiling \mbox{Declarative} Calls", "DSPy: Compiling Declarative Calls"),
        (r"The {\LaTeX} Companion and \TeX{} for~everyone, with \BibTeX{} styles", "The LaTeX Companion and TeX for everyone, with BibTeX styles"),
        (r"\unknowncommand{Kept} words", "Kept words"),
        (r"Costs \$5, not 100\%", "Costs $5, not 100%"),
        (r"How to make $100 and $200 fast", "How to make $100 and $200 fast"),  # prices, left unescaped by an export
        (r"Costs $5 per query, $x_1$ per token", "Costs $5 per query, x_1 per token"),
        (r"We use $5$ layers and a $2$-approximation", "We use 5 layers and a 2-approximation"),
        (r"$$E = mc^2$$ is famous", "E = mc^2 is famous"),
        (r"Training {GPT}-3 costs $4.6M, while {BERT} costs $7K", "Training GPT-3 costs $4.6M, while BERT costs $7K"),
        (r"\euro 5 or \pounds 3, see \S 2", "€5 or £3, see §2"),
        (r"Routing Between {GPT-4} ($30/1M tokens) and {GPT-3.5} ($2/1M tokens)", "Routing Between GPT-4 ($30/1M tokens) and GPT-3.5 ($2/1M tokens)"),
        (r"from $5-$10 per item, $1,000/$2,000, costs $10 ($5 with discount)", "from $5-$10 per item, $1,000/$2,000, costs $10 ($5 with discount)"),
        (r"$ \alpha $-entmax, the $\ell_1 $ norm and $\alpha$$\beta$-divergence", "α-entmax, the ℓ_1 norm and αβ-divergence"),
        (r"$$ \mathcal{L} = \sum_i \ell_i $$", "ℒ = ∑_i ℓ_i"),
    ],
)
def test_imported_titles_keep_the_words_of_commands_and_mathematics(latex, text):
    (record,), _ = read_bibtex(f"@article{{a2020x, title = {{{latex}}}, journal = {{J}}, year = 2020}}", "refs.bib")
    assert record["title"] == text


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"\href{https://example.org}{Link} here", "Link here"),
        (r"{\color{red} Red} word\label{sec:x}", "Red word"),
        (r"{\noopsort{vanderwaals}}{van der Waals}", "van der Waals"),
        (r"\textcolor{blue}{Blue} and \scalebox{0.8}{small}", "Blue and small"),
    ],
)
def test_links_colours_labels_and_sorting_commands_give_only_their_text(latex, text):
    assert latex_to_text(latex) == text


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("ab ,'`\"\t\n\r\x00\x1f"), max_size=12))
def test_ascii_text_already_clean_is_returned_as_folding_it_would_give_it(text: str) -> None:
    # clean_text returns printable single-spaced ASCII as it is (see single_spaced).
    folded = " ".join(text.split()) if text.isprintable() else " ".join(text.translate({c: (" " if chr(c) in "\t\n\r\v\f" else None) for c in range(0x20)}).split())
    assert clean_text(text) == folded
    assert latex_text(text) == latex_text(folded)

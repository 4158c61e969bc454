"""`survey check`: every problem names its file, line and field; all are reported at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import run

BROKEN = {
    "syntax": ("broken2024syntax", "title: 'unclosed\nyear: 2024\n", ":1: YAML syntax error at column 8"),
    "no title": ("broken2024notitle", "authors: [A B]\nyear: 2024\n", "required field 'title' is missing"),
    "year soon": ("broken2024soon", "title: Soon\nyear: soon\n", ":2: field 'year': expected a whole number, got 'soon'"),
    "misspelt field": ("broken2024author", "title: Misspelt\nauthor: [A B]\n", ":2: field 'author': unknown field 'author' — did you mean 'authors'?"),
    "javascript url": ("broken2024js", "title: Script\nurl: javascript:alert(1)\n", ":2: field 'url': expected an http or https URL"),
    "duplicate": ("broken2024dup", "title: 'LoRI: Reducing Cross-Task Interference in Multi-Task Low-Rank Adaptation'\n", "duplicate of content/papers/"),
    "unknown section": ("broken2024section", "title: Lost\nsection: nowhere\n", ":2: field 'section': unknown section 'nowhere'"),
    "bad arxiv": ("broken2024arxiv", "title: Arxiv\narxiv: abc\n", ":2: field 'arxiv': expected an arXiv id like 2504.07448, got 'abc'"),
    "bad key": ("Broken_Key", "title: Key\n", "is not a valid citation key: use lowercase letters and digits (a hyphen may join two parts), like 'zhang2025lori'"),
    "key starting with a digit": ("2024broken", "title: Key\n", "is not a valid citation key: start it with a letter (the first author's family name)"),
    "key too long": ("broken" + "x" * 60, "title: Key\n", "is not a valid citation key: use at most 64 characters (it has 66)"),
    "windows device name": ("aux", "title: Aux\n", "file name 'aux.yaml' is a device name on Windows"),
    "not a mapping": ("broken2024list", "- a\n- b\n", ":1: expected a paper"),
    "twice": ("broken2024twice", "title: A\ntitle: B\n", ":2: field 'title': given twice (first on line 1)"),
    "not utf8": ("broken2024latin", b"title: caf\xe9\n", "file is not UTF-8"),
    "alias": ("broken2024alias", "title: &a Hello\nabstract: *a\n", "YAML aliases (*name) are not allowed"),
    "yes as a title": ("broken2024yes", "title: Yes\n", ":1: field 'title': expected text, got true: YAML reads an unquoted yes, no, on or off as true or false, so put the text in quotes"),
    "two wrong authors": ("broken2024authors", "title: Two\nauthors: [Ann Lee, [x], {a: b}]\n", ":2: field 'authors': item 2: expected text, got a list; item 3: expected text, got a mapping (indented 'name: value' lines)"),
    "added in 2205": ("broken2024added", "title: Later\nadded: 2205-11-25\n", ":2: field 'added': expected the day the paper joined the survey, from 1970-01-01 to "),
    "authors pasted into one item": ("broken2024pasted", "title: Pasted\nauthors: ['Juzheng Zhang, Jiacheng You, Ashwinee Panda, Tom Goldstein']\n", ":2: field 'authors': item 1: 'Juzheng Zhang, Jiacheng You, Ashwinee Panda, Tom Goldstein' reads as several names: write one author per '- ' line"),
    "authors split by semicolons": ("broken2024semicolons", "title: Semicolons\nauthors: ['Ann Lee', 'Smith, A.; Jones, B.']\n", ":2: field 'authors': item 2: 'Smith, A.; Jones, B.' reads as several names"),
    "a suffix after the given name": ("broken2024suffix", "title: Suffix\nauthors: ['Doe, Jane, Jr.']\n", "(with a suffix: 'Family, Jr., Given')"),
    "a year in hexadecimal": ("broken2024hex", "title: Hex\nyear: 0x7E4\n", ":2: field 'year': expected a whole number, got '0x7E4'"),
    "tab as indentation": ("broken2024tab", "title: Tab\nauthors:\n\t- Ann Lee\n", ":3: YAML syntax error at column 1: found character '\\t' that cannot start any token: indent with spaces, not tabs"),
    "tab after a dash": ("broken2024dashtab", "title: Tab\nauthors:\n  -\tAnn Lee\n", ":3: YAML syntax error at column 4: found character '\\t' that cannot start any token: write a space instead of the tab"),
    "unquoted colon": ("broken2024colon", "title: LoRA: Low-Rank Adaptation\n", ":1: YAML syntax error at column 12: mapping values are not allowed here: a value with ': ' in it goes in quotes"),
}


def add(survey: Path, key: str, text: str | bytes) -> Path:
    path = survey / "content" / "papers" / f"{key}.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_shipped_content_is_clean(capsys):
    from conftest import REPO

    code, out, err = run(capsys, "-C", str(REPO), "check")
    assert code == 0, err
    assert "118 papers checked: no errors" in out


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_problem_names_file_line_and_field(survey, capsys, case):
    key, text, expected = BROKEN[case]
    add(survey, key, text)
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    lines = [line for line in err.splitlines() if f"content/papers/{key}.yaml" in line]
    assert any(expected in line for line in lines), lines
    assert "Traceback" not in err


def test_one_author_per_item_in_each_accepted_form_and_a_warning_for_two_joined_by_and(survey, capsys):
    add(survey, "forms2024names", "title: Names\nauthors: ['Edward J. Hu', 'Karimi Mahabadi, Rabeeh', 'King, Jr., Martin Luther', 'Jane Doe Jr.', 'Alice Smith and Bob Jones', 'Bill and Melinda Gates Foundation,']\n")
    code, out, err = run(capsys, "-C", str(survey), "check")
    assert code == 0, err
    warned = [line for line in err.splitlines() if "forms2024names" in line and "'authors'" in line]
    assert warned == ["content/papers/forms2024names.yaml:2: warning: field 'authors': item 5: 'Alice Smith and Bob Jones' looks like two authors: write one author per '- ' line (an organisation ends with a comma: 'Bill and Melinda Gates Foundation,')"]


def test_a_capitalised_particle_inside_a_name_asks_for_the_family_first_form(survey, capsys):
    authors = ["Nicolas Le Roux", "Le Roux, Nicolas", "Thanh Van Nguyen", "Martin Van Buren Jr.", "Le Hou", "Quoc V. Le", "Hugues de Mazancourt", "Jose Y Garcia", "María Del Carmen García", "Jia Da Li",
               "Pieter Van den Abeele", "Ali Al Farsi", "Thanh Van Nguyễn", "Nguyen Van Thanh", "Siew Le Tan", "Kim Van Deun"]
    add(survey, "roux2024names", f"title: Names\nauthors: {authors!r}\n")
    code, out, err = run(capsys, "-C", str(survey), "check")
    assert code == 0, err
    warned = [line.split("item ", 1)[1] for line in err.splitlines() if "roux2024names" in line and "'authors'" in line]
    assert warned == [
        "1: 'Nicolas Le Roux' is cited and indexed as 'Roux, Nicolas Le': if 'Le' is part of the family name, write 'Le Roux, Nicolas'; if not, write 'Roux, Nicolas Le'",
        "4: 'Martin Van Buren Jr.' is cited and indexed as 'Buren, Jr., Martin Van': if 'Van' is part of the family name, write 'Van Buren, Jr., Martin'; if not, write 'Buren, Jr., Martin Van'",
        "11: 'Pieter Van den Abeele' is cited and indexed as 'den Abeele, Pieter Van': if 'Van' is part of the family name, write 'Van den Abeele, Pieter'; if not, write 'den Abeele, Pieter Van'",
        "12: 'Ali Al Farsi' is cited and indexed as 'Farsi, Ali Al': if 'Al' is part of the family name, write 'Al Farsi, Ali'; if not, write 'Farsi, Ali Al'",
        "16: 'Kim Van Deun' is cited and indexed as 'Deun, Kim Van': if 'Van' is part of the family name, write 'Van Deun, Kim'; if not, write 'Deun, Kim Van'",
    ]


def test_an_editor_s_backup_files_beside_the_papers_are_warned_about_not_read_as_broken_papers(survey, capsys):
    papers = survey / "content" / "papers"
    text = (papers / "hu2021lora.yaml").read_text(encoding="utf-8")
    for name in ("hu2021lora.yaml~", "#hu2021lora.yaml#", "hu2021lora.yaml.bak"):
        (papers / name).write_text(text + "year: half-typed\n", encoding="utf-8")
    code, out, err = run(capsys, "-C", str(survey), "build")
    assert code == 0, err  # `survey serve` went on failing until the backup was deleted, and never noticed that
    for name in ("hu2021lora.yaml~", "#hu2021lora.yaml#", "hu2021lora.yaml.bak"):
        assert f"content/papers/{name}: warning: an editor's backup or swap file: not read" in err


def test_the_paper_template_filled_in_with_only_a_title_passes_the_check(survey, capsys):
    from conftest import REPO

    template = (REPO / ".github" / "paper-template.yaml").read_text(encoding="utf-8")
    filled = template.replace("\ntitle:", "\ntitle: A paper known only by its title", 1)
    assert filled != template
    add(survey, "known2024title", filled)
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 0, err
    lines = {name: number for number, line in enumerate(filled.splitlines(), start=1) for name in ("authors", "abstract") if line.startswith(f"{name}:")}
    assert f"known2024title.yaml:{lines['authors']}: warning: field 'authors': no authors given" in err
    assert f"known2024title.yaml:{lines['abstract']}: warning: field 'abstract': no abstract given" in err


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_control_characters_in_a_file_reach_the_output_as_escapes_not_as_forged_lines(survey, capsys, fmt):
    add(survey, "broken2024escape", 'title: Escape\n"x\\e[2J\\nfake.yaml:9: all good\\u202e": 1\n')
    code, out, err = run(capsys, "-C", str(survey), "check", "--format", fmt)
    assert code == 1
    printed = out + err
    assert "\x1b" not in printed and "\u202e" not in printed
    assert not any(line.startswith("fake.yaml") for line in printed.splitlines())
    assert "unknown field 'x\\x1b[2J\\nfake.yaml:9: all good\\u202e'" in printed


def test_numbers_in_yaml_11_notations_are_kept_as_written_not_converted(tmp_path):
    from generator.load import load_papers

    folder = tmp_path / "content" / "papers"
    folder.mkdir(parents=True)
    (folder / "time2020clock.yaml").write_text("title: 1:30\nauthors: [010, 0x10]\nvenue: 0o17\n", encoding="utf-8")
    (paper,), _, _ = load_papers(tmp_path / "content", tmp_path)
    assert (paper.title, paper.authors, paper.venue) == ("1:30", ("010", "0x10"), "0o17")  # not 90, 8, 16 and 15


def test_all_problems_of_all_files_are_reported_together(survey, capsys):
    for key, text, _ in BROKEN.values():
        add(survey, key, text)
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    for key, _, expected in BROKEN.values():
        assert any(f"content/papers/{key}.yaml" in line and expected in line for line in err.splitlines()), key
    assert f"{len(BROKEN)} problem(s) in {len(BROKEN)} file(s)." in err


def test_warnings_pass_unless_strict(survey, capsys):
    add(survey, "lonely2024paper", "title: A lonely paper about model merging\n")
    code, out, err = run(capsys, "-C", str(survey), "check")
    assert code == 0
    assert "lonely2024paper.yaml:1: warning: field 'authors': no authors given" in err
    code, _, err = run(capsys, "-C", str(survey), "check", "--strict")
    assert code == 1


def test_a_wrong_field_gets_its_error_and_an_empty_one_its_warning(survey, capsys):
    add(survey, "wrong2024authors", "title: Wrong authors\nauthors: Jane Doe\nabstract: Text.\n")
    add(survey, "empty2024authors", "title: Empty authors\nauthors: []\nabstract: Text.\n")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    wrong = [line for line in err.splitlines() if "wrong2024authors.yaml" in line]
    assert wrong == ["content/papers/wrong2024authors.yaml:2: field 'authors': expected a list (one '- item' per line), got 'Jane Doe'"]
    assert "empty2024authors.yaml:2: warning: field 'authors': no authors given" in err  # the line of the empty list


def test_settings_that_load_fonts_or_scripts_from_other_hosts_are_warned_about(survey, capsys):
    config = survey / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "  font: false\n" in text
    text = text.replace("  font: false\n", "  font:\n    text: Roboto\n") + "extra_javascript:\n  - https://cdn.example.org/x.js\n  - assets/local.js\n"
    config.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    code, out, err = run(capsys, "-C", str(survey), "check")
    assert code == 0, err  # warnings: the curator may want them, knowingly
    assert f"mkdocs.yml:{lines.index('  font:') + 1}: warning: field 'theme.font': Material for MkDocs loads this font from Google Fonts" in err
    assert f"mkdocs.yml:{lines.index('extra_javascript:') + 1}: warning: field 'extra_javascript': 'https://cdn.example.org/x.js' is loaded from another host" in err
    assert "assets/local.js" not in err
    assert run(capsys, "-C", str(survey), "check", "--strict")[0] == 1
    # A theme named alone takes Material's default font, from Google Fonts as well.
    short = re.sub(r"(?ms)^theme:\n(?:  .*\n)+", "theme: material\n", text)
    config.write_text(short, encoding="utf-8")
    _, _, err = run(capsys, "-C", str(survey), "check")
    assert f"mkdocs.yml:{short.splitlines().index('theme: material') + 1}: warning: field 'theme.font'" in err


def test_a_paper_given_by_its_arxiv_doi_is_found_to_repeat_one_given_by_its_arxiv_id(survey, capsys):
    # arXiv's DOIs (10.48550/arXiv.<id>, as Zotero exports them) name the same paper as the id.
    arxiv = yaml.safe_load((survey / "content" / "papers" / "zhang2025lori.yaml").read_text(encoding="utf-8"))["arxiv"]
    add(survey, "again2025lori", f"title: Another title\nyear: 2025\ndoi: 10.48550/arXiv.{arxiv}\n")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    assert f"content/papers/again2025lori.yaml:3: field 'doi': duplicate of content/papers/zhang2025lori.yaml (same arXiv id {arxiv})" in err


def test_an_unquoted_arxiv_id_keeps_its_trailing_zero(survey, capsys):
    # YAML reads 2401.00010 as the number 2401.0001, the id of another paper.
    add(survey, "doe2024zero", "title: An id ending in zero\nyear: 2024\narxiv: 2401.00010\n")
    code, _, err = run(capsys, "-C", str(survey), "generate")
    assert code == 0, err
    bib = (survey / "docs" / "bibliography.bib").read_text(encoding="utf-8")
    entry = bib[bib.index("{doe2024zero,") :].split("\n}\n")[0]
    assert "eprint = {2401.00010}" in entry and "2401.0001}" not in entry


def test_github_format_prints_annotations(survey, capsys):
    add(survey, "broken2024soon", "title: Soon\nyear: soon\n")
    code, out, _ = run(capsys, "-C", str(survey), "check", "--format", "github")
    assert code == 1
    assert "::error file=content/papers/broken2024soon.yaml,line=2,title=survey check::field 'year': expected a whole number, got 'soon'" in out
    # A file name with "," or ":" would end the annotation's properties early: they are escaped.
    add(survey, "a,b:c", "title: Odd name\n")
    _, out, _ = run(capsys, "-C", str(survey), "check", "--format", "github")
    assert "::error file=content/papers/a%2Cb%3Ac.yaml,line=1,title=survey check::file name 'a,b:c.yaml' is not a valid citation key" in out


def test_a_failed_build_leaves_the_last_good_site(survey, capsys):
    assert run(capsys, "-C", str(survey), "build")[0] == 0
    before = {p: p.read_bytes() for p in (survey / "site").rglob("*") if p.is_file()}
    add(survey, "broken2024soon", "title: Soon\nyear: soon\n")
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1
    assert "broken2024soon.yaml:2: field 'year'" in err
    assert {p: p.read_bytes() for p in (survey / "site").rglob("*") if p.is_file()} == before


def test_unknown_exclusion_and_duplicate_section_ids_are_errors(survey, capsys):
    overrides = survey / "content" / "overrides.yaml"
    text = overrides.read_text().replace("stop_words: [fixture]", "stop_words: [fixture]\nexclude: [nosuchpaper2020]")
    text = text.replace("  - id: benchmarks", "  - id: merging")
    overrides.write_text(text)
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    assert "content/overrides.yaml:17: field 'exclude': excludes 'nosuchpaper2020'" in err
    assert "section id 'merging' is defined twice (first on line 4)" in err
    assert "did you mean" not in err  # no paper is named anything like it


def test_a_mistyped_section_or_excluded_key_names_the_closest_one(survey, capsys):
    overrides = survey / "content" / "overrides.yaml"
    overrides.write_text(overrides.read_text().replace("stop_words: [fixture]", "stop_words: [fixture]\nexclude: [hu2012lora]"))
    add(survey, "broken2024section", "title: Lost\nsection: adapter\n")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    assert "excludes 'hu2012lora', but there is no paper file 'hu2012lora.yaml' — did you mean 'hu2021lora'?" in err
    assert "broken2024section.yaml:2: field 'section': unknown section 'adapter' — did you mean 'adapters'? (known sections: merging, adapters, benchmarks)" in err


def test_a_published_key_that_disappears_fails_the_check(survey, capsys):
    assert run(capsys, "-C", str(survey), "release")[0] == 0
    assert run(capsys, "-C", str(survey), "check")[0] == 0
    paper = survey / "content" / "papers" / "zhang2025lori.yaml"
    paper.rename(paper.with_name("zhang2025loriv2.yaml"))
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    assert "content/published-keys.txt:" in err
    assert "published key 'zhang2025lori' has no paper file any more (renamed to content/papers/zhang2025loriv2.yaml? rename it back)" in err


def test_a_key_that_names_neither_first_author_nor_year_is_warned_about_until_released(survey, capsys):
    paper = "title: '{}'\nauthors: [Ada Quill, Bo Tan]\nyear: 2021\nabstract: An abstract.\n"
    add(survey, "sparse", paper.format("Sparse Gates for Routing Experts"))
    # Other habits that name both pass: the ACL Anthology's and Zotero's.
    add(survey, "quill-etal-2021-dense", paper.format("Dense Probes of Hidden Layers"))
    add(survey, "quillLayerwiseCurricula2021".lower(), paper.format("Layerwise Curricula for Speech"))
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 0, err
    warned = [line for line in err.splitlines() if "as the survey's keys do" in line]
    assert warned == ["content/papers/sparse.yaml:1: warning: file name 'sparse.yaml' does not give the first author's family name and the year, as the survey's keys do: rename it to 'quill2021sparse.yaml' before `survey release` makes the key permanent"]
    assert run(capsys, "-C", str(survey), "check", "--strict")[0] == 1
    # Released, it is said once more, and then no longer: the key can no longer change.
    code, out, err = run(capsys, "-C", str(survey), "release")
    assert code == 0
    assert "content/papers/sparse.yaml:1: warning: file name 'sparse.yaml' does not give the first author's family name and the year, as the survey's keys do: released as it is: the key never changes now" in err
    assert "sparse\n" in (survey / "content" / "published-keys.txt").read_text(encoding="utf-8")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 0 and "as the survey's keys do" not in err


def test_a_published_or_excluded_paper_whose_file_has_an_error_gets_only_that_error(survey, capsys):
    assert run(capsys, "-C", str(survey), "release")[0] == 0
    overrides = survey / "content" / "overrides.yaml"
    overrides.write_text(overrides.read_text(encoding="utf-8") + "exclude:\n  - hu2021lora\n", encoding="utf-8")
    for key in ("zhang2025lori", "hu2021lora"):
        paper = survey / "content" / "papers" / f"{key}.yaml"
        paper.write_text(paper.read_text(encoding="utf-8").replace("year:", "year: [", 1), encoding="utf-8")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    assert "content/papers/zhang2025lori.yaml:" in err and "content/papers/hu2021lora.yaml:" in err
    assert "has no paper file" not in err, err
    assert "there is no paper file" not in err, err


def test_a_paper_file_with_an_error_and_an_unknown_section_gets_both_reported_at_once(survey, capsys):
    paper = survey / "content" / "papers" / "zhang2025lori.yaml"
    text = paper.read_text(encoding="utf-8")
    assert "section:" not in text
    text = re.sub(r"(?m)^year: .*$", "year: 3024", text) + "section: nowhere\n"
    paper.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    section_line = text.splitlines().index("section: nowhere") + 1
    assert f"content/papers/zhang2025lori.yaml:{section_line}: field 'section': unknown section 'nowhere'" in err
    assert "field 'year'" in err


@pytest.mark.parametrize(
    ("first", "second", "duplicate"),
    [
        ("title: 'Языковые модели для задач'\n", "title: '多任务学习综述'\n", False),
        ("title: '多任务学习综述'\n", "title: '多任务学习综述。'\n", True),
        ("title: 'Marks'\n", "title: '!!!'\n", False),
        # Yearly series and a track's overviews in two years: their arXiv ids or DOIs tell them apart.
        ("title: Overview of the TREC 2022 NeuCLIR Track\narxiv: '2304.12367'\n", "title: Overview of the TREC 2023 NeuCLIR Track\narxiv: '2404.08071'\n", False),
        ("title: Findings of the 2019 Conference on Machine Translation\ndoi: 10.18653/v1/W19-5301\n", "title: Findings of the 2020 Conference on Machine Translation\ndoi: 10.18653/v1/2020.wmt-1.1\n", False),
        ("title: Overview of the TREC 2022 NeuCLIR Track\narxiv: '2304.12367'\n", "title: Overview of the TREC 2022 NeuCLIR Track\n", True),
        # Without ids, the edition's number tells them apart; a near-identical title of the same edition is still one work.
        ("title: Overview of the TREC 2023 NeuCLIR Track\n", "title: Overview of the TREC 2024 NeuCLIR Track\n", False),
        ("title: Overview of the TREC 2023 NeuCLIR Track\n", "title: Overview of the TREC-2023 NeuCLIR Track.\n", True),
        # Without ids, first authors of different family names, in other years, wrote two works; the
        # same family name (however it is written) or the same year keeps them one.
        ("title: Deep Learning\nauthors: [Yann LeCun, Yoshua Bengio, Geoffrey Hinton]\nyear: 2015\n", "title: Deep learning\nauthors: [Ian Goodfellow, Yoshua Bengio, Aaron Courville]\nyear: 2016\n", False),
        ("title: A Survey of Large Language Models\nauthors: [Wayne Xin Zhao, Junyi Li]\nyear: 2023\n", "title: A survey of large language models\nauthors: [Jing Li, Peng Wu]\nyear: 2024\n", False),
        ("title: Parsing\nauthors: [Jan van der Berg]\nyear: 2019\n", "title: Parsing\nauthors: [Jan van Dijk]\nyear: 2021\n", False),
        ("title: Learning with Kernels\nauthors: [Bernhard Schoelkopf]\nyear: 2019\n", "title: Learning with kernels\nauthors: [Bernhard Schölkopf, Alex Smola]\nyear: 2020\n", True),
        ("title: WaveNet\nauthors: ['Oord, Aaron van den']\nyear: 2016\n", "title: WaveNet\nauthors: [Aäron van den Oord]\nyear: 2017\n", True),
        ("title: Optimal Brain Damage\nauthors: ['Le Cun, Yann', John S. Denker]\nyear: 1989\n", "title: Optimal brain damage\nauthors: ['LeCun, Yann', John S Denker]\nyear: 1990\n", True),
        ("title: Graph Alignment\nauthors: [Zhang Si, Hanghang Tong]\nyear: 2019\n", "title: Graph alignment\nauthors: [Si Zhang, Hanghang Tong]\nyear: 2018\n", True),
        ("title: Parsing Trees\nauthors: [Xue Li]\nyear: 2019\n", "title: Parsing trees\nauthors: [Xu Wang]\nyear: 2021\n", False),
        ("title: Deep Learning\nauthors: [Yann LeCun, Geoffrey Hinton]\nyear: 2015\n", "title: Deep learning\nauthors: ['LeCun, Y.', Yoshua Bengio]\nyear: 2016\n", True),
        ("title: Deep Learning\nauthors: [Yann LeCun]\nyear: 2015\n", "title: Deep learning\nyear: 2016\n", True),
        ("title: Fast Convergence of SGD\nauthors: ['Le Roux, Nicolas']\nyear: 2013\n", "title: Fast convergence of SGD\nauthors: [Nicolas Le Roux, Mark Schmidt]\nyear: 2012\n", True),
        ("title: GPT-4 Technical Report\nauthors: ['OpenAI,']\nyear: 2023\n", "title: GPT-4 Technical Report\nauthors: [Josh Achiam, Steven Adler]\nyear: 2023\n", True),
        ("title: Learning with Kernels\nauthors: [Bernhard Schoelkopf]\nyear: 2002\n", "title: Learning with Kernels\nauthors: [Bernhard Schölkopf]\nyear: 2001\n", True),
        # A leading article changes nothing.
        ("title: 'NADI 2021: The Second Nuanced Arabic Dialect Identification Shared Task'\n", "title: 'The NADI 2021: The Second Nuanced Arabic Dialect Identification Shared Task'\n", True),
    ],
)
def test_duplicates_are_the_same_work_in_any_script_and_ids_tell_a_series_apart(survey, capsys, first, second, duplicate):
    add(survey, "aaa2024first", first)
    add(survey, "zzz2024second", second)
    code, _, err = run(capsys, "-C", str(survey), "check")
    said = "content/papers/zzz2024second.yaml:1: field 'title': duplicate of content/papers/aaa2024first.yaml" in err
    assert said == duplicate, err
    assert ("duplicate of" in err) == duplicate and code == (1 if duplicate else 0), err


def test_soft_hyphens_and_zero_width_spaces_pasted_from_a_pdf_do_not_split_words(survey, capsys):
    add(survey, "schmidt2024multitask", 'title: "Multi\\u00adTask Trans\\u00adformers for Every\\u200bthing"\nauthors: ["Jo\\u00adhann Schmidt"]\nyear: 2024\nsection: adapters\n')
    code, _, err = run(capsys, "-C", str(survey), "generate")
    assert code == 0, err
    page = (survey / "docs" / "sections" / "adapters.md").read_text(encoding="utf-8")
    assert "## MultiTask Transformers for Everything" in page and "Johann Schmidt" in page
    assert "Schmidt, Johann" in (survey / "docs" / "bibliography.bib").read_text(encoding="utf-8")


def test_a_release_keeps_the_file_s_line_endings_and_byte_order_mark_and_leaves_it_alone_with_nothing_new(survey, capsys):
    assert run(capsys, "-C", str(survey), "release")[0] == 0
    published = survey / "content" / "published-keys.txt"
    windows = b"\xef\xbb\xbf" + published.read_bytes().replace(b"\n", b"\r\n")
    published.write_bytes(windows)
    assert run(capsys, "-C", str(survey), "release")[0] == 0
    assert published.read_bytes() == windows  # nothing new: not rewritten
    add(survey, "lovelace2026new", "title: A new paper\n")
    assert run(capsys, "-C", str(survey), "release")[0] == 0
    assert published.read_bytes() == windows + b"lovelace2026new\r\n"  # a one-line diff, not a whole-file one


def test_a_release_keeps_the_curator_s_comments_and_a_key_may_carry_one(survey, capsys):
    assert run(capsys, "-C", str(survey), "release")[0] == 0
    published = survey / "content" / "published-keys.txt"
    lines = published.read_text(encoding="utf-8").splitlines()
    lines = [f"{line}  # withdrawn, kept for citations: see #12" if line == "zhang2025lori" else line for line in lines]
    published.write_text("\n".join(["# Released with v1.0", *lines]) + "\n", encoding="utf-8")
    add(survey, "lovelace2026new", "title: A new paper\n")
    code, out, _ = run(capsys, "-C", str(survey), "release")
    assert code == 0 and "(1 new)" in out
    text = published.read_text(encoding="utf-8")
    assert text.startswith("# Released with v1.0\n") and "zhang2025lori  # withdrawn, kept for citations: see #12\n" in text
    assert text.endswith("\nlovelace2026new\n")
    (survey / "content" / "papers" / "zhang2025lori.yaml").unlink()
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1 and "published key 'zhang2025lori' has no paper file any more" in err


def test_a_stop_word_of_three_words_is_an_error_as_it_would_match_nothing(survey, capsys):
    overrides = survey / "content" / "overrides.yaml"
    overrides.write_text(overrides.read_text(encoding="utf-8").replace("stop_words: [fixture]", "stop_words: [fixture, multi task learning]", 1), encoding="utf-8")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1 and "field 'stop_words': item 2: expected one word or two, got 'multi task learning': a longer phrase matches nothing, so list each word or pair of words as an item of its own" in err, err


@pytest.mark.parametrize("mistake", ["\tbad: [\n", "sections: {id: merging}\n"])
def test_a_mistake_in_the_overrides_is_reported_alone_not_once_more_for_every_pinned_paper(survey, capsys, mistake):
    overrides = survey / "content" / "overrides.yaml"
    text = overrides.read_text(encoding="utf-8")
    overrides.write_text(text.split("sections:")[0] + mistake if "sections" in mistake else text + mistake, encoding="utf-8")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    assert "content/overrides.yaml:" in err and "unknown section" not in err, err
    assert "1 problem(s) in 1 file(s)." in err


@pytest.mark.parametrize("mistake", ["exclude: 12\n", "stop_words: [fixture, multi task learning]\n"])
def test_a_mistake_outside_the_overrides_sections_still_lets_unknown_sections_be_named(survey, capsys, mistake):
    overrides = survey / "content" / "overrides.yaml"
    text = overrides.read_text(encoding="utf-8")
    key = mistake.split(":")[0]
    overrides.write_text("".join(line for line in text.splitlines(keepends=True) if not line.startswith(f"{key}:")) + mistake, encoding="utf-8")
    add(survey, "broken2024lost", "title: Lost\nsection: nowhere\n")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    assert "content/overrides.yaml:" in err and f"field '{key}'" in err, err
    assert "content/papers/broken2024lost.yaml:2: field 'section': unknown section 'nowhere'" in err  # not left for the next run
    assert "2 problem(s) in 2 file(s)." in err


@pytest.mark.parametrize("command", ["check", "build"])
def test_a_file_with_an_error_is_also_told_it_repeats_a_paper_in_the_same_run(survey, capsys, command):
    add(survey, "copy2021lora", "title: A new name for an old paper\nauthors: Edward Hu\narxiv: '2106.09685'\nsection: nowhere\n")
    code, _, err = run(capsys, "-C", str(survey), command)
    assert code == 1
    lines = [line for line in err.splitlines() if "copy2021lora.yaml" in line and "warning" not in line]
    assert lines == [
        "content/papers/copy2021lora.yaml:2: field 'authors': expected a list (one '- item' per line), got 'Edward Hu'",
        "content/papers/copy2021lora.yaml:3: field 'arxiv': duplicate of content/papers/hu2021lora.yaml (same arXiv id 2106.09685)",
        "content/papers/copy2021lora.yaml:4: field 'section': unknown section 'nowhere' (known sections: merging, adapters, benchmarks)",
    ]


def test_a_file_read_despite_an_error_is_told_its_section_is_unknown_once(survey, capsys):
    add(survey, "twice2021title", "title: A paper\ntitle: The same paper\nsection: nowhere\n")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    lines = [line for line in err.splitlines() if "twice2021title.yaml" in line and "warning" not in line]
    assert lines == [
        "content/papers/twice2021title.yaml:2: field 'title': given twice (first on line 1)",
        "content/papers/twice2021title.yaml:3: field 'section': unknown section 'nowhere' (known sections: merging, adapters, benchmarks)",
    ]


def test_a_paper_excluded_twice_is_warned_about(tmp_path):
    from generator.load import load_overrides

    (tmp_path / "overrides.yaml").write_text("title: T\nexclude: [lee2020a, kim2021b, lee2020a]\n", encoding="utf-8")
    overrides, problems = load_overrides(tmp_path, tmp_path)
    assert [str(p) for p in problems] == ["overrides.yaml:2: warning: field 'exclude': 'lee2020a' is excluded 2 times: once is enough"]
    assert overrides.exclude == ("lee2020a", "kim2021b", "lee2020a")


def test_a_misnamed_overrides_file_is_named_not_ignored(survey, capsys):
    overrides = survey / "content" / "overrides.yaml"
    overrides.rename(survey / "content" / "overrides.yml")
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1
    assert "content/overrides.yml:1: the curator's file is read only as 'overrides.yaml': rename this one, or its settings are ignored" in err
    assert "unknown section" not in err and not (survey / "site").exists()


def test_a_build_says_where_each_unpinned_paper_went_and_which_section_is_left_empty(survey, capsys):
    paper = survey / "content" / "papers" / "ilharco2022editing.yaml"
    paper.write_text("".join(line for line in paper.read_text(encoding="utf-8").splitlines(keepends=True) if not line.startswith("section:")), encoding="utf-8")
    overrides = survey / "content" / "overrides.yaml"
    overrides.write_text(overrides.read_text(encoding="utf-8").replace("stop_words:", "  - id: soft-prompts\n    title: Soft prompts\nstop_words:", 1), encoding="utf-8")
    code, out, err = run(capsys, "-C", str(survey), "generate")
    assert code == 0, err
    placed = next(line for line in out.splitlines() if line.startswith("placed ilharco2022editing in 'merging' by its words (similarity "))
    assert re.search(r"similarity 0\.\d\d, margin [+-]\d\.\d\d", placed), placed
    assert "section 'soft-prompts' has no papers: none pins it with `section: soft-prompts` and none fits it best" in out
    loose = [path.stem for path in (survey / "content" / "papers").glob("*.yaml") if "\nsection:" not in "\n" + path.read_text(encoding="utf-8")]
    assert sorted(line.split()[1] for line in out.splitlines() if line.startswith("placed ")) == sorted(loose)  # each once; pinned ones stay unsaid


def test_a_section_that_states_its_order_comes_before_one_that_is_only_listed_there(tmp_path):
    from generator.load import load_overrides

    (tmp_path / "overrides.yaml").write_text(
        "title: Ordered\nsections:\n  - {id: first, title: First}\n  - {id: second, title: Second}\n  - {id: tail, title: Tail, order: 1}\n  - {id: lead, title: Lead, order: -1}\n",
        encoding="utf-8",
    )
    overrides, problems = load_overrides(tmp_path, tmp_path)
    assert problems == [] and [s.id for s in overrides.sections] == ["lead", "first", "tail", "second"]


@pytest.mark.parametrize(("line", "severity", "message"), [
    ("title:\n", "warning", "no title given: the site is called 'A survey'"),
    ("description: A survey without its title line.\n", "warning", "no title given: the site is called 'A survey'"),
    ("title: ''\n", "warning", "no title given: the site is called 'A survey'"),
])
def test_an_overrides_file_without_a_title_says_what_the_site_is_called(tmp_path, line, severity, message):
    from generator.load import load_overrides

    (tmp_path / "overrides.yaml").write_text("# the curator's file\n" + line, encoding="utf-8")
    overrides, problems = load_overrides(tmp_path, tmp_path)
    assert [(p.line, p.field, p.severity, p.message) for p in problems] == [(2, "title", severity, message)]
    assert overrides.title == "A survey"


def test_a_very_long_address_wrong_at_its_end_is_refused_like_a_short_one(survey, capsys):
    # 60,000 characters: the pattern used to backtrack over every split of the host, some
    # fifty seconds for this file, minutes for one at the size limit.
    add(survey, "long2024url", f"title: Long\nurl: https://{'a' * 60_000}<\ncode: https://example.org/ok\n")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    assert "content/papers/long2024url.yaml:2: field 'url': expected an http or https URL, got 'https://aaaa" in err


def test_a_family_name_too_long_for_a_bibtex_label_is_an_error_for_an_organisation_and_a_warning_for_a_person(survey, capsys):
    add(survey, "ispras2024org", "title: A paper\nauthors:\n  - Jane Doe\n  - Институт системного программирования Российской академии наук,\n  - " + "A " + "{" * 40 + "\n")
    add(survey, "papadopoulopoulos2024long", "title: Another paper\nauthors:\n  - Jane Doe\n  - Ὀδυσσεὺς Παπαδοπουλόπουλος\n")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    errors = next(line for line in err.splitlines() if "ispras2024org.yaml:2: field" in line)
    assert "item 2: 'Институт системного программирования Российской академии ...' has a family name of 565 characters as BibTeX writes it, more than 240" in errors
    assert "write the organisation as it is usually cited (its short name)" in errors
    assert "item 3: 'A {{{{" in errors and "item 1" not in errors
    warned = [line for line in err.splitlines() if "papadopoulopoulos2024long.yaml:2: warning" in line]
    assert len(warned) == 1 and "item 2: 'Ὀδυσσεὺς Παπαδοπουλόπουλος' has a family name of 299 characters" in warned[0] and "with natbib (plain.bst is not affected)" in warned[0]


def test_a_persons_family_name_longer_than_a_label_holds_is_only_warned_about(survey, capsys):
    add(survey, "tzitzikakis2024long", "title: A paper\nauthors: ['Τζιτζικάκης-Κωνσταντινοπουλος, Ε.']\n")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 0, err
    assert "tzitzikakis2024long.yaml:2: warning: field 'authors': item 1: 'Τζιτζικάκης-Κωνσταντινοπουλος, Ε.' has a family name of" in err


@pytest.mark.parametrize("name", ["Александр Сергеевич Пушкин", "Κωνσταντίνος Παπαδόπουλος", "Τσιπρας Αλεξης", "张伟", "Pedro José Ramón Vázquez de la Fuente y Ñúñez-García"])
def test_names_in_other_scripts_and_long_spanish_names_pass_without_a_word(survey, capsys, name):
    add(survey, "names2024script", f"title: Names\nauthors: [{name!r}]\nabstract: An abstract.\n")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 0, err
    assert "field 'authors'" not in err, err


def test_the_longest_shipped_and_accented_names_are_not_too_long(survey, capsys):
    add(survey, "names2024long", "title: Names\nauthors: ['Pedro José Ramón Vázquez de la Fuente y Ñúñez-García', 'Oleksiy Ostapenko', 'Bill and Melinda Gates Foundation,']\n")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 0, err


def test_a_message_with_other_digits_than_0_to_9_sorts_without_a_crash(survey, capsys):
    add(survey, "odd2024digits", "title: Odd digits\nyear: 1²2\n")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1 and "internal error" not in err
    assert "odd2024digits.yaml:2: field 'year': expected a whole number, got '1²2'" in err

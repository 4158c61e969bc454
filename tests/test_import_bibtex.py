"""`survey import refs.bib`: new papers become files, duplicates are named, LaTeX is decoded."""

from __future__ import annotations

import pytest
import yaml

from conftest import run

REFS = r"""@inproceedings{Yadav2023Ties,
  title = {{TIES}-Merging: Resolving Interference When Merging Models},
  author = {Yadav, Prateek and Tam, Derek},
  booktitle = {NeurIPS},
  year = {2023},
  eprint = {2306.01708},
  archivePrefix = {arXiv}
}

@article{Garcia2024Uber,
  title = {{\"U}ber die {LoRA} von Ca{\~n}ete},
  author = {Garc{\'i}a, Jos{\'e} and van der Waals, Ludwig},
  journal = {Journal of Odd Results},
  year = {2024},
  doi = {10.1234/odd.2024.1},
  keywords = {model merging; th{\'e}orie}
}
"""


def test_import_bib_adds_the_new_paper_and_names_the_duplicate(survey, tmp_path, capsys):
    refs = tmp_path / "refs.bib"
    refs.write_text(REFS, encoding="utf-8")
    before = set((survey / "content" / "papers").iterdir())
    code, out, err = run(capsys, "-C", str(survey), "import", str(refs), "--added", "2026-11-25")
    assert code == 0, err
    new = set((survey / "content" / "papers").iterdir()) - before
    assert [p.name for p in new] == ["garcia2024uber.yaml"]
    assert "entry 'Yadav2023Ties'): skipped, duplicate of content/papers/yadav2023ties.yaml (same arXiv id 2306.01708)" in out
    written = new.pop().read_text(encoding="utf-8")
    assert "et_al" not in written  # false is what leaving it out says
    paper = yaml.safe_load(written)
    assert paper["title"] == "Über die LoRA von Cañete"
    assert paper["authors"] == ["José García", "Ludwig van der Waals"]
    assert paper["venue"] == "Journal of Odd Results"
    assert paper["doi"] == "10.1234/odd.2024.1"
    assert paper["tags"] == ["model merging", "théorie"]
    assert run(capsys, "-C", str(survey), "check")[0] == 0
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    bibliography = (survey / "docs" / "bibliography.bib").read_text(encoding="utf-8")
    assert "garcia2024uber" in bibliography and "keywords = {model merging, th{\\'e}orie}" in bibliography


def test_import_bib_reports_broken_entries_with_their_line(survey, tmp_path, capsys):
    refs = tmp_path / "broken.bib"
    refs.write_text("@misc{notitle2024,\n  author = {A B},\n  year = {2024}\n}\n", encoding="utf-8")
    code, _, err = run(capsys, "-C", str(survey), "import", str(refs))
    assert code == 1
    assert "broken.bib:1: field 'title'" in err


def test_an_import_with_an_error_adds_none_of_its_papers(survey, tmp_path, capsys):
    refs = tmp_path / "refs.bib"
    refs.write_text("@article{good2020paper, title={A Good Paper}, year=2020, author={Ann Lee}}\n@article{{bad,\n", encoding="utf-8")
    before = sorted((survey / "content" / "papers").iterdir())
    code, out, err = run(capsys, "-C", str(survey), "import", str(refs))
    assert code == 1
    assert "refs.bib:2: could not parse this entry" in err
    assert "nothing was added: fix the 1 error(s) above and import again (1 paper(s) would be added)" in out
    assert sorted((survey / "content" / "papers").iterdir()) == before


def test_several_names_in_one_bibtex_name_are_told_to_be_separated_by_and(survey, tmp_path, capsys):
    refs = tmp_path / "refs.bib"
    refs.write_text("@article{doe2020odd, title={An Odd Name}, author={Jr., Doe, John}, year=2020}\n", encoding="utf-8")
    code, _, err = run(capsys, "-C", str(survey), "import", str(refs))
    assert code == 1
    assert f"{refs} (entry 'doe2020odd'): field 'authors': item 1: 'Jr., Doe, John' reads as several names: separate the names with ' and '; write each name as 'Given Family' or 'Family, Given' (with a suffix: 'Family, Jr., Given')" in err


def test_a_dry_run_with_an_error_says_that_nothing_would_be_added(survey, tmp_path, capsys):
    refs = tmp_path / "refs.bib"
    refs.write_text("@article{good2020paper, title={A Good Paper}, year=2020, author={Ann Lee}}\n@article{{bad,\n", encoding="utf-8")
    code, out, err = run(capsys, "-C", str(survey), "import", str(refs), "--dry-run")
    assert code == 1
    assert "refs.bib:2: could not parse this entry" in err
    # As the real run would: "would add 1 paper(s)" promised what it would not do.
    assert out.splitlines() == ["nothing would be added: fix the 1 error(s) above and import again (1 paper(s) would be added)"]


def test_text_that_is_not_a_listing_adds_no_paper_per_pair_of_lines(survey, tmp_path, capsys):
    page = tmp_path / "arxiv-page.txt"  # an arXiv listing page saved as text
    page.write_text("[1] arXiv:2504.07448 [pdf, html, other]\nTitle: LoRI: Reducing Cross-Task Interference in Multi-Task Low-Rank Adaptation\nAuthors: Juzheng Zhang, Jiacheng You\nSubjects: Machine Learning (cs.LG)\n", encoding="utf-8")
    before = sorted((survey / "content" / "papers").iterdir())
    code, out, err = run(capsys, "-C", str(survey), "import", str(page))
    assert code == 1
    assert f"{page}:1: no abstract line has 12 words or more: this does not look like a listing (a title line, then its abstract line)" in err
    assert "nothing was added" in out
    assert sorted((survey / "content" / "papers").iterdir()) == before


ABSTRACT = "We study how models learn many tasks at once and find that sharing helps small tasks most."


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        # The metadata passed as the listing: each pair of JSON lines became a paper.
        ("facts.jsonl", '{"n": 1, "authors": ["Ann Lee"], "year": 2021, "venue": "ICLR 2021", "arxiv_id": "2101.00001"}\n{"n": 2, "title": "Second", "authors": ["Bo Li", "Cy Ng", "Di Wu"], "year": 2022}\n',
         "facts.jsonl:1: expected a listing's title or abstract line, got a JSON object: this looks like the metadata, which goes beside the listing as `--metadata FILE`"),
        ("notes.txt", f"A title\n{ABSTRACT}\n{{\"year\": 2020}}\n{ABSTRACT}\n", "notes.txt:3: expected a listing's title or abstract line, got a JSON object"),
        ("facts.txt", '[\n  {"n": 1,\n   "title": "A title"}\n]\n', "facts.txt:1: expected a listing (plain text: a title line, then its abstract line), got JSON"),
        ("refs.txt", f"TY  - JOUR\nTI  - A title\nAB  - {ABSTRACT}\nER  - \n", "refs.txt:1: expected a listing (plain text: a title line, then its abstract line), got a RIS record ('TY  - JOUR'): export the references as BibTeX and import that"),
        ("notes.md", f"# Reading list\n\nA title\n{ABSTRACT}\n", "notes.md:1: expected a listing's title or abstract line, got Markdown ('# Reading list')"),
        ("notes.txt", f"A title\n{ABSTRACT}\n```\n{ABSTRACT}\n", "notes.txt:3: expected a listing's title or abstract line, got Markdown ('```')"),
        ("mkdocs.yml", f"site_name: A title\nsite_description: {ABSTRACT}\n", "mkdocs.yml:1: expected a listing (plain text: a title line, then its abstract line) or BibTeX, got a YAML file"),
        # A listing page saved from the browser, and a spreadsheet's export.
        ("saved.txt", f"<!DOCTYPE html>\n<html><body><p>{ABSTRACT}</p>\n<div>A title</div>\n</body></html>\n",
         "saved.txt:1: expected a listing (plain text: a title line, then its abstract line), got HTML or XML: copy the titles and abstracts out of the page, or import its BibTeX"),
        ("papers.csv", f'Title,Abstract,Year\n"A title","{ABSTRACT}",2020\n', "papers.csv:1: expected a listing (plain text: a title line, then its abstract line) or BibTeX, got a CSV file"),
    ],
)
def test_a_file_that_is_clearly_not_a_listing_is_an_error_naming_its_line(survey, tmp_path, capsys, name, text, expected):
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    metadata = tmp_path / "metadata.jsonl"
    metadata.write_text('{"n": 1, "title": "A title"}\n', encoding="utf-8")
    before = sorted((survey / "content" / "papers").iterdir())
    code, out, err = run(capsys, "-C", str(survey), "import", str(source), "--metadata", str(metadata))
    assert code == 1
    assert err.replace(str(tmp_path) + "/", "").splitlines() == [expected]  # one error, not one a pair of lines
    assert "nothing was added" in out
    assert sorted((survey / "content" / "papers").iterdir()) == before


def test_a_listing_whose_titles_start_with_marks_is_still_a_listing():
    from generator.listing import parse_listing

    text = f"#InsTag: Instruction Tagging\n{ABSTRACT}\n[CLS] Tokens Tell\n{ABSTRACT}\n{{Braces}} in a Title\n{ABSTRACT}\n"
    papers, problems = parse_listing(text, "listing.md")
    assert problems == []
    assert [p.title for p in papers] == ["#InsTag: Instruction Tagging", "[CLS] Tokens Tell", "{Braces} in a Title"]


def test_import_bib_gives_a_windows_device_name_a_key_of_its_own(survey, tmp_path, capsys):
    # A file named con.yaml cannot be checked out on Windows, so the entry's own key is not kept.
    refs = tmp_path / "refs.bib"
    refs.write_text("@misc{con, title = {Con}, year = {2020}}\n@misc{nul, title = {Nul}}\n", encoding="utf-8")
    code, out, err = run(capsys, "-C", str(survey), "import", str(refs), "--added", "2026-11-25")
    assert code == 0, err
    assert "added content/papers/con2020.yaml" in out
    assert "added content/papers/nulb.yaml" in out  # the key made from the title alone is a device name too
    assert not (survey / "content" / "papers" / "con.yaml").exists()
    assert run(capsys, "-C", str(survey), "check")[0] == 0


def test_import_of_a_latin1_bib_names_the_line_of_the_first_odd_byte(survey, tmp_path, capsys):
    refs = tmp_path / "latin.bib"
    refs.write_bytes(b"@article{ok, title={Fine}, year={2020}}\n@article{cafe, title={Caf\xe9 Society}, year={2020}}\n")
    code, _, err = run(capsys, "-C", str(survey), "import", str(refs))
    assert code == 1
    assert f"{refs}:2: file is not UTF-8 (byte 0xe9 at offset 65); save it as UTF-8" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("refs.bib", "", "refs.bib: expected BibTeX entries (an entry starts with @article{, @inproceedings{ …), found none"),
        ("refs.bib", "% notes\n@comment{to do}\n", "refs.bib: expected BibTeX entries"),
        ("listing.txt", "\n\n", "listing.txt: expected papers (a listing is a title line, then its abstract line), found none"),
    ],
)
def test_importing_a_file_with_no_papers_is_an_error_that_says_what_was_expected(survey, tmp_path, capsys, name, text, expected):
    # Most likely the wrong file: saying "added 0 paper(s)" and succeeding hid that.
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    before = sorted((survey / "content" / "papers").iterdir())
    code, _, err = run(capsys, "-C", str(survey), "import", str(source))
    assert code == 1
    assert expected in err.replace(str(tmp_path) + "/", "")
    assert sorted((survey / "content" / "papers").iterdir()) == before


def test_bibtex_under_another_name_is_read_as_bibtex_not_as_a_listing(survey, tmp_path, capsys):
    refs = tmp_path / "refs.txt"
    refs.write_text("% exported from a reference manager\n\n" + REFS, encoding="utf-8")
    before = set((survey / "content" / "papers").iterdir())
    code, out, err = run(capsys, "-C", str(survey), "import", str(refs), "--added", "2026-11-25")
    assert code == 0, err
    assert [p.name for p in set((survey / "content" / "papers").iterdir()) - before] == ["garcia2024uber.yaml"]
    assert "added 1 paper(s), skipped 1 duplicate(s)" in out


def test_an_undefined_string_and_a_crossref_that_gives_no_volume_are_warned_about():
    from generator.bibimport import read_bibtex

    records, problems = read_bibtex(
        "@string{acl = {Proceedings of ACL}}\n"
        "@inproceedings{lee2020macro, title = {Macro}, booktitle = acl2020, month = jan}\n"
        "@inproceedings{kim2020lost, title = {Lost}, booktitle = acl, crossref = {nowhere}}\n"
        "@inproceedings{park2020loop, title = {Loop}, crossref = {choi2020loop}}\n"
        "@inproceedings{choi2020loop, title = {Other}, crossref = {park2020loop}}\n",
        "refs.bib",
    )
    assert [str(p) for p in problems] == [
        "refs.bib:2: warning: field 'booktitle': 'acl2020' is no @string of this file (nor a month): read as the text 'acl2020'",
        "refs.bib:2: warning: not imported, as a paper file has no field for them: month (1 entry)",
        "refs.bib:3: warning: field 'crossref': 'nowhere' names no entry of this file: the volume's fields (booktitle, year, publisher) are not taken",
        "refs.bib:4: warning: field 'crossref': 'choi2020loop' is an @inproceedings, not a volume (@proceedings, @book): its fields are not taken",
        "refs.bib:5: warning: field 'crossref': 'park2020loop' is an @inproceedings, not a volume (@proceedings, @book): its fields are not taken",
    ]
    # A defined @string is its text; a crossref to another paper no longer makes that paper's title the venue.
    assert [(r["title"], r.get("venue")) for r in records] == [("Macro", "acl2020"), ("Lost", "Proceedings of ACL"), ("Loop", None), ("Other", None)]


def test_an_entry_whose_key_another_paper_has_is_added_under_a_new_key_and_says_so(survey, tmp_path, capsys):
    refs = tmp_path / "refs.bib"
    refs.write_text("@article{hu2021lora, title = {A Totally Different Paper}, author = {Hu, Ann}, year = {2021}}\n", encoding="utf-8")
    code, out, err = run(capsys, "-C", str(survey), "import", str(refs))
    assert code == 0, err
    added = [line for line in out.splitlines() if line.startswith("added content/")]
    assert len(added) == 1 and not added[0].startswith("added content/papers/hu2021lora.yaml")
    new_key = added[0].split(" ")[1].rsplit("/", 1)[1].removesuffix(".yaml")
    assert added[0].endswith(f"(entry 'hu2021lora': cite it as {new_key})")
    assert f"refs.bib (entry 'hu2021lora'): warning: field 'key': 'hu2021lora' is another paper's key in this survey: added as '{new_key}', so cite it by that key" in err


def test_an_entry_key_kept_that_gives_neither_first_author_nor_year_is_warned_about_with_the_key_it_would_be(survey, tmp_path, capsys):
    refs = tmp_path / "refs.bib"
    refs.write_text(
        "@article{attention, title = {Attention Is All You Need}, author = {Vaswani, Ashish and Shazeer, Noam}, year = {2017}}\n"
        "@article{Shazeer2017moe, title = {Outrageously Large Neural Networks}, author = {Shazeer, Noam}, year = {2017}}\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "-C", str(survey), "import", str(refs))
    assert code == 0, err
    assert "added content/papers/attention.yaml" in out and "added content/papers/shazeer2017moe.yaml" in out
    warned = [line for line in err.splitlines() if "as the survey's keys do" in line]
    assert warned == [
        f"{refs} (entry 'attention'): warning: field 'key': 'attention' is kept as the entry's key, but it does not give the first author's family name and the year, as the survey's keys do: unless a document cites it, rename content/papers/attention.yaml to 'vaswani2017attention.yaml' before `survey release`"
    ]


def test_braces_nested_too_deeply_are_an_error_of_that_entry_not_a_crash(survey, tmp_path, capsys):
    deep = tmp_path / "deep.bib"
    deep.write_text("@article{fine2025x, title={A fine paper}, author={A B}, year=2025}\n\n@article{deep2025x, title={" + "{" * 3000 + "x" + "}" * 3000 + "}, author={A B}, year=2025}\n")
    code, _, err = run(capsys, "-C", str(survey), "import", str(deep))
    assert code == 1
    assert "deep.bib:3: entry 'deep2025x' nests braces or commands too deeply to be read" in err
    assert "internal error" not in err and "Traceback" not in err
    assert not (survey / "content" / "papers" / "fine2025x.yaml").exists()


def test_metadata_nested_too_deeply_is_named_with_its_line(survey, tmp_path, capsys):
    listing = tmp_path / "listing.txt"
    listing.write_text("A title of a paper\nThis abstract line has more than twelve words so that it reads as a listing of papers here.\n")
    metadata = tmp_path / "facts.jsonl"
    metadata.write_text('{"n": 1, "year": 2020}\n' + "[" * 100_000 + "]" * 100_000 + "\n")
    code, _, err = run(capsys, "-C", str(survey), "import", str(listing), "--metadata", str(metadata))
    assert code == 1
    assert "facts.jsonl:2: brackets nested too deeply to read" in err and "internal error" not in err


def test_an_at_string_may_use_the_ones_defined_before_it_as_bibtex_reads_them():
    from generator.bibimport import read_bibtex

    records, problems = read_bibtex(
        '@string{acl = "Proceedings of the"}\n'
        '@string{acl20 = acl # " 58th ACL"}\n'
        "@string{same = acl20}\n"
        "@string{kept = {A # B}}\n"
        "@inproceedings{a2020x, title = {X}, booktitle = acl20}\n"
        '@inproceedings{b2020y, title = {Y}, booktitle = "In " # acl20 # ", Online"}\n'
        "@inproceedings{c2020z, title = {Z}, booktitle = same}\n"
        "@inproceedings{d2020w, title = {W}, booktitle = kept}\n",
        "refs.bib",
    )
    assert problems == []
    assert [r["venue"] for r in records] == ["Proceedings of the 58th ACL", "In Proceedings of the 58th ACL, Online", "Proceedings of the 58th ACL", "A # B"]


def test_at_strings_that_double_each_other_are_cut_not_grown_to_gigabytes():
    from generator.bibimport import MAX_STRING, read_bibtex

    bomb = '@string{a0 = "xy"}\n' + "".join(f"@string{{a{i + 1} = a{i} # a{i}}}\n" for i in range(40)) + "@misc{q2020bomb, title = {Q}, howpublished = a40}\n"
    records, problems = read_bibtex(bomb, "bomb.bib")
    assert len(records[0]["venue"]) == MAX_STRING
    assert str(problems[0]).startswith(f"bomb.bib:{1 + 16}: warning: field 'a16': @string 'a16' makes more than 100,000 characters: cut there")


def test_a_crossref_volume_gives_its_own_booktitle_before_its_title():
    from generator.bibimport import read_bibtex

    records, problems = read_bibtex(
        "@string{icml = {International Conference on Machine Learning}}\n"
        "@inproceedings{lee2023x, title = {X}, author = {Lee, Ann}, crossref = {icml2023}}\n"
        "@inproceedings{kim2023y, title = {Y}, author = {Kim, Bo}, crossref = {dblp2023}}\n"
        '@proceedings{icml2023, title = {Proceedings of ICML 2023}, booktitle = icml # " 2023", year = 2023}\n'
        "@proceedings{dblp2023, title = {Findings of ACL 2023}, year = 2023}\n",
        "refs.bib",
    )
    assert problems == []
    assert [(r["key"], r["venue"], r["year"]) for r in records] == [("lee2023x", "International Conference on Machine Learning 2023", 2023), ("kim2023y", "Findings of ACL 2023", 2023)]


EXPORTERS = r"""@article{silverMasteringGameGo2016, title={Mastering the Game of {{Go}}}, journaltitle={Nature}, date={2016-01},
  author={Silver, David and family=Driessche, given=George, prefix=van den, useprefix=true}}
@inproceedings{DBLP:conf/emnlp/LoganWSGK19, author={Robert L. Logan IV and Nelson F. Liu and Guy L. Steele Jr.}, title={Barack's Wife Hillary}, booktitle={ACL 2019}, year={2019}}
@inproceedings{DBLP:conf/naacl/DevlinCLT19, author={Jacob Devlin and Ming{-}Wei Chang}, title={{BERT:} Pre-training of Deep Bidirectional Transformers for Language Understanding},
  booktitle={Proceedings of the 2019 Conference of the North American Chapter of the Association for Computational Linguistics: Human Language Technologies, {NAACL-HLT} 2019, Minneapolis, MN, USA, June 2-7, 2019, Volume 1 (Long and Short Papers)}, year={2019}}
@Misc{PyTorch2019, author={Paszke, Adam and others}, title={{PyTorch}: An Imperative Style}, howpublished={\url{https://pytorch.org}}, year={2019}}
@inproceedings{c2020undefined, title={Undefined String Concat}, author={Ann Lee}, booktitle="Proc. " # neurips, year={2020a}}
@article{lecun2015deep, title={Deep Learning}, author={LeCun, Yann and Bengio, Yoshua}, journal={Nature}, year={2015}}
@book{goodfellowDeepLearning2016, title={Deep {{Learning}}}, author={Goodfellow, Ian and Courville, Aaron}, date={2016}, publisher={MIT Press}}
@article{lecun2015again, title={Deep learning.}, author={Yann LeCun and Geoffrey Hinton}, journal={Nature}, year={2015}}
@inproceedings{scao2022bloom, title={BLOOM}, author={Teven Le Scao and Angela Fan}, booktitle={ICML}, year={2022}}
"""


def test_what_common_exporters_write_is_read_as_they_mean_it(survey, tmp_path, capsys):
    source = tmp_path / "exports.bib"
    source.write_text(EXPORTERS, encoding="utf-8")
    code, out, err = run(capsys, "-C", str(survey), "import", str(source))
    assert code == 0, err
    papers = survey / "content" / "papers"

    def read(key):
        return yaml.safe_load((papers / f"{key}.yaml").read_text(encoding="utf-8"))

    assert read("silvermasteringgamego2016")["authors"] == ["David Silver", "George van den Driessche"]  # BibLaTeX's extended names
    assert read("logan2019barack")["authors"] == ["Robert L. Logan IV", "Nelson F. Liu", "Guy L. Steele Jr."]  # DBLP's suffixes
    assert read("devlin2019bert")["venue"].endswith("Volume 1 (Long and Short Papers)")  # 237 characters
    pytorch = read("pytorch2019")
    assert pytorch["url"] == "https://pytorch.org" and "venue" not in pytorch
    assert read("c2020undefined")["year"] == 2020
    assert "field 'booktitle': 'neurips' is no @string of this file" in err
    # Same title by authors who share no name, in another year: another work. A name in common: the same paper.
    assert read("goodfellowdeeplearning2016")["title"] == "Deep Learning"
    assert "skipped, duplicate of content/papers/lecun2015deep.yaml (same title)" in out
    assert "'Teven Le Scao' is cited and indexed as 'Scao, Teven Le'" in err
    assert "added content/papers/devlin2019bert.yaml (entry 'DBLP:conf/naacl/DevlinCLT19': cite it as devlin2019bert)" in out
    assert "added content/papers/scao2022bloom.yaml\n" in out
    assert run(capsys, "-C", str(survey), "check")[0] == 0


def test_an_entry_whose_key_an_earlier_entry_of_the_import_took_is_told_so(survey, tmp_path, capsys):
    source = tmp_path / "two.bib"
    source.write_text("@article{Smith2020, title={One}, author={Smith, John}, journal={J}, year={2020}}\n@article{smith2020, title={Two}, author={Smith, John}, journal={J}, year={2020}}\n", encoding="utf-8")
    code, out, err = run(capsys, "-C", str(survey), "import", str(source))
    assert code == 0, err
    assert "'smith2020' is an earlier entry's key in this import: added as 'smith2020two'" in err
    assert "added content/papers/smith2020.yaml (entry 'Smith2020': cite it as smith2020)" in out


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("@phdthesis{a2019, title={T}, author={Ann Lee}, school={Stanford University}, year={2019}}", {"venue": "PhD thesis, Stanford University", "entry_type": "misc"}),
        ("@thesis{b2020, title={T}, author={Bo Kim}, institution={ETH Zurich}, type={Master's thesis}, date={2020}}", {"venue": "Master's thesis, ETH Zurich", "entry_type": "misc"}),
        ("@techreport{c2018, title={T}, author={Cy Doe}, institution={OpenAI}, year={2018}}", {"venue": "Technical report, OpenAI", "entry_type": "misc"}),
        ("@thesis{h2021, title={T}, author={Di Lu}, institution={ETH}, type={phdthesis}, date={2021}}", {"venue": "PhD thesis, ETH"}),
        ("@report{i2022, title={T}, author={Ed Fox}, institution={Google}, type={techreport}, date={2022}}", {"venue": "Technical report, Google"}),
        ("@book{d2016, title={T}, author={Goodfellow, Ian}, publisher={MIT Press}, year={2016}}", {"venue": "MIT Press", "entry_type": "misc"}),
        ("@article{e2020, title={T}, author={Raffel, Colin}, journal={JMLR}, arxivId={1910.10683}, year={2020}}", {"arxiv": "1910.10683"}),
        ("@article{f2015, title={T}, author={LeCun, Yann}, journal={Nature}, doi={10.1038/nature14539}, url={https://doi.org/10.1038/nature14539}, year={2015}}", {"url": None, "doi": "10.1038/nature14539"}),
        ("@article{g2017, title={T}, author={Smith, John and et al.}, journal={J}, year={2017}}", {"authors": ["John Smith"], "et_al": True}),
    ],
)
def test_theses_reports_books_and_the_fields_of_other_exporters_are_read(entry, expected):
    from generator.bibimport import read_bibtex

    (record,), problems = read_bibtex(entry, "refs.bib")
    assert problems == []
    assert {name: record[name] for name in expected} == expected


def test_fields_a_paper_file_has_no_place_for_are_named_once_by_import_and_by_add(survey, tmp_path, capsys):
    # A journal's volume and pages, a publisher, a month: a paper file keeps none of them, and
    # the import says so, in how many entries, rather than dropping them unseen. A reference
    # manager's own bookkeeping (timestamp, biburl) is not reported, nor a field that gave the arXiv id.
    refs = tmp_path / "refs.bib"
    refs.write_text(
        "@article{lee2024deep, title = {Deep Pages}, author = {Lee, Ann}, journal = {Journal of Odd Results},\n"
        "  volume = {12}, pages = {1--10}, month = mar, timestamp = {Mon, 01 Jan 2024}, biburl = {https://dblp.org/x}}\n"
        "@inproceedings{kim2024wide, title = {Wide Pages}, author = {Kim, Bo}, booktitle = {Findings of ACL 2024},\n"
        "  pages = {11--20}, publisher = {ACL}, note = {arXiv:2401.00011}}\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "-C", str(survey), "import", str(refs), "--added", "2026-11-25")
    assert code == 0, err
    assert f"{refs}:1: warning: not imported, as a paper file has no field for them: pages (2 entries), month (1 entry), publisher (1 entry), volume (1 entry)" in err
    assert "timestamp" not in err and "biburl" not in err and "note" not in err
    assert "added 2 paper(s)" in out
    assert yaml.safe_load((survey / "content" / "papers" / "kim2024wide.yaml").read_text(encoding="utf-8"))["arxiv"] == "2401.00011"
    entry = tmp_path / "entry.bib"
    entry.write_text("@article{ray2024tall, title = {Tall Pages}, author = {Ray, Cy}, journal = {Odd Letters}, volume = {3}}\n", encoding="utf-8")
    code, out, err = run(capsys, "-C", str(survey), "add", "--bibtex", str(entry))
    assert code == 0, err
    assert f"{entry}:1: warning: not imported, as a paper file has no field for them: volume (1 entry)" in err

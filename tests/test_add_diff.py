"""`survey add` and `survey diff`: one command writes one checked file; a diff a reviewer can read."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import TESTS, run
from generator import arxiv

NEW = ("--title", "A Benchmark of Evaluation Tasks for Language Models", "--authors", "Ada Lovelace",
       "--authors", "Ludwig van der Waals", "--year", "2025", "--abstract",
       "We collect a benchmark for the evaluation of language model capabilities on many tasks.",
       "--added", "2026-11-25")


def test_add_writes_a_file_that_passes_check_and_builds(survey, capsys):
    code, out, err = run(capsys, "-C", str(survey), "add", *NEW)
    assert code == 0, err
    path = survey / "content" / "papers" / "lovelace2025benchmark.yaml"
    assert "added content/papers/lovelace2025benchmark.yaml" in out
    assert "it will appear in section 'Benchmarks'" in out
    paper = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert paper["authors"] == ["Ada Lovelace", "Ludwig van der Waals"]
    assert paper["added"].isoformat() == "2026-11-25"
    assert run(capsys, "-C", str(survey), "check")[0] == 0
    assert run(capsys, "-C", str(survey), "build")[0] == 0
    assert 'id="lovelace2025benchmark"' in (survey / "site" / "sections" / "benchmarks" / "index.html").read_text(encoding="utf-8")


def test_new_paper_files_and_pages_are_as_readable_as_any_new_file(survey, capsys):
    import os

    from generator.write import write_atomic

    before = os.umask(0o022)
    try:
        assert run(capsys, "-C", str(survey), "add", *NEW)[0] == 0
        assert run(capsys, "-C", str(survey), "generate")[0] == 0
        # a temporary file left by a stopped run does not stop the next write
        published = survey / "content" / "published-keys.txt"
        (survey / "content" / f".published-keys.txt.{os.getpid()}.tmp").write_text("left over", encoding="utf-8")
        write_atomic(published, b"# keys\n")
    finally:
        os.umask(before)
    for path in (survey / "content" / "papers" / "lovelace2025benchmark.yaml", survey / "docs" / "index.md", survey / "docs" / "bibliography.bib", published):
        assert path.stat().st_mode & 0o777 == 0o644, path
    assert published.read_bytes() == b"# keys\n"


def test_add_refuses_a_paper_already_in_the_survey(survey, capsys):
    code, _, err = run(capsys, "-C", str(survey), "add", "--title", "Editing models with task arithmetic")
    assert code == 1
    assert "already in the survey as content/papers/ilharco2022editing.yaml (same title)" in err
    code, _, err = run(capsys, "-C", str(survey), "add", "--title", "Something else", "--arxiv", "2504.07448")
    assert code == 1
    assert "zhang2025lori.yaml (same arXiv id 2504.07448)" in err


def test_add_refuses_an_unknown_section_and_bad_fields(survey, capsys):
    before = sorted((survey / "content" / "papers").iterdir())
    code, _, err = run(capsys, "-C", str(survey), "add", *NEW, "--section", "nowhere")
    assert code == 1
    assert "unknown section 'nowhere'" in err
    code, _, err = run(capsys, "-C", str(survey), "add", "--title", "Bad link", "--url", "javascript:alert(1)")
    assert code == 1
    assert "field 'url': expected an http or https URL" in err
    # Every problem at once, the unknown section with the others.
    code, _, err = run(capsys, "-C", str(survey), "add", "--title", "Bad", "--section", "nowhere", "--arxiv", "abc", "--url", "javascript:x")
    assert code == 1
    assert [line.split("field '")[1].split("'")[0] for line in err.splitlines() if "field '" in line] == ["section", "arxiv", "url"]
    assert "3 problem(s); nothing was changed." in err
    assert sorted((survey / "content" / "papers").iterdir()) == before


@pytest.mark.parametrize(
    ("how", "advice"),
    [
        (["--authors", "Ann Lee, Bob Ray, Cy Dee"], "field 'authors': item 1: 'Ann Lee, Bob Ray, Cy Dee' reads as several names: repeat --authors, one name each; write each name as 'Given Family'"),
        (["--authors", "Ann Lee & Bob Ray"], "field 'authors': item 1: 'Ann Lee & Bob Ray' looks like two authors: repeat --authors, one name each (an organisation ends with a comma"),
        # In a .bib an organisation is braced: a comma there would split it in two.
        (["--bibtex", "org.bib"], "warning: field 'authors': item 1: 'Ann Lee & Bob Ray' looks like two authors: separate the names with ' and ' (an organisation goes in braces: {Bill and Melinda Gates Foundation})"),
        (["--bibtex", "entry.bib"], "field 'authors': item 1: 'Jr., Doe, John' reads as several names: separate the names with ' and '; write each name as"),
    ],
)
def test_add_of_several_names_in_one_says_how_the_command_line_or_bibtex_gives_one(survey, capsys, monkeypatch, tmp_path, how, advice):
    # "Write one author per '- ' line" is advice for a paper file, which `survey add` writes itself.
    monkeypatch.chdir(tmp_path)
    Path("entry.bib").write_text("@article{doe2020odd, title={An Odd Name}, author={Jr., Doe, John}, year=2020}\n", encoding="utf-8")
    Path("org.bib").write_text("@misc{lee2020report, title={A Report}, author={Ann Lee \\& Bob Ray}, year=2020}\n", encoding="utf-8")
    _, _, err = run(capsys, "-C", str(survey), "add", "--title", "Several Names in One", *how)
    assert f"survey add: {advice}" in err
    assert "'- ' line" not in err


def test_add_refuses_two_names_typed_as_one_author_and_takes_an_organisation(survey, capsys):
    before = sorted((survey / "content" / "papers").iterdir())
    code, _, err = run(capsys, "-C", str(survey), "add", "--title", "Two Names in One", "--authors", "Ada Lovelace and Charles Babbage", "--year", "2020")
    assert code == 1
    assert "survey add: field 'authors': item 1: 'Ada Lovelace and Charles Babbage' looks like two authors: repeat --authors, one name each" in err
    assert "nothing was changed" in err
    assert sorted((survey / "content" / "papers").iterdir()) == before
    # An organisation's name ends with a comma, as in a paper file.
    code, out, err = run(capsys, "-C", str(survey), "add", "--title", "Two Names in One", "--authors", "Bill and Melinda Gates Foundation,", "--year", "2020")
    assert code == 0, err
    (added,) = set((survey / "content" / "papers").iterdir()) - set(before)
    assert yaml.safe_load(added.read_text(encoding="utf-8"))["authors"] == ["Bill and Melinda Gates Foundation,"]
    assert "looks like two authors" not in err


def test_add_from_a_pasted_bibtex_entry(survey, capsys, monkeypatch, tmp_path):
    entry = tmp_path / "entry.bib"
    entry.write_text("@article{Kaiser2017One,\n  title = {One Model to Learn Them All},\n  author = {Kaiser, {\\L}ukasz and Gomez, Aidan N.},\n  journal = {arXiv preprint arXiv:1706.05137},\n  year = {2017}\n}\n", encoding="utf-8")
    code, out, err = run(capsys, "-C", str(survey), "add", "--bibtex", str(entry), "--section", "benchmarks")
    assert code == 0, err
    paper = yaml.safe_load((survey / "content" / "papers" / "kaiser2017one.yaml").read_text(encoding="utf-8"))
    assert paper["authors"][0] == "Łukasz Kaiser"
    assert paper["section"] == "benchmarks"
    assert "pinned by its section field" in out
    entry.write_text("@article{a, title={One}}\n@article{b, title={Two}}\n", encoding="utf-8")
    code, _, err = run(capsys, "-C", str(survey), "add", "--bibtex", str(entry))
    assert code == 1 and "expected one BibTeX entry, found 2: use `survey import` for several" in err
    entry.write_text("% nothing but a comment\n", encoding="utf-8")
    code, _, err = run(capsys, "-C", str(survey), "add", "--bibtex", str(entry))
    assert code == 1 and "expected one BibTeX entry, found none" in err


def test_add_from_bibtex_piped_in_reads_utf8_and_names_other_bytes(survey):
    def add(data: bytes) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "generator", "-C", str(survey), "add", "--bibtex", "-"], input=data, capture_output=True, check=False)

    latin1 = add(b"@article{cafe2020study, title={Caf\xe9 au lait study}, year=2020}\n")
    assert latin1.returncode == 1
    assert "<stdin>:1: file is not UTF-8" in latin1.stderr.decode("utf-8") and b"Traceback" not in latin1.stderr
    assert not (survey / "content" / "papers" / "cafe2020study.yaml").exists()  # the é was dropped silently
    utf8 = add("@article{cafe2020study, title={Café au lait study}, year=2020}\n".encode())
    assert utf8.returncode == 0, utf8.stderr.decode("utf-8")
    assert "title: Café au lait study" in (survey / "content" / "papers" / "cafe2020study.yaml").read_text(encoding="utf-8")


def test_add_fetch_fills_fields_from_a_recorded_arxiv_answer(survey, capsys, monkeypatch):
    (survey / "content" / "papers" / "zhang2025lori.yaml").unlink()
    recorded = (TESTS / "fixtures" / "arxiv" / "2504.07448.xml").read_bytes()
    asked = []
    monkeypatch.setattr(arxiv, "fetch_xml", lambda arxiv_id: asked.append(arxiv_id) or recorded)
    code, out, err = run(capsys, "-C", str(survey), "add", "--arxiv", "2504.07448", "--fetch")
    assert code == 0, err
    assert asked == ["2504.07448"]
    paper = yaml.safe_load((survey / "content" / "papers" / "zhang2025lori.yaml").read_text(encoding="utf-8"))
    assert paper["title"] == "LoRI: Reducing Cross-Task Interference in Multi-Task Low-Rank Adaptation"
    assert paper["authors"] == ["Juzheng Zhang", "Jiacheng You", "Ashwinee Panda", "Tom Goldstein"]
    assert paper["year"] == 2025
    assert paper["abstract"].startswith("Low-Rank Adaptation (LoRA) has emerged")


def test_add_fetch_without_network_says_so(survey, capsys, monkeypatch):
    def offline(request, timeout):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(arxiv.urllib.request, "urlopen", offline)
    code, _, err = run(capsys, "-C", str(survey), "add", "--arxiv", "2501.00001", "--fetch")
    assert code == 1
    assert "cannot reach the arXiv API" in err
    assert "Traceback" not in err


def test_arxiv_error_answer_is_a_clear_message():
    with pytest.raises(arxiv.FetchError, match="no paper with the id 9999.99999"):
        arxiv.parse_record(b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>', "9999.99999")


def git(folder: Path, *words: str) -> None:
    subprocess.run(["git", "-C", str(folder), *words], check=True, capture_output=True)


@pytest.fixture
def repository(survey: Path) -> Path:
    git(survey, "init", "-q", "-b", "main")
    git(survey, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git(survey, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "base")
    return survey


def test_diff_reports_added_removed_edited_renamed_moved_and_retitled(repository, capsys):
    papers = repository / "content" / "papers"
    run(capsys, "-C", str(repository), "add", *NEW)
    (papers / "gu2024olmes.yaml").rename(papers / "gu2024olmesx.yaml")
    (papers / "chen2024megabench.yaml").unlink()
    tam = papers / "tam2023merging.yaml"
    tam.write_text(tam.read_text().replace("year: 2023", "year: 2024") + "section: adapters\n")
    overrides = repository / "content" / "overrides.yaml"
    overrides.write_text(overrides.read_text().replace("title: Model merging", "title: Merging models"))
    code, out, _ = run(capsys, "-C", str(repository), "diff", "main")
    assert code == 0
    assert "### Survey changes against main\n" in out
    assert "**Added (1)**" in out and "`lovelace2025benchmark`" in out and "→ Benchmarks" in out
    assert "**Removed (1)**" in out and "`chen2024megabench`" in out
    assert "**Keys renamed (1)**" in out and "was gu2024olmes (same title)" in out
    assert "`tam2023merging` Merging by Matching Models in Task Subspaces: year, section" in out
    assert "**Moved to another section" in out and "Merging models → Low&#45;rank adapters" not in out
    assert "retitled from “Model merging”" in out


def test_diff_shows_an_untrusted_title_as_text_that_mentions_nobody(repository, capsys):
    title = "Evil <img src=x onerror=alert(1)> `code` [link](javascript:x) @octocat | *star* #12"
    run(capsys, "-C", str(repository), "add", "--title", title, "--year", "2025")
    code, out, _ = run(capsys, "-C", str(repository), "diff", "main")
    assert code == 0
    line = next(line for line in out.splitlines() if "evil2025" in line)
    assert "Evil &#60;img src=x onerror=alert(1)&#62; &#96;code&#96; &#91;link&#93;(javascript:x) &#64;octocat &#124; &#42;star&#42; &#35;12" in line
    text = re.sub(r"&#\d+;", "", line.split("` ", 1)[1])  # the title, entities left out
    assert not set("<>`[]@|*#") & set(text), text


def test_diff_without_changes_says_so(repository, capsys):
    code, out, _ = run(capsys, "-C", str(repository), "diff", "HEAD")
    assert code == 0
    assert "No paper or section changes." in out


def test_diff_against_a_revision_before_the_survey_had_content_lists_every_paper_as_added(repository, capsys):
    empty_tree = subprocess.run(["git", "-C", str(repository), "mktree"], input=b"", capture_output=True, check=True).stdout.decode().strip()
    commit = ["git", "-C", str(repository), "-c", "user.name=t", "-c", "user.email=t@example.org", "commit-tree", empty_tree, "-m", "before the survey"]
    git(repository, "branch", "start", subprocess.run(commit, capture_output=True, check=True).stdout.decode().strip())
    code, out, err = run(capsys, "-C", str(repository), "diff", "start")
    papers = len(list((repository / "content" / "papers").glob("*.yaml")))
    assert code == 0, err
    assert out.startswith("### Survey changes against start\n")
    assert f"**Added ({papers})**" in out


def test_diff_of_an_unknown_revision_is_a_clear_error(repository, capsys):
    code, _, err = run(capsys, "-C", str(repository), "diff", "no-such-branch")
    assert code == 1
    assert "git: no commit 'no-such-branch' in this repository" in err
    assert err.endswith("1 problem(s); no diff was printed.\n")  # "nothing was changed": diff changes nothing anyway
    assert "Traceback" not in err


def test_a_key_takes_the_first_word_of_two_letters_or_more():
    from generator.keys import make_key

    assert make_key("A <b>bold</b> claim", ["Cathy O'Neil"], 2024, set()) == "oneil2024bold"
    assert make_key("C++ for everyone", ["Jane Doe"], 2020, set()) == "doe2020everyone"
    assert make_key("X", ["Jane Doe"], 2020, set()) == "doe2020x"
    assert make_key("The 2020 a", ["Jane Doe"], 2020, set()) == "doe2020untitled"


@pytest.mark.parametrize(
    ("key", "authors", "year", "follows"),
    [
        ("hu2021lora", ["Edward J. Hu"], 2021, True),
        ("vanderwaals1873continuity", ["Johannes Diderik van der Waals"], 1873, True),
        ("hu-etal-2021-lora", ["Edward J. Hu"], 2021, True),  # the ACL Anthology's
        ("hulowrankadaptation2021", ["Edward J. Hu"], 2021, True),  # Zotero's
        ("pushkin1833", ["Александр Пушкин"], 1833, True),  # a family name with no ASCII: the year
        ("lora2021", ["Edward J. Hu"], 2021, False),
        ("hu2022lora", ["Edward J. Hu"], 2021, False),  # a year corrected before release
        ("shen2021lora", ["Edward J. Hu", "Yelong Shen"], 2021, False),  # not the first author
        ("untitled", [], None, True),
        ("waals1873continuity", ["Johannes Diderik van der Waals"], 1873, True),  # without its particles
        ("alfarsi2024dialects", ["Omar Al Farsi"], 2024, True),  # an Arabic particle kept
        ("farsi2024dialects", ["Omar Al Farsi"], 2024, True),
        ("delafuente2020redes", ["de la Fuente, Ana"], 2020, True),
        ("fuente2020redes", ["de la Fuente, Ana"], 2020, True),
        ("omar2024dialects", ["Omar Al Farsi"], 2024, False),  # the given name is no family name
    ],
)
def test_a_key_follows_the_survey_s_style_when_it_gives_the_first_author_and_the_year(key, authors, year, follows):
    from generator.keys import follows_key_style

    assert follows_key_style(key, authors, year) is follows


def test_diff_of_content_with_an_error_names_it_and_lists_no_paper_as_removed(repository, capsys):
    path = repository / "content" / "papers" / "tam2023merging.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "title: 'unclosed\n", encoding="utf-8")
    code, out, err = run(capsys, "-C", str(repository), "diff", "main")
    assert code == 1
    assert "content/papers/tam2023merging.yaml:" in err and "YAML syntax error" in err
    assert err.endswith("1 problem(s); no diff was printed.\n")
    assert out == "" and "Traceback" not in err


def test_diff_of_a_renamed_section_id_names_the_rename_and_moves_no_paper(repository, capsys):
    content = repository / "content"
    overrides = content / "overrides.yaml"
    overrides.write_text(overrides.read_text().replace("id: merging", "id: model-merging"))
    pinned = content / "papers" / "ilharco2022editing.yaml"
    pinned.write_text(pinned.read_text().replace("section: merging", "section: model-merging"))
    code, out, err = run(capsys, "-C", str(repository), "diff", "main")
    assert code == 0, err
    assert "- `model-merging` Model merging: id renamed from “merging”: the section's page moves, and links to its old address break" in out
    assert "Moved to another section" not in out and "Edited" not in out
    assert "new section" not in out and "section removed" not in out
    assert "| Section |" not in out  # every section holds the papers it held


def test_diff_reports_a_section_removed_reordered_or_described_anew_with_its_count(repository, capsys):
    content = repository / "content"
    overrides = content / "overrides.yaml"
    text = overrides.read_text()
    merging = text[text.index("  - id: merging") : text.index("  - id: adapters")]
    text = text.replace(merging, "").replace("stop_words:", merging + "stop_words:", 1)
    text = text.replace("Training small low-rank updates instead of whole models.", "Small trained updates.")
    benchmarks = text[text.index("  - id: benchmarks") : text.index("  - id: merging")]
    overrides.write_text(text.replace(benchmarks, ""))
    pinned = content / "papers" / "srivastava2022beyond.yaml"
    pinned.write_text(pinned.read_text().replace("section: benchmarks\n", ""))
    code, out, err = run(capsys, "-C", str(repository), "diff", "main")
    assert code == 0, err
    assert "- `benchmarks` Benchmarks: section removed" in out
    assert "- `adapters` Low-rank adapters: description changed" in out, out
    # Two sections swapped: one of them moved, not both ("now" and "was" are places in the whole order).
    moved = [line for line in out.splitlines() if "in the order" in line]
    assert moved in (["- `adapters` Low-rank adapters: description changed; now 1st in the order, was 2nd"], ["- `merging` Model merging: now 2nd in the order, was 1st"]), out
    assert re.search(r"^\| Benchmarks \| [1-9]\d* \| 0 \|$", out, re.M), out


@pytest.mark.parametrize("mask", [0o022, 0o002])
def test_the_built_site_folder_is_as_readable_as_any_new_folder(survey, capsys, mask):
    """A web server's account, or `rsync -a` into a web root, must be able to read the site."""
    import os

    before = os.umask(mask)
    try:
        assert run(capsys, "-C", str(survey), "build")[0] == 0
    finally:
        os.umask(before)
    assert (survey / "site").stat().st_mode & 0o777 == 0o777 & ~mask
    assert (survey / "site" / "index.html").stat().st_mode & 0o777 == 0o666 & ~mask


def test_diff_of_one_section_put_first_names_that_section_only(repository, capsys):
    overrides = repository / "content" / "overrides.yaml"
    text = overrides.read_text()
    benchmarks = text[text.index("  - id: benchmarks") : text.index("stop_words:")]
    overrides.write_text(text.replace(benchmarks, "").replace("sections:\n", "sections:\n" + benchmarks, 1))
    code, out, err = run(capsys, "-C", str(repository), "diff", "main")
    assert code == 0, err
    assert "- `benchmarks` Benchmarks: now 1st in the order, was 3rd" in out
    assert "`merging`" not in out and "`adapters`" not in out


def test_diff_of_sections_moved_and_added_names_each_moved_one_with_its_places(repository, capsys):
    overrides = repository / "content" / "overrides.yaml"
    text = overrides.read_text()
    merging = text[text.index("  - id: merging") : text.index("  - id: adapters")]
    new = "  - id: surveys\n    title: Surveys\n    description: Overviews.\n"
    text = text.replace(merging, "").replace("stop_words:", merging + "stop_words:", 1)  # merging goes last
    overrides.write_text(text.replace("sections:\n", "sections:\n" + new, 1))  # a new section first
    code, out, err = run(capsys, "-C", str(repository), "diff", "main")
    assert code == 0, err
    assert [line for line in out.splitlines() if "in the order" in line] == ["- `merging` Model merging: now 4th in the order, was 1st"]
    assert "- `surveys` Surveys: new section" in out


def test_the_sections_that_stayed_in_place_are_a_longest_common_order():
    from generator.diff import _longest_common

    before = ["foundations", "architectures", "efficient", "adapters", "merging", "representations", "instructions"]
    after = ["foundations", "efficient", "merging", "adapters", "representations", "architectures", "instructions"]
    stayed = _longest_common(before, after)
    assert len(stayed) == 5 and "architectures" not in stayed and len({"adapters", "merging"} - stayed) == 1
    assert _longest_common(before, before) == set(before)
    assert _longest_common(before, list(reversed(before))) in ({name} for name in before)


def test_diff_of_a_swap_after_a_removed_section_names_the_section_that_changed_place(repository, capsys):
    overrides = repository / "content" / "overrides.yaml"
    text = overrides.read_text()
    merging = text[text.index("  - id: merging") : text.index("  - id: adapters")]
    adapters = text[text.index("  - id: adapters") : text.index("  - id: benchmarks")]
    benchmarks = text[text.index("  - id: benchmarks") : text.index("stop_words:")]
    overrides.write_text(text.replace(merging + adapters + benchmarks, benchmarks + adapters))  # merging removed, the others swapped
    pinned = repository / "content" / "papers" / "ilharco2022editing.yaml"
    pinned.write_text(pinned.read_text().replace("section: merging\n", ""))
    code, out, err = run(capsys, "-C", str(repository), "diff", "main")
    assert code == 0, err
    assert [line for line in out.splitlines() if "in the order" in line] == ["- `benchmarks` Benchmarks: now 1st in the order, was 3rd"]

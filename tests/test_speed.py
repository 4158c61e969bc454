"""What makes large surveys fast must never change what is written.

The speed itself is measured by benchmarks/scale.py, never asserted here: these tests check
that the remembered work of `survey serve`, the bounded map and related-paper methods used
for large surveys, and the lazy start-up keep the output correct and deterministic.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import multiprocessing
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURE, copy_survey, run
from generator import build, cache, csl, indexes, layout, pages, related, workers
from generator.build import analyse, generate
from generator.cache import Memo
from generator.features import featurize
from generator.models import Overrides, Paper, Section
from generator.project import open_project
from generator.write import Staged, stage, write_docs

COMPARED = (".md", ".bib", ".json", ".xml")


def docs_files(docs: Path) -> dict[str, bytes]:
    return {p.relative_to(docs).as_posix(): p.read_bytes() for p in sorted(docs.rglob("*")) if p.is_file() and p.suffix in COMPARED}


def cold_docs(survey: Path, folder: Path) -> dict[str, bytes]:
    """Return the docs a cold build of a copy of the survey writes: nothing remembered from other builds."""
    cache.clear()
    cold = copy_survey(survey, folder)
    generate(open_project(cold))
    return docs_files(cold / "docs")


def edit_abstract(survey: Path, sentence: str) -> None:
    path = sorted((survey / "content" / "papers").glob("*.yaml"))[3]
    text = path.read_text(encoding="utf-8")
    assert "abstract:" in text
    path.write_text(text.replace("abstract: ", f"abstract: {sentence} ", 1), encoding="utf-8")


def test_a_warm_regenerate_after_an_edit_writes_what_a_cold_generate_writes(survey, tmp_path):
    project = open_project(survey)
    generate(project)  # warms every cache, as `survey serve` does on start
    edit_abstract(survey, "Quokkas annotate seventeen benchmarks.")
    warm = generate(project)
    assert warm.report.written, "the edit must reach the docs folder"
    warm_files = docs_files(survey / "docs")
    assert b"Quokkas annotate seventeen benchmarks." in warm_files["bibliography-full.bib"]

    assert cold_docs(survey, tmp_path / "cold") == warm_files


@pytest.mark.parametrize("processes", ["1", "2"])
def test_a_warm_regenerate_after_an_author_is_renamed_lists_the_new_name(survey, tmp_path, monkeypatch, processes):
    monkeypatch.setattr(build, "PARALLEL_FROM", 0)
    monkeypatch.setenv("SURVEY_PROCESSES", processes)
    project = open_project(survey)
    generate(project)
    path = survey / "content" / "papers" / "ilharco2022editing.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Marco Tulio Ribeiro", "Quentin Quokka"), encoding="utf-8")
    generate(project)
    warm_files = docs_files(survey / "docs")
    assert b"Quentin Quokka" in warm_files["authors.md"] and b"Marco Tulio Ribeiro" not in warm_files["authors.md"]
    assert cold_docs(survey, tmp_path / "cold") == warm_files


def test_a_later_build_writes_only_the_edited_paper_s_csl_json_again_and_the_bytes_of_a_cold_build(survey, tmp_path, monkeypatch):
    project = open_project(survey)
    generate(project)
    generate(project)  # a later build, as `survey serve` makes after each edit: it keeps each paper's line
    edit_abstract(survey, "Quokkas annotate seventeen benchmarks.")
    edited = sorted((survey / "content" / "papers").glob("*.yaml"))[3].stem
    written = []
    item = csl.to_csl_item
    monkeypatch.setattr(csl, "to_csl_item", lambda paper: written.append(paper.key) or item(paper))
    generate(project)
    monkeypatch.undo()
    assert written == [edited]
    warm = docs_files(survey / "docs")
    assert b"Quokkas annotate seventeen benchmarks." in warm["bibliography.json"]
    assert cold_docs(survey, tmp_path / "cold") == warm


def test_a_later_build_leaves_an_author_index_to_make_again_to_a_copy(survey, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "PARALLEL_FROM", 0)
    monkeypatch.setenv("SURVEY_PROCESSES", "2")
    project = open_project(survey)
    generate(project)
    generate(project)
    path = survey / "content" / "papers" / "ilharco2022editing.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Marco Tulio Ribeiro", "Quentin Quokka"), encoding="utf-8")
    # Only calls made in this process are counted: a copy's calls land in its own memory.
    here: list[str] = []
    author_index = indexes._author_index
    monkeypatch.setattr(indexes, "_author_index", lambda papers: here.append("author index") or author_index(papers))
    generate(project)
    assert here == [], "the author index was made again by a copy, while this process analysed the survey"
    edit_abstract(survey, "Quokkas annotate seventeen benchmarks.")
    generate(project)
    assert here == [], "with the same authors, the author index made before is used"
    warm = docs_files(survey / "docs")
    assert b"Quentin Quokka" in warm["authors.md"] and b"Quokkas annotate seventeen benchmarks." in warm["bibliography.json"]
    monkeypatch.undo()
    assert cold_docs(survey, tmp_path / "cold") == warm


def rendered_jobs(monkeypatch) -> list[str]:
    """Collect the name of every job rendered from now on (in this process)."""
    names: list[str] = []
    files = workers.Job.files

    def counted(job, into=None):
        names.append(job.name)
        return files(job, into)

    monkeypatch.setenv("SURVEY_PROCESSES", "1")
    monkeypatch.setattr(workers.Job, "files", counted)
    return names


def set_field(path: Path, field: str, value: str) -> None:
    text = path.read_text(encoding="utf-8")
    lines = [f"{field}: {value}" if line.startswith(f"{field}:") else line for line in text.splitlines()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_warm_regenerate_renders_only_the_pages_an_edit_changes_and_they_are_what_a_cold_build_writes(shipped, tmp_path, monkeypatch):
    project = open_project(shipped)
    generate(project)
    generate(project)  # `survey serve` has built twice before the first edit
    papers = shipped / "content" / "papers"
    # (what changes, the edit, whether only some sections show it: a new or removed paper
    # changes the survey's counts, which every page shows)
    edits = [
        ("a title, shown among other papers' related papers", lambda: set_field(papers / "ilharco2022editing.yaml", "title", "Editing models with task arithmetic and quokkas"), True),
        ("an abstract", lambda: edit_abstract(shipped, "Quokkas annotate seventeen benchmarks."), True),
        ("a new paper", lambda: (papers / "quokka2026tasks.yaml").write_text((papers / "ilharco2022editing.yaml").read_text(encoding="utf-8").replace("arxiv: ", "# arxiv: ").replace("Editing models", "Quokka tasks"), encoding="utf-8"), False),
        ("a removed paper", lambda: (papers / "quokka2026tasks.yaml").unlink(), False),
        ("nothing", lambda: None, True),
    ]
    for number, (what, edit, some) in enumerate(edits):
        edit()
        names = rendered_jobs(monkeypatch)
        generate(project)
        monkeypatch.undo()
        warm = docs_files(shipped / "docs")
        assert cold_docs(shipped, tmp_path / f"cold-{number}") == warm, what
        # The cold build forgot the warm one: build the warm survey twice again, as serve had.
        generate(project)
        generate(project)
        sections = [name for name in names if name.startswith("section ")]
        if what == "nothing":
            assert names == [], "an unchanged survey renders nothing again"
        elif some:
            assert 0 < len(sections) < 12, f"{what}: only the sections showing the edited paper are rendered again, not {sections}"


def test_a_page_is_made_again_only_when_a_field_its_template_reads_changes(survey, tmp_path, monkeypatch):
    project = open_project(survey)
    generate(project)
    generate(project)
    edit_abstract(survey, "Quokkas annotate seventeen benchmarks.")
    names = rendered_jobs(monkeypatch)
    generate(project)
    monkeypatch.undo()
    assert any(name.startswith("section ") for name in names)
    assert "authors.md" not in names and "papers.md" not in names, "the author index and the table show no abstract"
    assert cold_docs(survey, tmp_path / "cold") == docs_files(survey / "docs")
    # The survey's own author index, which shows each paper's abstract, is made again by such an edit.
    from generator.render import packaged_folder

    own = survey / "site_templates" / "authors.md.j2"
    own.parent.mkdir()
    shown = "{% for group in shown %}{% for author in group.entries %}{% for paper in author.papers %}{{ paper.abstract }}{% endfor %}{% endfor %}{% endfor %}\n"
    own.write_text((packaged_folder() / "authors.md.j2").read_text(encoding="utf-8") + shown, encoding="utf-8")
    generate(project)
    generate(project)
    edit_abstract(survey, "Wombats annotate eleven benchmarks.")
    names = rendered_jobs(monkeypatch)
    generate(project)
    assert "authors.md" in names and "papers.md" not in names
    assert "Wombats annotate eleven benchmarks." in (survey / "docs" / "authors.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("source", "fields"),
    [
        ('{% from "macro.j2" import line %}{{ line(paper) }} {{ paper.authors | map(attribute="name") | join }}', {"title", "year", "authors", "name"}),
        ("{{ paper[name] }}", None),  # a field named as the page renders
        ("{{ paper | tojson }}", None),  # the whole record
        ("{% for key, value in paper.items() %}{{ value }}{% endfor %}", None),
        ("{% include which %}", None),  # a template named as the page renders
        ('{{ papers | map(attribute=field) | join }}', None),
    ],
)
def test_a_template_s_fields_are_all_it_may_read_or_unknown(tmp_path, source, fields):
    from generator.render import environment, template_fields

    (tmp_path / "site_templates").mkdir()
    (tmp_path / "site_templates" / "page.j2").write_text(source, encoding="utf-8")
    (tmp_path / "site_templates" / "macro.j2").write_text("{% macro line(p) %}{{ p.title }} ({{ p['year'] }}){% endmacro %}", encoding="utf-8")
    found = template_fields(environment(tmp_path), "page.j2")
    if fields is None:
        assert found is None
    else:
        assert found is not None and fields <= found and not {"abstract", "related"} & found


@pytest.mark.parametrize("serving", [True, False])
def test_serve_s_first_build_remembers_its_pages_and_a_single_build_does_not(survey, monkeypatch, serving):
    monkeypatch.setattr(build, "_IMPORTED", False)  # this process's first build
    project = open_project(survey)
    generate(project, serving=serving)
    names = rendered_jobs(monkeypatch)
    generate(project)
    if serving:
        assert names == [], "`survey serve` builds again at once: nothing changed, nothing is rendered"
    else:
        assert any(name.startswith("section ") for name in names), "a single build keeps nothing in memory for a next one"


def test_a_page_changed_by_hand_in_the_docs_folder_is_made_again_by_the_next_warm_build(survey, monkeypatch):
    project = open_project(survey)
    generate(project)
    generate(project)
    page = next((survey / "docs" / "sections").glob("*.md"))
    made = page.read_bytes()
    page.write_bytes(made + b"A reader's note.\n")
    names = rendered_jobs(monkeypatch)
    generate(project)
    assert page.read_bytes() == made
    assert names == [f"section {page.stem}"], "only the page that changed on disk is made again"


def test_a_template_broken_between_warm_builds_is_named_with_its_line(survey):
    project = open_project(survey)
    generate(project)
    generate(project)  # as `survey serve` has: its pages are compared by the fields their templates read
    (survey / "site_templates").mkdir()
    (survey / "site_templates" / "authors.md.j2").write_text("# Authors\n{% for group in %}\n", encoding="utf-8")
    with pytest.raises(build.InputError) as raised:
        generate(project)
    assert [str(p) for p in raised.value.problems] == ["site_templates/authors.md.j2:2: template syntax error: Expected an expression, got 'end of statement block'"]
    # A template of the survey's own that worked in the build before, then broken.
    (survey / "site_templates" / "authors.md.j2").write_text("# Authors\n", encoding="utf-8")
    generate(project)
    generate(project)
    own = survey / "site_templates" / "authors.md.j2"
    before = own.stat().st_mtime
    own.write_text("# Authors\n\n{% for group in %}\n", encoding="utf-8")
    os.utime(own, (before + 2, before + 2))  # a later modification time, as an editor's save gives
    with pytest.raises(build.InputError) as raised:
        generate(project)
    assert [str(p) for p in raised.value.problems] == ["site_templates/authors.md.j2:3: template syntax error: Expected an expression, got 'end of statement block'"]
    (survey / "site_templates" / "authors.md.j2").write_text('# Authors\n\n{% include "nothere.j2" %}\n', encoding="utf-8")
    with pytest.raises(build.InputError) as raised:
        generate(project)
    assert [str(p) for p in raised.value.problems] == ["site_templates/authors.md.j2:3: the template could not be rendered: no template named 'nothere.j2'"]


def test_a_template_added_or_edited_between_warm_builds_is_used(survey):
    from generator.render import packaged_folder

    project = open_project(survey)
    generate(project)
    generate(project)  # as `survey serve` has: pages whose inputs are unchanged are kept (reuse.py)
    own = survey / "site_templates" / "section.md.j2"
    own.parent.mkdir()
    packaged = (packaged_folder() / "section.md.j2").read_text(encoding="utf-8")
    own.write_text(packaged + "\nFirst marker.\n", encoding="utf-8")
    generate(project)
    pages = [p.read_text(encoding="utf-8") for p in (survey / "docs" / "sections").rglob("*.md")]
    assert pages and all("First marker." in page for page in pages)
    own.write_text(packaged + "\nSecond marker.\n", encoding="utf-8")
    generate(project)
    pages = [p.read_text(encoding="utf-8") for p in (survey / "docs" / "sections").rglob("*.md")]
    assert all("Second marker." in page and "First marker." not in page for page in pages)


def test_pages_rendered_by_several_processes_are_the_bytes_one_process_renders(shipped, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "PARALLEL_FROM", 0)
    monkeypatch.setattr(pages, "KEYWORDS_ASIDE_FROM", 0)  # the keyword index too is made by a copy
    monkeypatch.setattr(build, "RELATED_ASIDE_FROM", 0)  # and the related papers
    monkeypatch.setattr(build, "_IMPORTED", True)  # a later build: the copy that reads the content works out nothing ahead
    here: list[int] = []
    find = related.related_papers
    monkeypatch.setattr(related, "related_papers", lambda features: here.append(1) or find(features))
    monkeypatch.setenv("SURVEY_PROCESSES", "3")
    generate(open_project(shipped))
    assert here == [], "a copy found the related papers"
    shared = docs_files(shipped / "docs")
    monkeypatch.setenv("SURVEY_PROCESSES", "1")
    cache.clear()
    alone = copy_survey(shipped, tmp_path / "alone")
    generate(open_project(alone))
    assert here == [1], "one process finds them itself"
    assert docs_files(alone / "docs") == shared
    assert len(shared) > 20


def test_pages_do_not_wait_for_the_map_a_copy_draws_and_the_home_page_comes_last(shipped, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "PARALLEL_FROM", 0)
    monkeypatch.setenv("SURVEY_PROCESSES", "2")
    log = tmp_path / "done.log"  # the copies inherit these patches and note their work here too

    def note(name: str) -> None:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"{time.time():.6f} {name}\n")

    place, files = layout._place, workers.Job.files

    def slow_place(*args):
        time.sleep(2)
        placed = place(*args)
        note("map drawn")
        return placed

    def noted_files(job, into=None):
        made = files(job, into)
        note(job.name)
        return made

    monkeypatch.setattr(layout, "_place", slow_place)
    monkeypatch.setattr(workers.Job, "files", noted_files)
    generate(open_project(shipped))
    events = [line.split(" ", 1)[1] for line in sorted(log.read_text(encoding="utf-8").splitlines())]
    assert events[-2:] == ["map drawn", "index.md"], "the home page shows the map: it is rendered once the map is drawn"
    assert len(events) > 20, "every other page was rendered while the copy drew the map"
    shared = docs_files(shipped / "docs")
    monkeypatch.setenv("SURVEY_PROCESSES", "1")
    monkeypatch.setattr(layout, "_place", place)
    cache.clear()
    alone = copy_survey(shipped, tmp_path / "alone")
    generate(open_project(alone))
    assert docs_files(alone / "docs") == shared


def test_content_read_by_a_copy_while_the_libraries_load_gives_the_same_docs_and_errors(survey, tmp_path, monkeypatch, capsys):
    from generator import load

    automatic(survey)

    monkeypatch.setenv("SURVEY_PROCESSES", "2")
    monkeypatch.setattr(build, "PARALLEL_FROM", 0)
    monkeypatch.setattr(build, "_IMPORTED", False)  # a first build: the copy reads the content
    generate(open_project(survey))
    shared = docs_files(survey / "docs")
    parses: list[str] = []
    paper = load._paper
    monkeypatch.setattr(load, "_paper", lambda data, shown, stem: parses.append(stem) or paper(data, shown, stem))
    assert build._IMPORTED
    generate(open_project(survey))
    assert parses == [], "the files the copy parsed are kept by this process"
    cache.clear()
    alone = copy_survey(survey, tmp_path / "alone")
    monkeypatch.setenv("SURVEY_PROCESSES", "1")
    generate(open_project(alone))
    assert docs_files(alone / "docs") == shared

    path = sorted((survey / "content" / "papers").glob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "year: soon\n", encoding="utf-8")
    monkeypatch.setenv("SURVEY_PROCESSES", "2")
    monkeypatch.setattr(build, "_IMPORTED", False)
    code, _, err = run(capsys, "-C", str(survey), "generate")
    assert code == 1
    assert f"content/papers/{path.name}:" in err and "field 'year'" in err


def automatic(survey: Path) -> Path:
    """Take the curator's sections and the papers' pins away: a survey grouped with scikit-learn,
    whose first build reads its content in a copy while this process imports it."""
    overrides = survey / "content" / "overrides.yaml"
    text = overrides.read_text(encoding="utf-8")
    overrides.write_text(text[: text.index("sections:")] + text[text.index("stop_words:") :], encoding="utf-8")
    for path in (survey / "content" / "papers").glob("*.yaml"):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(line for line in lines if not line.startswith("section:")), encoding="utf-8")
    return survey


def test_a_curated_survey_is_read_here_and_an_automatic_one_by_a_copy_while_scikit_learn_loads(survey, tmp_path, monkeypatch):
    monkeypatch.setenv("SURVEY_PROCESSES", "2")
    monkeypatch.setattr(build, "PARALLEL_FROM", 0)
    asked: list[int] = []
    aside = workers.aside

    def noted(function, *args, processes=1, **options):
        if function is build._read:
            asked.append(processes)
        return aside(function, *args, processes=processes, **options)

    monkeypatch.setattr(workers, "aside", noted)
    for folder, readers in ((survey, 1), (automatic(copy_survey(survey, tmp_path / "automatic")), 2)):
        monkeypatch.setattr(build, "_IMPORTED", False)
        asked.clear()
        generate(open_project(folder))
        assert asked == [readers]


def test_what_the_copy_works_out_while_the_libraries_load_is_not_worked_out_again(survey, tmp_path, monkeypatch):
    automatic(survey)
    from generator import features, keywords, words

    monkeypatch.setenv("SURVEY_PROCESSES", "2")
    monkeypatch.setattr(build, "PARALLEL_FROM", 0)
    monkeypatch.setattr(build, "_IMPORTED", False)  # a first build: the copy reads the content
    cache.clear()
    imports = build._import_stages
    imported: list[float] = []
    monkeypatch.setattr(build, "_import_stages", lambda: time.sleep(2.5) or imports() or imported.append(time.monotonic()))  # slow imports, as in a new process (a twelve-paper copy needs milliseconds)
    # Only calls made in this process are counted: the copy's calls land in its own memory.
    here: list[str] = []

    def counted(module, name):
        function = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *args, **kwargs: here.append(name) or function(*args, **kwargs))

    counted(words.Reader, "_read")
    counted(features, "featurize")
    counted(keywords, "paper_keywords")
    counted(related, "related_papers")
    # The author index is noted by every process, with when it was made: the copy that prepares
    # the pages must find it made.
    indexed = tmp_path / "author-indexes"
    author_index = indexes._author_index
    monkeypatch.setattr(indexes, "_author_index", lambda papers: indexed.open("a").write(f"{time.monotonic()}\n") and author_index(papers))
    generate(open_project(survey))
    assert here == [], "the copy read the texts, made the features, keywords and related papers while this process imported"
    made = [float(line) for line in indexed.read_text().split()]
    assert len(made) == 1 and made[0] < imported[0], "the author index was made once, while this process imported"
    shared = docs_files(survey / "docs")
    monkeypatch.undo()
    monkeypatch.setenv("SURVEY_PROCESSES", "1")
    cache.clear()
    alone = copy_survey(survey, tmp_path / "alone")
    generate(open_project(alone))
    assert docs_files(alone / "docs") == shared


def test_a_copy_that_could_not_finish_before_the_libraries_loaded_leaves_the_rest_to_this_process(survey, monkeypatch):
    from generator import features

    automatic(survey)

    monkeypatch.setenv("SURVEY_PROCESSES", "2")
    monkeypatch.setattr(build, "PARALLEL_FROM", 0)
    monkeypatch.setattr(build, "_IMPORTED", False)
    cache.clear()
    here: list[str] = []
    featurize = features.featurize
    # The copy takes long over the features: this process has imported before they are made.
    # (Two seconds against a third of one: room for a busy CI machine to be late by more than a second.)
    monkeypatch.setattr(features, "featurize", lambda *args: here.append("featurize") or time.sleep(2.0) or featurize(*args))
    monkeypatch.setattr(related, "related_papers", lambda *args, fn=related.related_papers: here.append("related") or fn(*args))
    monkeypatch.setattr(build, "_import_stages", lambda imports=build._import_stages: time.sleep(0.3) or imports())
    generated = generate(open_project(survey))
    assert here == ["related"], "the features came from the copy; the related papers were left to this process"
    assert generated.survey.related


def test_paper_files_parsed_by_several_processes_give_the_papers_and_problems_one_process_gives(shipped, monkeypatch):
    from generator import load

    papers_folder = shipped / "content" / "papers"
    first = sorted(papers_folder.glob("*.yaml"))[5]
    first.write_text(first.read_text(encoding="utf-8").replace("title:", "title: [unclosed", 1), encoding="utf-8")
    (papers_folder / "zz-broken.yaml").write_text("title: A\nyear: twenty\n", encoding="utf-8")
    project = open_project(shipped)
    monkeypatch.setattr(load, "PARALLEL_FROM", 0)
    monkeypatch.setenv("SURVEY_PROCESSES", "2")
    shared = load.load_papers(project.content, project.root)
    cache.clear()
    monkeypatch.setenv("SURVEY_PROCESSES", "1")
    alone = load.load_papers(project.content, project.root)
    assert shared == alone
    assert {p.path for p in alone[1]} >= {f"content/papers/{first.name}", "content/papers/zz-broken.yaml"}


def test_a_paper_pickled_by_a_process_that_hashes_text_differently_is_found_by_an_equal_paper_as_a_key():
    """A paper keeps its hash once worked out (it keys the memos of several stages); the hash
    of text differs between processes, so the kept hash must not travel in a pickle."""
    here = Paper(key="lee2024merging", title="Model merging", authors=("Ann Lee",), year=2024, abstract="Task vectors.")
    code = (
        "import pickle, sys; from generator.models import Paper; "
        "paper = Paper(key='lee2024merging', title='Model merging', authors=('Ann Lee',), year=2024, abstract='Task vectors.'); "
        "hash(paper); sys.stdout.buffer.write(pickle.dumps(paper))"
    )
    sent = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, env={**os.environ, "PYTHONHASHSEED": "1"}).stdout
    arrived = pickle.loads(sent)
    assert arrived == here
    assert {here: "found"}[arrived] == "found"
    assert {arrived: "found"}[here] == "found"
    assert hash(dataclasses.replace(here, title="Model merging, again")) != hash(here)


def test_every_job_runs_once_whatever_its_estimated_cost():
    costs = [50, 10, 400, 3, 3, 120, 7, 90, 0, 60, 1, 1, 1]
    jobs = [workers.Job(cost, lambda n=n: [(f"{n}.md", f"page {n} " * n)]) for n, cost in enumerate(costs)]
    shared = list(workers.run(jobs, 3))
    assert sorted(shared) == sorted(workers.run(jobs, 1))
    assert len(shared) == len(jobs)
    assert workers.map_items(lambda x: x * x, list(range(1000)), 2) == [x * x for x in range(1000)]


def test_a_job_that_fails_in_another_process_fails_the_render_with_its_own_error():
    def broken() -> list[tuple[str, str]]:
        raise ValueError("duplicate keys: a")

    jobs = [workers.Job(1, lambda: [("a.md", "a")]), workers.Job(100, broken), workers.Job(100, lambda: [("b.md", "b")])]
    with pytest.raises(ValueError, match="duplicate keys: a"):
        dict(workers.run(jobs, 2))
    assert dict(workers.run(jobs[::2], 2)) == {"a.md": b"a", "b.md": b"b"}


def test_an_unchanged_survey_regenerates_without_writing_and_an_edit_back_restores_the_files(survey):
    project = open_project(survey)
    generate(project)
    first = docs_files(survey / "docs")
    assert generate(project).report.written == ()
    path = sorted((survey / "content" / "papers").glob("*.yaml"))[3]
    original = path.read_bytes()
    edit_abstract(survey, "A passing edit.")
    generate(project)
    assert docs_files(survey / "docs") != first
    path.write_bytes(original)
    generate(project)
    assert docs_files(survey / "docs") == first


def test_a_paper_file_that_becomes_broken_is_reported_even_after_it_was_read_well(survey, capsys):
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    path = sorted((survey / "content" / "papers").glob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "year: soon\n", encoding="utf-8")
    code, _, err = run(capsys, "-C", str(survey), "generate")
    assert code == 1
    assert f"content/papers/{path.name}:" in err and "field 'year'" in err


def test_a_memo_keeps_only_what_the_last_two_builds_used():
    memo: Memo[str, int] = Memo()
    made: list[str] = []

    def make(key: str) -> int:
        made.append(key)
        return len(key)

    assert memo.get("a", make, "a") == 1 and memo.get("a", make, "a") == 1
    memo.next_build()
    memo.get("bb", make, "bb")
    memo.next_build()
    memo.get("a", make, "a")  # unused for a build: forgotten
    assert made == ["a", "bb", "a"]
    assert len(memo) == 2  # "bb" from the build before, "a" from this one


def test_what_a_memo_is_handed_replaces_what_it_had_for_that_key():
    memo: Memo[str, int] = Memo()
    memo.put("last", 1)
    memo.next_build()
    memo.put("last", 2)  # handed over by another process
    assert memo.recall("last") == 2
    memo.put("last", 3)
    assert memo.get("last", lambda: 0) == 3 and len(memo) == 1


def test_a_memo_without_builds_stays_within_its_limit():
    memo: Memo[int, int] = Memo(limit=10)
    for number in range(1000):
        memo.get(number, int, number)
    assert len(memo) <= 20


# ---------------------------------------------------------------------------
# Large surveys: the map and related papers switch to bounded methods. The thresholds are
# lowered here so that a small survey takes the large survey's path.

TOPICS = {
    "merging": "model merging task vectors weight averaging interpolation merged checkpoints",
    "adapters": "low-rank adapters parameter-efficient fine-tuning LoRA rank decomposition",
    "speech": "speech recognition acoustic models spoken audio transcription phonemes",
    "vision": "image classification convolutional networks pixels object detection visual",
}


def topical_papers(per_topic: int = 15) -> tuple[list[Paper], dict[str, str]]:
    papers, topic_of = [], {}
    for topic, words in TOPICS.items():
        # Each paper a different choice of its topic's words, so no two have the same text.
        for number, picked in enumerate(list(itertools.combinations(words.split(), 5))[:per_topic]):
            key = f"{topic}{number:02d}"
            papers.append(Paper(key=key, title=f"{picked[0].title()} {picked[1]} study {number}", abstract=" ".join(picked * 2), year=2020 + number % 5))
            topic_of[key] = topic
    return papers, topic_of


def curated_overrides() -> Overrides:
    from generator.models import SectionSpec

    return Overrides(sections=tuple(SectionSpec(topic, topic.title(), keywords=tuple(words.split()[:3])) for topic, words in TOPICS.items()))


def test_the_sampled_map_places_every_paper_inside_the_square_the_same_way_twice(monkeypatch):
    monkeypatch.setattr(layout, "TSNE_SAMPLE", 36)
    papers, _ = topical_papers()
    first = analyse(papers, curated_overrides())
    assert len(layout.sample_rows([p.key for p in papers], first.sections)) < len(papers)
    assert set(first.coordinates) == {p.key for p in papers}
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in first.coordinates.values())
    assert len(set(first.coordinates.values())) == len(papers), "no two papers on the same spot"
    cache.clear()
    assert analyse(papers, curated_overrides()).coordinates == first.coordinates


def test_a_large_survey_maps_a_share_of_each_section_and_says_so_on_the_home_page(monkeypatch):
    from generator.render import SiteSettings, environment

    monkeypatch.setattr(layout, "TSNE_SAMPLE", 12)
    monkeypatch.setattr(layout, "MAP_POINTS", 24)
    papers, topic_of = topical_papers()
    survey = analyse(papers, curated_overrides())
    shown = set(survey.coordinates)
    sampled = {papers[row].key for row in layout.sample_rows([p.key for p in survey.papers], survey.sections)}
    assert sampled <= shown and 20 <= len(shown) <= 28 < len(papers)
    assert {topic_of[key] for key in shown} == set(TOPICS), "every section has dots"
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in survey.coordinates.values())
    cache.clear()
    assert analyse(papers, curated_overrides()).coordinates == survey.coordinates
    home = pages.render_pages(environment(FIXTURE, SiteSettings(site_name="Test")), survey, Overrides(title="Test"))["index.md"]
    assert home.count('class="survey-point ') == len(shown)
    assert f"The map shows {len(shown)} of the {len(papers)} papers, a share of each section." in home


def test_a_duplicate_found_while_the_pages_are_made_stops_the_build_before_anything_is_written(survey, capsys, monkeypatch):
    """The duplicates are looked for by a copy during the analysis: the pages made meanwhile are dropped."""
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    docs = docs_files(survey / "docs")
    papers = survey / "content" / "papers"
    (papers / "again2025lori.yaml").write_text((papers / "zhang2025lori.yaml").read_text(encoding="utf-8").replace("year: 2025", "year: 2024"), encoding="utf-8")
    monkeypatch.setenv("SURVEY_PROCESSES", "2")
    monkeypatch.setattr(build, "PARALLEL_FROM", 0)
    cache.clear()
    code, _, err = run(capsys, "-C", str(survey), "generate")
    assert code == 1
    said = [line for line in err.splitlines() if "duplicate of" in line]
    assert len(said) == 1 and "again2025lori.yaml" in said[0] and "zhang2025lori.yaml" in said[0], err
    assert docs_files(survey / "docs") == docs and not list(survey.glob(".docs.staging-*"))


def test_a_map_drawn_by_a_forked_copy_is_the_map_drawn_here(monkeypatch):
    monkeypatch.setattr(layout, "TSNE_SAMPLE", 36)
    monkeypatch.setattr(layout, "MAP_POINTS", 48)
    papers, _ = topical_papers()
    here = analyse(papers, curated_overrides())
    cache.clear()
    monkeypatch.setattr(build, "PARALLEL_FROM", 0)
    monkeypatch.setenv("SURVEY_PROCESSES", "2")
    aside = analyse(papers, curated_overrides())
    assert aside.coordinates == here.coordinates
    assert aside == here


def test_editing_a_paper_the_map_did_not_sample_reuses_its_t_sne_and_draws_the_cold_map(monkeypatch):
    monkeypatch.setattr(layout, "TSNE_SAMPLE", 36)
    papers, _ = topical_papers()
    first = analyse(papers, curated_overrides())
    sampled = {papers[row].key for row in layout.sample_rows([p.key for p in first.papers], first.sections)}
    edited = next(i for i, p in enumerate(papers) if p.key not in sampled)
    papers[edited] = dataclasses.replace(papers[edited], abstract=f"{papers[edited].abstract} {papers[edited].title}")  # its own words, more often
    runs: list[int] = []
    embed = layout._embed
    monkeypatch.setattr(layout, "_embed", lambda vectors: runs.append(len(vectors)) or embed(vectors))
    cache.next_build()  # an unchanged build, which draws nothing, keeps the t-SNE for the next one
    cache.next_build()
    warm = analyse(papers, curated_overrides())
    assert runs == []
    assert warm.coordinates != first.coordinates, "the edited paper's own features moved it"
    cache.clear()
    assert analyse(papers, curated_overrides()).coordinates == warm.coordinates
    assert runs == [len(sampled)]


def test_paper_keywords_kept_from_the_last_build_are_those_worked_out_anew(monkeypatch):
    from generator import keywords

    papers, _ = topical_papers()
    edited = [dataclasses.replace(p, abstract=p.abstract + " Speech recognition of spoken audio.") if n == 3 else p for n, p in enumerate(papers)]
    added = [*edited, Paper(key="zz2026new", title="Pulsar timing", abstract="Radio telescopes time pulsars.")]
    worked: list[int] = []
    block = keywords._block_keywords
    monkeypatch.setattr(keywords, "_block_keywords", lambda terms, stems, rows, limit: worked.append(rows.shape[0]) or block(terms, stems, rows, limit))
    keywords.paper_keywords(featurize(papers), keep=True)
    assert sum(worked) == len(papers)
    # An edit changes the rows that share its terms; a paper added or removed changes every
    # weight (the inverse document frequencies), so every row is worked out again.
    for survey in (edited, added, list(reversed(added)), added[5:]):
        worked.clear()
        warm = keywords.paper_keywords(featurize(survey), keep=True)
        if survey is edited:
            assert 0 < sum(worked) < len(survey), "rows with the same terms and weights are not worked out again"
        cache.clear()
        assert warm == keywords.paper_keywords(featurize(survey))
        keywords.paper_keywords(featurize(survey), keep=True)  # as the warm build left it


def test_features_do_not_depend_on_the_words_read_by_earlier_builds():
    papers, _ = topical_papers()
    cache.clear()
    cold = featurize(papers[5:])
    featurize(list(reversed(papers)))  # the kept reader now knows every word, met in another order
    warm = featurize(papers[5:])
    assert cold.terms == warm.terms and cold.surface == warm.surface
    assert (cold.matrix != warm.matrix).nnz == 0 and (cold.counts != warm.counts).nnz == 0
    assert (cold.title_counts != warm.title_counts).nnz == 0


def test_work_done_aside_by_a_copy_gives_its_result_or_its_own_error():
    with workers.aside(sorted, [3, 1, 2], processes=2) as result:
        assert result() == [1, 2, 3]
    with workers.aside(int, "seven", processes=2) as result, pytest.raises(ValueError, match="seven"):
        result()


def _mark_after(path: Path, seconds: float) -> str:
    time.sleep(seconds)
    path.write_text("done", encoding="utf-8")
    return "done"


def test_a_copy_still_at_work_is_waited_for_and_finished_copies_all_exit(tmp_path):
    # Left without its result (a build that failed meanwhile), a copy is waited for: it writes
    # nothing once its results' folder is gone.
    with workers.aside(_mark_after, tmp_path / "late", 0.5, processes=2):
        pass
    assert (tmp_path / "late").read_text(encoding="utf-8") == "done"
    # Copies whose work is done are not waited for, but they do exit, and none is left behind.
    with workers.aside(_mark_after, tmp_path / "taken", 0.0, processes=2) as result:
        assert result() == "done"
    assert list(workers.run([workers.Job(1, lambda n=n: [(f"{n}.md", "x")]) for n in range(4)], 2))
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert multiprocessing.active_children() == []


def test_the_sample_draws_from_every_section():
    keys = [f"p{i:03d}" for i in range(300)]
    sections = [Section("big", "Big", "", (), tuple(keys[:290])), Section("small", "Small", "", (), tuple(keys[290:]))]
    rows = layout.sample_rows(keys, sections, size=50)
    assert len(rows) < 60
    assert sum(1 for row in rows if keys[row] in sections[1].papers) >= 2


def test_related_papers_by_champion_lists_stay_on_topic_and_are_deterministic(monkeypatch):
    monkeypatch.setattr(related, "EVERY_PAIR_UP_TO", 0)
    papers, topic_of = topical_papers()
    found = analyse(papers, Overrides()).related
    assert set(found) == set(topic_of)
    assert all(key not in others and len(others) == related.RELATED for key, others in found.items())
    on_topic = sum(topic_of[other] == topic_of[key] for key, others in found.items() for other in others)
    assert on_topic / (len(found) * related.RELATED) > 0.9
    cache.clear()
    assert analyse(papers, Overrides()).related == found


# ---------------------------------------------------------------------------
# Start-up and the docs folder


def test_check_and_help_do_not_load_the_analysis_libraries():
    code = (
        "import sys\n"
        "from generator.cli import main\n"
        f"main(['-C', {str(FIXTURE)!r}, 'check'])\n"
        "print(sorted(m for m in ('sklearn', 'scipy', 'jinja2', 'mkdocs', 'bibtexparser') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_build_does_not_load_numpy_s_fortran_tools_which_still_load_when_used(tmp_path):
    # SciPy's sparse matrices look up every name NumPy has, which loaded f2py's Fortran parser
    # and the testing tools at every build's start; a build defers them, and they still work.
    code = (
        "import sys\n"
        "from generator.cli import main\n"
        f"main(['-C', {str(copy_survey(FIXTURE, tmp_path / 'survey'))!r}, 'generate'])\n"
        "print(sorted(m for m in ('numpy.f2py.crackfortran', 'numpy.testing._private.utils') if m in sys.modules))\n"
        "import numpy, numpy.testing\n"
        "numpy.testing.assert_array_equal(numpy.arange(3), [0, 1, 2])\n"
        "print(numpy.f2py.get_include().endswith('src'), 'numpy.testing._private.utils' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-2:] == ["[]", "True True"]


@pytest.mark.parametrize("chosen", [None, "2"])
def test_the_survey_command_runs_openblas_on_one_thread_unless_the_user_chose(chosen):
    # The command's own work is shared by forked copies, one per core; OpenBLAS threads would compete.
    code = (
        "import os\n"
        "import generator.cli as cli\n"
        "def main():\n"
        "    import numpy, threadpoolctl\n"
        "    pools = [p['num_threads'] for p in threadpoolctl.threadpool_info() if p['internal_api'] == 'openblas']\n"
        "    print(os.environ['OPENBLAS_NUM_THREADS'], sorted(set(pools)))\n"
        "    return 0\n"
        "cli.main = main\n"
        "cli.entry()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if chosen:
        env["OPENBLAS_NUM_THREADS"] = chosen
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    assert result.returncode == 0, result.stderr
    setting, pools = result.stdout.split(maxsplit=1)
    if chosen:
        assert setting == chosen
    else:
        assert (setting, pools.strip()) == ("1", "[1]")


def test_a_file_where_a_folder_of_generated_files_goes_is_named_and_nothing_is_written(survey, capsys):
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    docs = survey / "docs"
    before = docs_files(docs)
    manifest = json.loads((docs / ".survey-manifest.json").read_text(encoding="utf-8"))
    folder = next(name.split("/")[0] for name in manifest if name.count("/") == 1 and name.startswith("sections/"))
    for path in sorted((docs / folder).rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (docs / folder).rmdir()
    (docs / folder).write_text("in the way", encoding="utf-8")
    edit_abstract(survey, "Another edit.")
    code, _, err = run(capsys, "-C", str(survey), "generate")
    assert code == 1
    assert f"docs/{folder}:" in err and "is a file where survey writes a folder" in err
    assert (docs / folder).read_text(encoding="utf-8") == "in the way"
    assert {k: v for k, v in docs_files(docs).items() if not k.startswith(f"{folder}/")} == {k: v for k, v in before.items() if not k.startswith(f"{folder}/")}


@pytest.mark.parametrize("relative", ["index.md", "sections"])
def test_a_link_inside_the_docs_folder_to_another_place_inside_it_is_written_through(survey, capsys, relative):
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    docs = survey / "docs"
    target = docs / relative
    moved = docs / f"moved-{target.name}"
    target.rename(moved)
    target.symlink_to(moved.name if target.parent == docs else Path("..") / moved.name)
    edit_abstract(survey, "Edited through a link.")
    code, _, err = run(capsys, "-C", str(survey), "generate")
    assert code == 0, err
    assert target.is_symlink()
    if moved.is_dir():
        assert any("Edited through a link." in page.read_text(encoding="utf-8") for page in moved.rglob("*.md"))


def test_json_encoded_a_block_at_a_time_has_every_item_on_a_line_across_the_blocks():
    from generator import pages

    papers = [{"id": f"k{n}", "title": f"Ünïcode – “quoted” {n}", "authors": ["Łukasz", "José"], "year": n} for n in range(3 * pages.JSON_BLOCK + 7)]
    value = {"title": "A survey", "papers": papers}
    text = pages._dump(value).decode("utf-8")
    assert json.loads(text) == value
    lines = text.splitlines()
    assert lines[:3] == ["{", '  "title": "A survey",', '  "papers": [']
    assert lines[3:-2] == [f"    {json.dumps(paper, ensure_ascii=False, separators=(', ', ': '))}," for paper in papers[:-1]] + [f"    {json.dumps(papers[-1], ensure_ascii=False, separators=(', ', ': '))}"]
    assert lines[-2:] == ["  ]", "}"] and text.endswith("}\n")
    # A list joined from lines encoded one by one (a later build's CSL-JSON) is the same bytes.
    for items in (papers, papers[:1], []):
        assert pages._lines([pages._line(item) for item in items]) == pages._dump(items)


def test_staged_files_come_back_as_places_holding_the_bytes_a_job_makes(tmp_path):
    jobs = [workers.Job(cost, lambda n=n: [(f"sections/{n}.md", f"page {n} ł " * n), (f"bib/{n}.bib", b"@misc{x,}")]) for n, cost in enumerate([5, 80, 1, 30])]
    staged = dict(workers.run(jobs, 2, into=tmp_path))
    assert {path: data.read() for path, data in staged.items()} == dict(workers.run(jobs, 1))
    assert all(isinstance(data, Staged) and data.path.parent == tmp_path and data.size == len(data.read()) for data in staged.values())


def test_a_regenerate_moves_only_changed_pages_into_place_and_leaves_no_staging_folder(survey):
    project = open_project(survey)
    generate(project)
    docs = survey / "docs"
    before = {p: p.stat().st_ino for p in docs.rglob("*.md")}
    edit_abstract(survey, "Staged edit.")
    written = set(generate(project).report.written)
    assert written and all(not name.startswith(".") for name in written)
    for page, inode in before.items():
        changed = page.relative_to(docs).as_posix() in written
        assert (page.stat().st_ino != inode) == changed, page
    assert sorted(p.name for p in survey.iterdir() if p.name.startswith(".docs")) == []


def test_a_render_that_fails_leaves_the_docs_folder_as_it_was_and_no_staging_folder(survey, monkeypatch):
    project = open_project(survey)
    generate(project)
    before = docs_files(survey / "docs")
    edit_abstract(survey, "Never written.")

    def broken(*args):
        yield "index.md", "half a page"
        raise RuntimeError("template failed")

    monkeypatch.setattr(pages, "_one", broken)
    with pytest.raises(RuntimeError, match="template failed"):
        generate(project)
    assert docs_files(survey / "docs") == before
    assert sorted(p.name for p in survey.iterdir() if p.name.startswith(".docs")) == []


def test_staged_files_are_copied_when_the_docs_folder_is_on_another_disk(tmp_path, monkeypatch):
    import errno
    import os

    staging = tmp_path / "staging"
    staging.mkdir()
    replace = os.replace

    def across_disks(source, target):
        if str(source).startswith(str(staging)):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        replace(source, target)

    monkeypatch.setattr(os, "replace", across_disks)
    files = {"index.md": stage(staging, "index.md", b"home"), "sections/a.md": stage(staging, "sections/a.md", b"a")}
    report = write_docs(tmp_path / "docs", files)
    assert sorted(report.written) == ["index.md", "sections/a.md"]
    assert (tmp_path / "docs" / "sections" / "a.md").read_bytes() == b"a"


def test_staged_files_in_many_new_folders_are_all_moved_into_place_by_the_writer_threads(tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    names = [f"part-{n % 40}/{n}.md" for n in range(600)]
    report = write_docs(tmp_path / "docs", {name: stage(staging, name, f"page {name}".encode()) for name in names})
    assert sorted(report.written) == sorted(names)
    assert all((tmp_path / "docs" / name).read_text(encoding="utf-8") == f"page {name}" for name in names)
    assert list(staging.iterdir()) == []


def test_a_folder_emptied_of_generated_files_goes_and_one_holding_other_files_stays(tmp_path):
    docs = tmp_path / "docs"
    write_docs(docs, {"index.md": "home", "sections/big/2.md": "page 2", "sections/big/3.md": "page 3", "authors/k.md": "K", "keywords/a/deep.md": "x"})
    (docs / "authors" / "notes.txt").write_text("the curator's", encoding="utf-8")
    report = write_docs(docs, {"index.md": "home", "sections/big.md": "one page"})
    assert sorted(report.removed) == ["authors/k.md", "keywords/a/deep.md", "sections/big/2.md", "sections/big/3.md"]
    assert sorted(str(p.relative_to(docs)) for p in docs.rglob("*") if p.name != ".survey-manifest.json") == ["authors", "authors/notes.txt", "index.md", "sections", "sections/big.md"]


def test_the_synthetic_survey_maker_replaces_only_a_folder_it_made(tmp_path):
    import subprocess
    import sys

    from conftest import REPO

    script = [sys.executable, str(REPO / "benchmarks" / "synthetic.py")]
    mine = tmp_path / "mine"
    (mine / "content" / "papers").mkdir(parents=True)
    (mine / "content" / "papers" / "zzz2020keep.yaml").write_text("title: keep me\n", encoding="utf-8")
    refused = subprocess.run([*script, str(mine), "--papers", "5"], capture_output=True, text=True)
    assert refused.returncode == 1 and "holds files this script did not make" in refused.stderr
    assert [p.name for p in (mine / "content" / "papers").iterdir()] == ["zzz2020keep.yaml"]
    made = tmp_path / "made"
    for papers in (5, 3):
        assert subprocess.run([*script, str(made), "--papers", str(papers)], capture_output=True).returncode == 0
    assert len(list((made / "content" / "papers").iterdir())) == 3

"""The BibTeX we write compiles with pdflatex and classic bibtex without a warning.

Needs Debian's texlive-latex-base (pdflatex, bibtex, plain.bst, natbib). The tests
fail, never skip, when it is missing: a survey whose BibTeX was never compiled has
not been tested.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.bibtex import clean_text, latex_char, write_bibtex
from generator.models import Paper

pytestmark = pytest.mark.latex

FIXTURES = Path(__file__).parent / "fixtures" / "bibtex"

# The preamble a survey's reader is told to use. \tracinglostchars makes a glyph
# the font lacks show up in the log instead of silently vanishing.
DOCUMENT = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
%(packages)s
\tracinglostchars=2
\begin{document}
\nocite{*}
\bibliographystyle{%(style)s}
\bibliography{refs}
\end{document}
"""
PACKAGES = {"plain": "", "plainnat": "\\usepackage{natbib}\n\\usepackage{url}"}

LOG_PROBLEM = re.compile(r"^!.*|.*(?:warning|undefined|error|missing character).*", re.I | re.M)
BLG_PROBLEM = re.compile(
    r".*(?:Warning--|error message|I was expecting|I'm skipping|Repeated entry|"
    r"I couldn't open|Too many commas|comma at the end|illegal).*",
    re.I,
)


def load_papers(name: str) -> list[Paper]:
    """Return the papers of a JSON fixture."""
    records = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return [
        Paper(**{k: tuple(v) if isinstance(v, list) else v for k, v in record.items()})
        for record in records
    ]


def tool(name: str) -> str:
    """Return the path of a TeX program, failing the test when it is not installed."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (apt-get install texlive-latex-base)")
    return path


@dataclass(frozen=True)
class Build:
    """What a LaTeX + BibTeX run left behind."""

    returncodes: tuple[tuple[str, int], ...]
    log: str
    blg: str
    bbl: str

    def problems(self) -> list[str]:
        """Return every error or warning line of the LaTeX log and the BibTeX log."""
        failed = [f"{name} exited {code}" for name, code in self.returncodes if code != 0]
        return failed + LOG_PROBLEM.findall(self.log) + BLG_PROBLEM.findall(self.blg)


@pytest.fixture(scope="session")
def texmf_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a folder for the bitmap fonts pdflatex makes, kept out of $HOME."""
    return tmp_path_factory.mktemp("texmf-var")


def build(bib: str, workdir: Path, style: str, texmf_var: Path, bare: bool = False) -> Build:
    """Run pdflatex, bibtex, pdflatex, pdflatex on a document citing every entry of bib
    (`bare`: without the font encoding and input encoding packages)."""
    (workdir / "refs.bib").write_text(bib, encoding="ascii")
    document = DOCUMENT % {"packages": PACKAGES[style], "style": style}
    if bare:
        document = document.replace("\\usepackage[T1]{fontenc}\n", "").replace("\\usepackage[utf8]{inputenc}\n", "")
    (workdir / "doc.tex").write_text(document, encoding="ascii")
    pdflatex = [tool("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape"]
    steps = [pdflatex + ["doc"], [tool("bibtex"), "doc"], pdflatex + ["doc"], pdflatex + ["doc"]]
    env = {**os.environ, "TEXMFVAR": str(texmf_var), "LC_ALL": "C"}
    codes = []
    for step in steps:
        # The logs are read from their files; the terminal output may be any bytes.
        run = subprocess.run(step, cwd=workdir, env=env, capture_output=True, timeout=180)
        codes.append((Path(step[0]).name, run.returncode))

    def read(suffix: str) -> str:
        path = workdir / f"doc.{suffix}"
        return path.read_text(encoding="latin-1") if path.exists() else ""

    return Build(tuple(codes), read("log"), read("blg"), read("bbl"))


def assert_compiles_cleanly(papers: list[Paper], tmp_path: Path, style: str, texmf_var: Path):
    """Build papers and assert no errors, no warnings, and every entry typeset."""
    result = build(write_bibtex(papers, abstract=True), tmp_path, style, texmf_var)
    assert result.problems() == []
    for paper in papers:
        assert re.search(rf"\\bibitem(?:\[.*?\])?\{{{re.escape(paper.key)}\}}", result.bbl, re.S)
    assert (tmp_path / "doc.pdf").exists()


@pytest.mark.parametrize("style", ["plain", "plainnat"])
def test_hostile_papers_compile_without_warnings(style, tmp_path, texmf_var):
    papers = load_papers("hostile")
    titles = [p.title for p in papers]
    # The fixture is what the brief asks to survive; keep it from quietly shrinking.
    assert "Über {Braces} & 100% of $x_1$ #1 ~ LoRA^2" in titles
    assert any(not p.authors for p in papers) and any(p.year is None for p in papers)
    assert any(p.et_al for p in papers) and "a } b { c" in titles
    assert any("\\input{/etc/passwd}" in t for t in titles)
    assert_compiles_cleanly(papers, tmp_path, style, texmf_var)


@pytest.mark.parametrize("style", ["plain", "plainnat"])
def test_the_shipped_survey_compiles_in_a_bare_article_without_font_packages(style, tmp_path, texmf_var):
    """A quoted title ("Which LLM should I use?") was written with \\textquotedbl, which stops
    LaTeX unless the document loads T1 fonts."""
    from conftest import REPO
    from generator.load import load_papers as load_content

    papers, _, _ = load_content(REPO / "content", REPO)
    assert any('"' in p.title for p in papers)
    bib = write_bibtex(papers)
    assert "textquotedbl" not in bib and "{{``}Which} {LLM} should {I} use?{''}: {Evaluating}" in bib
    result = build(bib, tmp_path, style, texmf_var, bare=True)
    assert result.problems() == []


@pytest.mark.parametrize("style", ["plain", "plainnat"])
def test_realistic_sample_compiles_without_warnings(style, tmp_path, texmf_var):
    assert_compiles_cleanly(load_papers("sample"), tmp_path, style, texmf_var)


def test_every_character_the_encoder_admits_compiles(tmp_path, texmf_var):
    # Every code point of the first three planes that gets LaTeX rather than [U+XXXX].
    chars = [chr(code) for code in range(0x80, 0x30000)]
    admitted = [c for c in chars if clean_text(c) == c and "[U+" not in latex_char(c)]
    assert len(admitted) > 2000  # Latin, Greek, symbols and compatibility forms at the least
    papers = [
        Paper(
            key=f"chars{i}",
            title=" ".join(admitted[i : i + 40]),
            authors=(" ".join(admitted[i : i + 3]) + " Smith",),
            year=2000,
        )
        for i in range(0, len(admitted), 40)
    ]
    papers.append(Paper(key="fallback", title="张伟 😀 Ж", authors=("张伟",), year=2000))
    result = build(write_bibtex(papers), tmp_path, "plain", texmf_var)
    assert result.problems() == []


@pytest.mark.parametrize("style", ["plain", "plainnat"])
def test_long_fields_compile_without_warnings(style, tmp_path, texmf_var):
    papers = [
        # No authors: plainnat labels the entry with its key, which BibTeX caps at 500.
        Paper(key="greek", title="αβγδ" * 60 + " and more"),
        Paper(key="umlauts", title="Über " * 80, year=2020),
        Paper(
            key="specials",
            title="x" + "{}\\~^_&%#$" * 40,
            authors=("Ann Smith",),
            year=2000,
            venue="Conf" + "_\\{}" * 40,
            abstract="y" * 5000,
        ),
    ]
    assert_compiles_cleanly(papers, tmp_path, style, texmf_var)


@pytest.mark.parametrize(
    ("bib", "expected"),
    [
        ("@misc{a, title = {x_1}, year = {2000}}\n", "Missing $ inserted"),
        ("@article{a, title = {T}, journal = {J}, author = {A B}}\n", "Warning--empty year"),
        ('@misc{a, title = {{\\"U}ber \\unknownmacro}, year = {2000}}\n', "Undefined control"),
    ],
)
def test_the_check_sees_errors_and_warnings(bib, expected, tmp_path, texmf_var):
    # Without this the clean runs above would also pass with a blind check.
    problems = build(bib, tmp_path, "plain", texmf_var).problems()
    assert any(expected in line for line in problems), problems


@pytest.mark.parametrize("style", ["plain", "plainnat"])
def test_a_capitalised_word_that_starts_with_a_special_keeps_its_capitals(style, tmp_path, texmf_var):
    # BibTeX reads "{\#MeToo}" as one special character and lowercases the letters in it.
    title = "Detecting #MeToo Posts, %Percent and _Under in $\\alpha$-Skalierung"
    result = build(write_bibtex([Paper(key="smith2024detecting", title=title, authors=("Ann Smith",), year=2024)]), tmp_path, style, texmf_var)
    assert result.problems() == []
    for word in ("MeToo", "Percent", "Under", "Skalierung"):
        assert word in result.bbl, result.bbl

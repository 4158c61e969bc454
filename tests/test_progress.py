"""Progress: stage timings with -v, a status line only on a terminal, silence otherwise."""

from __future__ import annotations

import io
import re

import pytest

from conftest import run
from generator import cache
from generator.progress import Progress

STAGES = ("imports", "load", "featurize", "sections", "keywords", "related", "layout", "render", "duplicates", "write")
TIMING = re.compile(r"^survey: (\S+(?: \S+)?) +\d+\.\d\d s  \(cpu \d+\.\d\d s\)", re.M)


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("words", [("generate", "-v"), ("-v", "generate"), ("generate", "--verbose")])
def test_verbose_generate_prints_each_stage_with_its_time(survey, capsys, words):
    cache.clear()  # a survey analysed before in this process skips the analysis stages
    code, out, err = run(capsys, "-C", str(survey), *words)
    assert code == 0, err
    assert [name for name in TIMING.findall(err)] == [*STAGES, "total"]
    assert re.search(r"^survey: total .*, peak memory [\d,]+ MB( \(and up to [\d,]+ MB in a copy that shared the work\))?$", err, re.M)
    assert "survey:" not in out, "timings go to standard error, the summary to standard output"


def test_verbose_build_also_times_mkdocs(survey, capsys):
    cache.clear()
    code, _, err = run(capsys, "-C", str(survey), "build", "-v")
    assert code == 0, err
    assert [name for name in TIMING.findall(err)] == [*STAGES, "mkdocs build", "total"]


def test_a_survey_analysed_before_in_the_process_skips_the_analysis_stages(survey, capsys):
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    code, _, err = run(capsys, "-C", str(survey), "generate", "-v")
    assert code == 0, err
    assert [name for name in TIMING.findall(err)] == ["imports", "load", "render", "duplicates", "write", "total"]


def test_without_a_terminal_or_verbose_nothing_is_added_to_the_output(survey, capsys):
    code, out, err = run(capsys, "-C", str(survey), "generate")
    assert code == 0, err
    assert "survey:" not in err and "\r" not in err and "\x1b" not in err
    # Only the summary, after where each unpinned paper went (the build's report, not progress).
    lines = out.strip().splitlines()
    assert lines[-1].endswith("unchanged") and all(line.startswith("placed ") for line in lines[:-1])


def test_on_a_terminal_a_status_line_names_the_stage_and_is_cleared():
    terminal = Terminal()
    progress = Progress(terminal)
    with progress.stage("featurize"):
        assert "survey: featurize …" in terminal.getvalue()
        assert not terminal.getvalue().endswith("\n")
    progress.finish()
    assert terminal.getvalue().endswith("\r\x1b[K"), "the status line is erased when the stage ends"
    assert "\n" not in terminal.getvalue(), "without -v the terminal keeps no lines"


def test_verbose_on_a_terminal_keeps_the_timings_and_erases_the_status_line():
    terminal = Terminal()
    progress = Progress(terminal, verbose=True)
    with progress.stage("load"):
        pass
    progress.finish()
    lines = terminal.getvalue().split("\n")
    assert TIMING.match(lines[0].split("\r\x1b[K")[-1])
    assert [timing.stage for timing in progress.timings] == ["load"]


def test_a_stage_that_fails_is_still_timed_and_its_status_line_erased():
    terminal = Terminal()
    progress = Progress(terminal)
    with pytest.raises(ValueError), progress.stage("render"):
        raise ValueError("boom")
    assert terminal.getvalue().endswith("\r\x1b[K")
    assert [timing.stage for timing in progress.timings] == ["render"]


def test_a_progress_without_a_stream_only_records():
    progress = Progress()
    with progress.stage("load"):
        pass
    progress.finish()
    assert [timing.stage for timing in progress.timings] == ["load"]

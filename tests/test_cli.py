"""The `survey` command explains itself and never shows a traceback for bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import run

COMMANDS = ("build", "generate", "check", "import", "serve")


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(capsys, "--help")
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(capsys, command, "--help")
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"survey {command}" in out
    assert len(out.splitlines()) >= 3


def test_installed_console_script_runs():
    result = subprocess.run([sys.executable, "-m", "generator", "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("survey ")


def test_outside_a_survey_folder_says_where_to_run(tmp_path, capsys):
    code, _, err = run(capsys, "-C", str(tmp_path), "build")
    assert code == 1
    assert "no mkdocs.yml here" in err
    assert "Traceback" not in err


def test_a_survey_with_no_papers_stops_with_a_message(survey, capsys):
    for path in (survey / "content" / "papers").iterdir():
        path.unlink()
    (survey / "content" / "overrides.yaml").unlink()
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1
    assert "no papers yet" in err
    assert not (survey / "site").exists()

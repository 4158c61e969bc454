"""The `survey` command explains itself and never shows a traceback for bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

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


def test_the_command_ends_with_its_exit_code_and_every_line_it_printed(survey):
    command = [sys.executable, "-m", "generator", "-C", str(survey)]
    done = subprocess.run([*command, "generate"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "files written" in done.stdout
    path = survey / "content" / "papers" / "hu2021lora.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "year: soon\n", encoding="utf-8")
    failed = subprocess.run([*command, "check"], capture_output=True, text=True, check=False)
    assert failed.returncode == 1
    assert "content/papers/hu2021lora.yaml:" in failed.stderr and "problem(s)" in failed.stderr


def test_serve_shows_what_mkdocs_and_the_plugin_log_such_as_a_broken_paper_file():
    import io
    import logging

    from generator.cli import show_mkdocs_messages

    stream = io.StringIO()
    level = logging.getLogger("mkdocs").level
    handler = show_mkdocs_messages(stream)
    try:
        logging.getLogger("mkdocs.plugins.survey").error("content/papers/x.yaml:3: field 'year': expected a whole number")
        logging.getLogger("mkdocs.livereload").info("Serving on http://127.0.0.1:8000/")
    finally:
        logging.getLogger("mkdocs").removeHandler(handler)
        logging.getLogger("mkdocs").setLevel(level)
    shown = stream.getvalue()
    assert "ERROR   -  content/papers/x.yaml:3: field 'year'" in shown
    assert "Serving on http://127.0.0.1:8000/" in shown


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


def test_a_misspelt_or_wrong_survey_setting_is_refused_with_its_line_not_ignored(survey, capsys):
    config = survey / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("    edit_branch: main\n", "    edit_branch: [main]\n    serach: light\n"), encoding="utf-8")
    lines = config.read_text(encoding="utf-8").splitlines()
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    assert f"mkdocs.yml:{lines.index('    serach: light') + 1}: field 'extra.survey.serach': unknown setting 'serach' — did you mean 'search'?" in err
    assert f"mkdocs.yml:{lines.index('    edit_branch: [main]') + 1}: field 'extra.survey.edit_branch': expected the name of a branch, such as main" in err
    assert "Traceback" not in err


def test_a_misspelt_search_setting_is_refused_with_its_line(survey, capsys):
    config = survey / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("    edit_branch: main\n", "    edit_branch: main\n    search: lite\n"), encoding="utf-8")
    line = config.read_text(encoding="utf-8").splitlines().index("    search: lite") + 1
    code, _, err = run(capsys, "-C", str(survey), "build")
    assert code == 1
    assert f"mkdocs.yml:{line}: field 'extra.survey.search': 'lite' is not a choice: use one of auto, full, light" in err
    assert "Traceback" not in err
    assert not (survey / "site").exists()


def test_plain_mkdocs_builds_what_generate_wrote(survey, capsys):
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(survey / "out")],
        cwd=survey, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (survey / "out" / "sections" / "merging" / "index.html").is_file()
    nav = (survey / "out" / "index.html").read_text(encoding="utf-8")
    assert nav.index("Model merging") < nav.index("Low-rank adapters") < nav.index("Benchmarks")


def test_generate_never_deletes_files_it_did_not_write(survey, capsys):
    notes = survey / "docs" / "notes.md"
    notes.parent.mkdir(parents=True)
    notes.write_text("# My notes\n")
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    (survey / "content" / "papers" / "gu2024olmes.yaml").unlink()
    assert run(capsys, "-C", str(survey), "generate")[0] == 0
    assert notes.read_text() == "# My notes\n"
    assert "gu2024olmes" not in (survey / "docs" / "bibliography.bib").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "signalled",
    [
        "os.kill(os.getpid(), signal.SIGTERM)",  # `kill`: this process alone
        "os.killpg(os.getpgid(0), signal.SIGTERM)",  # a service manager or a cancelled job: the copies too
    ],
)
def test_sigterm_during_a_build_stops_it_as_ctrl_c_does_leaving_no_copies_or_folders(survey, tmp_path, signalled):
    """A cancelled CI job or `kill` sends SIGTERM: the forked copies end, quietly, their folders go, the docs stay."""
    assert run_survey(survey, "generate").returncode == 0
    docs = {p: p.read_bytes() for p in (survey / "docs").rglob("*") if p.is_file()}
    (survey / "content" / "papers" / "zhang2025lori.yaml").write_text(
        (survey / "content" / "papers" / "zhang2025lori.yaml").read_text(encoding="utf-8").replace("year: 2025", "year: 2024"), encoding="utf-8"
    )
    # Stop while the pages are rendered, with copies forked to share the work.
    code = (
        "import os, signal, time\n"
        "import generator.build as build, generator.cli as cli\n"
        "build.PARALLEL_FROM = 1\n"
        "render = build._render\n"
        "def stopped(*args, **kwargs):\n"
        f"    {signalled}\n"
        "    time.sleep(30)\n"
        "    return render(*args, **kwargs)\n"
        "build._render = stopped\n"
        "cli.entry()\n"
    )
    env = {**os.environ, "SURVEY_PROCESSES": "2", "TMPDIR": str(tmp_path)}
    spools = set(SPOOLS.glob("survey-spool-*"))
    result = subprocess.run([sys.executable, "-c", code, "-C", str(survey), "generate"], capture_output=True, text=True, env=env, timeout=60, start_new_session=True)
    assert result.returncode == 130, result.stderr
    assert "survey: interrupted; the previous site/ is unchanged." in result.stderr
    assert "Traceback" not in result.stderr and "KeyboardInterrupt" not in result.stderr, result.stderr
    assert {p: p.read_bytes() for p in (survey / "docs").rglob("*") if p.is_file()} == docs
    assert not list(survey.glob(".docs.staging-*")) and set(SPOOLS.glob("survey-spool-*")) <= spools
    time.sleep(0.5)
    left = [p for p in Path("/proc").glob("[0-9]*") if _cmdline(p).startswith(f"{sys.executable}\0-c\0import os, signal")]
    assert left == [], "no copy of the stopped build is left running"


# Where forked copies leave their results (workers._spool_folder).
SPOOLS = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else Path(os.environ.get("TMPDIR", "/tmp"))


def _cmdline(process: Path) -> str:
    try:
        return (process / "cmdline").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def run_survey(folder, *words: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", "-C", str(folder), *words], capture_output=True, text=True, timeout=120)


def test_the_survey_folder_may_be_named_before_or_after_the_command(survey, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no mkdocs.yml here
    before = run(capsys, "-C", str(survey), "check")
    after = run(capsys, "check", "-C", str(survey))
    assert before[0] == after[0] == 0 and before[1] == after[1] and "papers checked" in after[1]


def test_init_starts_a_survey_that_add_and_build_then_fill_and_never_overwrites_one(tmp_path, capsys):
    root = tmp_path / "new-survey"
    code, out, err = run(capsys, "-C", str(root), "init", "--title", 'Tasks: a "new" survey')
    assert code == 0, err
    assert "add papers with `survey add` or `survey import refs.bib`, then `survey build`" in out
    assert yaml.safe_load((root / "mkdocs.yml").read_text(encoding="utf-8").replace("!ENV SITE_URL", "x"))["site_name"] == 'Tasks: a "new" survey'
    assert yaml.safe_load((root / "content" / "overrides.yaml").read_text(encoding="utf-8"))["title"] == 'Tasks: a "new" survey'
    assert list((root / "content" / "papers").iterdir()) == [] and "/site/" in (root / ".gitignore").read_text(encoding="utf-8")
    assert run(capsys, "-C", str(root), "add", "--title", "A First Paper on Tasks", "--authors", "Ada Lovelace", "--year", "2024")[0] == 0
    code, out, err = run(capsys, "-C", str(root), "build")
    assert code == 0, err
    assert "1 paper in 1 section;" in out and (root / "site" / "index.html").is_file()
    before = {path: path.read_bytes() for path in (root / "mkdocs.yml", root / "content" / "overrides.yaml")}
    code, _, err = run(capsys, "-C", str(root), "init")
    assert code == 1 and "mkdocs.yml: is already here: `survey init` starts a survey only in a folder without one" in err
    assert {path: path.read_bytes() for path in before} == before


def _workflow_steps(root: Path) -> list[dict]:
    workflow = yaml.safe_load((root / ".github" / "workflows" / "survey.yml").read_text(encoding="utf-8"))
    return workflow["jobs"]["check"]["steps"]


def test_a_new_survey_s_workflow_checks_and_builds_it_with_the_commands_that_work_here(tmp_path, capsys, monkeypatch):
    from generator import starter

    monkeypatch.setattr(starter, "current_install", lambda: starter.Install("survey-generator @ git+https://example.org/survey.git@0123abc", True, "https://example.org/survey.git"))
    root = tmp_path / "new-survey"
    code, out, err = run(capsys, "-C", str(root), "init", "--title", "T")
    assert code == 0 and err == ""
    assert ".github/workflows/survey.yml checks and builds it on GitHub" in out
    steps = _workflow_steps(root)
    commands = [step["run"] for step in steps if "run" in step]
    assert commands == ["pip install 'survey-generator @ git+https://example.org/survey.git@0123abc'", "survey check --format github", "survey build"]
    # The workflow's own commands, after the install, check and build a survey with a paper.
    assert run(capsys, "-C", str(root), "add", "--title", "A First Paper on Tasks", "--authors", "Ada Lovelace", "--year", "2024")[0] == 0
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    for command in commands[1:]:
        done = subprocess.run(command, shell=True, cwd=root, env={**os.environ, "PATH": path}, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    assert (root / "site" / "index.html").is_file()
    # A workflow already there is the curator's: another init (in a folder without a survey) leaves it.
    (root / ".github" / "workflows" / "survey.yml").write_text("name: mine\n", encoding="utf-8")
    (root / "mkdocs.yml").unlink()
    shutil.rmtree(root / "content")
    assert run(capsys, "-C", str(root), "init")[0] == 0
    assert (root / ".github" / "workflows" / "survey.yml").read_text(encoding="utf-8") == "name: mine\n"


def test_a_new_survey_s_workflow_says_when_survey_was_installed_where_ci_cannot_reach(tmp_path, capsys, monkeypatch):
    from generator import starter

    monkeypatch.setattr(starter, "current_install", lambda: starter.this_install('{"url": "file:///home/ada/survey", "dir_info": {"editable": true}}', "0.1.0"))
    root = tmp_path / "new-survey"
    code, _, err = run(capsys, "-C", str(root), "init", "--title", "T")
    assert code == 0
    assert err == ".github/workflows/survey.yml:33: warning: installs 'survey-generator==0.1.0', but this survey command was installed from file:///home/ada/survey, which CI cannot reach: put where to install it from (such as 'survey-generator @ git+https://github.com/you/survey@main')\n"
    lines = (root / ".github" / "workflows" / "survey.yml").read_text(encoding="utf-8").splitlines()
    assert lines[32] == '        run: "pip install survey-generator==0.1.0"'
    assert "file:///home/ada/survey, which CI cannot reach" in lines[31]
    # A workflow of the curator's own is theirs: nothing to warn of.
    other = tmp_path / "other-survey"
    (other / ".github" / "workflows").mkdir(parents=True)
    (other / ".github" / "workflows" / "survey.yml").write_text("name: mine\n", encoding="utf-8")
    code, _, err = run(capsys, "-C", str(other), "init", "--title", "T")
    assert code == 0 and err == ""


def test_init_that_cannot_write_a_file_says_which_and_leaves_the_folder_as_it_was(tmp_path, capsys, monkeypatch):
    from generator import starter

    root = tmp_path / "new-survey"
    root.mkdir()
    (root / ".github").write_text("not a folder", encoding="utf-8")
    code, _, err = run(capsys, "-C", str(root), "init", "--title", "T")
    assert code == 1 and "Traceback" not in err
    assert ".github: is a file, where a folder is needed: no survey was started" in err
    assert sorted(path.name for path in root.iterdir()) == [".github"]
    (root / ".github").unlink()
    written = starter.write_atomic

    def refused(path: Path, data: bytes) -> None:
        if path.name == "mkdocs.yml":
            raise PermissionError(13, "Permission denied", str(path))
        written(path, data)

    monkeypatch.setattr(starter, "write_atomic", refused)
    code, _, err = run(capsys, "-C", str(root), "init", "--title", "T")
    assert code == 1 and "mkdocs.yml: cannot be written (Permission denied): no survey was started" in err
    assert list(root.iterdir()) == []  # content/ and its overrides, written first, are gone again


@pytest.mark.parametrize("command", [["release"], ["add", "--title", "A Paper on Refused Writes", "--authors", "Ada Quill", "--year", "2024"]])
def test_a_file_the_machine_refuses_to_write_is_named_not_an_internal_error(survey, capsys, monkeypatch, command):
    import generator.cli

    def refused(path: Path, data: bytes) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(generator.cli, "write_atomic", refused)
    before = {path: path.read_bytes() for path in (survey / "content").rglob("*") if path.is_file()}
    code, _, err = run(capsys, "-C", str(survey), *command)
    assert code == 1
    assert "internal error" not in err and "Traceback" not in err
    assert f"survey: {survey / 'content'}" in err and ": Permission denied; the command stopped there" in err
    assert {path: path.read_bytes() for path in (survey / "content").rglob("*") if path.is_file()} == before


@pytest.mark.parametrize(
    ("remote", "address"),
    [
        ("https://github.com/ada/survey.git", "https://github.com/ada/survey.git"),
        ("git@github.com:ada/survey.git", "https://github.com/ada/survey.git"),
        ("ssh://git@gitlab.example.org/ada/survey.git", "https://gitlab.example.org/ada/survey.git"),
        ("/home/ada/survey", None),
        ("file:///home/ada/survey", None),
        ("C:/Users/ada/survey", None),
    ],
)
def test_a_git_remote_is_read_as_the_address_ci_clones_it_from(remote, address):
    from generator.starter import public_address

    assert public_address(remote) == address


def test_survey_installed_from_a_pushed_git_checkout_is_installed_in_ci_from_its_remote_and_commit(tmp_path, monkeypatch):
    from generator import starter

    checkout = tmp_path / "survey-tool"
    checkout.mkdir()

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(checkout), "-c", "user.name=Ada", "-c", "user.email=ada@example.org", *args], capture_output=True, text=True, check=True)
        return done.stdout.strip()

    git("init", "-q")
    (checkout / "README.md").write_text("survey\n", encoding="utf-8")
    git("add", "README.md")
    git("commit", "-q", "-m", "start")
    git("remote", "add", "origin", "git@github.com:ada/survey.git")
    commit = git("rev-parse", "HEAD")

    class Installed:  # what `pip install .` in the checkout records (PEP 610)
        version = "0.1.0"

        def read_text(self, name: str) -> str:
            return json.dumps({"url": checkout.as_uri(), "dir_info": {}})

    monkeypatch.setattr(starter.metadata, "distribution", lambda name: Installed())
    # Not pushed (no branch of origin holds the commit): CI could not fetch it.
    assert starter.current_install() == starter.this_install(json.dumps({"url": checkout.as_uri(), "dir_info": {}}), "0.1.0")
    assert not starter.current_install().reachable
    git("update-ref", "refs/remotes/origin/main", commit)  # as a push or a fetch leaves it
    install = starter.current_install()
    assert install.reachable
    assert install.requirement == f"survey-generator @ git+https://github.com/ada/survey.git@{commit}"


@pytest.mark.parametrize(
    ("direct_url", "requirement", "reachable"),
    [
        (None, "survey-generator==1.2.0", True),  # from the package index
        ('{"url": "https://github.com/ada/survey.git", "vcs_info": {"vcs": "git", "commit_id": "0123abc", "requested_revision": "main"}}', "survey-generator @ git+https://github.com/ada/survey.git@0123abc", True),
        ('{"url": "https://example.org/survey-1.2.0.tar.gz", "archive_info": {}}', "survey-generator @ https://example.org/survey-1.2.0.tar.gz", True),
        ('{"url": "file:///home/ada/survey", "dir_info": {"editable": true}}', "survey-generator==1.2.0", False),
        ('{"url": "file:///home/ada/survey", "vcs_info": {"vcs": "git", "commit_id": "0123abc"}}', "survey-generator==1.2.0", False),
        ("not json", "survey-generator==1.2.0", False),
    ],
)
def test_a_new_survey_s_workflow_installs_survey_from_where_it_was_installed(direct_url, requirement, reachable):
    from generator.starter import this_install

    install = this_install(direct_url, "1.2.0")
    assert (install.requirement, install.reachable) == (requirement, reachable)


def test_a_new_survey_gets_the_shipped_survey_s_settings_but_its_name():
    from conftest import REPO

    template = (REPO / "site_templates" / "new-survey-mkdocs.yml").read_text(encoding="utf-8")
    shipped = [line for line in (REPO / "mkdocs.yml").read_text(encoding="utf-8").splitlines() if not line.startswith("site_description:")]
    assert template.replace("__SITE_NAME__", "'Tasks in machine learning: a survey'").splitlines() == shipped


def test_a_new_surveys_git_ignores_its_outputs_and_what_a_killed_build_leaves(tmp_path, capsys):
    import subprocess

    root = tmp_path / "new-survey"
    assert run(capsys, "-C", str(root), "init", "--title", "T")[0] == 0
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for left in ("docs/index.md", "site/index.html", ".docs.staging-4242-ab12cd/x.md", ".site.new-4242-ab12cd/index.html", ".site.old/index.html"):
        (root / left).parent.mkdir(parents=True, exist_ok=True)
        (root / left).write_text("x", encoding="utf-8")
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"], capture_output=True, text=True, check=True).stdout
    assert sorted(line[3:] for line in status.splitlines()) == [".github/workflows/survey.yml", ".gitignore", "content/overrides.yaml", "mkdocs.yml"]

"""The files contributors and CI rely on: workflows, the paper template, pre-commit, CONTRIBUTING."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO, run
from generator.schema import PAPER_FIELDS

GITHUB = REPO / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
TEMPLATE = GITHUB / "paper-template.yaml"

# What a contributor writes after each `field:` of the template (block lists and the folded
# abstract continue on the next lines, as the template's comments ask).
FILLED = {
    "title": "'Sparse Task Vectors: Merging Fine-Tuned Models Without Interference'",
    "authors": "\n  - Ada Lovelace\n  - van der Berg, Jan\n  - José Ñúñez-García",
    "et_al": "true",
    "year": "2024",
    "venue": "NeurIPS 2024",
    "entry_type": "inproceedings",
    "arxiv": "'2401.01234'",
    "doi": "10.5555/sparse.2024.1",
    "url": "https://example.org/sparse-task-vectors",
    "code": "https://example.org/sparse-task-vectors/code",
    "section": "merging",
    "tags": "\n  - model merging\n  - sparsity",
    "added": "2026-11-25",
    "abstract": ">-\n  Sparse task vectors keep the few weights that matter for each task: 100%\n"
    "  of them, {braces} & all, and merge them # without interference.",
}


def workflow(path: Path) -> dict[str, Any]:
    """Load a workflow; PyYAML reads the key `on` as true, so give it its name back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every step of every job of a workflow."""
    return [step for job in data["jobs"].values() for step in job.get("steps", [])]


def commands(data: dict[str, Any]) -> str:
    """Return the shell commands of a workflow, one `run:` after another."""
    return "\n".join(step["run"] for step in steps(data) if "run" in step)


def template_fields() -> list[str]:
    """Return the fields the paper template offers, in its order."""
    return list(yaml.safe_load(TEMPLATE.read_text(encoding="utf-8")))


def fill(template: str, values: dict[str, str]) -> str:
    """Write each value after its `field:` line, keeping the template's comments."""
    lines, filled = [], []
    for line in template.splitlines():
        name, colon, _ = line.partition(":")
        if colon and name in values:
            value = values[name]
            line = f"{name}:{value}" if value.startswith("\n") else f"{name}: {value}"
            filled.append(name)
        lines.append(line)
    assert sorted(filled) == sorted(values), "the template lacks a 'field:' line, or has one twice"
    return "\n".join(lines) + "\n"


def test_workflows_exist() -> None:
    assert {path.name for path in WORKFLOWS} >= {"pull-request.yml", "deploy.yml", "tests.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_actionlint_accepts_workflow(path: Path) -> None:
    # `.ci/run` calls the venv's python without activating it: look beside the interpreter too.
    actionlint = shutil.which("actionlint", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    assert actionlint, "actionlint is not installed: pip install -e '.[test]' installs it"
    result = subprocess.run(
        [actionlint, "-no-color", "-oneline", str(path.relative_to(REPO))],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("installed", ["git", "folder"])
def test_actionlint_accepts_the_workflow_survey_init_writes(tmp_path: Path, installed: str) -> None:
    from generator.starter import this_install, workflow_text

    record = {"git": '{"url": "https://github.com/ada/survey.git", "vcs_info": {"vcs": "git", "commit_id": "0123abc"}}', "folder": '{"url": "file:///home/ada/my survey\'s", "dir_info": {}}'}[installed]
    workflow = tmp_path / ".github" / "workflows" / "survey.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(workflow_text(this_install(record, "0.1.0")), encoding="utf-8")
    actionlint = shutil.which("actionlint", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    assert actionlint, "actionlint is not installed: pip install -e '.[test]' installs it"
    result = subprocess.run([actionlint, "-no-color", "-oneline", ".github/workflows/survey.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml"])
def test_workflow_checks_and_builds(name: str) -> None:
    run_lines = commands(workflow(GITHUB / "workflows" / name))
    assert "survey check --format github" in run_lines
    assert "survey build" in run_lines


def test_pull_request_workflow() -> None:
    data = workflow(GITHUB / "workflows" / "pull-request.yml")
    assert set(data["on"]["pull_request"]["paths"]) >= {
        "content/**", "generator/**", "site_templates/**", "mkdocs.yml", "pyproject.toml",
    }
    checkouts = [s for s in steps(data) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts and all(s["with"]["fetch-depth"] == 0 for s in checkouts)
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") and s["with"]["path"].rstrip("/") == "site" for s in steps(data))
    assert 'survey diff "origin/' in commands(data)
    # The comment may fail (a fork's token is read-only); only that step may.
    commenting = [name for name, job in data["jobs"].items() if job.get("permissions", {}).get("pull-requests") == "write"]
    assert len(commenting) == 1
    job_steps = data["jobs"][commenting[0]]["steps"]
    tolerant = [s for s in job_steps if s.get("continue-on-error")]
    assert [s.get("uses", "").split("@")[0] for s in tolerant] == ["actions/github-script"]
    assert data["permissions"] == {"contents": "read"}


def test_deploy_workflow() -> None:
    data = workflow(GITHUB / "workflows" / "deploy.yml")
    assert data["on"]["push"]["branches"] == ["main"] and "workflow_dispatch" in data["on"]
    assert data["concurrency"]["group"]
    used = {s["uses"].split("@")[0] for s in steps(data) if "uses" in s}
    assert used >= {"actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"}
    deploy = next(job for job in data["jobs"].values() if any("deploy-pages" in s.get("uses", "") for s in job["steps"]))
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    # The build learns the Pages address (mkdocs.yml's site_url) before it runs.
    build_steps = steps(data)
    pages = next(i for i, s in enumerate(build_steps) if s.get("uses", "").startswith("actions/configure-pages"))
    build = next(i for i, s in enumerate(build_steps) if s.get("run") == "survey build")
    assert pages < build and build_steps[build]["env"]["SITE_URL"] == f"${{{{ steps.{build_steps[pages]['id']}.outputs.base_url }}}}/"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_no_workflow_leaves_its_token_where_the_code_it_runs_can_read_it_or_runs_without_a_time_limit(path: Path) -> None:
    data = workflow(path)
    checkouts = [s for s in steps(data) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts and all(s["with"]["persist-credentials"] is False for s in checkouts)
    running = [name for name, job in data["jobs"].items() if any("run" in s for s in job.get("steps", []))]
    assert running and all(data["jobs"][name].get("timeout-minutes") for name in running), running


def test_tests_workflow_runs_ci_script() -> None:
    assert "bash .ci/run" in commands(workflow(GITHUB / "workflows" / "tests.yml"))


def test_github_yaml_files_parse() -> None:
    for path in sorted(GITHUB.rglob("*.y*ml")):
        assert yaml.safe_load(path.read_text(encoding="utf-8")) is not None, path


def test_template_offers_every_field() -> None:
    assert sorted(template_fields()) == sorted(PAPER_FIELDS)


def test_filled_template_passes_check(survey: Path, capsys: pytest.CaptureFixture[str]) -> None:
    filled = fill(TEMPLATE.read_text(encoding="utf-8"), FILLED)
    data = yaml.safe_load(filled)
    assert all(data[name] not in (None, "") for name in PAPER_FIELDS), data
    assert data["abstract"].endswith("each task: 100% of them, {braces} & all, and merge them # without interference.")
    (survey / "content" / "papers" / "lovelace2024sparse.yaml").write_text(filled, encoding="utf-8")
    code, out, err = run(capsys, "-C", str(survey), "check", "--strict")
    assert code == 0, err
    assert "no errors" in out


def test_unfilled_template_fails_check(survey: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(TEMPLATE, survey / "content" / "papers" / "lovelace2024sparse.yaml")
    code, _, err = run(capsys, "-C", str(survey), "check")
    assert code == 1
    assert "lovelace2024sparse.yaml" in err and "required field 'title' is missing" in err


def test_contributing_mentions_every_template_field() -> None:
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    missing = [name for name in template_fields() if f"`{name}`" not in text]
    assert not missing, f"CONTRIBUTING.md does not explain: {', '.join(missing)}"
    assert ".github/paper-template.yaml" in text


def test_pull_request_template_has_checklist() -> None:
    text = (GITHUB / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
    assert text.count("- [ ]") >= 5
    assert "`survey check`" in text


def test_pre_commit_config() -> None:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: (repo["repo"], hook) for repo in config["repos"] for hook in repo["hooks"]}
    assert hooks["ruff-check"][0] == "https://github.com/astral-sh/ruff-pre-commit"
    assert {"check-yaml", "end-of-file-fixer"} <= set(hooks)
    repo, check = next((repo, hook) for repo, hook in hooks.values() if hook.get("entry") == "survey check")
    assert repo == "local"
    assert check["language"] == "system" and check["pass_filenames"] is False
    assert re.search(check["files"], "content/papers/zhang2025lori.yaml")
    assert not re.search(check["files"], "generator/cli.py")


def test_pre_commit_hooks_manifest() -> None:
    manifest = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = manifest
    assert hook["id"] == "survey-check" and hook["entry"] == "survey check"
    assert hook["language"] == "python" and hook["pass_filenames"] is False


def _hook_files(hook: dict[str, Any], kind: str) -> list[str]:
    """Return the tracked files pre-commit would hand a hook: of its kind, less its exclude."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=True).stdout.decode().split("\0")
    exclude = re.compile(hook.get("exclude", "(?!)"))
    chosen = []
    for name in filter(None, listed):
        path = REPO / name
        if exclude.search(name) or not path.is_file() or path.is_symlink():
            continue
        if kind == "yaml" and not name.endswith((".yaml", ".yml")):
            continue
        data = path.read_bytes()
        if kind == "text" and (b"\0" in data or not data):
            continue
        chosen.append(name)
    return chosen


def _hook_command(name: str) -> str:
    found = shutil.which(name, path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    assert found, f"{name} is not installed: pip install -e '.[test]' installs pre-commit-hooks"
    return found


def test_the_pre_commit_hooks_pass_on_a_clean_checkout(tmp_path: Path) -> None:
    """A contributor who installs the hooks can commit: no hook fails on the files as they are."""
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    files = _hook_files(hooks["check-yaml"], "yaml")
    assert "mkdocs.yml" in files
    result = subprocess.run([_hook_command("check-yaml"), *hooks["check-yaml"].get("args", []), *files], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # end-of-file-fixer rewrites what it would fix: it runs on a copy.
    files = _hook_files(hooks["end-of-file-fixer"], "text")
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / name, tmp_path / name)
    result = subprocess.run([_hook_command("end-of-file-fixer"), *files], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_search_partial_is_material_s_own_with_a_name_for_its_dialog() -> None:
    """site_templates/theme/partials/search.html copies Material's: it must follow the Material installed."""
    import material

    theirs = (Path(material.__file__).parent / "templates" / "partials" / "search.html").read_text(encoding="utf-8")
    ours = (REPO / "site_templates" / "theme" / "partials" / "search.html").read_text(encoding="utf-8")
    dialog = '<div class="md-search" data-md-component="search" role="dialog">'
    assert theirs.count(dialog) == 1
    body = ours[ours.index("-#}\n") + len("-#}\n"):]  # after our own comment
    named = dialog.replace('role="dialog">', 'role="dialog" aria-label="{{ lang.t(\'search\') }}">')
    assert body == theirs[theirs.index("-#}\n") + len("-#}\n"):].replace(dialog, named)

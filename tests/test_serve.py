"""`survey serve`: an edit to the content regenerates the pages and rebuilds the site once."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator.watch import ContentWatcher

WAIT = 60.0


def wait_until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.1)


def test_a_burst_of_edits_regenerates_once_and_stopping_ends_the_watching(tmp_path):
    calls = []
    watcher = ContentWatcher([tmp_path], lambda: calls.append(time.monotonic()), interval=0.1, settle=0.3)
    watcher.start()
    try:
        for number in range(5):  # an editor saving several files at once
            (tmp_path / f"paper{number}.yaml").write_text(f"title: Paper {number}\n", encoding="utf-8")
            time.sleep(0.05)
        wait_until(lambda: len(calls) == 1, "one regeneration")
        time.sleep(1.0)
        assert len(calls) == 1
        (tmp_path / "paper0.yaml").write_text("title: Changed\n", encoding="utf-8")
        wait_until(lambda: len(calls) == 2, "a regeneration for a later edit")
    finally:
        watcher.stop()
    (tmp_path / "paper1.yaml").write_text("title: After stop\n", encoding="utf-8")
    time.sleep(0.5)
    assert len(calls) == 2


def test_editor_swap_backup_and_hidden_files_start_no_regeneration(tmp_path):
    calls = []
    watcher = ContentWatcher([tmp_path], lambda: calls.append(1), interval=0.1, settle=0.1)
    watcher.start()
    try:
        for name in (".hu2021lora.yaml.swp", "hu2021lora.yaml~", "#hu2021lora.yaml#", ".overrides.yaml.1234.tmp"):
            (tmp_path / name).write_text("typing\n", encoding="utf-8")
        time.sleep(1.0)
        assert calls == []
        (tmp_path / ".hu2021lora.yaml.1234.tmp").write_text("title: Saved\n", encoding="utf-8")
        (tmp_path / ".hu2021lora.yaml.1234.tmp").rename(tmp_path / "hu2021lora.yaml")  # an atomic save
        wait_until(lambda: len(calls) == 1, "a regeneration for the saved file")
    finally:
        watcher.stop()


def test_a_folder_made_after_the_watching_started_is_watched_from_then_on(tmp_path):
    calls = []
    (tmp_path / "content").mkdir()
    own = tmp_path / "site_templates"  # a survey's own templates, the first one not made yet
    watcher = ContentWatcher([tmp_path / "content", own], lambda: calls.append(1), interval=0.1, settle=0.1)
    watcher.start()
    try:
        (tmp_path / "docs").mkdir()  # other folders start nothing
        time.sleep(0.6)
        assert calls == []
        own.mkdir()
        (own / "authors.md.j2").write_text("# Authors\n", encoding="utf-8")
        wait_until(lambda: len(calls) >= 1, "a regeneration for the new folder")
        time.sleep(0.6)
        done = len(calls)
        (own / "authors.md.j2").write_text("# All authors\n", encoding="utf-8")
        wait_until(lambda: len(calls) > done, "a regeneration for an edit in it")
    finally:
        watcher.stop()


def test_serve_names_the_folders_it_watches_in_a_sentence(tmp_path, caplog):
    import logging
    import types

    from generator.mkdocs_plugin import SurveyPlugin

    (tmp_path / "content").mkdir()
    plugin = SurveyPlugin()
    config = types.SimpleNamespace(config_file_path=str(tmp_path / "mkdocs.yml"))
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.survey"):
        try:
            plugin.on_serve(None, config, None)
            (tmp_path / "site_templates").mkdir()
            wait_until(lambda: "changes too" in caplog.text, "the new folder to be named")
        finally:
            plugin.on_shutdown()
    # "when 'content' change" read as broken English.
    assert "Regenerating the pages when a file in 'content' changes\n" in caplog.text + "\n"
    assert "Regenerating the pages when a file in 'site_templates' changes too" in caplog.text


def test_a_failing_regeneration_is_logged_and_the_watching_goes_on(tmp_path, caplog):
    calls = []

    def regenerate() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug")

    watcher = ContentWatcher([tmp_path], regenerate, interval=0.1, settle=0.1)
    watcher.start()
    try:
        (tmp_path / "a.yaml").write_text("a\n", encoding="utf-8")
        wait_until(lambda: len(calls) == 1, "the first regeneration")
        time.sleep(0.3)
        (tmp_path / "a.yaml").write_text("b\n", encoding="utf-8")
        wait_until(lambda: len(calls) == 2, "the next regeneration")
    finally:
        watcher.stop()
    assert "regenerating the pages failed" in caplog.text and "a bug" in caplog.text


class Served:
    """A running `survey serve`, with everything it printed so far."""

    def __init__(self, folder: Path, temporary: Path | None = None, options: tuple[str, ...] = ()) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "-C", str(folder), "serve", *options, "--dev-addr", f"127.0.0.1:{self.port}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "TMPDIR": str(temporary)} if temporary else None,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def page(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/{path}", timeout=10) as response:
            return response.read().decode("utf-8")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=5)


@pytest.fixture
def served(survey: Path) -> Iterator[Served]:
    running = Served(survey)
    try:
        wait_until(lambda: running.count("Serving on") == 1, "the server to start")
        yield running
    finally:
        running.stop()


def test_an_edited_paper_reaches_the_page_after_one_build_and_a_broken_one_is_named(served, survey):
    assert served.count("Building documentation") == 1
    path = survey / "content" / "papers" / "hu2021lora.yaml"
    text = path.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    path.write_text(text.replace(title, "title: Low-Rank Adaptation, edited while serving"), encoding="utf-8")
    wait_until(lambda: served.count("Reloading browsers") == 1, "the rebuilt site")
    assert "edited while serving" in served.page("papers/")
    time.sleep(3)  # a second build, started by the pages the edit rewrote, would show by now
    assert served.count("Building documentation") == 2, "\n".join(served.lines)
    assert served.count("Regenerated the pages in ") == 1
    assert served.count("survey: render") == 0  # stage timings only with -v

    path.write_text(text + "year: soon\n", encoding="utf-8")
    wait_until(lambda: served.count("content/papers/hu2021lora.yaml:") == 1, "the broken file to be named")
    time.sleep(2)
    assert served.count("Building documentation") == 2  # the last good site stays
    assert "edited while serving" in served.page("papers/")


def test_serve_verbose_times_every_regeneration_not_only_the_first_build(survey):
    running = Served(survey, options=("-v",))
    try:
        wait_until(lambda: running.count("Serving on") == 1, "the server to start")
        assert running.count("survey: render") == running.count("survey: total") == 1, "\n".join(running.lines)
        path = survey / "content" / "papers" / "hu2021lora.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "tags: [timed]\n", encoding="utf-8")
        wait_until(lambda: running.count("Regenerated the pages in ") == 1, "the regeneration")
        assert running.count("survey: render") == running.count("survey: total") == 2, "\n".join(running.lines)
        (timed,) = [line for line in running.lines if "Regenerated the pages in " in line]
        assert re.search(r"Regenerated the pages in \d+\.\d\d s: \d+ file\(s\) changed", timed), timed
    finally:
        running.stop()


def test_a_survey_whose_content_broke_is_served_as_last_built_and_follows_the_fix(survey):
    from generator.cli import main

    assert main(["-C", str(survey), "generate"]) == 0
    path = survey / "content" / "papers" / "hu2021lora.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "year: soon\n", encoding="utf-8")
    running = Served(survey)
    try:
        wait_until(lambda: running.count("Serving on") == 1, "the server to start on the last good pages")
        assert running.count("content/papers/hu2021lora.yaml:") >= 1 and running.count("serving the pages of the last good build") == 1
        title = next(line for line in text.splitlines() if line.startswith("title:"))
        path.write_text(text.replace(title, "title: Fixed while serving"), encoding="utf-8")
        wait_until(lambda: "Fixed while serving" in running.page("papers/"), "the fixed paper on the served site")
    finally:
        running.stop()


def test_stopping_the_server_with_sigterm_shuts_it_down_as_ctrl_c_does_and_removes_its_temporary_site(survey, tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    running = Served(survey, temporary)
    try:
        wait_until(lambda: running.count("Serving on") == 1, "the server to start")
        assert len(list(temporary.glob("mkdocs_*"))) == 1  # MkDocs builds the served site there
    finally:
        running.stop()  # SIGTERM, as `kill` and `docker stop` send
    assert running.process.returncode == 0
    assert running.count("Shutting down") == 1
    assert list(temporary.glob("mkdocs_*")) == []


def test_serving_on_a_busy_or_malformed_address_is_a_clear_error_before_any_work(survey, capsys):
    from conftest import run

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        address = f"127.0.0.1:{busy.getsockname()[1]}"
        code, _, err = run(capsys, "-C", str(survey), "serve", "--dev-addr", address)
    assert code == 1
    assert f"--dev-addr: field 'dev_addr': '{address}': the address is already in use" in err
    assert "internal error" not in err and "Traceback" not in err
    assert not (survey / "docs").exists()  # refused before generating
    code, _, err = run(capsys, "-C", str(survey), "serve", "--dev-addr", "nonsense")
    assert code == 1 and "expected HOST:PORT, such as 127.0.0.1:8000" in err

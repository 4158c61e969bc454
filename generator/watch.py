"""Regenerate the pages while serving, as soon as the content changes (the serve edge).

MkDocs watches the docs folder. When the pages were regenerated inside MkDocs' build, the
pages written there started a second build after every edit; regenerated here, beside the
build, the pages written start the only one.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers.polling import PollingObserver

from .load import is_editor_file

log = logging.getLogger("mkdocs.plugins.survey")

# As MkDocs' own watcher: look every half second (polling works on every file system), and
# act once no file has changed for a tenth of a second, so that an editor's burst counts once.
INTERVAL = 0.5
SETTLE = 0.1
def ignored(path: str | bytes) -> bool:
    """Tell whether a changed file is an editor's or a hidden one, not content: the generator
    reads none of them (load.is_editor_file), so they start no regeneration."""
    name = os.path.basename(os.fsdecode(path))
    return name.startswith(".") or is_editor_file(name)


class ContentWatcher:
    """Call `regenerate` in a thread of its own once a burst of changes under `folders` is over.

    A folder that does not exist yet (a survey's own `site_templates/`, before its first
    template) is watched from the moment it is made.
    """

    def __init__(self, folders: Sequence[Path], regenerate: Callable[[], None], *, interval: float = INTERVAL, settle: float = SETTLE) -> None:
        self._regenerate = regenerate
        self._settle = settle
        self._changed = threading.Condition()
        self._pending = False
        self._stopped = False
        self._observer = PollingObserver(timeout=interval)
        self._handler = FileSystemEventHandler()
        self._handler.on_any_event = self._notice  # type: ignore[method-assign]
        self._awaited = {os.path.abspath(folder) for folder in folders if not folder.is_dir()}
        for folder in folders:
            if folder.is_dir():
                self._observer.schedule(self._handler, str(folder), recursive=True)
        # The folders that hold an awaited one are watched for its making, not recursively.
        made = FileSystemEventHandler()
        made.on_created = self._made  # type: ignore[method-assign]
        for parent in sorted({os.path.dirname(folder) for folder in self._awaited}):
            if os.path.isdir(parent):
                self._observer.schedule(made, parent, recursive=False)
        self._thread = threading.Thread(target=self._loop, name="survey-regenerate", daemon=True)

    def _made(self, event: FileSystemEvent) -> None:
        path = os.path.abspath(os.fsdecode(event.src_path))
        if event.is_directory and path in self._awaited:
            self._awaited.discard(path)
            self._observer.schedule(self._handler, path, recursive=True)
            log.info("Regenerating the pages when a file in '%s' changes too", os.path.basename(path))
            with self._changed:
                self._pending = True
                self._changed.notify_all()

    def start(self) -> None:
        self._observer.start()
        self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
        self._observer.stop()
        self._observer.join()
        self._thread.join()

    def _notice(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        paths = [event.src_path, *([event.dest_path] if getattr(event, "dest_path", "") else [])]
        if all(ignored(path) for path in paths):
            return
        with self._changed:
            self._pending = True
            self._changed.notify_all()

    def _loop(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._pending or self._stopped)
                while not self._stopped and self._changed.wait(timeout=self._settle):
                    pass
                if self._stopped:
                    return
                self._pending = False
            try:
                self._regenerate()
            except Exception:  # a bug must not stop the watching: say it, and wait for the next edit
                log.exception("regenerating the pages failed")

"""The two benchmark corpora as Paper records with their known labels (the benchmark's input edge)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from generator.load import load_overrides, load_papers
from generator.models import Overrides, Paper

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"
LABELS = DATA / "shipped-labels.yaml"
SECOND = DATA / "second-corpus.yaml"


@dataclass(frozen=True, slots=True)
class Corpus:
    """Papers (sorted by key), each paper's known label, and the curator's overrides if any."""

    name: str
    papers: tuple[Paper, ...]
    labels: dict[str, str]
    overrides: Overrides


def _normal(title: str) -> str:
    return re.sub(r"\W+", " ", title).strip().casefold()


def shipped(root: Path = REPO) -> Corpus:
    """Return the shipped survey with the editor's labels (matched to papers by title)."""
    papers, problems, _ = load_papers(root / "content", root)
    if any(p.severity == "error" for p in problems):
        raise SystemExit("\n".join(str(p) for p in problems))
    overrides, _ = load_overrides(root / "content", root)
    by_title = {_normal(p.title): p.key for p in papers}
    raw = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    labels = {}
    for item in raw["labels"]:
        key = by_title.get(_normal(item["title"]))
        if key is None:
            raise SystemExit(f"{LABELS}: label n={item['n']}: no paper is titled {item['title']!r}")
        labels[key] = item["section"]
    return Corpus("shipped survey", tuple(sorted(papers, key=lambda p: p.key)), labels, overrides)


def second() -> Corpus:
    """Return the second corpus: short records from five fields, each with its topic."""
    raw = yaml.safe_load(SECOND.read_text(encoding="utf-8"))
    papers, labels = [], {}
    for number, item in enumerate(raw["papers"], start=1):
        key = f"p{number:03d}"
        papers.append(Paper(key=key, title=item["title"], abstract=item["abstract"]))
        labels[key] = item["topic"]
    return Corpus("second corpus", tuple(papers), labels, Overrides())


def unpinned(papers: tuple[Paper, ...] | list[Paper], keys: set[str] | None = None) -> list[Paper]:
    """Return the papers with their `section:` removed (all of them, or only `keys`)."""
    return [dataclasses.replace(p, section=None) if keys is None or p.key in keys else p for p in papers]

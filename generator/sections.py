"""Group papers into themed sections: the curator's sections first, automatic ones otherwise."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from .features import Features
from .keywords import readable_title, section_keywords
from .models import Overrides, Paper, Placement, Section

RANDOM_STATE = 0
LSA_COMPONENTS = 60
KMEANS_RESTARTS = 10
# How much a section's own words (title, description, keywords) weigh against its pinned papers.
SEED_WEIGHT = 0.5


def _embed(features: Features) -> np.ndarray:
    """Return a dense, L2-normalised low-rank view of the TF-IDF rows (LSA)."""
    rows, columns = features.matrix.shape
    components = min(LSA_COMPONENTS, rows - 1, columns - 1)
    if components < 2:
        return normalize(features.matrix.toarray()) if columns else np.zeros((rows, 1))
    svd = TruncatedSVD(n_components=components, algorithm="randomized", n_iter=7, random_state=RANDOM_STATE)
    return normalize(svd.fit_transform(features.matrix))


def _merge_small(points: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    """Move the members of too-small groups to the nearest large group."""
    labels = labels.copy()
    while True:
        sizes = np.bincount(labels)
        small = [c for c in np.flatnonzero(sizes) if sizes[c] < min_size]
        large = [c for c in np.flatnonzero(sizes) if sizes[c] >= min_size]
        if not small or not large:
            break
        centres = normalize(np.vstack([points[labels == c].mean(axis=0) for c in large]))
        members = np.flatnonzero(labels == small[0])
        labels[members] = np.asarray(large)[np.argmax(points[members] @ centres.T, axis=1)]
    _, labels = np.unique(labels, return_inverse=True)
    return labels


def find_groups(features: Features, low: int, high: int, min_size: int) -> np.ndarray:
    """Cluster papers with k-means on LSA, choosing k by cosine silhouette."""
    count = len(features.keys)
    high = min(high, count // max(min_size, 1))
    if count < 3 or high < 2 or not features.terms:
        return np.zeros(count, dtype=int)
    points = _embed(features)
    best: tuple[float, int, np.ndarray] | None = None
    for k in range(max(2, min(low, high)), high + 1):
        model = KMeans(n_clusters=k, n_init=KMEANS_RESTARTS, random_state=RANDOM_STATE, max_iter=300)
        labels = _merge_small(points, model.fit_predict(points), min_size)
        if len(set(labels)) < 2:
            continue
        score = float(silhouette_score(points, labels, metric="cosine"))
        if best is None or score > best[0] + 1e-9:
            best = (score, k, labels)
    return best[2] if best else np.zeros(count, dtype=int)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _order(papers: Sequence[Paper], keys: set[str]) -> tuple[str, ...]:
    chosen = [p for p in papers if p.key in keys]
    chosen.sort(key=lambda p: (-(p.year or 0), p.title.casefold(), p.key))
    return tuple(p.key for p in chosen)


def _automatic(papers: Sequence[Paper], features: Features, overrides: Overrides) -> tuple[list[Section], list[Placement]]:
    labels = find_groups(features, overrides.min_sections, overrides.max_sections, overrides.min_section_size)
    count = int(labels.max()) + 1 if len(labels) else 0
    keywords = section_keywords(features, labels, count)
    sections, used = [], set()
    for c in range(count):
        words = keywords[c]
        section_id = _slug(words[0]) if words else "papers"
        for extra in words[1:]:
            if section_id not in used:
                break
            section_id = _slug(f"{words[0]} {extra}")
        while section_id in used:
            section_id += "-x"
        used.add(section_id)
        members = {features.keys[i] for i in np.flatnonzero(labels == c)}
        sections.append(Section(section_id, readable_title(words), "", words, _order(papers, members)))
    sections.sort(key=lambda s: (-len(s.papers), s.id))
    section_of = {key: s.id for s in sections for key in s.papers}
    placements = [Placement(p.key, section_of[p.key], p.similarity, False, p.margin) for p in _placements(features, labels, set())]
    return sections, placements


def _placements(features: Features, labels: np.ndarray, pinned: set[str]) -> list[Placement]:
    """Return each paper's similarity to its section's centre and the margin over the next."""
    count = int(labels.max()) + 1 if len(labels) else 0
    centres = np.vstack([_centre(features.matrix[labels == c]) for c in range(count)]) if count else np.zeros((0, 0))
    result = []
    for row, key in enumerate(features.keys):
        similarities = features.matrix[row] @ centres.T if count else np.zeros(1)
        similarities = np.asarray(similarities).ravel()
        own = float(similarities[labels[row]]) if count else 0.0
        others = np.delete(similarities, labels[row]) if count > 1 else np.zeros(1)
        result.append(Placement(key, str(labels[row]), own, key in pinned, own - float(others.max())))
    return result


def _centre(rows: sp.csr_matrix) -> np.ndarray:
    if rows.shape[0] == 0 or rows.shape[1] == 0:
        return np.zeros(rows.shape[1])
    return normalize(np.asarray(rows.mean(axis=0)))[0]


def _curated(papers: Sequence[Paper], features: Features, overrides: Overrides) -> tuple[list[Section], list[Placement]]:
    specs = overrides.sections
    index = {spec.id: position for position, spec in enumerate(specs)}
    labels = np.full(len(papers), -1)
    for row, paper in enumerate(papers):
        if paper.section in index:
            labels[row] = index[paper.section]
    seeds = features.transform([(f"{s.title} {' '.join(s.keywords)}", f"{s.description} {' '.join(s.keywords)}") for s in specs])
    centres = []
    for position in range(len(specs)):
        seed = normalize(seeds[position].toarray())[0] if seeds.shape[1] else np.zeros(0)
        pinned = features.matrix[labels == position]
        centre = _centre(pinned) + SEED_WEIGHT * seed if pinned.shape[0] else seed
        centres.append(centre)
    centres_matrix = normalize(np.vstack(centres)) if features.terms else np.zeros((len(specs), 0))
    free = np.flatnonzero(labels < 0)
    if len(free) and features.terms:
        similarities = np.asarray(features.matrix[free] @ centres_matrix.T)
        # Ties go to the earlier section, so placement never depends on anything but content.
        labels[free] = np.argmax(similarities, axis=1)
    elif len(free):
        labels[free] = 0
    keywords = section_keywords(features, labels, len(specs))
    sections = []
    for position, spec in enumerate(specs):
        members = {features.keys[i] for i in np.flatnonzero(labels == position)}
        words = keywords[position] or spec.keywords
        sections.append(Section(spec.id, spec.title, spec.description, words, _order(papers, members), curated=True))
    pinned_keys = {p.key for p in papers if p.section}
    raw = _placements(features, labels, pinned_keys) if features.terms else [Placement(k, "0", 0.0, k in pinned_keys) for k in features.keys]
    placements = [Placement(p.key, specs[int(labels[i])].id, p.similarity, p.pinned, p.margin) for i, p in enumerate(raw)]
    return sections, placements


def assign_sections(papers: Sequence[Paper], features: Features, overrides: Overrides) -> tuple[list[Section], list[Placement]]:
    """Put every paper in one section; the curator's sections and pins win."""
    if not papers:
        return [], []
    if overrides.sections:
        return _curated(papers, features, overrides)
    return _automatic(papers, features, overrides)

"""Place the papers on the home page's map: t-SNE of their text and closeness to the sections.

Positions are in [0, 1]²; figures.py turns them into the map's numbers. A large survey's map is
drawn by a forked copy while the pages are rendered (see `drawing`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from . import cache, workers
from .features import combine, smoothed_idf, unit_length
from .models import Section
from .tsne import axis_signs, embed, principal_components

if TYPE_CHECKING:
    from .features import Features

LSA_COMPONENTS = 30
# A singular value below this share of the largest is taken as none: the papers do not span that direction.
SPANNED = 1e-10
# How strongly a paper's closeness to each section pulls it towards that section's region.
SECTION_WEIGHT = 2.0
PERPLEXITY = 15.0
ITERATIONS = 500
# t-SNE needs a few dozen papers to mean anything: below this the map is a PCA.
TSNE_MIN = 30
# t-SNE costs about a millisecond per paper per hundred steps, so it places at most this many
# papers (drawn from every section); each other paper sits among its nearest placed papers.
TSNE_SAMPLE = 200
# The map shows at most this many papers, a share of each section by the same fixed order: more
# dots only blot the map out, and each one weighs on the home page (2.8 MB at 10,000 papers).
MAP_POINTS = 1000
NEIGHBOURS = 5
# How far apart papers with the same neighbours are spread, as a share of the map.
SPREAD = 0.02
DIGITS = 4


@functools.cache
def _threads() -> ThreadpoolController:
    """Return what limits the numerical libraries' threads; finding them costs 20 ms, so once per process."""
    return ThreadpoolController()


def _one_thread() -> contextlib.AbstractContextManager[Any]:
    """Run the numerical libraries on one thread, so that their sums add up in the same order on any machine."""
    return _threads().limit(limits=1)


def _rank(key: str) -> bytes:
    """Return a key's place in a fixed pseudo-random order, the same on every machine."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()


def sample_rows(keys: Sequence[str], sections: Sequence[Section], size: int | None = None) -> list[int]:
    """Return the rows t-SNE places: every paper when few, else a share of each section by a fixed order."""
    size = TSNE_SAMPLE if size is None else size
    if len(keys) <= size:
        return list(range(len(keys)))
    position = {key: row for row, key in enumerate(keys)}
    groups = [[position[k] for k in s.papers if k in position] for s in sections]
    grouped = {row for group in groups for row in group}
    groups.append([row for row in range(len(keys)) if row not in grouped])
    chosen: list[int] = []
    for group in groups:
        share = max(2, round(size * len(group) / len(keys)))
        chosen += sorted(group, key=lambda row: _rank(keys[row]))[:share]
    return sorted(chosen)


@dataclass(frozen=True, slots=True, eq=False)
class _Space:
    """The map's space, learned from the sampled papers alone, so that editing another paper leaves it as it is."""

    rows: tuple[int, ...]
    weigh: Callable[[Any], sp.csr_matrix]  # the TF-IDF rows of some papers in this space
    axes: np.ndarray | None  # the sampled papers' first singular directions, term weights one per row
    centres: np.ndarray | None  # the centre of each section's sampled papers, one per row
    sampled: np.ndarray  # the sampled papers' vectors: what t-SNE places


def _weights(features: Features, rows: Sequence[int]) -> tuple[Callable[[Any], sp.csr_matrix], Sequence[str]]:
    """Return what weighs papers' terms by the sampled papers alone (the terms they use, their
    idf), and those terms, one per column.

    With every paper sampled, these are the survey's own features.
    """
    if len(rows) == len(features.keys):
        return (lambda which: features.matrix[which]), features.terms
    used = np.bincount(features.counts[list(rows)].indices, minlength=features.counts.shape[1])
    columns = np.flatnonzero(used)
    idf = smoothed_idf(len(rows), used[columns])

    def weigh(which: Any) -> sp.csr_matrix:
        titles = features.title_counts[which][:, columns]
        abstracts = (features.counts[which][:, columns] - titles).tocsr()
        abstracts.eliminate_zeros()
        return combine(titles, abstracts, idf)

    return weigh, [features.terms[column] for column in columns.tolist()]


def _join(lsa: np.ndarray, matrix: sp.csr_matrix, centres: np.ndarray | None) -> np.ndarray:
    """Return papers' LSA vectors joined with their TF-IDF cosine closeness to every section."""
    if centres is None:
        return unit_length(lsa)
    return unit_length(np.hstack([lsa, SECTION_WEIGHT * np.asarray(matrix @ centres.T)]))


def _space(features: Features, sections: Sequence[Section], rows: Sequence[int]) -> _Space:
    """Fit the map's space to the sampled papers: their TF-IDF, its LSA, and the sections' centres.

    Its cost is bounded at any size: it looks at the sampled papers only.
    """
    weigh, terms = _weights(features, rows)
    sample = weigh(list(rows))
    components = min(LSA_COMPONENTS, len(rows) - 1, sample.shape[1] - 1)
    axes = None
    if components >= 2:
        # The same sampled papers (most edits touch others) give the same LSA: fitted once.
        fitted = cache.digest(str(sample.shape), sample.indptr.tobytes(), sample.indices.tobytes(), sample.data.tobytes(), "\n".join(terms))
        axes, reduced = _LSA.get(fitted, _fit, sample, components)
        lsa = unit_length(reduced)
    else:
        lsa = unit_length(sample.toarray())
    position = {features.keys[row]: index for index, row in enumerate(rows)}
    centres = []
    for section in sections:
        members = [position[k] for k in section.papers if k in position]
        if members:
            centres.append(unit_length(np.asarray(sample[members].mean(axis=0))))
    stacked = np.vstack(centres) if centres else None
    return _Space(tuple(rows), weigh, axes, stacked, _join(lsa, sample, stacked))


def _fit(sample: sp.csr_matrix, components: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the sample's first singular directions (term weights, one per row) and the sampled papers' coordinates on them.

    Worked out from the papers' Gram matrix, a few hundred rows square, exactly; each direction
    points the way its largest weight is positive. A direction the papers do not span is zeros.
    """
    values, vectors = np.linalg.eigh((sample @ sample.T).toarray())
    order = np.argsort(-values, kind="stable")[:components]
    singular = np.sqrt(np.clip(values[order], 0.0, None))
    spanned = singular > singular.max(initial=0.0) * SPANNED
    left = vectors[:, order] * spanned
    axes = np.asarray((sample.T @ left).T) / np.where(spanned, singular, 1.0)[:, None]
    signs = axis_signs(axes)
    return axes * signs[:, None], left * singular * signs


# The map's LSA of the sampled papers, by their TF-IDF rows and terms (see `_space`).
_LSA: cache.Memo[str, tuple[np.ndarray, np.ndarray]] = cache.lasting(limit=2)


def _vectors(space: _Space, rows: np.ndarray) -> np.ndarray:
    """Return the vectors of papers that were not sampled, in the sampled papers' space."""
    matrix = space.weigh(rows)
    lsa = np.asarray(matrix @ space.axes.T) if space.axes is not None else matrix.toarray()
    return _join(unit_length(lsa), matrix, space.centres)


def _unit(points: np.ndarray) -> np.ndarray:
    """Scale each axis into [0, 1]; a flat axis sits in the middle."""
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.where(high - low > 0, high - low, 1.0)
    return np.where(high - low > 0, (points - low) / span, 0.5)


def _embed(vectors: np.ndarray) -> np.ndarray:
    """Return 2-D positions of a few hundred vectors: t-SNE, or their principal components when too few."""
    if len(vectors) < TSNE_MIN:
        return principal_components(vectors, 2)
    return embed(vectors, PERPLEXITY, ITERATIONS)


def _interpolate(vectors: np.ndarray, rows: Sequence[int], placed: np.ndarray, keys: Sequence[str]) -> np.ndarray:
    """Place every paper: sampled ones where t-SNE put them, others among their nearest sampled papers."""
    points = np.zeros((len(vectors), 2))
    points[list(rows)] = placed
    others = np.setdiff1d(np.arange(len(vectors)), rows)
    sampled = vectors[list(rows)]
    k = min(NEIGHBOURS, len(rows))
    extent = np.ptp(placed, axis=0).max() or 1.0
    for start in range(0, len(others), 4096):
        block = others[start : start + 4096]
        similarity = vectors[block] @ sampled.T
        nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
        weights = np.clip(np.take_along_axis(similarity, nearest, axis=1), 0, None) ** 4
        weights[weights.sum(axis=1) == 0, 0] = 1.0  # no neighbour at all: sit on the nearest
        weights /= weights.sum(axis=1, keepdims=True)
        points[block] = np.einsum("ij,ijk->ik", weights, placed[nearest])
    # Papers with the same neighbours would hide one another: nudge each by its key.
    drawn = np.frombuffer(b"".join(_rank(keys[row]) for row in others), dtype="<u4").reshape(-1, 2) / 2**32
    angle, radius = 2 * math.pi * drawn[:, 0], SPREAD * extent * np.sqrt(drawn[:, 1])
    points[others] += np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return points


def _matrix_digest(features: Features, sections: Sequence[Section]) -> str:
    """Return a hash of everything the layout depends on."""
    matrix = features.matrix
    outline = "\n".join([" ".join(features.keys), *(" ".join((s.id, *s.papers)) for s in sections)])
    return cache.digest(outline, str(matrix.shape), matrix.indptr.tobytes(), matrix.indices.tobytes(), matrix.data.tobytes())


# The map of an unchanged survey is drawn once per process (`survey serve` rebuilds often), and
# t-SNE runs again only when the sampled papers' vectors changed (most edits touch other papers).
_LAYOUTS: cache.Memo[str, dict[str, tuple[float, float]]] = cache.memo(limit=4)
_EMBEDDINGS: cache.Memo[str, np.ndarray] = cache.lasting(limit=4)


def layout(features: Features, sections: Sequence[Section]) -> dict[str, tuple[float, float]]:
    """Place the papers of the map on a plane, in [0, 1]²: t-SNE (or PCA) of their text and their closeness to the sections.

    That is every paper up to `MAP_POINTS` of them, else a share of each section (see `sample_rows`).
    """
    with drawing(features, sections) as drawn:
        return drawn()


@contextlib.contextmanager
def drawing(features: Features, sections: Sequence[Section], processes: int = 1) -> Iterator[workers.Pending[dict[str, tuple[float, float]]]]:
    """Place the papers as `layout` does, in a forked copy while the caller goes on (see workers.aside).

    Yields the pending positions.
    """
    keys = features.keys
    count = len(keys)
    if count < 4 or not features.terms:
        # Too few papers to project: a circle, in key order.
        angles = [2 * math.pi * i / max(count, 1) for i in range(count)]
        circle = {k: (round(0.5 + 0.5 * math.cos(a), DIGITS), round(0.5 + 0.5 * math.sin(a), DIGITS)) for k, a in zip(keys, angles, strict=True)}
        yield workers.Pending(lambda: circle)
        return
    digest = _matrix_digest(features, sections)
    known = _LAYOUTS.recall(digest)
    if known is not None:
        yield workers.Pending(lambda: known)
        return
    rows, shown = sample_rows(keys, sections), sample_rows(keys, sections, MAP_POINTS)
    space, placed = None, None
    if _EMBEDDINGS:
        # A map was drawn before in this process: t-SNE, the costly part, is left out when the
        # sampled papers' vectors are those it placed. A process's first map is drawn, space
        # and all, by the copy.
        with _one_thread():
            space = _space(features, sections, rows)
        placed = _EMBEDDINGS.recall(_sampled_digest(space))
    with workers.aside(_draw, features, sections, rows, space, placed, shown, processes=processes if placed is None else 1) as drawn:
        del features, space  # the copy has them (see workers.aside)

        def result() -> dict[str, tuple[float, float]]:
            fitted, sampled, embedded, coordinates = drawn()
            for key, value in fitted:
                _LSA.put(key, value)
            _EMBEDDINGS.put(sampled, embedded)
            return coordinates

        yield workers.Pending(lambda: _LAYOUTS.get(digest, result), drawn.done)


def _sampled_digest(space: _Space) -> str:
    return cache.digest(str(space.sampled.shape), space.sampled.tobytes())


def _draw(
    features: Features, sections: Sequence[Section], rows: Sequence[int], space: _Space | None, placed: np.ndarray | None, shown: Sequence[int]
) -> tuple[list[tuple[str, tuple[np.ndarray, np.ndarray]]], str, np.ndarray, dict[str, tuple[float, float]]]:
    """Fit the map's space unless given, and place the papers (see `_place`).

    Returns, with the positions, what the memos keep for the next build: the LSA fitted, and
    the sampled papers' places by their vectors' digest.
    """
    if space is None:
        with _one_thread():
            space = _space(features, sections, rows)
    embedded, coordinates = _place(features, space, placed, shown)
    return _LSA.used(), _sampled_digest(space), embedded, coordinates


def _place(features: Features, space: _Space, placed: np.ndarray | None, shown: Sequence[int]) -> tuple[np.ndarray, dict[str, tuple[float, float]]]:
    """Place the papers of rows `shown`: the sampled ones by t-SNE (unless already `placed`), the others among them.

    Returns the sampled papers' places and the shown papers' positions in [0, 1]². The rows
    t-SNE places are among those shown (both samples take each section's first papers in one order).
    """
    rows = list(space.rows)
    drawn = sorted(set(shown) | set(rows))
    keys = [features.keys[row] for row in drawn]
    with _one_thread():
        if placed is None:
            placed = np.asarray(_embed(space.sampled), dtype=float)
        points = placed
        if len(rows) < len(drawn):
            at = {row: index for index, row in enumerate(drawn)}
            sampled = set(rows)
            others = np.array([row for row in drawn if row not in sampled], dtype=np.int64)
            vectors = np.zeros((len(drawn), space.sampled.shape[1]))
            vectors[[at[row] for row in rows]] = space.sampled
            vectors[[at[row] for row in others.tolist()]] = _vectors(space, others)
            points = _interpolate(vectors, [at[row] for row in rows], placed, keys)
    unit = _unit(points)
    return placed, {key: (round(float(x), DIGITS), round(float(y), DIGITS)) for key, (x, y) in zip(keys, unit, strict=True)}

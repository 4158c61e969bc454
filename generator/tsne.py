"""t-SNE of a few hundred points, in NumPy: the map's projection without importing scikit-learn.

The algorithm and its settings are scikit-learn's `TSNE(method="exact", init="pca",
learning_rate="auto")`: Gaussian neighbourhoods of a given perplexity, a Student-t kernel in
the plane, 250 steps with the neighbourhoods exaggerated twelvefold and momentum 0.5, then
momentum 0.8, with per-coordinate gains (van der Maaten and Hinton, 2008). The map places at
most a few hundred papers (layout.TSNE_SAMPLE), where the exact method costs a tenth of a
second; importing scikit-learn (SciPy's statistics with it) cost 0.6 to 0.8 s of CPU, a third
of a whole build at 1,000 papers, for the map alone (benchmarks/README.md, "Where generate stands against MkDocs").
"""

from __future__ import annotations

import math

import numpy as np

EARLY_EXAGGERATION = 12.0
EXPLORATION_STEPS = 250
EXPLORATION_MOMENTUM = 0.5
MOMENTUM = 0.8
MIN_GAIN = 0.01
# The neighbourhoods' widths are searched for until their entropy is this close to the perplexity's.
PERPLEXITY_TOLERANCE = 1e-5
PERPLEXITY_STEPS = 100
EPSILON = float(np.finfo(np.float64).eps)


def axis_signs(axes: np.ndarray) -> np.ndarray:
    """Return, for each axis (a row), the sign that makes its largest loading positive.

    So the directions found do not depend on the linear algebra library (scikit-learn's
    `svd_flip` does the same).
    """
    signs = np.sign(axes[np.arange(len(axes)), np.argmax(np.abs(axes), axis=1)])
    signs[signs == 0] = 1.0
    return signs


def principal_components(points: np.ndarray, count: int) -> np.ndarray:
    """Return the points' coordinates on their first `count` principal axes (signs by `axis_signs`)."""
    centred = points - points.mean(axis=0)
    left, values, axes = np.linalg.svd(centred, full_matrices=False)
    count = min(count, len(values))
    return left[:, :count] * values[:count] * axis_signs(axes[:count])


def embed(points: np.ndarray, perplexity: float, steps: int) -> np.ndarray:
    """Return 2-D positions of the points (one per row) by exact t-SNE, started from their first two principal components."""
    count = len(points)
    squares = np.einsum("ij,ij->i", points, points)
    distances = np.maximum(squares[:, None] + squares[None, :] - 2.0 * (points @ points.T), 0.0)
    affinities = _joint(distances, perplexity)
    start = principal_components(points, 2)
    spread = float(np.std(start[:, 0])) or 1.0
    positions = start / spread * 1e-4
    rate = max(count / EARLY_EXAGGERATION / 4, 50.0)
    exploration = min(EXPLORATION_STEPS, steps)
    positions = _descend(positions, affinities * EARLY_EXAGGERATION, rate, EXPLORATION_MOMENTUM, exploration)
    return _descend(positions, affinities, rate, MOMENTUM, steps - exploration)


def _joint(distances: np.ndarray, perplexity: float) -> np.ndarray:
    """Return the symmetric neighbour probabilities of every pair, from squared distances."""
    conditional = _conditional(distances, perplexity)
    joint = conditional + conditional.T
    joint = np.maximum(joint / max(float(joint.sum()), EPSILON), EPSILON)
    np.fill_diagonal(joint, 0.0)
    return joint


def _conditional(distances: np.ndarray, perplexity: float) -> np.ndarray:
    """Return each point's Gaussian neighbour probabilities, its width searched for (by halving)
    until their entropy is the perplexity's logarithm."""
    count = len(distances)
    others = ~np.eye(count, dtype=bool)
    precision = np.ones(count)
    low, high = np.full(count, -math.inf), np.full(count, math.inf)
    target = math.log(perplexity)
    searching = np.ones(count, dtype=bool)
    probabilities = np.zeros_like(distances)
    for _ in range(PERPLEXITY_STEPS):
        rows = np.flatnonzero(searching)
        weights = np.exp(-distances[rows] * precision[rows, None]) * others[rows]
        totals = weights.sum(axis=1)
        totals[totals == 0.0] = 1e-8
        weights /= totals[:, None]
        probabilities[rows] = weights
        difference = np.log(totals) + precision[rows] * (distances[rows] * weights).sum(axis=1) - target
        settled = np.abs(difference) <= PERPLEXITY_TOLERANCE
        wider, narrower = rows[(difference > 0) & ~settled], rows[(difference < 0) & ~settled]
        low[wider] = precision[wider]
        precision[wider] = np.where(high[wider] == math.inf, precision[wider] * 2.0, (precision[wider] + high[wider]) / 2.0)
        high[narrower] = precision[narrower]
        precision[narrower] = np.where(low[narrower] == -math.inf, precision[narrower] / 2.0, (precision[narrower] + low[narrower]) / 2.0)
        searching[rows[settled]] = False
        if not searching.any():
            break
    return probabilities


def _descend(positions: np.ndarray, affinities: np.ndarray, rate: float, momentum: float, steps: int) -> np.ndarray:
    """Move the positions down the gradient of the divergence, with momentum and per-coordinate gains."""
    positions = positions.copy()
    update = np.zeros_like(positions)
    gains = np.ones_like(positions)
    for _ in range(steps):
        gradient = _gradient(positions, affinities)
        growing = update * gradient < 0.0
        gains = np.maximum(np.where(growing, gains + 0.2, gains * 0.8), MIN_GAIN)
        update = momentum * update - rate * gains * gradient
        positions += update
    return positions


def _gradient(positions: np.ndarray, affinities: np.ndarray) -> np.ndarray:
    """Return the gradient of the Kullback-Leibler divergence between the affinities and the Student-t closeness of the positions."""
    squares = np.einsum("ij,ij->i", positions, positions)
    kernel = 1.0 / (1.0 + np.maximum(squares[:, None] + squares[None, :] - 2.0 * (positions @ positions.T), 0.0))
    np.fill_diagonal(kernel, 0.0)
    closeness = np.maximum(kernel / kernel.sum(), EPSILON)
    pull = (affinities - closeness) * kernel
    return 4.0 * (pull.sum(axis=1)[:, None] * positions - pull @ positions)

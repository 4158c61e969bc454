"""The grouping methods compared by benchmarks/grouping.py; the chosen one lives in generator/sections.py.

Every alternative gets the same features, the same choice of k (best silhouette in [low, high] in
the method's own space, groups below the minimum size dissolved) and the same "Other" rule, so the
table compares the clustering itself. The chosen consensus method picks its own number of groups
(papers together in more than half of the runs), within the same bounds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.decomposition import NMF, TruncatedSVD
from sklearn.preprocessing import normalize

from generator.features import Features
from generator.sections import (
    CONSENSUS_EXTRA,
    LINKAGE,
    OTHER_SIMILARITY,
    best_partition,
    co_association,
    find_groups,
    leave_one_out_similarity,
    shared_neighbour_similarity,
    to_distance,
)

RANDOM_STATE = 0
LSA_COMPONENTS = 60
KMEANS_RESTARTS = 10
SPECTRAL_NEIGHBOURS = 10
NMF_ITERATIONS = 1000

Cutter = Callable[[int], np.ndarray]


def _other(matrix: np.ndarray, labels: np.ndarray) -> np.ndarray:
    labels = labels.copy()
    labels[leave_one_out_similarity(matrix, labels) < OTHER_SIMILARITY] = -1
    return labels


def _cosine_distance(points: np.ndarray) -> np.ndarray:
    return to_distance(np.round(points @ points.T, 10))


def kmeans_lsa(features: Features) -> tuple[np.ndarray, np.ndarray, Cutter]:
    """k-means (10 restarts, fixed seed) on a 60-dimensional LSA of the TF-IDF rows."""
    matrix = features.matrix
    components = min(LSA_COMPONENTS, matrix.shape[0] - 1, matrix.shape[1] - 1)
    svd = TruncatedSVD(n_components=components, algorithm="randomized", n_iter=7, random_state=RANDOM_STATE)
    points = normalize(svd.fit_transform(matrix))

    def cut(k: int) -> np.ndarray:
        return KMeans(n_clusters=k, n_init=KMEANS_RESTARTS, random_state=RANDOM_STATE, max_iter=300).fit_predict(points)

    return points, _cosine_distance(points), cut


def agglomerative_cosine(features: Features) -> tuple[np.ndarray, np.ndarray, Cutter]:
    """Average-linkage agglomerative clustering on cosine distance of the TF-IDF rows."""
    points = features.matrix.toarray()
    distance = _cosine_distance(points)
    tree = linkage(squareform(distance, checks=False), method="average")
    return points, distance, lambda k: fcluster(tree, k, criterion="maxclust") - 1


def nmf(features: Features) -> tuple[np.ndarray, np.ndarray, Cutter]:
    """NMF topics (NNDSVD start, deterministic); each paper goes to its strongest topic."""
    points = features.matrix.toarray()

    def cut(k: int) -> np.ndarray:
        model = NMF(n_components=k, init="nndsvd", random_state=RANDOM_STATE, max_iter=NMF_ITERATIONS)
        return np.argmax(model.fit_transform(features.matrix), axis=1)

    return points, _cosine_distance(points), cut


def spectral(features: Features) -> tuple[np.ndarray, np.ndarray, Cutter]:
    """Spectral clustering of the 10-nearest-neighbour graph (cluster_qr, fixed seed)."""
    points = features.matrix.toarray()

    def cut(k: int) -> np.ndarray:
        model = SpectralClustering(
            n_clusters=k, affinity="nearest_neighbors", n_neighbors=min(SPECTRAL_NEIGHBOURS, len(points) - 1),
            assign_labels="cluster_qr", random_state=RANDOM_STATE,
        )
        return model.fit_predict(points)

    return points, _cosine_distance(points), cut


def shared_neighbour(features: Features) -> tuple[np.ndarray, np.ndarray, Cutter]:
    """Average-linkage clustering of shared-neighbour similarity, one run on all papers (default until consensus)."""
    points = features.matrix.toarray()
    distance = to_distance(shared_neighbour_similarity(features.matrix))
    tree = linkage(squareform(distance, checks=False), method=LINKAGE)
    return points, distance, lambda k: fcluster(tree, k, criterion="maxclust") - 1


ALTERNATIVES = {
    "k-means on LSA (old default)": kmeans_lsa,
    "agglomerative, cosine, average": agglomerative_cosine,
    "NMF": nmf,
    "spectral, 10-NN graph": spectral,
    "shared-neighbour agglomerative, one run": shared_neighbour,
}
CHOSEN = "consensus of shared-neighbour runs (chosen)"


def group(name: str, features: Features, low: int, high: int, min_size: int) -> np.ndarray:
    """Label the papers with one method; -1 marks the "Other" section."""
    if name == CHOSEN:
        return find_groups(features, low, high, min_size)
    points, distance, cut = ALTERNATIVES[name](features)
    labels = best_partition(points, distance, cut, low, high, min_size)
    return _other(features.matrix.toarray(), labels)


def group_at(name: str, features: Features, k: int) -> np.ndarray:
    """Label the papers with one method at a given k (no size rule, no "Other")."""
    if name == CHOSEN:
        low, high = 4, 14  # the default bounds, as in `group`
        distance = to_distance(co_association(features, list(range(low + CONSENSUS_EXTRA, high + CONSENSUS_EXTRA + 1))))
        tree = linkage(squareform(distance, checks=False), method=LINKAGE)
        return fcluster(tree, k, criterion="maxclust") - 1
    return ALTERNATIVES[name](features)[2](k)


METHODS = (*ALTERNATIVES, CHOSEN)

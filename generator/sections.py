"""Group papers into themed sections: the curator's sections first, automatic ones otherwise.

Automatic sections come from average-linkage clustering of *shared-neighbour* similarity: two
papers are alike when the papers most like one of them are also most like the other. For a
survey of 30 to 300 papers, 100 such clusterings of key-hashed subsamples vote, and papers
grouped together in at least half of the runs they shared form a section. On the shipped survey
and on a second corpus with known topics this grouped papers closest to an editor's labels and
changed least when papers were removed (see benchmarks/README.md).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp

from .features import Features, fold, unit_length
from .indexes import slug
from .keywords import readable_title, section_keywords, section_names, titled
from .models import OTHER_ID, Overrides, Paper, Placement, Section

# Up to CONSENSUS_MAX papers, groups are the consensus of CONSENSUS_RUNS groupings of subsamples
# (each paper in CONSENSUS_SHARE of them, decided by its key), each cut into a number of groups
# from the bounds plus CONSENSUS_EXTRA (small groups are dissolved later); two papers stay
# together when they were together in at least half (CONSENSUS_CUT) of the runs they shared.
# On the shipped survey this moved fewer papers when papers were removed (benchmarks/README.md).
# Below CONSENSUS_MIN papers a subsample's neighbourhoods span most of it, so one run on all
# papers is used.
CONSENSUS_MIN = 30  # three times NEIGHBOURS
CONSENSUS_MAX = 300
CONSENSUS_RUNS = 100
CONSENSUS_SHARE = 0.8
CONSENSUS_EXTRA = 2
CONSENSUS_CUT = 0.5
# Salts the hash that draws the consensus subsamples: always empty in a build. The grouping
# benchmark draws them other ways to tell how much its figures owe to one draw.
DRAW = ""
# Up to this many papers, pairwise similarities (n² numbers) are computed; a larger survey is
# grouped by k-means (3 restarts, fixed seed) on a 60-dimensional LSA view instead, fitted on a
# key-hashed sample of LARGE_SAMPLE papers, and k is chosen by the silhouette of that sample.
MAX_PAIRWISE = 3000
# A cut into more groups than the lower bound is tried up to this many times that bound, when
# dissolving small groups leaves too few (see `enough_groups`).
MAX_CUT_FACTOR = 4
LARGE_SAMPLE = 2000
LSA_COMPONENTS = 60
KMEANS_RESTARTS = 3
SILHOUETTE_SAMPLE = 2000
RANDOM_STATE = 0
# Each paper's nearest papers that define its neighbourhood in the shared-neighbour similarity.
NEIGHBOURS = 10
# Clustering of the shared-neighbour distances; "average" is UPGMA, deterministic.
LINKAGE = "average"
# Similarities are rounded before clustering and scoring, so that the last bits of floating point
# arithmetic (which differ between BLAS builds) never change a section.
DECIMALS = 10
SCORE_DECIMALS = 4
# A paper whose cosine similarity to the rest of its section (or, unpinned, to the section it fits
# best) is below this goes to the "Other" section instead: it is reported, never forced in.
# On the shipped survey the papers of a section sit at 0.15–0.45 from its centre; 0.05 means
# "shares almost no distinctive words with any section".
OTHER_SIMILARITY = 0.05
OTHER_TITLE = "Other papers"
# Shown to readers; the curator learns of these papers from the build and `survey themes`.
OTHER_DESCRIPTION = "Papers that fit none of the sections closely."
# How much a curated section's own words (title, description, keywords) weigh against the
# centre of its pinned papers; both are unit vectors.
SEED_WEIGHT = 0.5


def shared_neighbour_similarity(matrix: sp.csr_matrix, neighbours: int = NEIGHBOURS) -> np.ndarray:
    """Return the cosine similarity of papers' neighbourhood profiles (second-order similarity)."""
    rows = matrix.shape[0]
    cosine = np.asarray((matrix @ matrix.T).todense()) if sp.issparse(matrix) else matrix @ matrix.T
    np.fill_diagonal(cosine, 0.0)
    cosine = np.round(cosine, DECIMALS)
    keep = min(neighbours, rows - 1)
    if keep < 1:
        return np.eye(rows)
    # Keep each paper's `keep` most similar papers (ties kept together, so order never matters).
    threshold = -np.sort(-cosine, axis=1)[:, keep - 1 : keep]
    graph = np.where((cosine >= threshold) & (cosine > 0), cosine, 0.0)
    graph = np.maximum(graph, graph.T)
    # A paper counts as its own nearest neighbour.
    graph += np.diag(graph.max(axis=1))
    profiles = unit_length(graph)
    return np.round(profiles @ profiles.T, DECIMALS)


def to_distance(similarity: np.ndarray) -> np.ndarray:
    """Turn a similarity matrix into a symmetric distance matrix with a zero diagonal."""
    distance = np.clip(1.0 - similarity, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    return (distance + distance.T) / 2


def group_totals(matrix: sp.spmatrix | np.ndarray, labels: np.ndarray, count: int, basis: np.ndarray | None = None) -> np.ndarray:
    """Return the sum of each group's rows (only rows in `basis`, when given) as a dense array."""
    rows = np.flatnonzero((labels >= 0) & (labels < count) & (True if basis is None else basis))
    membership = sp.csr_matrix((np.ones(len(rows)), (labels[rows], rows)), shape=(count, matrix.shape[0]))
    totals = membership @ matrix
    return np.asarray(totals.todense()) if sp.issparse(totals) else np.asarray(totals)


def fit_to_groups(
    matrix: sp.spmatrix | np.ndarray, labels: np.ndarray, count: int, basis: np.ndarray | None = None, seeds: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return each paper's cosine similarity to every group's centre, and to the rest of its own group.

    A centre is the unit mean of the group's rows in `basis` (all rows by default), plus
    SEED_WEIGHT times the group's unit seed vector when `seeds` are given. A paper's own group is
    measured without the paper itself. Everything stays sparse: n papers by `count` groups.
    """
    n = matrix.shape[0]
    basis = np.ones(n, dtype=bool) if basis is None else basis
    totals = group_totals(matrix, labels, count, basis)
    weight = SEED_WEIGHT if seeds is not None else 0.0
    seed_rows = seeds if seeds is not None else np.zeros_like(totals)
    centres = unit_length(unit_length(totals) + weight * seed_rows) if count else totals
    similarity = np.asarray(matrix @ centres.T) if count else np.zeros((n, 0))
    if not count:
        return similarity, np.zeros(n)
    own = np.maximum(labels, 0)
    row_norm = np.asarray((matrix * matrix).sum(axis=1) if isinstance(matrix, np.ndarray) else matrix.multiply(matrix).sum(axis=1)).ravel()
    total_x = np.asarray(matrix @ totals.T)[np.arange(n), own]
    seed_x = np.asarray(matrix @ seed_rows.T)[np.arange(n), own]
    total_seed = np.einsum("ij,ij->i", totals, seed_rows)[own]
    total_norm = np.einsum("ij,ij->i", totals, totals)[own]
    removed = basis.astype(float)  # a member of the basis leaves its own centre
    rest_norm = np.sqrt(np.maximum(total_norm - 2 * removed * total_x + removed * row_norm, 0.0))
    # A paper alone in its group has no rest: decided by counting, not by a norm that rounding
    # leaves a hair above zero.
    members = np.bincount(labels[(labels >= 0) & basis], minlength=count)[own]
    has_rest = (members - removed > 0) & (rest_norm > 1e-9)
    safe = np.where(has_rest, rest_norm, 1.0)
    x_rest = np.where(has_rest, (total_x - removed * row_norm) / safe, 0.0)
    rest_seed = np.where(has_rest, (total_seed - removed * seed_x) / safe, 0.0)
    has_rest = has_rest.astype(float)
    centre_norm = np.sqrt(np.maximum(has_rest + weight**2 + 2 * weight * rest_seed, 0.0))
    fit = np.where(centre_norm > 1e-12, (x_rest + weight * seed_x) / np.where(centre_norm > 1e-12, centre_norm, 1.0), 0.0)
    return similarity, np.where(labels >= 0, fit, 0.0)


def _dissolve_small(matrix: sp.spmatrix | np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    """Give the members of too-small groups to the nearest large group; number groups 0, 1, …"""
    labels = labels.copy()
    sizes = np.bincount(labels)
    large = [g for g in np.flatnonzero(sizes) if sizes[g] >= min_size]
    if not large:
        return np.zeros_like(labels)
    small = np.flatnonzero(sizes[labels] < min_size)
    if len(small):
        centres = unit_length(group_totals(matrix, labels, int(labels.max()) + 1)[large])
        labels[small] = np.asarray(large)[np.argmax(np.asarray(matrix[small] @ centres.T), axis=1)]
    # Number groups by their first member, so labels depend only on the content.
    _, first = np.unique(labels, return_index=True)
    order = {g: n for n, g in enumerate(labels[np.sort(first)])}
    return np.array([order[g] for g in labels])


def enough_groups(matrix: sp.spmatrix | np.ndarray, cut: Callable[[int], np.ndarray], start: int, low: int, min_size: int) -> np.ndarray:
    """Cut into `start` groups, or more while dissolving the small ones leaves fewer than `low`.

    A cut of a tree into k groups often holds a few groups under the minimum size; dissolved,
    they left fewer sections than the curator's lower bound. One more cut splits one group, so
    the first cut that leaves `low` groups leaves exactly that many. When no cut does (the
    papers hold fewer groups of that size), the cut that left the most is kept.
    """
    count = matrix.shape[0]
    best = _dissolve_small(matrix, cut(start), min_size)
    for k in range(start + 1, min(count, MAX_CUT_FACTOR * max(low, 1)) + 1):
        if len(set(best.tolist())) >= low:
            break
        labels = _dissolve_small(matrix, cut(k), min_size)
        if len(set(labels.tolist())) > len(set(best.tolist())):
            best = labels
    return best


def best_partition(
    matrix: sp.spmatrix | np.ndarray, distance: np.ndarray | None, cut: Callable[[int], np.ndarray], low: int, high: int, min_size: int, points: np.ndarray | None = None
) -> np.ndarray:
    """Cut for every k in [low, high]; keep the partition with the best silhouette (fewest groups on
    ties) among those that leave `low` to `high` groups once small ones are dissolved."""
    # Imported here: importing scikit-learn takes over half a second, and a curated survey,
    # whose papers go to the nearest section, never needs it.
    from sklearn.metrics import silhouette_score

    count = matrix.shape[0]
    high = min(high, count // max(min_size, 1))
    best: tuple[float, np.ndarray] | None = None
    for k in range(max(2, min(low, high)), high + 1):
        labels = _dissolve_small(matrix, cut(k), min_size)
        if len(set(labels)) < max(2, min(low, high)):
            continue
        if distance is not None:
            score = float(silhouette_score(distance, labels, metric="precomputed"))
        else:  # too many papers for all pairs: a fixed sample of them
            score = float(silhouette_score(points, labels, metric="cosine", sample_size=SILHOUETTE_SAMPLE, random_state=RANDOM_STATE))
        score = round(score, SCORE_DECIMALS)
        if best is None or score > best[0]:
            best = (score, labels)
    if best is None and high >= 2:  # every cut in range left too few groups of the minimum size
        labels = enough_groups(matrix, cut, high + 1, min(low, high), min_size)
        return labels if len(set(labels.tolist())) >= 2 else np.zeros(count, dtype=int)
    return best[1] if best else np.zeros(count, dtype=int)


def leave_one_out_similarity(matrix: sp.spmatrix | np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Return each paper's cosine similarity to the other members of its group."""
    return fit_to_groups(matrix, labels, int(labels.max()) + 1 if len(labels) else 0)[1]


def subsample_members(keys: Sequence[str], run: int, share: float = CONSENSUS_SHARE) -> np.ndarray:
    """Tell which papers take part in one consensus run: decided by each paper's own key.

    A paper's place in every run depends on nothing but its key and the run's number, so adding
    or removing other papers leaves every run's other members as they were.
    """
    draws = [zlib.crc32(f"{DRAW}{key}\x00{run}".encode()) for key in keys]
    return np.array(draws, dtype=np.float64) / 2**32 < share


def import_clustering() -> None:
    """Import what automatic sections are grouped with: SciPy's clustering and scikit-learn (over half a second)."""
    import scipy.cluster.hierarchy  # noqa: F401
    import sklearn.metrics  # noqa: F401


def _linkage(distance: np.ndarray) -> np.ndarray:
    """Return the average-linkage tree of papers from their square matrix of distances."""
    # SciPy's clustering is imported here, as it is first needed: its import takes 0.2 s, and a
    # curated survey never needs it.
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    return linkage(squareform(distance, checks=False), method=LINKAGE)


def _fcluster(tree: np.ndarray, threshold: float, criterion: str) -> np.ndarray:
    """Return the groups (numbered from 1) that cutting the tree at `threshold` leaves."""
    from scipy.cluster.hierarchy import fcluster

    return fcluster(tree, threshold, criterion=criterion)


def co_association(features: Features, sizes: Sequence[int], runs: int = CONSENSUS_RUNS) -> np.ndarray:
    """Return how often each two papers were grouped together, over runs on subsamples of the papers."""
    count = len(features.keys)
    together, both = np.zeros((count, count)), np.zeros((count, count))
    for run in range(runs):
        inside = np.flatnonzero(subsample_members(features.keys, run))
        if len(inside) < 3:
            continue
        distance = to_distance(shared_neighbour_similarity(features.matrix[inside]))
        tree = _linkage(distance)
        labels = _fcluster(tree, min(sizes[run % len(sizes)], len(inside)), criterion="maxclust")
        block = np.ix_(inside, inside)
        together[block] += labels[:, None] == labels[None, :]
        both[block] += 1
    share = np.round(together / np.maximum(both, 1), DECIMALS)
    np.fill_diagonal(share, 1.0)
    return share


def _consensus_groups(features: Features, low: int, high: int, min_size: int) -> np.ndarray:
    """Group papers that were grouped together in at least half of the runs they shared (on average)."""
    sizes = list(range(low + CONSENSUS_EXTRA, high + CONSENSUS_EXTRA + 1))
    distance = to_distance(co_association(features, sizes))
    tree = _linkage(distance)
    labels = _dissolve_small(features.matrix, _fcluster(tree, CONSENSUS_CUT, criterion="distance") - 1, min_size)
    groups = len(set(labels.tolist()))
    if low <= groups <= high:
        return labels

    def cut(k: int) -> np.ndarray:
        return _fcluster(tree, k, criterion="maxclust") - 1

    # Within the curator's bounds: counted after small groups are dissolved.
    return enough_groups(features.matrix, cut, min(max(groups, low), high), low, min_size)


def find_groups(features: Features, low: int, high: int, min_size: int) -> np.ndarray:
    """Label each paper with a group 0, 1, …, or -1 when it fits no group (the "Other" section)."""
    count = len(features.keys)
    if count < 3 or not features.terms or high < 2 or count // max(min_size, 1) < 2:
        return np.zeros(count, dtype=int)
    matrix = features.matrix
    if CONSENSUS_MIN <= count <= CONSENSUS_MAX:
        labels = _consensus_groups(features, low, min(high, count // max(min_size, 1)), min_size)
    elif count <= MAX_PAIRWISE:
        distance = to_distance(shared_neighbour_similarity(matrix))
        tree = _linkage(distance)

        def cut(k: int) -> np.ndarray:
            return _fcluster(tree, k, criterion="maxclust") - 1

        labels = best_partition(matrix, distance, cut, low, high, min_size)
    else:
        labels = _large_groups(features, low, high, min_size)
    labels[leave_one_out_similarity(matrix, labels) < OTHER_SIMILARITY] = -1
    return labels


def _large_groups(features: Features, low: int, high: int, min_size: int) -> np.ndarray:
    """Group a survey too large for pairwise similarities: k-means on a low-rank view (LSA).

    The view and the centres are fitted on a sample of LARGE_SAMPLE papers (chosen by their keys,
    as consensus runs are), then every paper goes to its nearest centre: time grows linearly.
    """
    # Imported here: only automatic sections of more than MAX_PAIRWISE papers need them.
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD

    matrix = features.matrix
    count = matrix.shape[0]
    share = min(1.0, LARGE_SAMPLE / count)
    sample = np.flatnonzero(subsample_members(features.keys, 0, share)) if share < 1 else np.arange(count)
    components = min(LSA_COMPONENTS, len(sample) - 1, matrix.shape[1] - 1)
    if components < 2:
        return np.zeros(count, dtype=int)
    svd = TruncatedSVD(n_components=components, algorithm="randomized", n_iter=7, random_state=RANDOM_STATE)
    points = unit_length(svd.fit_transform(matrix[sample]))
    models: dict[int, KMeans] = {}

    def cut(k: int) -> np.ndarray:
        models[k] = KMeans(n_clusters=k, n_init=KMEANS_RESTARTS, random_state=RANDOM_STATE, max_iter=300).fit(points)
        return models[k].labels_

    # The sample is small enough for all its pairs: one distance matrix serves every k.
    chosen = best_partition(points, to_distance(np.round(points @ points.T, DECIMALS)), cut, low, high, min_size)
    if len(set(chosen.tolist())) < 2:
        return np.zeros(count, dtype=int)
    # Every paper to the nearest centre of the chosen groups (centres of the sample's groups).
    centres = unit_length(group_totals(points, chosen, int(chosen.max()) + 1))
    everyone = unit_length(svd.transform(matrix))
    labels = np.argmax(np.round(everyone @ centres.T, DECIMALS), axis=1)
    return _dissolve_small(matrix, labels, min_size)


def _order(papers: Sequence[Paper], keys: set[str]) -> tuple[str, ...]:
    chosen = [p for p in papers if p.key in keys]
    chosen.sort(key=lambda p: (-(p.year or 0), p.title.casefold(), p.key))
    return tuple(p.key for p in chosen)


def _counted(keyword: str) -> str:
    """Return a keyword as its words are counted ("sub-tasks" → "subtask"), however the papers write it."""
    return " ".join(fold(word) for word in keyword.split())


def _section_id(words: Sequence[str], used: set[str]) -> str:
    """Derive an id from a section's best keyword, so that it survives changes to its members.

    The id is made from the keyword as it is counted, not as it is shown: which form the papers
    write most often ("sub-tasks" or "subtask", "LLMs" or "LLM") can change when papers are
    added or removed, the term itself does not.
    """
    words = [_counted(word) for word in words]
    # As the indexes' anchors are made: "réseau" is "reseau", a word of another script its code points.
    candidates = [slug(words[0])] if words else []
    candidates += [slug(f"{words[0]} {extra}") for extra in words[1:]]
    # A group whose papers share no term (a survey of a paper or two) is plainly "papers".
    for candidate in candidates or ["papers"]:
        if candidate not in used and candidate != OTHER_ID:
            return candidate
    base = candidates[0] if candidates else "papers"
    number = 2
    while f"{base}-{number}" in used:
        number += 1
    return f"{base}-{number}"


def _other_section(papers: Sequence[Paper], keys: set[str], words: tuple[str, ...]) -> Section:
    return Section(OTHER_ID, OTHER_TITLE, OTHER_DESCRIPTION, words, _order(papers, keys))


def _automatic(papers: Sequence[Paper], features: Features, overrides: Overrides) -> tuple[list[Section], list[Placement]]:
    labels = find_groups(features, overrides.min_sections, overrides.max_sections, overrides.min_section_size)
    count = int(labels.max()) + 1
    # The "Other" papers are one more class for keywords, so that no section's keywords describe them.
    # Ids and titles come from the plainer ranking, whose first terms are the section's most
    # used: from the keywords shown, ids kept after 10 random removals fell from 73 % to 70 %
    # (means over ten draws; benchmarks/README.md), and a title read "LLMs · user" for "LLMs · evaluation".
    names, keywords = section_names(features, np.where(labels < 0, count, labels), count + 1)
    sections: list[Section] = []
    used: set[str] = set()
    for group in range(count):
        words = titled(names[group], keywords[group])
        section_id = _section_id(words, used)
        used.add(section_id)
        members = {features.keys[i] for i in np.flatnonzero(labels == group)}
        sections.append(Section(section_id, readable_title(words), "", words, _order(papers, members)))
    sections.sort(key=lambda s: (-len(s.papers), s.id))
    others = {features.keys[i] for i in np.flatnonzero(labels < 0)}
    if others:
        sections.append(_other_section(papers, others, keywords[count]))
    section_of = {key: s.id for s in sections for key in s.papers}
    placements = _placements(features, labels, set(), None)
    return sections, [Placement(p.key, section_of[p.key], p.similarity, False, p.margin) for p in placements]


def _placements(features: Features, labels: np.ndarray, pinned: set[str], seeds: np.ndarray | None) -> list[Placement]:
    """Return each paper's similarity to the rest of its section and its margin over the next best.

    With `seeds` (curated sections) a section's centre is its pinned papers plus its own words,
    the same centre that placed the unpinned papers; otherwise it is all its members.
    """
    count = max(int(labels.max()) + 1 if len(labels) else 0, 0 if seeds is None else len(seeds))
    if not features.terms:
        return [Placement(k, str(labels[i]), 0.0, k in pinned) for i, k in enumerate(features.keys)]
    basis = np.array([key in pinned for key in features.keys]) if seeds is not None else None
    similarity, own = fit_to_groups(features.matrix, labels, count, basis, seeds)
    rows = np.arange(len(labels))
    grouped = labels >= 0
    if count:
        # The best section other than the paper's own; a paper in "Other" gets how close the
        # nearest section came, and no margin.
        others = similarity.copy()
        others[rows[grouped], labels[grouped]] = -np.inf
        runner_up = others.max(axis=1) if count > 1 else np.full(len(labels), -np.inf)
        fit = np.where(grouped, own, similarity.max(axis=1))
        margin = np.where(grouped, np.where(np.isfinite(runner_up), fit - runner_up, fit), 0.0)
    else:
        fit, margin = np.zeros(len(labels)), np.zeros(len(labels))
    return [
        Placement(key, str(label), round(f, 6), key in pinned, round(m, 6))
        for key, label, f, m in zip(features.keys, labels.tolist(), fit.tolist(), margin.tolist(), strict=True)
    ]


def _seed_vectors(features: Features, overrides: Overrides) -> np.ndarray:
    """Return each curated section's title, description and keywords as a unit TF-IDF vector."""
    specs = overrides.sections
    texts = [(f"{s.title} {' '.join(s.keywords)}", f"{s.description} {' '.join(s.keywords)}") for s in specs]
    return unit_length(features.transform(texts).toarray()) if features.terms else np.zeros((len(specs), 1))


def _curated(papers: Sequence[Paper], features: Features, overrides: Overrides) -> tuple[list[Section], list[Placement]]:
    specs = overrides.sections
    index = {spec.id: position for position, spec in enumerate(specs)}
    labels = np.array([index.get(p.section or "", -1) for p in papers], dtype=int)
    pinned_keys = {p.key for p in papers if p.section in index}
    seeds = _seed_vectors(features, overrides)
    free = np.flatnonzero(labels < 0)
    if len(free) and features.terms:
        pinned = labels >= 0
        totals = group_totals(features.matrix, labels, len(specs), pinned)
        centres = unit_length(unit_length(totals) + SEED_WEIGHT * seeds)
        similarity = np.round(np.asarray(features.matrix[free] @ centres.T), DECIMALS)
        # Ties go to the earlier section, so placement depends on nothing but content.
        best = np.argmax(similarity, axis=1)
        fits = similarity[np.arange(len(free)), best] >= OTHER_SIMILARITY
        # A curator's own "other" section takes the misfits; otherwise they get one of their own.
        labels[free] = np.where(fits, best, index.get(OTHER_ID, -1))
    elif len(free):
        labels[free] = 0
    extra = int(np.any(labels < 0))
    keywords = section_keywords(features, np.where(labels < 0, len(specs), labels), len(specs) + extra)
    sections = []
    for position, spec in enumerate(specs):
        members = {features.keys[i] for i in np.flatnonzero(labels == position)}
        words = keywords[position] or spec.keywords
        sections.append(Section(spec.id, spec.title, spec.description, words, _order(papers, members), curated=True))
    misfits = {features.keys[i] for i in np.flatnonzero(labels < 0)}
    if misfits:
        sections.append(_other_section(papers, misfits, keywords[len(specs)]))
    raw = _placements(features, labels, pinned_keys, seeds)
    ids = [s.id for s in sections]
    return sections, [Placement(p.key, ids[int(labels[i])] if labels[i] >= 0 else OTHER_ID, p.similarity, p.pinned, p.margin) for i, p in enumerate(raw)]


def assign_sections(papers: Sequence[Paper], features: Features, overrides: Overrides) -> tuple[list[Section], list[Placement]]:
    """Put every paper in one section; the curator's sections and pins win."""
    if not papers:
        return [], []
    if overrides.sections:
        return _curated(papers, features, overrides)
    return _automatic(papers, features, overrides)

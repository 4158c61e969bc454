"""Measure how papers are grouped: methods, placement, stability and determinism.

Run `python benchmarks/grouping.py` to print the tables; `--write` also puts them into
benchmarks/README.md between the grouping markers.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score
from sklearn.preprocessing import normalize

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import HERE, Corpus, second, shipped, unpinned  # noqa: E402
from methods import CHOSEN, METHODS, group, group_at  # noqa: E402

from generator import related, sections  # noqa: E402
from generator.features import featurize  # noqa: E402
from generator.keywords import section_keywords, section_names  # noqa: E402
from generator.models import Overrides, Paper, Section  # noqa: E402
from generator.sections import assign_sections, find_groups  # noqa: E402

README = HERE / "README.md"
START, END = "<!-- grouping:start -->", "<!-- grouping:end -->"
PLACEMENT_COUNT = 12
REMOVED = 10
# Draws of the consensus subsamples the mean figures are taken over.
DRAWS = 10
RANDOM_REMOVALS = 10
SEED = 0
BOOTSTRAPS = 30


@dataclasses.dataclass(frozen=True, slots=True)
class Scores:
    """How one method grouped one corpus."""

    k: int
    other: int
    nmi: float
    ari: float
    silhouette: float
    nmi_at_k: float
    seconds: float


def score(corpus: Corpus, method: str) -> Scores:
    """Group a corpus without overrides or pins and compare with its known labels."""
    papers = unpinned(corpus.papers)
    features = featurize(papers, corpus.overrides.stop_words)
    bounds = Overrides()
    started = time.perf_counter()
    labels = group(method, features, bounds.min_sections, bounds.max_sections, bounds.min_section_size)
    seconds = time.perf_counter() - started
    truth = [corpus.labels[p.key] for p in papers]
    grouped = labels >= 0
    cosine = np.clip(1 - (features.matrix @ features.matrix.T).toarray(), 0, 2)
    np.fill_diagonal(cosine, 0)
    inner = cosine[np.ix_(grouped, grouped)]
    silhouette = float(silhouette_score(inner, labels[grouped], metric="precomputed")) if len(set(labels[grouped])) > 1 else 0.0
    at_k = group_at(method, features, len(set(truth)))
    return Scores(
        k=len(set(labels[grouped])),
        other=int((~grouped).sum()),
        nmi=normalized_mutual_info_score(truth, labels),
        ari=adjusted_rand_score(truth, labels),
        silhouette=silhouette,
        nmi_at_k=normalized_mutual_info_score(truth, at_k),
        seconds=seconds,
    )


def label_silhouette(corpus: Corpus) -> float:
    """Return the silhouette of the known labels themselves, for reference."""
    features = featurize(list(corpus.papers), corpus.overrides.stop_words)
    cosine = np.clip(1 - (features.matrix @ features.matrix.T).toarray(), 0, 2)
    np.fill_diagonal(cosine, 0)
    return float(silhouette_score(cosine, [corpus.labels[k] for k in features.keys], metric="precomputed"))


def sections_of(papers: Sequence[Paper], overrides: Overrides) -> tuple[list[Section], dict[str, str]]:
    """Build the sections in memory; return them and each paper's section id."""
    sections, _ = assign_sections(papers, featurize(papers, overrides.stop_words, overrides.keywords()), overrides)
    return sections, {key: s.id for s in sections for key in s.papers}


def placement_sample(corpus: Corpus) -> list[str]:
    """Pick 12 pinned papers spread over the curated sections: the first key of each, in turn."""
    pinned = {}
    for paper in corpus.papers:
        pinned.setdefault(paper.section, []).append(paper.key)
    chosen: list[str] = []
    depth = 0
    while len(chosen) < PLACEMENT_COUNT:
        for spec in corpus.overrides.sections:
            keys = pinned.get(spec.id, [])
            if depth < len(keys) and len(chosen) < PLACEMENT_COUNT:
                chosen.append(keys[depth])
        depth += 1
    return chosen


def placement(corpus: Corpus, alone: bool = True) -> tuple[int, int, int, int]:
    """Unpin 12 curated papers and rebuild; also unpin each paper alone (unless not `alone`). Return (hits, 12, hits, all)."""
    curator = {p.key: p.section for p in corpus.papers}
    sample = placement_sample(corpus)
    _, placed = sections_of(unpinned(corpus.papers, set(sample)), corpus.overrides)
    hits = sum(placed[key] == curator[key] for key in sample)
    if not alone:
        return hits, len(sample), 0, len(corpus.papers)
    features = featurize(list(corpus.papers), corpus.overrides.stop_words, corpus.overrides.keywords())
    alone = 0
    for paper in corpus.papers:
        _, placements = assign_sections(unpinned(corpus.papers, {paper.key}), features, corpus.overrides)
        alone += next(p.section for p in placements if p.key == paper.key) == curator[paper.key]
    return hits, len(sample), alone, len(corpus.papers)


def removals(count: int) -> list[np.ndarray]:
    """Return the papers to remove: every 12th paper (spread), then seeded random draws."""
    spread = np.arange(count // (2 * REMOVED), count, count // REMOVED)[:REMOVED]
    rng = np.random.default_rng(SEED)
    return [spread] + [np.sort(rng.choice(count, REMOVED, replace=False)) for _ in range(RANDOM_REMOVALS)]


def stability(corpus: Corpus) -> list[tuple[float, float]]:
    """Remove 10 papers and rebuild with no overrides: (ARI, share keeping its id) per removal."""
    papers = unpinned(corpus.papers)
    _, before = sections_of(papers, Overrides())
    result = []
    for removed in removals(len(papers)):
        rest = [p for i, p in enumerate(papers) if i not in set(removed.tolist())]
        _, after = sections_of(rest, Overrides())
        first = [before[p.key] for p in rest]
        second_ = [after[p.key] for p in rest]
        same = sum(a == b for a, b in zip(first, second_, strict=True)) / len(rest)
        result.append((adjusted_rand_score(first, second_), same))
    return result


def deterministic(corpus: Corpus) -> bool:
    """Tell whether two builds give the same sections, titles, keywords and order."""
    papers = unpinned(corpus.papers)
    runs = [sections_of(papers, Overrides())[0] for _ in range(2)]
    return runs[0] == runs[1]


def supervised_ceiling(corpus: Corpus) -> tuple[float, float]:
    """Place each paper by the centres of the editor's other labels: (NMI, accuracy), a ceiling."""
    features = featurize(unpinned(corpus.papers), corpus.overrides.stop_words)
    matrix = features.matrix.toarray()
    truth = np.array([corpus.labels[k] for k in features.keys])
    names = sorted(set(truth))
    guesses = []
    for row in range(len(truth)):
        others = np.arange(len(truth)) != row
        centres = normalize(np.vstack([matrix[others & (truth == n)].sum(axis=0) for n in names]))
        guesses.append(names[int(np.argmax(centres @ matrix[row]))])
    return normalized_mutual_info_score(truth, guesses), float(np.mean(np.array(guesses) == truth))


def reproducible_groups(corpus: Corpus) -> list[float]:
    """Return, per automatic group, its mean best Jaccard match when a fifth of the papers is left out."""
    features = featurize(unpinned(corpus.papers), corpus.overrides.stop_words)
    bounds = Overrides()
    args = (bounds.min_sections, bounds.max_sections, bounds.min_section_size)
    labels = find_groups(features, *args)
    groups = [set(np.flatnonzero(labels == g).tolist()) for g in range(labels.max() + 1)]
    rng = np.random.default_rng(SEED)
    totals = np.zeros(len(groups))
    for _ in range(BOOTSTRAPS):
        kept = np.sort(rng.choice(len(labels), int(0.8 * len(labels)), replace=False))
        part = dataclasses.replace(features, keys=tuple(features.keys[i] for i in kept), matrix=features.matrix[kept], counts=features.counts[kept], title_counts=features.title_counts[kept])
        sub = find_groups(part, *args)
        found = [set(kept[sub == g].tolist()) for g in range(sub.max() + 1)]
        for n, members in enumerate(groups):
            present = members & set(kept.tolist())
            totals[n] += max((len(present & f) / len(present | f) for f in found), default=0.0)
    return sorted((totals / BOOTSTRAPS).tolist(), reverse=True)


@contextlib.contextmanager
def drawn(salt: str) -> Iterator[None]:
    """Draw the consensus subsamples another way (see generator.sections.DRAW)."""
    before, sections.DRAW = sections.DRAW, salt
    try:
        yield
    finally:
        sections.DRAW = before


def draw_means(corpus: Corpus) -> tuple[float, float, float, float, float, float]:
    """Return the means over DRAWS draws of the subsamples: NMI, then the every-12th removal's ARI and
    share of ids kept, then the random removals' ARI and share kept, and placement hits."""
    figures = []
    for salt in ["", *(str(n) for n in range(1, DRAWS))]:
        with drawn(salt):
            runs = stability(corpus)
            figures.append((score(corpus, CHOSEN).nmi, runs[0][0], runs[0][1], np.mean([r[0] for r in runs[1:]]), np.mean([r[1] for r in runs[1:]]), placement(corpus, alone=False)[0]))
    means = np.mean(figures, axis=0)
    return tuple(float(m) for m in means)  # type: ignore[return-value]


def keyword_figures(papers: Sequence[Paper], groups: Sequence[Sequence[str]], overrides: Overrides, shown: Sequence[Sequence[str]] | None = None) -> tuple[float, float]:
    """Return how well section keywords tell sections apart: the mean share of the papers using a
    keyword that are in its section, and the mean share of a section's papers using one of them.

    The keywords are `shown` (a section's own), or by class-based TF-IDF alone when not given.
    """
    features = featurize(papers, overrides.stop_words, overrides.keywords())
    row = {key: i for i, key in enumerate(features.keys)}
    labels = np.zeros(len(features.keys), dtype=int)
    for number, keys in enumerate(groups):
        labels[[row[k] for k in keys]] = number
    column = {features.shown(term): i for i, term in reversed(list(enumerate(features.terms)))}
    using = (features.counts > 0).tocsc()
    shares, covered = [], []
    for number, words in enumerate(shown if shown is not None else section_names(features, labels, len(groups))[0]):
        inside = labels == number
        users = [using[:, column[w]].nonzero()[0] for w in words]
        shares.append(np.mean([inside[rows].mean() for rows in users]))
        covered.append(inside[np.unique(np.concatenate(users))].sum() / inside.sum())
    return float(np.mean(shares)), float(np.mean(covered))


def keyword_table(corpora: Sequence[Corpus]) -> list[str]:
    """The keywords sections show, against class-based TF-IDF alone, on three groupings."""
    curated, _ = sections_of(corpora[0].papers, corpora[0].overrides)
    automatic, _ = sections_of(unpinned(corpora[0].papers), Overrides())
    topics = sorted(set(corpora[1].labels.values()))
    labelled = [[k for k, t in sorted(corpora[1].labels.items()) if t == topic] for topic in topics]
    second_features = featurize(corpora[1].papers)
    cases = [
        ("shipped survey, curated sections", corpora[0].papers, curated, corpora[0].overrides),
        ("shipped survey, automatic sections", tuple(unpinned(corpora[0].papers)), automatic, Overrides()),
    ]
    lines = [
        "",
        "Section keywords: of the papers using a keyword, the share in its section (mean over keywords and sections), and the share of a section's papers using at least one of its keywords:",
        "",
        "| grouping | class-based TF-IDF alone | the keywords shown |",
        "| --- | --- | --- |",
    ]
    rows = [(name, papers, [s.papers for s in found], overrides, [s.keywords for s in found]) for name, papers, found, overrides in cases]
    topic_of = [topics.index(corpora[1].labels[key]) for key in second_features.keys]
    second_shown = section_keywords(second_features, topic_of, len(topics))
    rows.append(("second corpus, its five topics (keywords as a curated section's)", corpora[1].papers, labelled, Overrides(), second_shown))
    for name, papers, groups, overrides, shown in rows:
        plain, chosen = keyword_figures(papers, groups, overrides), keyword_figures(papers, groups, overrides, shown)
        lines.append(f"| {name} | {plain[0]:.0%} in section, {plain[1]:.0%} covered | {chosen[0]:.0%} in section, {chosen[1]:.0%} covered |")
    return lines


def related_share(corpus: Corpus, shared_weight: float | None = None) -> float:
    """Return the share of papers' related papers that have the paper's own label (with
    `shared_weight` in place of the chosen weight of shared nearest papers, when given)."""
    features = featurize(list(corpus.papers), corpus.overrides.stop_words)
    before = related.SHARED_WEIGHT
    related.SHARED_WEIGHT = before if shared_weight is None else shared_weight
    try:
        found = related.related_papers(features)
    finally:
        related.SHARED_WEIGHT = before
    pairs = [(key, other) for key, others in found.items() for other in others]
    return sum(corpus.labels[a] == corpus.labels[b] for a, b in pairs) / len(pairs)


def related_table(corpora: Sequence[Corpus]) -> list[str]:
    """How often a paper's related papers share its label, by cosine alone and as chosen."""
    lines = [
        "",
        "Related papers (five per paper): the share that carries the paper's own label (the editor's section, or the topic):",
        "",
        "| corpus | cosine alone | with shared nearest papers (chosen) |",
        "| --- | --- | --- |",
    ]
    for corpus in corpora:
        lines.append(f"| {corpus.name} | {related_share(corpus, 0.0):.1%} | {related_share(corpus):.1%} |")
    return lines


def tables() -> str:
    """Measure everything and return the Markdown tables."""
    corpora = [shipped(), second()]
    lines = [
        "| corpus | method | sections | in Other | NMI | ARI | silhouette | NMI at the labels' k | seconds |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for corpus in corpora:
        for method in METHODS:
            s = score(corpus, method)
            lines.append(
                f"| {corpus.name} | {method} | {s.k} | {s.other} | {s.nmi:.3f} | {s.ari:.3f} | {s.silhouette:.3f} | {s.nmi_at_k:.3f} | {s.seconds:.2f} |"
            )
    for corpus in corpora:
        labels = len(set(corpus.labels.values()))
        lines.append(f"\nThe {corpus.name}'s own labels ({labels} groups) have a silhouette of {label_silhouette(corpus):.3f}.")
    ceiling, accuracy = supervised_ceiling(corpora[0])
    lines.append(
        f"\nCeiling: a supervised nearest-centre classifier, trained on the editor's labels of the other 117 "
        f"papers, agrees with the editor at NMI {ceiling:.3f} ({accuracy:.0%} of papers)."
    )
    for corpus in corpora:
        kept = reproducible_groups(corpus)
        lines.append(
            f"\n{corpus.name.capitalize()}: of its {len(kept)} automatic groups, {sum(j > 0.7 for j in kept)} reappear with a mean "
            f"Jaccard above 0.7 and {sum(j > 0.6 for j in kept)} above 0.6 when a fifth of the papers is left out "
            f"({BOOTSTRAPS} times): {', '.join(f'{j:.2f}' for j in kept)}."
        )
    hits, sample, alone, total = placement(corpora[0])
    runs = stability(corpora[0])
    aris, same = [r[0] for r in runs], [r[1] for r in runs]
    lines += [
        "",
        "| figure | target | result |",
        "| --- | --- | --- |",
        f"| placement: 12 curated papers unpinned (first of each section), back where the curator put them | ≥ 10 | {hits} of {sample} |",
        f"| placement: each paper unpinned alone, back where the curator put it | — | {alone} of {total} ({alone / total:.0%}) |",
        f"| stability: 10 papers removed (every 12th by key), ARI of the others' grouping | ≥ 0.90 | {aris[0]:.3f} |",
        f"| stability: same removal, papers keeping their section id | ≥ 90 % | {same[0]:.0%} |",
        f"| stability: {RANDOM_REMOVALS} random removals of 10 papers, ARI mean (worst) | — | {np.mean(aris[1:]):.3f} ({min(aris[1:]):.3f}) |",
        f"| stability: {RANDOM_REMOVALS} random removals, papers keeping their id, mean (worst) | — | {np.mean(same[1:]):.0%} ({min(same[1:]):.0%}) |",
        f"| determinism: two builds give identical sections, titles, keywords and order | yes | {'yes' if deterministic(corpora[0]) else 'no'} |",
    ]
    lines += keyword_table(corpora)
    lines += related_table(corpora)
    nmi, ari, kept, random_ari, random_kept, hits_mean = draw_means(corpora[0])
    lines += [
        "",
        f"The same figures, as means over {DRAWS} draws of the consensus subsamples (the first draw is the one above; the others salt the hash that draws them):",
        "",
        "| figure | target | mean of the draws |",
        "| --- | --- | --- |",
        f"| NMI against the editor's labels (shipped survey, no overrides, no pins) | ≥ 0.6 | {nmi:.3f} |",
        f"| placement: 12 curated papers unpinned, back where the curator put them | ≥ 10 | {hits_mean:.1f} of {sample} |",
        f"| stability: every 12th paper removed, ARI | ≥ 0.90 | {ari:.3f} |",
        f"| stability: every 12th paper removed, papers keeping their section id | ≥ 90 % | {kept:.0%} |",
        f"| stability: {RANDOM_REMOVALS} random removals, ARI | — | {random_ari:.3f} |",
        f"| stability: {RANDOM_REMOVALS} random removals, papers keeping their id | — | {random_kept:.0%} |",
    ]
    return "\n".join(lines)


def write(text: str) -> None:
    """Replace the measured block of benchmarks/README.md."""
    readme = README.read_text(encoding="utf-8")
    if START not in readme or END not in readme:
        raise SystemExit(f"{README}: the markers {START} and {END} are missing")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="also update the table in benchmarks/README.md")
    args = parser.parse_args(argv)
    text = tables()
    print(text)
    if args.write:
        write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

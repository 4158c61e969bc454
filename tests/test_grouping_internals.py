"""Grouping internals a user relies on without seeing them: fast paths give the same answers as plain ones.

Features are counted from whole arrays, paper keywords are picked for many papers at once, and a
survey too large for pairwise similarities is grouped on a sample; each must agree with the
simple definition it replaces, and stay a pure function of the content.
"""

from __future__ import annotations

import functools
import os
import re
import sys

import numpy as np
import pytest

from conftest import REPO
from generator import sections
from generator.features import _doc_terms, featurize
from generator.keywords import paper_keywords, pick_terms, shown_terms
from generator.models import Overrides, Paper, SectionSpec
from generator.sections import assign_sections, find_groups, subsample_members

sys.path.insert(0, str(REPO / "benchmarks"))
from corpora import second, shipped, unpinned  # noqa: E402

# A web address in an abstract, as the features leave it out (generator.words.LINK, chunk by chunk).
URL = re.compile(r"\S*https?://\S+|\S+\.(?:com|org|io|ai)\b\S*")


def paper_text(paper: Paper) -> tuple[str, str]:
    """Return a paper's title and abstract with links removed: the texts scikit-learn is given."""
    return paper.title, URL.sub(" ", paper.abstract)


@functools.cache
def second_papers() -> list[Paper]:
    return list(second().papers)


@functools.cache
def shipped_papers() -> list[Paper]:
    return unpinned(shipped().papers)


AWKWARD = [
    Paper(key="a", title="LoRA-based Multi-Task (MTL) learning: GPT-4 meets 3D_scenes", abstract="We tune LoRA adapters, see https://github.com/x/y. Adapters help; multi-task learning [1] works."),
    Paper(key="b", title="Multi-task learning\x00with adapters", abstract="Code at github.com/foo/bar). Multi-task learning with LoRA adapters: e.g. \"adapters\" (LoRA)."),
    Paper(key="c", title="Adapters for multi-task learning", abstract="Multi-task learning\tand\u00a0adapters; LoRA adapters, multi-task learning. Visit example.ai now."),
    Paper(key="d", title="Élan vital: café-style adapters", abstract="Élan and café adapters.\nLoRA multi-task learning — adapters!"),
]


def test_counting_whole_arrays_gives_the_terms_of_reading_each_text_alone():
    for papers in (AWKWARD, second_papers(), shipped_papers()):
        features = featurize(papers)
        again = features.transform([paper_text(p) for p in papers])
        assert features.terms, "the corpus has terms"
        assert abs(features.matrix - again).max() < 1e-12


def test_features_are_scikit_learns_tfidf_of_title_and_abstract_weighed_apart():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    from generator.features import ABSTRACT_WEIGHT, TITLE_WEIGHT

    for papers in (AWKWARD, second_papers(), shipped_papers()):
        features = featurize(papers)
        terms = features.transform.vocabulary

        def analyse(texts: tuple[str, str], terms=terms, stop_words=features.transform.stop_words) -> list[str]:  # a paper's terms, in title and abstract
            return [t for text in texts for t in _doc_terms(text, stop_words) if t in terms]

        texts = [paper_text(p) for p in papers]
        tfidf = TfidfVectorizer(analyzer=analyse, vocabulary=features.terms, sublinear_tf=True, smooth_idf=True, norm="l2").fit(texts)
        titles, abstracts = tfidf.transform([(t, "") for t, _ in texts]), tfidf.transform([("", a) for _, a in texts])
        expected = normalize(TITLE_WEIGHT * titles + ABSTRACT_WEIGHT * abstracts)
        assert abs(features.matrix - expected).max() < 1e-12


def test_the_stop_words_read_without_importing_scikit_learn_are_its_own(monkeypatch):
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from generator.features import english_stop_words

    monkeypatch.delitem(sys.modules, "sklearn")  # as in a copy forked before scikit-learn is imported
    read = english_stop_words.__wrapped__()
    assert "sklearn" not in sys.modules
    assert read == ENGLISH_STOP_WORDS and len(read) > 300


def _disparity(one: np.ndarray, other: np.ndarray) -> float:
    """Return how unlike two placements are once moved, turned and scaled onto each other (0 is alike)."""
    one, other = one - one.mean(axis=0), other - other.mean(axis=0)
    one, other = one / np.linalg.norm(one), other / np.linalg.norm(other)
    return float(1 - np.linalg.svd(one.T @ other, compute_uv=False).sum() ** 2)


def _clusters(count: int, size: int, dimensions: int, seed: int = 0) -> np.ndarray:
    generator = np.random.default_rng(seed)
    centres = generator.normal(size=(count, dimensions))
    points = np.vstack([centre + 0.6 * generator.normal(size=(size, dimensions)) for centre in centres])
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def test_the_maps_t_sne_is_scikit_learns_exact_t_sne():
    from sklearn.manifold import TSNE, trustworthiness

    from generator.tsne import embed

    for points in (_clusters(8, 25, 40), _clusters(3, 12, 10, seed=1)):
        ours = embed(points, 15.0, 500)
        theirs = TSNE(2, perplexity=15.0, init="pca", learning_rate="auto", max_iter=500, random_state=0, method="exact").fit_transform(points)
        assert _disparity(ours, theirs) < 0.05
        assert trustworthiness(points, ours, n_neighbors=5) > trustworthiness(points, theirs, n_neighbors=5) - 0.01


def test_the_maps_projections_are_scikit_learns_up_to_each_axis_sign():
    from sklearn.decomposition import PCA, TruncatedSVD
    from sklearn.preprocessing import normalize

    from generator.features import unit_length
    from generator.layout import _fit
    from generator.tsne import principal_components

    points = _clusters(4, 6, 12)
    ours, theirs = principal_components(points, 2), PCA(n_components=2, svd_solver="full").fit_transform(points)
    assert np.allclose(np.abs(ours), np.abs(theirs), atol=1e-10)
    sample = featurize(shipped_papers()[:120]).matrix
    axes, reduced = _fit(sample, 30)
    svd = TruncatedSVD(n_components=30, algorithm="arpack", random_state=0).fit(sample)
    assert np.allclose(np.abs(axes), np.abs(svd.components_), atol=1e-8)
    assert np.allclose(np.abs(reduced), np.abs(svd.transform(sample)), atol=1e-8)
    assert np.allclose(np.abs(reduced), np.abs(sample @ axes.T), atol=1e-10), "a paper's coordinates are its weights on the axes"
    for matrix in (points, np.zeros((2, 3)), sample):
        expected = normalize(matrix)
        assert abs(unit_length(matrix) - expected).max() == 0.0


def test_a_curated_survey_is_built_without_importing_scikit_learn(tmp_path):
    import subprocess

    # A new process: this one imported scikit-learn for the tests above.
    script = (
        "import sys; from pathlib import Path; from generator.build import analyse, check; from generator.project import open_project; "
        f"papers, overrides, _ = check(open_project(Path({str(REPO)!r}))); survey = analyse(papers, overrides); "
        "assert len(survey.coordinates) == len(papers) > 100; print(sorted(m for m in sys.modules if m.startswith(('sklearn', 'scipy.stats', 'scipy.cluster'))))"
    )
    environment = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout's generator, however it is installed
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path, env=environment)
    assert result.stdout.strip() == "[]"


def test_links_and_nul_characters_are_no_words():
    features = featurize(AWKWARD)
    assert not {t for t in features.terms if "github" in t or "example" in t or t == "com"}
    assert "adapter multitask" not in features.terms, "a clause break stops a bigram"
    assert "multitask learning" in features.terms


def test_paper_keywords_picked_in_blocks_match_the_choice_from_each_dense_row():
    for papers in (AWKWARD, second_papers(), shipped_papers()):
        features = featurize(papers)
        found = paper_keywords(features)
        dense = features.matrix.toarray() * shown_terms(tuple(features.terms))  # prose words are never keywords
        for row, key in enumerate(features.keys):
            assert found[key] == tuple(features.shown(w) for w in pick_terms(features.terms, dense[row], 5)), key


def test_pick_terms_breaks_ties_by_the_term_whatever_the_order_of_terms():
    terms = ("zeta", "alpha", "model merging", "merging")
    scores = np.array([0.5, 0.5, 0.4, 0.5])
    assert pick_terms(terms, scores, 3) == ("alpha", "model merging", "zeta")
    assert pick_terms(terms[::-1], scores[::-1], 3) == ("alpha", "model merging", "zeta")


def test_subsample_membership_depends_only_on_each_papers_own_key():
    keys = [f"paper{n}" for n in range(200)]
    for run in range(5):
        everyone = subsample_members(keys, run)
        assert 0.7 < everyone.mean() < 0.9
        assert (subsample_members(keys[50:120], run) == everyone[50:120]).all()
    assert not (subsample_members(keys, 0) == subsample_members(keys, 1)).all()


def topic_papers(per_topic: int) -> list[Paper]:
    vocabularies = {
        "merge": "model merging task vectors task arithmetic merged weights interference",
        "shared": "shared task teams submissions subtask leaderboard organisers",
        "stars": "telescope black hole radio interferometry galaxy shadow",
        "cells": "gene expression single cell sequencing genome transcript",
    }
    papers = []
    for topic, words in vocabularies.items():
        vocabulary = words.split()
        for n in range(per_topic):
            picked = [vocabulary[(n + i) % len(vocabulary)] for i in range(5)]
            papers.append(Paper(key=f"{topic}{n:03d}", title=f"{topic} study {n}", abstract=" ".join(picked) + f". Case {n} of {' '.join(picked[:3])}."))
    return papers


def test_a_survey_too_large_for_pairs_is_grouped_on_a_sample_and_every_paper_placed(monkeypatch):
    monkeypatch.setattr(sections, "CONSENSUS_MAX", 0)
    monkeypatch.setattr(sections, "MAX_PAIRWISE", 50)
    monkeypatch.setattr(sections, "LARGE_SAMPLE", 60)
    papers = topic_papers(30)
    features = featurize(papers)
    labels = find_groups(features, 4, 4, 3)
    assert (labels >= 0).all()
    for topic in ("merge", "shared", "stars", "cells"):
        assert len({labels[i] for i, p in enumerate(papers) if p.key.startswith(topic)}) == 1, topic
    assert (find_groups(featurize(list(reversed(papers))), 4, 4, 3)[::-1] >= 0).all()
    again = find_groups(featurize(papers), 4, 4, 3)
    assert (again == labels).all()


def test_a_paper_alone_in_its_section_is_measured_against_the_sections_own_words():
    papers = topic_papers(4)
    papers[0] = Paper(key=papers[0].key, title=papers[0].title, abstract=papers[0].abstract, section="combining")
    overrides = Overrides(sections=(SectionSpec("combining", "Model merging", "Adding task vectors.", keywords=("model merging",)), SectionSpec("rest", "Everything else", "")))
    features = featurize(papers)
    _, placements = assign_sections(papers, features, overrides)
    alone = next(p for p in placements if p.key == papers[0].key)
    seed = features.transform([("Model merging model merging", "Adding task vectors. model merging")]).toarray()[0]
    seed /= np.linalg.norm(seed)
    assert alone.similarity == pytest.approx(float(features.matrix[0].toarray()[0] @ seed), abs=1e-6)

"""Grouping: features, automatic sections, "Other", curated placement, keywords, the themes table.

Pure functions on in-memory papers; the last tests measure the shipped survey's figures
(benchmarks/README.md) in a few seconds.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from conftest import REPO
from generator.build import analyse
from generator.features import Features, featurize, fold
from generator.keywords import paper_keywords, pick_terms, readable_title, section_keywords, titled
from generator.models import Overrides, Paper, SectionSpec
from generator.sections import OTHER_ID, assign_sections
from generator.themes import build_notes, themes_table

sys.path.insert(0, str(REPO / "benchmarks"))
import grouping  # noqa: E402
from corpora import second, shipped, unpinned  # noqa: E402

TOPICS = {
    "merging": [
        ("Model merging with task vectors", "We merge fine-tuned models by adding task vectors; model merging reduces interference between task vectors."),
        ("Task arithmetic for model merging", "Task arithmetic edits models: model merging adds or negates task vectors of fine-tuned weights."),
        ("Sparse task vectors for model merging", "Pruning task vectors before model merging keeps the merged weights accurate on every task."),
        ("Merging LoRA task vectors", "Model merging of low-rank task vectors with learned coefficients for merged weights."),
    ],
    "shared": [
        ("SemEval shared task on sentiment", "The shared task attracted forty teams; the best submissions used ensembles for the subtask on sentiment."),
        ("Overview of the shared task on legal text", "Teams submitted systems to the shared task; we describe the subtask, the data and the submissions."),
        ("Findings of the shared task on dialects", "The shared task had two subtasks; teams and submissions are ranked by macro F1."),
        ("A shared task on propaganda detection", "Teams took part in the shared task and its subtask on propaganda spans; submissions are compared."),
    ],
    "telescope": [
        ("Radio telescope images of black holes", "The telescope array observed the black hole shadow at radio wavelengths with interferometry."),
        ("Black hole shadows seen by a telescope", "Interferometry across a radio telescope array images the shadow around a black hole."),
        ("Imaging black holes with radio interferometry", "A global telescope network resolves the black hole shadow with radio interferometry."),
        ("Radio interferometry of a galactic black hole", "The telescope array images the black hole at the centre of the galaxy by interferometry."),
    ],
}
MISFIT = ("Sourdough fermentation and crumb structure", "Yeast and lactic bacteria leaven bread dough; baking temperature shapes the crumb.")


def paper(key: str, title: str, abstract: str, section: str | None = None) -> Paper:
    return Paper(key=key, title=title, abstract=abstract, section=section)


def corpus(with_misfit: bool = False) -> list[Paper]:
    papers = [paper(f"{topic}{n}", t, a) for topic, items in TOPICS.items() for n, (t, a) in enumerate(items)]
    if with_misfit:
        papers.append(paper("misfit", *MISFIT))
    return papers


SMALL = Overrides(min_sections=2, max_sections=6, min_section_size=3)


def groups(papers: list[Paper], overrides: Overrides = SMALL):
    sections, placements = assign_sections(papers, featurize(papers, overrides.stop_words, overrides.keywords()), overrides)
    return sections, placements, {key: s.id for s in sections for key in s.papers}


# Features


def test_fold_merges_plurals_hyphens_and_irregular_plurals():
    assert fold("Adapters") == fold("adapter") == "adapter"
    assert fold("multi-task") == fold("multitask")
    assert fold("matrices") == "matrix"
    assert fold("analysis") == "analysis"


def test_words_in_most_papers_and_curator_stop_words_are_not_features():
    papers = [paper(f"p{n}", f"Task study {word}", f"The task and {word} method.") for n, word in enumerate(["alpha", "beta", "gamma", "delta", "omega", "kappa", "sigma", "theta", "lambda", "zeta", "alpha", "beta"])]
    features = featurize(papers, ["gamma"])
    assert "task" not in features.terms, "a word in every paper names no theme"
    assert "gamma" not in features.terms
    assert "alpha" in features.terms


def test_a_two_word_stop_word_takes_that_pair_out_of_the_keywords_and_leaves_its_words(shipped_corpus):
    papers, stop = list(shipped_corpus.papers), shipped_corpus.overrides.stop_words
    assert "task vector" in featurize(papers, stop).terms
    features = featurize(papers, [*stop, "Task Vectors"])
    assert "task vector" not in features.terms and "vector" in features.terms
    merging = next(s for s in analyse(papers, dataclasses.replace(shipped_corpus.overrides, stop_words=(*stop, "task vectors"))).sections if s.id == "model-merging")
    assert merging.keywords and not any(k.lower() == "task vectors" for k in merging.keywords)


def test_terms_are_shown_as_the_papers_write_them():
    papers = [paper(f"p{n}", "LoRA for SemEval", "We tune LoRA adapters. Adapters help.") for n in range(3)]
    features = featurize(papers)
    shown = {features.shown(t) for t in features.terms}
    assert {"LoRA", "SemEval", "adapters"} <= shown


def test_a_term_written_only_in_title_case_titles_is_shown_as_words_not_as_counted():
    papers = [paper(f"p{n}", "Parameter-Efficient Transfer for Japanese", "We study transfer with few trained parameters; an efficient recipe.") for n in range(3)]
    features = featurize(papers)
    shown = {features.shown(t) for t in features.terms}
    assert "parameter-efficient transfer" in shown and "parameterefficient transfer" not in shown
    assert "Japanese" in shown  # never written in lowercase: a name keeps its capital


# Automatic sections and "Other"


def test_automatic_sections_find_the_topics_and_take_titles_and_ids_from_keywords():
    sections, _, placed = groups(corpus())
    assert len(sections) == 3
    for topic in TOPICS:
        assert len({placed[f"{topic}{n}"] for n in range(4)}) == 1, topic
    for section in sections:
        assert section.title == readable_title(section.keywords)
        assert section.id == "-".join(fold(word) for word in section.keywords[0].split())
    merging = next(s for s in sections if "merging0" in s.papers)
    assert merging.keywords[0] in {"model merging", "task vectors"}


def test_a_paper_that_fits_no_section_goes_to_other_and_is_reported():
    sections, placements, placed = groups(corpus(with_misfit=True))
    assert placed["misfit"] == OTHER_ID
    assert sections[-1].id == OTHER_ID and sections[-1].papers == ("misfit",)
    assert next(p for p in placements if p.key == "misfit").section == OTHER_ID
    assert "misfit" in themes_table(analyse(corpus(with_misfit=True), Overrides(min_sections=2, max_sections=6)))


CELLS = [
    ("Single-cell sequencing of gene expression", "Gene expression of single cells measured by sequencing of each transcript."),
    ("Gene expression atlas from single-cell sequencing", "Single-cell sequencing maps gene expression across tissues, transcript by transcript."),
    ("Transcript counts in single-cell sequencing", "Counting each transcript in single-cell sequencing reveals gene expression programmes."),
    ("Noise in single-cell gene expression", "Sequencing single cells shows noisy gene expression of every transcript."),
]


def test_section_ids_stay_when_papers_are_added_or_removed():
    papers = corpus() + [paper(f"cells{n}", t, a) for n, (t, a) in enumerate(CELLS)]
    _, _, placed = groups(papers)
    assert len(set(placed.values())) == 4
    fewer = [p for p in papers if p.key not in {"merging3", "shared1"}]
    _, _, after = groups(fewer)
    assert after == {k: placed[k] for k in after}
    _, _, more = groups([*papers, paper("misfit", *MISFIT)])
    assert {k: more[k] for k in placed} == placed


SHARED_TASKS = [
    ("SemEval shared tasks on sentiment", "The shared tasks attracted forty teams; of all shared tasks, the sentiment submissions used ensembles."),
    ("Overview of shared tasks on legal text", "Teams submitted systems to the shared tasks; we describe the data and the submissions."),
    ("Findings of the shared task on dialects", "The shared task had two tracks; teams and submissions are ranked by macro F1."),
    ("A shared task on propaganda detection", "Teams took part in the shared task on propaganda spans; submissions are compared."),
]


def test_a_section_id_stays_when_its_papers_write_its_keyword_another_way():
    papers = [p for p in corpus() if not p.key.startswith("shared")] + [paper(f"shared{n}", *item) for n, item in enumerate(SHARED_TASKS)]
    sections, _, placed = groups(papers)
    shared = next(s for s in sections if "shared1" in s.papers)
    assert shared.keywords[0] == "shared tasks"  # "shared tasks" 3 times, "shared task" twice
    sections, _, after = groups([p for p in papers if p.key != "shared0"])
    assert next(s for s in sections if "shared1" in s.papers).keywords[0] == "shared task"  # now 1 and 2
    assert after["shared1"] == placed["shared1"] == "shared-task"


def test_grouping_is_deterministic_and_independent_of_file_order():
    papers = corpus(with_misfit=True)
    first = groups(papers)[0]
    assert groups(list(reversed(papers)))[0] == first
    assert groups(papers)[0] == first


# Curated sections and placement


def curated() -> Overrides:
    return Overrides(sections=(
        SectionSpec("combining", "Combining models", "Adding weights of fine-tuned models.", keywords=("model merging",)),
        SectionSpec("competitions", "Competitions", "Evaluation campaigns.", keywords=("shared task",)),
        SectionSpec("astronomy", "Astronomy", "Observing the sky.", keywords=("telescope",)),
    ))


def test_pins_win_and_unpinned_papers_go_to_the_curated_section_they_fit():
    papers = corpus()
    papers = [p if p.key.endswith("0") else paper(p.key, p.title, p.abstract, {"merging": "combining", "shared": "competitions", "telescope": "astronomy"}[p.key[:-1]]) for p in papers]
    papers[0] = paper("merging0", papers[0].title, papers[0].abstract, "astronomy")  # a pin beats the words
    sections, placements, placed = groups(papers, curated())
    assert [s.id for s in sections] == ["combining", "competitions", "astronomy"]
    assert placed["merging0"] == "astronomy"
    assert placed["shared0"] == "competitions"
    assert placed["telescope0"] == "astronomy"
    unpinned_ = {p.key: p for p in placements if not p.pinned}
    assert set(unpinned_) == {"shared0", "telescope0"}
    assert all(p.similarity > 0 and p.margin > 0 for p in unpinned_.values())


def test_seed_keywords_alone_pull_papers_into_an_empty_curated_section():
    _, _, placed = groups(corpus(), curated())
    assert {placed[f"telescope{n}"] for n in range(4)} == {"astronomy"}
    assert {placed[f"merging{n}"] for n in range(4)} == {"combining"}


def test_a_keyword_pulls_in_the_one_paper_that_names_it():
    # Terms of a single paper link no papers and are left out of a survey's features; a
    # curator's keyword is kept, or it could never pull in the paper it was written for.
    papers = [*corpus(), paper("transport", "Fast decoding via optimal transport", "Coupling draft tokens by optimal transport.")]
    overrides = dataclasses.replace(curated(), sections=(*curated().sections, SectionSpec("coupling", "Coupling", "", keywords=("optimal transport",))))
    _, placements, placed = groups(papers, overrides)
    assert placed["transport"] == "coupling"
    assert next(p for p in placements if p.key == "transport").similarity > 0.3
    assert "optimal transport" not in featurize(papers).terms, "without the keyword, a term of one paper is dropped"
    # Only the whole keyword pulls: a paper that shares one of its words is not drawn in.
    bread = paper("bread", "Sourdough fermentation and crumb structure", "Yeast and lactic bacteria leaven bread dough; cold transport of the dough slows it.")
    _, _, placed = groups([*corpus(), bread], overrides)
    assert placed["bread"] != "coupling"
    # A pinned paper needs no pulling: its keyword terms stay out, and the grouping is as without keywords.
    pinned = [dataclasses.replace(p, section="coupling") if p.key == "transport" else p for p in papers]
    assert featurize(pinned, (), overrides.keywords()).terms == featurize(pinned).terms


def test_a_keyword_pulls_in_its_paper_in_a_survey_with_more_terms_than_are_kept(monkeypatch):
    from generator import features

    monkeypatch.setattr(features, "MAX_FEATURES", 6)
    papers = [*corpus(), paper("transport", "Fast decoding via optimal transport", "Coupling draft tokens by optimal transport.")]
    overrides = dataclasses.replace(curated(), sections=(*curated().sections, SectionSpec("coupling", "Coupling", "", keywords=("optimal transport",))))
    kept = featurize(papers, (), overrides.keywords())
    assert len(featurize(papers).terms) <= 6 < len(kept.terms) and "optimal transport" in kept.terms
    _, _, placed = groups(papers, overrides)
    assert placed["transport"] == "coupling"


def test_an_unpinned_misfit_goes_to_other_not_into_a_curated_section():
    sections, _, placed = groups(corpus(with_misfit=True), curated())
    assert placed["misfit"] == OTHER_ID
    assert [s.id for s in sections][-1] == OTHER_ID


# Keywords


def test_keywords_prefer_a_bigram_to_its_parts_and_skip_near_duplicates():
    terms = ("merging", "model", "model merging", "adapter", "adapters", "evaluation", "evaluating")
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.45])
    assert pick_terms(terms, scores, 10) == ("model merging", "adapter", "evaluation")


def test_section_keywords_are_five_to_ten_distinct_terms_without_stop_words():
    data = second()
    features = featurize(list(data.papers))
    topics = sorted(set(data.labels.values()))
    labels = [topics.index(data.labels[key]) for key in features.keys]
    for words in section_keywords(features, labels, len(topics)):
        assert 5 <= len(words) <= 10
        assert len({w.lower() for w in words}) == len(words)
        assert not {"the", "we", "and", "propose"} & {part for w in words for part in w.lower().split()}


GRAPH_PAPERS = [
    paper("c2024graphs", "Graph neural networks", "Graph networks learn from nodes and edges of graphs."),
    paper("d2024graphs", "Message passing on graphs", "Nodes pass messages along graph edges; enhanced readout."),
]


def shown_keywords(features: Features) -> list[str]:
    """Return every paper and section keyword, lower-case, of two sections: the first two papers and the last two."""
    sections = section_keywords(features, [0, 0, 1, 1], 2)
    return [w.lower() for words in [*paper_keywords(features).values(), *sections] for w in words]


def test_prose_words_are_never_keywords_but_still_count_in_the_grouping():
    features = featurize([
        paper("a2024merging", "Enhanced model merging", "Especially enhanced merging of models, especially with significant improvements. Merging weights."),
        paper("b2024merging", "Merging weights", "Merging models by averaging weights, especially after fine-tuning."),
        *GRAPH_PAPERS,
    ])
    assert {"especially", "enhanced", "significant improvement"} <= set(features.terms)  # counted
    shown = shown_keywords(features)
    assert "merging" in " ".join(shown)
    assert not [w for w in shown if w.split()[0] in {"especially", "enhanced", "significant"}], shown


def test_verbs_of_method_prose_are_never_keywords_alone():
    # Found in a curator's survey of speculative decoding: "employing", "require", "verifies".
    features = featurize([
        paper("a2024draft", "Draft models", "Employing a draft model verifies tokens; drafting requires a small model. Draft tokens."),
        paper("b2024draft", "Drafting tokens", "Draft tokens require verification, employing the target model that verifies drafts."),
        *GRAPH_PAPERS,
    ])
    assert {"employing", "require", "verifie"} & set(features.terms)  # counted
    shown = shown_keywords(features)
    assert "draft" in " ".join(shown).lower()
    assert not [w for w in shown if w.split()[0].lower() in {"employing", "require", "requires", "verifies"}], shown


def test_adverbs_are_never_keywords_alone_but_nouns_ending_in_ly_and_bigrams_are():
    features = featurize([
        paper("a2024anomaly", "Weakly supervised anomaly detection", "Surprisingly, anomaly detection works. Surprisingly, weakly supervised."),
        paper("b2024anomaly", "Anomaly scores", "Surprisingly, weakly supervised anomaly scores. Surprisingly, they work."),
        *GRAPH_PAPERS,
    ])
    assert "surprisingly" in features.terms  # counted, as prose words are
    shown = shown_keywords(features)
    assert "surprisingly" not in shown
    assert "anomaly" in shown or "anomaly detection" in shown
    assert "weakly supervised" in shown


def test_an_automatic_section_shows_its_title_s_words_first_then_other_distinct_ones():
    names = ("LLMs", "evaluation", "benchmark")  # class-based TF-IDF alone: the most used terms
    distinct = ("user", "model evaluation", "LLMs", "memory", "reward")
    assert titled(names, distinct) == ("LLMs", "evaluation", "user", "memory", "reward")
    assert readable_title(titled(names, distinct)) == "LLMs · evaluation"


def test_section_keywords_name_what_sets_a_section_apart(shipped_corpus):
    # Of the papers using a curated section's keyword, most are in that section; by class-based
    # TF-IDF alone, fewer than half were ("data", "parameters", "LLMs" named several sections).
    curated, _ = grouping.sections_of(shipped_corpus.papers, shipped_corpus.overrides)
    groups = [s.papers for s in curated]
    share, covered = grouping.keyword_figures(shipped_corpus.papers, groups, shipped_corpus.overrides, [s.keywords for s in curated])
    plain, _ = grouping.keyword_figures(shipped_corpus.papers, groups, shipped_corpus.overrides)
    assert share > 0.55 > 0.5 > plain
    assert covered > 0.9


# The themes table


def test_themes_table_lists_sections_keywords_weakest_members_and_close_calls():
    papers = corpus(with_misfit=True)
    papers = [paper(p.key, p.title, p.abstract, "combining") if p.key == "merging1" else p for p in papers]
    text = themes_table(analyse(papers, curated()))
    lines = text.splitlines()
    assert lines[0] == "13 papers in 4 sections; 12 placed by their words, not pinned."
    assert lines[2].split()[:3] == ["section", "papers", "keywords"]
    assert any(line.startswith("combining ") and "model merging" in line for line in lines)
    assert "Placed by their words (not pinned):" in text
    header = lines[lines.index("Placed by their words (not pinned):") + 1]
    assert header.split() == ["paper", "section", "similarity", "margin", "note"]  # every column named
    assert "Unplaced or low-confidence papers:" in text and "misfit" in text.split("Unplaced")[1]
    assert text == themes_table(analyse(papers, curated())), "the table is a pure function of the survey"
    # One paper in one section is said in the singular.
    assert themes_table(analyse(papers[:1], Overrides())).splitlines()[0] == "1 paper in 1 section; sections found automatically."


def test_close_calls_are_listed_as_close_and_the_table_never_says_there_are_none(shipped_corpus):
    loose = {"srivastava2022beyond", "giancola2022soccernet", "mal2025diffcrysgen"}
    survey = analyse(unpinned(shipped_corpus.papers, loose), shipped_corpus.overrides)
    close = [p for p in survey.placements if p.key in loose and round(p.margin, 2) <= 0.02]
    assert close, "the shipped papers give close calls to look at"
    text = themes_table(survey)
    assert "No unplaced or low-confidence papers." not in text
    listed = text.split("Unplaced or low-confidence papers:")[1]
    assert all(p.key in listed for p in close)


@pytest.mark.parametrize("bounds", [(9, 9), (10, 10), (12, 12)])
def test_automatic_sections_keep_within_the_curator_s_bounds(shipped_corpus, bounds):
    low, high = bounds
    survey = analyse(unpinned(shipped_corpus.papers), Overrides(min_sections=low, max_sections=high))
    assert low <= sum(s.id != OTHER_ID for s in survey.sections) <= high
    assert all(len(s.papers) >= 3 for s in survey.sections if s.id != OTHER_ID)


def test_bounds_the_papers_cannot_meet_are_said_not_silently_broken(shipped_corpus):
    overrides = Overrides(min_sections=3, max_sections=3, min_section_size=30, path="content/overrides.yaml", lines=(("automatic_sections", 1),))
    survey = analyse(unpinned(shipped_corpus.papers), overrides)
    found = sum(s.id != OTHER_ID for s in survey.sections)
    assert found < 3 and all(len(s.papers) >= 30 for s in survey.sections if s.id != OTHER_ID)
    said = f"found {found} automatic section(s) of at least 30 papers, but automatic_sections in content/overrides.yaml asks for 3 to 3"
    assert any(note.startswith(said) for note in build_notes(survey, overrides))
    assert said[0].upper() + said[1:] in themes_table(survey, overrides=overrides)
    # Without an overrides file, the bounds are the defaults, and the message says so.
    defaults = Overrides(min_section_size=60, path="content/overrides.yaml")
    few = analyse(unpinned(shipped_corpus.papers), defaults)
    assert any("but the default bounds (automatic_sections in content/overrides.yaml) ask for 4 to 14" in note for note in build_notes(few, defaults))


# The shipped survey's figures (benchmarks/README.md)


@pytest.fixture(scope="module")
def shipped_corpus():
    return shipped()


def test_shipped_placement_twelve_unpinned_papers_mostly_land_where_the_curator_put_them(shipped_corpus):
    curator = {p.key: p.section for p in shipped_corpus.papers}
    sample = grouping.placement_sample(shipped_corpus)
    assert len(sample) == 12 and len({curator[k] for k in sample}) == 12, "one paper from each section"
    _, placed = grouping.sections_of(unpinned(shipped_corpus.papers, set(sample)), shipped_corpus.overrides)
    assert sum(placed[k] == curator[k] for k in sample) >= 10


def test_shipped_automatic_grouping_agrees_with_the_editor(shipped_corpus):
    papers = unpinned(shipped_corpus.papers)
    sections, placed = grouping.sections_of(papers, Overrides())
    truth = [shipped_corpus.labels[p.key] for p in papers]
    # Target 0.6 (issue 3) is not reached; 0.574 is measured (see benchmarks/README.md). Guard against regressions.
    assert normalized_mutual_info_score(truth, [placed[p.key] for p in papers]) >= 0.55
    assert 8 <= len(sections) <= 15
    assert all(len(s.keywords) >= 5 for s in sections)


def test_shipped_stability_after_removing_ten_papers(shipped_corpus):
    papers = unpinned(shipped_corpus.papers)
    _, before = grouping.sections_of(papers, Overrides())
    removed = set(grouping.removals(len(papers))[0].tolist())
    rest = [p for i, p in enumerate(papers) if i not in removed]
    _, after = grouping.sections_of(rest, Overrides())
    first, again = [before[p.key] for p in rest], [after[p.key] for p in rest]
    # Target ARI 0.9 and 90 % of ids kept (issue 3) are not reached: 0.82 and 84 % are measured
    # (0.68 and 65 % before consensus grouping), see benchmarks/README.md.
    assert adjusted_rand_score(first, again) >= 0.8
    assert sum(a == b for a, b in zip(first, again, strict=True)) / len(rest) >= 0.8


def test_shipped_grouping_is_byte_for_byte_deterministic(shipped_corpus):
    assert grouping.deterministic(shipped_corpus)


def test_second_corpus_topics_are_found_at_their_own_number_of_sections():
    data = second()
    papers = list(data.papers)
    truth = [data.labels[p.key] for p in papers]
    _, placed = grouping.sections_of(papers, Overrides(min_sections=5, max_sections=5))
    assert normalized_mutual_info_score(truth, [placed[p.key] for p in papers]) >= 0.95


def test_related_papers_favour_papers_whose_nearest_papers_they_share(shipped_corpus):
    # Cosine alone: 86 % of the second corpus's related papers are on the paper's topic, 38 % of
    # the shipped survey's in the editor's section; counting shared nearest papers: 94 % and 41 %.
    for corpus, least in ((second(), 0.9), (shipped_corpus, 0.4)):
        chosen = grouping.related_share(corpus)
        assert chosen >= least and chosen > grouping.related_share(corpus, shared_weight=0.0)


def test_an_automatic_section_named_in_another_language_or_script_gets_a_readable_id():
    """Its id is its page's address and its BibTeX file's name: "réseau" stays a word, not "r-seau"."""
    from generator.sections import _section_id

    assert _section_id(["réseaux neuronaux", "apprentissage"], set()) == "reseaux-neuronaux"
    assert _section_id(["Übersetzung"], set()) == "ubersetzung"
    assert _section_id(["模型"], set()) == "u6a21-578b"
    assert _section_id(["réseaux neuronaux", "apprentissage"], {"reseaux-neuronaux"}) == "reseaux-neuronaux-apprentissage"
    # Papers that share no term (a new survey's first paper) are a section of "papers", then "papers-2".
    assert _section_id([], set()) == "papers" and _section_id([], {"papers"}) == "papers-2"
    assert readable_title([]) == "Papers"

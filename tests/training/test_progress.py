"""Progress reports of training (issue 19.7): the library reports, the caller renders."""

from __future__ import annotations

from allegations import train
from allegations.training._progress import add_work, advance, progress_callback

from ..conftest import make_corpus


def test_without_a_callback_reports_cost_nothing_and_go_nowhere():
    add_work(3, "x")
    advance("x")  # no tracker: nothing happens, nothing raises


def test_callback_sees_units_and_total_and_is_removed_after_the_block():
    seen = []
    with progress_callback(lambda *a: seen.append(a)):
        add_work(2, "start")
        advance("one")
        advance("two")
    advance("after")
    assert seen == [("start", 0, 2), ("one", 1, 2), ("two", 2, 2)]


def test_training_reports_every_fold_of_every_candidate_and_finishes():
    corpus = make_corpus(60, seed=2)
    sets = [s.split(";") if s else [] for s in corpus.labels]
    seen: list[tuple[str, int, int]] = []
    with progress_callback(lambda *a: seen.append(a)):
        model = train(corpus.text.tolist(), sets, seed=0)
    n_folds = model.card["cross_validation"]["n_folds"]
    fold_steps = {s for s, _, _ in seen if "fold" in s}
    # 2 C values x NB scaling off/on, each over every fold.
    assert len(fold_steps) == 4 * n_folds
    assert f"Cross-validating: model 4 of 4, fold {n_folds} of {n_folds}" in fold_steps
    done = [d for _, d, _ in seen]
    assert done == sorted(done)
    assert seen[-1][1] == seen[-1][2] == 4 * n_folds + 3
    assert seen[0][0] == "Preprocessing 60 narratives"
    assert all(text[:20] not in " ".join(s for s, _, _ in seen) for text in corpus.text)

"""What the lead block costs at prediction: the same fold, with and without it, paired.

Trains on fold 0 of an anchor task (``../shared/bench/anchors.py``'s 5-fold split, seed 0)
with the lead block off and on, alternating, ``--pairs`` times; each model is pickled
(as ``allegations predict`` loads it) and featurizes the fold's test narratives
``--runs`` times. Prints the best times of the first batch (new chunks go through spaCy),
of a repeated batch, and of the classifier, and the number of features.

With ``--marks``, one model without a lead block is trained instead, and its fast path
is timed with the sentence marks off and on (alternating, ``--runs`` each, medians; the
chunk table starts empty for both): what the marks alone cost a model that does not
read them, and why :func:`allegations.training.train` leaves them off for such a model.

Usage (from the repository root)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/lead_cost.py --task philly_ml [--marks]
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import KFold

from allegations import train
from allegations.model._config import ModelConfig

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="philly_ml", help="An anchors.py task.")
    parser.add_argument("--pairs", type=int, default=2, help="Off/on pairs of models.")
    parser.add_argument("--runs", type=int, default=5, help="Timings per model (best kept).")
    parser.add_argument("--marks", action="store_true", help="Time the sentence marks alone.")
    args = parser.parse_args()
    if not (BENCH / "anchors.py").exists():
        sys.exit(f"Error: {BENCH / 'anchors.py'} not found; the benchmark needs ../shared.")
    sys.path.insert(0, str(BENCH))
    import anchors

    texts, labels, single = anchors.load_task(args.task)
    train_idx, test_idx = next(KFold(5, shuffle=True, random_state=0).split(texts))
    train_x, test_x = [texts[i] for i in train_idx], [texts[i] for i in test_idx]
    train_l = [labels[i] for i in train_idx]
    print(f"{args.task} fold 0: {len(train_x)} training, {len(test_x)} test narratives")
    if args.marks:
        time_marks(train(train_x, train_l, seed=0, exclusive=False), test_x, args.runs)
        return
    for _ in range(args.pairs):
        for lead in (0, 1):
            config = ModelConfig(lead_sentences=lead, exclusive_lead_sentences=lead)
            model = train(train_x, train_l, seed=0, config=config, exclusive=single or None)
            times = []
            for _ in range(args.runs):
                cold = pickle.loads(pickle.dumps(model))
                cold.predict_proba(["Warm-up: loads the spaCy pipeline."])
                t0 = time.perf_counter()
                X, _ = cold.featurize(test_x)
                t1 = time.perf_counter()
                cold.proba_from_features(X)
                t2 = time.perf_counter()
                cold.featurize(test_x)
                t3 = time.perf_counter()
                times.append((t1 - t0, t3 - t2, t2 - t1))
            first, again, classify = np.min(times, axis=0) * 1000
            print(
                f"lead {'on ' if lead else 'off'}: first batch {first:.1f} ms, repeated batch "
                f"{again:.1f} ms, classifier {classify:.1f} ms, {X.shape[1]:,} features",
                flush=True,
            )


def time_marks(model: Any, test_x: list[str], runs: int) -> None:
    """Featurize ``test_x`` with the model's sentence marks off and on, alternating."""
    times: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    matrices = {}
    for k in range(runs):
        for mark in (False, True) if k % 2 else (True, False):
            cold = pickle.loads(pickle.dumps(model))
            cold.preprocessor.mark_sentences = mark
            cold.preprocessor.forget_chunks()  # both start from no chunks
            cold.predict_proba(["Warm-up: loads the spaCy pipeline."])
            t0 = time.perf_counter()
            cold.featurize(test_x)
            t1 = time.perf_counter()
            matrices[mark] = cold.featurize(test_x)[0]
            times[mark].append((t1 - t0, time.perf_counter() - t1))
    assert (matrices[False] != matrices[True]).nnz == 0  # no lead block: the same features
    for mark in (False, True):
        first, again = np.median(times[mark], axis=0) * 1000
        print(
            f"marks {'on ' if mark else 'off'}: first batch {first:.1f} ms, repeated batch "
            f"{again:.1f} ms (medians of {runs})"
        )


if __name__ == "__main__":
    main()

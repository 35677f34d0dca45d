"""What the lead block costs at prediction: the same fold, with and without it, paired.

Trains on fold 0 of an anchor task (``../shared/bench/anchors.py``'s 5-fold split, seed 0)
with the lead block off and on, alternating, ``--pairs`` times; each model is pickled
(as ``allegations predict`` loads it) and featurizes the fold's test narratives
``--runs`` times. Prints the best times of the first batch (new chunks go through spaCy),
of a repeated batch, and of the classifier, and the number of features.

Usage (from the repository root)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/lead_cost.py --task philly_ml
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold

from allegations import train
from allegations.model import ModelConfig

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="philly_ml", help="An anchors.py task.")
    parser.add_argument("--pairs", type=int, default=2, help="Off/on pairs of models.")
    parser.add_argument("--runs", type=int, default=5, help="Timings per model (best kept).")
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


if __name__ == "__main__":
    main()

"""Development splits for model-quality choices: never the anchors' CV folds.

Usage (from the repository root)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/dev_quality.py \\
        [--splits philly_single_time,philly_ml_time,govtrack_time,govtrack_random,cfpb,sample] \\
        [--systems sklearn_tuned,allegations] [--config '{"threshold_prior": -1}']

Every setting of the default model is chosen on these splits, which are deliberately
unlike ``../shared/bench/anchors.py``'s 5-fold CV (seed 0), so that the benchmark in
``benchmarks/compare.py`` stays a confirmation and is never searched:

- ``philly_single_time`` / ``philly_ml_time``: the Philadelphia tasks built exactly as
  ``anchors.load_task`` builds them, trained on complaints received 2013-2016 and tested
  on 2017-2018 (a later release of the same source);
- ``govtrack_time``: GovTrack misconduct instances first dated before 2013 vs from 2013;
- ``govtrack_random``: 5-fold CV repeated with shuffling seeds 101 and 102 (the anchors
  use 0), the mean of the two repeats' pooled scores;
- ``cfpb``: the CFPB consumer-complaint sample, product as a single label, shuffled
  with seed 7 (at most 6,000 narratives) and cut in half for training and test;
- ``sample``: the bundled ``data/sample.csv``, a 70/30 random split with seed 11;
- ``philly_single_random`` / ``philly_ml_random`` (run only when named, about 2.5 minutes
  each): 5-fold CV of the Philadelphia tasks with shuffling seed 101 (the anchors use 0),
  pooled over the folds.

Scores follow the anchors: micro-F1 over all labels, macro-F1 over the labels with at
least 5 test cases. ``sklearn_tuned`` (imported from anchors.py, run on one core) is
cached in ``out/dev_quality_anchor.json`` since it does not change between runs.
Spaces of a text's spaCy lemmas are cached per run (preprocessing is deterministic).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.preprocessing import MultiLabelBinarizer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CACHE = ROOT / "out" / "dev_quality_anchor.json"
SPLITS = [
    "philly_single_time",
    "philly_ml_time",
    "govtrack_time",
    "govtrack_random",
    "cfpb",
    "sample",
]
#: Slower splits, run when asked for by name: 5-fold CV of the Philadelphia tasks with
#: shuffling seed 101 (the anchors use seed 0).
EXTRA_SPLITS = ["philly_single_random", "philly_ml_random"]

Split = tuple[list[str], list[list[str]], list[str], list[list[str]]]


def load_anchors() -> Any:
    """Import ../shared/bench/anchors.py."""
    sys.path.insert(0, str(SHARED / "bench"))
    import anchors

    return anchors


def _philly(anchors: Any, task: str) -> list[Split]:
    texts, labels, _ = anchors.load_task(task)
    df = pd.read_csv(SHARED / "data" / "philly_2013_2018" / "ppd_complaints_7-18.csv", dtype=str)
    if task == "philly_ml":
        # load_task keeps the complaints with investigated allegations, in file order.
        d = pd.read_csv(
            SHARED / "data" / "philly_2013_2018" / "ppd_complaint_disciplines_7-18.csv", dtype=str
        )
        d = d[
            d.allegations_investigated.notna()
            & (d.allegations_investigated.str.strip() != "Investigation OnGoing")
        ]
        df = df[df.cap_number.isin(set(d.cap_number))]
    years = df.date_received.str[:4].astype(int).to_numpy()
    assert len(years) == len(texts)
    train = years <= 2016
    return [_split(texts, labels, train)]


def _split(texts: list[str], labels: list[list[str]], train: np.ndarray) -> Split:
    tr, te = np.flatnonzero(train), np.flatnonzero(~train)
    return (
        [texts[i] for i in tr],
        [labels[i] for i in tr],
        [texts[i] for i in te],
        [labels[i] for i in te],
    )


def _random(texts: list[str], labels: list[list[str]], seed: int, n_train: float) -> Split:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(texts))
    k = int(round(n_train * len(texts))) if n_train < 1 else int(n_train)
    train = np.zeros(len(texts), dtype=bool)
    train[order[:k]] = True
    return _split(texts, labels, train)


def _kfold(texts: list[str], labels: list[list[str]], seed: int, k: int = 5) -> list[Split]:
    order = np.random.default_rng(seed).permutation(len(texts))
    parts = np.array_split(order, k)
    out = []
    for part in parts:
        train = np.ones(len(texts), dtype=bool)
        train[part] = False
        out.append(_split(texts, labels, train))
    return out


def load_split(name: str, anchors: Any) -> list[Split]:
    """The (train texts, train labels, test texts, test labels) repeats of a dev split."""
    if name == "philly_single_time":
        return _philly(anchors, "philly_single")
    if name == "philly_ml_time":
        return _philly(anchors, "philly_ml")
    if name in EXTRA_SPLITS:
        texts, labels, _ = anchors.load_task(name.replace("_random", ""))
        return _kfold(texts, labels, 101)
    if name.startswith("govtrack"):
        texts, labels, _ = anchors.load_task("govtrack")
        if name == "govtrack_time":
            g = pd.read_csv(
                SHARED / "data" / "govtrack_misconduct" / "misconduct-instances.csv", dtype=str
            )
            years = g.first_date.str[:4].astype(int).to_numpy()
            return [_split(texts, labels, years < 2013)]
        return [s for seed in (101, 102) for s in _kfold(texts, labels, seed)]
    if name == "cfpb":
        c = pd.read_csv(SHARED / "data" / "cfpb_sample" / "complaints_sample.csv", dtype=str)
        c = c[c["Consumer complaint narrative"].notna() & c.Product.notna()]
        rng = np.random.default_rng(7)
        pick = rng.permutation(len(c))[:6000]
        texts = c["Consumer complaint narrative"].to_numpy()[pick].tolist()
        labels = [[p] for p in c.Product.to_numpy()[pick]]
        return [_split(texts, labels, np.arange(len(pick)) < len(pick) // 2)]
    if name == "sample":
        s = pd.read_csv(ROOT / "data" / "sample.csv", dtype=str, keep_default_na=False)
        labels = [[x for x in v.split(";") if x.strip()] for v in s["labels"]]
        return [_random(s["text"].tolist(), labels, 11, 0.7)]
    known = ", ".join(SPLITS + EXTRA_SPLITS)
    raise SystemExit(f"Error: unknown split {name!r}; choose from {known}.")


def score(y: np.ndarray, yhat: np.ndarray) -> tuple[float, float]:
    """Micro-F1 over all labels, macro-F1 over labels with at least 5 test cases."""
    keep = y.sum(0) >= 5
    micro = f1_score(y, yhat, average="micro", zero_division=0)
    macro = f1_score(y[:, keep], yhat[:, keep], average="macro", zero_division=0)
    return float(micro), float(macro)


def _matrices(
    split: Split, predict: Callable[[list[str], np.ndarray, list[str]], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    train_x, train_l, test_x, test_l = split
    mlb = MultiLabelBinarizer().fit(train_l + test_l)
    train_y, test_y = mlb.transform(train_l), mlb.transform(test_l)
    return test_y, predict(train_x, train_y, test_x)


def run_anchor(anchors: Any, split: Split, single: bool) -> tuple[np.ndarray, np.ndarray]:
    """sklearn_tuned on one split, with its joblib workers kept to one core."""
    from joblib import parallel_config

    def predict(train_x: list[str], train_y: np.ndarray, test_x: list[str]) -> np.ndarray:
        keep = train_y.sum(0) > 0  # a label seen only in the test part cannot be learned
        with parallel_config(backend="sequential"):
            fitted = anchors.sklearn_tuned(train_x, train_y[:, keep], single)
            out = np.zeros((len(test_x), train_y.shape[1]), dtype=int)
            out[:, keep] = fitted(test_x)
        return out

    return _matrices(split, predict)


def run_ours(
    split: Split, config: dict[str, Any], exclusive: bool
) -> tuple[np.ndarray, np.ndarray]:
    """This tool with default options (plus ``config`` overrides), seed 0."""
    from allegations import train
    from allegations.model._config import ModelConfig

    model_config = ModelConfig(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}
    )

    def predict(train_x: list[str], train_y: np.ndarray, test_x: list[str]) -> np.ndarray:
        names = [str(j) for j in range(train_y.shape[1])]
        keep = np.flatnonzero(train_y.sum(0) > 0)
        sets = [[names[j] for j in np.flatnonzero(row)] for row in train_y]
        model = train(train_x, sets, seed=0, config=model_config, exclusive=exclusive or None)
        decided = model.decide(model.predict_proba(test_x))
        out = np.zeros((len(test_x), train_y.shape[1]), dtype=int)
        index = {label: int(label) for label in model.labels}
        for k, label in enumerate(model.labels):
            out[:, index[label]] = decided[:, k]
        assert set(index.values()) <= set(keep.tolist())
        return out

    return _matrices(split, predict)


def cache_preprocessing() -> None:
    """Memoise the spaCy step per text for this process (it is deterministic)."""
    from allegations.text._preprocess import SpacyPreprocessor

    original = SpacyPreprocessor.transform
    memo: dict[tuple[str | None, str], str] = {}

    def transform(self: Any, X: Any) -> np.ndarray:
        texts = [x if isinstance(x, str) else "" for x in X]
        todo = [t for t in dict.fromkeys(texts) if (self.spacy_model, t) not in memo]
        if todo:
            for t, doc in zip(todo, original(self, todo), strict=True):
                memo[(self.spacy_model, t)] = doc
        return np.array([memo[(self.spacy_model, t)] for t in texts], dtype=object)

    SpacyPreprocessor.transform = transform  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", default=",".join(SPLITS), help="Comma-separated splits.")
    parser.add_argument("--systems", default="sklearn_tuned,allegations", help="Systems to run.")
    parser.add_argument("--config", default="{}", help="JSON ModelConfig overrides for ours.")
    parser.add_argument("--label", default="", help="Name of this variant in the output.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    anchors = load_anchors()
    cache_preprocessing()
    config = json.loads(args.config)
    cached = json.loads(CACHE.read_text()) if CACHE.exists() else {}
    rows = []
    for name in [s for s in args.splits.split(",") if s]:
        repeats = load_split(name, anchors)
        single = all(len(ls) == 1 for r in repeats for ls in r[1] + r[3])
        for system in [s for s in args.systems.split(",") if s]:
            t0 = time.perf_counter()
            if system == "sklearn_tuned" and name in cached:
                micro, macro = cached[name]
            else:
                pooled = [
                    run_anchor(anchors, r, single)
                    if system == "sklearn_tuned"
                    else run_ours(r, config, single)
                    for r in repeats
                ]
                # The folds of one CV repeat are pooled before scoring.
                size = 5 if name in ("govtrack_random", *EXTRA_SPLITS) else 1
                scores = [
                    score(
                        np.vstack([p[0] for p in pooled[i : i + size]]),
                        np.vstack([p[1] for p in pooled[i : i + size]]),
                    )
                    for i in range(0, len(pooled), size)
                ]
                micro, macro = (float(np.mean(v)) for v in zip(*scores, strict=True))
                if system == "sklearn_tuned":
                    cached[name] = [micro, macro]
                    CACHE.parent.mkdir(exist_ok=True)
                    CACHE.write_text(json.dumps(cached, indent=1))
            row = {
                "split": name,
                "system": system if system != "allegations" else f"allegations{args.label}",
                "micro_f1": round(micro, 4),
                "macro_f1": round(macro, 4),
                "seconds": round(time.perf_counter() - t0, 1),
            }
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    with contextlib.suppress(BrokenPipeError):
        print(f"config: {json.dumps(config)}")
        print("| split | system | micro F1 | macro F1 |")
        print("|---|---|---|---|")
        for r in rows:
            print(f"| {r['split']} | {r['system']} | {r['micro_f1']:.3f} | {r['macro_f1']:.3f} |")


if __name__ == "__main__":
    main()

"""Label efficiency: how many labels each selection strategy needs, the reporter simulated.

Usage (from the repository root)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/label_efficiency.py \\
        [--split philly] [--strategies random,uncertain,balanced,mixed] [--seeds 0,1,2] \\
        [--starts 0,100] [--batch 100] [--max-labels 700] [--out out/label_efficiency.json]

The true labels play the reviewer. A run starts from 0 labels (the first batch chosen by
the codebook alone, :func:`allegations.review._select.codebook_scores`; ``random`` draws
it at random) or from a random 100, then repeatedly trains a model with the library's
``train`` and default options (5-fold cross-validation and calibration included), scores
it on the held-out part, and adds the next ``--batch`` cases chosen by the strategy with
:func:`allegations.select` from the rest of the pool.

Splits:

- ``philly``: Philadelphia complaints (``general_cap_classification``, one label per
  case, as ``../shared/bench/anchors.py`` builds the task), pool = received 2013-2016,
  scored on 2017-2018. This is the reported split.
- ``philly_dev``: pool = 2013-2015, scored on 2016 (never on 2017-2018): the split
  ``default`` is chosen on.
- ``govtrack``: GovTrack's congressional misconduct narratives (5 topic tags, multi-label,
  as ``../shared/bench/anchors.py`` builds the task: texts ``allegation + ". " + text``),
  pool = first date before 2012, scored on 2012 and later.
- ``sample``: the bundled ``data/sample.csv`` (multi-label), a 70/30 random split, seed 11.

The codebook of the Philadelphia and GovTrack cold starts is written from the category
names alone (a reporter's first codebook); the bundled sample uses ``data/codebook.toml``.

Scores follow ``benchmarks/dev_quality.py``: micro-F1 over all labels, macro-F1 over the
labels with at least 5 held-out cases. The table gives the mean over seeds and a 95%
t-interval; "labels to full" is the first batch size whose mean macro-F1 reaches the model
trained on the whole pool; "AULC" the mean macro-F1 over the batch sizes (the normalised
area under the learning curve).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(Path(__file__).resolve().parent))

Split = tuple[list[str], list[list[str]], list[str], list[list[str]]]

#: GovTrack's topic tags, as ``../shared/bench/anchors.py`` reads them.
GOVTRACK_TAGS = ("corruption", "crime", "elections", "ethics", "sexual-harassment-abuse")
#: The first year of the GovTrack split's held-out part.
GOVTRACK_TEST_FROM = 2012


def _norm(x: Any) -> str:
    return " ".join(str(x).split()).upper()


def load_split(name: str) -> tuple[Split, Any]:
    """(pool texts, pool labels, test texts, test labels) and the cold-start codebook."""
    from allegations import Codebook, load_codebook
    from allegations.training._codebook import LabelDefinition

    if name in ("philly", "philly_dev"):
        df = pd.read_csv(
            SHARED / "data" / "philly_2013_2018" / "ppd_complaints_7-18.csv", dtype=str
        )
        texts = df.summary.fillna("").tolist()
        labels = [[_norm(x)] for x in df.general_cap_classification]
        years = df.date_received.str[:4].astype(int).to_numpy()
        pool = years <= (2016 if name == "philly" else 2015)
        test = years >= 2017 if name == "philly" else years == 2016
        names = sorted({ls[0] for ls in labels})
        book = Codebook(
            name="Philadelphia categories",
            version="names only",
            labels=tuple(
                LabelDefinition(name=x, seed_phrases=(x.casefold().replace("/", " "),))
                for x in names
            ),
        )
    elif name == "govtrack":
        df = pd.read_csv(
            SHARED / "data" / "govtrack_misconduct" / "misconduct-instances.csv", dtype=str
        )
        texts = (df.allegation.fillna("") + ". " + df.text.fillna("")).tolist()
        labels = [
            [t for t in GOVTRACK_TAGS if str(r[t]).strip().upper() == "X"] for _, r in df.iterrows()
        ]
        years = df.first_date.str[:4].astype(int).to_numpy()
        pool, test = years < GOVTRACK_TEST_FROM, years >= GOVTRACK_TEST_FROM
        book = Codebook(
            name="GovTrack topics",
            version="names only",
            labels=tuple(
                LabelDefinition(name=x, seed_phrases=(x.replace("-", " "),)) for x in GOVTRACK_TAGS
            ),
        )
    elif name == "sample":
        df = pd.read_csv(ROOT / "data" / "sample.csv", dtype=str)
        texts = df.text.fillna("").tolist()
        labels = [[s for s in str(v).split(";") if s and s != "nan"] for v in df["labels"]]
        order = np.random.default_rng(11).permutation(len(texts))
        pool = np.zeros(len(texts), dtype=bool)
        pool[order[: int(round(0.7 * len(texts)))]] = True
        test = ~pool
        book = load_codebook(ROOT / "data" / "codebook.toml")
    else:
        raise SystemExit(
            f"Error: unknown split {name!r}; choose philly, philly_dev, govtrack or sample."
        )
    tr, te = np.flatnonzero(pool), np.flatnonzero(test)
    split = (
        [texts[i] for i in tr],
        [labels[i] for i in tr],
        [texts[i] for i in te],
        [labels[i] for i in te],
    )
    return split, book


def score(test_y: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    """Micro-F1 over all labels, macro-F1 over labels with at least 5 test cases."""
    keep = test_y.sum(0) >= 5
    micro = f1_score(test_y, pred, average="micro", zero_division=0)
    macro = f1_score(test_y[:, keep], pred[:, keep], average="macro", zero_division=0)
    return float(micro), float(macro)


class Simulation:
    """One split: train on chosen pool cases, score on the held-out part."""

    def __init__(self, split: Split, book: Any) -> None:
        self.pool_x, self.pool_l, self.test_x, test_l = split
        self.book = book
        self.names = sorted({x for ls in self.pool_l + test_l for x in ls})
        self.index = {x: j for j, x in enumerate(self.names)}
        self.test_y = self.matrix(test_l)
        self.exclusive = all(len(ls) == 1 for ls in self.pool_l)

    def matrix(self, sets: list[list[str]]) -> np.ndarray:
        y = np.zeros((len(sets), len(self.names)), dtype=int)
        for i, ls in enumerate(sets):
            for x in ls:
                y[i, self.index[x]] = 1
        return y

    def fit(self, chosen: list[int], seed: int) -> tuple[Any, float, float]:
        from allegations import train

        model = train(
            [self.pool_x[i] for i in chosen],
            [self.pool_l[i] for i in chosen],
            seed=seed,
            exclusive=self.exclusive or None,
        )
        decided = model.decide(model.predict_proba(self.test_x))
        pred = np.zeros_like(self.test_y)
        for k, label in enumerate(model.labels):
            pred[:, self.index[label]] = decided[:, k]
        micro, macro = score(self.test_y, pred)
        return model, micro, macro

    def run(
        self, strategy: str, start: int, seed: int, batch: int, max_labels: int
    ) -> list[dict[str, Any]]:
        from allegations import select

        n_pool = len(self.pool_x)
        rng = np.random.default_rng(1000 + seed)
        if start > 0:
            chosen = [int(i) for i in rng.permutation(n_pool)[:start]]
        else:
            first = "random" if strategy == "random" else "default"
            chosen = select(self.pool_x, batch, codebook=self.book, strategy=first, seed=seed)
        curve = []
        while True:
            t0 = time.perf_counter()
            model, micro, macro = self.fit(chosen, seed)
            curve.append(
                {
                    "n_labels": len(chosen),
                    "micro_f1": micro,
                    "macro_f1": macro,
                    "seconds": round(time.perf_counter() - t0, 1),
                }
            )
            print(
                f"  {strategy:<9} start={start:<3} seed={seed} n={len(chosen):<5} "
                f"micro={micro:.3f} macro={macro:.3f}",
                flush=True,
            )
            if len(chosen) >= min(max_labels, n_pool):
                return curve
            rest = sorted(set(range(n_pool)) - set(chosen))
            picks = select(
                [self.pool_x[i] for i in rest], batch, model=model, strategy=strategy, seed=seed
            )
            chosen += [rest[i] for i in picks]


def interval(values: list[float]) -> tuple[float, float, float]:
    """Mean and 95% t-interval."""
    a = np.asarray(values, dtype=float)
    mean = float(a.mean())
    if len(a) < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, len(a) - 1) * a.std(ddof=1) / np.sqrt(len(a)))
    return mean, mean - half, mean + half


def summarise(results: dict[str, Any]) -> str:
    """The markdown tables of a results file."""
    full = results["full_pool"]
    lines = [
        f"Split {results['split']}: pool {results['n_pool']} cases, held out "
        f"{results['n_test']}; full-pool model macro-F1 {full['macro_f1']:.3f}, micro-F1 "
        f"{full['micro_f1']:.3f}; seeds {results['seeds']}.",
        "",
        "| strategy | start | labels | macro-F1 (95% interval) | micro-F1 |",
        "|---|---|---|---|---|",
    ]
    summary = []
    for key, runs in results["runs"].items():
        strategy, start = key.split("@")
        sizes = [p["n_labels"] for p in runs[0]]
        means = []
        for k, size in enumerate(sizes):
            macro = interval([r[k]["macro_f1"] for r in runs])
            micro = interval([r[k]["micro_f1"] for r in runs])
            means.append(macro[0])
            lines.append(
                f"| {strategy} | {start} | {size} | {macro[0]:.3f} ({macro[1]:.3f}-"
                f"{macro[2]:.3f}) | {micro[0]:.3f} |"
            )
        reached = next(
            (s for s, m in zip(sizes, means, strict=True) if m >= full["macro_f1"]), None
        )
        summary.append(
            f"| {strategy} | {start} | "
            f"{reached if reached is not None else f'not by {sizes[-1]}'} | "
            f"{float(np.mean(means)):.3f} |"
        )
    lines += [
        "",
        "| strategy | start | labels to full-pool macro-F1 | AULC (macro) |",
        "|---|---|---|---|",
    ]
    lines += summary
    lines += _paired(results["runs"])
    return "\n".join(lines)


def _paired(runs: dict[str, Any]) -> list[str]:
    """Each strategy minus random from the same start, paired by seed (a random start: the
    same first cases)."""
    lines = []
    for key, strategy_runs in runs.items():
        strategy, start = key.split("@")
        base = runs.get(f"random@{start}")
        if strategy == "random" or base is None or len(base) != len(strategy_runs):
            continue
        for k, point in enumerate(strategy_runs[0]):
            diffs = [
                r[k]["macro_f1"] - b[k]["macro_f1"]
                for r, b in zip(strategy_runs, base, strict=True)
            ]
            mean, low, high = interval(diffs)
            lines.append(
                f"| {strategy} - random | {start} | {point['n_labels']} | {mean:+.3f} "
                f"({low:+.3f} to {high:+.3f}) |"
            )
    if lines:
        lines = [
            "",
            "| paired by seed | start | labels | macro-F1 difference (95% interval) |",
            "|---|---|---|---|",
            *lines,
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="philly")
    parser.add_argument("--strategies", default="random,uncertain,balanced,mixed")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--starts", default="0,100")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--max-labels", type=int, default=700)
    parser.add_argument("--out", default="")
    parser.add_argument(
        "--merge",
        default="",
        help="Comma-separated results files: print their tables, run nothing.",
    )
    args = parser.parse_args()
    if args.merge:
        merged: dict[str, Any] = {}
        for name in args.merge.split(","):
            part = json.loads(Path(name).read_text())
            runs = {**merged.get("runs", {}), **part["runs"]}
            merged = {**part, "runs": runs}
        print(summarise(merged))
        return
    logging.basicConfig(level=logging.ERROR)
    from dev_quality import cache_preprocessing

    cache_preprocessing()
    split, book = load_split(args.split)
    sim = Simulation(split, book)
    out_path = Path(args.out or ROOT / "out" / f"label_efficiency_{args.split}.json")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    results: dict[str, Any] = {
        "split": args.split,
        "n_pool": len(split[0]),
        "n_test": len(split[2]),
        "seeds": seeds,
        "batch": args.batch,
        "runs": {},
    }
    t0 = time.perf_counter()
    # The full-pool model is the same for every run of a split: trained once, kept.
    full_path = out_path.with_name(f"label_efficiency_full_{args.split}.json")
    if full_path.exists():
        results["full_pool"] = json.loads(full_path.read_text())
        micro, macro = results["full_pool"]["micro_f1"], results["full_pool"]["macro_f1"]
    else:
        _, micro, macro = sim.fit(list(range(len(split[0]))), 0)
        results["full_pool"] = {"micro_f1": micro, "macro_f1": macro}
        full_path.write_text(json.dumps(results["full_pool"]))
    print(f"full pool: micro={micro:.3f} macro={macro:.3f}", flush=True)
    for start in [int(s) for s in args.starts.split(",") if s]:
        for strategy in [s for s in args.strategies.split(",") if s]:
            runs = [sim.run(strategy, start, seed, args.batch, args.max_labels) for seed in seeds]
            results["runs"][f"{strategy}@{start}"] = runs
            out_path.write_text(json.dumps(results, indent=1))
    results["seconds"] = round(time.perf_counter() - t0)
    out_path.write_text(json.dumps(results, indent=1))
    print(summarise(results))


if __name__ == "__main__":
    main()

"""Benchmark this tool against the anchor systems on the same folds, in one process run.

Usage (from the repository root)::

    .venv/bin/python benchmarks/compare.py [--tasks philly_single,philly_ml,govtrack]
        [--systems tfidf_lr,spacy_bow,sklearn_tuned] [--json results.json]

The anchors come from ``<repo>/../shared/bench/anchors.py``: its tasks, its 5 folds
(seed 0), its scoring (micro-F1; macro-F1 over labels with at least 5 cases) and its
systems. Our row, ``allegations``, runs the code path of ``allegations train`` with
default options: :func:`allegations.training.train` on each training fold, then the model's
:meth:`~allegations.Tagger.predict_proba` and :meth:`~allegations.Tagger.decide` on the
test fold. The headline speed uses the model as trained, in-process, as the anchors do;
"freshly loaded" round-trips it through pickle first (empty spaCy vocabulary and chunk
cache, as after ``allegations predict`` loads it), and "with evidence" then adds the
evidence columns (``Tagger.frame_from_texts(..., evidence=True)``).

Speeds on a shared machine are noisy: compare systems within one run, as ratios against
``spacy_bow`` measured in the same run. Every system runs with one BLAS/OpenMP thread.

Scores on a few hundred or thousand cases are noisy too. When ``sklearn_tuned`` runs, a
second table gives our micro- and macro-F1 minus its own with a 95% paired bootstrap
interval over the cases (:func:`allegations.stats._reliability.paired_f1_difference`; both
systems' decisions on all folds, resampled together) and the share of resamples in which
the difference reaches issue 3's margin (``GOAL_MARGIN``, +0.03).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.preprocessing import MultiLabelBinarizer  # noqa: E402

from allegations.stats._reliability import paired_f1_difference  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"
TASKS = ["philly_single", "philly_ml", "govtrack"]
ANCHORS = ["tfidf_lr", "spacy_bow", "sklearn_tuned"]
OURS = "allegations"
#: The anchor whose scores issue 3's goal is stated against, and the goal's macro-F1 margin.
BASELINE = "sklearn_tuned"
GOAL_MARGIN = 0.03


def load_anchors() -> Any:
    """Import ../shared/bench/anchors.py."""
    if not (BENCH / "anchors.py").exists():
        sys.exit(f"Error: {BENCH / 'anchors.py'} not found; the benchmark needs ../shared.")
    sys.path.insert(0, str(BENCH))
    import anchors

    return anchors


def run_anchor(
    anchors: Any, task: str, name: str, folds: list, single: bool
) -> tuple[dict[str, Any], np.ndarray]:
    """Run one anchor system through anchors.evaluate and parse the JSON line it prints.

    Also returns its decisions on every test fold, stacked in fold order: the system's
    fit function is wrapped to keep what its predictor returns (inside the timed call,
    one reference per fold), so anchors.evaluate runs unchanged.
    """
    fit = anchors.SYSTEMS[name]
    decisions: list[np.ndarray] = []

    def recording(train_x: list[str], train_y: np.ndarray, single: bool) -> Any:
        predict = fit(train_x, train_y, single)

        def keep(xs: list[str]) -> Any:
            out = predict(xs)
            decisions.append(out)
            return out

        return keep

    buffer = io.StringIO()
    anchors.SYSTEMS[name] = recording
    try:
        with contextlib.redirect_stdout(buffer):
            anchors.evaluate(task, name, folds, single)
    finally:
        anchors.SYSTEMS[name] = fit
    result = json.loads(buffer.getvalue().strip().splitlines()[-1])
    return result, np.vstack([np.asarray(d) for d in decisions])


def run_ours(task: str, folds: list, classes: np.ndarray) -> tuple[dict[str, Any], np.ndarray]:
    """Train with default options on each training fold, predict each test fold; return
    the scores and the decisions on every test fold, stacked in fold order."""
    from allegations import train

    ys, yhats = [], []
    train_s = predict_s = cold_s = evidence_s = 0.0
    n = 0
    for train_x, train_y, test_x, test_y in folds:
        sets = [[str(classes[j]) for j in np.flatnonzero(row)] for row in train_y]
        t0 = time.perf_counter()
        model = train(train_x, sets, seed=0)
        train_s += time.perf_counter() - t0
        # As trained, like the anchors' in-process models (whose spaCy vocab and
        # tokenizer cache also hold the training texts' words).
        t0 = time.perf_counter()
        decided = model.decide(model.predict_proba(test_x))
        predict_s += time.perf_counter() - t0
        cold = pickle.loads(pickle.dumps(model))
        cold.predict_proba(["Warm-up: loads the spaCy pipeline, caches nothing of the fold."])
        t0 = time.perf_counter()
        cold.decide(cold.predict_proba(test_x))
        cold_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        cold.frame_from_texts(test_x, list(range(len(test_x))), evidence=True)
        evidence_s += time.perf_counter() - t0
        yhat = np.zeros(test_y.shape, dtype=int)
        index = {str(c): j for j, c in enumerate(classes)}
        for k, label in enumerate(model.labels):
            yhat[:, index[label]] = decided[:, k]
        ys.append(test_y)
        yhats.append(yhat)
        n += len(test_x)
    y, yhat = np.vstack(ys), np.vstack(yhats)
    keep = y.sum(0) >= 5
    result = {
        "task": task,
        "system": OURS,
        "micro_f1": round(f1_score(y, yhat, average="micro", zero_division=0), 3),
        "macro_f1": round(f1_score(y[:, keep], yhat[:, keep], average="macro", zero_division=0), 3),
        "train_s": round(train_s / len(folds), 2),
        "predict_docs_per_s": round(n / predict_s),
        "cold_docs_per_s": round(n / cold_s),
        "evidence_docs_per_s": round(n / evidence_s),
    }
    return result, yhat


def render_differences(differences: dict[str, dict[str, Any]]) -> str:
    """The markdown table of our F1 minus sklearn_tuned's, with paired bootstrap intervals."""
    lines = [
        f"| task | micro-F1, {OURS} - {BASELINE} (95% interval) "
        f"| macro-F1, {OURS} - {BASELINE} (95% interval) "
        f"| resamples with macro >= {GOAL_MARGIN:+g} |",
        "|---|---|---|---|",
    ]
    for task, d in differences.items():
        cells = [task]
        for name in ("micro", "macro"):
            lo, hi = d[name]["interval"]
            cells.append(f"{d[name]['difference']:+.4f} ({lo:+.4f} to {hi:+.4f})")
        cells.append(f"{d['macro']['share_above'][GOAL_MARGIN]:.0%}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(results: list[dict[str, Any]], tasks: list[str], systems: list[str]) -> str:
    """The markdown table: one row per system, micro / macro F1 per task, speeds, ratios."""
    by = {(r["task"], r["system"]): r for r in results}
    head = ["system"]
    for task in tasks:
        head += [f"{task} micro / macro F1", f"{task} train s", f"{task} predict docs/s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for system in systems:
        cells = [system]
        for task in tasks:
            r = by.get((task, system))
            if r is None:
                cells += ["not run", "", ""]
                continue
            bow = by.get((task, "spacy_bow"))
            speed = f"{r['predict_docs_per_s']:,}"
            if bow and system != "spacy_bow":
                speed += f" ({r['predict_docs_per_s'] / bow['predict_docs_per_s']:.1f}x bow)"
            if "cold_docs_per_s" in r:
                speed += (
                    f"; freshly loaded {r['cold_docs_per_s']:,}, "
                    f"then with evidence {r['evidence_docs_per_s']:,}"
                )
            cells += [f"{r['micro_f1']:.3f} / {r['macro_f1']:.3f}", f"{r['train_s']:.1f}", speed]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(TASKS), help="Comma-separated tasks.")
    parser.add_argument(
        "--systems",
        default=",".join([*ANCHORS, OURS]),
        help=f"Comma-separated systems: anchors ({', '.join(ANCHORS)}, spacy_ens, fasttext) "
        f"and {OURS}.",
    )
    parser.add_argument("--json", type=Path, help="Also write the results as JSON lines.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    anchors = load_anchors()
    tasks = [t for t in args.tasks.split(",") if t]
    systems = [s for s in args.systems.split(",") if s]
    for kind, names, known in (
        ("task", tasks, TASKS),
        ("system", systems, [*anchors.SYSTEMS, OURS]),
    ):
        unknown = [n for n in names if n not in known]
        if unknown or not names:
            what = f"unknown {kind} {unknown[0]!r}" if unknown else f"no {kind} given"
            print(f"Error: {what}; choose from {', '.join(known)}.", file=sys.stderr)
            sys.exit(2)
    results: list[dict[str, Any]] = []
    differences: dict[str, dict[str, Any]] = {}
    for task in tasks:
        texts, labels, single = anchors.load_task(task)
        folds = anchors.cv_folds(texts, labels)
        classes = MultiLabelBinarizer().fit(labels).classes_
        y = np.vstack([f[3] for f in folds])
        decided: dict[str, np.ndarray] = {}
        rows: dict[str, dict[str, Any]] = {}
        for system in systems:
            if system == OURS:
                rows[system], decided[system] = run_ours(task, folds, classes)
            else:
                rows[system], decided[system] = run_anchor(anchors, task, system, folds, single)
            print(json.dumps(rows[system]), file=sys.stderr, flush=True)
        if OURS in decided and BASELINE in decided:
            differences[task] = paired_f1_difference(
                y, decided[OURS], decided[BASELINE], margins=(0.0, GOAL_MARGIN)
            )
            rows[OURS][f"minus_{BASELINE}"] = differences[task]
        results.extend(rows.values())
    if args.json:
        args.json.write_text("".join(json.dumps(r) + "\n" for r in results), encoding="utf-8")
    print(render(results, tasks, systems))
    if differences:
        print()
        print(render_differences(differences))


if __name__ == "__main__":
    main()

"""Do the report's counts hold on a real, later release? Coverage and error per estimator.

Time splits of the Philadelphia complaints (``../shared/data/philly_2013_2018``; labels =
``general_cap_classification``, one per case, so a single-label model):

* ``philly-2017``: train on complaints received 2013-2016, release = those received
  2017-2018;
* ``philly-2016``: train on 2013-2015, release = 2016-2018.

Per split the model is trained once (``allegations.train``, seed 0), the release is tagged
once (``predict_file``, as ``allegations predict``), compared with the training table once
(``release_report``, as ``allegations compare-release --training``), and the cases are
loaded once (``load_cases``, as ``allegations review``). Then, for each audit size (100,
200, 300) and each repetition, a stratified audit is drawn (``draw_audit``, seed = rep),
saved in a fresh review store, "reviewed" with the department's own codes as the
reviewer's answers, and the report is built through the CLI's path (``estimate_store`` ->
``build_report``). The true count of each label is the number of release cases the
department coded with it.

Estimators, per label:

* ``recommended``: ``release.counts[i].recommended`` (with an audit: the audit estimate);
* ``audit``: the stratified audit estimate of ``allegations estimate``;
* ``model``: the corrected count (adjusted classify-and-count) wherever the report gives one,
  whatever the drift checks said (the figure issue 17 found the methods note quoting);
* ``raw``: the number of release cases the model tagged (no interval).

Reported: coverage (share of 95% intervals holding the true count, over label x rep pairs
where the estimator gives a figure), mean absolute error in cases, and the share of pairs
with a figure. Goal (issue 17): recommended covers >= 90% at a 200-case audit, and its
mean absolute error is no worse than raw's, on every split.

Run: ``.venv/bin/python benchmarks/estimate_coverage.py [--reps 200] [--sizes 100 200 300]``
(8 minutes of CPU at 200 repetitions, mostly training and the out-of-fold reference of
each split; figures in the README and ``docs/report.md``). Writes the table as Markdown to
stdout and JSON to ``/tmp/allegations-bench/estimate_coverage.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
WORK = Path("/tmp/allegations-bench")
PHILLY = ROOT.parent / "shared" / "data" / "philly_2013_2018" / "ppd_complaints_7-18.csv"
sys.path.insert(0, str(ROOT / "src"))

from allegations import train  # noqa: E402
from allegations.batch._workflows import predict_file  # noqa: E402
from allegations.release._compare import release_report  # noqa: E402
from allegations.report._build import build_report  # noqa: E402
from allegations.report._inputs import read_predictions  # noqa: E402
from allegations.review._cases import draw_audit, load_cases  # noqa: E402
from allegations.review._estimate import estimate_store  # noqa: E402
from allegations.review._store import ReviewStore  # noqa: E402

ESTIMATORS = ("recommended", "audit", "model", "raw")
SPLITS = {"philly-2017": "2017", "philly-2016": "2016"}


def philly() -> pd.DataFrame:
    df = pd.read_csv(PHILLY, dtype=str, keep_default_na=False)
    df["label"] = df["general_cap_classification"].str.strip()
    df = df[(df["summary"].str.strip() != "") & (df["label"] != "")]
    return df.reset_index(drop=True)


def prepare(name: str, first_release_year: str, folder: Path) -> dict[str, Any]:
    """Train, tag, compare and load the release once for one split."""
    df = philly()
    year = df["date_received"].str[:4]
    old, new = df[year < first_release_year], df[year >= first_release_year]
    t0 = time.perf_counter()
    model = train(old["summary"].tolist(), [[x] for x in old["label"]], seed=0)
    t_train = time.perf_counter() - t0
    train_path, release_path = folder / f"{name}-train.csv", folder / f"{name}-release.csv"
    old[["cap_number", "summary", "label"]].to_csv(train_path, index=False)
    new[["cap_number", "summary"]].to_csv(release_path, index=False)
    tagged = folder / f"{name}-tagged.csv"
    predict_file(release_path, tagged, model, text_col="summary", id_col="cap_number")
    summary = release_report(
        release_path,
        model,
        id_col="cap_number",
        text_col="summary",
        training_paths=[train_path],
        training_labels_col="label",
    )
    summary = json.loads(json.dumps(summary))  # as compare-release --json writes it
    cases = load_cases(release_path, model, text_col="summary", id_col="cap_number")
    truth_by_id = dict(zip(new["cap_number"], new["label"], strict=True))
    return {
        "model": model,
        "predictions": read_predictions(tagged, list(model.labels)),
        "summary": summary,
        "cases": cases,
        "truth_by_id": truth_by_id,
        "truth": {lab: int((new["label"] == lab).sum()) for lab in model.labels},
        "unknown": sorted(set(new["label"]) - set(model.labels)),
        "n_train": len(old),
        "n_release": len(new),
        "train_seconds": round(t_train, 1),
        "drifted": [
            r["label"] for r in summary["labels"] if r.get("share_drift") or r.get("score_drift")
        ],
    }


def one_audit(prep: dict[str, Any], size: int, rep: int, folder: Path) -> dict[str, Any]:
    """Draw, review (true labels) and estimate one audit; return the report's release part."""
    model, cases = prep["model"], prep["cases"]
    design = draw_audit(cases, size=size, seed=rep)
    store_path = folder / f"audit-{size}-{rep}.db"
    known = set(model.labels)
    with ReviewStore(store_path, labels=model.labels) as store:
        store.save_audit_design(design)
        for pos in design.sample:
            case = cases[pos]
            truth = prep["truth_by_id"][case.case_id]
            store.record(
                case_id=case.case_id,
                text=case.text,
                labels=[truth] if truth in known else [],
                predicted=case.scores,
                predicted_labels=case.predicted,
                model_id=model.model_id,
                reviewer="truth",
                strategy="audit",
                thash=case.text_hash,
            )
    est = estimate_store(store_path)
    report = build_report(
        model.card,
        model_id=model.model_id,
        predictions=prep["predictions"],
        store=est,
        summary=prep["summary"],
        seed=rep,
    )
    store_path.unlink()
    for extra in (store_path.with_name(store_path.name + s) for s in ("-wal", "-shm")):
        extra.unlink(missing_ok=True)
    return {"release": report["release"], "audit": {r["label"]: r for r in est["per_label"]}}


def figures(out: dict[str, Any], label: str) -> dict[str, dict[str, Any] | None]:
    count = next(c for c in out["release"]["counts"] if c["label"] == label)
    audit = out["audit"][label]["estimated_count"]
    return {
        "recommended": count["recommended"],
        "audit": audit,
        "model": count.get("corrected"),
        "raw": {"estimate": count["tagged"], "low": None, "high": None},
    }


def run_split(name: str, prep: dict[str, Any], sizes: list[int], reps: int) -> list[dict]:
    rows = []
    labels = list(prep["model"].labels)
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as d:
        for size in sizes:
            t0 = time.perf_counter()
            tally = {
                e: {"covered": 0, "with_interval": 0, "abs_err": [], "n": 0} for e in ESTIMATORS
            }
            for rep in range(reps):
                out = one_audit(prep, size, rep, Path(d))
                for label in labels:
                    true = prep["truth"][label]
                    for est, fig in figures(out, label).items():
                        t = tally[est]
                        t["n"] += 1
                        if fig is None or fig.get("estimate") is None:
                            continue
                        t["abs_err"].append(abs(float(fig["estimate"]) - true))
                        if fig.get("low") is not None:
                            t["with_interval"] += 1
                            t["covered"] += int(fig["low"] - 1e-9 <= true <= fig["high"] + 1e-9)
            for est in ESTIMATORS:
                t = tally[est]
                rows.append(
                    {
                        "split": name,
                        "audit": size,
                        "estimator": est,
                        "coverage": round(t["covered"] / t["with_interval"], 3)
                        if t["with_interval"]
                        else None,
                        "mae": round(float(np.mean(t["abs_err"])), 1) if t["abs_err"] else None,
                        "share_with_figure": round(len(t["abs_err"]) / t["n"], 3),
                        "seconds": round(time.perf_counter() - t0, 1),
                    }
                )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    head = "| split | audit | estimator | 95% coverage | MAE (cases) | labels with a figure |"
    lines = [head, "|---|---:|---|---:|---:|---:|"]
    for r in rows:
        cov = "no interval" if r["coverage"] is None else f"{100 * r['coverage']:.1f}%"
        mae = "-" if r["mae"] is None else f"{r['mae']:.1f}"
        lines.append(
            f"| {r['split']} | {r['audit']} | {r['estimator']} | {cov} | {mae} | "
            f"{100 * r['share_with_figure']:.0f}% |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 300])
    parser.add_argument("--splits", nargs="+", default=list(SPLITS), choices=list(SPLITS))
    args = parser.parse_args()
    if not PHILLY.exists():
        sys.exit(f"{PHILLY} not found: this benchmark needs ../shared/data.")
    WORK.mkdir(parents=True, exist_ok=True)
    rows, info = [], {}
    with tempfile.TemporaryDirectory() as d:
        for name in args.splits:
            prep = prepare(name, SPLITS[name], Path(d))
            info[name] = {
                k: prep[k]
                for k in ("n_train", "n_release", "train_seconds", "drifted", "unknown", "truth")
            }
            print(
                f"{name}: {prep['n_train']} training cases, {prep['n_release']} release cases, "
                f"{len(prep['drifted'])} drifted label(s): {', '.join(prep['drifted']) or '-'}; "
                f"release labels the model lacks: {', '.join(prep['unknown']) or '-'}",
                file=sys.stderr,
            )
            rows += run_split(name, prep, args.sizes, args.reps)
    table = markdown(rows)
    print(table)
    out = WORK / "estimate_coverage.json"
    out.write_text(json.dumps({"reps": args.reps, "splits": info, "rows": rows}, indent=2))
    print(f"\n{args.reps} repetitions per audit size; JSON in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()

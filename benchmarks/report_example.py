"""Make the example report of docs/report.md from the GovTrack misconduct data, and check
the corrected counts against the release's true labels.

The data (../shared/data/govtrack_misconduct, CC0) are split at random (seed 0): 60% to
train on, 40% as a "release" to tag, whose hand labels are then used only to score the
counts. Run from the repository root:

    .venv/bin/python benchmarks/report_example.py --png docs/report.png

It prints a Markdown table (tagged, corrected with 95% interval, true count per label)
and writes model/, tagged.csv, report.html, report.json and, when chromium is installed,
a 1200x3000 screenshot.

With ``--repeats N`` it then repeats the random split N times (seeds 1..N) and prints the
mean absolute error of the raw ("classify and count") and corrected counts, and how often
the corrected 95% interval held the true count.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from allegations import save_model, train
from allegations.batch._workflows import LabelSpec, read_labelled
from allegations.report._build import make_report, release_stats
from allegations.tables._read import sha256_file
from allegations.tables._write import write_table
from allegations.training._codebook import Codebook, LabelDefinition
from allegations.training._labels import to_matrix

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "govtrack_misconduct" / "misconduct-instances.csv"
TOPICS = ("corruption", "crime", "elections", "ethics", "sexual-harassment-abuse")


def split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    is_train = np.random.default_rng(seed).random(n) < 0.6
    return np.flatnonzero(is_train), np.flatnonzero(~is_train)


def _score(model, data, idx, seed, tally) -> None:
    tagged = model.predict([data.texts[i] for i in idx])
    pred = pd.DataFrame(
        {
            "labels": [s.split(";") if s else [] for s in tagged["labels"]],
            "confidence": tagged["confidence"].astype(float),
            "needs_review": tagged["needs_review"].astype(bool),
        }
    )
    stats = release_stats(pred, model.card, seed=seed)
    truth = to_matrix([data.label_sets[i] for i in idx], model.labels).sum(axis=0)
    for j, row in enumerate(stats["counts"]):
        c = row["corrected"]
        if c is None:
            tally["skipped"] += 1
            continue
        tally["raw"].append(abs(row["tagged"] - truth[j]))
        tally["corrected"].append(abs(c["estimate"] - truth[j]))
        tally["covered"] += c["low"] <= truth[j] <= c["high"]


def repeated_splits(data, codebook, repeats: int) -> None:
    """Raw vs corrected count error and interval coverage over random splits.

    Two releases per split: the held-out 40% as it is (same label mix as training), and a
    label-shifted one (every held-out case with "ethics" kept, others kept with probability
    0.35), which changes how common each label is without changing how a case of a label
    reads: the situation adjusted classify-and-count is made for.
    """
    tallies = {
        name: {"raw": [], "corrected": [], "covered": 0, "skipped": 0}
        for name in ("same mix", "label-shifted")
    }
    start = time.perf_counter()
    ethics = TOPICS.index("ethics")
    for seed in range(1, repeats + 1):
        train_idx, rel_idx = split(len(data.texts), seed)
        model = train(
            [data.texts[i] for i in train_idx],
            [data.label_sets[i] for i in train_idx],
            seed=seed,
            codebook=codebook,
        )
        _score(model, data, rel_idx, seed, tallies["same mix"])
        y = to_matrix([data.label_sets[i] for i in rel_idx], model.labels)
        keep = (y[:, ethics] == 1) | (np.random.default_rng(seed).random(len(rel_idx)) < 0.35)
        _score(model, data, rel_idx[keep], seed, tallies["label-shifted"])
    took = time.perf_counter() - start
    print(f"\n{repeats} random 60/40 splits of {len(data.texts)} cases ({took:.0f} s)\n")
    print("| release | label counts | MAE raw | MAE corrected | 95% interval held truth |")
    print("|---|---:|---:|---:|---:|")
    for name, t in tallies.items():
        n = len(t["corrected"])
        share = f"{t['covered']}/{n} ({t['covered'] / n:.0%})"
        print(
            f"| {name} | {n} (+{t['skipped']} not estimable) | {np.mean(t['raw']):.1f} | "
            f"{np.mean(t['corrected']):.1f} | {share} |"
        )


def screenshot(html: Path, png: Path) -> bool:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium not installed: no screenshot", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
             f"--screenshot={png}", "--window-size=1200,3000", html.as_uri()],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "out" / "report-example")
    parser.add_argument("--png", type=Path, default=None, help="Also save the screenshot here.")
    parser.add_argument("--repeats", type=int, default=0, help="Repeated splits to score.")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is not available")
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)

    data = read_labelled([DATA], text_col="text", spec=LabelSpec(label_cols=TOPICS))
    train_idx, rel_idx = split(len(data.texts), 0)
    texts = [data.texts[i] for i in train_idx]
    sets = [data.label_sets[i] for i in train_idx]
    codebook = Codebook(
        name="GovTrack misconduct topics",
        version="9ff7bbd (2026-04-23)",
        labels=tuple(LabelDefinition(t) for t in TOPICS),
    )
    info = {
        "files": [
            {
                "name": f"{DATA.name} (random 60%, seed 0)",
                "rows": len(texts),
                "sha256": sha256_file(DATA),
            }
        ]
    }
    start = time.perf_counter()
    model = train(texts, sets, seed=0, codebook=codebook, data_info=info)
    save_model(model, out / "model")
    trained = time.perf_counter() - start

    release_texts = [data.texts[i] for i in rel_idx]
    release_sets = [data.label_sets[i] for i in rel_idx]
    tagged = model.predict(release_texts, ids=[data.ids[i] for i in rel_idx])
    write_table(tagged, out / "tagged.csv")
    start = time.perf_counter()
    report = make_report(
        out / "model",
        out / "report.html",
        predictions_path=out / "tagged.csv",
        json_path=out / "report.json",
    )
    reported = time.perf_counter() - start
    truth = to_matrix(release_sets, model.labels).sum(axis=0)

    print(f"train {len(texts)} cases: {trained:.1f} s; report: {reported:.1f} s; "
          f"release {len(rel_idx)} cases")  # fmt: skip
    print("\n| label | tagged | corrected (95% interval) | true count | inside |")
    print("|---|---:|---:|---:|---|")
    for j, row in enumerate(report["release"]["counts"]):
        c = row["corrected"]
        shown = f"{c['estimate']:.0f} ({c['low']:.0f}-{c['high']:.0f})" if c else "n/a"
        inside = "yes" if c and c["low"] <= truth[j] <= c["high"] else ("no" if c else "-")
        print(f"| {row['label']} | {row['tagged']} | {shown} | {int(truth[j])} | {inside} |")
    # Timing: the same report for a release 455 times larger (100,100 rows), against the
    # small release as the anchor measured in the same run.
    big = pd.concat([pd.read_csv(out / "tagged.csv", dtype=str, keep_default_na=False)] * 455)
    big.to_csv(out / "tagged-big.csv", index=False)
    timings = {}
    for name in ("tagged.csv", "tagged-big.csv"):
        start = time.perf_counter()
        make_report(out / "model", out / "timing.html", predictions_path=out / name)
        timings[name] = time.perf_counter() - start
    print(
        f"\nreport time: {len(rel_idx)}-row release {timings['tagged.csv']:.1f} s, "
        f"{len(big):,}-row release {timings['tagged-big.csv']:.1f} s "
        f"(ratio {timings['tagged-big.csv'] / timings['tagged.csv']:.2f})"
    )
    png = out / "report.png"
    if screenshot(out / "report.html", png) and args.png is not None:
        shutil.copyfile(png, args.png)
        print(f"\nscreenshot: {args.png}")
    if args.repeats:
        repeated_splits(data, codebook, args.repeats)


if __name__ == "__main__":
    main()

"""Scale benchmark of ``allegations predict`` against spaCy's bag-of-words textcat.

Usage (from the project folder, after ``make install``)::

    .venv/bin/python benchmarks/scale.py                # 100k and 1M rows, everything
    .venv/bin/python benchmarks/scale.py --sizes 100000 --skip-nproc

What it does, all in one run so the ratios compare like with like:

1. Corpus: the Chicago intake narratives (``../shared/data/cpd_intake``, 9,430 texts, read as
   its SOURCE.md says: tab-separated, no header, no quoting; ``\\"`` unescaped) repeated to
   each size, written to ``/tmp/allegations-bench/cpd_<n>.csv`` (never committed).
2. Model: ``allegations`` trained on the Philadelphia police complaints
   (``../shared/data/philly_2013_2018``, ``summary`` -> ``general_cap_classification``, one
   label per complaint), seed 0. The anchor: spaCy's bag-of-words textcat trained on the
   same data exactly as ``spacy_model("bow")`` in ``../shared/bench/anchors.py`` (imported
   from there).
3. Anchor speed: ``nlp.pipe`` over the texts of the 100k corpus, in this process (texts
   already in memory: no file reading or writing).
4. Ours, end to end: ``allegations predict FILE --out OUT.csv`` as a subprocess (start-up,
   model load, read, preprocess, classify, write), timed by wall clock; peak resident memory
   of the whole process tree sampled every 20 ms (and the exact peak of the main process
   from ``wait4``). The time split comes from ``OUT.csv.summary.json``.
5. ``--n-process 2`` against one process on the same file.
6. spaCy's bare tokenizer (``spacy.blank("en").tokenizer.pipe``) on the same texts, against
   our preprocessing rate (rows / preprocess seconds).

Prints one JSON object per measurement and a final summary object.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
WORK = Path("/tmp/allegations-bench")
#: Extra options for every ``allegations predict`` run (``--predict-args``).
PREDICT_EXTRA: list[str] = []


def chicago_texts() -> list[str]:
    """The 9,430 Chicago intake narratives, read as SOURCE.md says."""
    path = SHARED / "data" / "cpd_intake" / "initial_intake_allegations.csv"
    df = pd.read_csv(
        path,
        sep="\t",
        header=None,
        quoting=csv.QUOTE_NONE,
        names=["file", "col2", "text"],
        dtype=str,
        keep_default_na=False,
    )
    return [t.replace('\\"', '"') for t in df["text"]]


def make_corpus(texts: list[str], n_rows: int) -> Path:
    """Repeat ``texts`` to ``n_rows`` rows in a CSV with ``id`` and ``text``; reuse if present."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"cpd_{n_rows}.csv"
    if path.exists():
        return path
    reps = -(-n_rows // len(texts))
    column = (texts * reps)[:n_rows]
    df = pd.DataFrame({"id": [f"R{i:07d}" for i in range(1, n_rows + 1)], "text": column})
    tmp = path.with_suffix(".tmp")
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path


def philly() -> tuple[list[str], list[str]]:
    df = pd.read_csv(
        SHARED / "data" / "philly_2013_2018" / "ppd_complaints_7-18.csv",
        dtype=str,
        keep_default_na=False,
    )
    labels = [" ".join(x.strip().upper().split()) for x in df["general_cap_classification"]]
    return df["summary"].tolist(), labels


def train_ours(texts: list[str], labels: list[str]) -> Path:
    from allegations import save_model, train

    # Trained afresh every run: a model cached from an older checkout would measure old code.
    folder = WORK / "model-philly"
    t0 = time.perf_counter()
    model = train(texts, [[x] for x in labels], seed=0)
    save_model(model, folder)
    emit({"step": "train_ours", "seconds": round(time.perf_counter() - t0, 1)})
    return folder


def train_anchor(texts: list[str], labels: list[str]):
    spec = importlib.util.spec_from_file_location("anchors", SHARED / "bench" / "anchors.py")
    assert spec is not None and spec.loader is not None
    anchors = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(anchors)
    names = sorted(set(labels))
    y = np.array([[int(x == n) for n in names] for x in labels])
    t0 = time.perf_counter()
    predict = anchors.spacy_model("bow")(texts, y, True)
    emit({"step": "train_anchor_spacy_bow", "seconds": round(time.perf_counter() - t0, 1)})
    return predict


def emit(obj: dict) -> None:
    print(json.dumps(obj), flush=True)


def run_predict(data: Path, model: Path, out: Path, *extra: str) -> dict:
    """Run the console script; return wall seconds, peak RSS and the summary JSON.

    The peak of the main process comes from GNU time (``%M``: exact, and not inflated by
    this large parent process as ``wait4`` after a fork would be); the peak of the whole
    process tree (workers included) is sampled every 20 ms with psutil.
    """
    import psutil

    exe = Path(sys.executable).with_name("allegations")
    rss_file = WORK / "rss.txt"
    cmd = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), str(exe), "predict", str(data)]
    cmd += ["--model", str(model), "--out", str(out), "--text-col", "text", "--id-col", "id"]
    cmd += ["--quiet", *PREDICT_EXTRA, *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    ps = psutil.Process(proc.pid)
    peak_tree = 0
    while proc.poll() is None:
        try:
            tree = ps.children(recursive=True)
            peak_tree = max(peak_tree, sum(c.memory_info().rss for c in tree))
        except psutil.Error:
            pass
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"predict failed: {err}")
    summary = json.loads(Path(str(out) + ".summary.json").read_text())
    return {
        "wall_s": round(wall, 2),
        "peak_rss_main_mb": round(int(rss_file.read_text().split()[-1]) / 1024, 1),
        "peak_rss_tree_mb": round(peak_tree / 2**20, 1),
        "summary": summary,
    }


def main() -> None:
    global WORK
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--anchor-rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-nproc", action="store_true")
    parser.add_argument(
        "--work", default=str(WORK), help="folder for the corpus, models and outputs: give "
        "each of two runs side by side its own"
    )
    parser.add_argument(
        "--predict-args",
        default="",
        help="extra options for allegations predict, e.g. '--keep-columns none' to write "
        "only the tags, as predict did before it kept the input's columns",
    )
    args = parser.parse_args()
    WORK = Path(args.work)
    PREDICT_EXTRA[:] = shlex.split(args.predict_args)
    sizes = [int(s) for s in args.sizes.split(",")]

    texts = chicago_texts()
    mean_chars = round(float(np.mean([len(t) for t in texts])))
    emit({"step": "corpus", "unique_texts": len(texts), "mean_chars": mean_chars})
    train_texts, train_labels = philly()
    model = train_ours(train_texts, train_labels)
    anchor = train_anchor(train_texts, train_labels)
    files = {n: make_corpus(texts, n) for n in sizes}
    first = sizes[0]
    n_anchor = args.anchor_rows
    bench_texts = (texts * (-(-n_anchor // len(texts))))[:n_anchor]

    # spaCy's bare tokenizer on the same texts.
    import spacy

    nlp = spacy.blank("en")
    t0 = time.perf_counter()
    for _ in nlp.tokenizer.pipe(bench_texts, batch_size=1000):
        pass
    tok_rate = n_anchor / (time.perf_counter() - t0)
    emit({"step": "spacy_bare_tokenizer", "rows": n_anchor, "docs_per_s": round(tok_rate)})

    # The anchor (spaCy bow textcat, nlp.pipe in-process, texts in memory) alternates with
    # our end-to-end run on the first size, --repeats times each, so both see the same
    # machine load; ratios use the median of each.
    anchor_rates, ours_runs = [], []
    for rep in range(args.repeats):
        t0 = time.perf_counter()
        anchor(bench_texts)
        anchor_rates.append(n_anchor / (time.perf_counter() - t0))
        emit({"step": "anchor_spacy_bow", "rep": rep, "docs_per_s": round(anchor_rates[-1])})
        res = run_predict(files[first], model, WORK / f"out_{first}.csv")
        ours_runs.append(res)
        light = {k: v for k, v in res.items() if k != "summary"}
        emit({"step": "ours", "rep": rep, "docs_per_s": round(first / res["wall_s"]), **light})
    anchor_rate = float(np.median(anchor_rates))

    results = {}
    for n, path in files.items():
        runs = ours_runs if n == first else [run_predict(path, model, WORK / f"out_{n}.csv")]
        res = sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]  # the median run
        timings = res["summary"]["timings_seconds"]
        rate = n / res["wall_s"]
        row = {
            "step": "ours_1_process",
            "rows": n,
            "runs": len(runs),
            **{k: v for k, v in res.items() if k != "summary"},
            "docs_per_s": round(rate),
            "ratio_vs_spacy_bow": round(rate / anchor_rate, 2),
            "timings_s": timings,
            "preprocess_docs_per_s": round(n / timings["preprocess"]),
            "preprocess_vs_bare_tokenizer": round(n / timings["preprocess"] / tok_rate, 2),
        }
        emit(row)
        results[n] = row

    nproc: dict = {}
    if not args.skip_nproc:
        # One and two processes alternate so both see the same load; medians.
        walls1, walls2 = [], []
        for rep in range(args.repeats):
            walls1.append(run_predict(files[first], model, WORK / "out_np1.csv")["wall_s"])
            res2 = run_predict(files[first], model, WORK / "out_np2.csv", "--n-process", "2")
            walls2.append(res2["wall_s"])
            emit(
                {
                    "step": "n_process",
                    "rep": rep,
                    "wall_1": walls1[-1],
                    "wall_2": walls2[-1],
                    "peak_rss_tree_mb_2": res2["peak_rss_tree_mb"],
                }
            )
        same = (WORK / "out_np1.csv").read_bytes() == (WORK / "out_np2.csv").read_bytes()
        nproc = {
            "step": "ours_2_processes",
            "rows": first,
            "median_wall_1": float(np.median(walls1)),
            "median_wall_2": float(np.median(walls2)),
            "speedup_vs_1": round(float(np.median(walls1) / np.median(walls2)), 2),
            "identical_output": same,
        }
        emit(nproc)
    emit(
        {
            "step": "summary",
            "anchor_docs_per_s": round(anchor_rate),
            "bare_tokenizer_docs_per_s": round(tok_rate),
            "ours": {
                n: {k: r[k] for k in ("docs_per_s", "ratio_vs_spacy_bow", "peak_rss_main_mb")}
                for n, r in results.items()
            },
            "n_process_2_speedup": nproc.get("speedup_vs_1"),
        }
    )


if __name__ == "__main__":
    main()

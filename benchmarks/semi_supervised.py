"""Does the unlabelled release help when labels are few? (issue 18, item 5)

A reporter always holds thousands of unlabelled narratives: the release itself. This
measures three common ways to use them, each against the same model without them, at 100,
300 and 700 labelled cases drawn at random from the pool, over several seeds:

- ``lsa``: latent semantic analysis, a truncated SVD of the TF-IDF matrix of all text
  (labelled + unlabelled), appended to the features;
- ``ppmi``: word vectors from the positive pointwise mutual information of words in the
  same narrative, reduced by SVD and fitted on all text; a case's vector is the TF-IDF
  weighted mean of its words' vectors, appended to the features;
- ``self``: self-training, the model's confident predictions on the unlabelled pool
  (probability >= 0.9) added as labels for one refit.

The feature step is the library's own (``SpacyPreprocessor`` + ``LemmaFeatures`` at
default settings, fitted on the labelled cases); the classifier is a class-weighted
logistic regression, as the library's single-label model. Scored by macro- and micro-F1 on
the time split's release, with the paired difference's 95% bootstrap interval over cases
(pooled over seeds).

Data: Philadelphia complaints (``../shared/data/philly_2013_2018``), pool = cases received
2013-2016, release = 2017-2018, label = ``general_cap_classification`` (single-label).

Run: ``.venv/bin/python benchmarks/semi_supervised.py [--seeds 5]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.preprocessing import normalize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from allegations.model._features import LemmaFeatures  # noqa: E402
from allegations.text._preprocess import SpacyPreprocessor  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "philly_2013_2018" / "ppd_complaints_7-18.csv"
SIZES = (100, 300, 700)
METHODS = ("lsa", "ppmi", "self")


def load() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    df = pd.read_csv(DATA, dtype=str).dropna(subset=["summary", "general_cap_classification"])
    year = df["date_received"].str[:4].astype(int)
    docs = SpacyPreprocessor(mark_sentences=False).fit([]).transform(df["summary"].tolist())
    labels = df["general_cap_classification"].str.strip().to_numpy()
    pool = (year <= 2016).to_numpy()
    return docs[pool], labels[pool], docs[~pool], labels[~pool]


def ppmi_vectors(X_all: sp.csr_matrix, dim: int, seed: int) -> np.ndarray:
    """Word vectors: SVD of the PPMI of words sharing a narrative."""
    B = (X_all > 0).astype(np.float64)
    C = (B.T @ B).tocoo()
    total = C.sum()
    row = np.asarray(C.sum(axis=1)).ravel()
    pmi = np.log(C.data * total / (row[C.row] * row[C.col] ** 0.75 * (row.sum() ** 0.25)))
    keep = pmi > 0
    P = sp.csr_matrix((pmi[keep], (C.row[keep], C.col[keep])), shape=C.shape)
    svd = TruncatedSVD(n_components=dim, random_state=seed)
    return normalize(svd.fit_transform(P))


def fit_predict(X_tr, y_tr, X_te, seed):
    clf = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000, random_state=seed)
    return clf.fit(X_tr, y_tr), clf.predict(X_te)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--dim", type=int, default=100)
    args = parser.parse_args()
    pool_docs, pool_y, test_docs, test_y = load()
    all_docs = np.concatenate([pool_docs, test_docs])
    print(f"pool {len(pool_docs)} cases (2013-2016), release {len(test_docs)} (2017-2018)")
    rows = []
    for n in SIZES:
        diffs: dict[str, list[np.ndarray]] = {m: [] for m in METHODS}
        scores: dict[str, list[tuple[float, float]]] = {m: [] for m in ("base", *METHODS)}
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            pick = rng.choice(len(pool_docs), size=n, replace=False)
            rest = np.setdiff1d(np.arange(len(pool_docs)), pick)
            feats = LemmaFeatures().fit(pool_docs[pick])
            X_tr, X_te = feats.transform(pool_docs[pick]), feats.transform(test_docs)
            X_un = feats.transform(pool_docs[rest])
            X_all = feats.transform(all_docs)
            base_clf, base = fit_predict(X_tr, pool_y[pick], X_te, seed)
            preds = {"base": base}
            # lsa: SVD of the TF-IDF of all text (labelled + unlabelled)
            svd = TruncatedSVD(n_components=args.dim, random_state=seed).fit(X_all)

            def lsa(X, svd=svd):
                return sp.hstack([X, sp.csr_matrix(normalize(svd.transform(X)))]).tocsr()

            preds["lsa"] = fit_predict(lsa(X_tr), pool_y[pick], lsa(X_te), seed)[1]
            # ppmi: word vectors from co-occurrence in all text
            W = ppmi_vectors(X_all, args.dim, seed)

            def ppmi(X, W=W):
                return sp.hstack([X, sp.csr_matrix(normalize(X @ W))]).tocsr()

            preds["ppmi"] = fit_predict(ppmi(X_tr), pool_y[pick], ppmi(X_te), seed)[1]
            # self-training: confident predictions on the unlabelled pool, one refit
            proba = base_clf.predict_proba(X_un)
            sure = proba.max(axis=1) >= 0.9
            X_self = sp.vstack([X_tr, X_un[sure]]).tocsr()
            y_self = np.concatenate([pool_y[pick], base_clf.classes_[proba[sure].argmax(axis=1)]])
            preds["self"] = fit_predict(X_self, y_self, X_te, seed)[1]
            for name, pred in preds.items():
                scores[name].append(
                    (
                        f1_score(test_y, pred, average="macro", zero_division=0),
                        f1_score(test_y, pred, average="micro", zero_division=0),
                    )
                )
            for m in METHODS:
                diffs[m].append(np.stack([preds[m] == test_y, base == test_y]))
        base_macro = np.mean([s[0] for s in scores["base"]])
        base_micro = np.mean([s[1] for s in scores["base"]])
        print(f"\n{n} labels: base macro-F1 {base_macro:.3f}, micro-F1 {base_micro:.3f}")
        for m in METHODS:
            macro = np.mean([s[0] for s in scores[m]]) - base_macro
            micro = np.mean([s[1] for s in scores[m]]) - base_micro
            per_seed = [s[0] - b[0] for s, b in zip(scores[m], scores["base"], strict=True)]
            # Accuracy (= micro-F1) difference: bootstrap over release cases, pooled seeds.
            hits = np.concatenate(diffs[m], axis=1).astype(float)
            rng = np.random.default_rng(0)
            idx = rng.integers(0, hits.shape[1], size=(2000, hits.shape[1]))
            boot = (hits[0][idx] - hits[1][idx]).mean(axis=1)
            lo, hi = np.percentile(boot, [2.5, 97.5])
            print(
                f"  {m:5s} macro-F1 {macro:+.3f} (seeds {min(per_seed):+.3f} to "
                f"{max(per_seed):+.3f}), micro-F1 {micro:+.3f} (95% {lo:+.3f} to {hi:+.3f})"
            )
            rows.append((n, m, macro, micro, lo, hi))


if __name__ == "__main__":
    main()

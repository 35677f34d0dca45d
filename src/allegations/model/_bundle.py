"""The model file format 2: a fitted :class:`~allegations.model._tagger.Tagger` as plain data.

A model is vocabularies, idf weights, an affix matrix, coefficients, intercepts,
calibration parameters, thresholds and a config. Format 2 stores exactly that, in two
files that cannot hold code:

``model.json``
    The config of every step, the labels, the vocabularies (lists in column order), the
    saved chunk forms, the feature names and the tokenizer check
    (:mod:`allegations.model._token_check`).
``weights.npz``
    The numeric arrays, one ``.npy`` member each, sparse matrices as their CSR parts
    (read and written by :mod:`allegations.model._arrays`).

Reading builds the project's own objects from these parts; it never calls ``pickle``.
Every field is type-checked (:mod:`allegations.model._fields`) and every shape must agree
with the vocabularies and labels of ``model.json``; weights must be finite. Any
disagreement is a :class:`~allegations.errors.ModelIntegrityError` naming the part.
The classifier side is plain arithmetic on these arrays, so any scikit-learn the project
supports loads the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline

from ..text import SpacyPreprocessor
from ._calibration import PlattCalibrator
from ._classifier import LinearScores, build_classifier, classifier_spec
from ._config import check_lead, check_ngram_max
from ._features import LemmaFeatures
from ._fields import FieldChecker
from ._tagger import Tagger
from ._token_check import CHECK_SENTENCES, tokenizer_check

__all__ = [
    "MODEL_JSON",
    "WEIGHTS",
    "model_parts",
    "model_from_parts",
    "ARRAY_NAMES",
]

MODEL_JSON = "model.json"
WEIGHTS = "weights.npz"
#: The arrays ``weights.npz`` holds: each one's kind (``f`` float, ``i`` integer) and
#: number of dimensions.
ARRAY_KINDS = {
    "features.unigram_lemmas": ("i", 1),
    "features.bigram_keys": ("i", 1),
    "features.word_idf": ("f", 1),
    "features.lead_unigram_lemmas": ("i", 1),
    "features.lead_bigram_keys": ("i", 1),
    "features.lead_idf": ("f", 1),
    "features.affix_data": ("f", 1),
    "features.affix_indices": ("i", 1),
    "features.affix_indptr": ("i", 1),
    "features.affix_idf": ("f", 1),
    "classifier.coef": ("f", 2),
    "classifier.intercept": ("f", 1),
    "classifier.classes": ("i", 1),
    "calibrator.a": ("f", 1),
    "calibrator.b": ("f", 1),
    "tagger.thresholds": ("f", 1),
    "tagger.bands": ("f", 2),
    "tagger.ece": ("f", 1),
}
ARRAY_NAMES = frozenset(ARRAY_KINDS)


def model_parts(model: Tagger) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Split ``model`` into the JSON document and the arrays of the format.

    Returns
    -------
    (doc, arrays)
        ``doc`` is JSON-ready; ``arrays`` maps member names to numeric arrays.
    """
    pre, features = model.preprocessor, model.pipeline.named_steps["features"]
    classifier = model.pipeline.named_steps["classify"]
    vocabulary = sorted(features.vocabulary_, key=features.vocabulary_.__getitem__)
    affixes = sorted(features.affix_vocabulary_, key=features.affix_vocabulary_.__getitem__)
    affix = sp.csr_matrix(features.affix_matrix_)
    affix.sort_indices()
    saved = getattr(pre, "saved_chunks_", {}) or {}
    doc: dict[str, Any] = {
        "labels": list(model.labels),
        "exclusive": bool(model.exclusive),
        "preprocessor": {
            "spacy_model": pre.spacy_model,
            "batch_size": int(pre.batch_size),
            "drop_urls": bool(pre.drop_urls),
            "mark_sentences": bool(pre.mark_sentences),
            "spacy_version": str(getattr(pre, "spacy_version_", "")),
        },
        "features": {
            "ngram_max": int(features.ngram_max),
            "min_df": int(features.min_df),
            "max_df": float(features.max_df),
            "affix_range": [int(v) for v in features.affix_range],
            "affix_weight": float(features.affix_weight),
            "lead_sentences": int(features.lead_sentences),
            "lead_weight": float(features.lead_weight),
        },
        "classifier": dict(zip(("kind", "params"), classifier_spec(classifier), strict=True)),
        "calibrator": {"exclusive": bool(model.calibrator.exclusive)},
        "vocabulary": vocabulary,
        "affixes": affixes,
        "feature_names": [str(n) for n in features.feature_names_],
        "saved_chunks": [[chunk, saved[chunk]] for chunk in saved],
        "tokenizer_check": [
            {"text": text, "tokens": tokens}
            for text, tokens in zip(CHECK_SENTENCES, tokenizer_check(pre), strict=True)
        ],
    }
    arrays = {
        "features.unigram_lemmas": features.unigram_lemmas_,
        "features.bigram_keys": features.bigram_keys_,
        "features.word_idf": features.word_idf_,
        "features.lead_unigram_lemmas": features.lead_unigram_lemmas_,
        "features.lead_bigram_keys": features.lead_bigram_keys_,
        "features.lead_idf": features.lead_idf_,
        "features.affix_data": affix.data,
        "features.affix_indices": affix.indices,
        "features.affix_indptr": affix.indptr,
        "features.affix_idf": features.affix_idf_,
        "classifier.coef": classifier.coef_,
        "classifier.intercept": classifier.intercept_,
        "classifier.classes": classifier.classes_,
        "calibrator.a": model.calibrator.a_,
        "calibrator.b": model.calibrator.b_,
        "tagger.thresholds": model.thresholds,
        "tagger.bands": model.bands,
        "tagger.ece": model.ece,
    }
    return doc, {name: _plain(name, arr) for name, arr in arrays.items()}


def _plain(name: str, arr: Any) -> np.ndarray:
    out = np.ascontiguousarray(np.asarray(arr))
    if out.dtype.kind == "i":
        out = out.astype("<i8" if out.dtype.itemsize > 4 else "<i4")
    elif out.dtype.kind == "f":
        out = out.astype("<f8" if out.dtype.itemsize > 4 else "<f4")
    else:
        raise TypeError(f"{name} is not a numeric array ({out.dtype})")
    return out


def model_from_parts(
    doc: Any, arrays: Mapping[str, np.ndarray], *, where: str
) -> tuple[Tagger, dict[str, str]]:
    """Build a :class:`Tagger` from the parsed ``model.json`` and the weight arrays.

    Every field is type-checked and every array's shape checked against the labels and
    vocabularies, before any object is built.

    Returns
    -------
    (model, saved_chunks)
        The model's spaCy step starts with no chunk forms, so that the tokenizer check
        (:func:`~allegations.model._token_check.compare_tokens`) runs on the installed
        spaCy; pass ``saved_chunks`` to its ``restore_chunks`` afterwards.

    Raises
    ------
    ModelIntegrityError
    """
    check = FieldChecker(where)
    doc = check.mapping(doc, "model.json")
    labels = check.strings(doc.get("labels"), "labels")
    exclusive = check.boolean(doc.get("exclusive"), "exclusive")
    pre_cfg = check.mapping(doc.get("preprocessor"), "preprocessor")
    feat_cfg = check.mapping(doc.get("features"), "features")
    vocabulary = check.strings(doc.get("vocabulary"), "vocabulary")
    affix_names = check.strings(doc.get("affixes"), "affixes")
    feature_names = check.strings(doc.get("feature_names"), "feature_names")
    chunks = check.pairs(doc.get("saved_chunks"), "saved_chunks")
    if len(set(vocabulary)) != len(vocabulary) or len(set(affix_names)) != len(affix_names):
        raise check.fail("vocabulary or affixes repeat an entry")
    n_labels, n_vocab, n_affix = len(labels), len(vocabulary), len(affix_names)
    if n_labels < 2 or len(set(labels)) != n_labels:
        raise check.fail(f"has {n_labels} distinct labels; a model has at least two")

    a = dict(arrays)
    # Float arrays keep the dtype they were trained in (a float32 classifier scores in
    # float32), so loading gives the very probabilities of the model that was saved.
    for name, arr in a.items():
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise check.fail(f"array {name} holds NaN or infinite values")
    for name, (kind, ndim) in ARRAY_KINDS.items():
        check.kind(a[name], name, kind, ndim)
    n_keys = max(n_vocab, 1) ** 2
    n_cols = 0
    for kind in ("", "lead_"):
        uni, bi = a[f"features.{kind}unigram_lemmas"], a[f"features.{kind}bigram_keys"]
        idf = a["features.word_idf" if not kind else "features.lead_idf"]
        check.ranged(uni, f"features.{kind}unigram_lemmas", n_vocab)
        check.ranged(bi, f"features.{kind}bigram_keys", n_keys)
        check.shape(idf, f"features.{kind or 'word_'}idf", (len(uni) + len(bi),))
        n_cols += len(idf)
    check.shape(a["features.affix_idf"], "features.affix_idf", (n_affix,))
    n_cols += n_affix
    if n_cols != len(feature_names):
        raise check.fail(f"lists {len(feature_names)} feature names for {n_cols} feature columns")
    n_rows = n_vocab if n_affix else max(n_vocab, 1)
    indptr, indices = a["features.affix_indptr"], a["features.affix_indices"]
    check.shape(indptr, "features.affix_indptr", (n_rows + 1,))
    check.shape(a["features.affix_data"], "features.affix_data", indices.shape)
    if indptr[0] != 0 or indptr[-1] != len(indices) or np.any(np.diff(indptr) < 0):
        raise check.fail("array features.affix_indptr is not a valid row index")
    check.ranged(indices, "features.affix_indices", n_affix, sorted_=False)

    coef, classes = a["classifier.coef"], a["classifier.classes"]
    n_out = coef.shape[0]
    if coef.shape[1] != n_cols or n_out not in ({1, n_labels} if exclusive else {n_labels}):
        raise check.fail(
            f"array classifier.coef has shape {coef.shape}, expected ({n_labels}, {n_cols})"
        )
    check.shape(a["classifier.intercept"], "classifier.intercept", (n_out,))
    check.shape(classes, "classifier.classes", (2 if n_out == 1 else n_out,))
    check.ranged(classes, "classifier.classes", n_labels)
    for name in ("calibrator.a", "calibrator.b", "tagger.thresholds", "tagger.ece"):
        check.shape(a[name], name, (n_labels,))
    check.shape(a["tagger.bands"], "tagger.bands", (n_labels, 2))

    spacy_model = pre_cfg.get("spacy_model")
    if spacy_model is not None and not isinstance(spacy_model, str):
        raise check.fail("preprocessor.spacy_model is not a name")
    preprocessor = SpacyPreprocessor(
        spacy_model=spacy_model,
        batch_size=check.integer(pre_cfg.get("batch_size"), "preprocessor.batch_size", 1),
        drop_urls=check.boolean(pre_cfg.get("drop_urls"), "preprocessor.drop_urls"),
        mark_sentences=check.boolean(pre_cfg.get("mark_sentences"), "preprocessor.mark_sentences"),
    )
    preprocessor.spacy_version_ = str(pre_cfg.get("spacy_version", ""))
    preprocessor.n_features_in_ = 1
    affix_range = feat_cfg.get("affix_range")
    if (
        not isinstance(affix_range, list)
        or len(affix_range) != 2
        or not all(type(v) is int and 0 <= v <= 50 for v in affix_range)
    ):
        raise check.fail("features.affix_range is not two small integers")
    try:
        features = LemmaFeatures(
            ngram_max=check.integer(feat_cfg.get("ngram_max"), "features.ngram_max", 1),
            min_df=check.integer(feat_cfg.get("min_df"), "features.min_df", 1),
            max_df=check.number(feat_cfg.get("max_df"), "features.max_df"),
            affix_range=(affix_range[0], affix_range[1]),
            affix_weight=check.number(feat_cfg.get("affix_weight"), "features.affix_weight"),
            lead_sentences=check.integer(
                feat_cfg.get("lead_sentences"), "features.lead_sentences", 0
            ),
            lead_weight=check.number(feat_cfg.get("lead_weight"), "features.lead_weight"),
        )
        check_ngram_max(features.ngram_max)
        check_lead(features.lead_sentences, features.lead_weight)
    except ValueError as exc:
        raise check.fail(f"has invalid feature settings ({exc})") from None
    features.vocabulary_ = {tok: i for i, tok in enumerate(vocabulary)}
    features.affix_vocabulary_ = {g: i for i, g in enumerate(affix_names)}
    features.unigram_lemmas_ = a["features.unigram_lemmas"].astype(np.int64)
    features.bigram_keys_ = a["features.bigram_keys"].astype(np.int64)
    features.word_idf_ = a["features.word_idf"]
    features.lead_unigram_lemmas_ = a["features.lead_unigram_lemmas"].astype(np.int64)
    features.lead_bigram_keys_ = a["features.lead_bigram_keys"].astype(np.int64)
    features.lead_idf_ = a["features.lead_idf"]
    features.affix_matrix_ = sp.csr_matrix(
        (a["features.affix_data"], indices, indptr), shape=(n_rows, n_affix)
    )
    features.affix_idf_ = a["features.affix_idf"]
    features.feature_names_ = feature_names
    features.n_features_in_ = 1
    clf_cfg = check.mapping(doc.get("classifier"), "classifier")
    kind = str(clf_cfg.get("kind"))
    params = check.mapping(clf_cfg.get("params"), "classifier.params")
    try:
        build_classifier(kind, params)
    except (TypeError, ValueError):
        raise check.fail("classifier has unknown settings") from None
    classifier = LinearScores(kind=kind, params=params)
    classifier.coef_, classifier.intercept_ = coef, a["classifier.intercept"]
    classifier.classes_ = classes.astype(np.int64)
    classifier.n_features_in_ = int(coef.shape[1])
    calibrator = PlattCalibrator(exclusive=exclusive)
    calibrator.a_ = a["calibrator.a"]
    calibrator.b_ = a["calibrator.b"]
    model = Tagger(
        labels=labels,
        exclusive=exclusive,
        preprocessor=preprocessor,
        pipeline=Pipeline([("features", features), ("classify", classifier)]),
        calibrator=calibrator,
        thresholds=a["tagger.thresholds"],
        bands=a["tagger.bands"],
        ece=a["tagger.ece"],
    )
    return model, dict(chunks)

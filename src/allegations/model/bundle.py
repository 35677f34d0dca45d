"""The model file format 2: a fitted :class:`~allegations.model.tagger.Tagger` as plain data.

A model is vocabularies, idf weights, an affix matrix, coefficients, intercepts,
calibration parameters, thresholds and a config. Format 2 stores exactly that, in two
files that cannot hold code:

``model.json``
    The config of every step, the labels, the vocabularies (lists in column order), the
    saved chunk forms, the feature names and the tokenizer check (below).
``weights.npz``
    The numeric arrays, one ``.npy`` member each, sparse matrices as their CSR parts.
    Members are stored uncompressed (the archive cannot expand beyond its own size) and
    with a fixed time stamp (the same model gives the same bytes).

Reading builds the project's own objects from these parts; it never calls ``pickle``.
Every size read from a file is checked before memory is set aside for it: a member's
header must promise exactly the bytes the member holds, of an allowed numeric dtype
(no object arrays), and every shape must agree with the vocabularies and labels of
``model.json``; weights must be finite. Any disagreement is a
:class:`~allegations.errors.ModelIntegrityError` naming the part.

The **tokenizer check** guards the one thing another spaCy or ``spacy-lookups-data``
version could change: how a narrative becomes tokens. Training stores the normalised
tokens of :data:`CHECK_SENTENCES` (special cases, redactions, numbers, abbreviations,
hyphens, clock times, sentence ends, web addresses); loading runs the same sentences
again and refuses a model whose tokens now differ (see :func:`tokenizer_check`).
The classifier side is plain arithmetic on these arrays, so any scikit-learn the project
supports loads the model.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from typing import IO, Any

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline

from ..errors import ModelIntegrityError
from ..text.preprocess import SpacyPreprocessor
from .classifier import LinearScores, PlattCalibrator, build_classifier, classifier_spec
from .features import LemmaFeatures, check_lead, check_ngram_max
from .tagger import Tagger

__all__ = [
    "MODEL_JSON",
    "WEIGHTS",
    "CHECK_SENTENCES",
    "model_parts",
    "model_from_parts",
    "ARRAY_NAMES",
    "parse_json",
    "write_arrays",
    "read_arrays",
    "tokenizer_check",
    "compare_tokens",
]

MODEL_JSON = "model.json"
WEIGHTS = "weights.npz"

#: Sentences whose normalised tokens fingerprint the tokenizer and lemma tables. Each
#: exercises a rule another spaCy or lookups version could change.
CHECK_SENTENCES = (
    "SA queried TECS on his ex-wife's new boyfriend and shared the results with (b)(6).",
    "Officers weren't wearing body cameras; Sgt. Smith didn't report it until Jan. 5th.",
    "On 03/14/2017 at 10:30 p.m., P/O [REDACTED] struck the complainant 2 times.",
    "The U.S. Marshals said the employee's login was used 1,234 times for $5,000.",
    "Mr. O'Neil (badge #4471) allegedly lied, stole cash & harassed co-workers!",
    "She was arrested, searched and detained; the men were running, the children cried.",
    "See https://example.org/case?id=7 and www.example.com for the XXXX records.",
    'He said: "I\'m gonna find you." Then he texted her 20x at 2am -- no reason.',
)

_DTYPES = {"<f8", "<f4", "<i8", "<i4"}
_STAMP = (1980, 1, 1, 0, 0, 0)
#: What the zipfile module raises for a damaged or unsupported archive (encrypted or
#: patched members raise RuntimeError and NotImplementedError).
_ARCHIVE_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    OverflowError,
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
)
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
_CHECK_LIMIT = 64  # sentences in a tokenizer check, at most
_CHECK_CHARS = 2000  # characters in one check sentence, at most


# -- writing ----------------------------------------------------------------------------
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


def write_arrays(fh: IO[bytes], arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` as an ``.npz`` archive: uncompressed, in sorted order, time stamp
    fixed, so the same arrays always give the same bytes (``numpy.savez`` stamps the
    current time)."""
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, arrays[name], version=(1, 0), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_STAMP)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buf.getvalue())


# -- reading ----------------------------------------------------------------------------
def read_arrays(
    path: Any, names: frozenset[str] | set[str], *, where: str | None = None
) -> dict[str, np.ndarray]:
    """Read the arrays of a ``weights.npz`` without ``pickle`` and with every size checked.

    The archive must hold exactly ``names`` (each as ``name.npy``), stored uncompressed;
    each member's header must declare an allowed dtype (8- or 4-byte little-endian floats
    or integers) and a shape whose bytes are exactly what the member holds. Only then is
    the data read.

    Raises
    ------
    ModelIntegrityError
    """
    where = where or str(path)
    try:
        archive = zipfile.ZipFile(path)
    except _ARCHIVE_ERRORS:
        raise ModelIntegrityError(
            f"{where} is not a readable array archive; retrain the model."
        ) from None
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        members = {name.removesuffix(".npy") for name in infos}
        if len(members) != len(infos) or members != set(names):
            extra = sorted(members - set(names))[:3]
            missing = sorted(set(names) - members)[:3]
            raise ModelIntegrityError(
                f"{where} does not hold the expected arrays (unexpected: "
                f"{', '.join(extra) or 'none'}; missing: {', '.join(missing) or 'none'}); "
                "retrain the model."
            )
        out = {}
        for name in sorted(names):
            info = infos[f"{name}.npy"]
            if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
                raise ModelIntegrityError(
                    f"{where}: array {name} is compressed; this format stores arrays "
                    "uncompressed. Retrain the model."
                )
            try:
                with archive.open(info) as member:
                    out[name] = _read_member(member, info.file_size)
            except ModelIntegrityError as exc:
                raise ModelIntegrityError(
                    f"{where}: array {name} {exc}; retrain the model."
                ) from None
            except _ARCHIVE_ERRORS:
                raise ModelIntegrityError(
                    f"{where}: array {name} is damaged or truncated; retrain the model."
                ) from None
    return out


def _read_member(member: IO[bytes], size: int) -> np.ndarray:
    fmt = np.lib.format
    version = fmt.read_magic(member)
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(member, max_header_size=4096)
    elif version == (2, 0):
        shape, fortran, dtype = fmt.read_array_header_2_0(member, max_header_size=4096)
    else:
        raise ModelIntegrityError(f"has an unknown header version {version}")
    if dtype.str not in _DTYPES or fortran or len(shape) > 2:
        raise ModelIntegrityError(f"has dtype {dtype.str} and {len(shape)} dimension(s)")
    n_bytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    held = size - member.tell()
    if n_bytes != held:
        raise ModelIntegrityError(f"claims shape {tuple(shape)} ({n_bytes} bytes) but holds {held}")
    data = bytearray(n_bytes)  # read straight into a writable buffer: one copy
    if member.readinto(data) != n_bytes:  # type: ignore[attr-defined]
        raise ModelIntegrityError("is truncated")
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def parse_json(text: bytes, where: str) -> Any:
    """Parse a model folder's JSON file.

    A nesting bomb ends in the parser's own recursion limit, refused like any other
    malformed file.

    Raises
    ------
    ModelIntegrityError
    """
    try:
        return json.loads(text.decode("utf-8"))
    except RecursionError:
        raise ModelIntegrityError(
            f"{where} nests too deeply; it was not written by allegations. Retrain the model."
        ) from None
    except (UnicodeDecodeError, ValueError):
        raise ModelIntegrityError(f"{where} is not valid JSON; retrain the model.") from None


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
        (:func:`compare_tokens`) runs on the installed spaCy; pass ``saved_chunks`` to its
        ``restore_chunks`` afterwards.

    Raises
    ------
    ModelIntegrityError
    """
    check = _Checker(where)
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


# -- the tokenizer check ------------------------------------------------------------------
def tokenizer_check(
    preprocessor: SpacyPreprocessor, texts: Any = CHECK_SENTENCES, *, fresh: bool = True
) -> list[str]:
    """The normalised tokens of ``texts`` from the installed spaCy and lemma tables.

    With ``fresh`` (for a trained model) a fresh copy of ``preprocessor``'s settings does
    the work, so no cached chunk form stands in for spaCy; without it ``preprocessor``
    itself does, which must then hold no saved chunk forms yet (a model being loaded: it
    keeps the spaCy pipeline it loads for the check).
    """
    if fresh:
        preprocessor = SpacyPreprocessor(
            spacy_model=preprocessor.spacy_model,
            batch_size=preprocessor.batch_size,
            drop_urls=preprocessor.drop_urls,
            mark_sentences=preprocessor.mark_sentences,
        )
    return [str(doc) for doc in preprocessor.transform(list(texts))]


def compare_tokens(doc: Any, preprocessor: SpacyPreprocessor, where: str) -> str | None:
    """Run the model's stored check sentences again; describe the first difference.

    ``preprocessor`` is the loaded model's spaCy step before its saved chunk forms are
    restored (see :func:`model_from_parts`).

    Returns
    -------
    str or None
        None when every sentence gives the stored tokens; otherwise where they first
        differ (sentence number, token position, stored and current token: lemmas of the
        fixed check sentences, never a narrative).

    Raises
    ------
    ModelIntegrityError
        If the stored check is missing or malformed.
    """
    check = _Checker(where)
    items = doc.get("tokenizer_check") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not 0 < len(items) <= _CHECK_LIMIT:
        raise check.fail("has no tokenizer check")
    texts, stored = [], []
    for item in items:
        item = check.mapping(item, "tokenizer_check")
        text, tokens = item.get("text"), item.get("tokens")
        if not isinstance(text, str) or not isinstance(tokens, str) or len(text) > _CHECK_CHARS:
            raise check.fail("has a malformed tokenizer check")
        texts.append(text)
        stored.append(tokens)
    current = tokenizer_check(preprocessor, texts, fresh=False)
    for i, (old, new) in enumerate(zip(stored, current, strict=True)):
        if old != new:
            a, b = old.split(), new.split()
            pairs = enumerate(zip(a, b, strict=False))
            k = next((j for j, (x, y) in pairs if x != y), min(len(a), len(b)))
            was = a[k][:40] if k < len(a) else "(end)"
            now = b[k][:40] if k < len(b) else "(end)"
            return f"check sentence {i + 1}, token {k + 1}: saved {was!r}, now {now!r}"
    return None


class _Checker:
    """Type checks of ``model.json`` fields, each failing with one clear message."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, what: str) -> ModelIntegrityError:
        return ModelIntegrityError(f"{self.where}: {what}; retrain the model.")

    def mapping(self, value: Any, name: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{name} is not an object")
        return value

    def strings(self, value: Any, name: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{name} is not a list of strings")
        return value

    def pairs(self, value: Any, name: str) -> list[tuple[str, str]]:
        if not isinstance(value, list) or not all(
            isinstance(v, list) and len(v) == 2 and all(isinstance(s, str) for s in v)
            for v in value
        ):
            raise self.fail(f"{name} is not a list of [chunk, form] pairs")
        return [(v[0], v[1]) for v in value]

    def boolean(self, value: Any, name: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"{name} is not true or false")
        return value

    def integer(self, value: Any, name: str, low: int) -> int:
        if type(value) is not int or not low <= value <= 1_000_000:
            raise self.fail(f"{name} is not a whole number from {low}")
        return value

    def number(self, value: Any, name: str) -> float:
        if type(value) not in (int, float) or not np.isfinite(value):
            raise self.fail(f"{name} is not a finite number")
        return float(value)

    def kind(self, arr: np.ndarray, name: str, kind: str, ndim: int) -> None:
        if arr.dtype.kind != kind or arr.ndim != ndim:
            raise self.fail(f"array {name} has dtype {arr.dtype} and {arr.ndim} dimension(s)")

    def shape(self, arr: np.ndarray, name: str, shape: tuple[int, ...]) -> None:
        if arr.shape != shape:
            raise self.fail(f"array {name} has shape {arr.shape}, expected {shape}")

    def ranged(self, arr: np.ndarray, name: str, high: int, sorted_: bool = True) -> None:
        if len(arr) and (arr.min() < 0 or arr.max() >= high):
            raise self.fail(f"array {name} indexes outside 0..{high - 1}")
        if sorted_ and len(arr) > 1 and np.any(np.diff(arr) <= 0):
            raise self.fail(f"array {name} is not strictly increasing")

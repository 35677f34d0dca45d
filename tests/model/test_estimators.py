"""The estimators keep the scikit-learn contract (STYLE.md convention 5): parameters only in
``__init__``, learned state ending in ``_`` and set in ``fit``, input validated, clones and
pickles that behave. Checked with scikit-learn's own ``parametrize_with_checks``."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_estimator_cloneable,
    check_estimator_repr,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    parametrize_with_checks,
)

from allegations.model._classifier import LinearScores, PerLabelLogistic
from allegations.model._features import LemmaFeatures
from allegations.text._preprocess import SpacyPreprocessor

#: PerLabelLogistic learns a 0/1 label matrix, one column per label (a 1-d y is one label).
#: These checks fit it on class labels (0, 1, 2 or 1, 2) instead, which it refuses with
#: "Unknown label type"; the contract they test is covered by the checks that pass.
_CLASS_LABELS = "fits on class labels; PerLabelLogistic takes a 0/1 label matrix"
_PER_LABEL_FAILS = {
    name: _CLASS_LABELS
    for name in (
        "check_class_weight_classifiers",
        "check_classifier_data_not_an_array",
        "check_classifiers_classes",
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_dtype_object",
        "check_estimator_sparse_array",
        "check_estimator_sparse_matrix",
        "check_estimator_sparse_tag",
        "check_estimators_dtypes",
        "check_estimators_fit_returns_self",
        "check_estimators_overwrite_params",
        "check_f_contiguous_array_estimator",
        "check_fit2d_1feature",
        "check_fit2d_predict1d",
        "check_fit_score_takes_y",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit",
        "check_readonly_memmap_input",
    )
} | {"check_classifiers_train": "classes_ are the label columns of Y, not the values of y"}

#: Numeric input: every check of scikit-learn applies.
ESTIMATORS = [
    PerLabelLogistic(),
    LinearScores(kind="logistic", params={"C": 1.0, "class_weight": None, "max_iter": 500}),
]
#: Text input: scikit-learn's generated data cannot be fed to them, so it skips them
#: (SkipTestWarning); the checks that need no data run here, and a fit on narratives below.
TEXT_ESTIMATORS = [LemmaFeatures(), SpacyPreprocessor()]
DATA_FREE_CHECKS = [
    check_estimator_cloneable,
    check_estimator_repr,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
]


def _expected_failures(estimator) -> dict[str, str]:
    return _PER_LABEL_FAILS if isinstance(estimator, PerLabelLogistic) else {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_contract(estimator, check):
    check(estimator)


@pytest.mark.parametrize("check", DATA_FREE_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("estimator", TEXT_ESTIMATORS, ids=lambda e: type(e).__name__)
def test_text_estimators_keep_the_parameter_contract(estimator, check):
    check(type(estimator).__name__, clone(estimator))


@pytest.mark.parametrize("estimator", TEXT_ESTIMATORS, ids=lambda e: type(e).__name__)
def test_text_estimators_learn_only_in_fit(estimator, corpus):
    texts = corpus.text.tolist()[:60]
    fresh = clone(estimator)
    before = set(vars(fresh))
    docs = texts
    if isinstance(fresh, LemmaFeatures):  # it takes the spaCy step's output
        docs = list(SpacyPreprocessor().fit(texts).transform(texts))
    assert fresh.fit(docs) is fresh
    learned = {k for k in set(vars(fresh)) - before if not k.startswith("_")}
    assert learned and all(k.endswith("_") for k in learned), learned
    assert fresh.get_params() == estimator.get_params()  # fit changed no parameter
    again = clone(estimator).fit(docs)
    a, b = fresh.transform(docs[:5]), again.transform(docs[:5])
    if hasattr(a, "toarray"):
        a, b = a.toarray(), b.toarray()
    np.testing.assert_array_equal(a, b)  # the same data, the same fitted state


def test_per_label_logistic_on_a_label_matrix():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, np.zeros(80, bool)]).astype(int)
    model = PerLabelLogistic(C=1.0).fit(X, Y)
    assert model.n_features_in_ == 4 and model.outputs_2d_
    assert model.predict(X).shape == (80, 3)
    assert (model.predict(X)[:, 0] == Y[:, 0]).mean() > 0.9
    assert not model.predict(X)[:, 2].any()  # a label never seen is never predicted
    with pytest.raises(ValueError, match="Unknown label type"):
        PerLabelLogistic().fit(X, Y * 2)
    with pytest.raises(ValueError, match="4 features"):
        model.decision_function(X[:, :3])

from __future__ import annotations

import numpy as np


def _sparse_problem(seed=0, n=200, d=40):
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.15, random_state=seed, format="csr")
    w = rng.normal(size=(d, 2))
    Y = (np.asarray(X @ w) + rng.normal(scale=0.3, size=(n, 2)) > 0.1).astype(int)
    return X, Y


def test_nb_ratio_signs_follow_the_label():
    import scipy.sparse as sp

    from allegations.model._classifier import nb_ratio

    # feature 0 only in positives, feature 1 only in negatives, feature 2 in all
    present = sp.csr_matrix(np.array([[1, 0, 1], [1, 0, 1], [0, 1, 1], [0, 1, 1]], float))
    r = nb_ratio(present, np.array([1, 1, 0, 0]))
    assert r[0] > 0 > r[1] and abs(r[2]) < 1e-12


def test_nb_scaling_folds_into_one_linear_model():
    from sklearn.linear_model import LogisticRegression

    from allegations.model._classifier import PerLabelLogistic, nb_ratio

    X, Y = _sparse_problem()
    folded = PerLabelLogistic(C=2.0, nb_scale=True).fit(X, Y)
    present = X.copy()
    present.data[:] = 1.0
    for j in range(Y.shape[1]):
        r = nb_ratio(present, Y[:, j])
        Xr = X.multiply(r).tocsr()
        lr = LogisticRegression(C=2.0, class_weight="balanced", solver="liblinear").fit(Xr, Y[:, j])
        # the folded weights score raw features exactly as the model fitted on scaled ones
        np.testing.assert_allclose(
            folded.decision_function(X)[:, j], lr.decision_function(Xr), atol=1e-8
        )
    plain = PerLabelLogistic(C=2.0).fit(X, Y)
    assert not np.allclose(plain.coef_, folded.coef_)


def test_member_average_is_the_mean_of_member_logits():
    from allegations.model._classifier import PerLabelLogistic

    X, Y = _sparse_problem(1)
    both = PerLabelLogistic(C=((1.0, 8.0), 2.0), nb_scale=((False, True), False)).fit(X, Y)
    a = PerLabelLogistic(C=1.0).fit(X, Y).decision_function(X)[:, 0]
    b = PerLabelLogistic(C=8.0, nb_scale=True).fit(X, Y).decision_function(X)[:, 0]
    c = PerLabelLogistic(C=2.0).fit(X, Y).decision_function(X)[:, 1]
    scores = both.decision_function(X)
    np.testing.assert_allclose(scores[:, 0], (a + b) / 2, atol=1e-8)
    np.testing.assert_allclose(scores[:, 1], c, atol=1e-8)
    assert both.coef_.shape == (2, X.shape[1])

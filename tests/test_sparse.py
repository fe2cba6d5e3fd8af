"""scipy.sparse X: the estimators train and predict on it as on ``X.toarray()``, batch by batch.

Each mini-batch is made dense in the training loop's batch buffer, each block of an L-BFGS pass
and each chunk of a prediction in a scratch block (``shallownet._sparse``); the numbers are
those of the dense matrix, so the same seed gives the same weights and the same predictions.
A wide X (``_sparse.SPARSE_PRODUCT_MIN_FEATURES`` columns or more) is multiplied as sparse: the
same numbers to float rounding, at the cost of its stored values (tests at the end).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.compose import make_column_transformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import shallownet as sn
from shallownet import Classifier, Regressor
from shallownet._kernels import block_rows

QUICK = dict(hidden_units=8, epochs=12, random_state=0)
OPTIMIZERS = ["adam", "sgd", "momentum", "lbfgs"]


def _data(kind="classes", n=240, d=30, density=0.15, K=3, seed=0):
    rng = np.random.default_rng(seed)
    D = rng.normal(size=(n, d)) * (rng.random((n, d)) < density)
    s = D @ rng.normal(size=d)
    if kind == "classes":
        y = np.digitize(s, np.quantile(s, np.arange(1, K) / K))
    else:
        y = s + 0.1 * rng.normal(size=n)
    return sp.csr_matrix(D), y


def _same_network(a, b):
    for name in ("W_H", "b_H", "W_O", "b_O"):
        np.testing.assert_allclose(getattr(a.network_, name), getattr(b.network_, name),
                                   rtol=1e-6, atol=1e-7, err_msg=name)


def _same_predictions(a, b, X, D, y):
    assert np.array_equal(a.predict(X), b.predict(D))
    if isinstance(a, Classifier):
        np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(D), rtol=1e-6,
                                   atol=1e-7)
        np.testing.assert_allclose(a.decision_function(X), b.decision_function(D),
                                   rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(a.predict_log_proba(X), b.predict_log_proba(D),
                                   rtol=1e-6, atol=1e-6)
    assert a.score(X, y) == pytest.approx(b.score(D, y), abs=1e-12)


# ---------------------------------------------------------------------------- the same model
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_sparse_trains_and_predicts_as_the_dense_matrix(optimizer, early_stopping, kind):
    X, y = _data("continuous" if kind == "regression" else "classes",
                 K=2 if kind == "binary" else 3)
    D = X.toarray()
    est = Regressor if kind == "regression" else Classifier
    params = dict(QUICK, optimizer=optimizer, early_stopping=early_stopping, patience=3)
    a = est(**params).fit(X, y)
    b = est(**params).fit(D, y)
    _same_network(a, b)
    assert a.loss_curve_ == pytest.approx(b.loss_curve_, rel=1e-6)
    if early_stopping:
        assert a.validation_loss_curve_ == pytest.approx(b.validation_loss_curve_, rel=1e-6)
        assert a.best_epoch_ == b.best_epoch_
    _same_predictions(a, b, X, D, y)


@pytest.mark.parametrize("make", [sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array,
                                  sp.csc_array, sp.coo_array, sp.lil_matrix, sp.dok_array])
def test_every_sparse_format_and_sparse_arrays(make):
    X, y = _data()
    D = X.toarray()
    a = Classifier(**QUICK).fit(make(D), y)
    b = Classifier(**QUICK).fit(D, y)
    _same_network(a, b)
    _same_predictions(a, b, make(D), D, y)
    assert a.n_features_in_ == D.shape[1]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtypes_and_integer_data(dtype):
    X, y = _data("continuous")
    D = X.toarray()
    a = Regressor(**QUICK, dtype=dtype).fit(X.astype(np.float32), y)
    b = Regressor(**QUICK, dtype=dtype).fit(D.astype(np.float32), y)
    _same_network(a, b)
    _same_predictions(a, b, X, D, y)
    counts = sp.csr_matrix((np.abs(D) * 3).astype(np.int64))  # e.g. CountVectorizer's output
    a = Regressor(**QUICK, dtype=dtype).fit(counts, y)
    b = Regressor(**QUICK, dtype=dtype).fit(counts.toarray(), y)
    _same_network(a, b)


def test_duplicate_entries_and_unsorted_indices_count_as_toarray_does():
    # a CSR matrix whose (0, 1) entry is stored twice (added by toarray) and unsorted indices
    X = sp.csr_matrix((np.array([1.0, 2.0, 0.5, -1.0, 3.0]), np.array([1, 1, 0, 2, 0]),
                       np.array([0, 3, 4, 5])), shape=(3, 3))
    assert not X.has_canonical_format
    Xr = sp.vstack([X] * 20, format="csr")
    Xr.has_sorted_indices = False
    Xr.has_canonical_format = False
    y = np.tile([0, 1, 1], 20)
    D = Xr.toarray()
    assert D[0, 1] == 3.0
    a = Classifier(**QUICK).fit(Xr, y)
    b = Classifier(**QUICK).fit(D, y)
    _same_network(a, b)
    _same_predictions(a, b, Xr, D, y)


def test_partial_fit_warm_start_and_validation_data():
    X, y = _data()
    D = X.toarray()
    a, b = Classifier(**QUICK), Classifier(**QUICK)
    for start in range(0, 240, 80):
        rows = slice(start, start + 80)
        a.partial_fit(X[rows], y[rows], classes=[0, 1, 2], validation_data=(X[:40], y[:40]))
        b.partial_fit(D[rows], y[rows], classes=[0, 1, 2], validation_data=(D[:40], y[:40]))
    _same_network(a, b)
    assert a.validation_loss_curve_ == pytest.approx(b.validation_loss_curve_, rel=1e-6)
    _same_predictions(a, b, X, D, y)

    Xr, yr = _data("continuous")
    a, b = Regressor(**QUICK).partial_fit(Xr, yr), Regressor(**QUICK).partial_fit(Xr.toarray(), yr)
    _same_network(a, b)

    a = Classifier(**QUICK, warm_start=True).fit(X, y)
    b = Classifier(**QUICK, warm_start=True).fit(D, y)
    a.fit(X, y)
    b.fit(D, y)  # continues on the dense matrix too: the same weights
    assert a.n_iter_ == 2 * QUICK["epochs"]
    _same_network(a, b)
    a.fit(D, y)  # and sparse and dense rows mix across calls
    b.fit(X, y)
    _same_network(a, b)


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_sample_weight_and_class_weight(optimizer):
    X, y = _data()
    D = X.toarray()
    w = np.random.default_rng(3).uniform(0, 2, size=y.shape[0])
    for extra in ({}, {"class_weight": "balanced"}):
        a = Classifier(**QUICK, optimizer=optimizer, early_stopping=True, **extra).fit(
            X, y, sample_weight=w)
        b = Classifier(**QUICK, optimizer=optimizer, early_stopping=True, **extra).fit(
            D, y, sample_weight=w)
        _same_network(a, b)
        assert a.score(X, y, sample_weight=w) == pytest.approx(b.score(D, y, sample_weight=w))
    Xr, yr = _data("continuous")
    a = Regressor(**QUICK, optimizer=optimizer).fit(Xr, yr, sample_weight=w)
    b = Regressor(**QUICK, optimizer=optimizer).fit(Xr.toarray(), yr, sample_weight=w)
    _same_network(a, b)


def test_train_function_takes_sparse_rows():
    X, y = _data(K=2)
    nets = [sn.Network.init(30, 6, 1, "relu", "binary", seed=1) for _ in range(2)]
    sn.train(nets[0], X, y, epochs=3, seed=0, validation_data=(X[:50], y[:50]))
    sn.train(nets[1], X.toarray(), y, epochs=3, seed=0, validation_data=(X[:50].toarray(),
                                                                         y[:50]))
    assert np.array_equal(nets[0].W_H, nets[1].W_H)


# ---------------------------------------------------------------------------- prediction
def test_a_sparse_rows_prediction_does_not_depend_on_its_batch():
    X, y = _data(n=700, d=20)
    model = Classifier(**QUICK).fit(X, y)
    B = block_rows(20, 8)
    assert X.shape[0] > 2 * B  # several blocks, and a padded last one
    everything = model.predict_proba(X)
    assert np.array_equal(everything, model.predict_proba(X.toarray()))
    for start, size in [(0, 1), (5, 1), (3, B - 1), (1, B + 1), (9, 2 * B + 3)]:
        part = model.predict_proba(X[start:start + size])
        assert np.array_equal(part, everything[start:start + size]), (start, size)
    order = np.random.default_rng(0).permutation(X.shape[0])
    assert np.array_equal(model.predict_proba(X[order]), everything[order])
    reg = Regressor(**QUICK, dtype="float64").fit(X, y.astype(float))
    assert np.array_equal(reg.predict(X), reg.predict(X.toarray()))


def test_wide_sparse_data_is_never_made_dense():
    # 3000 x 50,000: dense it would take 600 MB in float32 (1.2 GB in float64)
    X, y = _wide(n=3000, d=50_000, per_row=25, K=2)  # (sp.random takes 7 s to draw it)
    for optimizer in ("adam", "lbfgs"):
        model = Classifier(hidden_units=4, epochs=2, optimizer=optimizer, random_state=0,
                           early_stopping=True, batch_size=64)
        tracemalloc.start()
        try:
            model.fit(X, y)
            model.predict_proba(X)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # (L-BFGS keeps 2 x 10 vectors of the 200,000 parameters itself: 32 MB of its peak)
        assert peak < 150e6, (optimizer, peak)


# ---------------------------------------------------------------------------- refusals
def test_nan_and_inf_in_sparse_data_are_refused_with_their_place():
    X, y = _data()
    bad = X.copy()
    bad.data[7] = np.nan
    row = int(np.searchsorted(bad.indptr, 7, side="right")) - 1
    col = int(bad.indices[7])
    for est in (Classifier(**QUICK), Regressor(**QUICK)):
        with pytest.raises(ValueError, match=rf"X contains 1 NaN or infinite value\(s\) \(the "
                                             rf"first, NaN, at row {row}, column {col}\).*impute"):
            est.fit(bad, y)
    model = Classifier(**QUICK).fit(X, y)
    bad.data[7] = np.inf
    for method in (model.predict, model.predict_proba, model.decision_function):
        with pytest.raises(ValueError, match="the first, inf, at row"):
            method(sp.coo_matrix(bad))
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.partial_fit(bad, y)


def test_empty_sparse_matrix_is_refused():
    for est in (Classifier(**QUICK), Regressor(**QUICK)):
        with pytest.raises(ValueError, match="X is empty"):
            est.fit(sp.csr_matrix((0, 5)), np.array([]))
    X, y = _data()
    model = Classifier(**QUICK).fit(X, y)
    with pytest.raises(ValueError, match="X is empty"):
        model.predict(sp.csr_matrix((0, 30)))
    with pytest.raises(ValueError, match="X is empty"):
        Classifier(**QUICK).fit(sp.csr_matrix((4, 0)), [0, 1, 0, 1])
    # a matrix with no stored values is rows of zeros: it trains (on the biases) and predicts
    zeros = sp.csr_matrix((40, 3))
    fitted = Classifier(**QUICK).fit(zeros, np.tile([0, 1], 20))
    assert np.array_equal(fitted.predict_proba(zeros),
                          fitted.predict_proba(np.zeros((40, 3))))


def test_sparse_values_beyond_float32_and_wrong_width_are_said():
    X, y = _data()
    big = X.copy()
    big.data[0] = 1e39
    with pytest.raises(ValueError, match="too large for float32"):
        Classifier(**QUICK).fit(big, y)
    model = Classifier(**QUICK).fit(X, y)
    with pytest.raises(ValueError, match="too large for float32"):
        model.predict(big)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :10])


# ---------------------------------------------------------------------------- pipelines
def _cities(n=600, seed=0):
    rng = np.random.default_rng(seed)
    names = [f"city{i}" for i in range(25)]
    city = rng.choice(names, size=n)
    effect = dict(zip(names, rng.normal(0, 2, len(names)), strict=True))
    income = rng.normal(50, 10, n)
    score = np.array([effect[c] for c in city]) + 0.15 * (income - 50)
    frame = pd.DataFrame({"city": city, "income": income})
    return frame, (score > np.median(score)).astype(int), score


def _column_transformer():
    return make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["city"]),
                                   remainder=StandardScaler())


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_one_hot_column_transformer_pipeline():
    frame, label, score = _cities()
    train, test = slice(0, 450), slice(450, None)
    Xt = _column_transformer().fit(frame[train]).transform(frame)
    assert sp.issparse(Xt)  # sparse enough: the ColumnTransformer hands on a sparse matrix
    pipe = make_pipeline(_column_transformer(), Classifier(hidden_units=16, epochs=60,
                                                           random_state=0))
    pipe.fit(frame[train], label[train])
    dense = Classifier(hidden_units=16, epochs=60, random_state=0).fit(
        Xt[:450].toarray(), label[train])
    _same_network(pipe[-1], dense)
    assert np.array_equal(pipe.predict(frame[test]), dense.predict(Xt[450:].toarray()))
    mlp = make_pipeline(_column_transformer(), MLPClassifier(hidden_layer_sizes=(16,),
                                                             max_iter=300, random_state=0))
    mlp.fit(frame[train], label[train])
    ours, theirs = pipe.score(frame[test], label[test]), mlp.score(frame[test], label[test])
    assert ours > 0.8 and ours > theirs - 0.05, (ours, theirs)
    assert pipe.predict_proba(frame[test]).shape == (150, 2)

    reg = make_pipeline(_column_transformer(), Regressor(hidden_units=16, epochs=60,
                                                         random_state=0, early_stopping=True))
    reg.fit(frame[train], score[train])
    assert reg.score(frame[test], score[test]) > 0.7


def _corpus(n=300, seed=0):
    rng = np.random.default_rng(seed)
    topics = {
        "sport": "goal match team referee league striker keeper season coach stadium".split(),
        "food": "recipe oven flour butter garlic simmer sauce dough spice kitchen".split(),
        "tech": "laptop battery kernel compiler network server python cloud screen chip".split(),
    }
    common = "the a of and to in is was it very today new good".split()
    docs, labels = [], []
    for _ in range(n):
        label = rng.choice(list(topics))
        words = list(rng.choice(topics[label], size=4)) + list(rng.choice(common, size=6))
        rng.shuffle(words)
        docs.append(" ".join(words))
        labels.append(label)
    return docs, np.array(labels)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_tfidf_pipeline():
    docs, labels = _corpus()
    train_docs, test_docs, train_y, test_y = docs[:220], docs[220:], labels[:220], labels[220:]
    pipe = make_pipeline(TfidfVectorizer(), Classifier(hidden_units=16, epochs=40,
                                                       random_state=0))
    pipe.fit(train_docs, train_y)
    assert pipe.score(test_docs, test_y) > 0.9
    assert set(pipe.predict(test_docs)) <= {"sport", "food", "tech"}
    mlp = make_pipeline(TfidfVectorizer(), MLPClassifier(hidden_layer_sizes=(16,),
                                                         max_iter=200, random_state=0))
    mlp.fit(train_docs, train_y)
    assert pipe.score(test_docs, test_y) >= mlp.score(test_docs, test_y) - 0.05
    Xt = pipe[0].transform(docs)
    dense = Classifier(hidden_units=16, epochs=40, random_state=0).fit(Xt[:220].toarray(),
                                                                        train_y)
    _same_network(pipe[-1], dense)
    np.testing.assert_allclose(pipe.predict_proba(test_docs),
                               dense.predict_proba(Xt[220:].toarray()), rtol=1e-6, atol=1e-7)
    lbfgs = make_pipeline(TfidfVectorizer(), Classifier(hidden_units=16, epochs=50,
                                                        optimizer="lbfgs", random_state=0))
    assert lbfgs.fit(train_docs, train_y).score(test_docs, test_y) > 0.9


# ---------------------------------------------------------------------------- wide: sparse products
def _wide(n=400, d=4096, per_row=12, K=3, seed=0):
    """Text-like data: d >= SPARSE_PRODUCT_MIN_FEATURES columns, ``per_row`` values a row."""
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n), per_row)
    cols = rng.integers(0, d, n * per_row)
    vals = rng.random(n * per_row) + 0.1
    X = sp.csr_matrix((vals, (rows, cols)), shape=(n, d))
    X.sum_duplicates()
    s = X @ rng.normal(size=d)
    y = np.digitize(s, np.quantile(s, np.arange(1, K) / K))
    return X, y


def test_wide_sparse_data_is_multiplied_as_sparse():
    from shallownet import _sparse

    X, _ = _wide()
    assert _sparse.sparse_products(X) and not _sparse.sparse_products(X[:, :1000])
    assert not _sparse.sparse_products(X.toarray())
    W_t = np.random.default_rng(1).normal(size=(X.shape[1], 7))
    Z = _sparse.times(X, W_t)
    np.testing.assert_allclose(Z, X.toarray() @ W_t, rtol=1e-12, atol=1e-12)
    for i in (0, 17, 399):  # each row from its own values: the same bits alone
        assert np.array_equal(_sparse.times(X[i:i + 1], W_t)[0], Z[i])
    assert np.array_equal(_sparse.times(X, np.asfortranarray(W_t)), Z)  # any layout
    dZ = np.random.default_rng(2).normal(size=(X.shape[0], 7))
    cols, G = _sparse.columns_times(X, dZ)
    full = X.toarray().T @ dZ
    np.testing.assert_allclose(G, full[cols], rtol=1e-12, atol=1e-12)
    rest = np.setdiff1d(np.arange(X.shape[1]), cols)
    assert rest.size and not full[rest].any()  # every other column of X^T dZ is zero


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_wide_sparse_trains_as_the_dense_matrix_to_rounding(optimizer):
    X, y = _wide()
    D = X.toarray()
    params = dict(hidden_units=8, epochs=6, random_state=0, optimizer=optimizer,
                  dtype="float64", l2=1e-4 if optimizer == "sgd" else 0.0)
    a, b = Classifier(**params).fit(X, y), Classifier(**params).fit(D, y)
    for name in ("W_H", "b_H", "W_O", "b_O"):  # float64: the sums' order is all that differs
        np.testing.assert_allclose(getattr(a.network_, name), getattr(b.network_, name),
                                   rtol=1e-9, atol=1e-11, err_msg=name)
    assert not np.array_equal(a.network_.W_H, b.network_.W_H) or optimizer == "lbfgs"
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(D), rtol=1e-9, atol=1e-12)
    c = Classifier(**dict(params, dtype="float32")).fit(X, y)  # float32: to its rounding
    np.testing.assert_allclose(c.predict_proba(X), b.predict_proba(D), atol=2e-4)
    assert (c.predict(X) == b.predict(D)).mean() > 0.97


def test_plain_sgd_on_wide_sparse_rows_changes_only_their_columns():
    X, y = _wide(n=64)
    net = sn.Network.init(X.shape[1], 5, 3, "relu", "multiclass", seed=0)
    before = net.W_H.copy()
    sn.train(net, X[:16], y[:16], epochs=1, batch_size=16, optimizer="sgd", shuffle=False)
    touched = np.unique(X[:16].indices)
    changed = np.flatnonzero((net.W_H != before).any(axis=0))
    assert changed.size and set(changed) <= set(touched)
    assert np.array_equal(np.delete(net.W_H, touched, axis=1), np.delete(before, touched, axis=1))
    # an L2 penalty shrinks every weight each step (21)
    net2 = sn.Network.init(X.shape[1], 5, 3, "relu", "multiclass", seed=0)
    sn.train(net2, X[:16], y[:16], epochs=1, batch_size=16, optimizer="sgd", shuffle=False,
             l2=0.1)
    untouched = np.setdiff1d(np.arange(X.shape[1]), touched)
    np.testing.assert_allclose(net2.W_H[:, untouched], (1 - 0.01 * 0.1) * before[:, untouched],
                               rtol=1e-6)


def test_a_wide_sparse_prediction_does_not_depend_on_its_batch():
    X, y = _wide(n=700)
    model = Classifier(hidden_units=8, epochs=3, random_state=0).fit(X, y)
    B = block_rows(8, 3)  # the blocks of (10b); (10a) goes row by row
    everything = model.predict_proba(X)
    np.testing.assert_allclose(everything, model.predict_proba(X.toarray()), rtol=1e-5,
                               atol=1e-6)
    for start, size in [(0, 1), (5, 1), (3, B - 1), (1, B + 1), (9, 2 * B + 3), (0, 700)]:
        part = model.predict_proba(X[start:start + size])
        assert np.array_equal(part, everything[start:start + size]), (start, size)
    order = np.random.default_rng(0).permutation(X.shape[0])
    assert np.array_equal(model.predict_proba(X[order]), everything[order])
    assert np.array_equal(model.predict(X[3:4]), model.predict(X)[3:4])
    # values stored as float64 are cast as a dense X's are: the same bits as float32 values
    assert np.array_equal(model.predict_proba(X.astype(np.float32)), everything)


def test_hashed_features_train_and_predict_at_the_cost_of_their_values():
    """2^20 hashed columns: the dense batch buffer alone would be 64 x 2^20 floats (256 MB)
    and each batch 6.7 G multiply-adds; as sparse, an epoch and a prediction are quick and
    small (W_H itself is 16 MB)."""
    d = 1 << 20
    X, y = _wide(n=2000, d=d, per_row=30, K=2)
    # (L-BFGS keeps 20 vectors of all 4.2 million parameters in float64 itself: 670 MB; it is
    # checked on 50,000 columns above)
    for optimizer in ("sgd", "adam"):
        model = Classifier(hidden_units=4, epochs=2, batch_size=64, optimizer=optimizer,
                           random_state=0, early_stopping=True)
        tracemalloc.start()
        try:
            model.fit(X, y)
            proba = model.predict_proba(X)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert np.isfinite(proba).all() and proba.shape == (2000, 2)
        assert peak < 150e6, (optimizer, peak)


def test_a_network_given_sparse_rows_says_where_they_go():
    X, y = _data(K=2)
    net = sn.Network.init(30, 6, 1, "relu", "binary", seed=1)
    for call in (net.forward, net.predict, net.predict_proba, net.decision_function,
                 lambda X: net.loss(X, y), lambda X: net.gradients(X, y)):
        with pytest.raises(ValueError, match=r"scipy.sparse matrix.*X.toarray\(\).*train"):
            call(X)
    assert set(net.predict(X.toarray())) <= {0, 1}  # dense rows, as it says


def test_a_wide_but_dense_ish_sparse_matrix_trains_on_dense_rows_and_predicts_as_sparse():
    """At 1,024 columns and 12.5% stored (a HashingVectorizer of 1,024 features) the sparse step's
    fixed costs made an epoch twice as slow as dense rows: training takes dense rows there (the
    dense matrix's weights, bit for bit); prediction multiplies as sparse whatever the density
    (it decides by the width alone, so a row's prediction never depends on its batch)."""
    from shallownet import _sparse

    rng = np.random.default_rng(0)
    X = sp.random(300, 1024, density=0.125, format="csr", random_state=1)
    y = rng.integers(0, 3, 300)
    assert _sparse.sparse_products(X) and not _sparse.sparse_products(X, training=True)
    thin, _ = _wide(n=300, d=4096, per_row=12)
    assert _sparse.sparse_products(thin, training=True)
    for optimizer in ("sgd", "adam", "lbfgs"):
        a = Classifier(hidden_units=8, epochs=3, optimizer=optimizer, random_state=0).fit(X, y)
        b = Classifier(hidden_units=8, epochs=3, optimizer=optimizer, random_state=0
                       ).fit(X.toarray(), y)
        assert np.array_equal(a.network_.W_H, b.network_.W_H), optimizer
    proba = a.predict_proba(X)
    np.testing.assert_allclose(proba, b.predict_proba(X.toarray()), rtol=1e-5, atol=1e-6)
    assert np.array_equal(a.predict_proba(X[7:8]), proba[7:8])


def test_a_numpy_array_is_told_from_a_sparse_one_by_its_type(monkeypatch):
    """scipy's issparse (an abstract-class check, about a microsecond) was asked three times
    in every one-row prediction; a numpy array is now told by its type and scipy is asked only
    about other objects, sparse ones still found."""
    from shallownet import _sparse

    asked = []
    real = _sparse._sp.issparse
    monkeypatch.setattr(_sparse._sp, "issparse", lambda X: asked.append(type(X)) or real(X))
    dense = np.zeros((3, 2048), np.float32)
    assert not _sparse.issparse(dense) and not _sparse.sparse_products(dense)
    assert _sparse.values(dense) is dense
    assert asked == []
    csr = sp.random(3, 2048, density=0.01, format="csr", dtype=np.float32, random_state=0)
    assert _sparse.issparse(csr) and _sparse.sparse_products(csr)
    assert _sparse.issparse(csr.tocsc()) and _sparse.issparse(sp.csr_array(csr))
    assert not _sparse.issparse(dense.view(np.recarray)) and not _sparse.issparse([[0.0]])
    assert len(asked) >= 4
    # a one-row prediction asks nothing of scipy
    clf = sn.Classifier(hidden_units=3, epochs=1, random_state=0).fit(dense[:, :4],
                                                                      [0, 1, 0])
    asked.clear()
    clf.predict_proba(dense[:1, :4])
    assert asked == []

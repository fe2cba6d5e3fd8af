"""Classifier and Regressor: scikit-learn's own checks, the choice of network (Problem 4),
quality on real data, labels, continuation, early stopping, callbacks and bad input."""

import os
import signal

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import shallownet as sn
from shallownet import Classifier, Regressor

QUICK = dict(hidden_units=16, epochs=20, learning_rate=0.01, random_state=0)


# ---------------------------------------------------------------------------- scikit-learn
@parametrize_with_checks([
    Classifier(),   # default-constructed, as a user (and the harness) would make them
    Regressor(),
    Classifier(**QUICK),
    Regressor(**QUICK),
    Classifier(**QUICK, early_stopping=True, patience=3, optimizer="momentum", nesterov=True,
               activation="sigmoid"),
    Regressor(**QUICK, early_stopping=True, dtype="float64"),
], expected_failed_checks=lambda est: {
    # as for scikit-learn's own MLP: integer weights equal repeated rows only in expectation
    # under shuffled mini-batches; tests/test_trust.py checks the exact equality for full
    # batches (one step on the whole data), where it must hold
    "check_sample_weight_equivalence_on_dense_data":
        "mini-batch SGD on shuffled batches is not equivalent to repeating rows",
    "check_sample_weight_equivalence_on_sparse_data":  # the same, on the same dense batches
        "mini-batch SGD on shuffled batches is not equivalent to repeating rows",
})
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_in_a_pipeline():
    X, y = load_iris(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()), ("net", Classifier(epochs=60, random_state=0))])
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.9
    assert pipe.predict_proba(X).shape == (150, 3)
    assert pipe.named_steps["net"].n_features_in_ == 4


def test_grid_search():
    X, y = _iris()
    grid = GridSearchCV(Classifier(epochs=30, random_state=0),
                        {"hidden_units": [2, 16], "learning_rate": [0.01]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["hidden_units"] in (2, 16)
    assert grid.best_estimator_.network_.N_h == grid.best_params_["hidden_units"]
    assert grid.best_score_ > 0.8


def test_cross_val_score():
    X, y = load_breast_cancer(return_X_y=True)
    scores = cross_val_score(make_pipeline(StandardScaler(), Classifier(epochs=20, random_state=0)),
                             X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.9
    r2 = cross_val_score(make_pipeline(StandardScaler(),
                                       Regressor(epochs=50, l2=0.1, random_state=0)),
                         *_diabetes_scaled_y(), cv=3)
    assert r2.mean() > 0.3


# ---------------------------------------------------------------------------- quality
def test_digits_accuracy():
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X / 16.0, y, test_size=0.25, random_state=0,
                                              stratify=y)
    clf = Classifier(epochs=30, random_state=0).fit(X_tr, y_tr)
    assert accuracy_score(y_te, clf.predict(X_te)) >= 0.95


def test_breast_cancer_accuracy():
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    pipe = make_pipeline(StandardScaler(), Classifier(epochs=30, random_state=0)).fit(X_tr, y_tr)
    assert accuracy_score(y_te, pipe.predict(X_te)) >= 0.95


def _diabetes_scaled_y():
    X, y = load_diabetes(return_X_y=True)
    return X, (y - y.mean()) / y.std()


def test_diabetes_r2():
    X, y = load_diabetes(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=42)
    mu, sd = y_tr.mean(), y_tr.std()
    pipe = make_pipeline(StandardScaler(), Regressor(epochs=100, l2=0.1, random_state=0))
    pipe.fit(X_tr, (y_tr - mu) / sd)
    assert r2_score(y_te, pipe.predict(X_te) * sd + mu) >= 0.40


# ---------------------------------------------------------------------------- Problem 4
@pytest.mark.parametrize("n_classes, N_o, output", [(2, 1, "binary"), (3, 3, "multiclass"),
                                                    (5, 5, "multiclass")])
def test_architecture_from_the_classes(n_classes, N_o, output):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 7))
    y = np.arange(40) % n_classes
    clf = Classifier(hidden_units=9, epochs=1, random_state=0).fit(X, y)
    net = clf.network_
    assert (net.N_i, net.N_h, net.N_o, net.output.name) == (7, 9, N_o, output)
    assert clf.n_outputs_ == N_o
    assert clf.predict_proba(X).shape == (40, n_classes)


@pytest.mark.parametrize("y_shape, N_o", [((30,), 1), ((30, 1), 1), ((30, 3), 3)])
def test_architecture_from_a_continuous_target(y_shape, N_o):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4))
    y = rng.normal(size=y_shape)
    reg = Regressor(hidden_units=5, epochs=1, random_state=0).fit(X, y)
    net = reg.network_
    assert (net.N_i, net.N_h, net.N_o, net.output.name) == (4, 5, N_o, "regression")
    assert reg.predict(X).shape == ((30,) if N_o == 1 else (30, N_o))


def _forward_by_hand(net, X):
    """z_O of (10a)/(10b), written out with numpy from the weights."""
    W_H, b_H, W_O, b_O = (np.asarray(net.params[k], np.float64) for k in
                          ("W_H", "b_H", "W_O", "b_O"))
    z_H = X @ W_H.T + b_H
    u_H = np.maximum(z_H, 0) if net.activation.name == "relu" else 1 / (1 + np.exp(-z_H))
    return u_H @ W_O.T + b_O


def test_binary_probabilities_are_1_minus_p_and_p():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    labels = np.where(y == 1, "benign", "malignant")
    clf = Classifier(epochs=5, random_state=0).fit(X, labels)
    assert list(clf.classes_) == ["benign", "malignant"]
    z = _forward_by_hand(clf.network_, X)[:, 0]
    p = 1 / (1 + np.exp(-z))  # (3): P(classes_[1] | x)
    P = clf.predict_proba(X)
    # prediction runs in the float32 of training: products agree with float64 to ~1e-6
    np.testing.assert_allclose(P[:, 1], p, rtol=1e-5)
    np.testing.assert_allclose(P[:, 0], 1 - p, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(clf.decision_function(X), z, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), np.where(z >= 0, "malignant", "benign"))
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), P, rtol=1e-9, atol=1e-15)


def test_multiclass_probabilities_are_the_softmax():
    X, y = _iris()
    clf = Classifier(epochs=5, random_state=0, activation="sigmoid").fit(X, y)
    z = _forward_by_hand(clf.network_, X)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(X), e / e.sum(axis=1, keepdims=True),
                               rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), z.argmax(axis=1))


# ---------------------------------------------------------------------------- labels
def _separable(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    X[:, 0] += np.where(X[:, 0] > 0, 1.5, -1.5)  # a wide margin at x_0 = 0
    return X, X[:, 0] > 0


@pytest.mark.parametrize("pos, neg", [("yes", "no"), (True, False), (7, -3), (2.0, 1.0),
                                      (np.int32(5), np.int32(9))])
def test_binary_labels_round_trip(pos, neg):
    X, right = _separable()
    y = np.where(right, pos, neg)
    clf = Classifier(epochs=40, learning_rate=0.01, random_state=0).fit(X, y)
    pred = clf.predict(X)
    assert pred.dtype == y.dtype
    np.testing.assert_array_equal(pred, y)  # every label, not just the set of labels
    assert list(clf.classes_) == sorted([pos, neg])


def test_string_labels_from_a_list_and_object_arrays():
    X, right = _separable()
    y = ["right" if r else "left" for r in right]
    clf = Classifier(epochs=40, learning_rate=0.01, random_state=0).fit(X, y)
    assert list(clf.predict(X)) == y
    clf2 = Classifier(epochs=40, learning_rate=0.01, random_state=0).fit(
        X, np.array(y, dtype=object))
    assert list(clf2.predict(X)) == y


def test_multiclass_string_labels():
    X, y = _iris()
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = Classifier(epochs=60, random_state=0).fit(pd.DataFrame(X, columns=list("abcd")),
                                            pd.Series(names))
    pred = clf.predict(pd.DataFrame(X, columns=list("abcd")))
    assert set(pred) <= set(names) and np.mean(pred == names) > 0.9
    assert list(clf.feature_names_in_) == list("abcd")


@pytest.mark.parametrize("y", [[10**23, 5] * 20, pd.Series([10**23, 5] * 20, dtype=object),
                               [2**64, -1] * 20, [2**63, -1] * 20])
def test_labels_beyond_64_bits_stay_exact_python_ints(tmp_path, y):
    """They crashed with numpy's OverflowError ("Python int too large to convert to C long")."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    expected = sorted(set(y))
    clf = Classifier(epochs=2, random_state=0).fit(X, y)
    assert clf.classes_.tolist() == expected
    assert all(type(v) is int for v in clf.classes_.tolist())
    pred = clf.predict(X)
    assert set(pred.tolist()) <= set(expected) and all(type(v) is int for v in pred.tolist())
    assert clf.predict_proba(X).shape == (40, 2)
    assert clf.score(X, y) == np.mean(pred == np.asarray(list(y), dtype=object))
    back = sn.load(sn.save(clf, tmp_path / "m.safetensors"))
    assert back.classes_.tolist() == clf.classes_.tolist()
    assert back.predict(X).tolist() == pred.tolist() and back.score(X, y) == clf.score(X, y)
    assert sn.io.describe(tmp_path / "m.safetensors")["classes"] == expected


def test_labels_beyond_64_bits_in_partial_fit_class_weight_and_early_stopping(tmp_path):
    X = np.random.default_rng(0).normal(size=(40, 3))
    clf = Classifier(epochs=1, random_state=0).partial_fit(X, [10**23, 5] * 20,
                                                           classes=[10**30, 5, 10**23])
    assert clf.partial_fit(X, [10**30] * 40).classes_.tolist() == [5, 10**23, 10**30]
    weighted = Classifier(epochs=1, class_weight={10**23: 2.0}, early_stopping=True,
                          random_state=0).fit(X, [10**23, 5] * 20)
    back = sn.load(sn.save(weighted, tmp_path / "m.safetensors"))
    assert back.class_weight == {10**23: 2.0} and back.classes_.tolist() == [5, 10**23]
    # a list numpy would make inexact floats (2**63 and 1) keeps its ints
    assert Classifier(epochs=1).fit(X, [2**63, 1] * 20).classes_.tolist() == [1, 2**63]
    with pytest.raises(ValueError, match=r"y mixes whole numbers and floats, and the whole "
                                         r"number 10000000000000000000\.\.\. \(401 digits\) is "
                                         r"too large for a float"):
        Classifier(epochs=1).fit(X, pd.Series([10**400, 0.5] * 20, dtype=object))


@pytest.mark.filterwarnings("ignore:A column-vector y was passed")  # (n, 1): as scikit-learn
@pytest.mark.parametrize("column, expected", [
    (pd.array([False, True] * 20, dtype="boolean"), [False, True]),
    (pd.array([0, 1] * 20, dtype="Int64"), [0, 1])])
def test_a_one_column_data_frame_target_is_read_as_its_column(column, expected):
    """A one-column DataFrame of a nullable dtype came back as floats: classes_ [0., 1.]."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    frame = pd.DataFrame({"t": column})
    clf = Classifier(epochs=1, random_state=0).fit(X, frame)
    series = Classifier(epochs=1, random_state=0).fit(X, frame["t"])
    assert clf.classes_.tolist() == series.classes_.tolist() == expected
    assert clf.classes_.dtype == series.classes_.dtype
    assert type(clf.predict(X[:1]).tolist()[0]) is type(expected[0])
    assert clf.score(X, frame) == series.score(X, frame["t"])
    assert Classifier(epochs=1).partial_fit(X, frame, classes=expected).classes_.tolist() == \
        expected
    frame.iloc[3, 0] = pd.NA
    with pytest.raises(ValueError, match=r"y contains missing labels \(1 of 40, the first <NA> "
                                         r"at row 3\); drop those samples"):
        Classifier(epochs=1).fit(X, frame)


def test_multi_output_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    Y = np.column_stack([X @ [1.0, -2.0, 0.5], np.tanh(X[:, 0]) + X[:, 1] ** 2 / 4])
    reg = Regressor(hidden_units=32, epochs=100, learning_rate=0.01, random_state=0).fit(X, Y)
    pred = reg.predict(X)
    assert pred.shape == (400, 2) and reg.n_outputs_ == 2
    assert r2_score(Y[:, 0], pred[:, 0]) > 0.95 and r2_score(Y[:, 1], pred[:, 1]) > 0.8


# ---------------------------------------------------------------------------- continuing
def test_warm_start_continues_the_network():
    X, y = _iris()
    clf = Classifier(epochs=5, random_state=0, warm_start=True).fit(X, y)
    first = list(clf.loss_curve_)
    W_H = clf.network_.W_H.copy()
    clf.fit(X, y)
    assert clf.n_iter_ == 10 and clf.loss_curve_[:5] == first
    assert not np.array_equal(clf.network_.W_H, W_H)
    # the sixth epoch starts where the fifth ended: its loss is near the fifth's, far below
    # the first epoch's
    assert abs(clf.loss_curve_[5] - first[4]) < 0.25 * (first[0] - first[4])
    fresh = Classifier(epochs=5, random_state=0).fit(X, y)
    fresh.fit(X, y)
    assert fresh.n_iter_ == 5 and fresh.loss_curve_ == first


def test_warm_start_refuses_a_different_network():
    X, y = _iris()
    clf = Classifier(epochs=2, random_state=0, warm_start=True).fit(X, y)
    clf.set_params(hidden_units=7)
    with pytest.raises(ValueError, match="hidden_units=7"):
        clf.fit(X, y)


def test_partial_fit_keeps_the_optimizer_state():
    # five partial_fit calls are five epochs of one fit: same batches, same Adam moments
    X, y = _iris()
    fit = Classifier(epochs=5, shuffle=False, random_state=3).fit(X, y)
    part = Classifier(shuffle=False, random_state=3)
    for _ in range(5):
        part.partial_fit(X, y, classes=[0, 1, 2])
    for k in ("W_H", "b_H", "W_O", "b_O"):
        np.testing.assert_array_equal(part.network_.params[k], fit.network_.params[k])
    assert part.n_iter_ == 5 and part.t_ == fit.t_ == 5 * 5  # ceil(150 / 32) steps an epoch
    np.testing.assert_allclose(part.loss_curve_, fit.loss_curve_)


def test_partial_fit_with_early_stopping_uses_all_data_and_never_stops():
    X, y = _iris()
    clf = Classifier(early_stopping=True, patience=1, batch_size=150, random_state=0)
    for _ in range(4):
        clf.partial_fit(X, y, classes=np.unique(y))
    assert clf.n_iter_ == 4 and clf.t_ == 4  # one full batch of all 150 samples a call
    assert clf.validation_loss_curve_ is None


def test_partial_fit_records_validation_data():
    X, y = _iris()
    X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=30, random_state=0)
    reg = Regressor(random_state=0)
    for _ in range(3):
        reg.partial_fit(X_tr, y_tr.astype(float), validation_data=(X_val, y_val))
    assert len(reg.validation_loss_curve_) == 3
    z = _forward_by_hand(reg.network_, X_val)[:, 0]
    # (20) per sample, ||z_O - y||^2, as a mean over the validation samples
    np.testing.assert_allclose(reg.validation_loss_curve_[-1], np.mean((y_val - z) ** 2),
                               rtol=1e-4)
    np.testing.assert_allclose(reg.validation_scores_[-1], r2_score(y_val, z), rtol=1e-4)


def test_partial_fit_needs_the_classes_first():
    X, y = _iris()
    with pytest.raises(ValueError, match="classes="):
        Classifier().partial_fit(X, y)
    clf = Classifier(random_state=0).partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert clf.network_.N_o == 3
    clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="not among"):
        clf.partial_fit(X, y + 1)


@pytest.mark.parametrize("classes, match", [
    (pd.array([0, 1, None], dtype="Int64"), r"classes contains a missing label \(<NA> at "
                                            r"position 2\); list only the labels"),
    ([0, 1, None], r"classes contains a missing label \(None at position 2\)"),
    (["a", "b", None], r"classes contains a missing label \(None at position 2\)"),
    ([0, 1, np.nan], r"classes contains a missing label \(NaN at position 2\)"),
    ({0, 1}, r"classes must be a 1-D list of the class labels, got set \{0, 1\}; e.g. "
             r"classes=\[0, 1\]"),
    (2, r"classes must be a 1-D list of the class labels, got int 2"),
    ([[0, 1]], r"classes must be a 1-D list of the class labels, got list \[\[0, 1\]\] of "
               r"shape \(1, 2\)"),
    ([0, 0.5, 1], r"classes must be class labels \(ints, strings or bools\), got continuous "
                  r"values \(e.g. 0.5\)"),
    ([0, 1, np.inf], r"classes must be class labels .*continuous values \(e.g. inf\)"),
    ([0], r"classes lists only one class \(0\)"),
])
def test_partial_fit_names_bad_classes(classes, match):
    """These were reported as problems of y ("y should be a 1d array", "y contains NaN")."""
    X, y = _xy()
    with pytest.raises(ValueError, match=match):
        Classifier(epochs=1).partial_fit(X, y, classes=classes)
    fitted = Classifier(epochs=1).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=match):  # later calls check them too
        fitted.partial_fit(X, y, classes=classes)


@pytest.mark.parametrize("classes, expected", [
    ([0, 1, 2], [0, 1, 2]), ([1, 0], [0, 1]), ([1, 0, 0], [0, 1]), (range(2), [0, 1]),
    (pd.Index([0, 1]), [0, 1]), (pd.array([0, 1], dtype="Int64"), [0, 1])])
def test_partial_fit_takes_classes_as_scikit_learn_does(classes, expected):
    X, y = _xy()
    clf = Classifier(epochs=1).partial_fit(X, y, classes=classes)
    assert clf.classes_.tolist() == expected
    clf.partial_fit(X, y, classes=classes)
    with pytest.raises(ValueError, match=r"classes=\['0', '2'\] differ from the classes of the "
                                         r"first call \['0', '1'\]; they cannot change"):
        Classifier(epochs=1).partial_fit(X, y.astype(str), classes=["0", "1"]).partial_fit(
            X, y.astype(str), classes=np.array(["0", "2"]))


# ---------------------------------------------------------------------------- early stopping
def test_early_stopping_restores_the_best_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 10))
    y = X[:, 0] + rng.normal(scale=1.0, size=120)  # noisy: a big net overfits
    snapshots = []

    def record(info):
        snapshots.append((info.val_loss, {k: v.copy() for k, v in info.network.params.items()}))

    reg = Regressor(hidden_units=200, epochs=300, learning_rate=0.01, early_stopping=True,
                    validation_fraction=0.3, patience=5, random_state=0,
                    callbacks=[record]).fit(X, y)
    curve = reg.validation_loss_curve_
    assert reg.stopped_early_ and reg.n_iter_ < 300
    assert [v for v, _ in snapshots] == curve
    best = int(np.argmin(curve))
    assert reg.best_epoch_ == best + 1 and reg.n_iter_ == reg.best_epoch_ + 5
    assert reg.best_loss_ == min(curve) and curve[-1] > min(curve)
    for k, v in snapshots[best][1].items():  # the restored net is the best epoch's net
        np.testing.assert_array_equal(reg.network_.params[k], v)
    assert len(reg.loss_curve_) == len(curve) == len(reg.validation_scores_)


def test_early_stopping_split_is_stratified_and_seeded():
    X, y = _iris()
    a = Classifier(epochs=3, early_stopping=True, random_state=5).fit(X, y)
    b = Classifier(epochs=3, early_stopping=True, random_state=5).fit(X, y)
    assert a.validation_loss_curve_ == b.validation_loss_curve_
    assert a.t_ == 3 * 5  # 135 training samples (15 held out), batches of 32


@pytest.mark.parametrize("X, y, unseen", [([[0.0], [1.0]], [0, 1], "class 0"),
                                           ([[0.0], [1.0], [2.0]], ["a", "b", "b"], "class 'a'")])
def test_early_stopping_refuses_a_split_that_leaves_a_class_out_of_training(X, y, unseen):
    with pytest.raises(ValueError, match=rf"early_stopping holds out 1 of the {len(y)} samples "
                                         rf"for validation, which leaves no sample of {unseen} "
                                         "to train on; pass more samples"):
        Classifier(epochs=3, early_stopping=True, random_state=0).fit(X, y)
    Classifier(epochs=3, random_state=0).fit(X, y)  # without early stopping: trained on all


def test_early_stopping_says_which_part_of_the_split_has_zero_weight():
    """It said "sample_weight is zero for every sample" when 5 samples weighed 1."""
    X = np.random.default_rng(0).normal(size=(100, 3))
    y = (X[:, 0] > 0).astype(int)
    sw = np.zeros(100)
    sw[:5] = 1
    for est in (Classifier(epochs=5, early_stopping=True, random_state=1),
                Classifier(optimizer="lbfgs", epochs=5, early_stopping=True, random_state=1)):
        with pytest.raises(ValueError, match=r"early_stopping holds out 10 of the 100 samples "
                                             r"for validation, and every one of them has "
                                             r"sample_weight 0 \(only 5 of the 100 weigh more "
                                             r"than 0\), so the validation loss cannot be "
                                             r"measured; use a larger validation_fraction, fewer "
                                             r"zero weights, or early_stopping=False"):
            est.fit(X, y, sample_weight=sw)
    Classifier(epochs=5, random_state=1).fit(X, y, sample_weight=sw)  # without: it trains
    said = set()
    for k in range(10):  # one positive weight lands in one part or the other
        one = np.zeros(100)
        one[k] = 1
        with pytest.raises(ValueError, match=r"(every one of them has sample_weight 0|which "
                                             r"leaves 50 to train on, every one with "
                                             r"sample_weight 0 \(only 1 of the 100 weigh more "
                                             r"than 0\): nothing to train on; use a smaller "
                                             r"validation_fraction)") as info:
            Regressor(epochs=2, early_stopping=True, validation_fraction=0.5,
                      random_state=0).fit(X, X[:, 0], sample_weight=one)
        said.add("train" if "nothing to train on" in str(info.value) else "validation")
    assert said == {"train", "validation"}


# ---------------------------------------------------------------------------- callbacks
def test_callbacks_see_every_epoch_and_can_stop():
    X, y = _iris()
    seen = []

    def stop_at_three(info):
        seen.append((info.epoch, info.loss, info.val_score))
        return info.epoch == 3

    clf = Classifier(epochs=50, random_state=0, early_stopping=True, callbacks=[stop_at_three])
    clf.fit(X, y)
    assert clf.n_iter_ == 3 and clf.stopped_early_
    assert [e for e, _, _ in seen] == [1, 2, 3]
    assert [loss for _, loss, _ in seen] == clf.loss_curve_
    assert [s for _, _, s in seen] == clf.validation_scores_


def test_ctrl_c_finishes_and_keeps_the_best_weights():
    X, y = _iris()

    def press_ctrl_c(info):
        if info.epoch == 4:
            os.kill(os.getpid(), signal.SIGINT)

    clf = Classifier(epochs=50, random_state=0, callbacks=[press_ctrl_c])
    clf.fit(X, y, catch_interrupt=True)
    assert clf.interrupted_ and clf.n_iter_ == 4
    assert clf.predict(X).shape == (150,)
    with pytest.raises(KeyboardInterrupt):  # without catch_interrupt, Ctrl-C propagates
        clf.fit(X, y)


def test_verbose_shows_progress(capsys):
    X, y = _iris()
    Classifier(epochs=2, random_state=0, verbose=True).fit(X, y)
    out = capsys.readouterr()
    assert "epoch" in (out.out + out.err)


# ---------------------------------------------------------------------------- bad input
def _xy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    return X, (X[:, 0] > 0).astype(int)


@pytest.mark.parametrize("value, est", [(np.nan, Classifier), (np.inf, Classifier),
                                        (-np.inf, Regressor), (np.nan, Regressor)])
def test_nan_or_inf_in_X(value, est):
    X, y = _xy()
    X[4, 2] = value
    with pytest.raises(ValueError, match=r"X contains 1 NaN or infinite.*row 4, column 2.*"
                                         r"impute"):
        est(epochs=1).fit(X, y)
    fitted = est(epochs=1).fit(*_xy())
    with pytest.raises(ValueError, match="X contains 1 NaN or infinite"):
        fitted.predict(X)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_nan_or_inf_in_y(value):
    X, y = _xy()
    yf = y.astype(float)
    yf[3] = value
    with pytest.raises(ValueError, match=r"y contains 1 NaN or infinite.*row 3.*drop"):
        Regressor(epochs=1).fit(X, yf)
    with pytest.raises(ValueError, match=r"y contains 1 NaN or infinite"):
        Classifier(epochs=1).fit(X, yf)
    with pytest.raises(ValueError, match="missing labels"):
        Classifier(epochs=1).fit(X, np.array(["a", None] * 10, dtype=object))


def _na_labels(kind):
    """40 labels, the 4th missing as pandas writes it (pd.NA, or NaT)."""
    yes = np.where(np.arange(40) % 2 == 1, "yes", "no")
    if kind in ("string", "string[pyarrow]"):
        y = pd.Series(yes, dtype=kind)
        y[3] = pd.NA
        return y
    values = {"object ints": [0, 1] * 20, "object strings": list(yes)}.get(kind, list(yes))
    values[3] = pd.NaT if kind == "object NaT" else pd.NA
    y = pd.Series(values, dtype=object)
    return y.to_frame("t") if kind == "data frame" else y


@pytest.mark.parametrize("kind", ["string", "string[pyarrow]", "object ints", "object strings",
                                  "object NaT", "data frame"])
# (a one-column frame gets scikit-learn's usual column-vector warning first, as a y of shape
# (n, 1) does everywhere)
@pytest.mark.filterwarnings("ignore:A column-vector y was passed")
def test_missing_labels_written_as_pd_na(kind):
    """pd.NA was reported as "y mixes labels of different types ... np.asarray(y, dtype=str)",
    a fix that would have made "<NA>" a class."""
    if kind == "string[pyarrow]":
        pytest.importorskip("pyarrow")
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = _na_labels(kind)
    shown = "NaT" if kind == "object NaT" else "<NA>"
    match = rf"y contains missing labels \(1 of 40, the first {shown} at row 3\); drop those " \
            "samples or fill in their labels"
    with pytest.raises(ValueError, match=match):
        Classifier(epochs=1).fit(X, y)
    labels = ["no", "yes"] if kind != "object ints" else [0, 1]
    with pytest.raises(ValueError, match=match):
        Classifier(epochs=1).partial_fit(X, y, classes=labels)
    fitted = Classifier(epochs=1, random_state=0).fit(X, np.resize(labels, 40))
    with pytest.raises(ValueError, match=match):
        fitted.score(X, y)
    with pytest.raises(ValueError, match=match):
        fitted.partial_fit(X, np.resize(labels, 40), validation_data=(X, y))


def test_a_regressor_names_missing_and_non_numeric_targets():
    """pd.NA in an object column raised pandas' TypeError; a category column of strings numpy's
    bare "could not convert string to float: 'a'"."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    for y in (pd.Series([1.0] * 39 + [pd.NA], dtype=object), [1.0] * 39 + [pd.NA],
              pd.Series([1.0] * 39 + [None], dtype=object)):
        first = "None" if y[39] is None else "<NA>"
        match = rf"y contains 1 missing value\(s\) \(the first, {first}, at row 39\); " \
                "shallownet needs finite numbers: drop those samples or fill in their targets"
        with pytest.raises(ValueError, match=match):
            Regressor(epochs=1).fit(X, y)
        with pytest.raises(ValueError, match=match):
            Regressor(epochs=1).partial_fit(X, y)
        with pytest.raises(ValueError, match=match):
            Regressor(epochs=1, random_state=0).fit(X, X[:, 0]).score(X, y)
    frame = pd.DataFrame({"a": pd.Series([1.0] * 39 + [pd.NA], dtype=object), "b": 1.0})
    with pytest.raises(ValueError, match=r"missing value\(s\) \(the first, <NA>, at row 39, "
                                         r"column 0\)"):
        Regressor(epochs=1).fit(X, frame)
    with pytest.raises(ValueError, match=r"y must be numeric for a Regressor \(could not convert "
                                         r"string to float: 'a'\); for class labels use "
                                         r"shallownet.Classifier"):
        Regressor(epochs=1).fit(X, pd.Series(["a", "b"] * 20, dtype="category"))
    reg = Regressor(epochs=1, random_state=0).fit(X, pd.Series([1.0, 2.0] * 20, dtype="category"))
    assert reg.score(X, X[:, 0]) == r2_score(X[:, 0], reg.predict(X))


def test_a_numeric_column_with_pd_na_is_said_to_hold_missing_values():
    """It was called non-numeric, with a hint to one-hot encode it."""
    X, y = _xy()
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["n"] = pd.Series([1, pd.NA] * 10, dtype=object)
    match = (r"X column\(s\) \['n'\] hold numbers with missing values \('n': 10 of 20, the "
             r"first <NA> at row 1\); shallownet needs a number in every cell: convert the "
             r"column\(s\) to numbers \(pd.to_numeric\(X\['n'\]\) or .astype\('Float64'\)\) "
             r"and impute the missing values \(e.g. sklearn.impute.SimpleImputer")
    with pytest.raises(ValueError, match=match):
        Classifier(epochs=1).fit(df, y)
    fitted = Classifier(epochs=1).fit(df.fillna(0).astype(float), y)
    with pytest.raises(ValueError, match=match):
        fitted.predict(df)
    from sklearn.impute import SimpleImputer  # the fix it names works

    assert make_pipeline(SimpleImputer(), Classifier(epochs=1)).fit(
        df.assign(n=pd.to_numeric(df["n"])), y).n_features_in_ == 4
    df["n"] = pd.Series(["x", pd.NA] * 10, dtype=object)  # text with gaps: still non-numeric
    with pytest.raises(ValueError, match=r"non-numeric column\(s\) \['n'\]"):
        Classifier(epochs=1).fit(df, y)


def test_minus_inf_is_said_as_minus_inf_and_scoring_on_a_real_target_says_so():
    X, y = _xy()
    clf = Classifier(epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=r"X contains 1 NaN or infinite value\(s\) \(the first, "
                                         r"-inf, at row 0, column 0\)"):
        clf.predict(np.array([[-np.inf, 0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"\(the first, inf, at row 0, column 1\)"):
        clf.predict(np.array([[0.0, np.inf, 0.0]]))
    with pytest.raises(ValueError, match=r"^y holds continuous values \(e.g. 0.125\d*\), not class "
                                         r"labels: score\(X, y\) is the accuracy of the "
                                         r"predicted classes"):
        clf.score(X, X[:, 0])


def test_wrong_number_of_features_at_predict():
    X, y = _xy()
    clf = Classifier(epochs=1).fit(X, y)
    for method in (clf.predict, clf.predict_proba, clf.decision_function, clf.score):
        args = (X[:, :2], y) if method == clf.score else (X[:, :2],)
        with pytest.raises(ValueError, match=r"X has 2 features, but Classifier is expecting "
                                             r"3 .*same 3 feature columns"):
            method(*args)


@pytest.mark.parametrize("shape", [(0, 3), (5, 0)])
def test_empty_data(shape):
    with pytest.raises(ValueError, match=r"X is empty.*at least one"):
        Classifier().fit(np.empty(shape), np.zeros(shape[0]))
    with pytest.raises(ValueError, match=r"X is empty"):
        Regressor().fit(np.empty(shape), np.zeros(shape[0]))


def test_a_single_class():
    X, _ = _xy()
    with pytest.raises(ValueError, match=r"only one class \('spam'\).*at least two classes"):
        Classifier().fit(X, ["spam"] * 20)


def test_non_numeric_column_in_a_data_frame():
    X, y = _xy()
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["city"] = ["Oslo", "Lima"] * 10
    with pytest.raises(ValueError, match=r"non-numeric column\(s\) \['city'\].*OneHotEncoder"):
        Classifier().fit(df, y)
    with pytest.raises(ValueError, match=r"X must be numeric.*OneHotEncoder"):
        Regressor().fit(df.to_numpy(), y)
    # numbers stored as text are numbers
    df["city"] = ["1", "2"] * 10
    assert Classifier(epochs=1).fit(df, y).n_features_in_ == 4


@pytest.mark.parametrize("times", [
    lambda: pd.date_range("2020", periods=20), lambda: pd.date_range("2020", periods=20, tz="UTC"),
    lambda: pd.timedelta_range(0, periods=20, freq="h"),
    lambda: pd.period_range("2020", periods=20, freq="D")])
def test_date_and_time_columns_in_a_data_frame_are_named(times):
    """A datetime column gave numpy's DTypePromotionError."""
    X, y = _xy()
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(when=times())
    for est in (Classifier(epochs=1), Regressor(epochs=1)):
        with pytest.raises(ValueError, match=r"X has date or time column\(s\) \['when'\]; "
                                             r"shallownet needs numbers: convert them first"):
            est.fit(df, y)


def test_y_length_mismatch():
    X, y = _xy()
    with pytest.raises(ValueError, match="X has 20 samples but y has 19; pass one label"):
        Classifier().fit(X, y[:-1])
    with pytest.raises(ValueError, match="X has 20 samples but y has 21; pass one target"):
        Regressor().fit(X, np.append(y, 1.0))


def test_continuous_target_for_a_classifier():
    X, _ = _xy()
    with pytest.raises(ValueError, match=r"Unknown label type.*shallownet.Regressor"):
        Classifier().fit(X, np.linspace(0, 1, 20))
    with pytest.raises(ValueError, match=r"y must be numeric.*shallownet.Classifier"):
        Regressor().fit(X, ["a", "b"] * 10)


def test_missing_y():
    X, _ = _xy()
    with pytest.raises(ValueError, match="requires y to be passed"):
        Classifier().fit(X, None)


@pytest.mark.parametrize("params, match", [
    (dict(hidden_units=0), "hidden_units must be a positive integer"),
    (dict(activation="threshold"), "cannot be trained by gradient descent"),
    (dict(activation="tanh"), "not known"),
    (dict(optimizer="rmsprop"), "optimizer must be one of"),
    (dict(learning_rate=-1.0), "learning_rate"),
    (dict(validation_fraction=1.0), "validation_fraction"),
    (dict(dtype="float16"), "dtype"),
    (dict(seed=-1), "seed"),
    (dict(callbacks=[3]), "callbacks"),
])
def test_bad_hyperparameters_are_named_in_fit(params, match):
    X, y = _xy()
    clf = Classifier(**params)  # stored unchanged, checked in fit
    assert clf.get_params()[next(iter(params))] == next(iter(params.values()))
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)


def test_early_stopping_needs_enough_samples():
    X, y = _xy()
    with pytest.raises(ValueError, match="early_stopping"):
        Regressor(early_stopping=True, validation_fraction=0.99).fit(X[:2], y[:2])


def test_dtype_accepts_numpy_types():
    X, y = _xy()
    clf = Classifier(epochs=1, dtype=np.float64, random_state=0).fit(X, y)
    assert clf.network_.dtype == np.float64 and clf.get_params()["dtype"] is np.float64
    assert Regressor(epochs=1, random_state=0).fit(X, y).network_.dtype == np.float32


def test_lazy_exports():
    assert sn.Classifier is Classifier and sn.Regressor is Regressor


def test_a_regressor_diverging_on_a_huge_target_says_the_target_is_the_cause():
    """y of ~1e20 (standardised X): the message blamed X and the learning rate, after a
    stream of numpy overflow warnings."""
    import warnings

    X = np.random.default_rng(0).normal(size=(50, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FloatingPointError, match=r"training diverged.*The target reaches "
                                                     r"2.37e\+20.*rescale y \(e.g. sklearn"
                                                     r".compose.TransformedTargetRegressor"):
            Regressor(epochs=5, random_state=0).fit(X, X[:, 0] * 1e20)
    # an ordinary target trains; dtype float64 holds the huge one
    Regressor(epochs=2, random_state=0).fit(X, X[:, 0] * 100)
    assert np.isfinite(Regressor(epochs=2, dtype="float64", random_state=0)
                       .fit(X, X[:, 0] * 1e20).predict(X)).all()

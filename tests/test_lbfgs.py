"""Full-batch L-BFGS (solvers/lbfgs.py): the packed objective's gradient against central
differences, convergence to a known minimiser, the record per iteration, early stopping and
callbacks, and held-out scores side by side with scikit-learn's MLP(solver="lbfgs")."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

import shallownet as sn
from shallownet.solvers import lbfgs


def problem(output, N=60, N_h=5, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 3))
    if output == "multiclass":
        y, N_o, act = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0), 3, "sigmoid"
    elif output == "binary":
        y, N_o, act = (X[:, 0] + X[:, 1] > 0).astype(int), 1, "relu"
    else:
        y, N_o, act = np.column_stack([X @ [1.0, -2.0, 0.5], np.sin(X[:, 0])]), 2, "relu"
    net = sn.Network.init(3, N_h, N_o, activation=act, output=output, seed=seed, dtype=dtype)
    return net, X, y


@pytest.mark.parametrize("output", ["binary", "multiclass", "regression"])
def test_packed_objective_gradient_matches_central_differences(output):
    net, X, y = problem(output)
    T = net.encode_targets(y, len(X))
    l2, N = 0.3, len(X)
    # blocks of 7 rows: the sum over blocks must equal the sum over all rows
    f = lbfgs.mean_objective(net, lambda th: lbfgs.loss_and_gradient_sum(net, X, T, 7), N, l2)
    theta = lbfgs.pack(net.params) + np.random.default_rng(1).normal(0, 0.1, net.n_params)
    value, grad = f(theta)
    # independent reference: Network.loss (16) and the penalty written out
    unpack_net = net.copy()

    def reference(th):
        lbfgs.unpack(unpack_net, th)
        return (unpack_net.loss(X, y) / N + 0.5 * l2 * (np.sum(unpack_net.W_H ** 2)
                                                         + np.sum(unpack_net.W_O ** 2)))

    assert value == pytest.approx(reference(theta), rel=1e-12)
    h = 1e-6
    numeric = np.array([(reference(theta + h * e) - reference(theta - h * e)) / (2 * h)
                        for e in np.eye(theta.size)])
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_pack_unpack_round_trip_keeps_the_notes_shapes():
    net, _, _ = problem("multiclass")
    theta = lbfgs.pack(net.params)
    assert theta.size == net.n_params and theta.dtype == np.float64
    # W_H first, row by row (W_H is (N_h, N_i) as in the notes)
    np.testing.assert_array_equal(theta[:net.W_H.size], net.W_H.ravel())
    other = net.copy()
    lbfgs.unpack(other, np.arange(theta.size, dtype=float))
    np.testing.assert_array_equal(lbfgs.pack(other.params), np.arange(theta.size))


def test_recovers_a_teacher_network():
    """Targets made by a network of the same shape: the minimum is L = 0 at the teacher."""
    rng = np.random.default_rng(3)
    teacher = sn.Network(rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(1, 4)),
                         rng.normal(size=1), activation="sigmoid", output="regression")
    X = rng.normal(size=(200, 3))
    y = teacher.predict(X)
    start = {k: v + rng.normal(0, 0.05, v.shape) for k, v in teacher.params.items()}
    student = sn.Network(**start, activation="sigmoid", output="regression")
    assert student.loss(X, y) / len(X) > 1e-3
    hist = sn.train(student, X, y, optimizer="lbfgs", epochs=500, tol=0.0)
    assert hist.loss[-1] < 1e-9
    for k in teacher.params:  # from 0.05 (one standard deviation) away to within 5e-3
        np.testing.assert_allclose(student.params[k], teacher.params[k], atol=5e-3)


def test_l2_minimiser_is_stationary_and_beats_its_neighbours():
    _, X, y = problem("binary")
    net = sn.Network.init(3, 5, 1, activation="sigmoid", output="binary", seed=0,
                          dtype=np.float64)  # smooth, so the minimiser has a zero gradient
    sn.train(net, X, y, optimizer="lbfgs", epochs=1000, l2=0.1, tol=0.0)
    T = net.encode_targets(y, len(X))
    probe = net.copy()
    f = lbfgs.mean_objective(probe, lambda th: lbfgs.loss_and_gradient_sum(probe, X, T),
                             len(X), 0.1)
    theta = lbfgs.pack(net.params)
    best, grad = f(theta)
    assert np.abs(grad).max() < 1e-7
    rng = np.random.default_rng(0)
    assert all(f(theta + rng.normal(0, 1e-3, theta.size))[0] > best for _ in range(20))


def test_history_counts_iterations_and_evaluations():
    net, X, y = problem("multiclass")
    seen = []
    hist = sn.train(net, X, y, optimizer="lbfgs", epochs=15, tol=0.0,
                    callbacks=[lambda info: seen.append((info.epoch, info.loss))])
    assert hist.epochs == 15 and len(hist.loss) == 15
    assert hist.steps >= 15  # a line search may evaluate more than once
    assert [e for e, _ in seen] == list(range(1, 16))
    assert hist.loss[-1] == pytest.approx(net.loss(X, y) / len(X), rel=1e-12)
    assert np.all(np.diff(hist.loss) <= 1e-12)  # monotone


def test_callback_stops_and_validation_early_stopping_restores_best():
    net, X, y = problem("multiclass", N=120)
    hist = sn.train(net.copy(), X, y, optimizer="lbfgs", epochs=50,
                    callbacks=[lambda info: info.epoch == 4])
    assert hist.epochs == 4 and hist.stopped_early
    # validation set from another distribution: its loss rises soon, early stopping ends
    Xv, yv = X[:30] * 3, (y[:30] + 1) % 3
    h = sn.train(net, X[30:], y[30:], optimizer="lbfgs", epochs=200,
                 validation_data=(Xv, yv), early_stopping=True, patience=3)
    assert h.stopped_early and h.epochs == h.best_epoch + 3
    assert len(h.val_loss) == len(h.val_score) == h.epochs
    assert net.loss(Xv, yv) / len(Xv) == pytest.approx(min(h.val_loss), rel=1e-9)


def test_float64_by_default_float32_on_request_and_estimator_api():
    net, X, y = problem("binary", dtype=np.float32)
    sn.train(net, X, y, optimizer="lbfgs", epochs=3)
    assert net.dtype == np.float64  # L-BFGS trains a float32 network in float64 by default
    net32, _, _ = problem("binary", dtype=np.float32)
    hist = sn.train(net32, X, y, optimizer="lbfgs", epochs=30, dtype="float32")
    assert net32.dtype == np.float32 and hist.loss[-1] < hist.loss[0]
    clf = sn.Classifier(optimizer="lbfgs", hidden_units=8, epochs=50, random_state=0).fit(X, y)
    assert clf.n_iter_ <= 50 and clf.score(X, y) > 0.9
    assert clf.network_.dtype == np.float64
    assert sn.Classifier(hidden_units=8, epochs=2).fit(X, y).network_.dtype == np.float32
    clf32 = sn.Classifier(optimizer="lbfgs", hidden_units=8, epochs=50, dtype="float32",
                          random_state=0).fit(X, y)
    assert clf32.network_.dtype == np.float32 and clf32.score(X, y) > 0.9
    with pytest.raises(ValueError, match="partial_fit needs a mini-batch optimizer"):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="tol must be"):
        sn.train(net, X, y, optimizer="lbfgs", tol=-1.0)


def test_regressor_with_lbfgs_and_early_stopping_split():
    net, X, y = problem("regression", N=200)
    reg = sn.Regressor(optimizer="lbfgs", hidden_units=16, epochs=300, dtype="float64",
                       early_stopping=True, patience=20, random_state=0).fit(X, y)
    assert reg.validation_scores_ is not None and reg.best_validation_score_ > 0.95


# ---------------------------------------------------------------- side by side with sklearn
def _held_out(load, classification, seed):
    X, y = load(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, random_state=seed, stratify=y if classification else None)
    sc = StandardScaler().fit(X_tr)
    X_tr, X_te = sc.transform(X_tr), sc.transform(X_te)
    if not classification:
        m, s = y_tr.mean(), y_tr.std()
        y_tr, y_te = (y_tr - m) / s, (y_te - m) / s
    return X_tr, X_te, y_tr, y_te


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # the peer's limit
@pytest.mark.parametrize("load,classification", [
    (load_iris, True), (load_wine, True), (load_breast_cancer, True), (load_digits, True),
    (load_diabetes, False)])
def test_held_out_score_matches_scikit_learn_lbfgs(load, classification):
    """Same network (100 ReLU units), same penalty, same limit of 200 iterations; median
    held-out score over three splits. scikit-learn adds (alpha / 2N)||W||^2 to its mean loss,
    and its squared error is half of (20), so our l2 is alpha / N (classes) or 2 alpha / N."""
    ours, theirs = [], []
    for seed in range(3):
        X_tr, X_te, y_tr, y_te = _held_out(load, classification, seed)
        alpha = 1e-4 if classification else 1.0
        Ours = sn.Classifier if classification else sn.Regressor
        Theirs = MLPClassifier if classification else MLPRegressor
        ours.append(Ours(optimizer="lbfgs", hidden_units=100, epochs=200, dtype="float64",
                         l2=alpha / len(X_tr) * (1 if classification else 2),
                         random_state=seed).fit(X_tr, y_tr).score(X_te, y_te))
        theirs.append(Theirs(solver="lbfgs", hidden_layer_sizes=(100,), max_iter=200,
                             alpha=alpha, random_state=seed).fit(X_tr, y_tr).score(X_te, y_te))
    assert np.median(ours) >= np.median(theirs) - 0.01, (ours, theirs)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_command_line_trains_with_lbfgs(tmp_path):
    from typer.testing import CliRunner

    from shallownet.cli import app

    out = tmp_path / "iris.safetensors"
    result = CliRunner().invoke(app, ["train", "iris", "--optimizer", "lbfgs", "--epochs", "100",
                                      "--seed", "0", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    model = sn.load(out)
    assert model.get_params()["optimizer"] == "lbfgs" and 1 <= model.n_iter_ <= 100
    iris = load_iris()
    assert model.score(iris.data, iris.target_names[iris.target]) > 0.9
    info = CliRunner().invoke(app, ["info", str(out)])
    assert "optimizer=lbfgs" in info.output and "learning_rate=None (" not in info.output


def test_n_threads_sets_the_blas_pool_during_lbfgs():
    from threadpoolctl import threadpool_info

    net, X, y = problem("binary")
    seen = []
    sn.train(net, X, y, optimizer="lbfgs", epochs=3, n_threads=1,
             callbacks=[lambda info: seen.append({p["num_threads"] for p in threadpool_info()
                                                  if p["user_api"] == "blas"})])
    assert seen and all(s == {1} for s in seen)

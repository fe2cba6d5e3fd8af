"""Guards found by mutation testing: each test here fails when its named bug is put in
(the activation derivatives, dloss, loss-curve scale, divergence reset, min_delta, restore_best,
early-stopping split, fresh seeds for continued training, the decision at z = 0, CLI labels)."""

import csv

import numpy as np
import pytest
from typer.testing import CliRunner

import shallownet as sn
from shallownet import graph
from shallownet.activations import ACTIVATIONS
from shallownet.cli import app
from shallownet.outputs import Binary, Multiclass, Regression


def small_problem(output="binary", seed=0, N=40):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 3))
    if output == "binary":
        y = (X[:, 0] + X[:, 1] > 0).astype(int)
        net = sn.Network.init(
            3, 8, 1, activation="sigmoid", output=output, seed=seed, dtype=np.float64
        )
    else:
        y = X @ [1.0, -2.0, 0.5]
        net = sn.Network.init(
            3, 8, 1, activation="relu", output=output, seed=seed, dtype=np.float64
        )
    return net, X, y


# A2b (+A3 away from 0): every activation's dg against central differences, both code paths
@pytest.mark.parametrize("name", ["sigmoid", "relu"])
def test_activation_derivative_matches_central_differences(name):
    act = ACTIVATIONS[name]
    z = np.linspace(-3, 3, 13) + 0.05  # avoid relu's kink
    h = 1e-6
    fd = (act.g(z + h) - act.g(z - h)) / (2 * h)
    u = act.g(z)
    np.testing.assert_allclose(act.dg(z, u), fd, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(act.dg(z, u, out=np.empty_like(z)), fd, rtol=1e-6, atol=1e-9)
    if name == "sigmoid":  # section 2, Problem 3(a): sigma'(0) = 1/4
        assert act.dg(np.zeros(1), act.g(np.zeros(1)))[0] == 0.25


# A3: the documented convention g'(0) = 0 for ReLU, in the activation and through backprop
def test_relu_derivative_is_zero_at_the_kink():
    relu = ACTIVATIONS["relu"]
    assert not relu.dg(np.zeros(3), np.zeros(3)).any()
    assert not relu.dg(np.zeros(3), np.zeros(3), out=np.ones(3)).any()
    net = sn.Network(
        W_H=[[1.0]], b_H=[0.0], W_O=[[1.0]], b_O=[0.0], activation="relu", output="regression"
    )
    G = net.gradients([[0.0]], [[1.0]])  # z_H = 0 exactly
    assert G["W_H"][0, 0] == 0 and G["b_H"][0] == 0


# G6: the graph's relu follows the same convention as the network
def test_graph_relu_gradient_at_zero_is_zero():
    x = graph.param(np.array([0.0, 1.0, -1.0]))
    graph.sum(graph.relu(x)).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])


# O2b, O3b: the public dloss against central differences of g_loss
@pytest.mark.parametrize("out", [Binary(), Multiclass(), Regression()])
def test_dloss_matches_central_differences_of_g_loss(out):
    rng = np.random.default_rng(1)
    K = 1 if isinstance(out, Binary) else 3
    z = rng.normal(size=(5, K))
    t = (
        out.encode_targets(rng.integers(0, 2, 5))
        if isinstance(out, Binary)
        else rng.integers(0, K, 5)
        if isinstance(out, Multiclass)
        else rng.normal(size=(5, K))
    )
    h = 1e-6
    fd = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        fd[idx] = (out.g_loss(zp, t).sum() - out.g_loss(zm, t).sum()) / (2 * h)
    np.testing.assert_allclose(out.dloss(z, t), fd, rtol=1e-6, atol=1e-8)


# T6: history.loss is the per-sample *mean* (of the weights before the step, one full batch)
def test_history_loss_equals_the_mean_loss_before_the_step():
    net, X, y = small_problem("binary")
    before = net.copy()
    h = sn.train(
        net, X, y, epochs=1, batch_size=len(X), optimizer="sgd", learning_rate=0.5, shuffle=False
    )
    assert h.loss[0] == pytest.approx(before.loss(X, y) / len(X), rel=1e-12)


# T7b: after divergence the weights are those at the start of the diverging epoch
def test_divergence_resets_the_weights_to_the_start_of_the_epoch():
    net, X, y = small_problem("regression")
    snaps = [{k: v.copy() for k, v in net.params.items()}]
    def rec(info):
        return snaps.append({k: v.copy() for k, v in info.network.params.items()})
    with pytest.raises(FloatingPointError):
        with np.errstate(all="ignore"):
            sn.train(
                net,
                X * 1e3,
                y * 1e3,
                epochs=20,
                optimizer="sgd",
                learning_rate=10.0,
                callbacks=[rec],
            )
    for k, v in snaps[-1].items():
        np.testing.assert_array_equal(net.params[k], v)


# T10: an improvement smaller than min_delta is no improvement
def test_min_delta_larger_than_any_improvement_stops_after_patience():
    net, X, y = small_problem("binary")
    h = sn.train(
        net,
        X,
        y,
        epochs=50,
        batch_size=8,
        optimizer="sgd",
        learning_rate=0.1,
        seed=0,
        early_stopping=True,
        patience=3,
        min_delta=1e6,
    )
    assert h.stopped_early and h.epochs == 4 and h.best_epoch == 1


# T12: restore_best=False keeps the last epoch's weights
def test_restore_best_false_keeps_the_last_weights():
    net, X, y = small_problem("binary", N=60)
    Xv, yv = X[:20], 1 - y[:20]
    last = {}
    def rec(info):
        return last.update({k: v.copy() for k, v in info.network.params.items()})
    h = sn.train(
        net,
        X[20:],
        y[20:],
        epochs=200,
        batch_size=8,
        learning_rate=0.05,
        validation_data=(Xv, yv),
        early_stopping=True,
        patience=3,
        seed=0,
        restore_best=False,
        callbacks=[rec],
    )
    assert h.stopped_early and h.best_epoch < h.epochs
    for k, v in last.items():
        np.testing.assert_array_equal(net.params[k], v)


# E4: early stopping trains on the training part only (135 of 150 iris samples)
def test_early_stopping_trains_only_on_the_kept_part():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    clf = sn.Classifier(
        epochs=1, batch_size=1, early_stopping=True, validation_fraction=0.1, random_state=0
    ).fit(X, y)
    assert clf.t_ == 135


# E5: each continued run (warm start / partial_fit) gets a new, reproducible shuffle seed
def test_continued_training_draws_new_reproducible_seeds(monkeypatch):
    import shallownet.estimators as est

    seen = []
    real = est.train
    monkeypatch.setattr(est, "train", lambda *a, **k: (seen.append(k["seed"]), real(*a, **k))[1])
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = (X[:, 0] > 0).astype(int)
    for _ in range(2):
        clf = sn.Classifier(epochs=1, random_state=0)
        for _ in range(3):
            clf.partial_fit(X, y, classes=[0, 1])
    assert seen[:3] == seen[3:] and len(set(seen[:3])) == 3


# E6: (4) y_hat = 1 at z_O = 0 also for the estimator
def test_classifier_predicts_the_second_class_at_zero_logit():
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = np.where(X[:, 0] > 0, "b", "a")
    clf = sn.Classifier(epochs=1, random_state=0).fit(X, y)
    clf.network_.set_params(
        W_O=np.zeros_like(clf.network_.W_O), b_O=np.zeros_like(clf.network_.b_O)
    )
    assert (clf.decision_function(X) == 0).all()
    assert (clf.predict(X) == "b").all()
    assert (clf.network_.predict(X) == 1).all()


# C3: evaluate maps a CSV's numeric labels onto a model trained on string labels "0"/"1"
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_evaluate_reads_numeric_csv_labels_for_string_classes(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    lab = np.where(X[:, 0] > 0, "1", "0")
    pq.write_table(pa.table({"a": X[:, 0], "b": X[:, 1], "kind": list(lab)}), tmp_path / "t.pq")
    with open(tmp_path / "t.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["a", "b", "kind"])
        w.writerows(zip(X[:, 0], X[:, 1], lab, strict=False))
    model = tmp_path / "m.safetensors"
    r = CliRunner().invoke(
        app,
        [
            str(a)
            for a in (
                "train",
                tmp_path / "t.pq",
                "--target",
                "kind",
                "--epochs",
                30,
                "--seed",
                0,
                "--hidden",
                8,
                "--learning-rate",
                0.05,
                "--out",
                model,
                "-q",
            )
        ],
    )
    assert r.exit_code == 0, r.output
    from shallownet import io as model_io

    m = model_io.load(model)
    assert m.classes_.dtype.kind in "USO"
    expected = np.mean(m.predict(X) == lab)
    r = CliRunner().invoke(
        app, ["evaluate", str(model), str(tmp_path / "t.csv"), "--target", "kind"]
    )
    assert r.exit_code == 0, r.output
    assert f"{expected:.4f}" in r.stdout


@pytest.mark.parametrize("name", ["threshold", "sigmoid", "relu"])
def test_forward_with_grad_equals_g_and_dg(name):
    """The training loop's fused form agrees with g_act and g_act' (including z = 0)."""
    act = ACTIVATIONS[name]
    z = np.array([-3.0, -0.5, 0.0, 0.25, 4.0], dtype=np.float32)
    u, dg = np.empty_like(z), np.empty_like(z)
    act.forward_with_grad(z, u, dg)
    np.testing.assert_array_equal(u, act.g(z))
    np.testing.assert_array_equal(dg, act.dg(z, act.g(z)))
    expected_u = {"threshold": (z >= 0) * 1.0, "relu": np.maximum(z, 0),
                  "sigmoid": 1 / (1 + np.exp(-z.astype(np.float64)))}[name]
    np.testing.assert_allclose(u, expected_u, rtol=1e-6)

"""Training (section 3, (21)): optimizer steps against their closed forms, reproducibility,
precision, the threshold guard, early stopping, and accuracy on scikit-learn's embedded data."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import shallownet as sn


def small_problem(output="multiclass", seed=0, N=40):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 3))
    if output == "multiclass":
        y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
        net = sn.Network.init(3, 8, 3, activation="sigmoid", output=output, seed=seed,
                              dtype=np.float64)
    elif output == "binary":
        y = (X[:, 0] + X[:, 1] > 0).astype(int)
        net = sn.Network.init(3, 8, 1, activation="sigmoid", output=output, seed=seed,
                              dtype=np.float64)
    else:
        y = X @ [1.0, -2.0, 0.5]
        net = sn.Network.init(3, 8, 1, activation="relu", output=output, seed=seed,
                              dtype=np.float64)
    return net, X, y


# ---------------------------------------------------------------- one step, closed forms
def test_sgd_step_is_equation_21_on_the_batch_mean():
    net, X, y = small_problem()
    before = {k: v.copy() for k, v in net.params.items()}
    G = net.gradients(X, y)  # of L, the sum (16)
    sn.train(net, X, y, epochs=1, batch_size=len(X), optimizer="sgd", learning_rate=0.1,
             shuffle=False)
    for k in before:  # theta^{t+1} = theta^t - alpha dL/dtheta / N
        np.testing.assert_allclose(net.params[k], before[k] - 0.1 * G[k] / len(X), rtol=1e-12,
                                   atol=1e-14)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_two_steps_closed_form(nesterov):
    net, X, y = small_problem()
    ref = net.copy()
    mu, a = 0.9, 0.05
    sn.train(net, X, y, epochs=2, batch_size=len(X), optimizer="momentum", learning_rate=a,
             momentum=mu, nesterov=nesterov, shuffle=False)
    v = {k: np.zeros_like(p) for k, p in ref.params.items()}
    for _ in range(2):
        G = ref.gradients(X, y)
        new = {}
        for k, p in ref.params.items():
            g = G[k] / len(X)
            v[k] = mu * v[k] - a * g
            new[k] = p + (mu * v[k] - a * g if nesterov else v[k])
        ref.set_params(**new)
    for k in ref.params:
        np.testing.assert_allclose(net.params[k], ref.params[k], rtol=1e-10, atol=1e-13)


def test_adam_first_step_moves_each_weight_by_the_learning_rate():
    # With bias correction, m_hat = g and v_hat = g^2 after one step, so Adam's first step is
    # -alpha g / (|g| + eps), i.e. about -alpha sign(g).
    net, X, y = small_problem()
    before = {k: v.copy() for k, v in net.params.items()}
    G = net.gradients(X, y)
    sn.train(net, X, y, epochs=1, batch_size=len(X), optimizer="adam", learning_rate=0.01,
             epsilon=1e-8, shuffle=False)
    for k in before:
        g = G[k] / len(X)
        np.testing.assert_allclose(net.params[k] - before[k], -0.01 * g / (np.abs(g) + 1e-8),
                                   rtol=1e-9, atol=1e-15)


def test_l2_adds_weight_decay_to_weights_not_biases():
    net, X, y = small_problem()
    before = {k: v.copy() for k, v in net.params.items()}
    G = net.gradients(X, y)
    sn.train(net, X, y, epochs=1, batch_size=len(X), optimizer="sgd", learning_rate=0.1,
             shuffle=False, l2=0.5)
    for k in before:
        decay = 0.5 * before[k] if k.startswith("W") else 0
        np.testing.assert_allclose(net.params[k], before[k] - 0.1 * (G[k] / len(X) + decay),
                                   rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- the loop
def test_same_seed_same_run_and_different_seed_differs():
    runs = []
    for seed in (3, 3, 4):
        net, X, y = small_problem()
        h = sn.train(net, X, y, epochs=3, batch_size=7, seed=seed)
        runs.append((net.W_H.copy(), h.loss))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    assert not np.array_equal(runs[0][0], runs[2][0])


def test_history_loss_is_mean_loss_and_decreases():
    net, X, y = small_problem("binary")
    h = sn.train(net, X, y, epochs=30, batch_size=len(X), optimizer="sgd", learning_rate=0.5,
                 shuffle=False)
    assert h.epochs == 30 and len(h.loss) == 30 and h.steps == 30
    assert h.loss[-1] < h.loss[0]
    # with one full batch, the recorded loss is the mean loss before that epoch's step
    assert h.loss[-1] > net.loss(X, y) / len(X)


def test_float32_default_and_float64_on_request():
    net, X, y = small_problem()
    net.astype(np.float32)
    sn.train(net, X, y, epochs=1)
    assert net.W_H.dtype == np.float32
    sn.train(net, X, y, epochs=1, dtype="float64")
    assert net.W_H.dtype == np.float64 and net.dtype == np.float64
    assert sn.Network.init(2, 3, 1).dtype == np.float32


def test_threshold_network_refuses_to_train_and_says_why():
    net = sn.Network(W_H=[[1], [1]], b_H=[-2, -4], W_O=[1, -2], b_O=-0.5,
                     activation="threshold")
    before = net.W_H.copy()
    with pytest.raises(ValueError, match="zero derivative.*sigmoid' or 'relu'"):
        sn.train(net, [0, 1, 3, 5], [0, 0, 1, 0], epochs=5)
    np.testing.assert_array_equal(net.W_H, before)


@pytest.mark.parametrize("kwargs, message", [
    (dict(epochs=0), "epochs"), (dict(batch_size=-1), "batch_size"),
    (dict(learning_rate=-1.0), "learning_rate"), (dict(optimizer="newton"), "optimizer"),
    (dict(l2=-1.0), "l2"), (dict(momentum=1.5, optimizer="momentum"), "momentum"),
])
def test_bad_hyper_parameters_are_named(kwargs, message):
    net, X, y = small_problem()
    with pytest.raises(ValueError, match=message):
        sn.train(net, X, y, **kwargs)


def test_divergence_is_reported_not_hidden():
    net, X, y = small_problem("regression")
    X = X * 1e3
    with pytest.raises(FloatingPointError, match="diverged.*lower learning_rate"):
        with np.errstate(all="ignore"):
            sn.train(net, X, y * 1e3, epochs=20, optimizer="sgd", learning_rate=10.0)
    assert all(np.all(np.isfinite(p)) for p in net.params.values())


def test_early_stopping_restores_the_best_weights():
    net, X, y = small_problem("binary", N=60)
    Xv, yv = X[:20], 1 - y[:20]  # a validation set that gets worse as training improves
    h = sn.train(net, X[20:], y[20:], epochs=200, batch_size=8, learning_rate=0.05,
                 validation_data=(Xv, yv), early_stopping=True, patience=3, seed=0)
    assert h.stopped_early and h.epochs < 200
    best = int(np.argmin(h.val_loss))
    assert h.best_epoch == best + 1
    assert net.loss(Xv, yv) / len(Xv) == pytest.approx(h.val_loss[best], rel=1e-9)


def test_callback_can_stop_training_and_sees_each_epoch():
    net, X, y = small_problem()
    seen = []

    def stop_at_three(info):
        seen.append((info.epoch, info.loss))
        return info.epoch == 3

    h = sn.train(net, X, y, epochs=10, callbacks=[stop_at_three])
    assert [e for e, _ in seen] == [1, 2, 3]
    assert h.epochs == 3 and h.stopped_early


def test_catch_interrupt_finishes_the_batch_and_returns(monkeypatch):
    import os
    import signal

    net, X, y = small_problem()
    calls = {"n": 0}
    original = sn.Adam.step

    def step_then_interrupt(self, grads):
        original(self, grads)
        calls["n"] += 1
        if calls["n"] == 2:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(sn.Adam, "step", step_then_interrupt)
    h = sn.train(net, X, y, epochs=50, batch_size=4, catch_interrupt=True)
    assert h.interrupted and calls["n"] == 2 and h.epochs <= 1


# ---------------------------------------------------------------- real data (held-out)
def split(X, y, seed=0):
    return train_test_split(X, y, test_size=0.25, random_state=seed, stratify=None)


@pytest.mark.slow
def test_digits_accuracy_at_least_095():
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = split(X / 16.0, y)
    net = sn.Network.init(64, 100, 10, activation="relu", output="multiclass", seed=0)
    sn.train(net, Xtr, ytr, epochs=40, batch_size=32, learning_rate=0.002, seed=0)
    assert sn.score(net, Xte, yte) >= 0.95


@pytest.mark.slow
def test_breast_cancer_accuracy_at_least_095():
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = split(X, y)
    sc = StandardScaler().fit(Xtr)
    net = sn.Network.init(30, 32, 1, activation="relu", output="binary", seed=0)
    sn.train(net, sc.transform(Xtr), ytr, epochs=50, batch_size=32, seed=0)
    assert sn.score(net, sc.transform(Xte), yte) >= 0.95


@pytest.mark.slow
def test_diabetes_r2_at_least_040():
    # On this split ordinary least squares scores R^2 = 0.44; on random_state=0 it scores 0.36,
    # so that split cannot test a 0.40 bar fairly.
    X, y = load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, yte = split(X, y, seed=1)
    sx = StandardScaler().fit(Xtr)
    mu, sd = ytr.mean(), ytr.std()
    net = sn.Network.init(10, 16, 1, activation="sigmoid", output="regression", seed=0)
    sn.train(net, sx.transform(Xtr), (ytr - mu) / sd, epochs=200, batch_size=32,
             learning_rate=0.003, l2=0.1, seed=0)
    pred = net.predict(sx.transform(Xte))[:, 0] * sd + mu
    r2 = 1 - np.sum((yte - pred) ** 2) / np.sum((yte - yte.mean()) ** 2)
    assert r2 >= 0.40


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_sgd_equals_momentum_zero_generic_path(dtype):
    """SGD fused into the weight products and the generic optimizer path agree."""
    fused, X, y = small_problem()
    fused.astype(dtype)
    generic = fused.copy()
    kw = dict(epochs=3, batch_size=7, learning_rate=0.05, l2=0.01, seed=1)
    h1 = sn.train(fused, X, y, optimizer="sgd", **kw)
    h2 = sn.train(generic, X, y, optimizer="momentum", momentum=0.0, **kw)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for k in fused.params:
        np.testing.assert_allclose(fused.params[k], generic.params[k], rtol=tol, atol=tol)
    np.testing.assert_allclose(h1.loss, h2.loss, rtol=tol)
    assert fused.W_H.flags.f_contiguous and fused.W_O.flags.c_contiguous


def test_early_stopping_across_calls_restores_the_best_from_an_earlier_call():
    """A history passed back in keeps the best weights, even when a later call never beats
    them (warm starts and partial_fit)."""
    net, X, y = small_problem("binary", N=60)
    Xv, yv = X[:20], y[:20]
    h = sn.train(net, X[20:], y[20:], epochs=30, learning_rate=0.01,
                 validation_data=(Xv, yv), early_stopping=True, patience=50, seed=0)
    best_loss = min(h.val_loss)
    # now train towards the wrong labels: validation loss only gets worse
    sn.train(net, X[20:], 1 - y[20:], epochs=20, learning_rate=0.05,
             validation_data=(Xv, yv), early_stopping=True, patience=2, seed=0, history=h)
    assert h.stopped_early and h.best_epoch <= 30
    assert net.loss(Xv, yv) / len(Xv) == pytest.approx(best_loss, rel=1e-9)
    assert "best_params" not in h.as_dict()


def test_progress_bar_rests_on_the_epochs_that_ran(monkeypatch):
    """After an early stop the bar is complete and names the last epoch run."""
    from shallownet import training

    bars = []
    original = training._Progress.__init__

    def keep(self, *args, **kwargs):
        original(self, *args, **kwargs)
        bars.append(self)

    monkeypatch.setattr(training._Progress, "__init__", keep)
    net, X, y = small_problem("binary", N=60)
    h = sn.train(net, X[20:], y[20:], epochs=100, batch_size=8, progress=True,
                 validation_data=(X[:20], 1 - y[:20]), early_stopping=True, patience=2)
    task = bars[0].p.tasks[0]
    assert h.stopped_early and h.epochs < 100
    assert task.completed == task.total == h.epochs * 5  # 40 samples / 8 = 5 batches
    assert task.fields["epoch"] == h.epochs


def test_fused_sgd_is_right_whatever_the_weight_layout():
    """BLAS updates in place only for the layouts it expects; other layouts are copied back."""
    fused, X, y = small_problem()
    fused.W_O = np.asfortranarray(fused.W_O)  # not the row-major layout the loop expects
    fused.W_H = np.ascontiguousarray(fused.W_H)  # not column-major
    generic = fused.copy()
    kw = dict(epochs=2, batch_size=7, learning_rate=0.05, seed=1)
    sn.train(fused, X, y, optimizer="sgd", **kw)
    sn.train(generic, X, y, optimizer="momentum", momentum=0.0, **kw)
    for k in fused.params:
        np.testing.assert_allclose(fused.params[k], generic.params[k], rtol=1e-12, atol=1e-14)


def test_every_callback_runs_even_when_an_earlier_one_stops_training():
    net, X, y = small_problem()
    log = []
    h = sn.train(net, X, y, epochs=5, callbacks=[lambda info: True,
                                                  lambda info: log.append(info.epoch)])
    assert h.stopped_early and h.epochs == 1 and log == [1]

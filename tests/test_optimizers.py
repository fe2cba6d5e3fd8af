"""The optimizers' states never linger among float32's subnormal numbers (slow on x86).

A weight whose gradient becomes exactly zero (a ReLU unit that stopped firing, an input that is
zero in the rest of the data) has its velocity or Adam moments decay geometrically towards zero
through the subnormal range; the optimizers zero such states below a threshold at which they no
longer change a weight (``shallownet.optimizers``), and the weights are those of the plain
update rule written out below.
"""

from __future__ import annotations

import numpy as np
import pytest

from shallownet import optimizers
from shallownet.optimizers import Adam, Momentum, _flush_period

TINY = np.finfo(np.float32).tiny


def _subnormal(a):
    return bool(np.any((a != 0) & (np.abs(a) < TINY)))


def _gradients(steps, seed=0):
    """Ordinary gradients for 5 steps, then exactly zero: the state decays to zero."""
    rng = np.random.default_rng(seed)
    for t in range(steps):
        yield (rng.normal(size=(6, 5)) * 1e-3).astype(np.float32) if t < 5 else \
            np.zeros((6, 5), np.float32)


def _adam_twin(p, grads, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Adam as Kingma & Ba write it, in float32, nothing flushed."""
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = np.float32(b1) * m + np.float32(1 - b1) * g
        v = np.float32(b2) * v + np.float32(1 - b2) * g * g
        p = p - np.float32(lr / (1 - b1 ** t)) * m / (
            np.sqrt(v) * np.float32(1 / np.sqrt(1 - b2 ** t)) + np.float32(eps))
    return p, m


@pytest.mark.parametrize("make", ["adam", "momentum", "nesterov"])
def test_states_never_turn_subnormal_and_the_weights_are_the_rule_s(make):
    p = {"W": np.random.default_rng(1).normal(size=(6, 5)).astype(np.float32)}
    opt = optimizers.make_optimizer(make, p, 0.01)
    start = p["W"].copy()
    grads = list(_gradients(1500))
    for g in grads:
        opt.step({"W": g.copy()})
        states = [opt.m["W"], opt.v["W"]] if make == "adam" else [opt.velocity["W"]]
        assert not any(_subnormal(s) for s in states), opt.t
    if make == "adam":
        twin, twin_m = _adam_twin(start, grads, 0.01)
        assert _subnormal(twin_m) or not twin_m.any()  # unflushed, it went through them
        np.testing.assert_allclose(p["W"], twin, rtol=1e-6, atol=1e-7)
    else:
        v = np.zeros_like(start)
        w = start.copy()
        for g in grads:  # heavy-ball / Nesterov, as the class docstring writes them
            v = np.float32(0.9) * v - np.float32(0.01) * g
            w = w + (np.float32(0.9) * v - np.float32(0.01) * g if make == "nesterov" else v)
        np.testing.assert_allclose(p["W"], w, rtol=1e-6, atol=1e-7)
    assert np.all(opt.m["W"] == 0) if make == "adam" else np.all(opt.velocity["W"] == 0)


def test_adam_without_epsilon_flushes_nothing():
    """With epsilon = 0 a step is the moments' ratio whatever their size: nothing is zeroed."""
    p = {"W": np.ones((6, 5), np.float32)}
    opt = Adam(p, 0.01, epsilon=0.0)
    opt.m["W"][...] = 1e-35
    opt.v["W"][...] = 1e-36
    for _ in range(16):
        opt.step({"W": np.zeros((6, 5), np.float32)})
    assert np.all(opt.m["W"] > 0) and np.all(opt.v["W"] > 0)


def test_nan_and_inf_are_kept_for_the_divergence_check():
    opt = Momentum({"W": np.zeros(4, np.float32)}, 0.1)
    opt.velocity["W"][...] = [np.nan, np.inf, 1e-33, 1.0]
    for _ in range(opt._period):
        opt.step({"W": np.zeros(4, np.float32)})
    v = opt.velocity["W"]
    assert np.isnan(v[0]) and np.isinf(v[1]) and v[2] == 0 and v[3] > 0


@pytest.mark.parametrize("decay, period", [(0.9, 16), (0.999, 16), (0.0, 16), (0.3, 7),
                                           (0.05, 3), (1e-9, 1)])
def test_flush_period_leaves_no_time_to_turn_subnormal(decay, period):
    assert _flush_period(decay) == period
    # from the threshold (1e8 x the smallest normal), a period's decay stays normal (unless
    # one step alone shrinks a value 1e8-fold: then the state is the last gradient anyway)
    assert decay < 1e-8 or 1e8 * decay ** period > 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_s_compiled_update_is_numpy_s_to_rounding(dtype):
    """With the compiled kernels (numba), Adam's update is one pass: the same numbers as
    numpy's eleven, to the precision's rounding, on C- and F-ordered parameters alike."""
    from shallownet._kernels import fused_kernels

    kernels = fused_kernels()
    if kernels is None:
        pytest.skip("numba is not installed (pip install shallownet[fast])")
    rng = np.random.default_rng(4)
    params = [{"W": np.asfortranarray(rng.normal(size=(7, 5))).astype(dtype, order="K"),
               "b": rng.normal(size=7).astype(dtype)} for _ in range(2)]
    params[1] = {k: v.copy(order="K") for k, v in params[0].items()}
    numpy_adam, compiled = Adam(params[0], 0.01), Adam(params[1], 0.01)
    calls = []

    class Counted:  # the compiled kernels, counting the updates they make
        def adam_step(self, *args):
            calls.append(1)
            return kernels.adam_step(*args)

    compiled.kernels = Counted()
    for step in range(40):
        g = {k: np.empty_like(v) for k, v in params[0].items()}
        for v in g.values():
            v[...] = rng.normal(size=v.shape) * (1e-3 if step < 30 else 0.0)
        numpy_adam.step({k: v.copy(order="K") for k, v in g.items()})
        compiled.step({k: v.copy(order="K") for k, v in g.items()})
    assert len(calls) == 40 * 2  # every update of both arrays was the compiled one
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for k in params[0]:
        np.testing.assert_allclose(params[1][k], params[0][k], rtol=tol, atol=tol)
        np.testing.assert_allclose(compiled.m[k], numpy_adam.m[k], rtol=tol, atol=1e-30)
        np.testing.assert_allclose(compiled.v[k], numpy_adam.v[k], rtol=tol, atol=1e-30)
    # a parameter whose layout differs from its gradient's takes numpy's passes
    assert not optimizers._same_layout(params[0]["W"], np.ascontiguousarray(params[0]["W"]))


def test_train_gives_adam_the_compiled_update_when_it_takes_the_kernels(monkeypatch):
    import shallownet as sn
    import shallownet.training as training
    from shallownet._kernels import fused_kernels

    kernels = fused_kernels()
    if kernels is None:
        pytest.skip("numba is not installed (pip install shallownet[fast])")
    X = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    for wanted, expected in ((True, kernels), (False, None)):
        monkeypatch.setattr(training, "want_fused", lambda *a, w=wanted: w)
        net = sn.Network.init(3, 4, 1, "relu", "binary", seed=0)
        opt = Adam(net.params, 0.01)
        sn.train(net, X, y, epochs=2, optimizer=opt)
        assert opt.kernels is expected


@pytest.mark.parametrize("make", ["adam", "momentum"])
def test_an_optimizer_pickled_before_the_flush_still_steps(make):
    """A model pickled with an earlier version holds an optimizer without the flush period or
    the compiled update: partial_fit raised AttributeError."""
    import pickle

    p = {"W": np.ones((3, 2), np.float32)}
    opt = optimizers.make_optimizer(make, p, 0.01)
    opt.__dict__.pop("_period")
    opt.__dict__.pop("kernels", None)
    old = pickle.loads(pickle.dumps(opt))
    for _ in range(20):
        old.step({"W": np.full((3, 2), 0.1, np.float32)})
    assert np.all(old.params["W"] < 1)

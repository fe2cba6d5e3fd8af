"""The training loop's BLAS thread policy (``shallownet._threads``)."""

from __future__ import annotations

import numpy as np
import pytest

import shallownet as sn
from shallownet import _threads
from shallownet._threads import ThreadPolicy
from shallownet.estimators import Classifier

threadpoolctl = pytest.importorskip("threadpoolctl", reason="needs threadpoolctl "
                                                            "(a scikit-learn dependency)")


class FakeBLAS:
    """A BLAS library as threadpoolctl presents it: a thread count that can be set."""

    def __init__(self, threads):
        self.num_threads = threads
        self.calls = []

    def set_num_threads(self, k):
        self.num_threads = k
        self.calls.append(k)


class FakeClock:
    """A clock whose batches take ``cost[threads]`` seconds with ``lib``'s current threads."""

    def __init__(self, lib, cost):
        self.lib, self.cost, self.now = lib, cost, 0.0

    def __call__(self):
        return self.now

    def run_batch(self):
        self.now += self.cost[self.lib.num_threads]


def _policy(monkeypatch, threads, cost, n_threads=None):
    lib = FakeBLAS(threads)
    monkeypatch.setattr(_threads, "_blas", lambda: [lib])
    clock = FakeClock(lib, cost)
    monkeypatch.setattr(_threads.time, "perf_counter", clock)
    return ThreadPolicy(n_threads), lib, clock


@pytest.mark.parametrize("cost, chosen", [({1: 1.0, 4: 0.5}, 4), ({1: 1.0, 4: 3.4}, 1),
                                          ({1: 1.0, 4: 1.05}, 4)])  # not clearly faster
def test_the_faster_count_is_measured_and_kept(monkeypatch, cost, chosen):
    policy, lib, clock = _policy(monkeypatch, 4, cost)
    with policy:
        for _ in range(2 * _threads._EVERY + 2 * _threads._PROBE + 1):
            clock.run_batch()
            policy.tick()
        assert lib.num_threads == chosen
    assert policy.history == [chosen] * 3  # measured again every _EVERY batches
    assert lib.num_threads == 4  # the BLAS's own setting restored


def test_rare_long_stalls_count(monkeypatch):
    """Beside a busy process most two-thread batches are fast and a few wait a whole time
    slice: the mean sees that, a median would not."""
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: 0.6})
    runs = 0
    with policy:
        for _ in range(_threads._EVERY):
            runs += lib.num_threads == 2
            clock.cost = {1: 1.0, 2: 5.0 if runs % 3 == 0 else 0.6}
            clock.run_batch()
            policy.tick()
    assert policy.history == [1]


@pytest.mark.parametrize("more_cost, batches_with_more", [
    (3.4, 12),  # 11 timed batches of 3.4 exceed 32 x 1.0 / 0.9: the window ends there
    (1.05, 33),  # one thread cannot win: the whole window is run
    (0.5, 33)])
def test_the_window_with_more_threads_ends_once_it_cannot_win(monkeypatch, more_cost,
                                                            batches_with_more):
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: more_cost})
    used = []
    with policy:
        for _ in range(_threads._EVERY + 2 * _threads._PROBE):
            used.append(lib.num_threads)
            clock.run_batch()
            policy.tick()
    decided = 1 if more_cost > 1 / _threads._MARGIN else 2
    assert policy.history == [decided, decided]  # the same choice as a whole window makes
    first = used[:_threads._EVERY]
    assert first[:_threads._PROBE] == [1] * _threads._PROBE
    assert first[_threads._PROBE:_threads._PROBE + batches_with_more] == [2] * batches_with_more
    assert all(k == decided for k in first[_threads._PROBE + batches_with_more:])
    # the next measurement still starts every _EVERY batches
    assert used[_threads._EVERY:_threads._EVERY + _threads._PROBE] == [1] * _threads._PROBE


def test_a_machine_that_becomes_busy_is_noticed(monkeypatch):
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: 0.8})
    with policy:
        for i in range(3 * _threads._EVERY):
            if i == 2 * _threads._PROBE + 5:  # after the first measurement
                clock.cost = {1: 1.0, 2: 3.0}  # another process starts spinning
            clock.run_batch()
            policy.tick()
    assert policy.history == [2, 1, 1]


def test_a_fixed_count_is_set_and_restored(monkeypatch):
    policy, lib, clock = _policy(monkeypatch, 8, {1: 1.0, 3: 1.0}, n_threads=3)
    with policy:
        assert lib.num_threads == 3
        for _ in range(600):
            clock.run_batch()
            policy.tick()
        assert lib.calls == [3]  # nothing measured, nothing switched
    assert lib.num_threads == 8


def test_minus_one_leaves_the_blas_alone(monkeypatch):
    policy, lib, clock = _policy(monkeypatch, 8, {8: 1.0}, n_threads=-1)
    with policy:
        policy.tick()
    assert lib.calls == []


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_bad_n_threads(bad):
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="n_threads"):
        sn.train(sn.Network.init(2, 3), X, [0, 1, 0, 1], n_threads=bad)
    with pytest.raises(ValueError, match="n_threads"):
        Classifier(n_threads=bad).fit(X, [0, 1, 0, 1])


def _blas_threads():
    return {i["filepath"]: i["num_threads"] for i in threadpoolctl.threadpool_info()
            if i["user_api"] == "blas"}


def test_training_runs_with_the_threads_asked_for_then_restores_them():
    before = _blas_threads()
    seen = []

    def spy(info):
        seen.append(set(_blas_threads().values()))

    X = np.random.default_rng(0).normal(size=(200, 5))
    y = (X[:, 0] > 0).astype(int)
    clf = Classifier(hidden_units=8, epochs=2, n_threads=1, callbacks=[spy],
                     random_state=0).fit(X, y)
    assert seen == [{1}, {1}]
    assert _blas_threads() == before
    assert clf.get_params()["n_threads"] == 1
    # the policy (the default) trains to the same weights as a fixed count
    a = Classifier(hidden_units=8, epochs=2, random_state=0).fit(X, y)
    np.testing.assert_allclose(a.network_.W_H, clf.network_.W_H, rtol=1e-5, atol=1e-6)
    assert _blas_threads() == before

"""The fast kernels: prediction that does not depend on the batch, checked bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import shallownet as sn
from shallownet._kernels import block_rows, logits
from shallownet.estimators import Classifier

SHAPES = [(100, 100, 10), (4, 8, 1), (3, 100, 3), (30, 7, 2), (784, 64, 10), (5, 300, 1)]


def _net(N_i, N_h, N_o, activation="relu", dtype=np.float32):
    output = "binary" if N_o == 1 else "multiclass"
    net = sn.Network.init(N_i, N_h, N_o, activation=activation, output=output, seed=N_i + N_h,
                          dtype=dtype)
    rng = np.random.default_rng(0)
    net.b_H[:] = rng.normal(0, 0.3, N_h)
    net.b_O[:] = rng.normal(0, 0.3, N_o)
    return net


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "threshold"])
def test_a_samples_logits_do_not_depend_on_its_batch(shape, activation):
    net = _net(*shape, activation=activation)
    B = block_rows(net.N_i, net.N_h)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3 * B + 5, net.N_i)).astype(np.float32)
    everything = logits(net, X)
    for start, size in [(0, 1), (7, 1), (3, 2), (1, B - 1), (2, B), (0, B + 1), (5, 2 * B + 3)]:
        part = logits(net, X[start:start + size])
        assert np.array_equal(part, everything[start:start + size]), (start, size)
    order = rng.permutation(X.shape[0])
    assert np.array_equal(logits(net, X[order]), everything[order])
    # and the same numbers as the notes' forward pass, to float32's precision
    ref = net.copy().astype(np.float64).forward(X.astype(np.float64)).z_O
    if activation == "threshold":  # a step is only comparable away from its edge
        away = np.abs(net.copy().astype(np.float64).forward(X).z_H).min(axis=1) > 1e-3
        everything, ref = everything[away], ref[away]
    np.testing.assert_allclose(everything, ref, rtol=1e-4, atol=1e-5)


def test_float64_networks_too():
    net = _net(20, 30, 4, dtype=np.float64)
    X = np.random.default_rng(2).normal(size=(300, 20))
    z = logits(net, X)
    assert z.dtype == np.float64
    np.testing.assert_allclose(z, net.forward(X).z_O, rtol=1e-12, atol=1e-12)
    assert np.array_equal(logits(net, X[5:6]), z[5:6])


def test_chunks_and_blocks_cover_every_row():
    """More rows than one pass holds (the chunked loop), and a batch of exactly one block."""
    net = _net(2, 3, 1)
    B = block_rows(2, 3)
    X = np.random.default_rng(3).normal(size=(9000 + 3, 2)).astype(np.float32)
    z = logits(net, X)
    ref = net.copy().astype(np.float64).forward(X.astype(np.float64)).z_O
    np.testing.assert_allclose(z, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(logits(net, X[:B]), z[:B])


@pytest.mark.parametrize("full_blocks, B, N_h, workers",
                         [(625, 16, 100, 2), (1, 16, 100, 2), (3, 256, 3, 4), (4000, 16, 784, 2),
                          (7, 16, 100, 1), (64, 256, 1000, 3), (10, 16, 100_000, 2)])
def test_tasks_cover_the_rows_in_equal_whole_blocks_for_every_worker(full_blocks, B, N_h,
                                                                     workers):
    from shallownet._kernels import _CHUNK_ELEMENTS, _chunks

    full = full_blocks * B
    tasks = _chunks(full, B, N_h, workers)
    assert tasks[0][0] == 0 and tasks[-1][1] == full
    assert all(a[1] == b[0] for a, b in zip(tasks, tasks[1:], strict=False))
    sizes = [stop - start for start, stop in tasks]
    assert all(size % B == 0 and size > 0 for size in sizes)
    assert max(sizes) - min(sizes) <= B                  # no thread left with a long task
    assert max(sizes) * N_h <= max(_CHUNK_ELEMENTS, B * N_h)  # a task's arrays stay in cache
    if full_blocks >= workers:  # as many tasks for every worker, unless one block each
        assert len(tasks) % workers == 0 or len(tasks) == full_blocks


def test_block_rows_depends_on_the_shape_only():
    assert block_rows(100, 100) == 16
    assert block_rows(784, 512) == 16
    assert block_rows(10, 20) == 256
    assert block_rows(2, 3) == 256
    for N_i, N_h in [(1, 1), (10, 10), (100, 100), (1000, 1000)]:
        B = block_rows(N_i, N_h)
        assert 16 <= B <= 256 and B & (B - 1) == 0


def test_the_classifier_predicts_each_row_as_in_any_batch():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(500, 12))
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int) + (X[:, 2] > 0.5)
    clf = Classifier(hidden_units=50, epochs=5, random_state=0).fit(X, y)
    assert clf.network_.dtype == np.float32  # prediction stays in the training precision
    P = clf.predict_proba(X)
    for i in (0, 17, 499):
        assert np.array_equal(clf.predict_proba(X[i:i + 1]), P[i:i + 1])
    order = rng.permutation(500)
    assert np.array_equal(clf.predict_proba(X[order]), P[order])
    assert np.array_equal(clf.predict(X[order]), clf.predict(X)[order])
    # a float32 X, a list and a float64 X give the same answer
    assert np.array_equal(clf.predict_proba(X.astype(np.float32)), P)
    assert np.array_equal(clf.predict_proba(X[:3].tolist()), P[:3])


@pytest.mark.parametrize("K", [2, 3, 10, 12, 33])
def test_probabilities_are_the_same_bits_alone_as_in_any_batch(K):
    """The softmax (5) in float64 too: one row alone (its own short way), a batch's last row
    alone in its padded block, and rows in chunks all add the classes in the same order."""
    rng = np.random.default_rng(K)
    X = rng.normal(size=(700, 9)) * 3
    y = rng.integers(0, K, 700)
    clf = Classifier(hidden_units=40, epochs=3, random_state=0).fit(X, y)
    B = block_rows(9, 40)
    P, L = clf.predict_proba(X), clf.predict_log_proba(X)
    for start, size in [(0, 1), (5, 1), (699, 1), (3, 2), (10, B), (1, B + 1), (2, 2 * B + 1)]:
        part = slice(start, start + size)
        assert np.array_equal(clf.predict_proba(X[part]), P[part]), (start, size)
        assert np.array_equal(clf.predict_log_proba(X[part]), L[part]), (start, size)
    order = rng.permutation(700)
    assert np.array_equal(clf.predict_proba(X[order]), P[order])
    # and the softmax itself, in float64 from the same logits
    z = clf.decision_function(X)
    ref = np.exp(z - z.max(axis=1, keepdims=True)) if K > 2 else None
    if ref is not None:
        np.testing.assert_allclose(P, ref / ref.sum(axis=1, keepdims=True), rtol=1e-12)
    else:
        np.testing.assert_allclose(P[:, 1], 1 / (1 + np.exp(-z)), rtol=1e-12)


def test_float64_and_strided_inputs_take_the_chunked_way_with_the_same_bits():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(3000, 30))
    clf = Classifier(hidden_units=20, epochs=2, random_state=0).fit(X, rng.integers(0, 4, 3000))
    P = clf.predict_proba(X.astype(np.float32))
    assert np.array_equal(clf.predict_proba(X), P)                       # cast chunk by chunk
    wide = np.zeros((3000, 60))
    wide[:, ::2] = X
    assert np.array_equal(clf.predict_proba(wide[:, ::2]), P)            # not contiguous
    assert np.array_equal(clf.predict_proba(np.asfortranarray(X)), P)


def test_a_nan_or_inf_in_any_chunk_is_caught_with_its_message():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(5000, 8)).astype(np.float32)
    clf = Classifier(hidden_units=20, epochs=1, random_state=0).fit(X[:500], X[:500, 0] > 0)
    for row in (0, 2500, 4999):
        for bad in (np.nan, np.inf, -np.inf):
            Xb = X.copy()
            Xb[row, 3] = bad
            with pytest.raises(ValueError, match="NaN or infinite"):
                clf.predict_proba(Xb)
    huge = X.astype(np.float64)
    huge[4000, 1] = 1e300  # finite, but not in float32: the exact checks say so
    with pytest.raises(ValueError, match="too large for float32"):
        clf.predict(huge)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_inputs_near_float32s_largest_never_make_nan(kind):
    """Finite float32 inputs of ~3e38 overflow the float32 products (inf in z_H, inf - inf in
    z_O): those rows are redone in float64, alone, and give what a float64 network gives;
    no warning, no NaN, the other rows untouched, each row as alone."""
    import warnings

    rng = np.random.default_rng(8)
    X = rng.normal(size=(300, 3))
    y = {"binary": X[:, 0] > 0, "multiclass": np.arange(300) % 3, "regression": X[:, 0]}[kind]
    est = (sn.Regressor if kind == "regression" else Classifier)(
        hidden_units=12, epochs=3, random_state=0).fit(X, y)
    big = rng.normal(size=(2500, 3)).astype(np.float32)
    rows = [0, 7, 1300, 2499]
    big[rows] = np.float32(3e38) * np.sign(big[rows])
    net64 = est.network_.copy().astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from the overflow either
        out = est.predict(big) if kind == "regression" else est.predict_proba(big)
        labels = est.predict(big)
        alone = [est.predict(big[r:r + 1]) if kind == "regression" else
                 est.predict_proba(big[r:r + 1]) for r in rows]
    assert np.isfinite(out).all()
    exact = net64.forward(big.astype(np.float64)).z_O
    if kind == "regression":
        np.testing.assert_allclose(out[rows], exact[rows, 0], rtol=1e-6)
        np.testing.assert_array_equal(np.concatenate(alone), out[rows])
    else:
        P = np.asarray(net64.predict_proba(big.astype(np.float64))).reshape(2500, -1)
        P = np.column_stack([1 - P[:, 0], P[:, 0]]) if P.shape[1] == 1 else P
        np.testing.assert_allclose(out[rows], P[rows], atol=1e-6)
        np.testing.assert_array_equal(np.vstack(alone), out[rows])
        assert labels.tolist() == est.classes_[out.argmax(axis=1)].tolist()
    # the ordinary rows are exactly what they are without the huge ones beside them
    others = np.setdiff1d(np.arange(2500), rows)
    plain = est.predict(big[others]) if kind == "regression" else est.predict_proba(big[others])
    np.testing.assert_array_equal(out[others], plain)


def test_prediction_input_checks_still_apply():
    X = np.random.default_rng(5).normal(size=(60, 3))
    clf = Classifier(hidden_units=5, epochs=2, random_state=0).fit(X, X[:, 0] > 0)
    with pytest.raises(ValueError, match="NaN or infinite"):
        clf.predict(np.where(np.arange(3) == 1, np.nan, X[:2]))
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :2])
    with pytest.raises(ValueError, match="too large for float32"):
        clf.predict_proba(np.full((2, 3), 1e300))
    with pytest.raises(ValueError):
        clf.predict(X[0])  # one sample as a flat array: scikit-learn's 2-D rule


# ---------------------------------------------------------------------------- the training step
def twin(net, X, y, weights=None):
    """Back-propagation written as section 3, Problem 1 writes it, in plain float64 numpy.

    Returns L of (16) (weighted by s_i when given) and dL/dtheta.
    """
    W_H, b_H, W_O, b_O = (np.asarray(net.params[k], np.float64) for k in
                          ("W_H", "b_H", "W_O", "b_O"))
    s = np.ones(X.shape[0]) if weights is None else np.asarray(weights, np.float64)
    Z_H = X @ W_H.T + b_H                                   # (10a)
    if net.activation.name == "relu":
        U_H, dG = np.maximum(Z_H, 0), (Z_H > 0).astype(float)
    else:                                                   # sigmoid: g' = u (1 - u)
        U_H = 1 / (1 + np.exp(-Z_H))
        dG = U_H * (1 - U_H)
    Z_O = U_H @ W_O.T + b_O                                 # (10b)
    kind = net.output.name
    if kind == "binary":                                    # (17)
        t = np.asarray(y, float)[:, None]
        losses = np.log1p(np.exp(Z_O[:, 0])) - t[:, 0] * Z_O[:, 0]
        dZ_O = 1 / (1 + np.exp(-Z_O)) - t
    elif kind == "multiclass":                              # (18), (19)
        R = np.eye(net.N_o)[y]
        E = np.exp(Z_O - Z_O.max(axis=1, keepdims=True))
        P = E / E.sum(axis=1, keepdims=True)
        losses = -np.log((P * R).sum(axis=1))
        dZ_O = P - R
    else:                                                   # (20)
        D = Z_O - np.asarray(y, float).reshape(Z_O.shape)
        losses = (D ** 2).sum(axis=1)
        dZ_O = 2 * D
    dZ_O = dZ_O * s[:, None]                                # dL/dZ_O, one row per sample
    dU_H = dZ_O @ W_O                                       # dL/dU_H = dL/dZ_O W_O
    dZ_H = dU_H * dG                                        # dL/dZ_H = dL/dU_H * g_act'(Z_H)
    grads = {"W_O": dZ_O.T @ U_H, "b_O": dZ_O.sum(axis=0),  # dL/dW_O, dL/db_O
             "W_H": dZ_H.T @ X, "b_H": dZ_H.sum(axis=0)}    # dL/dW_H, dL/db_H
    return float(losses @ s), grads


def _problem(output, activation, n=37, seed=0):
    N_o = {"binary": 1, "multiclass": 4, "regression": 2}[output]
    net = _net(6, 9, N_o, activation=activation, dtype=np.float64)
    if output == "regression":
        net = sn.Network(**net.params, activation=activation, output="regression")
    rng = np.random.default_rng(seed)
    X = np.ascontiguousarray(rng.normal(size=(n, 6)))
    y = {"binary": rng.integers(0, 2, n), "multiclass": rng.integers(0, 4, n),
         "regression": rng.normal(size=(n, 2))}[output]
    return net, X, y


def _fused_or_skip(fused: bool):
    from shallownet._kernels import fused_kernels

    if fused and fused_kernels() is None:
        pytest.skip("numba is not installed (pip install shallownet[fast])")
    return fused


@pytest.mark.parametrize("spare", [0, 3], ids=["whole", "short"])
@pytest.mark.parametrize("fused", [False, True], ids=["numpy", "numba"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("output", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_the_fast_step_equals_its_plain_twin(activation, output, weighted, fused, spare):
    from shallownet._kernels import Workspace

    net, X, y = _problem(output, activation)
    n = X.shape[0]
    s = np.random.default_rng(1).uniform(0, 2, n) if weighted else None
    L, grads = twin(net, X, y, s)
    # buffers of the batch's size (a whole batch) or larger (as for a last short batch)
    ws = Workspace(net, n + spare, fused=_fused_or_skip(fused))
    assert (ws.fused is not None) == fused
    T = np.ascontiguousarray(net.encode_targets(y, n))
    assert ws.backprop(X, T, n, weights=s) == pytest.approx(L, rel=1e-12)
    for k in grads:
        np.testing.assert_allclose(ws.grads[k], grads[k], rtol=1e-11, atol=1e-12)
    # scale = 1/n gives the gradient of the batch mean
    ws.backprop(X, T, n, scale=1.0 / n, weights=s)
    np.testing.assert_allclose(ws.grads["W_H"], grads["W_H"] / n, rtol=1e-11, atol=1e-13)
    # the SGD step (21) fused into the products: W <- (1 - a l2) W - (a / m) dL/dW
    lr, l2 = 0.05, 0.01
    m = n if s is None else s.sum()
    expected = {k: (1 - lr * l2) * v - lr / m * grads[k] if k.startswith("W")
                else v - lr / m * grads[k] for k, v in net.params.items()}
    assert ws.sgd_step(X, T, n, lr, l2, s) == pytest.approx(L, rel=1e-12)
    for k, v in expected.items():
        np.testing.assert_allclose(net.params[k], v, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("output", ["multiclass", "binary"])
def test_training_with_the_compiled_kernels_is_deterministic_and_matches_numpy(output,
                                                                               monkeypatch):
    """train() takes the compiled kernels on request (SHALLOWNET_NUMBA=1) for large work
    (FUSED_MIN_WORK), and not by default at this small batch; the same seed gives
    the same weights bit for bit, and numpy's passes give the same weights to float32's
    precision."""
    import shallownet._kernels as kernels

    _fused_or_skip(True)
    rng = np.random.default_rng(7)
    X = rng.normal(size=(300, 20)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5) * (output == "multiclass")

    def fit(min_work, requested=True):
        if requested:
            monkeypatch.setenv("SHALLOWNET_NUMBA", "1")
        else:
            monkeypatch.delenv("SHALLOWNET_NUMBA", raising=False)
        monkeypatch.setattr(kernels, "FUSED_MIN_WORK", min_work)
        net = sn.Network.init(20, 16, 3 if output == "multiclass" else 1, activation="relu",
                              output=output, seed=0)
        seen = []
        real = kernels.Workspace.__init__

        def spy(self, *args, **kwargs):
            real(self, *args, **kwargs)
            seen.append(self.fused is not None)

        monkeypatch.setattr(kernels.Workspace, "__init__", spy)
        sn.train(net, X, y, epochs=3, batch_size=32, optimizer="sgd", learning_rate=0.1,
                 seed=0)
        monkeypatch.setattr(kernels.Workspace, "__init__", real)
        return net, seen

    a, seen_a = fit(0)
    b, _ = fit(0)
    c, seen_c = fit(1 << 60)
    d, seen_d = fit(0, requested=False)
    assert seen_a == [True] and seen_c == [False] and seen_d == [False]
    for k in a.params:
        assert np.array_equal(a.params[k], b.params[k]), k
        np.testing.assert_allclose(a.params[k], c.params[k], rtol=1e-4, atol=1e-5)
        assert np.array_equal(c.params[k], d.params[k]), k


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_large_matrix_with_one_nan_or_inf_is_not_finite(dtype):
    """The finite check of a large matrix (row sums by BLAS) finds any NaN or inf anywhere,
    and a huge but finite matrix (whose sum overflows) still counts as finite."""
    from shallownet.network import _all_finite

    A = np.zeros((700, 130), dtype)
    assert A.size >= 1 << 16 and _all_finite(A)
    for v in (np.nan, np.inf, -np.inf):
        for pos in [(0, 0), (699, 129), (350, 3)]:
            B = A.copy()
            B[pos] = v
            assert not _all_finite(B) and not _all_finite(np.asfortranarray(B))
    B = np.full(A.shape, np.finfo(dtype).max / 2, dtype)
    B[0, :2] = [np.finfo(dtype).max, -np.finfo(dtype).max]
    assert _all_finite(B)
    B[5, 5] = np.inf
    B[6, 6] = -np.inf  # inf - inf: NaN, still found
    assert not _all_finite(B)


def test_training_falls_back_to_numpy_when_the_kernels_cannot_load(monkeypatch):
    """SHALLOWNET_NUMBA=1 with numba missing or unable to load (an ImportError, or numba's own
    error when it finds no cache directory) trains with numpy's passes, the same numbers."""
    import builtins

    import shallownet._kernels as kernels

    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 5)).astype(np.float32)
    y = rng.integers(0, 3, 120)

    def fit():
        net = sn.Network.init(5, 8, 3, activation="relu", output="multiclass", seed=0)
        sn.train(net, X, y, epochs=2, batch_size=16, optimizer="sgd", seed=0)
        return net

    expected = fit()  # numpy's passes (not requested)
    monkeypatch.setenv("SHALLOWNET_NUMBA", "1")
    monkeypatch.setattr(kernels, "FUSED_MIN_WORK", 0)
    real_import = builtins.__import__
    for error in (ImportError("no numba"), RuntimeError("cannot cache function")):
        def failing(name, globals=None, locals=None, fromlist=(), level=0, error=error):
            if "_fused" in (name.rpartition(".")[2], *(fromlist or ())):  # from . import _fused
                raise error
            return real_import(name, globals, locals, fromlist, level)

        monkeypatch.setattr(kernels, "_fused_module", None)
        monkeypatch.setattr(builtins, "__import__", failing)
        assert kernels.fused_kernels() is None and not kernels.want_fused(1 << 30)
        monkeypatch.setattr(builtins, "__import__", real_import)
        got = fit()
        for k in expected.params:
            assert np.array_equal(got.params[k], expected.params[k]), k
    monkeypatch.setattr(kernels, "_fused_module", None)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_training_sets_blas_finite_check_never_passes_a_nan_or_inf(dtype):
    """finite_by_blas answers True only for an all-finite matrix; train() refuses a large X
    with one NaN or inf anywhere (the exact check decides when the BLAS sum is not finite),
    and accepts a huge finite one whose sums overflow."""
    from shallownet._kernels import finite_by_blas

    A = np.random.default_rng(0).normal(size=(700, 130)).astype(dtype)
    assert A.size >= 1 << 16 and finite_by_blas(A)
    assert not finite_by_blas(A[:10]) and not finite_by_blas(np.asfortranarray(A))  # not shown
    net = sn.Network.init(130, 4, 1, output="binary", seed=0, dtype=dtype)
    y = np.arange(700) % 2
    for v in (np.nan, np.inf, -np.inf):
        for pos in [(0, 0), (699, 129), (350, 3)]:
            B = A.copy()
            B[pos] = v
            assert not finite_by_blas(B)
            with pytest.raises(ValueError, match="NaN or inf"):
                sn.train(net, B, y, epochs=1)
    huge = np.full(A.shape, np.finfo(dtype).max / 2, dtype)
    assert not finite_by_blas(huge)  # the sums overflow: not shown ...
    assert net.as_batch(huge, finite=finite_by_blas)[0] is not None  # ... the exact check passes


def test_large_batches_take_the_compiled_kernels_without_being_asked(monkeypatch):
    """With numba installed, SHALLOWNET_NUMBA unset means the compiled kernels from
    FUSED_AUTO_BATCH_WORK rows x hidden units per batch (and FUSED_MIN_WORK per epoch), numpy's
    passes below; "0" turns them off at any size, "1" on at any batch size."""
    import shallownet._kernels as kernels

    monkeypatch.setattr(kernels, "fused_kernels", lambda: object())  # as if numba loaded
    big, small = kernels.FUSED_AUTO_BATCH_WORK, kernels.FUSED_AUTO_BATCH_WORK - 1
    epoch = kernels.FUSED_MIN_WORK
    monkeypatch.delenv("SHALLOWNET_NUMBA", raising=False)
    assert kernels.want_fused(epoch, big) and not kernels.want_fused(epoch, small)
    assert not kernels.want_fused(epoch - 1, big)  # too short an epoch to pay numba's import
    assert 512 * 512 >= big > 128 * 100  # the benchmark's two shapes fall either side
    monkeypatch.setenv("SHALLOWNET_NUMBA", "0")
    assert not kernels.want_fused(epoch, big)
    monkeypatch.setenv("SHALLOWNET_NUMBA", "1")
    assert kernels.want_fused(epoch, small)
    monkeypatch.setattr(kernels, "fused_kernels", lambda: None)  # numba missing
    monkeypatch.delenv("SHALLOWNET_NUMBA")
    assert not kernels.want_fused(epoch, big)


def test_long_runs_take_the_compiled_kernels_without_being_asked(monkeypatch):
    """A run that plans FUSED_AUTO_BATCHES batches or more (a default Classifier on 60,000
    samples: 200 epochs x 1,875) takes the kernels at any batch size: they save 40-50 us a
    batch, more than numba's import costs over such a run."""
    import shallownet._kernels as kernels

    monkeypatch.setattr(kernels, "fused_kernels", lambda: object())  # as if numba loaded
    monkeypatch.delenv("SHALLOWNET_NUMBA", raising=False)
    epoch, small, many = kernels.FUSED_MIN_WORK, 32 * 100, kernels.FUSED_AUTO_BATCHES
    assert kernels.want_fused(epoch, small, many)
    assert not kernels.want_fused(epoch, small, many - 1)
    assert not kernels.want_fused(epoch - 1, small, 10 * many)  # small data: never
    assert 200 * 1875 >= many > 200 * 56  # MNIST-sized defaults take them; the digits do not
    monkeypatch.setenv("SHALLOWNET_NUMBA", "0")
    assert not kernels.want_fused(epoch, small, 10 * many)


def test_train_passes_the_batch_size_to_the_automatic_choice(monkeypatch):
    import shallownet._kernels as kernels
    import shallownet.training as training

    calls = []
    monkeypatch.setattr(training, "want_fused",
                        lambda w, b, n: calls.append((w, b, n)) or False)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4))
    net = sn.Network.init(4, 6, 1, activation="relu", output="binary", seed=0)
    sn.train(net, X, (X[:, 0] > 0).astype(int), epochs=3, batch_size=16, seed=0)
    assert calls == [(100 * 6, 16 * 6, 3 * 7)]  # 7 batches an epoch, the last of 4 rows
    assert kernels.FUSED_AUTO_BATCH_WORK == 1 << 17


@pytest.mark.parametrize("output, N_o", [("multiclass", 7), ("binary", 1), ("regression", 2)])
def test_a_saved_network_predicts_each_row_as_in_any_batch_in_the_commands(tmp_path, output,
                                                                           N_o):
    """``shallownet predict`` on a saved Network (not an estimator) goes the same blocked way:
    the file read whole, streamed, or one row at a time gives the same bits."""
    import csv

    from shallownet.cli.common import _load_model
    from test_cli import run  # the command's own test helpers

    net = sn.Network.init(6, 40, N_o, activation="sigmoid", output=output, seed=3)
    path = tmp_path / "net.safetensors"
    sn.save(net, path)
    model = _load_model(path)
    X = np.random.default_rng(8).normal(size=(9000, 6)).astype(np.float32)
    whole = model.predict(X)
    for i in (0, 4444, 8999):
        assert np.array_equal(model.predict(X[i:i + 1]), whole[i:i + 1])
    if output == "regression":
        np.testing.assert_allclose(whole, net.forward(X.astype(np.float64)).z_O, rtol=1e-4,
                                   atol=1e-5)
    else:
        P = model.predict_proba(X)
        for i in (0, 4444, 8999):
            assert np.array_equal(model.predict_proba(X[i:i + 1]), P[i:i + 1])
        ref = net.copy().astype(np.float64).predict_proba(X.astype(np.float64))
        ref = np.column_stack([1 - ref, ref]) if ref.ndim == 1 else ref
        np.testing.assert_allclose(P, ref, rtol=1e-4, atol=1e-6)
    data = tmp_path / "x.csv"
    with open(data, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"x{j}" for j in range(6)])
        w.writerows(X.tolist())
    extra = ["--proba"] if output != "regression" else []
    outputs = []
    for mode in ([], ["--stream"]):
        r = run("predict", path, data, *extra, *mode)
        assert r.exit_code == 0, r.output
        outputs.append(r.stdout)
    assert outputs[0] == outputs[1]
    first = outputs[0].splitlines()[1].split(",")
    expected = (model.predict(X[:1]).ravel().tolist()
                + (model.predict_proba(X[:1])[0].tolist() if extra else []))
    np.testing.assert_allclose([float(v) for v in first], expected, rtol=1e-7)  # as printed


def test_multiclass_loss_and_grad_on_batches_longer_than_the_kept_row_numbers():
    """(18)/(19) on 300 and then 5 rows: the row numbers kept between batches grow as needed."""
    from shallownet import outputs

    rng = np.random.default_rng(3)
    out = outputs.get_output("multiclass")
    for n in (300, 5, 1000):
        z = rng.normal(size=(n, 4)).astype(np.float32)
        t = rng.integers(0, 4, n)
        grad = np.empty_like(z)
        loss = out.loss_and_grad(z, t, grad)
        u = np.exp(z - z.max(axis=1, keepdims=True))
        u /= u.sum(axis=1, keepdims=True)
        r = np.eye(4)[t]
        np.testing.assert_allclose(grad, u - r, rtol=1e-5, atol=1e-6)
        expected = np.sum(np.log(np.exp(z.astype(np.float64)).sum(axis=1)) - z[np.arange(n), t])
        assert loss == pytest.approx(expected, rel=1e-5)
    rows = outputs._rows(700)
    assert np.array_equal(rows, np.arange(700)) and not rows.flags.writeable

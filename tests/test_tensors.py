"""Section 2: gradient tensors and the tensor chain rule, against the solutions' closed forms.

The closed forms are written out here, independently of shallownet.tensors. Where the notes'
printed solution is wrong (Problem 2(c) drops the sum over i; Problem 4(b),(c) print a
per-component derivative of "u" instead of the gradient of L) the tests assert the correct
gradient of the loss.
"""

from __future__ import annotations

import numpy as np
import pytest

from shallownet import graph
from shallownet.tensors import chain, jacobian

rng = np.random.default_rng(20)


def sigmoid_prime(z):
    # Problem 3(a): f'(z) = e^{-z} / (1 + e^{-z})^2
    return np.exp(-z) / (1 + np.exp(-z)) ** 2


# ---------------------------------------------------------------------------- Problem 1
def problem1_closed_form(x):
    x1, x2, x3 = x
    return np.array([[1, x3, x2], [2 * x1, 3, 0]])


def test_problem1_exact_with_graph():
    x = rng.standard_normal(3)
    f = lambda v: graph.stack([v[0] + v[1] * v[2], v[0] ** 2 + 3 * v[1]])  # noqa: E731
    J = jacobian(f, x, method="graph")
    assert J.shape == (2, 3)
    np.testing.assert_allclose(J, problem1_closed_form(x), rtol=0, atol=1e-14)


def test_problem1_numeric_for_plain_numpy():
    x = rng.standard_normal(3)
    J = jacobian(lambda v: np.array([v[0] + v[1] * v[2], v[0] ** 2 + 3 * v[1]]), x)
    np.testing.assert_allclose(J, problem1_closed_form(x), rtol=1e-8, atol=1e-9)


# ---------------------------------------------------------------------------- Problem 2
N2, p2 = 5, 3
X2 = rng.standard_normal((N2, p2))
y2 = rng.integers(0, 2, N2).astype(float)
w2, b2 = rng.standard_normal(p2), 0.3


def logistic_J(z):
    return np.sum(np.log(1 + np.exp(z)) - y2 * z)


def test_problem2a_dJ_dz():
    z = X2 @ w2 + b2
    expected = -y2 + np.exp(z) / (1 + np.exp(z))
    np.testing.assert_allclose(jacobian(logistic_J, z), expected, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("method", ["graph", "numeric"])
def test_problem2b_dz_dw_and_dz_db(method):
    dz_dw = jacobian(lambda w: X2 @ w + b2, w2, method=method)
    dz_db = jacobian(lambda b: X2 @ w2 + b, b2, method=method)
    assert dz_dw.shape == (N2, p2) and dz_db.shape == (N2,)
    np.testing.assert_allclose(dz_dw, X2, rtol=1e-8, atol=1e-9)  # dz_i/dw_j = x_ij
    np.testing.assert_allclose(dz_db, np.ones(N2), rtol=1e-8)    # dz_i/db = 1


def test_problem2c_dJ_dw_sums_over_samples():
    z = X2 @ w2 + b2
    dJ_dz = -y2 + np.exp(z) / (1 + np.exp(z))
    expected_w = np.array([sum(dJ_dz[i] * X2[i, j] for i in range(N2)) for j in range(p2)])
    expected_b = dJ_dz.sum()
    dJ_dw = jacobian(lambda w: logistic_J(X2 @ w + b2), w2)
    dJ_db = jacobian(lambda b: logistic_J(X2 @ w2 + b), b2)
    np.testing.assert_allclose(dJ_dw, expected_w, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(dJ_db, expected_b, rtol=1e-7)
    # the chain rule of section 2 gives the same, and the printed per-sample form does not
    np.testing.assert_allclose(chain(dJ_dz, X2), expected_w, rtol=1e-12)
    assert not np.allclose(dJ_dz[0] * X2[0], expected_w)


def test_problem2_graph_loss_matches():
    def J(w):
        return graph.binary_cross_entropy(graph.data(X2) @ w + b2, y2)

    z = X2 @ w2 + b2
    expected = X2.T @ (-y2 + np.exp(z) / (1 + np.exp(z)))
    np.testing.assert_allclose(jacobian(J, w2, method="graph"), expected, rtol=1e-13)


# ---------------------------------------------------------------------------- Problem 3
N3, Nx3 = 4, 3
W3, b3, x3 = rng.standard_normal((N3, Nx3)), rng.standard_normal(N3), rng.standard_normal(Nx3)


def u_of(W, b, x, sig):
    return sig(W @ x + b)


@pytest.mark.parametrize("method", ["graph", "numeric"])
def test_problem3_all_parts(method):
    sig = graph.sigmoid if method == "graph" else (lambda z: 1 / (1 + np.exp(-z)))
    z = W3 @ x3 + b3
    fp = sigmoid_prime(z)
    tol = dict(rtol=1e-12, atol=1e-15) if method == "graph" else dict(rtol=1e-7, atol=1e-10)
    # (a) du/dz = diag(f'(z_1), ..., f'(z_N))
    np.testing.assert_allclose(jacobian(sig, z, method=method), np.diag(fp), **tol)
    # (b) du_i/dW_ij = f'(z_i) x_j on the i-th row, 0 elsewhere: a (N, N, N_x) tensor
    expected_W = np.zeros((N3, N3, Nx3))
    for i in range(N3):
        expected_W[i, i, :] = fp[i] * x3
    dU_dW = jacobian(lambda W: u_of(W, b3, x3, sig), W3, method=method)
    assert dU_dW.shape == (N3, N3, Nx3)
    np.testing.assert_allclose(dU_dW, expected_W, **tol)
    #     du_i/db_i = f'(z_i)
    np.testing.assert_allclose(jacobian(lambda b: u_of(W3, b, x3, sig), b3, method=method),
                               np.diag(fp), **tol)
    # (c) du_i/dx_j = f'(z_i) W_ij
    np.testing.assert_allclose(jacobian(lambda x: u_of(W3, b3, x, sig), x3, method=method),
                               fp[:, None] * W3, **tol)


def test_problem3b_by_the_chain_rule():
    z = W3 @ x3 + b3
    dz_dW = np.zeros((N3, N3, Nx3))  # (13): dz_i/dW_ij = x_j
    for i in range(N3):
        dz_dW[i, i, :] = x3
    du_dz = np.diag(sigmoid_prime(z))
    expected = sigmoid_prime(z)[:, None, None] * dz_dW
    np.testing.assert_allclose(chain(du_dz, dz_dW, y_ndim=1), expected, rtol=1e-14)
    with pytest.raises(ValueError, match="y_ndim"):  # (N, N) . (N, N, N_x) is ambiguous
        chain(du_dz, dz_dW)


# ---------------------------------------------------------------------------- Problem 4
N4, Nx4 = 3, 4
W4, b4 = rng.standard_normal((N4, Nx4)), rng.standard_normal(N4)
x4, y4 = rng.standard_normal(Nx4), rng.standard_normal(N4)


def L4(W=W4, b=b4, x=x4):
    return np.sum((y4 - (W @ x + b)) ** 2)


def test_problem4_gradients_of_L():
    z = W4 @ x4 + b4
    # (a) dL/dz_i = 2 (z_i - y_i)
    np.testing.assert_allclose(jacobian(lambda z_: np.sum((y4 - z_) ** 2), z), 2 * (z - y4),
                               rtol=1e-8)
    # (b) dL/dW_ij = 2 (z_i - y_i) x_j,  dL/db_i = 2 (z_i - y_i)
    expected_W = np.array([[2 * (z[i] - y4[i]) * x4[j] for j in range(Nx4)]
                           for i in range(N4)])
    np.testing.assert_allclose(jacobian(lambda W: L4(W=W), W4), expected_W, rtol=1e-7,
                               atol=1e-9)
    np.testing.assert_allclose(jacobian(lambda b: L4(b=b), b4), 2 * (z - y4), rtol=1e-7)
    # (c) dL/dx_j = sum_i 2 (z_i - y_i) W_ij  (the notes print the i-th term only)
    expected_x = np.array([sum(2 * (z[i] - y4[i]) * W4[i, j] for i in range(N4))
                           for j in range(Nx4)])
    np.testing.assert_allclose(jacobian(lambda x: L4(x=x), x4), expected_x, rtol=1e-7,
                               atol=1e-9)


def test_problem4_graph_exact():
    def L(W):
        return graph.squared_error(W @ x4 + b4, y4)

    z = W4 @ x4 + b4
    np.testing.assert_allclose(jacobian(L, W4, method="graph"), np.outer(2 * (z - y4), x4),
                               rtol=1e-13)


# ---------------------------------------------------------------------------- chain rule
SHAPES = [(), (3,), (2, 3), (2, 1, 3)]


def _random_map(out_shape, in_shape, seed):
    """A smooth nonlinear map from in_shape to out_shape: tanh(A . X) + (A . X)^2 / 4."""
    A = np.random.default_rng(seed).standard_normal(out_shape + in_shape)
    k = len(in_shape)

    def f(X):
        s = np.tensordot(A, X, axes=k)
        return np.tanh(s) + s ** 2 / 4

    return f


@pytest.mark.parametrize("z_shape, y_shape, x_shape", [
    ((), (3,), (2, 3)), ((2,), (), (3,)), ((2, 3), (3, 2), ()), ((3,), (2, 1, 3), (2,)),
    ((2, 1, 3), (2,), (2, 3)), ((), (2, 3), (2, 1, 3)), ((4,), (4,), (4,)),
])
def test_chain_matches_the_jacobian_of_the_composition(z_shape, y_shape, x_shape):
    g = _random_map(y_shape, x_shape, 1)
    h = _random_map(z_shape, y_shape, 2)
    X = np.random.default_rng(3).standard_normal(x_shape)
    dZ_dY = jacobian(h, g(X))
    dY_dX = jacobian(g, X)
    dZ_dX = jacobian(lambda v: h(g(v)), X)
    assert dZ_dX.shape == z_shape + x_shape
    got = chain(dZ_dY, dY_dX, y_ndim=len(y_shape))
    assert got.shape == z_shape + x_shape
    np.testing.assert_allclose(got, dZ_dX, rtol=1e-6, atol=1e-8)


def test_chain_folds_three_left_to_right():
    a, b, c = (3,), (2, 5), (4,)
    f1, f2, f3 = _random_map(b, c, 4), _random_map(a, b, 5), _random_map((), a, 6)
    X = np.random.default_rng(7).standard_normal(c)
    J1 = jacobian(f1, X)
    J2 = jacobian(f2, f1(X))
    J3 = jacobian(f3, f2(f1(X)))
    expected = jacobian(lambda v: f3(f2(f1(v))), X)
    np.testing.assert_allclose(chain(J3, J2, J1), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(chain(J3, J2, J1, y_ndim=(1, 2)), expected, rtol=1e-6,
                               atol=1e-8)


def test_chain_errors_name_the_problem():
    with pytest.raises(ValueError, match="disagree"):
        chain(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="disagree"):
        chain(np.ones((2, 3)), np.ones((4, 5)), y_ndim=1)
    with pytest.raises(ValueError, match="at least two"):
        chain(np.ones(3))
    with pytest.raises(ValueError, match="junction"):
        chain(np.ones(3), np.ones(3), np.ones(3), y_ndim=(1,))
    # a scalar Y: the outer product, only on request
    np.testing.assert_array_equal(chain(np.array([1.0, 2.0]), np.array([3.0]), y_ndim=0),
                                  [[3.0], [6.0]])


# ---------------------------------------------------------------------------- jacobian API
def test_shape_convention_for_scalars():
    X = rng.standard_normal((2, 3))
    assert jacobian(lambda v: np.sum(v ** 2), X).shape == (2, 3)          # dropped index
    assert jacobian(lambda v: np.sum(v ** 2, keepdims=True).ravel(), X).shape == (1, 2, 3)
    np.testing.assert_allclose(jacobian(lambda v: np.sum(v ** 2), X), 2 * X, rtol=1e-8)
    assert jacobian(lambda s: np.array([s, s ** 2]), 1.5).shape == (2,)   # scalar X


def test_auto_uses_the_graph_for_graph_functions():
    calls = []

    def f(x):
        calls.append(type(x))
        return graph.exp(x)

    x = rng.standard_normal(4)
    J = jacobian(f, x)
    assert len(calls) == 1 and calls[0] is graph.Node   # one call: no finite differences
    np.testing.assert_array_equal(J, np.diag(np.exp(x)))
    calls.clear()
    Jn = jacobian(f, x, method="numeric")
    assert len(calls) == 2 * x.size + 1
    np.testing.assert_allclose(Jn, np.diag(np.exp(x)), rtol=1e-8)


def test_auto_falls_back_for_numpy_functions_and_graph_refuses_them():
    x = rng.standard_normal(3)
    np.testing.assert_allclose(jacobian(np.sin, x), np.diag(np.cos(x)), rtol=1e-8, atol=1e-10)
    with pytest.raises(TypeError, match="numeric"):
        jacobian(np.sin, x, method="graph")
    with pytest.raises(ValueError, match="method"):
        jacobian(np.sin, x, method="exact")


def test_jacobian_needs_a_function_first():
    with pytest.raises(TypeError, match="needs a function f"):
        jacobian([1, 2], np.zeros(2))

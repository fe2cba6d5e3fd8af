"""One test per entry of docs/errata.md: each shows the notes' statement is wrong and the
corrected one right, against independent references (the notes' own data, closed forms,
finite differences)."""

from __future__ import annotations

import numpy as np
import pytest

import shallownet as sn
from shallownet import graph
from shallownet.problems import (  # weights checked in test_notes_section1
    problem1,
    problem2,
    problem3,
)
from shallownet.tensors import chain, jacobian

X_P2 = np.array([0.0, 1.0, 3.0, 5.0, 3.5])       # Problem 2's data and test point


def step(z):
    return (np.asarray(z) >= 0).astype(float)       # (2)


def fd_grad(f, P, h=1e-6):
    """Central differences of a scalar f() with respect to the array P (changed in place)."""
    G = np.zeros_like(P, dtype=float)
    for idx in np.ndindex(P.shape):
        old = P[idx]
        P[idx] = old + h
        up = f()
        P[idx] = old - h
        down = f()
        P[idx] = old
        G[idx] = (up - down) / (2 * h)
    return G


# ------------------------------------------------------------------------- section 1
def test_E01_table1_row_z_i2_is_x_minus_4():
    tr = problem2().forward(X_P2)
    np.testing.assert_array_equal(tr.z_H[:, 1], X_P2 - 4)          # corrected label
    assert not np.array_equal(tr.z_H[:, 1], X_P2 - 2)                # the printed label
    # the printed row's numbers (-4, -3, -1, 1) are x - 4, not x - 2
    np.testing.assert_array_equal(tr.z_H[:4, 1], [-4, -3, -1, 1])


def test_E02_table1_row_u_i2_label():
    tr = problem2().forward(X_P2)
    printed_row = np.array([0, 0, 0, 1, 0])
    np.testing.assert_array_equal(tr.u_H[:, 1], printed_row)         # u_{i2}^H
    np.testing.assert_array_equal(step(tr.z_H[:, 1]), printed_row)   # = g_act(z_{i2}^H)
    # it is not u_{i1}^H (the label's left side): that row is 0 0 1 1 1
    assert not np.array_equal(tr.u_H[:, 0], printed_row)


def test_E03_table1_row_z_O_formula():
    tr = problem2().forward(X_P2)
    u1, u2 = tr.u_H[:, 0], tr.u_H[:, 1]
    printed_row = np.array([-0.5, -0.5, 0.5, -1.5, 0.5])
    np.testing.assert_array_equal(u1 - 2 * u2 - 0.5, printed_row)    # corrected formula
    np.testing.assert_array_equal(tr.z_O[:, 0], printed_row)
    assert not np.array_equal(u1 - 2 * u1 - 0.5, printed_row)        # the printed formula


def test_E04_table1_test_column_z_i2_is_minus_half():
    tr = problem2().forward(3.5)
    assert tr.z_H[1] == -0.5                                          # printed: 0.5
    # the rest of the printed column (u_i2 = 0, z_O = 0.5, y_hat = 1) needs z_i2 < 0
    assert (tr.u_H[1], tr.z_O[0], tr.y_hat) == (0, 0.5, 1)
    assert step(0.5) == 1                       # z_i2 = 0.5 would have given u_i2 = 1


def test_E05_problem3_solution_u_H_vector():
    net = problem3()
    pts = np.array([[0.5, 0.5], [0.25, 0.75], [1.0, 0.0], [0.3, -0.2], [-0.2, 0.3]])
    u = net.forward(pts).u_H
    x1, x2 = pts[:, 0], pts[:, 1]
    np.testing.assert_array_equal(u[:, 0], x1 >= 0)
    np.testing.assert_array_equal(u[:, 1], x2 >= 0)          # the entry the notes leave out
    np.testing.assert_array_equal(u[:, 2], x1 + x2 >= 1)     # >= 1, as (2) fires at z = 0
    on_line = x1 + x2 == 1
    assert on_line.sum() == 3 and np.all(u[on_line, 2] == 1)
    assert not np.array_equal(u[:, 2], x1 + x2 > 1)          # the printed "> 1"


def test_E06_eq8_uses_output_weights():
    net = problem1()
    for x in (0.0, 2.0, 5.0):
        tr = net.forward(x)
        with_W_O = sum(net.W_O[0, k] * tr.u_H[k] for k in range(net.N_h)) + net.b_O[0]
        with_W_H = sum(net.W_H[k, 0] * tr.u_H[k] for k in range(net.N_h)) + net.b_O[0]
        assert tr.z_O[0] == with_W_O
    assert with_W_O == 1.5 and with_W_H == 2.5      # at x = 5 the printed (8) is wrong


def test_E07_eq9b_output_of_sample_i():
    rng = np.random.default_rng(0)
    net = sn.Network(rng.standard_normal((3, 2)), rng.standard_normal(3),
                     rng.standard_normal((4, 3)), rng.standard_normal(4),
                     activation="sigmoid", output="multiclass")
    X = rng.standard_normal((5, 2))
    tr = net.forward(X)
    for i in range(5):
        e = np.exp(tr.z_O[i])
        np.testing.assert_allclose(tr.u_O[i], e / e.sum())   # u_i^O = g_out(z_i^O)
    X2 = X.copy()
    X2[3] += 10.0                                     # change sample 3 only
    np.testing.assert_allclose(net.forward(X2).u_O[[0, 1, 2, 4]], tr.u_O[[0, 1, 2, 4]])


def test_E08_U_O_matrix_holds_output_activations():
    rng = np.random.default_rng(1)
    net = sn.Network(rng.standard_normal((2, 3)), rng.standard_normal(2),
                     rng.standard_normal((4, 2)), rng.standard_normal(4),
                     activation="relu", output="multiclass")
    tr = net.forward(rng.standard_normal((6, 3)))
    assert tr.u_O.shape == (6, net.N_o) and tr.u_H.shape == (6, net.N_h)
    e = np.exp(tr.z_O)
    np.testing.assert_allclose(tr.u_O, e / e.sum(axis=1, keepdims=True))  # entries u^O_{ij}


NOTES_5B = "Zo = Uh.dot(Wo) + bo\nUo = 1/(1+np.exp(-Zo))\n"
NOTES_5C = ("Zo = Uh.dot(Wo.T) + bo[None,:]\nexpZo = np.exp(Zo)\n"
            "Uo = expZo / np.sum(expZo,axis=1)[None,:]\n")


def run_notes(code, **arrays):
    ns = {"np": np, **arrays}
    exec(code, ns)   # the notes' printed code, verbatim
    return ns


def test_E09_problem5b_output_weights_not_hidden():
    rng = np.random.default_rng(2)
    N, N_i, N_h = 5, 3, 4
    W_H, b_H = rng.standard_normal((N_h, N_i)), rng.standard_normal(N_h)
    w_O, b_O = rng.standard_normal(N_h), 0.3
    net = sn.Network(W_H, b_H, w_O[None, :], [b_O], activation="sigmoid", output="binary")
    X = rng.standard_normal((N, N_i))
    Uh = net.forward(X).u_H
    ns = run_notes(NOTES_5B, Uh=Uh, Wo=w_O, bo=b_O)     # Wo, bo: the OUTPUT layer's
    np.testing.assert_allclose(ns["Uo"], net.forward(X).u_O[:, 0])
    # with the hidden layer's W^H and b^H, as the text says, it is not the output layer
    with pytest.raises(ValueError):
        run_notes(NOTES_5B, Uh=Uh, Wo=W_H, bo=b_H)


def test_E10_problem5c_softmax_normalised_along_wrong_axis():
    rng = np.random.default_rng(3)
    N_h, K = 4, 3
    W_O, b_O = rng.standard_normal((K, N_h)), rng.standard_normal(K)
    # N != K: the printed code fails to broadcast
    with pytest.raises(ValueError, match="broadcast"):
        run_notes(NOTES_5C, Uh=rng.standard_normal((5, N_h)), Wo=W_O, bo=b_O)
    # N == K: it runs, but the rows are not probability vectors
    Uh = rng.standard_normal((K, N_h))
    Uo = run_notes(NOTES_5C, Uh=Uh, Wo=W_O, bo=b_O)["Uo"]
    assert not np.allclose(Uo.sum(axis=1), 1)
    # a single sample (N = 1) is the one case that comes out right
    U1 = run_notes(NOTES_5C, Uh=Uh[:1], Wo=W_O, bo=b_O)["Uo"]
    np.testing.assert_allclose(U1.sum(axis=1), 1)
    # corrected: [:, None]
    fixed = NOTES_5C.replace("axis=1)[None,:]", "axis=1)[:,None]")
    Uo = run_notes(fixed, Uh=Uh, Wo=W_O, bo=b_O)["Uo"]
    np.testing.assert_allclose(Uo.sum(axis=1), 1)
    ref = sn.Network(np.eye(N_h), np.zeros(N_h), W_O, b_O, activation="relu",
                     output="multiclass")
    np.testing.assert_allclose(Uo, ref.output.g_out(Uh @ W_O.T + b_O))


def test_E11_problem5c_softmax_overflows():
    Uh = np.array([[1.0], [2.0]])
    W_O, b_O = np.array([[800.0], [0.0]]), np.zeros(2)
    fixed = NOTES_5C.replace("axis=1)[None,:]", "axis=1)[:,None]")   # axis fixed only
    with np.errstate(over="ignore", invalid="ignore"):
        Uo = run_notes(fixed, Uh=Uh, Wo=W_O, bo=b_O)["Uo"]
    assert np.isnan(Uo).any()                          # e^800 and e^1600 overflow
    stable = ("Zo = Uh.dot(Wo.T) + bo[None,:]\nexpZo = np.exp(Zo - Zo.max(axis=1)[:,None])\n"
              "Uo = expZo / np.sum(expZo,axis=1)[:,None]\n")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        Uo = run_notes(stable, Uh=Uh, Wo=W_O, bo=b_O)["Uo"]
    np.testing.assert_allclose(Uo, [[1, 0], [1, 0]])
    np.testing.assert_allclose(Uo, sn.get_output("multiclass").g_out(Uh @ W_O.T + b_O))


# ------------------------------------------------------------------------- section 2
def test_E12_gradient_tensor_indices():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((4, 6))

    def f(X):                     # X (2, 3) -> Y (4,): r = 2, s = 1
        return A @ np.asarray(X).reshape(-1)
    X = rng.standard_normal((2, 3))
    J = jacobian(f, X, method="numeric")
    assert J.shape == (4, 2, 3)                      # (M_1..M_s, N_1..N_r)
    # [dY/dX]_{i_1, j_1, j_2} = dY_{i_1} / dX_{j_1 j_2}: Y carries s = 1 index, X r = 2
    np.testing.assert_allclose(J, A.reshape(4, 2, 3), atol=1e-8)


def test_E13_scalar_gradient_components():
    c = np.arange(1.0, 7.0).reshape(2, 3)
    X = np.linspace(-1, 1, 6).reshape(2, 3)
    G = jacobian(lambda V: float(np.sum(c * np.asarray(V) ** 2)), X, method="numeric")
    assert G.shape == X.shape
    np.testing.assert_allclose(G, 2 * c * X, atol=1e-8)   # dJ/dX_{i_1 i_2}, all components
    assert len(np.unique(np.round(G, 6))) == 6              # not one component "1_1, 1_2"


def test_E14_tensor_chain_rule_indices():
    rng = np.random.default_rng(5)
    B = rng.standard_normal((3, 2, 2))             # Y_{j1 j2} = sum_k B_{j1 j2 k} X_k ...
    C = rng.standard_normal((4, 3, 2))

    def g(X):                                      # X (2,) -> Y (3, 2): t = 1, r = 2
        return np.tanh(np.einsum("abk,k->ab", B, np.asarray(X)))

    def h(Y):                                      # Y (3, 2) -> Z (4,): s = 1
        return np.sin(np.einsum("iab,ab->i", C, np.asarray(Y)))
    X = rng.standard_normal(2)
    Y = g(X)
    dZ_dY = jacobian(h, Y, method="numeric")       # (4, 3, 2)
    dY_dX = jacobian(g, X, method="numeric")       # (3, 2, 2)
    dZ_dX = jacobian(lambda V: h(g(V)), X, method="numeric")
    # sum over j_1 < N_1, j_2 < N_2 (Y's r = 2 indices); Z keeps its s = 1 index
    np.testing.assert_allclose(np.tensordot(dZ_dY, dY_dX, axes=2), dZ_dX, atol=1e-7)
    np.testing.assert_allclose(chain(dZ_dY, dY_dX, y_ndim=2), dZ_dX, atol=1e-7)
    # summing over s = 1 index of Y only (as the printed Y_{j_1..j_s} reads) does not fit
    with pytest.raises(ValueError):
        np.tensordot(dZ_dY, dY_dX, axes=([2], [0]))


def _section2_problem2_data():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((6, 3))
    y = rng.integers(0, 2, 6).astype(float)
    return X, y, rng.standard_normal(3), 0.2


def test_E15_section2_problem2c_sum_over_samples():
    X, y, w, b = _section2_problem2_data()

    def J(wv, bv=b):
        z = X @ wv + bv
        return float(np.sum(np.log1p(np.exp(z)) - y * z))
    z = X @ w + b
    dJ_dz = np.exp(z) / (1 + np.exp(z)) - y          # 2(a), correct
    dJ_dw = jacobian(J, w, method="numeric")
    np.testing.assert_allclose(X.T @ dJ_dz, dJ_dw, atol=1e-7)        # sum over i
    np.testing.assert_allclose(dJ_dz.sum(), jacobian(lambda v: J(w, float(v[0])),
                                                     np.array([b]), method="numeric")[0],
                               atol=1e-7)
    for i in range(len(y)):                           # no single term is the gradient
        assert not np.allclose(dJ_dz[i] * X[i], dJ_dw, atol=1e-3)


def test_E16_section2_problem3_asks_for_du_not_dJ():
    rng = np.random.default_rng(7)
    W, b, x = rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal(3)

    def f(z):
        return 1 / (1 + np.exp(-np.asarray(z)))
    z = W @ x + b
    fp = np.exp(-z) / (1 + np.exp(-z)) ** 2           # the solution's f'(z_i)
    np.testing.assert_allclose(jacobian(f, z, method="numeric"), np.diag(fp), atol=1e-8)
    du_dW = jacobian(lambda V: f(np.asarray(V) @ x + b), W, method="numeric")
    expected = np.zeros((4, 4, 3))
    for i in range(4):
        expected[i, i] = fp[i] * x                    # du_i/dW_ij = f'(z_i) x_j
    np.testing.assert_allclose(du_dW, expected, atol=1e-8)
    # u is a vector (4,), so "dJ/dz" (a scalar's gradient) cannot be what is computed
    assert jacobian(f, z, method="numeric").shape == (4, 4)


def test_E17_section2_problem4_gradients_of_L():
    rng = np.random.default_rng(8)
    W, b, x, y = (rng.standard_normal((4, 3)), rng.standard_normal(4),
                  rng.standard_normal(3), rng.standard_normal(4))

    def L(Wv=W, bv=b):
        return float(np.sum((y - (np.asarray(Wv) @ x + bv)) ** 2))
    z = W @ x + b
    np.testing.assert_allclose(jacobian(lambda V: L(Wv=V), W, method="numeric"),
                               2 * np.outer(z - y, x), atol=1e-6)      # dL/dW_ij
    np.testing.assert_allclose(jacobian(lambda V: L(bv=V), b, method="numeric"),
                               2 * (z - y), atol=1e-6)                 # dL/db_i


def test_E18_section2_problem4c_sum_over_outputs():
    rng = np.random.default_rng(9)
    W, b, x, y = (rng.standard_normal((4, 3)), rng.standard_normal(4),
                  rng.standard_normal(3), rng.standard_normal(4))
    z = W @ x + b
    dL_dx = jacobian(lambda v: float(np.sum((y - (W @ v + b)) ** 2)), x, method="numeric")
    np.testing.assert_allclose(dL_dx, 2 * (z - y) @ W, atol=1e-6)   # sum_i 2(z_i - y_i) W_ij
    per_i = 2 * (z - y)[:, None] * W                                  # the printed, no sum
    assert per_i.shape == (4, 3) != dL_dx.shape


# ------------------------------------------------------------------------- section 3
def test_E19_eq17_uses_the_output_logit():
    rng = np.random.default_rng(10)
    net = sn.Network(rng.standard_normal((3, 2)), rng.standard_normal(3),
                     rng.standard_normal((1, 3)), [0.1], activation="sigmoid")
    X = rng.standard_normal((5, 2))
    y = np.array([0, 1, 1, 0, 1])
    z_O = net.forward(X).z_O[:, 0]
    assert net.loss(X, y) == pytest.approx(np.sum(np.log1p(np.exp(z_O)) - y * z_O))


def _s3p1_setup(N_i=3, N_h=3, K=3, seed=11):
    """ReLU hidden layer, softmax output, loss (18); N_i = N_h = K so the printed
    (wrongly indexed) formulas can be evaluated and compared."""
    rng = np.random.default_rng(seed)
    net = sn.Network(rng.standard_normal((N_h, N_i)), rng.standard_normal(N_h),
                     rng.standard_normal((K, N_h)), rng.standard_normal(K),
                     activation="relu", output="multiclass")
    X = rng.standard_normal((7, N_i))
    y = rng.integers(0, K, 7)
    tr = net.forward(X)
    R = np.eye(K)[y]
    dZ_O = tr.u_O - R                                   # the solution's first step (correct)
    return net, X, y, tr, dZ_O


def test_E20_section3_problem1_output_layer_indices():
    net, X, y, tr, dZ_O = _s3p1_setup()
    U_H = tr.u_H
    fd_W = fd_grad(lambda: net.loss(X, y), net.W_O)
    fd_b = fd_grad(lambda: net.loss(X, y), net.b_O)
    corrected_W = np.einsum("ij,ik->jk", dZ_O, U_H)     # sum_i dL/dz_ij^O u_ik^H
    np.testing.assert_allclose(corrected_W, fd_W, atol=1e-6)
    np.testing.assert_allclose(dZ_O.sum(axis=0), fd_b, atol=1e-6)    # sum_i dL/dz_ij^O
    printed_W = np.einsum("ik,ik->k", dZ_O, U_H)[None, :].repeat(3, axis=0)  # dL/dz_ik^O
    assert not np.allclose(printed_W, fd_W, atol=1e-3)


def test_E21_section3_problem1_dL_du_H():
    net, X, y, tr, dZ_O = _s3p1_setup()
    U_H = tr.u_H.copy()
    T = net.encode_targets(y, len(y))

    def L():
        return float(net.output.g_loss(U_H @ net.W_O.T + net.b_O, T).sum())
    fd = fd_grad(L, U_H)
    np.testing.assert_allclose(dZ_O @ net.W_O, fd, atol=1e-6)   # sum_{j=1}^{N_o} ... W_jk^O
    # the printed sum runs over i (the samples) 1..N_o instead of j
    printed = np.array([[sum(dZ_O[i2, 0] * net.W_O[0, k] for i2 in range(net.N_o))
                         for k in range(net.N_h)] for _ in range(len(y))])
    assert not np.allclose(printed, fd, atol=1e-3)


def test_E22_section3_problem1_hidden_layer_indices():
    net, X, y, tr, dZ_O = _s3p1_setup()
    dZ_H = (dZ_O @ net.W_O) * (tr.z_H > 0)
    fd_W = fd_grad(lambda: net.loss(X, y), net.W_H)
    fd_b = fd_grad(lambda: net.loss(X, y), net.b_H)
    np.testing.assert_allclose(np.einsum("ij,ik->jk", dZ_H, X), fd_W, atol=1e-6)
    np.testing.assert_allclose(dZ_H.sum(axis=0), fd_b, atol=1e-6)   # dL/db_j^H, one index
    printed_W = np.einsum("ik,ik->k", dZ_H, X)[None, :].repeat(3, axis=0)  # dL/dz_ik^H x_ik
    assert not np.allclose(printed_W, fd_W, atol=1e-3)


def _s3p2_setup(seed=12, n_in=3, M=3):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((5, n_in)), rng.standard_normal(5)
    W, b, alpha = 0.5 * rng.standard_normal((M, n_in)), 0.1 * rng.standard_normal(M), \
        rng.standard_normal(M)
    return X, y, W, b, alpha


def test_E23_section3_problem2_dL_du_no_sum():
    X, y, W, b, alpha = _s3p2_setup()
    U = np.exp(X @ W.T + b)
    y_hat = U @ alpha

    def L():
        return float(np.sum((y - U @ alpha) ** 2))
    fd = fd_grad(L, U)
    corrected = 2 * (y_hat - y)[:, None] * alpha[None, :]       # dL/dy_hat_i alpha_j
    np.testing.assert_allclose(corrected, fd, atol=1e-6)
    printed = np.broadcast_to(np.sum(2 * (y_hat - y)) * alpha, fd.shape)  # sum over i
    assert not np.allclose(printed, fd, atol=1e-3)


def test_E24_section3_problem2_dz_dW_is_x():
    X, y, W, b, alpha = _s3p2_setup()
    L = graph.problem2_graph(X, y, W, b, alpha)
    L.backward()
    dW_graph = L.parameters()["W"].grad

    def loss():
        return float(np.sum((y - np.exp(X @ W.T + b) @ alpha) ** 2))
    fd = fd_grad(loss, W)
    np.testing.assert_allclose(dW_graph, fd, atol=1e-6)
    U = np.exp(X @ W.T + b)
    dZ = (2 * (U @ alpha - y))[:, None] * alpha[None, :] * U
    np.testing.assert_allclose(dZ.T @ X, fd, atol=1e-6)          # sum_i dL/dz_ij x_ik
    assert not np.allclose(dZ.T @ U, fd, atol=1e-3)              # the printed u_ik


def test_every_erratum_has_its_test():
    import re
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "errata.md").read_text()
    entries = re.findall(r"^### (E\d\d)\.", doc, flags=re.M)
    named = re.findall(r"\*\*Test\*\*: `(test_E\d\d_\w+)`", doc)
    tests = {name for name in globals() if name.startswith("test_E")}
    assert entries == [f"E{k:02d}" for k in range(1, len(entries) + 1)]
    assert [n[5:8] for n in named] == entries          # one test per entry, in order
    assert set(named) == tests

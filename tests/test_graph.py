"""Section 3: the computation-graph engine, Problem 2's model, the network of Figure 1 and the
DOT drawings of Figures 1 and 2.

References are independent of the engine's backward rules: central finite differences written
here, the closed forms of the notes' solutions (corrected where the notes are wrong), and the
hand-derived back-propagation of ``Network.gradients``.
"""

from __future__ import annotations

import re
import shutil
import warnings
import zlib

import numpy as np
import pytest

import shallownet as sn
from shallownet import graph as G

rng = np.random.default_rng(30)


def finite_difference(f, arrays, h=1e-6):
    """Central differences of the scalar f(*arrays) with respect to every array."""
    grads = []
    for k, a in enumerate(arrays):
        g = np.zeros_like(a, dtype=float)
        for j in np.ndindex(*a.shape):
            up = [x.copy() for x in arrays]
            down = [x.copy() for x in arrays]
            up[k][j] += h
            down[k][j] -= h
            g[j] = (f(*up) - f(*down)) / (2 * h)
        grads.append(g)
    return grads


def check_gradients(build, *arrays, rtol=1e-6, atol=1e-8):
    """Back-propagate sum(V * build(*params)) and compare with finite differences."""
    params = [G.param(a, f"p{k}") for k, a in enumerate(arrays)]
    out = build(*params)
    V = rng.standard_normal(out.shape)  # a random linear read-out makes every entry matter
    L = G.sum(out * V)
    L.backward()

    def value(*plain):
        return float(np.sum(build(*[G.constant(a) for a in plain]).value * V))

    for p, expected in zip(params, finite_difference(value, list(arrays)), strict=True):
        assert p.grad.shape == p.shape
        np.testing.assert_allclose(p.grad, expected, rtol=rtol, atol=atol)


def r(*shape):
    return rng.standard_normal(shape)


def pos(*shape):
    return rng.uniform(0.5, 2.0, shape)


# ---------------------------------------------------------------------------- every operation
OPS = {
    "matmul 2x2": (lambda a, b: a @ b, (r(3, 4), r(4, 2))),
    "matmul 2x1": (lambda a, b: a @ b, (r(3, 4), r(4))),
    "matmul 1x2": (lambda a, b: a @ b, (r(4), r(4, 2))),
    "matmul 1x1": (lambda a, b: a @ b, (r(4), r(4))),
    "add row": (lambda a, b: a + b, (r(3, 4), r(4))),
    "add column": (lambda a, b: a + b, (r(3, 1), r(1, 4))),
    "add scalar": (lambda a, b: a + b, (r(), r(3))),
    "subtract": (lambda a, b: a - b, (r(4), r(3, 4))),
    "multiply": (lambda a, b: a * b, (r(2, 3), r(2, 1))),
    "divide": (lambda a, b: a / b, (r(2, 3), pos(3))),
    "constants": (lambda a: 2.0 - a * 3.0 + 1.0 / (a * a + 1.0), (r(3),)),
    "negate": (lambda a: -a, (r(2, 2),)),
    "power 3": (lambda a: a ** 3, (r(5),)),
    "power 0.5": (lambda a: a ** 0.5, (pos(5),)),
    "exp": (G.exp, (r(2, 3),)),
    "log": (G.log, (pos(2, 3),)),
    "sigmoid": (G.sigmoid, (r(2, 3),)),
    "relu": (G.relu, (np.array([-1.5, -0.2, 0.3, 2.0]),)),
    "sum all": (lambda a: G.sum(a), (r(2, 3, 4),)),
    "sum axis": (lambda a: G.sum(a, axis=1), (r(2, 3, 4),)),
    "sum axes keepdims": (lambda a: a.sum(axis=(0, -1), keepdims=True), (r(2, 3, 4),)),
    "mean": (lambda a: G.mean(a, axis=0), (r(3, 2),)),
    "transpose": (lambda a, b: a.T @ b, (r(3, 2), r(3))),
    "index": (lambda a: a[[0, 2, 0]], (r(3, 2),)),
    "slice": (lambda a: a[1:, 0], (r(3, 2),)),
    "stack": (lambda a, b: G.stack([a[0] * b, a[1] + b]), (r(2), r())),
    "linear batch": (G.linear, (r(5, 3), r(2, 3), r(2))),
    "linear one sample": (G.linear, (r(3), r(2, 3), r(2))),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_each_operation_against_finite_differences(name):
    build, arrays = OPS[name]
    check_gradients(build, *arrays)


def test_threshold_has_zero_gradient_and_the_closed_step():
    z = G.param(np.array([-1.0, 0.0, 2.0]))
    u = G.threshold(z)
    np.testing.assert_array_equal(u.value, [0, 1, 1])  # (2): 1 if z >= 0
    G.sum(u * 5.0).backward()
    np.testing.assert_array_equal(z.grad, 0)


def test_broadcast_gradient_is_the_sum_over_the_broadcast_axes():
    W, b = G.param(r(3, 4)), G.param(np.zeros(4))
    seed = r(3, 4)
    (W + b).backward(seed=seed)
    np.testing.assert_array_equal(W.grad, seed)
    np.testing.assert_allclose(b.grad, seed.sum(axis=0), rtol=1e-15)


def test_a_node_used_twice_collects_both_gradients():
    x = G.param(np.array([3.0, -2.0]))
    G.sum(x * x + x).backward()
    np.testing.assert_array_equal(x.grad, 2 * x.value + 1)


def test_backward_resets_and_seeds():
    x = G.param(np.array([1.0, 2.0]))
    L = G.sum(x ** 2)
    L.backward()
    L.backward()  # a second sweep starts again from zero
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    y = x ** 2
    with pytest.raises(ValueError, match="scalar"):
        y.backward()
    y.backward(seed=np.array([1.0, 0.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 0.0])
    assert L.grad == 1.0 and y.grad.shape == (2,)


def test_numpy_interplay_and_errors():
    x = G.param(np.array([1.0, 2.0]))
    assert isinstance(np.array([1.0, 1.0]) + x, G.Node)   # ndarray + Node is a Node
    assert isinstance(np.eye(2) @ x, G.Node)
    with pytest.raises(TypeError):
        np.exp(x)                                          # use G.exp
    with pytest.raises(TypeError, match="exponent"):
        x ** x
    with pytest.raises(ValueError, match="vectors and matrices"):
        G.param(np.ones((2, 2, 2))) @ x
    with pytest.raises(ValueError, match="W must be"):
        G.linear(G.data(np.ones((4, 3))), G.param(np.ones((2, 2))), G.param(np.ones(2)))
    with pytest.raises(TypeError, match="numeric"):
        G.param("abc")


# ---------------------------------------------------------------------------- losses
def test_losses_match_their_formulas_and_gradients():
    z, y01 = r(6), rng.integers(0, 2, 6).astype(float)
    L = G.binary_cross_entropy(G.param(z), y01)
    np.testing.assert_allclose(L.value, np.sum(np.log(1 + np.exp(z)) - y01 * z), rtol=1e-14)
    check_gradients(lambda a: G.binary_cross_entropy(a, y01), z)

    Z, t = r(5, 3), np.array([0, 2, 1, 2, 0])
    L = G.categorical_cross_entropy(G.param(Z), t)
    expected = sum(np.log(np.exp(Z[i]).sum()) - Z[i, t[i]] for i in range(5))
    np.testing.assert_allclose(L.value, expected, rtol=1e-14)
    check_gradients(lambda a: G.categorical_cross_entropy(a, t), Z)
    check_gradients(lambda a: G.categorical_cross_entropy(a, 1), r(3))   # one sample

    Z, Y = r(4, 2), r(4, 2)
    L = G.squared_error(G.param(Z), Y)
    np.testing.assert_allclose(L.value, np.sum((Z - Y) ** 2), rtol=1e-14)
    check_gradients(lambda a: G.squared_error(a, Y), Z)


def test_losses_are_stable_for_huge_logits():
    z = np.array([1000.0, -1000.0, 1000.0, -1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zb = G.param(z)
        L = G.binary_cross_entropy(zb, np.array([0.0, 1.0, 1.0, 0.0]))
        L.backward()
        np.testing.assert_allclose(L.value, 2000.0)             # ln(1 + e^1000) ~ 1000
        np.testing.assert_allclose(zb.grad, [1.0, -1.0, 0.0, 0.0])
        Z = G.param(np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]]))
        L = G.categorical_cross_entropy(Z, np.array([1, 2]))
        L.backward()
        np.testing.assert_allclose(L.value, 2001.0 + np.log1p(np.exp(-1.0)), rtol=1e-12)
        assert np.all(np.isfinite(Z.grad))


def test_loss_input_errors():
    with pytest.raises(ValueError, match="shape"):
        G.binary_cross_entropy(G.param(np.zeros((3, 1))), np.zeros(3))
    with pytest.raises(ValueError, match=r"0\.\.2"):
        G.categorical_cross_entropy(G.param(np.zeros((2, 3))), [0, 3])
    with pytest.raises(ValueError, match="integer"):
        G.categorical_cross_entropy(G.param(np.zeros((2, 3))), [0.5, 1])


# ---------------------------------------------------------------------------- Problem 2
def problem2_data(N=6, n_in=3, M=4, seed=2):
    g = np.random.default_rng(seed)
    return (g.standard_normal((N, n_in)), g.standard_normal(N), 0.5 * g.standard_normal((M, n_in)),
            0.3 * g.standard_normal(M), g.standard_normal(M))


def test_problem2_model_against_finite_differences():
    X, y, W, b, alpha = problem2_data()
    L = G.problem2_graph(X, y, W, b, alpha)
    L.backward()
    p = L.parameters()

    def loss(W_, b_, a_):
        return float(np.sum((y - np.exp(X @ W_.T + b_) @ a_) ** 2))

    for name, expected in zip(("W", "b", "alpha"), finite_difference(loss, [W, b, alpha]),
                              strict=True):
        np.testing.assert_allclose(p[name].grad, expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(L.value, loss(W, b, alpha), rtol=1e-14)


def test_problem2_model_against_the_solution_closed_form():
    X, y, W, b, alpha = problem2_data(N=5, n_in=3, M=3)
    N, M = 5, 3
    L = G.problem2_graph(X, y, W, b, alpha)
    L.backward()
    z = X @ W.T + b                            # z_ij = sum_k W_jk x_ik + b_j
    u = np.exp(z)
    y_hat = u @ alpha
    dL_dyhat = 2 * (y_hat - y)                 # dL/dy_hat_i = 2 (y_hat_i - y_i)
    dL_dalpha = np.array([sum(dL_dyhat[i] * u[i, j] for i in range(N)) for j in range(M)])
    dL_du = dL_dyhat[:, None] * alpha[None, :]          # no sum over i
    dL_dz = dL_dyhat[:, None] * alpha[None, :] * np.exp(z)
    dL_dW = np.array([[sum(dL_dz[i, j] * X[i, k] for i in range(N)) for k in range(3)]
                      for j in range(M)])      # dz_ij/dW_jk = x_ik
    dL_db = dL_dz.sum(axis=0)
    np.testing.assert_allclose(L.find("y_hat").grad, dL_dyhat, rtol=1e-13)
    np.testing.assert_allclose(L.find("alpha").grad, dL_dalpha, rtol=1e-12)
    np.testing.assert_allclose(L.find("u").grad, dL_du, rtol=1e-13)
    np.testing.assert_allclose(L.find("z").grad, dL_dz, rtol=1e-13)
    np.testing.assert_allclose(L.find("W").grad, dL_dW, rtol=1e-12)
    np.testing.assert_allclose(L.find("b").grad, dL_db, rtol=1e-12)
    # the printed forms differ: dL/du_ij with a sum over i, and dz_ij/dW_jk = u_ik
    printed_du = np.broadcast_to(dL_dyhat.sum() * alpha, (N, M))
    printed_dW = np.array([[sum(dL_dz[i, j] * u[i, k] for i in range(N)) for k in range(3)]
                           for j in range(M)])
    assert not np.allclose(printed_du, dL_du)
    assert not np.allclose(printed_dW, dL_dW)


# ---------------------------------------------------------------------------- Figure 1 network
SHAPES = [(1, 1, 1, 1), (1, 3, 2, 3), (7, 4, 5, 3), (6, 2, 3, 1), (4, 1, 6, 2)]


def random_case(activation, output, N, N_i, N_h, N_o, seed):
    g = np.random.default_rng(seed)
    if output == "binary":
        N_o = 1
    if output == "multiclass":
        N_o = max(N_o, 2)  # a softmax needs K >= 2 units
    net = sn.Network(g.standard_normal((N_h, N_i)), g.standard_normal(N_h),
                     g.standard_normal((N_o, N_h)), g.standard_normal(N_o),
                     activation=activation, output=output, dtype=np.float64)
    X = g.standard_normal((N, N_i))
    y = {"binary": g.integers(0, 2, N), "multiclass": g.integers(0, N_o, N),
         "regression": g.standard_normal((N, N_o))}[output]
    return net, X, y


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "N={},Ni={},Nh={},No={}".format(*s))
@pytest.mark.parametrize("output", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("activation", ["threshold", "sigmoid", "relu"])
def test_network_graph_equals_hand_derived_backprop(activation, output, shape):
    seed = zlib.crc32(f"{activation} {output} {shape}".encode())  # fixed across runs
    net, X, y = random_case(activation, output, *shape, seed=seed)
    L = G.network_graph(net, X, y)
    L.backward()
    np.testing.assert_allclose(L.value, net.loss(X, y), rtol=1e-10, atol=1e-10)
    grads = net.gradients(X, y)
    params = L.parameters()
    assert sorted(params) == ["W_H", "W_O", "b_H", "b_O"]
    for name, g in grads.items():
        assert params[name].grad.shape == g.shape
        np.testing.assert_allclose(params[name].grad, g, rtol=1e-10, atol=1e-10)


def test_network_graph_against_finite_differences():
    net, X, y = random_case("sigmoid", "multiclass", 5, 3, 4, 3, seed=9)
    L = G.network_graph(net, X, y)
    L.backward()
    names = ("W_H", "b_H", "W_O", "b_O")

    def loss(*arrays):
        return sn.Network(*arrays, activation="sigmoid", output="multiclass").loss(X, y)

    for name, expected in zip(names, finite_difference(loss, [net.params[n] for n in names]),
                              strict=True):
        np.testing.assert_allclose(L.find(name).grad, expected, rtol=1e-6, atol=1e-8)


def test_network_graph_has_the_nodes_of_figure_1():
    net, X, y = random_case("relu", "regression", 3, 2, 3, 2, seed=1)
    L = G.network_graph(net, X, y)
    kinds = {n.name: n.kind for n in L.topological_order()}
    assert kinds == {"x": "data", "y": "data", "W_H": "param", "b_H": "param",
                     "W_O": "param", "b_O": "param", "z_H": "op", "u_H": "op", "z_O": "op",
                     "L": "op"}
    trace = net.forward(X)
    np.testing.assert_allclose(L.find("z_H").value, trace.z_H, rtol=1e-14)
    np.testing.assert_allclose(L.find("u_H").value, trace.u_H, rtol=1e-14)
    np.testing.assert_allclose(L.find("z_O").value, trace.z_O, rtol=1e-14)


# ---------------------------------------------------------------------------- DOT and drawing
def parse_dot(text):
    """{id: (label, fillcolor)} and the set of (label, label) edges of a DOT text."""
    nodes = {m[0]: (m[1], m[2]) for m in
             re.findall(r'^\s*(n\d+) \[label="([^"]*)", fillcolor="([^"]*)"', text, re.M)}
    edges = {(nodes[a][0], nodes[b][0]) for a, b in
             re.findall(r"^\s*(n\d+) -> (n\d+);", text, re.M)}
    return {label: colour for label, colour in nodes.values()}, edges


def test_figure1_dot_colours_labels_and_edges():
    text = G.to_dot(G.figure1_graph(), title="Figure 1", pretty=False)
    assert text.startswith("digraph") and text.rstrip().endswith("}")
    assert 'label="Figure 1"' in text
    colours, edges = parse_dot(text)
    assert colours == {"x": "palegreen", "y": "palegreen", "W_H": "lightblue",
                       "b_H": "lightblue", "W_O": "lightblue", "b_O": "lightblue",
                       "z_H": "white", "u_H": "white", "z_O": "white", "L": "white"}
    assert edges == {("x", "z_H"), ("W_H", "z_H"), ("b_H", "z_H"), ("z_H", "u_H"),
                     ("u_H", "z_O"), ("W_O", "z_O"), ("b_O", "z_O"), ("z_O", "L"),
                     ("y", "L")}


def test_figure2_dot_colours_labels_and_edges():
    colours, edges = parse_dot(G.to_dot(G.figure2_graph(), pretty=False))
    assert colours == {"x": "palegreen", "y": "palegreen", "W": "lightblue",
                       "b": "lightblue", "alpha": "lightblue", "z": "white", "u": "white",
                       "y_hat": "white", "L": "white"}
    assert edges == {("x", "z"), ("W", "z"), ("b", "z"), ("z", "u"), ("u", "y_hat"),
                     ("alpha", "y_hat"), ("y_hat", "L"), ("y", "L")}


def test_unnamed_operations_are_labelled_by_their_operation():
    x = G.data(np.ones(2), "x")
    text = G.to_dot(G.sum(G.exp(x) * 2.0), pretty=False)
    colours, edges = parse_dot(text)
    assert colours == {"x": "palegreen", "exp": "white", "2": "white", "*": "white",
                       "sum": "white"}
    assert edges == {("x", "exp"), ("exp", "*"), ("2", "*"), ("*", "sum")}
    assert 'title "' not in G.to_dot(x, title='say "hi"') and r"say \"hi\"" in G.to_dot(
        x, title='say "hi"')
    with pytest.raises(TypeError, match="Node"):
        G.to_dot("digraph {}")


def test_pretty_labels_typeset_the_notes_names():
    text = G.to_dot(G.figure2_graph())
    assert 'label=<\u03b1>, fillcolor="lightblue"' in text          # alpha
    assert 'label=<y\u0302>, fillcolor="white"' in text              # y_hat
    text = G.to_dot(G.figure1_graph())
    assert 'label=<W<SUB>H</SUB>>, fillcolor="lightblue"' in text
    assert 'label=<z<SUB>O</SUB>>, fillcolor="white"' in text
    assert 'label=<x>, fillcolor="palegreen"' in text
    assert "&lt;" in G.to_dot(G.data(np.ones(1), "a<b"))               # HTML is escaped


def test_render_writes_dot_text_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(G.shutil, "which", lambda name: None)
    path = G.render(G.figure2_graph(), tmp_path / "figure2.dot")
    assert path.read_text() == G.to_dot(G.figure2_graph())
    with pytest.raises(G.GraphvizNotFoundError) as info:
        G.render(G.figure2_graph(), tmp_path / "figure2.svg")
    message = str(info.value)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install graphviz",
                 ".dot"):
        assert hint in message
    with pytest.raises(ValueError, match=".svg"):
        G.render(G.figure2_graph(), tmp_path / "figure2.jpg")


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="Graphviz's `dot` program is not installed (apt-get install graphviz)")
def test_render_svg_and_png(tmp_path):
    svg = G.render(G.figure1_graph(), tmp_path / "figure1.svg", title="Figure 1")
    text = svg.read_text()
    assert "<svg" in text and ">z<" in text and "lightblue" in text and "palegreen" in text
    png = G.render(G.to_dot(G.figure2_graph()), tmp_path / "figure2.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_navigation_helpers():
    L = G.figure2_graph()
    assert [n.name for n in L.topological_order()][-1] == "L"
    assert set(L.parameters()) == {"W", "b", "alpha"}
    assert L.find("u").op == "exp"
    with pytest.raises(KeyError, match="z_H"):
        L.find("z_H")
    with pytest.raises(TypeError, match="Node or DOT"):
        G.render(42, "figure.svg")
    assert sn.graph is G

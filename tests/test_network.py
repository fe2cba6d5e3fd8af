"""Network construction, losses (16)-(20) and gradients, against closed forms and finite
differences."""

import warnings

import numpy as np
import pytest

import shallownet as sn
from shallownet.network import Workspace

ACTIVATIONS = ["threshold", "sigmoid", "relu"]
OUTPUTS = ["binary", "multiclass", "regression"]


def random_problem(activation, output, N, N_i, N_h, N_o, seed=0):
    rng = np.random.default_rng(seed)
    if output == "binary":
        N_o = 1
    if output == "multiclass":
        N_o = max(N_o, 2)  # a softmax needs K >= 2 units
    net = sn.Network(rng.normal(size=(N_h, N_i)), rng.normal(size=N_h),
                     rng.normal(size=(N_o, N_h)), rng.normal(size=N_o),
                     activation=activation, output=output)
    X = rng.normal(size=(N, N_i))
    if output == "binary":
        y = rng.integers(0, 2, N)
    elif output == "multiclass":
        y = rng.integers(0, N_o, N)
    else:
        y = rng.normal(size=(N, N_o))
    return net, X, y


def reference_loss(net, X, y):
    """L of (16) written from the notes' formulas, independent of outputs.py."""
    z = net.forward(X).z_O
    if net.output.name == "binary":  # (17) ln(1 + e^z) - y z
        return float(np.sum(np.log1p(np.exp(z[:, 0])) - y * z[:, 0]))
    if net.output.name == "multiclass":  # (18), (19)
        r = np.eye(net.N_o)[y]
        return float(np.sum(np.log(np.exp(z).sum(axis=1)) - (r * z).sum(axis=1)))
    return float(np.sum((z - y.reshape(z.shape)) ** 2))  # (20)


# ---------------------------------------------------------------- construction
def test_hand_set_weights_as_the_notes_write_them():
    net = sn.Network(W_H=[[1], [1]], b_H=[-1, -3], W_O=[-1, 2], b_O=0.5,
                     activation="threshold")
    assert net.W_H.shape == (2, 1) and net.b_H.shape == (2,)
    assert net.W_O.shape == (1, 2) and net.b_O.shape == (1,)
    assert set(net.params) == {"W_H", "b_H", "W_O", "b_O"}
    assert net.params["W_O"] is net.W_O  # live arrays


def test_flat_W_H_with_matching_b_H_is_a_column():
    net = sn.Network(W_H=[1, 1], b_H=[-1, -3], W_O=[-1, 2], b_O=0.5, activation="threshold")
    assert net.W_H.shape == (2, 1)


@pytest.mark.parametrize("kwargs, message", [
    (dict(W_H=[[1, 2]], b_H=[0, 0], W_O=[1], b_O=0), "b_H has 2 entries"),
    (dict(W_H=[[1], [1]], b_H=[0, 0], W_O=[1, 2, 3], b_O=0), "W_O has 3 columns"),
    (dict(W_H=[[np.nan]], b_H=[0], W_O=[1], b_O=0), "NaN"),
    (dict(W_H=[["a"]], b_H=[0], W_O=[1], b_O=0), "numeric"),
])
def test_bad_weights_are_named(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        sn.Network(**kwargs)


def test_student_mistakes_get_errors_that_name_the_fix():
    net = sn.Network.init(2, 3, 3, output="multiclass", seed=0)
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match="subtract 1"):
        net.loss(X, [1, 2, 3])  # the notes' 1..K labels
    with pytest.raises(ValueError, match="shallownet.Classifier"):
        net.loss(X, ["a", "b", "c"])
    with pytest.raises(ValueError, match="shallownet.Classifier"):
        net.loss(X, [0, None, 1])
    reg = sn.Network.init(2, 3, 1, output="regression", seed=0)
    with pytest.raises(ValueError, match="regression targets y must be numbers"):
        reg.loss(X, ["x", "y", "z"])
    with pytest.raises(ValueError, match="write W_H as a column"):
        sn.Network(W_H=[[1, 1]], b_H=[-1, -3], W_O=[-1, 2], b_O=0.5)
    with pytest.raises(ValueError, match="softmax .* over one unit"):
        sn.Network.init(2, 3, 1, output="multiclass")


def test_unknown_activation_and_output_list_the_choices():
    with pytest.raises(ValueError, match="relu"):
        sn.Network([[1]], [0], [1], 0, activation="tanh")
    with pytest.raises(ValueError, match="multiclass"):
        sn.Network([[1]], [0], [1], 0, output="ordinal")


def test_init_is_reproducible_and_scaled():
    a = sn.Network.init(50, 400, 3, activation="relu", output="multiclass", seed=1)
    b = sn.Network.init(50, 400, 3, activation="relu", output="multiclass", seed=1)
    c = sn.Network.init(50, 400, 3, activation="relu", output="multiclass", seed=2)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a.W_H, b.W_H)
    assert not np.array_equal(a.W_H, c.W_H)
    # He: Var(W_H) = 2 / N_i for ReLU; Glorot-uniform: Var = 2 / (N_i + N_h) otherwise
    assert np.var(a.W_H) == pytest.approx(2 / 50, rel=0.05)
    s = sn.Network.init(50, 400, 3, activation="sigmoid", output="multiclass", seed=1)
    assert np.var(s.W_H) == pytest.approx(2 / 450, rel=0.05)
    assert np.all(a.b_H == 0) and np.all(a.b_O == 0)


def test_forward_rejects_wrong_feature_count_and_nan():
    net = sn.Network.init(3, 4, 1, seed=0)
    with pytest.raises(ValueError, match="N_i = 3"):
        net.forward(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="NaN or inf"):
        net.forward(np.array([[0, np.nan, 0]]))


def test_predict_and_predict_proba_shapes():
    net, X, _ = random_problem("relu", "multiclass", 7, 3, 5, 4)
    assert net.predict(X).shape == (7,)
    P = net.predict_proba(X)
    assert P.shape == (7, 4)
    np.testing.assert_allclose(P.sum(axis=1), 1)
    netb, Xb, _ = random_problem("relu", "binary", 7, 3, 5, 1)
    assert netb.predict_proba(Xb).shape == (7,)
    netr, Xr, _ = random_problem("relu", "regression", 7, 3, 5, 2)
    with pytest.raises(ValueError, match="classification"):
        netr.predict_proba(Xr)


# ---------------------------------------------------------------- losses
@pytest.mark.parametrize("output", OUTPUTS)
def test_loss_matches_the_notes_formula(output):
    net, X, y = random_problem("sigmoid", output, 11, 3, 4, 3)
    assert net.loss(X, y) == pytest.approx(reference_loss(net, X, y), rel=1e-12)


def test_binary_cross_entropy_closed_form_values():
    # (17) at z = 0: ln 2 for either label; at z = 2, y = 1: ln(1 + e^2) - 2
    net = sn.Network([[0.0]], [0.0], [[1.0]], [0.0], activation="relu", output="binary")
    assert net.loss([0.0], [1]) == pytest.approx(np.log(2))
    net.set_params(b_O=[2.0])
    assert net.loss([0.0], [1]) == pytest.approx(np.log1p(np.exp(2)) - 2)
    assert net.loss([0.0], [0]) == pytest.approx(np.log1p(np.exp(2)))


@pytest.mark.parametrize("output", OUTPUTS)
def test_huge_logits_give_finite_losses_and_gradients_without_warnings(output):
    N_o = 1 if output == "binary" else 3
    W_O = np.full((N_o, 1), 1000.0)
    W_O[0] = -1000.0
    net = sn.Network([[1.0]], [0.0], W_O, np.zeros(N_o), activation="relu", output=output)
    X = np.array([[1.0], [1.0]])
    y = np.array([1, 0]) if output != "regression" else np.zeros((2, N_o))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # overflow, division by zero and invalid values raise; underflow to 0 is harmless
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            L = net.loss(X, y)
            G = net.gradients(X, y)
            P = net.forward(X).u_O
    assert np.isfinite(L)
    assert all(np.all(np.isfinite(g)) for g in G.values())
    assert np.all(np.isfinite(P))
    if output == "binary":  # z = -1000: loss of y=1 is 1000, of y=0 is ~0
        assert L == pytest.approx(1000.0)
    if output == "multiclass":  # logits (-1000, 1000, 1000), class 1 and class 0
        assert L == pytest.approx(np.log(2) + (2000 + np.log(2)))


# ---------------------------------------------------------------- gradients
def finite_difference(net, X, y, name, h=1e-6):
    p = net.params[name]
    grad = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        old = p[idx]
        p[idx] = old + h
        up = net.loss(X, y)
        p[idx] = old - h
        down = net.loss(X, y)
        p[idx] = old
        grad[idx] = (up - down) / (2 * h)
    return grad


SHAPES = [  # (N, N_i, N_h, N_o) including N = 1 and N_o = 1
    (1, 1, 1, 1), (1, 3, 4, 3), (5, 2, 3, 1), (8, 4, 6, 5), (13, 7, 2, 2),
]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_gradients_equal_central_differences(activation, output, shape):
    N, N_i, N_h, N_o = shape
    net, X, y = random_problem(activation, output, N, N_i, N_h, N_o, seed=sum(shape))
    G = net.gradients(X, y)
    for name, p in net.params.items():
        assert G[name].shape == p.shape
        fd = finite_difference(net, X, y, name)
        scale = max(np.abs(fd).max(), np.abs(G[name]).max(), 1e-8)
        assert np.abs(G[name] - fd).max() / scale <= 1e-6, name


def test_relu_backprop_matches_section3_problem1_by_hand():
    """Section 3, Problem 1 (K classes, (18), ReLU), every step written with explicit sums."""
    net, X, y = random_problem("relu", "multiclass", 6, 3, 4, 3, seed=3)
    t = net.forward(X)
    N, K, N_h, N_i = 6, 3, 4, 3
    r = np.eye(K)[y]
    dz_O = np.exp(t.z_O) / np.exp(t.z_O).sum(axis=1, keepdims=True) - r
    dW_O = np.array([[sum(dz_O[i, j] * t.u_H[i, k] for i in range(N)) for k in range(N_h)]
                     for j in range(K)])
    du_H = np.array([[sum(dz_O[i, j] * net.W_O[j, k] for j in range(K)) for k in range(N_h)]
                     for i in range(N)])
    dz_H = du_H * (t.z_H > 0)
    dW_H = np.array([[sum(dz_H[i, j] * X[i, k] for i in range(N)) for k in range(N_i)]
                     for j in range(N_h)])
    G = net.gradients(X, y)
    np.testing.assert_allclose(G["W_O"], dW_O, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(G["b_O"], dz_O.sum(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(G["W_H"], dW_H, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(G["b_H"], dz_H.sum(axis=0), rtol=1e-12, atol=1e-12)


def test_threshold_hidden_gradients_are_zero():
    net, X, y = random_problem("threshold", "binary", 6, 2, 3, 1)
    G = net.gradients(X, y)
    assert not G["W_H"].any() and not G["b_H"].any()
    assert G["W_O"].any()


@pytest.mark.parametrize("output", OUTPUTS)
def test_training_path_loss_and_grad_agree_with_loss_and_dloss(output):
    """The fused training kernel gives L of (16) and the same gradients as Network."""
    net, X, y = random_problem("sigmoid", output, 9, 3, 5, 4, seed=8)
    T = net.encode_targets(y, 9)
    ws = Workspace(net, 16)
    L = ws.backprop(X, T, 9, scale=1 / 9)
    assert L == pytest.approx(net.loss(X, y), rel=1e-12)
    G = net.gradients(X, y)
    for k in G:
        np.testing.assert_allclose(ws.grads[k] * 9, G[k], rtol=1e-10, atol=1e-12)


def test_single_sample_and_targets_mismatch():
    net, X, y = random_problem("relu", "multiclass", 4, 3, 5, 3)
    with pytest.raises(ValueError, match="4 samples but y has 3"):
        net.loss(X, y[:3])
    with pytest.raises(ValueError, match="0..2"):
        net.loss(X, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="0 or 1"):
        random_problem("relu", "binary", 4, 3, 5, 1)[0].loss(X, [0, 1, 2, 1])


def test_inputs_with_huge_finite_values_are_accepted_and_nan_anywhere_is_not():
    net = sn.Network.init(3, 2, 1, seed=0)
    X = np.full((1000, 3), 3e37, dtype=np.float32)  # the float32 sum overflows; still finite
    net.as_batch(X)
    for bad in (np.nan, np.inf, -np.inf):
        X[617, 2] = bad
        with pytest.raises(ValueError, match="NaN or inf"):
            net.as_batch(X)


def test_dir_lists_the_lazily_loaded_public_names():
    names = dir(sn)
    for name in ("Classifier", "Regressor", "save", "load", "trace", "jacobian", "chain",
                 "graph", "Network", "train"):
        assert name in names


# ---------------------------------------------------------------- a single sample, as in (1)
def test_single_sample_with_a_scalar_target_is_g_loss_of_that_sample():
    """g_loss(z_i^O, y_i) of (17), (18), (20) takes one sample's scalar y_i: forward already
    takes the single x of (1), so loss and gradients take its scalar target too."""
    # ReLU units at x = 3.5: z^H = [x - 2, x - 4] = [1.5, -0.5], u^H = [1.5, 0]
    W_H, b_H, x = [[1], [1]], [-2, -4], 3.5
    binary = sn.Network(W_H, b_H, [1, -2], -0.5, activation="relu", output="binary")
    # z^O = 1.5 - 0.5 = 1; (17) with y = 1: ln(1 + e^1) - 1 = ln(1 + e^-1)
    assert binary.loss(x, 1) == pytest.approx(np.log1p(np.exp(-1.0)), rel=1e-15)
    grads = binary.gradients(x, 1)
    # dL/db^O = sigmoid(z^O) - y (section 2, Problem 2(a)); dL/dW^O = (sigmoid(1) - 1) u^H
    d = 1 / (1 + np.exp(-1.0)) - 1
    np.testing.assert_allclose(grads["b_O"], [d], rtol=1e-14)
    np.testing.assert_allclose(grads["W_O"], [[1.5 * d, 0.0]], rtol=1e-14)
    # dL/dW^H_j1 = d W^O_j 1{z_j^H > 0} x: only unit 1 is active
    np.testing.assert_allclose(grads["W_H"], [[d * 1 * x], [0.0]], rtol=1e-14)
    multi = sn.Network(W_H, b_H, [[1, 0], [0, 1], [-1, 0]], [0, 0, 0], activation="relu",
                       output="multiclass")
    # z^O = [1.5, 0, -1.5]; (18) with y = 2 (0-based, the third class): lse(z^O) - (-1.5)
    lse = np.log(np.exp(1.5) + 1 + np.exp(-1.5))
    assert multi.loss(x, 2) == pytest.approx(lse + 1.5, rel=1e-15)
    regression = sn.Network(W_H, b_H, [1, -2], 0.0, activation="relu", output="regression")
    assert regression.loss(x, 2.0) == pytest.approx((1.5 - 2.0) ** 2, rel=1e-15)   # (20)
    # and the same numbers as the batch of one
    for net, y in ((binary, 1), (multi, 2), (regression, 2.0)):
        assert net.loss(x, y) == net.loss([[x]], [y])
        for k, g in net.gradients(x, y).items():
            np.testing.assert_array_equal(g, net.gradients([[x]], [y])[k])
    # a scalar target is one sample's: with two samples it is an error that says so
    with pytest.raises(ValueError, match="X has 2 samples but y has 1"):
        binary.loss([3.5, 1.0], 1)


def test_single_sample_scalar_target_trains():
    net = sn.Network([[1], [1]], [-2, -4], [1, -2], -0.5, activation="relu", output="binary")
    history = sn.train(net.copy(), 3.5, 1, epochs=1, optimizer="sgd", learning_rate=0.1)
    assert history.loss == [pytest.approx(np.log1p(np.exp(-1.0)))]   # z^O = 1, y = 1: (17)


# ---------------------------------------------------------------- weights as the notes write them
def test_bias_columns_as_the_notes_write_them():
    """Problems 1-3 write b^H as a column ([-1; -3]); it is the same network as the flat list."""
    flat = sn.Network([[1], [1]], [-1, -3], [-1, 2], 0.5, activation="threshold")
    column = sn.Network([[1], [1]], [[-1], [-3]], [-1, 2], [[0.5]], activation="threshold")
    assert column.b_H.shape == (2,) and column.b_O.shape == (1,)
    x = [0.0, 1.0, 2.0, 3.0, 5.0]
    # Problem 1(d): z^O = 0.5 for x < 1, -0.5 on [1, 3), 1.5 for x >= 3
    np.testing.assert_array_equal(column.forward(x).z_O[:, 0], [0.5, -0.5, -0.5, 1.5, 1.5])
    np.testing.assert_array_equal(column.forward(x).z_O, flat.forward(x).z_O)
    p3 = sn.Network([[1, 0], [0, 1], [1, 1]], [[0], [0], [-1]], [1, 1, -1], -1.5,
                    activation="threshold")
    # Problem 3: y_hat = 1 exactly on the triangle (12)
    assert p3.predict([[0.25, 0.25], [0.5, 0.5], [-0.1, 0.2]]).tolist() == [1, 0, 0]
    with pytest.raises(ValueError, match=r"b_H must be a vector.*\[\[-1\], \[-3\]\]"):
        sn.Network([[1], [1]], [[-1, -3]], [-1, 2], 0.5)


@pytest.mark.parametrize("kwargs, says, not_says", [
    # Problem 3's W^H typed column by column: (N_i, N_h) = (2, 3)
    (dict(W_H=[[1, 0, 1], [0, 1, 1]], b_H=[0, 0, -1], W_O=[1, 1, -1], b_O=-1.5),
     "looks transposed", "one input (N_i = 1)"),
    # Problem 1's W^H = [1; 1] written as a row
    (dict(W_H=[[1, 1]], b_H=[-1, -3], W_O=[-1, 2], b_O=0.5),
     "write W_H as a column, one weight per hidden unit, e.g. [[1], [1]]", "transposed"),
    # Problem 1's W^O = [-1, 2] written as a column
    (dict(W_H=[[1], [1]], b_H=[-1, -3], W_O=[[-1], [2]], b_O=0.5), "write it as a row, [-1, 2]",
     None),
])
def test_transposed_weights_are_named(kwargs, says, not_says):
    with pytest.raises(ValueError) as err:
        sn.Network(**kwargs, activation="threshold")
    assert says in str(err.value)
    if not_says:
        assert not_says not in str(err.value)


def test_a_batch_given_one_sample_per_column_is_named():
    """(10): X is (N, N_i), one sample per row. Problem 2's x_i typed as a row, and two
    samples of Problem 3 typed as columns."""
    p2 = sn.Network([[1], [1]], [-2, -4], [1, -2], -0.5, activation="threshold")
    with pytest.raises(ValueError, match=r"looks transposed.*one sample per row.*X\.T"):
        p2.forward([[0, 1, 3, 5]])
    np.testing.assert_array_equal(p2.predict(np.array([[0, 1, 3, 5]]).T), [0, 0, 1, 0])
    p3 = sn.Network([[1, 0], [0, 1], [1, 1]], [0, 0, -1], [1, 1, -1], -1.5,
                    activation="threshold")
    with pytest.raises(ValueError, match=r"looks transposed"):
        p3.forward([[0.25], [0.25]])
    with pytest.raises(ValueError) as err:  # a mere wrong width gets no transposition hint
        p3.forward(np.zeros((5, 3)))
    assert "transposed" not in str(err.value)

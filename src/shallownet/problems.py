"""The notes' worked problems as data, solved by the library, and the solutions document.

Section 1
    :func:`problem1`, :func:`problem2`, :func:`problem3` are the hand-set threshold networks of
    Problems 1-3; ``PROBLEM2_X``, ``PROBLEM2_Y`` and ``PROBLEM2_TEST_X`` are Problem 2's data
    set and test point. :func:`problem4` answers Problem 4 (which the notes leave "Missing")
    with :func:`shallownet.architecture.choose_architecture`, the rule the estimators use.
    :func:`hidden_layer`, :func:`binary_output` and :func:`softmax_output` are Problem 5's
    vectorised code, run and checked against :class:`~shallownet.Network`.
Section 2
    Problems 1-4: the closed forms of the solutions evaluated next to
    :func:`shallownet.jacobian`.
Section 3
    Problem 1 (ReLU + softmax back-propagation) through :class:`~shallownet.Network`, the graph
    engine and finite differences; Problem 2's model (z = W x + b, u = exp(z),
    y_hat = alpha^T u) built with :func:`shallownet.graph.problem2_graph` and compared with
    the closed form :func:`section3_problem2_gradients`.

:func:`write_solutions` writes all of it as ``solutions.md`` with its tables and figures
(``shallownet problems --out DIR`` calls it).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .activations import sigmoid
from .architecture import Architecture, choose_architecture
from .network import Network
from .tensors import jacobian

__all__ = [
    "problem1", "problem2", "problem3", "PROBLEM2_X", "PROBLEM2_Y", "PROBLEM2_TEST_X",
    "Problem4Case", "problem4", "hidden_layer", "binary_output", "softmax_output",
    "NOTES_PROBLEM5_CODE", "section3_problem2_gradients", "write_solutions",
]

PROBLEM2_X = (0.0, 1.0, 3.0, 5.0)
PROBLEM2_Y = (0, 0, 1, 0)
PROBLEM2_TEST_X = 3.5


def problem1() -> Network:
    """Section 1, Problem 1: W_H = [1; 1], b_H = [-1; -3], W_O = [-1, 2], b_O = 0.5,
    threshold activation (2) and threshold output (4)."""
    return Network(W_H=[[1], [1]], b_H=[-1, -3], W_O=[-1, 2], b_O=0.5,
                   activation="threshold", output="binary")


def problem2() -> Network:
    """Section 1, Problem 2(a), the solution's network: W_H = [1; 1], b_H = [-2; -4],
    W_O = [1, -2], b_O = -0.5 (features 1{x >= 2} and 1{x >= 4})."""
    return Network(W_H=[[1], [1]], b_H=[-2, -4], W_O=[1, -2], b_O=-0.5,
                   activation="threshold", output="binary")


def problem3() -> Network:
    """Section 1, Problem 3: two inputs, three threshold units, W_O = [1, 1, -1],
    b_O = -1.5."""
    return Network(W_H=[[1, 0], [0, 1], [1, 1]], b_H=[0, 0, -1], W_O=[1, 1, -1], b_O=-1.5,
                   activation="threshold", output="binary")


# ---------------------------------------------------------------------------- Problem 4
@dataclass(frozen=True)
class Problem4Case:
    """One part of Problem 4: the task, how its input and target are read, the architecture."""

    part: str
    task: str
    input_reading: str
    target_reading: str
    architecture: Architecture


def problem4() -> list[Problem4Case]:
    """Problem 4 (a)-(c), each answered by :func:`choose_architecture`.

    (a) a 20 x 20 gray-scale image, flattened: 400 features; 26 letters: 26 classes.
    (b) 120 features (MFCCs); male/female: 2 classes.
    (c) the stock price from the average price of each of the last five days: 5 features,
        one continuous target. (Read as *one* five-day average, N_i would be 1; see
        :func:`problem4_alternative`.)
    """
    side = 20
    return [
        Problem4Case("a", "a 20 x 20 gray-scale image -> which letter 'a'..'z'",
                     f"the {side} x {side} pixel intensities, flattened: {side * side} "
                     "features", "26 letters: 26 classes",
                     choose_architecture(side * side, "classes", 26)),
        Problem4Case("b", "120 features of a speech recording (MFCCs) -> male or female",
                     "the 120 features", "male / female: 2 classes",
                     choose_architecture(120, "classes", 2)),
        Problem4Case("c", "the stock price from the average stock price of the last five days",
                     "the average price of each of the last five days: 5 features",
                     "tomorrow's price: 1 real value",
                     choose_architecture(5, "continuous", 1)),
    ]


def problem4_alternative() -> Architecture:
    """Problem 4(c) read as one number, the average over the five days: N_i = 1."""
    return choose_architecture(1, "continuous", 1)


_ACT_EQ = {"threshold": "threshold (2)", "sigmoid": "sigmoid", "relu": "ReLU"}


def _architecture_md(a: Architecture) -> str:
    fixed = ", ".join(a.fixed)
    free = ", ".join(a.free)
    act = _ACT_EQ.get(a.activation, a.activation)
    return (f"N_i = {a.N_i}, N_o = {a.N_o}, g_out = {a.g_out}; loss {a.loss}. "
            f"Fixed by the problem: {fixed}. Free to choose: {free} "
            f"(shallownet's defaults: N_h = {a.N_h}, g_act = {act}"
            "; sigmoid is the other trainable choice, the threshold (2) cannot be trained by "
            "gradient descent).")


# ---------------------------------------------------------------------------- Problem 5
def hidden_layer(X, W_H, b_H, g_act=sigmoid):
    """Problem 5(a), (10a): ``Z_H = X W_H^T + B_H``, ``U_H = g_act(Z_H)``, no loops.

    ``X`` is (N, N_i), ``W_H`` (N_h, N_i), ``b_H`` (N_h,); broadcasting ``b_H[None, :]``
    repeats the bias on every row, which is B_H of (11). Returns (Z_H, U_H).
    """
    Z_H = X @ W_H.T + b_H[None, :]
    return Z_H, g_act(Z_H)


def binary_output(U_H, w_O, b_O):
    """Problem 5(b), (10b) with N_o = 1 and the sigmoid (3): the output weights are a vector
    ``w_O`` (N_h,) and the bias a scalar ``b_O``; returns (z_O, u_O), both (N,)."""
    z_O = U_H @ w_O + b_O
    return z_O, sigmoid(z_O)


def softmax_output(U_H, W_O, b_O):
    """Problem 5(c), (10b) with the softmax (5): ``W_O`` (K, N_h), ``b_O`` (K,); returns
    (Z_O, U_O), both (N, K).

    Each row is normalised by its own sum: the sum over classes (axis 1) becomes a column with
    ``[:, None]`` (or ``keepdims=True``) so that it broadcasts along the row. Subtracting the
    row maximum first leaves the softmax unchanged and keeps ``exp`` from overflowing.
    """
    Z_O = U_H @ W_O.T + b_O[None, :]
    E = np.exp(Z_O - Z_O.max(axis=1)[:, None])
    return Z_O, E / np.sum(E, axis=1)[:, None]


# The code the notes print for Problem 5, verbatim (quoted in the solutions and the errata).
NOTES_PROBLEM5_CODE = {
    "a": "Zh = X.dot(Wh.T) + bh[None,:]\nUh = 1/(1+np.exp(-Zh))\n",
    "b": "Zo = Uh.dot(Wo) + bo\nUo = 1/(1+np.exp(-Zo))\n",
    "c": "Zo = Uh.dot(Wo.T) + bo[None,:]\nexpZo = np.exp(Zo)\n"
         "Uo = expZo / np.sum(expZo,axis=1)[None,:]\n",
}


# ---------------------------------------------------------------------------- section 3
def section3_problem2_gradients(X, y, W, b, alpha) -> dict[str, np.ndarray]:
    """The back-propagation of section 3, Problem 2(b), written out (with the corrections of
    ``docs/errata.md``): for z_i = W x_i + b, u_ij = exp(z_ij), y_hat_i = sum_j alpha_j u_ij,
    L = sum_i (y_i - y_hat_i)^2::

        dL/dy_hat_i = 2 (y_hat_i - y_i)
        dL/dalpha_j = sum_i dL/dy_hat_i u_ij
        dL/du_ij    = dL/dy_hat_i alpha_j            (no sum over i)
        dL/dz_ij    = dL/du_ij exp(z_ij)
        dL/dW_jk    = sum_i dL/dz_ij x_ik            (x_ik, not u_ik)
        dL/db_j     = sum_i dL/dz_ij
    """
    X = np.atleast_2d(np.asarray(X, float))
    y = np.asarray(y, float).reshape(-1)
    W, b, alpha = (np.asarray(a, float) for a in (W, b, alpha))
    Z = X @ W.T + b
    U = np.exp(Z)
    y_hat = U @ alpha
    dy = 2 * (y_hat - y)
    dU = dy[:, None] * alpha[None, :]
    dZ = dU * U
    return {"W": dZ.T @ X, "b": dZ.sum(axis=0), "alpha": U.T @ dy}


# ---------------------------------------------------------------------------- the document
def _md_matrix(A, digits: int = 6) -> str:
    from .explain import format_number

    A = np.atleast_2d(np.asarray(A, float))
    rows = [" & ".join(format_number(v, digits) for v in row) for row in A]
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def _vec(v) -> str:
    from .explain import format_number

    return "[" + ", ".join(format_number(x) for x in np.ravel(v)) + "]"


def _column(v) -> str:
    """A column vector as the notes write it: ``[1; 1]`` (rows separated by semicolons)."""
    from .explain import format_number

    return "[" + "; ".join(format_number(x) for x in np.ravel(v)) + "]"


def _section1(out: Path, figures: list[str]) -> list[str]:
    from .explain import describe_piecewise, describe_regions, format_number, linear_text, trace
    from .plotting import plot_regions, plot_unit_functions

    md: list[str] = ["## Section 1: Description of neural networks", ""]

    # Problem 1
    net = problem1()
    p = describe_piecewise(net)
    z_H = [linear_text(net.W_H[j], net.b_H[j], ["x"]) for j in range(net.N_h)]
    plot_unit_functions(net, (-1, 5), path=out / "problem1_units.png")
    figures.append("problem1_units.png")
    md += ["### Problem 1", "",
           f"(a) W_H has {net.N_h} rows (one per hidden unit) and W_O has {net.N_o}: "
           f"**N_h = {net.N_h}**, **N_o = {net.N_o}**.", "",
           "(b) z^H = W^H x + b^H: " + ", ".join(f"$z_{j + 1}^H = {t}$"
                                                  for j, t in enumerate(z_H)) + ".", "",
           "(c) u^H = g_act(z^H): " + "; ".join(f"`{u}`" for u in p.units) + ".", "",
           "![Problem 1: z_j^H(x) and u_j^H(x); filled dots are the values taken at the "
           "jumps](problem1_units.png)", "",
           f"(d) `{p.z_O_text}`", "", f"(e) `{p.y_hat_text}`", ""]

    # Problem 2
    net = problem2()
    p = describe_piecewise(net)
    X = [*PROBLEM2_X, PROBLEM2_TEST_X]
    y = [*PROBLEM2_Y, None]
    table = trace(net, X, y, names=["train"] * len(PROBLEM2_X) + ["test"])
    y_hat_train = net.predict(list(PROBLEM2_X))
    matches = bool(np.array_equal(y_hat_train, PROBLEM2_Y))
    plot_unit_functions(net, (-1, 6), path=out / "problem2_units.png")
    figures.append("problem2_units.png")
    md += ["### Problem 2", "",
           "(a) Data (x_i, y_i): " + ", ".join(f"({x:g}, {t})" for x, t in
                                              zip(PROBLEM2_X, PROBLEM2_Y, strict=True)) + ". "
           "Hidden features 1{x >= 2} and 1{x >= 4}: "
           f"W_H = {_column(net.W_H[:, 0])}, b_H = {_column(net.b_H)} (columns, one entry "
           f"per hidden unit), "
           f"W_O = {_vec(net.W_O[0])}, b_O = {format_number(net.b_O[0])}.", "",
           *[f"`{u}`  " for u in p.units], f"`{p.z_O_text}`  ", f"`{p.y_hat_text}`", "",
           f"The network reproduces the training labels: {'yes' if matches else 'NO'} "
           f"(y_hat = {y_hat_train.tolist()}).", "",
           "![Problem 2: the hidden units](problem2_units.png)", "",
           "(b), (c) Table 1, computed by `shallownet.trace` (row labels and the test column's "
           "z_{i2}^H corrected; see the errata):", "",
           table.to_markdown(),
           f"(c) For the test point x = {PROBLEM2_TEST_X:g} the network predicts "
           f"**y_hat = {int(net.predict(PROBLEM2_TEST_X))}**.", ""]

    # Problem 3
    net = problem3()
    r = describe_regions(net)
    syms = ["x_1", "x_2"]
    plot_regions(net, path=out / "problem3_regions.png")
    figures.append("problem3_regions.png")
    md += ["### Problem 3", "",
           "(a) z^H = W^H x + b^H: " + ", ".join(
               f"$z_{j + 1}^H = {linear_text(net.W_H[j], net.b_H[j], syms)}$"
               for j in range(net.N_h)) + ". Each unit fires on a closed half-plane:", "",
           *[f"- `{u}`" for u in r.units], "",
           "(b) z^O = " + linear_text(net.W_O[0], net.b_O[0],
                                      [f"u_{j + 1}^H" for j in range(net.N_h)]) + "; "
           f"it is >= 0 only for the activation patterns u^H = "
           f"{', '.join(str(pt) for pt in r.patterns)}:", "",
           f"`{r.y_hat_text}`", "",
           "![Problem 3: where each u_j^H = 1 and where y_hat = 1, computed from the network "
           "on a grid](problem3_regions.png)", ""]

    # Problem 4
    md += ["### Problem 4 (the notes give no solution)", "",
           "The rule of `shallownet.architecture.choose_architecture`, the one the "
           "estimators apply to data: N_i is the length of the input vector, N_o and g_out "
           "follow from the target (2 classes: one sigmoid unit; K > 2 classes: K softmax "
           "units; d real values: d identity units). N_h and g_act set the capacity, not the "
           "interface, and are free.", ""]
    for case in problem4():
        a = case.architecture
        md += [f"({case.part}) {case.task}. Input: {case.input_reading}; target: "
               f"{case.target_reading}.  ", _architecture_md(a), ""]
    alt = problem4_alternative()
    md += [f"If (c) is read as a single number (the one average over the five days), then "
           f"N_i = {alt.N_i} and the rest is unchanged (N_o = {alt.N_o}, {alt.g_out}).", ""]

    # Problem 5
    rng = np.random.default_rng(5)
    N, N_i, N_h, K = 6, 3, 4, 5
    Xb = rng.standard_normal((N, N_i))
    W_H, b_H = rng.standard_normal((N_h, N_i)), rng.standard_normal(N_h)
    W_O, b_O = rng.standard_normal((K, N_h)), rng.standard_normal(K)
    _, U_H = hidden_layer(Xb, W_H, b_H)
    _, U_O = softmax_output(U_H, W_O, b_O)
    ref = Network(W_H, b_H, W_O, b_O, activation="sigmoid", output="multiclass").forward(Xb)
    err_c = float(np.abs(U_O - ref.u_O).max())
    w_O, b_o = rng.standard_normal(N_h), float(rng.standard_normal())
    _, u_o = binary_output(U_H, w_O, b_o)
    ref_b = Network(W_H, b_H, w_O[None, :], [b_o], activation="sigmoid").forward(Xb)
    err_b = float(np.abs(u_o - ref_b.u_O[:, 0]).max())
    big = softmax_output(np.ones((2, 1)), np.array([[1000.0], [0.0]]), np.zeros(2))[1]
    src = "\n\n".join(_body(f) for f in (hidden_layer, binary_output, softmax_output))
    md += ["### Problem 5", "",
           "shallownet's vectorised versions (the functions in `shallownet.problems`, run to "
           "make this document):", "", "```python", src, "```", "",
           f"On a random batch (N = {N}, N_i = {N_i}, N_h = {N_h}, K = {K}) they agree with "
           f"`Network.forward`: max |difference| {err_b:.1e} for (b), {err_c:.1e} for (c). "
           f"With a logit of 1000 the max-subtracted softmax gives "
           f"{[float(v) for v in big[0]]}, with no overflow.", "",
           "The notes' 5(c) normalises with `np.sum(expZo,axis=1)[None,:]`: a row vector, so "
           "entry (i, k) is divided by the sum of row k, not row i. With N = K it runs and "
           "the rows do not sum to 1; with any other batch size N > 1 it raises a "
           "broadcasting error; only a single sample (N = 1) comes out right. The fix is "
           "`[:, None]` (or `keepdims=True`). Without subtracting each row's maximum, "
           "`np.exp` also overflows for logits above about 709. See the errata (E10, E11). "
           "Its hidden layer 5(a) uses the sigmoid, one choice of g_act.", ""]
    return md


def _body(f) -> str:
    """A function's source without its docstring (what runs)."""
    src = inspect.getsource(f)
    head, _, rest = src.partition('"""')
    _, _, after = rest.partition('"""')
    lines = [ln for ln in after.splitlines() if ln.strip()]
    return head.rstrip() + "\n" + "\n".join(lines)


def _section2() -> list[str]:
    from . import graph

    rng = np.random.default_rng(2)
    md = ["## Section 2: Multivariate gradients and chain rule", "",
          "Each closed form of the solutions evaluated at a random point and compared with "
          "`shallownet.jacobian` (exact through the graph engine, or central differences).",
          ""]
    # Problem 1
    x = np.array([1.0, 2.0, 3.0])

    def f1(v):
        return graph.stack([v[0] + v[1] * v[2], v[0] ** 2 + 3 * v[1]])
    J = jacobian(f1, x)
    closed = np.array([[1, x[2], x[1]], [2 * x[0], 3, 0]])
    md += ["### Problem 1", "",
           f"At x = {x.tolist()}: $\\partial f/\\partial x = {_md_matrix(J)}$, the closed form "
           f"gives ${_md_matrix(closed)}$ (max |difference| "
           f"{np.abs(J - closed).max():.1e}).", ""]
    # Problem 2
    N, p_ = 5, 3
    Xd = rng.standard_normal((N, p_))
    yd = rng.integers(0, 2, N).astype(float)
    w, b0 = rng.standard_normal(p_), 0.3

    def J_of_w(wv):
        z = Xd @ wv + b0
        return np.sum(np.logaddexp(0, z) - yd * z)
    z = Xd @ w + b0
    dJdz = sigmoid(z) - yd
    dw_closed = Xd.T @ dJdz                   # sum over i, as 2(c) should say
    dw_num = jacobian(J_of_w, w, method="numeric")
    md += ["### Problem 2", "",
           "dJ/dz_i = e^{z_i}/(1 + e^{z_i}) - y_i; dz_i/dw_j = x_ij; "
           "dJ/dw_j = **sum_i** dJ/dz_i x_ij and dJ/db = **sum_i** dJ/dz_i (the notes' 2(c) "
           f"omits the sum). Max |closed form - jacobian| for dJ/dw: "
           f"{np.abs(dw_closed - dw_num).max():.1e}.", ""]
    # Problem 3
    n_in, n_out = 3, 4
    W = rng.standard_normal((n_out, n_in))
    bb = rng.standard_normal(n_out)
    xv = rng.standard_normal(n_in)
    zv = W @ xv + bb
    fp = sigmoid(zv) * (1 - sigmoid(zv))
    du_dW_closed = np.zeros((n_out, n_out, n_in))
    du_dW_closed[np.arange(n_out), np.arange(n_out), :] = fp[:, None] * xv[None, :]
    du_dW = jacobian(lambda Wv: sigmoid(Wv @ xv + bb), W, method="numeric")
    du_dx = jacobian(lambda xx: sigmoid(W @ xx + bb), xv, method="numeric")
    md += ["### Problem 3", "",
           "du_i/dz_j = f'(z_i) 1{i = j} with f'(z) = e^{-z}/(1 + e^{-z})^2; "
           "du_i/dW_ij = f'(z_i) x_j (zero for other rows), du_i/db_i = f'(z_i), "
           "du_i/dx_j = f'(z_i) W_ij. Max |closed form - jacobian|: du/dW "
           f"{np.abs(du_dW - du_dW_closed).max():.1e}, du/dx "
           f"{np.abs(du_dx - fp[:, None] * W).max():.1e}.", ""]
    # Problem 4
    yv = rng.standard_normal(n_out)
    dL_dW = jacobian(lambda Wv: np.sum((yv - (Wv @ xv + bb)) ** 2), W, method="numeric")
    closed4 = 2 * (zv - yv)[:, None] * xv[None, :]
    md += ["### Problem 4", "",
           "dL/dz_i = 2(z_i - y_i), dL/dW_ij = 2(z_i - y_i) x_j, dL/db_i = 2(z_i - y_i), "
           "dL/dx_j = sum_i 2(z_i - y_i) W_ij (gradients of L, which the notes' 4(b),(c) write "
           f"as du_i/...). Max |closed form - jacobian| for dL/dW: "
           f"{np.abs(dL_dW - closed4).max():.1e}.", ""]
    return md


def _section3(out: Path, figures: list[str]) -> list[str]:
    from . import graph

    md = ["## Section 3: Gradient descent training", ""]
    # Problem 1: ReLU + softmax, three derivations
    rng = np.random.default_rng(3)
    N, N_i, N_h, K = 6, 3, 4, 3
    X = rng.standard_normal((N, N_i))
    y = rng.integers(0, K, N)
    net = Network(rng.standard_normal((N_h, N_i)), rng.standard_normal(N_h),
                  rng.standard_normal((K, N_h)), rng.standard_normal(K),
                  activation="relu", output="multiclass")
    g_net = net.gradients(X, y)
    L = graph.network_graph(net, X, y)
    L.backward()
    g_graph = {k: v.grad for k, v in L.parameters().items()}
    def loss_with(name):  # L as a function of one parameter array, the others fixed
        return lambda P: Network(**{**net.params, name: P}, activation=net.activation,
                                 output=net.output).loss(X, y)

    g_fd = {k: jacobian(loss_with(k), P, method="numeric") for k, P in net.params.items()}
    diff_graph = max(float(np.abs(g_net[k] - g_graph[k]).max()) for k in g_net)
    diff_fd = max(float(np.abs(g_net[k] - g_fd[k]).max()) for k in g_net)
    md += ["### Problem 1 (ReLU hidden layer, softmax output, loss (18))", "",
           "dL/dz_ij^O = softmax(z_i^O)_j - r_ij; dL/dW_jk^O = sum_i dL/dz_ij^O u_ik^H; "
           "dL/db_j^O = sum_i dL/dz_ij^O; dL/du_ik^H = sum_j dL/dz_ij^O W_jk^O; "
           "dL/dz_ij^H = dL/du_ij^H 1{z_ij^H > 0}; dL/dW_jk^H = sum_i dL/dz_ij^H x_ik; "
           "dL/db_j^H = sum_i dL/dz_ij^H (indices corrected; see the errata).", "",
           f"On a random batch (N = {N}, N_i = {N_i}, N_h = {N_h}, K = {K}): `Network.gradients`"
           f" vs the graph engine: max |difference| {diff_graph:.1e}; vs central differences: "
           f"{diff_fd:.1e}.", ""]
    # Problem 2
    M, n_in = 3, 2
    X2 = rng.standard_normal((5, n_in))
    y2 = rng.standard_normal(5)
    W, b, alpha = 0.5 * rng.standard_normal((M, n_in)), 0.1 * rng.standard_normal(M), \
        rng.standard_normal(M)
    L2 = graph.problem2_graph(X2, y2, W, b, alpha)
    L2.backward()
    closed = section3_problem2_gradients(X2, y2, W, b, alpha)
    diff2 = max(float(np.abs(L2.parameters()[k].grad - closed[k]).max()) for k in closed)
    md += ["### Problem 2 (z = W x + b, u = exp(z), y_hat = alpha^T u, squared loss)", "",
           "(a) z_i = W x_i + b, u_i = exp(z_i), y_hat_i = alpha^T u_i, "
           "L = sum_i (y_i - y_hat_i)^2; the graph is Figure 2 below.", "",
           "(b) dL/dy_hat_i = 2(y_hat_i - y_i); dL/dalpha_j = sum_i dL/dy_hat_i u_ij; "
           "dL/du_ij = dL/dy_hat_i alpha_j; dL/dz_ij = dL/du_ij exp(z_ij); "
           "dL/dW_jk = sum_i dL/dz_ij x_ik; dL/db_j = sum_i dL/dz_ij.", "",
           f"Built with `shallownet.graph.problem2_graph` on a random batch (N = 5, n_in = "
           f"{n_in}, M = {M}): back-propagation vs these closed forms: max |difference| "
           f"{diff2:.1e}.", ""]
    # Figures 1 and 2
    md += ["### Figures 1 and 2: the computation graphs", "",
           "Data nodes light green, parameters light blue, as in the notes.", ""]
    for name, node, caption in (
            ("figure1", graph.figure1_graph(), "Figure 1: the network's computation graph"),
            ("figure2", graph.figure2_graph(), "Figure 2: Problem 2's computation graph")):
        dot_path = out / f"{name}.dot"
        dot_path.write_text(graph.to_dot(node))
        # drawn with matplotlib, so every figure appears without Graphviz; Graphviz's SVG
        # (its own layout) is added when its dot program is installed
        graph.draw(node, out / f"{name}.png", title=caption)
        figures.extend([f"{name}.png", dot_path.name])
        md += [f"![{caption}]({name}.png)", ""]
        try:
            graph.render(node, out / f"{name}.svg")
        except graph.GraphvizNotFoundError:
            continue
        figures.append(f"{name}.svg")
        md += [f"The same graph laid out by Graphviz: [{name}.svg]({name}.svg).", ""]
    return md


def write_solutions(out_dir="solutions") -> Path:
    """Solve every worked problem of the notes with shallownet and write ``solutions.md``.

    The figures are written next to it: ``problem1_units.png``, ``problem2_units.png``,
    ``problem3_regions.png`` and Figures 1 and 2 as ``figure1.png``/``figure2.png`` (drawn with
    matplotlib), their DOT text (``.dot``) and, when Graphviz's ``dot`` is installed, an SVG
    laid out by Graphviz.

    Parameters
    ----------
    out_dir : str or Path
        The folder to write into (created if needed; files there with the same names are
        replaced).

    Returns
    -------
    Path
        The path of ``solutions.md``.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir {str(out)!r} is a file; give a folder for the solutions")
    out.mkdir(parents=True, exist_ok=True)
    figures: list[str] = []
    md = ["# Solutions to the notes' problems, computed by shallownet", "",
          "Every number, table, formula and figure below was produced by shallownet from the "
          "problems' data when this file was written (`shallownet problems`). Errors found in "
          "the notes are listed, with the tests that prove the corrections, in "
          "`docs/errata.md`. Classes are numbered from 0 in code.", ""]
    md += _section1(out, figures)
    md += _section2()
    md += _section3(out, figures)
    md += ["## Files", "", *[f"- [{f}]({f})" for f in figures], ""]
    path = out / "solutions.md"
    path.write_text("\n".join(md))
    return path


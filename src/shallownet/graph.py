"""Computation graphs and back-propagation on array-valued nodes (section 3).

A :class:`Node` holds a value (a numpy array), the nodes it was computed from (its parents),
and the local rule that sends a gradient back to those parents. Every operation below builds
its output and, right beside it, that rule::

    def exp(a):
        out = Node(np.exp(a.value), (a,), "exp")
        out._backward = lambda g: (g * out.value,)      # d e^a / da = e^a
        return out

``L.backward()`` sorts the graph topologically and makes one reverse sweep, applying the
tensor chain rule of section 2 at every node: the gradient ``g = dL/d(out)`` arrives, and each
parent receives ``dL/d(parent) = dL/d(out) . d(out)/d(parent)``. Afterwards every node's
``.grad`` holds dL/d(node), with the node's own shape (the notes' "drop the index over the
single output" convention for a scalar L).

The notes' colours are kept: data nodes (:func:`data`, ``x_i`` and ``y_i``) are light green,
parameter nodes (:func:`param`, theta of (14)) light blue, computational nodes white, in
:func:`to_dot` and :func:`render` (Figures 1 and 2).

Building blocks
---------------
* ``a @ b`` matrix product; ``linear(x, W, b)`` the layer z = W x + b of (13) in batch form
  (10): ``x`` (N, n_in), ``W`` (m, n_in), ``b`` (m,) give z (N, m).
* ``+ - * /`` with numpy broadcasting (the backward sums over the broadcast axes), ``-a``,
  ``a ** c`` for a constant c, ``a.T``, ``a[index]``, :func:`stack`.
* :func:`exp`, :func:`log`, :func:`sigmoid`, :func:`relu`, :func:`threshold` (2),
  :func:`sum` / :func:`mean` with ``axis``.
* Losses, each the *sum* over samples of (16) in a stable form:
  :func:`binary_cross_entropy` (17), :func:`categorical_cross_entropy` (18)/(19),
  :func:`squared_error` (20).

Models
------
* :func:`network_graph` the notes' network (1) as in Figure 1;
* :func:`problem2_graph` the model of section 3, Problem 2 as in Figure 2;
* :func:`figure1_graph`, :func:`figure2_graph` both on small example data, for drawing.

Everything is float64 unless asked otherwise.

Example
-------
>>> from shallownet import graph
>>> L = graph.figure1_graph()                 # the loss of Figure 1 on a small batch
>>> L.backward()
>>> L.parameters()["W_H"].grad.shape          # dL/dW_H, shaped like W_H (N_h, N_i)
(3, 2)
>>> dot_text = graph.to_dot(L, title="Figure 1")
>>> # graph.render(L, "figure1.svg") needs Graphviz; "figure1.dot" never does
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy.special import expit

__all__ = [
    "Node", "param", "data", "constant", "as_node",
    "add", "subtract", "multiply", "divide", "power", "matmul", "transpose", "getitem",
    "linear", "exp", "log", "sigmoid", "relu", "threshold", "sum", "mean", "stack",
    "binary_cross_entropy", "categorical_cross_entropy", "squared_error",
    "network_graph", "problem2_graph", "figure1_graph", "figure2_graph",
    "to_dot", "render", "draw", "layout", "GraphvizNotFoundError",
]

_KINDS = ("param", "data", "const", "op")


class Node:
    """One node of a computation graph: a value, its parents and its local backward rule.

    Parameters
    ----------
    value : array-like
        The node's value (kept as given; see :func:`param` and :func:`data` for float64).
    parents : tuple of Node
        The nodes this value was computed from.
    op : str
        The operation's name ("exp", "@", "+", ...); "" for leaves.
    name : str, optional
        A name such as "z_H", shown by :func:`to_dot`.
    kind : {"op", "param", "data", "const"}
        Parameters are light blue and data light green in the figures.

    Attributes
    ----------
    grad : ndarray or None
        dL/d(node) after ``L.backward()``, same shape as ``value``.
    """

    # numpy hands `ndarray + Node` etc. to Node's reflected operators, and refuses its ufuncs
    # (np.exp(node) raises TypeError: use graph.exp).
    __array_ufunc__ = None

    def __init__(self, value, parents: tuple = (), op: str = "", name: str | None = None,
                 kind: str = "op"):
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
        self.value = np.asarray(value)
        self.parents = tuple(parents)
        self.op = op
        self.name = name
        self.kind = kind
        self.grad: np.ndarray | None = None
        # Returns one gradient per parent (None where a parent has no derivative).
        self._backward: Callable[[np.ndarray], tuple] = lambda g: ()

    # ------------------------------------------------------------------ basics
    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def size(self) -> int:
        return self.value.size

    @property
    def label(self) -> str:
        """The name if there is one, else the operation (what :func:`to_dot` prints)."""
        if self.name:
            return self.name
        if self.kind == "const":
            return _short_repr(self.value)
        return self.op or "?"

    def named(self, name: str) -> Node:
        """Give the node a name (e.g. "z_H") and return it, for chaining."""
        self.name = name
        return self

    def __repr__(self) -> str:
        who = f"{self.name!r}, " if self.name else ""
        return f"Node({who}{self.kind}, op={self.op!r}, shape={self.shape})"

    # ------------------------------------------------------------------ traversal
    def topological_order(self) -> list[Node]:
        """Every node this one depends on, each after all of its parents (this node last)."""
        order: list[Node] = []
        seen: set[int] = set()
        stack: list[tuple[Node, bool]] = [(self, False)]
        while stack:  # iterative depth-first search: deep graphs need no recursion limit
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node.parents) if id(p) not in seen)
        return order

    def parameters(self) -> dict[str, Node]:
        """The parameter nodes this node depends on, by name (unnamed ones as "param<k>")."""
        params = [n for n in self.topological_order() if n.kind == "param"]
        return {(n.name or f"param{k}"): n for k, n in enumerate(params)}

    def find(self, name: str) -> Node:
        """The node called ``name`` in this node's graph."""
        for n in self.topological_order():
            if n.name == name:
                return n
        raise KeyError(f"no node named {name!r} in this graph")

    # ------------------------------------------------------------------ back-propagation
    def backward(self, seed=None) -> None:
        """Fill ``.grad`` of every node in the graph with d(self)/d(node).

        Parameters
        ----------
        seed : array-like, optional
            dL/d(self) to start from. May be left out when this node is a scalar (the loss L
            of (16)): the seed is then 1. For a non-scalar node, passing ``seed`` = v gives
            the gradient of ``sum(v * self)``.
        """
        self._backprop(self.topological_order(), seed)

    def _backprop(self, order: list[Node], seed) -> None:
        if seed is None:
            if self.size != 1:
                raise ValueError(
                    f"backward() starts from a scalar; this node has shape {self.shape}. "
                    "Reduce it first (graph.sum) or pass seed= with the same shape"
                )
            seed = np.ones(self.shape)
        seed = np.asarray(seed, dtype=_grad_dtype(self.value))
        if seed.shape != self.shape:
            raise ValueError(f"seed has shape {seed.shape}, but the node has shape {self.shape}")
        for node in order:
            node.grad = np.zeros(node.shape, dtype=_grad_dtype(node.value))
        self.grad = seed.copy()
        for node in reversed(order):
            for parent, g in zip(node.parents, node._backward(node.grad), strict=True):
                if g is not None:
                    parent.grad += g

    # ------------------------------------------------------------------ operators
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return subtract(self, other)

    def __rsub__(self, other):
        return subtract(other, self)

    def __mul__(self, other):
        return multiply(self, other)

    def __rmul__(self, other):
        return multiply(other, self)

    def __truediv__(self, other):
        return divide(self, other)

    def __rtruediv__(self, other):
        return divide(other, self)

    def __neg__(self):
        return multiply(self, -1.0)

    def __pow__(self, c):
        return power(self, c)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __getitem__(self, index):
        return getitem(self, index)

    @property
    def T(self) -> Node:
        return transpose(self)

    def sum(self, axis=None, keepdims: bool = False) -> Node:
        return sum(self, axis=axis, keepdims=keepdims)


def _grad_dtype(value: np.ndarray):
    return value.dtype if np.issubdtype(value.dtype, np.floating) else np.float64


def _short_repr(value: np.ndarray) -> str:
    if value.size == 1:
        return f"{value.item():g}"
    return f"const {value.shape}"


# ---------------------------------------------------------------------- leaves
def param(value, name: str | None = None, dtype=np.float64) -> Node:
    """A parameter node (light blue): part of theta of (14), e.g. ``param(W_H, "W_H")``."""
    return Node(_float_array(value, name or "param", dtype), kind="param", name=name)


def data(value, name: str | None = None, dtype=None) -> Node:
    """A data node (light green): inputs x_i or targets y_i.

    Floating and real values become float64 (or ``dtype``); integer arrays stay integers, so
    class indices for :func:`categorical_cross_entropy` can be data nodes too.
    """
    a = np.asarray(value)
    if dtype is None and a.dtype.kind in "iu":
        return Node(a, kind="data", name=name)
    return Node(_float_array(value, name or "data", dtype or np.float64), kind="data", name=name)


def constant(value, name: str | None = None) -> Node:
    """A fixed value that is neither data nor a parameter (drawn white)."""
    return Node(_float_array(value, name or "constant", np.float64), kind="const", name=name)


def as_node(value) -> Node:
    """Return ``value`` if it is a Node, else wrap it as a :func:`constant`."""
    return value if isinstance(value, Node) else constant(value)


def _float_array(value, what: str, dtype) -> np.ndarray:
    if isinstance(value, Node):
        raise TypeError(f"{what} is already a graph Node; pass its .value to make a new leaf")
    try:
        return np.array(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must be numeric, got {value!r}") from exc


def _unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` over the axes numpy broadcasting added or stretched, giving back ``shape``.

    If a (N, m) result came from a (m,) operand, that operand was used N times, so its
    gradient is the sum of the N row gradients (the bias b in z_i = W x_i + b).
    """
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    stretched = tuple(ax for ax, n in enumerate(shape) if n == 1 and g.shape[ax] != 1)
    return g.sum(axis=stretched, keepdims=True) if stretched else g


# ---------------------------------------------------------------------- arithmetic
def add(a, b, name: str | None = None) -> Node:
    """a + b with broadcasting: d(a+b)/da = d(a+b)/db = 1."""
    a, b = as_node(a), as_node(b)
    out = Node(a.value + b.value, (a, b), "+", name)
    out._backward = lambda g: (_unbroadcast(g, a.shape), _unbroadcast(g, b.shape))
    return out


def subtract(a, b, name: str | None = None) -> Node:
    """a - b with broadcasting: d/da = 1, d/db = -1."""
    a, b = as_node(a), as_node(b)
    out = Node(a.value - b.value, (a, b), "-", name)
    out._backward = lambda g: (_unbroadcast(g, a.shape), _unbroadcast(-g, b.shape))
    return out


def multiply(a, b, name: str | None = None) -> Node:
    """Elementwise a * b with broadcasting: d/da = b, d/db = a."""
    a, b = as_node(a), as_node(b)
    out = Node(a.value * b.value, (a, b), "*", name)
    out._backward = lambda g: (_unbroadcast(g * b.value, a.shape),
                               _unbroadcast(g * a.value, b.shape))
    return out


def divide(a, b, name: str | None = None) -> Node:
    """Elementwise a / b with broadcasting: d/da = 1/b, d/db = -a/b^2."""
    a, b = as_node(a), as_node(b)
    out = Node(a.value / b.value, (a, b), "/", name)
    out._backward = lambda g: (_unbroadcast(g / b.value, a.shape),
                               _unbroadcast(-g * out.value / b.value, b.shape))
    return out


def power(a, c, name: str | None = None) -> Node:
    """a ** c for a constant exponent c: d(a^c)/da = c a^(c-1)."""
    if isinstance(c, Node) or np.ndim(c) != 0:
        raise TypeError("the exponent of ** must be a constant number; write exp(c * log(a)) "
                        "for a variable exponent")
    a, c = as_node(a), float(c)
    out = Node(a.value ** c, (a,), f"**{c:g}", name)
    out._backward = lambda g: (g * c * a.value ** (c - 1),)
    return out


def matmul(a, b, name: str | None = None) -> Node:
    """Matrix product a @ b of vectors and matrices (numpy's rules for 1-D and 2-D operands).

    With C = A B: dL/dA = dL/dC B^T and dL/dB = A^T dL/dC; a vector operand takes the
    matching outer product or matrix-vector product.
    """
    a, b = as_node(a), as_node(b)
    if a.ndim not in (1, 2) or b.ndim not in (1, 2):
        raise ValueError(f"@ takes vectors and matrices; got shapes {a.shape} and {b.shape}")
    out = Node(a.value @ b.value, (a, b), "@", name)

    def backward(g):
        A, B = a.value, b.value
        if A.ndim == 2 and B.ndim == 2:
            return g @ B.T, A.T @ g
        if A.ndim == 2:                      # (m, n) @ (n,) -> (m,)
            return np.outer(g, B), A.T @ g
        if B.ndim == 2:                      # (n,) @ (n, m) -> (m,)
            return B @ g, np.outer(A, g)
        return g * B, g * A                  # (n,) @ (n,) -> scalar

    out._backward = backward
    return out


def linear(x, W, b, name: str | None = None) -> Node:
    """The linear layer z = W x + b of (13), (1); in batch form (10): Z = X W^T + b.

    Parameters
    ----------
    x : Node, (N, n_in) or (n_in,)
        One sample per row.
    W : Node, (m, n_in)
    b : Node, (m,)

    Backward, from (13) dz_ij/dW_jk = x_ik, dz_ij/db_j = 1, dz_ij/dx_ik = W_jk and the chain
    rule summed over the samples i: dL/dW = (dL/dZ)^T X, dL/db = sum_i dL/dz_i,
    dL/dX = (dL/dZ) W.
    """
    x, W, b = as_node(x), as_node(W), as_node(b)
    if W.ndim != 2 or b.ndim != 1 or x.ndim not in (1, 2):
        raise ValueError(f"linear needs x (N, n_in) or (n_in,), W (m, n_in), b (m,); got "
                         f"{x.shape}, {W.shape}, {b.shape}")
    if x.shape[-1] != W.shape[1] or b.shape[0] != W.shape[0]:
        raise ValueError(f"linear: x {x.shape}, W {W.shape} and b {b.shape} do not fit "
                         "z = W x + b; W must be (m, n_in) and b (m,)")
    out = Node(x.value @ W.value.T + b.value, (x, W, b), "linear", name)

    def backward(g):
        G = np.atleast_2d(g)
        X = np.atleast_2d(x.value)
        return (g @ W.value,             # dL/dx_ik = sum_j dL/dz_ij W_jk
                G.T @ X,                 # dL/dW_jk = sum_i dL/dz_ij x_ik
                G.sum(axis=0))           # dL/db_j  = sum_i dL/dz_ij

    out._backward = backward
    return out


def transpose(a, name: str | None = None) -> Node:
    """a.T (all axes reversed); its gradient is the gradient transposed back."""
    a = as_node(a)
    out = Node(a.value.T, (a,), "T", name)
    out._backward = lambda g: (g.T,)
    return out


def getitem(a, index, name: str | None = None) -> Node:
    """a[index]; the gradient goes back to the picked entries (added up if picked twice)."""
    a = as_node(a)
    out = Node(a.value[index], (a,), "[]", name)

    def backward(g):
        ga = np.zeros(a.shape, dtype=_grad_dtype(a.value))
        np.add.at(ga, index, g)
        return (ga,)

    out._backward = backward
    return out


def stack(nodes: Sequence, axis: int = 0, name: str | None = None) -> Node:
    """Stack equal-shaped nodes along a new axis (e.g. build a vector from scalars)."""
    nodes = [as_node(n) for n in nodes]
    if not nodes:
        raise ValueError("stack needs at least one node")
    out = Node(np.stack([n.value for n in nodes], axis=axis), tuple(nodes), "stack", name)
    out._backward = lambda g: tuple(np.moveaxis(g, axis, 0))
    return out


# ---------------------------------------------------------------------- elementwise functions
def exp(a, name: str | None = None) -> Node:
    """e^a elementwise: d e^a / da = e^a."""
    a = as_node(a)
    out = Node(np.exp(a.value), (a,), "exp", name)
    out._backward = lambda g: (g * out.value,)
    return out


def log(a, name: str | None = None) -> Node:
    """ln a elementwise: d ln a / da = 1/a."""
    a = as_node(a)
    out = Node(np.log(a.value), (a,), "log", name)
    out._backward = lambda g: (g / a.value,)
    return out


def sigmoid(a, name: str | None = None) -> Node:
    """u = 1/(1 + e^{-a}) (never overflows): du/da = u (1 - u), section 2 Problem 3(a)."""
    a = as_node(a)
    out = Node(expit(a.value), (a,), "sigmoid", name)
    out._backward = lambda g: (g * out.value * (1 - out.value),)
    return out


def relu(a, name: str | None = None) -> Node:
    """max(0, a): derivative 1 where a > 0, 0 where a < 0 (0 taken at a = 0)."""
    a = as_node(a)
    out = Node(np.maximum(a.value, 0), (a,), "relu", name)
    out._backward = lambda g: (g * (a.value > 0),)
    return out


def threshold(a, name: str | None = None) -> Node:
    """The step of (2): 1 if a >= 0 else 0. Its derivative is 0 wherever it exists."""
    a = as_node(a)
    out = Node((a.value >= 0).astype(_grad_dtype(a.value)), (a,), "threshold", name)
    out._backward = lambda g: (np.zeros_like(g),)
    return out


def _axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(int(ax) % ndim for ax in axes)


def sum(a, axis=None, keepdims: bool = False, name: str | None = None) -> Node:  # noqa: A001
    """Sum over ``axis`` (all axes by default): every summed entry gets the same gradient."""
    a = as_node(a)
    axes = _axes(axis, a.ndim)
    out = Node(a.value.sum(axis=axes, keepdims=keepdims), (a,), "sum", name)

    def backward(g):
        g = g if keepdims else np.expand_dims(g, axes)
        return (np.broadcast_to(g, a.shape).copy(),)

    out._backward = backward
    return out


def mean(a, axis=None, keepdims: bool = False, name: str | None = None) -> Node:
    """Mean over ``axis``: the sum divided by the number of entries summed."""
    a = as_node(a)
    count = int(np.prod([a.shape[ax] for ax in _axes(axis, a.ndim)]))
    return multiply(sum(a, axis=axis, keepdims=keepdims), 1.0 / count, name=name)


# ---------------------------------------------------------------------- losses (16)-(20)
def _target(y, like: Node, what: str) -> Node:
    y = y if isinstance(y, Node) else data(y, "y")
    if y.shape != like.shape:
        raise ValueError(f"{what}: the targets y have shape {y.shape} but z has shape "
                         f"{like.shape}; give one target per logit")
    return y


def binary_cross_entropy(z, y, name: str | None = None) -> Node:
    """L = sum_i [ln(1 + e^{z_i}) - y_i z_i], (16) with (17); ln(1 + e^z) as logaddexp(0, z).

    ``z`` are the logits and ``y`` the 0/1 targets, with the same shape ((N,) or (N, 1)).
    dL/dz_i = sigmoid(z_i) - y_i (section 2, Problem 2(a)); dL/dy_i = -z_i.
    """
    z = as_node(z)
    y = _target(y, z, "binary_cross_entropy")
    Z, Y = z.value, y.value
    out = Node(np.sum(np.logaddexp(0, Z) - Y * Z), (z, y), "BCE (17)", name)
    out._backward = lambda g: (g * (expit(Z) - Y), -g * Z)
    return out


def categorical_cross_entropy(z, y, name: str | None = None) -> Node:
    """L = sum_i [ln sum_l e^{z_il} - z_{i,y_i}], (16) with (18)/(19), by log-sum-exp.

    ``z`` (N, K) are logits and ``y`` (N,) integer class indices 0..K-1 (the notes count
    1..K). A single sample may be given as z (K,) and a scalar y.
    dL/dz_ik = softmax(z_i)_k - r_ik (section 3, Problem 1); y gets no gradient.
    """
    z = as_node(z)
    y = y if isinstance(y, Node) else data(np.asarray(y), "y")
    Z = np.atleast_2d(z.value)
    t = np.atleast_1d(y.value)
    if z.ndim not in (1, 2) or t.ndim != 1 or t.shape[0] != Z.shape[0]:
        raise ValueError(f"categorical_cross_entropy needs z (N, K) and y (N,); got "
                         f"{z.shape} and {y.shape}")
    if t.dtype.kind not in "iu" and not np.all(np.mod(t, 1) == 0):
        raise ValueError("y must hold integer class indices 0..K-1 (0-based)")
    t = t.astype(np.int64)
    if t.size and (t.min() < 0 or t.max() >= Z.shape[1]):
        raise ValueError(f"class indices must lie in 0..{Z.shape[1] - 1}; found "
                         f"{t.min()}..{t.max()} (0-based; the notes count 1..K)")
    rows = np.arange(Z.shape[0])
    shifted = Z - Z.max(axis=1, keepdims=True)          # log-sum-exp without overflow
    lse = np.log(np.exp(shifted).sum(axis=1))
    out = Node(np.sum(lse - shifted[rows, t]), (z, y), "CCE (18)", name)

    def backward(g):
        r = np.zeros_like(Z)
        r[rows, t] = 1                                   # one-hot r_ik of (19)
        softmax = np.exp(shifted - lse[:, None])         # (5)
        return (g * (softmax - r)).reshape(z.shape), None

    out._backward = backward
    return out


def squared_error(z, y, name: str | None = None) -> Node:
    """L = sum_i ||z_i - y_i||^2, (16) with (20). dL/dz = 2 (z - y), dL/dy = -2 (z - y)."""
    z = as_node(z)
    y = _target(y, z, "squared_error")
    diff = z.value - y.value
    out = Node(np.sum(diff * diff), (z, y), "SE (20)", name)
    out._backward = lambda g: (2 * g * diff, -2 * g * diff)
    return out


_LOSSES = {"binary": binary_cross_entropy, "multiclass": categorical_cross_entropy,
           "regression": squared_error}
_ACTS = {"threshold": threshold, "sigmoid": sigmoid, "relu": relu}


# ---------------------------------------------------------------------- models
def network_graph(net, X, y) -> Node:
    """The notes' network (1) with loss (16) as a computation graph, as in Figure 1.

    Data nodes ``x`` and ``y``; parameter nodes ``W_H, b_H, W_O, b_O`` (float64 copies of the
    network's parameters); computational nodes::

        z_H = linear(x, W_H, b_H)   u_H = g_act(z_H)   z_O = linear(u_H, W_O, b_O)
        L = sum_i g_loss(z_O_i, y_i)

    Parameters
    ----------
    net : shallownet.Network
    X, y : array-like
        Inputs and targets as ``Network.loss`` takes them.

    Returns
    -------
    Node
        The loss L. ``L.backward()`` then gives ``L.parameters()[name].grad``, equal to
        ``net.gradients(X, y)[name]``; ``L.find("z_H")`` etc. reach the other nodes.
    """
    X2, _ = net.as_batch(X)
    T = net.encode_targets(y, X2.shape[0])
    x = data(X2, "x")
    y_node = data(T, "y")
    W_H, b_H, W_O, b_O = (param(getattr(net, n), n) for n in ("W_H", "b_H", "W_O", "b_O"))
    z_H = linear(x, W_H, b_H, name="z_H")                      # (10a)
    u_H = _ACTS[net.activation.name](z_H, name="u_H")          # (2)
    z_O = linear(u_H, W_O, b_O, name="z_O")                    # (10b)
    return _LOSSES[net.output.name](z_O, y_node, name="L")     # (16)-(20)


def problem2_graph(X, y, W, b, alpha) -> Node:
    """Section 3, Problem 2: z_i = W x_i + b, u_i = exp(z_i), y_hat_i = alpha^T u_i,
    L = sum_i (y_i - y_hat_i)^2 (Figure 2).

    Parameters
    ----------
    X : array-like (N, n_in)
        Inputs x_i as rows. y : (N,) targets. W : (M, n_in), b : (M,), alpha : (M,).

    Returns
    -------
    Node
        The loss L; its parameters are named "W", "b", "alpha" and the intermediate nodes
        "z", "u", "y_hat".
    """
    x = data(np.atleast_2d(X), "x")
    y_node = data(np.atleast_1d(y), "y")
    z = linear(x, param(W, "W"), param(b, "b"), name="z")
    u = exp(z, name="u")
    y_hat = matmul(u, param(alpha, "alpha"), name="y_hat")
    return squared_error(y_hat, y_node, name="L")


def figure1_graph(activation: str = "sigmoid", output: str = "binary", seed: int = 0) -> Node:
    """The loss L of Figure 1: the notes' network on a small random batch (N=4, N_i=2, N_h=3)."""
    from .network import Network

    rng = np.random.default_rng(seed)
    N_o = 1 if output == "binary" else 3
    net = Network.init(2, 3, N_o, activation=activation, output=output, seed=seed,
                       dtype=np.float64)
    X = rng.standard_normal((4, 2))
    y = {"binary": rng.integers(0, 2, 4), "multiclass": rng.integers(0, 3, 4),
         "regression": rng.standard_normal((4, N_o))}[output]
    return network_graph(net, X, y)


def figure2_graph(seed: int = 0) -> Node:
    """The loss L of Figure 2: Problem 2's model on a small random batch (N=4, n_in=2, M=3)."""
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((4, 2)), rng.standard_normal(4)
    W, b, alpha = 0.5 * rng.standard_normal((3, 2)), np.zeros(3), rng.standard_normal(3)
    return problem2_graph(X, y, W, b, alpha)


# ---------------------------------------------------------------------- drawing
_FILL = {"data": "palegreen", "param": "lightblue", "op": "white", "const": "white"}


def _dot_quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


_GREEK = {"alpha": "\u03b1", "beta": "\u03b2", "gamma": "\u03b3", "theta": "\u03b8",
          "lambda": "\u03bb", "sigma": "\u03c3"}


def _html_label(name: str) -> str:
    """A name as the notes typeset it: "z_H" -> z with subscript H, "y_hat" -> y with a hat,
    "alpha" -> the Greek letter (Graphviz HTML-like label)."""
    def esc(t: str) -> str:
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    base, _, sub = name.partition("_")
    if sub == "hat":
        base, sub = base + "\u0302", ""
    base = _GREEK.get(base, base)
    return f"<{esc(base)}<SUB>{esc(sub)}</SUB>>" if sub else f"<{esc(base)}>"


def to_dot(node: Node, *, title: str | None = None, pretty: bool = True) -> str:
    """The graph that computes ``node`` as Graphviz DOT text, drawn as in Figures 1 and 2.

    Data nodes are filled light green ("palegreen"), parameter nodes light blue
    ("lightblue"), computational nodes white; each is a circle labelled with its name, and
    edges run from the inputs to the loss, left to right. Unnamed computational nodes are
    smaller boxes labelled with their operation.

    Parameters
    ----------
    node : Node
        The root, usually the loss L.
    title : str, optional
        A caption above the drawing.
    pretty : bool, default True
        Typeset names as the notes do (z_H with a subscript, y_hat with a hat, alpha as a
        Greek letter) with Graphviz HTML-like labels; False gives the plain names as quoted
        strings (``label="z_H"``).
    """
    if not isinstance(node, Node):
        raise TypeError(f"to_dot draws a graph Node, got {type(node).__name__}")
    order = node.topological_order()
    ids = {id(n): f"n{k}" for k, n in enumerate(order)}
    lines = ["digraph computation_graph {", '  rankdir=LR; fontname="Helvetica";',
             '  node [shape=circle, style=filled, fillcolor=white, fontname="Helvetica", '
             "fixedsize=true, width=0.6];"]
    if title:
        lines.append(f"  label={_dot_quote(title)}; labelloc=t;")
    for n in order:
        label = _html_label(n.name) if pretty and n.name else _dot_quote(n.label)
        attrs = [f"label={label}", f'fillcolor="{_FILL[n.kind]}"']
        if n.kind in ("op", "const") and not n.name:
            attrs.append("shape=box, fixedsize=false, fontsize=10")
        if n.op and n.name:
            attrs.append(f"tooltip={_dot_quote(n.op)}")
        lines.append(f"  {ids[id(n)]} [{', '.join(attrs)}];")
    for n in order:
        for p in n.parents:
            lines.append(f"  {ids[id(p)]} -> {ids[id(n)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _math_label(name: str) -> str:
    """A name as the notes typeset it, in matplotlib's mathtext: "z_H" -> $z_{H}$,
    "y_hat" -> $\\hat{y}$, "alpha" -> $\\alpha$."""
    base, _, sub = name.partition("_")
    greek = {"alpha", "beta", "gamma", "theta", "lambda", "sigma"}
    body = f"\\{base}" if base in greek else base
    if sub == "hat":
        return f"$\\hat{{{body}}}$"
    return f"${body}_{{{sub}}}$" if sub else f"${body}$"


def layout(node: Node) -> dict[int, tuple[float, float]]:
    """Positions (x, y) of the graph's nodes, keyed by ``id(node)``: layered left to right.

    x is a node's depth, the longest path from an input; within a layer the nodes are ordered
    by the mean height of their parents (one barycentre sweep, which uncrosses these small
    graphs) and spread evenly around 0.
    """
    order = node.topological_order()
    depth: dict[int, int] = {}
    for n in order:
        depth[id(n)] = 1 + max((depth[id(p)] for p in n.parents), default=-1)
    layers: dict[int, list[Node]] = {}
    for n in order:
        layers.setdefault(depth[id(n)], []).append(n)
    pos: dict[int, tuple[float, float]] = {}
    for d in sorted(layers):
        nodes = layers[d]
        if d:
            nodes.sort(key=lambda n: -float(np.mean([pos[id(p)][1] for p in n.parents])))
        k = len(nodes)
        for i, n in enumerate(nodes):
            pos[id(n)] = (float(d), (k - 1) / 2 - i)
    return pos


def draw(node: Node, path=None, *, title: str | None = None):
    """Draw the graph that computes ``node`` with matplotlib, as in Figures 1 and 2.

    The same picture as :func:`to_dot` describes (data nodes light green, parameters light
    blue, computational nodes white circles with their names, unnamed operations as small
    boxes, edges from the inputs to the loss) laid out by :func:`layout`, so it needs no
    Graphviz. Returns the matplotlib ``Figure``; with ``path`` (.png, .svg or .pdf) it is
    also written there.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

    if not isinstance(node, Node):
        raise TypeError(f"draw draws a graph Node, got {type(node).__name__}")
    order = node.topological_order()
    pos = layout(node)
    width = max(x for x, _ in pos.values()) + 1
    height = max(abs(y) for _, y in pos.values()) * 2 + 1
    fig = Figure(figsize=(1.3 * width + 0.6, 0.95 * height + 0.8 + (0.3 if title else 0)))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 0.92 if title else 1))
    ax.set_axis_off()
    ax.set_aspect("equal")
    radius = 0.3
    for n in order:
        x, y = pos[id(n)]
        if n.kind in ("op", "const") and not n.name:
            ax.add_patch(FancyBboxPatch((x - 0.32, y - 0.16), 0.64, 0.32,
                                        boxstyle="round,pad=0.02", facecolor=_FILL[n.kind],
                                        edgecolor="black", linewidth=1.0, gid=f"node:{n.label}"))
            ax.text(x, y, n.label, ha="center", va="center", fontsize=8)
        else:
            ax.add_patch(Circle((x, y), radius, facecolor=_FILL[n.kind], edgecolor="black",
                                linewidth=1.0, gid=f"node:{n.label}"))
            ax.text(x, y, _math_label(n.name) if n.name else n.label, ha="center",
                    va="center", fontsize=12)
    for n in order:
        for p in n.parents:
            ax.add_patch(FancyArrowPatch(pos[id(p)], pos[id(n)], arrowstyle="-|>",
                                         mutation_scale=12, shrinkA=22, shrinkB=22,
                                         color="black", linewidth=0.9, gid="edge"))
    ys = [y for _, y in pos.values()]
    ax.set_xlim(-0.6, width - 0.4)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    if title:
        fig.suptitle(title)
    if path is not None:
        path = Path(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in ("png", "svg", "pdf"):
            raise ValueError(f"draw writes .png, .svg or .pdf, not {path.name}")
        fig.savefig(path, format=fmt, dpi=120)
    return fig


class GraphvizNotFoundError(RuntimeError):
    """Raised by :func:`render` when Graphviz's ``dot`` program is not installed."""


def render(graph: Node | str, path, *, title: str | None = None, pretty: bool = True) -> Path:
    """Draw a graph (a Node or DOT text) to ``path``; the format follows the extension.

    ``.svg``, ``.png`` and ``.pdf`` need Graphviz's ``dot`` program on PATH; ``.dot`` (or
    ``.gv``) writes the DOT text itself and needs nothing. ``title`` and ``pretty`` are passed
    to :func:`to_dot` when ``graph`` is a Node (DOT text is drawn as it is).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    GraphvizNotFoundError
        When ``dot`` is missing; the message says how to install it.
    ValueError
        For an extension other than .svg, .png, .pdf, .dot, .gv.
    """
    if isinstance(graph, Node):
        source = to_dot(graph, title=title, pretty=pretty)
    elif isinstance(graph, str):
        source = graph
    else:
        raise TypeError(f"render draws a graph Node or DOT text, got {type(graph).__name__}")
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt in ("dot", "gv"):
        path.write_text(source)
        return path
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"cannot tell the format from {path.name!r}; end the file name in "
                         ".svg, .png, .pdf, or .dot for the DOT text")
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizNotFoundError(
            f"drawing {path.name} needs Graphviz's 'dot' program, which is not on PATH. "
            "Install it with `apt-get install graphviz` (Debian/Ubuntu), `brew install "
            "graphviz` (macOS) or `conda install graphviz`, or save the DOT text instead: "
            "render(graph, 'figure.dot') or graph.to_dot(node)."
        )
    result = subprocess.run([dot, f"-T{fmt}", "-o", str(path)], input=source.encode(),
                            capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"dot failed on {path.name}: "
                           f"{result.stderr.decode(errors='replace').strip()}")
    return path


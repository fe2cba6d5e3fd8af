"""Gradient tensors and the tensor chain rule of section 2.

Shape convention (the notes'): if Y = f(X) with X of shape (N_1, ..., N_r) and Y of shape
(M_1, ..., M_s), the gradient tensor dY/dX has shape (M_1, ..., M_s, N_1, ..., N_r), Y's axes
first, with components ``[dY/dX][i_1..i_s, j_1..j_r] = dY_{i_1..i_s} / dX_{j_1..j_r}``.

* A scalar Y (a 0-d array or a float) has no axes, so dY/dX has X's shape: the notes' "drop
  the index over the single output". A Y of shape (1,) keeps its axis: dY/dX is (1,) + X.shape,
  the notes' (1, N_1, ..., N_r) form.
* A vector y of dimension M and a vector x of dimension N give the M x N Jacobian.

Tensor chain rule: for X -> Y -> Z, dZ/dX = dZ/dY . dY/dX, the tensor dot product summing over
all of Y's axes (:func:`chain`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["jacobian", "chain"]

_METHODS = ("auto", "graph", "numeric")


def jacobian(f: Callable, X, *, method: str = "auto", eps: float | None = None) -> np.ndarray:
    """The gradient tensor dY/dX of Y = f(X), of shape ``Y.shape + X.shape`` (section 2).

    Parameters
    ----------
    f : callable
        Maps an array X to Y (an array or a number). For the exact method, f builds Y with
        :mod:`shallownet.graph`: it receives X as a graph parameter node and returns a Node,
        e.g. ``lambda x: graph.sum(graph.exp(x))`` or ``lambda W: W @ x + b``.
    X : array-like
        The point at which to differentiate (converted to float64).
    method : {"auto", "graph", "numeric"}
        "graph": exact, by reverse-mode back-propagation through the graph f builds (one
        backward sweep per component of Y). "numeric": central differences in float64,
        for any f. "auto" (default): call f once on a graph node; if it returns a Node, use
        "graph", and if it returns something else or fails on the node (numpy functions such
        as ``np.sin`` raise TypeError on a Node), use "numeric". f should be free of side
        effects, since "auto" may call it once more than "numeric" does.
    eps : float, optional
        Step of the central differences: ``h_j = eps * max(1, |X_j|)``. The default,
        eps = (machine epsilon)^(1/3) ~ 6e-6, balances truncation and rounding error, giving
        about 10 correct digits for smooth f. Ignored by the graph method.

    Returns
    -------
    ndarray, float64, shape ``Y.shape + X.shape``
        A scalar Y gives X's shape (the notes' dropped output index).

    Examples
    --------
    Section 2, Problem 1, f(x) = (x1 + x2 x3, x1^2 + 3 x2):

    >>> from shallownet import graph
    >>> f = lambda x: graph.stack([x[0] + x[1] * x[2], x[0] ** 2 + 3 * x[1]])
    >>> jacobian(f, [1.0, 2.0, 3.0])
    array([[1., 3., 2.],
           [2., 3., 0.]])
    """
    if not callable(f):
        raise TypeError(
            f"jacobian(f, X) needs a function f as its first argument, got "
            f"{type(f).__name__}; e.g. jacobian(lambda x: x ** 2, X)"
        )
    from . import graph

    if method not in _METHODS:
        raise ValueError(f"method={method!r} is not known; use one of {_METHODS}")
    X = _as_float64(X)
    if method in ("auto", "graph"):
        x_node = graph.param(X, "X")
        try:
            Y = f(x_node)
        except Exception as exc:
            # A numpy-only f fails on a Node in many ways (TypeError from ufuncs, IndexError
            # from np.tensordot, ...). "auto" then differentiates numerically, where a genuine
            # error in f shows up again on plain arrays, so nothing is hidden.
            if method == "graph":
                raise TypeError(
                    "method='graph' needs f built from shallownet.graph operations (it is "
                    f"called with a graph Node and failed: {exc!r}); use method='numeric' "
                    "for any other function"
                ) from exc
            Y = None
        if isinstance(Y, graph.Node):
            return _graph_jacobian(Y, x_node)
        if method == "graph":
            raise TypeError(
                "method='graph' needs f to return a shallownet.graph Node when given one; it "
                f"returned {type(Y).__name__}. Use method='numeric' for any other function"
            )
    return _numeric_jacobian(f, X, eps)


def _as_float64(X) -> np.ndarray:
    try:
        X = np.array(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"X must be a numeric array, got {X!r}") from exc
    return X


def _graph_jacobian(Y, x_node) -> np.ndarray:
    """Row by row: seeding Y's component i with 1 makes x_node.grad = dY_i/dX."""
    order = Y.topological_order()
    J = np.zeros(Y.shape + x_node.shape)
    for i in np.ndindex(*Y.shape):
        seed = np.zeros(Y.shape)
        seed[i] = 1.0
        Y._backprop(order, seed)
        J[i] = x_node.grad if x_node.grad is not None else 0.0
    return J


def _evaluate(f: Callable, X: np.ndarray) -> np.ndarray:
    from .graph import Node

    Y = f(X)
    if isinstance(Y, Node):  # a graph-built f given a plain array still returns a Node
        Y = Y.value
    try:
        return np.array(Y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"f must return numbers, got {type(Y).__name__}") from exc


def _numeric_jacobian(f: Callable, X: np.ndarray, eps: float | None) -> np.ndarray:
    """Central differences: dY/dX_j ~ (f(X + h e_j) - f(X - h e_j)) / (2 h)."""
    if eps is None:
        eps = np.finfo(np.float64).eps ** (1 / 3)
    if not eps > 0:
        raise ValueError(f"eps must be a positive step size, got {eps!r}")
    Y0 = _evaluate(f, X)
    J = np.zeros(Y0.shape + X.shape)
    Xp = X.copy()
    for j in np.ndindex(*X.shape):
        h = eps * max(1.0, abs(X[j]))
        Xp[j] = X[j] + h
        up = _evaluate(f, Xp)
        Xp[j] = X[j] - h
        down = _evaluate(f, Xp)
        Xp[j] = X[j]
        if up.shape != Y0.shape or down.shape != Y0.shape:
            raise ValueError("f returned outputs of different shapes near X; the gradient "
                             "tensor needs a fixed output shape")
        J[(Ellipsis, *j)] = (up - down) / (2 * h)
    return J


def chain(*grads, y_ndim: int | Sequence[int] | None = None) -> np.ndarray:
    """The tensor chain rule dZ/dX = dZ/dY . dY/dX of section 2, summing over Y's axes.

    ``chain(dZ_dY, dY_dX)`` with dZ_dY of shape ``Z.shape + Y.shape`` and dY_dX of shape
    ``Y.shape + X.shape`` returns dZ/dX of shape ``Z.shape + X.shape``, with components
    ``sum_{j_1..j_r} dZ_i/dY_j dY_j/dX_k``. More arguments fold left to right:
    ``chain(dL_dZ, dZ_dY, dY_dX) = chain(chain(dL_dZ, dZ_dY), dY_dX)``.

    Parameters
    ----------
    *grads : array-like
        Two or more gradient tensors, each in the notes' shape convention (see
        :func:`jacobian`).
    y_ndim : int or sequence of int, optional
        How many axes the intermediate variable Y has (one value per junction, or one value
        for all of them). The shapes alone cannot always say this: a (3, 3) dZ/dY followed by
        a (3, 3, 2) dY/dX fits both a vector Y of 3 (Z a vector) and a 3 x 3 matrix Y (Z a
        scalar). When left out, it is inferred as the only k >= 1 for which the last k axes of
        the left factor equal the first k axes of the right one; if several k fit, a
        ValueError asks for ``y_ndim``. A scalar Y (plain product of the two tensors) always
        needs ``y_ndim=0``.

    Returns
    -------
    ndarray
        dZ/dX.

    Examples
    --------
    Section 2, Problem 2(c), dJ/dw = sum_i dJ/dz_i dz_i/dw_j:

    >>> dJ_dz = np.array([0.5, -0.25]); dz_dw = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> chain(dJ_dz, dz_dw, y_ndim=1)
    array([-0.25,  0.  ])
    """
    if len(grads) < 2:
        raise ValueError("chain needs at least two gradient tensors: chain(dZ_dY, dY_dX, ...)")
    arrays = [np.asarray(g, dtype=np.result_type(np.asarray(g), np.float64)) for g in grads]
    junctions = len(arrays) - 1
    if y_ndim is None or np.ndim(y_ndim) == 0:
        ks = [y_ndim] * junctions
    else:
        ks = list(y_ndim)
        if len(ks) != junctions:
            raise ValueError(f"y_ndim has {len(ks)} entries but {len(arrays)} tensors have "
                             f"{junctions} junctions; give one per junction")
    result = arrays[0]
    for step, (right, k) in enumerate(zip(arrays[1:], ks, strict=True), start=1):
        k = _junction_axes(result, right, k, step)
        result = np.tensordot(result, right, axes=k)
    return result


def _junction_axes(left: np.ndarray, right: np.ndarray, k, step: int) -> int:
    where = f"between argument {step} {left.shape} and argument {step + 1} {right.shape}"
    if k is not None:
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
            raise ValueError(f"y_ndim must be a non-negative integer, got {k!r}")
        k = int(k)
        if k > min(left.ndim, right.ndim):
            raise ValueError(f"y_ndim={k} is more axes than the tensors have {where}")
        if left.shape[left.ndim - k:] != right.shape[:k]:
            raise ValueError(
                f"the shapes disagree {where}: with y_ndim={k}, Y's shape is "
                f"{left.shape[left.ndim - k:]} on the left but {right.shape[:k]} on the right"
            )
        return k
    fits = [j for j in range(1, min(left.ndim, right.ndim) + 1)
            if left.shape[left.ndim - j:] == right.shape[:j]]
    if not fits:
        raise ValueError(
            f"the shapes disagree {where}: no trailing axes of the left tensor match the "
            "leading axes of the right one. dZ/dY must end with Y's shape and dY/dX start "
            "with it (pass y_ndim=0 for a scalar Y)"
        )
    if len(fits) > 1:
        raise ValueError(
            f"cannot tell how many axes Y has {where}: y_ndim could be any of {fits}. "
            "Pass y_ndim= (e.g. 1 for a vector Y)"
        )
    return fits[0]

"""Full-batch L-BFGS on the mean loss: ``shallownet.train(..., optimizer="lbfgs")``.

L of (16) is a *sum* over samples, so its value and its gradient split exactly over any
partition of the rows::

    L(theta)       = sum_blocks sum_{i in block} g_loss(z_O,i, y_i)
    dL/dtheta      = sum_blocks (back-propagation of section 3 on that block)

:func:`loss_and_gradient_sum` computes both, block by block, with the same back-propagation
the mini-batch loop uses (``_kernels.Workspace``). :func:`minimize` hands the objective

    f(theta) = L(theta) / N + (l2 / 2) (||W_H||^2 + ||W_O||^2)

and its gradient to ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` over theta packed
into one vector (W_H, b_H, W_O, b_O, each row-major). The sum may come from anywhere: in memory
here, or added up over a Dask cluster's partitions (``solvers.dask``).

Meaning of the knobs and of the record (``History``), per *iteration* of L-BFGS (an iteration
is one accepted step; its line search may evaluate f and its gradient more than once):

* ``max_iter`` (``epochs`` in ``shallownet.train``): the most iterations;
* ``tol``: stop when every component of the gradient of f is at most ``tol`` in absolute value
  (scipy's ``gtol``), or when f changes by a relative min(tol, 2.2e-9) or less in an
  iteration (``ftol``; 2.2e-9 is scipy's default);
* ``history.loss``: the mean training loss L/N (without the l2 penalty) after each iteration;
  ``history.epochs`` the iterations run; ``history.steps`` the evaluations of f and its gradient
  (each is one full pass over the data);
* ``validation_data``, ``early_stopping``, ``patience``, ``min_delta``, ``restore_best``: as in
  the mini-batch loop, per iteration: the validation loss and score are measured after every
  iteration; early stopping ends the run when the monitored loss (validation loss if given,
  else training loss) has not improved by ``min_delta`` for ``patience`` iterations and then
  restores the best iteration's weights;
* ``callbacks``: each is called with an ``EpochInfo`` after every iteration (``info.epoch`` is
  the iteration number); returning True stops the run.

Sparse X (scipy.sparse, CSR): each block of rows is made dense in one reused buffer just
before its back-propagation, so a pass never holds more than one dense block (at most
``_sparse.BLOCK_ELEMENTS`` values) and the products are the dense path's, on the same numbers.
A wide X (``_sparse.SPARSE_PRODUCT_MIN_FEATURES`` columns or more: tf-idf, hashed features) is
multiplied as sparse instead, block by block (``shallownet._sparse``): about nnz N_h
multiply-adds per pass instead of N N_i N_h, the same sums to float rounding.

Precision: float64 by default; float32 on request computes the forward and backward passes in
float32 and adds the blocks in float64 (scipy works in float64 on the packed vector).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy.optimize import minimize as _scipy_minimize

from .. import _sparse
from .._kernels import Workspace
from .._threads import ThreadPolicy
from ..network import PARAM_NAMES, Network
from ..training import EpochInfo, History, _interrupt_flag, _Progress, _validate, score_name

__all__ = ["pack", "unpack", "loss_and_gradient_sum", "mean_objective", "minimize", "fit",
           "DEFAULT_TOL"]

#: The default ``tol``: scipy's own default ``gtol`` for L-BFGS-B.
DEFAULT_TOL = 1e-5
_FTOL = 2.220446049250313e-09  # scipy's default ftol for L-BFGS-B
#: Rows per forward/backward block: bounds the workspace memory on large data.
BLOCK_ROWS = 8192


def _slices(net: Network) -> dict[str, slice]:
    """Where each parameter lies in the packed vector."""
    out, start = {}, 0
    for name in PARAM_NAMES:
        size = getattr(net, name).size
        out[name] = slice(start, start + size)
        start += size
    return out


def pack(params: dict[str, np.ndarray]) -> np.ndarray:
    """theta of (14) as one float64 vector: W_H, b_H, W_O, b_O, each in row-major order."""
    return np.concatenate([np.asarray(params[k], np.float64).ravel() for k in PARAM_NAMES])


def unpack(net: Network, theta: np.ndarray) -> None:
    """Copy the packed vector ``theta`` into ``net``'s parameters (in the network's dtype)."""
    for name, s in _slices(net).items():
        getattr(net, name)[...] = theta[s].reshape(getattr(net, name).shape)


def _penalised_weights(net: Network) -> np.ndarray:
    """Mask of the packed entries that the l2 penalty covers (W_H and W_O, not the biases)."""
    mask = np.zeros(net.n_params, bool)
    s = _slices(net)
    mask[s["W_H"]] = mask[s["W_O"]] = True
    return mask


def loss_and_gradient_sum(net: Network, X: np.ndarray, T: np.ndarray,
                          block_rows: int = BLOCK_ROWS, sample_weight=None
                          ) -> tuple[float, np.ndarray]:
    """L of (16) and dL/dtheta (packed, float64), summed over every row of ``X``.

    ``X`` is (N, N_i) in the network's dtype and ``T`` the targets as ``Network.encode_targets``
    gives them. The rows are processed ``block_rows`` at a time by back-propagation
    (``Workspace.backprop``); the blocks' sums are added in float64. With ``sample_weight``
    (N,), both are the weighted sums of (16).

    A sparse ``X`` (CSR) is made dense one block at a time in a reused buffer (see the module
    docstring), with fewer rows per block when a block of ``block_rows`` would exceed
    ``_sparse.BLOCK_ELEMENTS`` values; a wide one (``_sparse.sparse_products``) is multiplied
    as sparse, block by block.
    """
    N = X.shape[0]
    grad = np.zeros(net.n_params, np.float64)
    if N == 0:
        return 0.0, grad
    sparse = _sparse.issparse(X)
    as_sparse = _sparse.sparse_products(X, training=True)  # its blocks multiplied as sparse
    B = min(block_rows, N)
    if sparse:
        X = _sparse.as_csr(X, net.dtype)
    if sparse and not as_sparse:
        B = _sparse.rows_per_block(X.shape[1], B)
        dense = np.empty((B, X.shape[1]), net.dtype)
    elif not sparse:
        X = np.ascontiguousarray(X, dtype=net.dtype)
    ws = Workspace(net, B)
    slices = _slices(net)
    total = 0.0
    for start in range(0, N, B):
        n = min(B, N - start)
        w = None if sample_weight is None else sample_weight[start:start + n]
        Xb = (_sparse.rows_into(X, start, start + n, dense[:n]) if sparse and not as_sparse
              else X[start:start + n])
        total += float(ws.backprop(Xb, T[start:start + n], n, weights=w))
        for name, s in slices.items():
            grad[s] += ws.grads[name].ravel()
    return total, grad


def mean_objective(net: Network, sum_fn, n_samples: int, l2: float = 0.0):
    """theta -> (f, df/dtheta) with f = L / N + (l2/2)(||W_H||^2 + ||W_O||^2).

    ``sum_fn(theta)`` gives L of (16) and dL/dtheta summed over the N = ``n_samples`` rows; the
    parameters are copied into ``net`` before it is called. The returned function has a
    ``penalty(theta)`` attribute, the l2 term alone.
    """
    mask = _penalised_weights(net)

    def penalty(theta):
        return 0.5 * l2 * float(theta[mask] @ theta[mask]) if l2 else 0.0

    def f_and_grad(theta):
        unpack(net, theta)
        L, grad = sum_fn(theta)
        grad = grad / n_samples
        if l2:
            grad[mask] += l2 * theta[mask]
        return L / n_samples + penalty(theta), grad

    f_and_grad.penalty = penalty
    return f_and_grad


def minimize(
    net: Network,
    sum_fn: Callable[[np.ndarray], tuple[float, np.ndarray]],
    n_samples: int,
    *,
    max_iter: int = 200,
    tol: float = DEFAULT_TOL,
    l2: float = 0.0,
    validate: Callable[[], tuple[float, float]] | None = None,
    early_stopping: bool = False,
    patience: int = 10,
    min_delta: float = 0.0,
    restore_best: bool = True,
    callbacks: Sequence[Callable[[EpochInfo], bool | None]] = (),
    progress: bool = False,
    catch_interrupt: bool = False,
    history: History | None = None,
    n_threads: int | None = -1,
) -> History:
    """L-BFGS on f(theta) = sum_fn(theta)[0] / N + (l2/2)(||W_H||^2 + ||W_O||^2).

    Parameters
    ----------
    net : Network
        Starting point; holds the result on return.
    sum_fn : callable
        ``sum_fn(theta) -> (L, dL/dtheta)``: the loss (16) and its packed gradient summed over
        all ``n_samples`` training rows, at the packed parameters ``theta`` (``net`` already
        holds them when it is called).
    n_samples : int
        N, the number of training rows.
    validate : callable, optional
        ``validate() -> (mean validation loss, validation score)`` for the network as it is.
    max_iter, tol, l2, early_stopping, patience, min_delta, restore_best, callbacks, progress,
    catch_interrupt, history
        See the module docstring.
    n_threads : None, -1 or int, default -1
        BLAS threads for the evaluations in this process, as in ``shallownet.train``
        (``shallownet._threads``: None measures one thread against the BLAS's count on the
        first evaluations and keeps the faster); -1 leaves the BLAS alone (the default here,
        where ``sum_fn`` may run elsewhere, as on a Dask cluster).

    Returns
    -------
    History
        Per iteration; see the module docstring.
    """
    if not (isinstance(tol, int | float) and math.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a non-negative number, got {tol!r}")
    hist = history if history is not None else History()
    theta0 = pack(net.params)
    monitor = hist.val_loss if validate is not None else hist.loss
    state = {"best": min(monitor) if monitor else math.inf, "wait": 0}
    f_and_grad = mean_objective(net, sum_fn, n_samples, l2)

    def objective(theta):
        f, grad = f_and_grad(theta)
        threads.tick()
        hist.steps += 1
        if not math.isfinite(f) or not np.all(np.isfinite(grad)):
            raise FloatingPointError(
                f"L-BFGS met a non-finite loss or gradient (loss {f}) at iteration "
                f"{hist.epochs + 1}; standardise X (and a regression target) or raise l2"
            )
        return f, grad

    bar = _Progress(progress, max_iter, 1, score_name(net), unit="iter")  # L-BFGS iterations
    epochs_before = hist.epochs
    threads = ThreadPolicy(n_threads)
    threads.key = ("lbfgs", n_samples, net.N_i, net.N_h, net.N_o, str(net.dtype))
    with _interrupt_flag(catch_interrupt) as interrupted, bar, threads:

        def after_iteration(intermediate_result):
            theta = intermediate_result.x
            unpack(net, theta)
            loss = float(intermediate_result.fun) - f_and_grad.penalty(theta)
            hist.epochs += 1
            hist.loss.append(loss)
            val_loss = val_score = None
            if validate is not None:
                val_loss, val_score = validate()
                hist.val_loss.append(val_loss)
                hist.val_score.append(val_score)
            if monitor[-1] < state["best"] - min_delta:
                state["best"], state["wait"] = monitor[-1], 0
                hist.best_epoch = hist.epochs
                hist.best_params = {k: v.copy() for k, v in net.params.items()}
            else:
                state["wait"] += 1
            bar.end_epoch(hist.epochs, loss, val_score, val_loss)
            info = EpochInfo(hist.epochs, loss, val_loss, val_score, net, hist)
            stop = any([bool(cb(info)) for cb in callbacks])  # every callback sees each one
            if interrupted["set"]:
                hist.interrupted = True
                raise StopIteration
            if stop or (early_stopping and state["wait"] >= patience):
                hist.stopped_early = True
                raise StopIteration

        try:
            result = _scipy_minimize(objective, theta0, jac=True, method="L-BFGS-B",
                                     callback=after_iteration,
                                     options={"maxiter": max_iter, "gtol": tol,
                                              "ftol": min(tol, _FTOL),
                                              "maxfun": max(15000, 20 * max_iter)})
        except FloatingPointError:
            unpack(net, theta0)
            raise
        bar.finish(hist.epochs - epochs_before)
    unpack(net, result.x)
    keep_best = early_stopping or hist.stopped_early or hist.interrupted
    if restore_best and keep_best and hist.best_params is not None:
        net.set_params(**hist.best_params)
    return hist


def fit(net: Network, X: np.ndarray, T: np.ndarray, *, validation_data=None,
        sample_weight=None, **options) -> History:
    """L-BFGS on in-memory data: ``X`` (N, N_i) in the network's dtype (dense, or a sparse
    matrix, made dense a block at a time), targets ``T`` encoded.

    ``validation_data`` is ``(X_val, T_val)`` in the same form; ``options`` as for
    :func:`minimize`. This is what ``shallownet.train(..., optimizer="lbfgs")`` runs.
    """
    X = _sparse.as_csr(X, net.dtype) if _sparse.issparse(X) else \
        np.ascontiguousarray(X, dtype=net.dtype)
    validate = None
    if validation_data is not None:
        def validate():  # (X_val, T_val) or (X_val, T_val, sample_weight_val)
            return _validate(net, *validation_data)

    # with weights, the mean is sum_i s_i g_loss(i) / sum_i s_i
    mass = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
    return minimize(net, lambda theta: loss_and_gradient_sum(net, X, T,
                                                             sample_weight=sample_weight), mass,
                    validate=validate, **options)

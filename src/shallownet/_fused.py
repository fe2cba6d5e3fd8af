"""Compiled one-pass kernels for the training step's non-product work (numba, optional).

:class:`shallownet._kernels.Workspace` uses these when numba is installed
(``pip install shallownet[fast]``) and numpy's separate passes otherwise; both compute the same
equations, and ``tests/test_kernels.py`` checks each against the plain-numpy twin.

* :func:`relu_forward`: z_H = (10a)'s product + b_H and u_H = max(0, z_H) in one pass (the
  ReLU line after (2)); :func:`relu_backward` takes g_act'(z_H) = 1{u_H > 0} (0 at z = 0) from
  u_H, so it is never stored.
* :func:`softmax_shift` and :func:`softmax_grad`: z_O = (10b)'s product + b_O, then (5) and
  (18): g_loss = ln sum_l e^{z_l} - z_y and dg_loss/dz_O = u_O - r (19), scaled, and
  dL/db_O = sum_i dL/dz_O,i, with numpy's vectorised exp between the two passes.
* :func:`adam_step`: Adam's update of one parameter array (its two moments and the weights)
  in one pass instead of numpy's eleven.
* :func:`hidden_backward` (other activations) and :func:`relu_backward`: dL/dz_H = dL/du_H *
  g_act'(z_H) in place and dL/db_H = sum_i dL/dz_H,i in the same pass.

Bias gradients are written to ``out`` (``out = c g``) or applied to a bias (``out += c g``,
the SGD step (21) with c = -alpha/n), as ``accumulate`` says. Sums run in float64.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["relu_forward", "relu_backward", "softmax_shift", "softmax_grad",
           "hidden_backward", "adam_step"]

_JIT = dict(cache=True, nogil=True, boundscheck=False, error_model="numpy")


@njit(**_JIT)
def relu_forward(Z, b, n):  # pragma: no cover - compiled
    """In place over the first ``n`` rows: Z <- u_H = max(0, Z + b) (as z 1{z > 0}).

    g_act'(z_H) = 1{z_H > 0} = 1{u_H > 0} is read back from u_H by :func:`relu_backward`, so
    it is never stored."""
    H = Z.shape[1]
    for i in range(n):
        z_row = Z[i]
        for j in range(H):
            z = z_row[j] + b[j]
            z_row[j] = z * (z > 0)  # the same numbers as numpy's z * 1{z > 0}


@njit(**_JIT)
def relu_backward(dU, U, n, out, coef, accumulate):  # pragma: no cover - compiled
    """dU <- dU * 1{U > 0} (dL/dz_H for ReLU) over the first ``n`` rows; ``out`` <- or +=
    coef sum_i dL/dz_H,i."""
    H = dU.shape[1]
    total = np.zeros(H, np.float64)
    for i in range(n):
        d_row, u_row = dU[i], U[i]
        for j in range(H):
            d = d_row[j] * (u_row[j] > 0)
            d_row[j] = d
            total[j] += d
    for j in range(H):
        out[j] = out[j] + coef * total[j] if accumulate else coef * total[j]


@njit(**_JIT)
def softmax_shift(Z, b, t, D, n, picked):  # pragma: no cover - compiled
    """D <- z - max_l z_l with z = Z + b (row-wise; Z, D column-major), picked_i <- D[i, t_i]."""
    K = Z.shape[1]
    m = np.empty(n, Z.dtype)
    for i in range(n):
        m[i] = Z[i, 0] + b[0]
    for k in range(1, K):
        for i in range(n):
            m[i] = max(m[i], Z[i, k] + b[k])
    for k in range(K):
        for i in range(n):
            D[i, k] = Z[i, k] + b[k] - m[i]
    for i in range(n):
        picked[i] = D[i, t[i]]


@njit(**_JIT)
def softmax_grad(E, t, n, scale, w, picked, out, coef, accumulate):  # pragma: no cover
    """From E = e^{z - max z} (column-major): E <- scale w_i (E / sum_l E - r) = dL/dz_O,
    ``out`` <- or += coef sum_i dL/dz_O,i; returns sum_i w_i (ln sum_l E_il - picked_i), the
    sum (16) of (18). ``w`` has n entries, or one (the same weight for every sample)."""
    K = E.shape[1]
    S = np.empty(n, np.float64)
    sw = np.empty(n, np.float64)
    for i in range(n):
        S[i] = E[i, 0]
    for k in range(1, K):
        for i in range(n):
            S[i] += E[i, k]
    loss = 0.0
    each = w.shape[0] == n
    for i in range(n):
        wi = w[i] if each else w[0]
        loss += wi * (np.log(S[i]) - picked[i])
        sw[i] = scale * wi
        S[i] = sw[i] / S[i]
    for k in range(K):
        for i in range(n):
            E[i, k] *= S[i]
    for i in range(n):  # minus the one-hot r of (19)
        E[i, t[i]] -= sw[i]
    for k in range(K):
        total = 0.0
        for i in range(n):
            total += E[i, k]
        out[k] = out[k] + coef * total if accumulate else coef * total
    return loss


@njit(**_JIT)
def hidden_backward(dU, G, n, out, coef, accumulate):  # pragma: no cover - compiled
    """dU <- dU * G (dL/dz_H) over the first ``n`` rows; ``out`` <- or += coef sum_i dL/dz_H,i."""
    H = dU.shape[1]
    total = np.zeros(H, np.float64)
    for i in range(n):
        d_row, g_row = dU[i], G[i]
        for j in range(H):
            d = d_row[j] * g_row[j]
            d_row[j] = d
            total[j] += d
    for j in range(H):
        out[j] = out[j] + coef * total[j] if accumulate else coef * total[j]


@njit(**_JIT)
def adam_step(p, g, m, v, b1, a1, b2, a2, c1, c2, eps):  # pragma: no cover - compiled
    """Adam on flat arrays (each in the same memory order), as ``optimizers.Adam`` writes it:
    m <- b1 m + a1 g, v <- b2 v + a2 g^2, p <- p - c1 m / (c2 sqrt(v) + eps), with a1 = 1 - b1,
    a2 = 1 - b2 and the bias corrections c1 = alpha / (1 - b1^t), c2 = 1 / sqrt(1 - b2^t). The
    scalars come in the arrays' precision, rounded as numpy's passes round them, so the numbers
    are those of numpy's passes to rounding."""
    for i in range(p.shape[0]):
        gi = g[i]
        mi = b1 * m[i] + a1 * gi
        vi = b2 * v[i] + a2 * (gi * gi)
        m[i] = mi
        v[i] = vi
        p[i] -= c1 * (mi / (np.sqrt(vi) * c2 + eps))

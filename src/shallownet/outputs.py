"""The three output types of section 1 and their losses of section 3.

Each output type keeps, side by side:

* ``g_out(z_O)``     the output map u_O: sigmoid (3), softmax (5) or identity (7);
* ``decide(z_O)``    the hard decision y_hat: (4), (6) or (7);
* ``g_loss(z_O, y)`` the per-sample loss: binary cross-entropy (17), categorical
  cross-entropy (18)/(19), squared error (20);
* ``dloss(z_O, y)``  its gradient dg_loss/dz_O, the first step L -> z_O of back-propagation.

Shapes follow the batch form (10): ``z_O`` is (N, N_o), rows are samples. Targets ``y`` are
encoded by ``encode_targets``: binary 0/1 as an (N, 1) float column, classes as 0-based integer
indices (N,) (the notes number classes 1..K; shallownet numbers them 0..K-1), regression as an
(N, d) float array.

The losses are computed in stable forms: ``logaddexp(0, z)`` for ln(1 + e^z) in (17), a
max-shifted log-sum-exp in (18). Logits of magnitude 1000 give finite losses and gradients and
no floating-point warnings.
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid

__all__ = ["Output", "Binary", "Multiclass", "Regression", "OUTPUTS", "get_output"]


_ROWS = np.arange(256)
_ROWS.flags.writeable = False


def _rows(n: int) -> np.ndarray:
    """0, 1, ..., n - 1 (read-only; a slice of one array kept for the training loop's batches)."""
    global _ROWS
    rows = _ROWS  # (one read: another thread may put a longer one in its place meanwhile)
    if n > rows.shape[0]:
        rows = np.arange(max(n, 2 * rows.shape[0]))
        rows.flags.writeable = False
        _ROWS = rows
    return rows[:n]


def _as_2d(z):
    z = np.asarray(z)
    return z[None, :] if z.ndim == 1 else z


class Output:
    """Base class: an output map g_out with its decision rule and loss."""

    name: str = ""
    is_classifier: bool = True

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Binary(Output):
    """Binary classification, y in {0, 1}, one output unit (N_o = 1).

    (3)  u_O = P(y=1|x) = 1 / (1 + e^{-z_O})
    (4)  y_hat = 1 if z_O >= 0 else 0
    (17) g_loss(z_O, y) = ln(1 + e^{z_O}) - y z_O,   dg_loss/dz_O = sigmoid(z_O) - y
    """

    name = "binary"

    def g_out(self, z_O, out=None):
        return sigmoid(z_O, out=out)

    def decide(self, z_O):
        z_O = _as_2d(z_O)
        return (z_O[:, 0] >= 0).astype(np.int64)

    def encode_targets(self, y, dtype=np.float64):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(
                f"binary targets must be a vector of 0/1 labels, got shape {y.shape}; "
                "pass one label per sample"
            )
        if y.dtype == bool:
            y = y.astype(np.int64)
        if not np.all((y == 0) | (y == 1)):
            bad = np.unique(y[(y != 0) & (y != 1)])[:5]
            raise ValueError(
                f"binary targets must be 0 or 1 (equation (3)), found {bad.tolist()}; "
                "encode the two classes as 0/1 or use output='multiclass'"
            )
        return y.astype(dtype).reshape(-1, 1)

    def g_loss(self, z_O, t):
        """Per-sample (17): ln(1 + e^z) - y z, via logaddexp (stable for |z| = 1000)."""
        z = _as_2d(z_O)[:, 0]
        return np.logaddexp(0, z) - t[:, 0] * z

    def dloss(self, z_O, t, out=None):
        """dg_loss/dz_O = sigmoid(z_O) - y  (section 2, Problem 2(a))."""
        out = sigmoid(_as_2d(z_O), out=out)
        out -= t
        return out

    def loss_and_grad(self, z_O, t, out, flat=None):
        """Sum over the batch of (17), and dg_loss/dz_O written into ``out`` (training path).
        (``flat``: the training step's view of ``out`` as one vector; see Multiclass.)"""
        z = z_O[:, 0]
        loss = float(np.logaddexp(0, z).sum() - np.dot(t[:, 0], z))
        self.dloss(z_O, t, out=out)
        return loss



class Multiclass(Output):
    """K-class classification with a softmax over K output units (N_o = K).

    (5)  u_O,k = e^{z_O,k} / sum_l e^{z_O,l}
    (6)  y_hat = argmax_k z_O,k       (0-based here)
    (18) g_loss(z_O, y) = ln sum_l e^{z_O,l} - sum_k r_k z_O,k, with r the one-hot code (19)
         dg_loss/dz_O,k = u_O,k - r_k
    """

    name = "multiclass"

    def g_out(self, z_O, out=None):
        z = _as_2d(z_O)
        out = np.subtract(z, z.max(axis=1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        return out

    def decide(self, z_O):
        return np.argmax(_as_2d(z_O), axis=1)

    def encode_targets(self, y, n_classes: int | None = None):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim == 2:
            # one-hot rows r_ik (19)
            if not np.all((y == 0) | (y == 1)) or not np.all(y.sum(axis=1) == 1):
                raise ValueError("2-D multiclass targets must be one-hot rows (19)")
            y = y.argmax(axis=1)
        if y.ndim != 1:
            raise ValueError(f"class labels must be a vector, got shape {y.shape}")
        if y.dtype == bool:
            y = y.astype(np.int64)
        if y.dtype.kind not in "iuf" or (y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0)):
            sample = np.unique(y.astype(str))[:5].tolist()
            raise ValueError(
                f"multiclass targets of a Network must be integer class indices 0..K-1, got "
                f"values like {sample}; map the labels to 0..K-1, or use shallownet.Classifier, "
                "which takes labels of any type and gives them back"
            )
        yi = y.astype(np.int64)
        if yi.size and (yi.min() < 0 or (n_classes is not None and yi.max() >= n_classes)):
            hint = (" - subtract 1 from labels numbered 1..K as in the notes"
                    if n_classes is not None and yi.min() >= 1 and yi.max() == n_classes else "")
            raise ValueError(
                f"class indices must lie in 0..{(n_classes or 0) - 1} (0-based; the notes "
                f"count 1..K), found {yi.min()}..{yi.max()}{hint}"
            )
        return yi

    def log_sum_exp(self, z):
        m = z.max(axis=1)
        return m + np.log(np.exp(z - m[:, None]).sum(axis=1))

    def g_loss(self, z_O, t):
        """Per-sample (18), with a max-shifted log-sum-exp."""
        z = _as_2d(z_O)
        return self.log_sum_exp(z) - z[np.arange(z.shape[0]), t]

    def dloss(self, z_O, t, out=None):
        """dg_loss/dz_O = softmax(z_O) - r  (section 3, Problem 1)."""
        out = self.g_out(z_O, out=out)
        out[np.arange(out.shape[0]), t] -= 1
        return out

    def loss_and_grad(self, z_O, t, out, flat=None):
        """Sum over the batch of (18), and softmax - r written into ``out`` (training path).

        One max-shift and one exp serve both: with s = z - max(z) and S = sum_l e^{s_l},
        g_loss = ln S - s_y and dg_loss/dz = e^{s}/S - r.

        ``flat``, when given, is ``(F, ld, idx)``: ``out`` is the first rows of a column-major
        buffer of ``ld`` rows whose memory is the 1-D ``F``, and ``idx`` an integer scratch
        of at least the batch's length. Sample i's entry of class t_i is then F[t_i ld + i],
        which one-dimensional indexing reaches in a third of the time of out[i, t_i]
        (0.4 against 1.4 us to read 128 of them, 2.8 against 7.4 us to subtract 1).
        """
        n = z_O.shape[0]
        rows = _rows(n)
        np.subtract(z_O, z_O.max(axis=1, keepdims=True), out=out)
        if flat is None:
            picked = out[rows, t]
        else:
            F, ld, idx = flat
            idx = np.multiply(t, ld, out=idx[:n])
            idx += rows
            picked = F.take(idx)
        np.exp(out, out=out)
        S = out.sum(axis=1, keepdims=True)
        out /= S
        if flat is None:
            out[rows, t] -= 1
        else:
            F[idx] -= 1
        return float(np.log(S).sum() - picked.sum())



class Regression(Output):
    """Regression, y in R^d, identity outputs (N_o = d).

    (7)  y_hat = u_O = z_O
    (20) g_loss(z_O, y) = ||z_O - y||^2,   dg_loss/dz_O = 2 (z_O - y)
    """

    name = "regression"
    is_classifier = False

    def g_out(self, z_O, out=None):
        if out is None:
            return np.array(z_O, copy=True)
        np.copyto(out, z_O)
        return out

    def decide(self, z_O):
        return np.array(z_O, copy=True)

    def encode_targets(self, y, dtype=np.float64):
        try:
            y = np.asarray(y, dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"regression targets y must be numbers ({exc}); encode or remove non-numeric "
                "values"
            ) from None
        if y.ndim == 1:
            y = y[:, None]
        if y.ndim != 2:
            raise ValueError(f"regression targets must be (N,) or (N, d), got shape {y.shape}")
        return y

    def g_loss(self, z_O, t):
        """Per-sample (20): sum_k (z_O,k - y_k)^2."""
        d = _as_2d(z_O) - t
        return np.einsum("ij,ij->i", d, d)

    def dloss(self, z_O, t, out=None):
        """dg_loss/dz_O = 2 (z_O - y)  (section 2, Problem 4(a))."""
        out = np.subtract(_as_2d(z_O), t, out=out)
        out *= 2
        return out

    def loss_and_grad(self, z_O, t, out, flat=None):
        """Sum over the batch of (20), and 2 (z_O - y) written into ``out`` (training path).
        (``flat``: the training step's view of ``out`` as one vector; see Multiclass.)"""
        np.subtract(z_O, t, out=out)
        loss = float(np.vdot(out, out))
        out *= 2
        return loss



OUTPUTS: dict[str, type[Output]] = {"binary": Binary, "multiclass": Multiclass,
                                    "regression": Regression}


def get_output(name: str | Output) -> Output:
    """Look up an output type by name; raise a ValueError naming the choices otherwise."""
    if isinstance(name, Output):
        return name
    if isinstance(name, str) and name.lower() in OUTPUTS:
        return OUTPUTS[name.lower()]()
    raise ValueError(
        f"output={name!r} is not known; use one of {sorted(OUTPUTS)} "
        "(binary (3)/(4), multiclass (5)/(6), regression (7))"
    )

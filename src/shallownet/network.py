"""The one-hidden-layer network of section 1 and its back-propagation of section 3.

Notation is the notes': parameters ``W_H`` (N_h, N_i), ``b_H`` (N_h,), ``W_O`` (N_o, N_h),
``b_O`` (N_o,); intermediate variables ``z_H, u_H, z_O, u_O``. A batch is stored with one
sample per row, as in (10): ``X`` is (N, N_i), ``Z_H`` is (N, N_h), ``Z_O`` is (N, N_o).

Forward, batch form (10a)/(10b)::

    Z_H = X W_H^T + B_H,   U_H = g_act(Z_H)
    Z_O = U_H W_O^T + B_O, U_O = g_out(Z_O)

Backward (section 3, Problem 1, for every g_act and g_loss)::

    dL/dZ_O = dg_loss/dz_O                      (one row per sample)
    dL/dW_O = (dL/dZ_O)^T U_H,   dL/db_O = sum_i dL/dz_O,i
    dL/dU_H = (dL/dZ_O) W_O
    dL/dZ_H = dL/dU_H * g_act'(Z_H)             (elementwise)
    dL/dW_H = (dL/dZ_H)^T X,     dL/db_H = sum_i dL/dz_H,i

``Network.loss`` is L of (16): a *sum* over the samples. The trainer (``shallownet.train``)
steps on the batch *mean* so that learning rates carry over from other libraries.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ._kernels import Workspace
from ._sparse import issparse
from .activations import Activation, get_activation
from .outputs import Output, get_output

__all__ = ["Network", "Trace", "PARAM_NAMES", "Workspace"]

PARAM_NAMES = ("W_H", "b_H", "W_O", "b_O")


@dataclass
class Trace:
    """Every intermediate variable of one forward pass (the rows of Table 1).

    For a batch, each attribute has one row per sample: ``z_H``/``u_H`` are (N, N_h),
    ``z_O``/``u_O`` are (N, N_o) and ``y_hat`` is (N,) (or (N, N_o) for regression). For a single
    sample the leading axis is dropped.
    """

    x: np.ndarray
    z_H: np.ndarray
    u_H: np.ndarray
    z_O: np.ndarray
    u_O: np.ndarray
    y_hat: np.ndarray

    def as_dict(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _check_output_units(output: str, N_o: int) -> None:
    if output == "binary" and N_o != 1:
        raise ValueError(
            f"a binary output has one unit (N_o = 1, equation (3)); W_O has {N_o} rows. "
            "Use output='multiclass' for K > 2 classes"
        )
    if output == "multiclass" and N_o < 2:
        raise ValueError(
            "a softmax (5) over one unit is always 1 and cannot learn; use output='binary' for "
            "two classes (N_o = 1, equation (3)) or N_o = K >= 2 units for K classes"
        )


def _all_finite(A: np.ndarray) -> bool:
    """True when A has no NaN or inf, in one pass and without a temporary array.

    A sum propagates NaN and inf; when it is not finite (or a huge finite sum overflowed), min
    and max decide.
    """
    if A.size == 0 or A.dtype.kind != "f":
        return True
    # (Not by numpy's BLAS, e.g. A times a ones vector, though that reads A about twice as
    # fast: it wakes numpy's BLAS threads, which then spin beside the training step's BLAS
    # and made a two-thread epoch 25% slower; training uses _kernels.finite_by_blas.)
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(A, axis=None)):
            return True
    return bool(np.isfinite(A.min()) and np.isfinite(A.max()))


def _array(name: str, value, dtype) -> np.ndarray:
    try:
        a = np.array(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric, got {value!r}") from exc
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf; weights must be finite numbers")
    return a


def _bias_vector(name: str, b: np.ndarray) -> np.ndarray:
    """A bias as a vector: a scalar is one unit, and a column, as the notes write b^H (Problems
    1-3: b^H = [-1; -3]), is the vector of its entries."""
    if b.ndim == 2 and b.shape[1] == 1:
        return b[:, 0]
    b = np.atleast_1d(b)
    if b.ndim != 1:
        raise ValueError(
            f"{name} must be a vector, one entry per unit: a flat list, a column as the notes "
            f"write it (e.g. [[-1], [-3]]), or a scalar for a single unit; got shape {b.shape}"
        )
    return b


def _weights_as_notes_write_them(W_H, b_H, W_O, b_O, dtype):
    """Accept weights the way the notes write them and return the canonical 2-D/1-D shapes.

    * ``W_H``: (N_h, N_i). A column ``[[1], [1]]`` is N_i = 1 (Problem 1). A flat list is a
      column when it has as many entries as ``b_H`` (N_i = 1), otherwise one hidden unit's row.
    * ``b_H``: (N_h,), or a column (N_h, 1) as the notes write it; a scalar means N_h = 1.
    * ``W_O``: (N_o, N_h). A flat row ``[-1, 2]`` is a single output unit (N_o = 1), as in (8).
    * ``b_O``: (N_o,) or a column (N_o, 1); a scalar means N_o = 1 (``b_O = 0.5``).
    """
    W_H = _array("W_H", W_H, dtype)
    b_H = _bias_vector("b_H", _array("b_H", b_H, dtype))
    W_O = _array("W_O", W_O, dtype)
    b_O = _bias_vector("b_O", _array("b_O", b_O, dtype))
    if W_H.ndim == 0:
        W_H = W_H.reshape(1, 1)
    elif W_H.ndim == 1:
        W_H = W_H[:, None] if W_H.shape[0] == b_H.shape[0] else W_H[None, :]
    if W_O.ndim == 0:
        W_O = W_O.reshape(1, 1)
    elif W_O.ndim == 1:
        W_O = W_O[None, :] if W_O.shape[0] != b_O.shape[0] or b_O.shape[0] == 1 else W_O[:, None]
    if W_H.ndim != 2 or W_O.ndim != 2:
        raise ValueError("W_H and W_O must be matrices (N_h, N_i) and (N_o, N_h)")
    N_h, N_o = W_H.shape[0], W_O.shape[0]
    if b_H.shape[0] != N_h:
        if W_H.shape[1] == b_H.shape[0] and W_H.shape[0] == 1:
            fix = ("For one input (N_i = 1) write W_H as a column, one weight per hidden "
                   "unit, e.g. [[1], [1]], not as a row")
        elif W_H.shape[1] == b_H.shape[0]:
            fix = (f"It has N_h = {b_H.shape[0]} columns instead: it looks transposed "
                   f"(N_i, N_h); pass its transpose, {W_H.shape[1]} rows of "
                   f"{W_H.shape[0]} weights")
        else:
            fix = "For one input (N_i = 1) write W_H as a column, e.g. [[1], [1]]"
        raise ValueError(
            f"W_H must be (N_h, N_i), one row per hidden unit: it has shape {W_H.shape} but b_H "
            f"has {b_H.shape[0]} entries (N_h = {b_H.shape[0]}). {fix}"
        )
    if W_O.shape[1] != N_h:
        hint = ""
        if W_O.shape[0] == N_h and W_O.shape[1] == b_O.shape[0]:  # (N_h, N_o): transposed
            hint = (f"; it looks transposed: for one output unit (N_o = 1) write it as a row, "
                    f"[{', '.join(f'{v:g}' for v in W_O[:, 0])}]" if b_O.shape[0] == 1 else
                    "; it looks transposed (N_h, N_o): pass its transpose")
        raise ValueError(
            f"W_O has {W_O.shape[1]} columns but the hidden layer has N_h = {N_h} units; "
            f"W_O must be (N_o, N_h), one row per output unit{hint}"
        )
    if b_O.shape[0] != N_o:
        raise ValueError(f"b_O has {b_O.shape[0]} entries but W_O has N_o = {N_o} rows")
    # W_H is stored column-major: its transpose, used by X W_H^T in (10a), is then a
    # row-major (N_i, N_h) matrix, the layout BLAS multiplies fastest for these shapes.
    return np.asfortranarray(W_H), b_H, W_O, b_O


class Network:
    """A neural network with one hidden layer, equations (1), (9), (10).

    Parameters
    ----------
    W_H, b_H, W_O, b_O : array-like
        The parameters theta of (14), written as the notes write them; Problem 1 is
        ``Network(W_H=[[1], [1]], b_H=[-1, -3], W_O=[-1, 2], b_O=0.5,
        activation="threshold", output="binary")``.
    activation : {"threshold", "sigmoid", "relu"}
        g_act, equation (2) and the lines after it.
    output : {"binary", "multiclass", "regression"}
        g_out and g_loss: (3)/(4)/(17), (5)/(6)/(18), (7)/(20).
    dtype : numpy dtype, default float64
        Precision of the parameters and of every computation. Hand-set networks default to
        float64 so the worked problems come out exact; ``Network.init`` defaults to float32.

    Attributes
    ----------
    N_i, N_h, N_o : int
        Input, hidden and output dimensions.
    params : dict
        The four parameter arrays by name (the live arrays, updated in place by training).
    """

    def __init__(self, W_H, b_H, W_O, b_O, activation: str | Activation = "sigmoid",
                 output: str | Output = "binary", dtype=np.float64):
        self.activation = get_activation(activation)
        self.output = get_output(output)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        self.W_H, self.b_H, self.W_O, self.b_O = _weights_as_notes_write_them(
            W_H, b_H, W_O, b_O, self.dtype
        )
        _check_output_units(self.output.name, self.N_o)

    # ------------------------------------------------------------------ construction
    @classmethod
    def init(cls, N_i: int, N_h: int, N_o: int = 1, activation: str = "relu",
             output: str = "binary", seed=None, dtype=np.float32) -> Network:
        """Draw random weights: He-normal for ReLU, Glorot-uniform otherwise; zero biases.

        The same ``seed`` gives the same weights. Defaults to float32, the training precision.
        """
        for name, v in (("N_i", N_i), ("N_h", N_h), ("N_o", N_o)):
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        act = get_activation(activation)
        out = get_output(output)
        _check_output_units(out.name, N_o)
        rng = np.random.default_rng(seed)

        def glorot(fan_out, fan_in):  # Glorot & Bengio: U(-l, l), l = sqrt(6 / (in + out))
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            return rng.uniform(-limit, limit, (fan_out, fan_in))

        if act.init_gain == 2.0:  # He et al. for ReLU: N(0, 2 / fan_in)
            W_H = rng.standard_normal((N_h, N_i)) * np.sqrt(2.0 / N_i)
        else:
            W_H = glorot(N_h, N_i)
        W_O = glorot(N_o, N_h)  # the output layer is linear before g_out
        return cls(W_H, np.zeros(N_h), W_O, np.zeros(N_o), activation=act, output=out,
                   dtype=dtype)

    # ------------------------------------------------------------------ properties
    @property
    def N_i(self) -> int:
        return self.W_H.shape[1]

    @property
    def N_h(self) -> int:
        return self.W_H.shape[0]

    @property
    def N_o(self) -> int:
        return self.W_O.shape[0]

    @property
    def params(self) -> dict[str, np.ndarray]:
        """theta of (14): ``{"W_H": ..., "b_H": ..., "W_O": ..., "b_O": ...}`` (live arrays)."""
        return {"W_H": self.W_H, "b_H": self.b_H, "W_O": self.W_O, "b_O": self.b_O}

    @property
    def n_params(self) -> int:
        return sum(p.size for p in self.params.values())

    def set_params(self, **arrays) -> None:
        """Copy new values into the parameters (shapes must match)."""
        for name, value in arrays.items():
            if name not in PARAM_NAMES:
                raise ValueError(f"unknown parameter {name!r}; expected one of {PARAM_NAMES}")
            current = getattr(self, name)
            value = np.asarray(value)
            if value.shape != current.shape:
                raise ValueError(f"{name} must have shape {current.shape}, got {value.shape}")
            np.copyto(current, value, casting="same_kind")

    def astype(self, dtype) -> Network:
        """Change the precision of the parameters in place; returns self."""
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        if dtype != self.dtype:
            for name in PARAM_NAMES:
                setattr(self, name, getattr(self, name).astype(dtype, order="K"))
            self.dtype = dtype
        return self

    def copy(self) -> Network:
        return Network(**{k: v.copy() for k, v in self.params.items()},
                       activation=self.activation, output=self.output, dtype=self.dtype)

    def __repr__(self) -> str:
        return (f"Network(N_i={self.N_i}, N_h={self.N_h}, N_o={self.N_o}, "
                f"activation={self.activation.name!r}, output={self.output.name!r}, "
                f"dtype={self.dtype.name})")

    # ------------------------------------------------------------------ inputs
    def as_batch(self, X, name: str = "X", finite=None) -> tuple[np.ndarray, bool]:
        """Return ``(X as (N, N_i) in the network's dtype, was_single_sample)``.

        A single sample (N_i,) is one row. When N_i = 1, a scalar is one sample and a flat
        array of N scalars is a batch of N samples (Problem 2's x_i = 0, 1, 3, 5).
        ``finite``: a faster check that may answer True (all finite) for the array; when it
        does not, the exact check decides.
        """
        if issparse(X):
            raise ValueError(
                f"{name} is a scipy.sparse matrix: a Network's forward pass, predictions, loss "
                "and gradients take dense rows (X.toarray()); shallownet.train and the "
                "Classifier/Regressor estimators take it as it is")
        try:
            A = np.asarray(X)
            if A.dtype.kind not in "fiub":
                A = A.astype(self.dtype)
            A = A.astype(self.dtype, copy=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric: {exc}") from exc
        single = False
        if A.ndim == 0:
            if self.N_i != 1:
                raise ValueError(f"{name} is a scalar but the network has N_i = {self.N_i} inputs")
            A, single = A.reshape(1, 1), True
        elif A.ndim == 1:
            if A.shape[0] == self.N_i:
                A, single = A[None, :], True
            elif self.N_i == 1:
                A = A[:, None]
            else:
                raise ValueError(
                    f"{name} has {A.shape[0]} features but the network expects N_i = {self.N_i}"
                )
        elif A.ndim != 2:
            raise ValueError(f"{name} must be (N_i,) or (N, N_i), got shape {A.shape}")
        if A.shape[1] != self.N_i:
            hint = ""
            if A.shape[0] == self.N_i:  # one sample per column: the transpose of (10)'s X
                hint = (f"; {name} of shape {A.shape} looks transposed: the batch form (10) "
                        f"puts one sample per row, {name} is (N, N_i) = ({A.shape[1]}, "
                        f"{self.N_i}), so pass {name}.T")
            raise ValueError(
                f"{name} has {A.shape[1]} features per sample but the network expects "
                f"N_i = {self.N_i}{hint}"
            )
        if not ((finite is not None and finite(A)) or _all_finite(A)):
            raise ValueError(f"{name} contains NaN or inf; remove or impute those values first")
        return A, single

    def encode_targets(self, y, n: int) -> np.ndarray:
        """Targets in the form the loss uses (see ``outputs``), checked against N samples.

        A single sample's target may be a scalar y_i, as g_loss(z_i^O, y_i) of (17), (18) and
        (20) takes it (with N_o = 1 for regression): it is the batch of one target.
        """
        if np.ndim(y) == 0 and not (isinstance(y, str | bytes) or y is None):
            y = np.reshape(np.asarray(y), (1,))
        if self.output.name == "multiclass":
            T = self.output.encode_targets(y, n_classes=self.N_o)
        else:
            T = self.output.encode_targets(y, dtype=self.dtype)
            if self.output.name == "regression" and T.shape[1] != self.N_o:
                if n == 1 and T.shape == (self.N_o, 1):
                    T = T.T
                else:
                    raise ValueError(
                        f"y has {T.shape[1]} target columns but the network has N_o = {self.N_o}"
                    )
        if T.shape[0] != n:
            raise ValueError(f"X has {n} samples but y has {T.shape[0]}; they must match")
        if T.dtype.kind == "f" and not np.all(np.isfinite(T)):
            raise ValueError("y contains NaN or inf; remove those samples first")
        return T

    # ------------------------------------------------------------------ forward
    def forward(self, X) -> Trace:
        """Every intermediate variable, batch form (10a)/(10b) (or (1) for one sample)."""
        X2, single = self.as_batch(X)
        Z_H = X2 @ self.W_H.T + self.b_H                     # (10a)
        U_H = self.activation.g(Z_H)
        Z_O = U_H @ self.W_O.T + self.b_O                    # (10b)
        U_O = self.output.g_out(Z_O)
        y_hat = self.output.decide(Z_O)                      # (4), (6), (7)
        if single:
            return Trace(X2[0], Z_H[0], U_H[0], Z_O[0], U_O[0], y_hat[0])
        return Trace(X2, Z_H, U_H, Z_O, U_O, y_hat)

    __call__ = forward

    def decision_function(self, X) -> np.ndarray:
        """The logits z_O; (N,) for a single output unit."""
        z = self.forward(X).z_O
        return z[..., 0] if self.N_o == 1 and self.output.name == "binary" else z

    def predict(self, X) -> np.ndarray:
        """The hard decision: (4) 0/1, (6) class index 0..K-1, or (7) y_hat = z_O."""
        return self.forward(X).y_hat

    def predict_proba(self, X) -> np.ndarray:
        """u_O for classification: P(y=1|x) (3) as (N,), or the softmax (5) as (N, K)."""
        if not self.output.is_classifier:
            raise ValueError("predict_proba needs a classification output; this network regresses")
        u = self.forward(X).u_O
        return u[..., 0] if self.output.name == "binary" else u

    # ------------------------------------------------------------------ loss and gradients
    def loss(self, X, y) -> float:
        """L of (16): the *sum* over samples of g_loss (17), (18)/(19) or (20)."""
        X2, _ = self.as_batch(X)
        T = self.encode_targets(y, X2.shape[0])
        return float(self.output.g_loss(self.forward(X2).z_O, T).sum())

    def gradients(self, X, y) -> dict[str, np.ndarray]:
        """dL/dtheta for L of (16), by back-propagation (section 3, Problem 1).

        Returns a dict with keys "W_H", "b_H", "W_O", "b_O", each with its parameter's shape.
        For the threshold activation (2) the hidden-layer gradients are zero: the step has zero
        derivative wherever it has one.
        """
        X2, _ = self.as_batch(X)
        T = self.encode_targets(y, X2.shape[0])
        ws = Workspace(self, X2.shape[0])
        ws.backprop(X2, T, X2.shape[0])
        return {k: v.copy() for k, v in ws.grads.items()}

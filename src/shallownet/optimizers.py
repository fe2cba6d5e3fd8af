"""Parameter updates: plain SGD (21), momentum / Nesterov, and Adam.

Each optimizer holds its state (velocities, moments) beside the parameters it updates and
exposes one method, ``step(grads)``, that updates the parameter arrays *in place*. ``grads``
is a dict of arrays with the parameters' names and shapes (as ``Network.gradients`` returns);
``step`` may overwrite it (it is scratch space in the training loop).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Optimizer", "SGD", "Momentum", "Adam", "make_optimizer", "OPTIMIZERS"]


def _flush_period(decay: float) -> int:
    """Steps between two flushes of a state that shrinks by ``decay`` each step its gradient
    is zero: at most 16, and half the steps it takes to shrink 1e8-fold (from the flush
    threshold to float32's smallest normal number), so no entry turns subnormal between two."""
    if decay <= 0:
        return 16
    return max(1, min(16, int(math.log(1e8) / -math.log(decay) / 2)))


def _same_layout(*arrays) -> bool:
    """Whether the arrays are alike in dtype and shape and all C- or all F-contiguous, so that
    their memory holds the same elements in the same order."""
    a = arrays[0]
    order = "C" if a.flags.c_contiguous else "F" if a.flags.f_contiguous else None
    return order is not None and all(
        b.dtype == a.dtype and b.shape == a.shape
        and (b.flags.c_contiguous if order == "C" else b.flags.f_contiguous) for b in arrays)


def _flat(a: np.ndarray) -> np.ndarray:
    """A contiguous array as a flat view in its memory order."""
    return a.reshape(-1, order="F" if not a.flags.c_contiguous else "C")


def _flush(a: np.ndarray, below: float) -> None:
    """Zero the entries of ``a`` smaller than ``below`` in magnitude (NaN and inf stay)."""
    keep = np.abs(a) >= below
    keep |= ~np.isfinite(a)
    a *= keep


class Optimizer:
    """Base class. ``params`` is the live dict from ``Network.params``.

    Subnormal numbers. A state that decays geometrically once its gradient is exactly zero (a
    velocity, Adam's moments: a weight of a ReLU unit that stopped firing, of an input that is
    always zero in the rest of the data) passes through float32's subnormal numbers (below
    1.2e-38) on its way to zero, and on x86 every operation on one is many times slower: training
    the digits to convergence with Adam, 9-13% of the first moments were subnormal and its step
    took 2.4x as long. Every few steps (:func:`_flush_period`) such states are set to zero below
    a threshold at which they no longer change a weight in its precision: a velocity below
    1e8 x the smallest normal number (about 1e-30 in float32), Adam's first moment below
    epsilon x 1e-22 and its second moment below (epsilon x 1e-8)^2 (with epsilon = 1e-8: 1e-30
    and 1e-32, against the epsilon in the denominator of the step). With ``epsilon=0`` Adam
    steps by the moments' ratio whatever their size, and nothing is flushed.
    """

    # (class defaults: an optimizer pickled before these existed still steps)
    _period = 16   # steps between two flushes (Momentum, Adam)
    # Adam's compiled one-pass update (shallownet._fused), set by train() for a run that takes
    # the compiled kernels; None: numpy's passes
    kernels = None

    def __init__(self, params: dict[str, np.ndarray], learning_rate: float):
        if not (isinstance(learning_rate, int | float) and np.isfinite(learning_rate)
                and learning_rate > 0):
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
        self.params = params
        self.learning_rate = float(learning_rate)
        self.t = 0  # the iteration index t of (21)

    def step(self, grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        for name, p in self.params.items():
            self._update(name, p, grads[name])

    def _update(self, name, p, g):  # pragma: no cover - overridden
        raise NotImplementedError

    def rebind(self, params: dict[str, np.ndarray]) -> None:
        """Point the optimizer at new parameter arrays (after a dtype change), keeping state."""
        self.params = params


class SGD(Optimizer):
    """theta^{t+1} = theta^t - alpha dL/dtheta, equation (21)."""

    def _update(self, name, p, g):
        g *= -self.learning_rate
        p += g


class Momentum(Optimizer):
    """Heavy-ball momentum: v <- mu v - alpha g; theta <- theta + v.

    With ``nesterov=True`` the step looks ahead: theta <- theta + mu v - alpha g (the form
    used by Keras, PyTorch and scikit-learn).
    """

    def __init__(self, params, learning_rate, momentum: float = 0.9, nesterov: bool = False):
        super().__init__(params, learning_rate)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocity = {k: np.zeros_like(v) for k, v in params.items()}
        self._period = _flush_period(self.momentum)

    def step(self, grads):
        super().step(grads)
        if self.t % self._period == 0:  # (see Optimizer: subnormal numbers)
            for v in self.velocity.values():
                _flush(v, 1e8 * np.finfo(v.dtype).tiny)

    def _update(self, name, p, g):
        v = self.velocity[name]
        g *= -self.learning_rate
        v *= self.momentum
        v += g
        if self.nesterov:
            g += self.momentum * v
            p += g
        else:
            p += v

    def rebind(self, params):
        super().rebind(params)
        self.velocity = {k: self.velocity[k].astype(v.dtype) for k, v in params.items()}


class Adam(Optimizer):
    """Adam (Kingma & Ba): bias-corrected first and second moments of the gradient."""

    def __init__(self, params, learning_rate, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8):
        super().__init__(params, learning_rate)
        for nm, b in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= b < 1:
                raise ValueError(f"{nm} must be in [0, 1), got {b!r}")
        self.beta1, self.beta2, self.epsilon = float(beta1), float(beta2), float(epsilon)
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self._period = min(_flush_period(self.beta1), _flush_period(self.beta2))

    def step(self, grads):
        self.t += 1
        # bias corrections 1/(1 - beta^t) of the first and second moments
        self._c1 = self.learning_rate / (1 - self.beta1 ** self.t)
        self._c2 = 1.0 / np.sqrt(1 - self.beta2 ** self.t)
        for name, p in self.params.items():
            self._update(name, p, grads[name])
        if self.epsilon > 0 and self.t % self._period == 0:  # (Optimizer: subnormal numbers)
            for name in self.params:
                _flush(self.m[name], self.epsilon * 1e-22)
                _flush(self.v[name], (self.epsilon * 1e-8) ** 2)

    def _update(self, name, p, g):
        # theta <- theta - alpha m_hat / (sqrt(v_hat) + eps)
        m, v = self.m[name], self.v[name]
        if self.kernels is not None and _same_layout(p, g, m, v):
            t = p.dtype.type  # the scalars in the arrays' precision, as numpy's passes take them
            self.kernels.adam_step(_flat(p), _flat(g), _flat(m), _flat(v), t(self.beta1),
                                   t(1 - self.beta1), t(self.beta2), t(1 - self.beta2),
                                   t(self._c1), t(self._c2), t(self.epsilon))
            return
        m *= self.beta1
        m += (1 - self.beta1) * g
        g *= g
        v *= self.beta2
        v += (1 - self.beta2) * g
        np.sqrt(v, out=g)
        g *= self._c2
        g += self.epsilon
        np.divide(m, g, out=g)
        g *= -self._c1
        p += g

    def rebind(self, params):
        super().rebind(params)
        self.m = {k: self.m[k].astype(v.dtype) for k, v in params.items()}
        self.v = {k: self.v[k].astype(v.dtype) for k, v in params.items()}


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "nesterov": Momentum, "adam": Adam}


def make_optimizer(name: str, params, learning_rate: float, *, momentum: float = 0.9,
                   nesterov: bool = False, beta1: float = 0.9, beta2: float = 0.999,
                   epsilon: float = 1e-8) -> Optimizer:
    """Build an optimizer by name: "sgd" (21), "momentum" (``nesterov`` option), "adam"."""
    key = name.lower() if isinstance(name, str) else name
    if key == "sgd":
        return SGD(params, learning_rate)
    if key in ("momentum", "nesterov"):
        return Momentum(params, learning_rate, momentum, nesterov or key == "nesterov")
    if key == "adam":
        return Adam(params, learning_rate, beta1, beta2, epsilon)
    raise ValueError(f"optimizer={name!r} is not known; use 'sgd', 'momentum' or 'adam' "
                     "(or 'lbfgs', full batch, in shallownet.train and the estimators)")

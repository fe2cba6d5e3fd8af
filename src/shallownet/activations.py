"""Hidden-layer activations g_act of equation (2) and the lines after it.

Each activation keeps its forward map and its derivative side by side, so that a reader sees
``u = g_act(z)`` and ``du/dz`` together (the local rule used by back-propagation, section 3).

===========  ===========================  ==================================
name         g_act(z)                     g_act'(z)
===========  ===========================  ==================================
threshold    1 if z >= 0 else 0     (2)   0 for z != 0 (undefined at 0)
sigmoid      1 / (1 + exp(-z))            u (1 - u)
relu         max(0, z)                    1 if z > 0 else 0 (0 taken at z = 0)
===========  ===========================  ==================================

All functions work elementwise on arrays of any shape and accept ``out=`` so the training loop
can run without allocating.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

__all__ = ["Activation", "ACTIVATIONS", "get_activation", "sigmoid"]


def sigmoid(z, out=None):
    """The logistic function 1/(1+e^{-z}) (used in (2) and (3)); never overflows."""
    return expit(z, out=out)


def _threshold(z, out=None):
    # (2): g_act(z) = 1 if z >= 0, 0 if z < 0.  Note the closed end at z = 0.
    if out is None:
        return (z >= 0).astype(np.result_type(z, np.float32))
    np.greater_equal(z, 0, out=out, casting="unsafe")
    return out


def _threshold_grad(z, u, out=None):
    # The derivative of a step is 0 wherever it exists (every z != 0).
    if out is None:
        return np.zeros_like(z)
    out.fill(0)
    return out


def _sigmoid_grad(z, u, out=None):
    # d/dz sigmoid(z) = sigmoid(z) (1 - sigmoid(z)) = u (1 - u); section 2, Problem 3(a).
    if out is None:
        return u * (1 - u)
    np.subtract(1, u, out=out)
    np.multiply(out, u, out=out)
    return out


def _relu(z, out=None):
    return np.maximum(z, 0, out=out)


def _relu_grad(z, u, out=None):
    # Section 3, Problem 1: 1 if z > 0, 0 if z < 0; we take 0 at the kink z = 0.
    if out is None:
        return (z > 0).astype(z.dtype)
    np.greater(z, 0, out=out, casting="unsafe")
    return out


def _relu_with_grad(z, u_out, dg_out):
    # The step 1{z > 0} is ReLU's derivative, and z * 1{z > 0} is ReLU itself: one comparison
    # serves both (and a multiply is faster than numpy's NaN-aware maximum). Only z = -inf
    # differs from max(0, z) (it gives NaN); training stops on non-finite values anyway.
    np.greater(z, 0, out=dg_out, casting="unsafe")
    np.multiply(z, dg_out, out=u_out)


@dataclass(frozen=True)
class Activation:
    """An activation g_act with its derivative.

    Attributes
    ----------
    name : str
        "threshold", "sigmoid" or "relu".
    g : callable ``g(z, out=None) -> u``
        The activation, elementwise.
    dg : callable ``dg(z, u, out=None) -> du/dz``
        The elementwise derivative, given both z and u = g(z) (sigmoid's is cheapest from u).
    trainable : bool
        False when the derivative is zero almost everywhere (the threshold (2)), so gradient
        descent cannot move the hidden layer.
    init_gain : float
        Variance gain of the weight initialisation: 2 (He) for ReLU, 1 (Glorot) otherwise.
    """

    name: str
    g: Callable
    dg: Callable
    trainable: bool
    init_gain: float
    g_with_dg: Callable | None = None

    def __call__(self, z, out=None):
        return self.g(np.asarray(z), out=out)

    def forward_with_grad(self, z, u_out, dg_out) -> None:
        """u = g_act(z) into ``u_out`` and g_act'(z) into ``dg_out`` (the training loop's form)."""
        if self.g_with_dg is not None:
            self.g_with_dg(z, u_out, dg_out)
        else:
            self.g(z, out=u_out)
            self.dg(z, u_out, out=dg_out)


ACTIVATIONS: dict[str, Activation] = {
    "threshold": Activation("threshold", _threshold, _threshold_grad, False, 1.0),
    "sigmoid": Activation("sigmoid", sigmoid, _sigmoid_grad, True, 1.0),
    "relu": Activation("relu", _relu, _relu_grad, True, 2.0, _relu_with_grad),
}


def get_activation(name: str | Activation) -> Activation:
    """Look up an activation by name; raise a ValueError naming the choices otherwise."""
    if isinstance(name, Activation):
        return name
    if isinstance(name, str) and name.lower() in ACTIVATIONS:
        return ACTIVATIONS[name.lower()]
    raise ValueError(
        f"activation={name!r} is not known; use one of {sorted(ACTIVATIONS)} "
        "(equation (2) and the lines after it)"
    )

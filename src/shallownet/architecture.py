"""Choosing N_i, N_o, g_act and g_out from the problem, as section 1, Problem 4 asks.

One rule serves both the estimators (``Classifier``/``Regressor`` choose the network from the
data) and the solution of Problem 4 in the solutions document:

* N_i is fixed by the input: the number of features (a 20 x 20 image flattens to 400).
* N_o and g_out are fixed by the target:
  - two classes     -> N_o = 1, sigmoid output (3), hard decision (4), loss (17);
  - K > 2 classes   -> N_o = K, softmax output (5), hard decision (6), loss (18)/(19);
  - d real values   -> N_o = d, identity output (7), loss (20).
* N_h and g_act are free: they set the model's capacity, not its interface. shallownet's
  defaults are N_h = 100 and ReLU (sigmoid is the other trainable choice; the threshold (2)
  cannot be trained by gradient descent).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Architecture", "choose_architecture", "DEFAULT_N_H", "DEFAULT_ACTIVATION"]

DEFAULT_N_H = 100
DEFAULT_ACTIVATION = "relu"

_G_OUT = {
    "binary": "sigmoid (3): u_O = P(y=1|x) = 1/(1+e^{-z_O}); y_hat = 1 if z_O >= 0 (4)",
    "multiclass": "softmax (5): u_O,k = P(y=k|x); y_hat = argmax_k z_O,k (6)",
    "regression": "identity (7): y_hat = u_O = z_O",
}
_LOSS = {"binary": "(17)", "multiclass": "(18)/(19)", "regression": "(20)"}


@dataclass(frozen=True)
class Architecture:
    """The dimensions and functions of a one-hidden-layer network, and which are free."""

    N_i: int
    N_o: int
    output: str            # "binary", "multiclass" or "regression"
    g_out: str             # description with the equation number
    loss: str              # equation number(s) of g_loss
    N_h: int = DEFAULT_N_H
    activation: str = DEFAULT_ACTIVATION
    free: tuple[str, ...] = ("N_h", "g_act")
    fixed: tuple[str, ...] = ("N_i", "N_o", "g_out")


def choose_architecture(n_features: int, target: str, n_values: int = 1,
                        N_h: int = DEFAULT_N_H, activation: str = DEFAULT_ACTIVATION
                        ) -> Architecture:
    """Apply the rule above.

    Parameters
    ----------
    n_features : int
        N_i, the length of the input vector x.
    target : {"classes", "continuous"}
        What y is: a class label, or real values.
    n_values : int
        The number of classes K (for "classes") or of target values d (for "continuous").
    """
    if not isinstance(n_features, int) or n_features < 1:
        raise ValueError(f"n_features must be a positive integer, got {n_features!r}")
    if target == "classes":
        if n_values < 2:
            raise ValueError(
                f"classification needs at least two classes, got {n_values}; a single class "
                "leaves nothing to learn"
            )
        output = "binary" if n_values == 2 else "multiclass"
        N_o = 1 if n_values == 2 else n_values
    elif target == "continuous":
        if n_values < 1:
            raise ValueError(f"regression needs at least one target value, got {n_values}")
        output, N_o = "regression", n_values
    else:
        raise ValueError(f"target must be 'classes' or 'continuous', got {target!r}")
    return Architecture(N_i=n_features, N_o=N_o, output=output, g_out=_G_OUT[output],
                        loss=_LOSS[output], N_h=N_h, activation=activation)

"""Standardisation folded into the network's layers, so a saved model predicts on raw data."""

from __future__ import annotations

import numpy as np

__all__ = ["fold_standardisation", "fold_target_standardisation"]


def fold_standardisation(network, mean, scale) -> None:
    """Fold x' = (x - mean) / scale into the hidden layer of (1), in place.

    z_H = W_H x' + b_H = (W_H / scale) x + (b_H - W_H (mean / scale)); computed in float64 and
    stored in the network's precision.
    """
    mean = np.asarray(mean, dtype=np.float64)
    scale = np.asarray(scale, dtype=np.float64)
    W_H = network.params["W_H"].astype(np.float64)
    b_H = network.params["b_H"].astype(np.float64)
    network.set_params(W_H=W_H / scale, b_H=b_H - W_H @ (mean / scale))


def fold_target_standardisation(network, mean, scale) -> None:
    """Fold y = mean + scale * y' into the output layer of a regression network, in place.

    A network trained on y' = (y - mean) / scale predicts y' = W_O u_H + b_O (7), so
    y = (scale W_O) u_H + (scale b_O + mean); computed in float64, stored in the network's
    precision.
    """
    mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    scale = np.atleast_1d(np.asarray(scale, dtype=np.float64))
    W_O = network.params["W_O"].astype(np.float64)
    b_O = network.params["b_O"].astype(np.float64)
    network.set_params(W_O=W_O * scale[:, None], b_O=b_O * scale + mean)


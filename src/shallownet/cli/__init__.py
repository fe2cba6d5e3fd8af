"""The ``shallownet`` command: train, predict, evaluate, info, export, problems, playground.

Built with typer (commands and ``--help``) and rich (progress bar and tables). Every command
turns bad input into one line ``error: ...`` on stderr and exit status 2, never a traceback
(set ``SHALLOWNET_DEBUG=1`` to see one). Ctrl-C during ``train`` finishes the current batch,
saves the best model so far and exits with status 130.

Standardisation
---------------
``train`` standardises the inputs by default (``--scale``): it trains on
x' = (x - mean) / scale with the training split's mean and standard deviation, then folds that
map into the hidden layer of (1),

    z_H = W_H x' + b_H = (W_H / scale) x + (b_H - W_H (mean / scale)),

and, for regression, standardises the target too and folds y = mean_y + scale_y y' into the
output layer (W_O <- scale_y W_O, b_O <- scale_y b_O + mean_y),

so the saved model is an ordinary shallownet model that predicts on the raw data, in Python
(``shallownet.io.load``) as on the command line, with no scaler to carry along.
"""

from __future__ import annotations

from ..preprocessing import fold_standardisation, fold_target_standardisation
from . import export, info, playground, predict, problems, train  # noqa: F401  (register commands)
from .app import app, main
from .errors import EXIT_FAILURE, EXIT_INPUT, EXIT_INTERRUPT, ExitStatus
from .train import plot_curves

__all__ = ["app", "main", "EPOCH_CALLBACKS", "ExitStatus", "EXIT_FAILURE", "EXIT_INPUT",
           "EXIT_INTERRUPT", "fold_standardisation", "fold_target_standardisation", "plot_curves"]

#: Extra per-epoch callbacks (f(EpochInfo) -> bool) that ``train`` passes to the estimator, for
#: programs that embed the command (and for tests).
EPOCH_CALLBACKS: list = []

"""shallownet: neural networks with one hidden layer, built on the notes' equations (1)-(21).

Quick tour::

    import shallownet as sn
    net = sn.Network(W_H=[[1], [1]], b_H=[-2, -4], W_O=[1, -2], b_O=-0.5,
                     activation="threshold", output="binary")      # Problem 2
    net.forward([0, 1, 3, 5, 3.5]).z_O                               # Table 1
"""

from __future__ import annotations

from importlib import import_module

from .activations import ACTIVATIONS, get_activation
from .network import Network, Trace
from .optimizers import SGD, Adam, Momentum
from .outputs import OUTPUTS, get_output
from .training import EpochInfo, History, score, train

__version__ = "0.1.0"

# Heavier pieces load on first use, so `import shallownet` stays quick.
_LAZY = {
    "Classifier": "estimators",
    "Regressor": "estimators",
    "save": "io",
    "load": "io",
    "jacobian": "tensors",
    "chain": "tensors",
    "trace": "explain",
    "describe_piecewise": "explain",
    "graph": None,
    "data": None,
    "datasets": None,
    "plotting": None,
    "problems": None,
    "explain": None,
    "tensors": None,
    "io": None,
    "to_onnx": "export.onnx",
}


def __getattr__(name: str):
    if name in _LAZY:
        module = import_module(f".{_LAZY[name] or name}", __name__)
        return module if _LAZY[name] is None else getattr(module, name)
    raise AttributeError(f"module 'shallownet' has no attribute {name!r}")


def __dir__() -> list[str]:
    # the lazily loaded names too, so tab completion finds Classifier, save, jacobian, ...
    return sorted(set(__all__) | {"__version__"})


__all__ = [
    "ACTIVATIONS", "OUTPUTS", "Adam", "EpochInfo", "History", "Momentum", "Network", "SGD",
    "Trace", "get_activation", "get_output", "score", "train", "__version__", *_LAZY,
]

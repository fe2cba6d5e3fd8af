"""shallownet: neural networks with one hidden layer, built on the notes' equations (1)-(21).

Quick tour::

    import shallownet as sn
    net = sn.Network(W_H=[[1], [1]], b_H=[-2, -4], W_O=[1, -2], b_O=-0.5,
                     activation="threshold", output="binary")      # Problem 2
    net.forward([0, 1, 3, 5, 3.5]).z_O                               # Table 1
"""

from __future__ import annotations

__version__ = "0.1.0"

# Everything loads on first use, so `import shallownet` is instant (and the command line can
# turn Ctrl-C during its imports into one line and exit status 130).
_LAZY = {
    "ACTIVATIONS": "activations",
    "get_activation": "activations",
    "Network": "network",
    "Trace": "network",
    "SGD": "optimizers",
    "Adam": "optimizers",
    "Momentum": "optimizers",
    "OUTPUTS": "outputs",
    "get_output": "outputs",
    "EpochInfo": "training",
    "History": "training",
    "score": "training",
    "train": "training",
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
        from importlib import import_module

        module = import_module(f".{_LAZY[name] or name}", __name__)
        value = module if _LAZY[name] is None else getattr(module, name)
        globals()[name] = value  # found directly from now on
        return value
    raise AttributeError(f"module 'shallownet' has no attribute {name!r}")


def __dir__() -> list[str]:
    # the lazily loaded names too, so tab completion finds Classifier, save, jacobian, ...
    return sorted(set(__all__) | {"__version__"})


__all__ = ["__version__", *_LAZY]

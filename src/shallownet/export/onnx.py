"""ONNX export of a shallownet model: the forward pass (10a)/(10b) as an ONNX graph.

:func:`to_onnx` turns a :class:`~shallownet.Network`, a fitted ``Classifier``/``Regressor`` or a
saved model file into an ``onnx.ModelProto`` that any ONNX runtime evaluates::

    Z_H = X W_H^T + b_H        Gemm(transB=1)                       (10a)
    U_H = g_act(Z_H)           Relu | Sigmoid | Cast(GreaterOrEqual(Z_H, 0))   (2)
    Z_O = U_H W_O^T + b_O      Gemm(transB=1)                       (10b)

and then, by output type:

* binary (3)/(4): ``probabilities`` = [1 - sigmoid(z_O), sigmoid(z_O)], ``label`` from z_O >= 0;
* multiclass (5)/(6): ``probabilities`` = Softmax(z_O), ``label`` from ArgMax(z_O);
* regression (7): ``variable`` = z_O.

A classifier's ``label`` holds ``classes_`` themselves (int64, string, bool or double tensors,
as the labels were); a bare network's holds the 0-based class index. The input is named ``X``,
(N, N_i), float32 by default. The model carries ``feature_names``, ``classes`` and the whole
:func:`shallownet.io.describe` summary (architecture, hyper-parameters, training record, your
saved ``metadata``) in its ``metadata_props``; the default opset is :data:`ONNX_OPSET`. A
Pipeline of StandardScaler, MinMaxScaler, MaxAbsScaler and RobustScaler steps ending in a
shallownet estimator (what :func:`shallownet.save` writes) exports with its scalers in front,
op for op as scikit-learn computes them (Sub, Div; Mul, Add and, with ``clip``, Max, Min), in
float64 on a float64 input ``X`` as scikit-learn runs them, then cast to ``dtype`` for the
network.

:func:`register_skl2onnx` registers converters with skl2onnx, so that a scikit-learn
``Pipeline`` ending in a shallownet estimator converts with ``skl2onnx.to_onnx``; it follows
skl2onnx's conventions there (int64 or string labels, ``zipmap`` option).

Requires the ``onnx`` extra: ``pip install "shallownet[onnx]"``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..network import Network

__all__ = ["ONNX_OPSET", "to_onnx", "register_skl2onnx"]

#: The ONNX operator set the exported graphs use (every op here is at its opset-17 version).
ONNX_OPSET = 17
_IR_VERSION = 8  # the IR of opset 17: readable by onnxruntime >= 1.13


def _onnx():
    try:
        import onnx
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "ONNX export needs the onnx package: pip install 'shallownet[onnx]'"
        ) from exc
    return onnx


# ---------------------------------------------------------------------------- the graph
class _Emitter:
    """Adds nodes and constants to a graph under construction, with unique names.

    The same forward graph is written into a plain ``onnx.GraphProto`` (:func:`to_onnx`) and
    into skl2onnx's container (a Pipeline step), through these three callables.
    """

    def __init__(self, add_node: Callable, add_const: Callable, unique: Callable):
        self._add_node, self._add_const, self.unique = add_node, add_const, unique

    def node(self, op: str, inputs: list[str], hint: str | None = None, **attrs) -> str:
        out = self.unique(hint or op.lower())
        self._add_node(op, inputs, [out], **attrs)
        return out

    def const(self, hint: str, value: np.ndarray) -> str:
        name = self.unique(hint)
        self._add_const(name, np.asarray(value))
        return name


def _emit_forward(em: _Emitter, net: Network, x: str, dtype) -> str:
    """Nodes for (10a), g_act and (10b); returns the name of z_O."""
    W_H = em.const("W_H", net.W_H.astype(dtype))
    b_H = em.const("b_H", net.b_H.astype(dtype))
    W_O = em.const("W_O", net.W_O.astype(dtype))
    b_O = em.const("b_O", net.b_O.astype(dtype))
    z_H = em.node("Gemm", [x, W_H, b_H], "z_H", transB=1)                    # (10a)
    name = net.activation.name
    if name == "relu":
        u_H = em.node("Relu", [z_H], "u_H")
    elif name == "sigmoid":
        u_H = em.node("Sigmoid", [z_H], "u_H")
    elif name == "threshold":  # (2): 1 where z >= 0 (the closed end included), else 0
        zero = em.const("zero", np.zeros((), dtype))
        step = em.node("GreaterOrEqual", [z_H, zero], "step")
        u_H = em.node("Cast", [step], "u_H", to=_tensor_type(np.dtype(dtype)))
    else:  # pragma: no cover - activations.ACTIVATIONS lists exactly these three
        raise ValueError(f"no ONNX form for the activation {name!r}")
    return em.node("Gemm", [u_H, W_O, b_O], "z_O", transB=1)                 # (10b)


def _emit_outputs(em: _Emitter, net: Network, z_O: str, dtype, classes, label: str | None,
                  proba: str | None, variable: str | None) -> None:
    """Outputs from z_O: probabilities and labels (3)-(6), or the values (7).

    ``label``, ``proba`` and ``variable`` are the names the outputs must have; ``classes`` is the
    array the label indices select from (None: the index itself).
    """
    kind = net.output.name
    if kind == "regression":
        em._add_node("Identity", [z_O], [variable])                          # (7)
        return
    if kind == "binary":
        p = em.node("Sigmoid", [z_O], "p")                                   # (3)
        one = em.const("one", np.ones((), dtype))
        q = em.node("Sub", [one, p], "q")
        em._add_node("Concat", [q, p], [proba], axis=1)
        zero = em.const("zero", np.zeros((), dtype))
        positive = em.node("GreaterOrEqual", [z_O, zero], "positive")        # (4)
        index_col = em.node("Cast", [positive], "index_col", to=_tensor_type(np.dtype("int64")))
        flat = em.const("flat", np.array([-1], np.int64))
        index = em.node("Reshape", [index_col, flat], "index")
    else:
        em._add_node("Softmax", [z_O], [proba], axis=1)                      # (5)
        index = em.node("ArgMax", [z_O], "index", axis=1, keepdims=0)        # (6)
    if classes is None:
        em._add_node("Identity", [index], [label])
    else:
        table = em.const("classes", classes)
        em._add_node("Gather", [table, index], [label], axis=0)


def _tensor_type(dtype: np.dtype) -> int:
    from onnx import TensorProto

    if dtype.kind in "OUS":
        return TensorProto.STRING
    return {np.dtype("float32"): TensorProto.FLOAT, np.dtype("float64"): TensorProto.DOUBLE,
            np.dtype("int64"): TensorProto.INT64, np.dtype("bool"): TensorProto.BOOL}[dtype]


def _label_table(classes: np.ndarray) -> np.ndarray:
    """``classes_`` as an array ONNX can hold: int64, bool, float64 or str (object)."""
    values = classes.tolist()
    if all(isinstance(v, bool) for v in values):
        return np.array(values, dtype=bool)
    if all(isinstance(v, int) for v in values):
        big = [v for v in values if not -2**63 <= v < 2**63]
        if big:
            raise TypeError(
                f"class label {big[0]} does not fit the int64 tensor ONNX holds integer labels "
                "in; fit the model with the labels as strings (np.asarray(y, dtype=str)) to "
                "export it")
        return np.array(values, dtype=np.int64)
    if all(isinstance(v, float) for v in values):
        return np.array(values, dtype=np.float64)
    if all(isinstance(v, str) for v in values):
        return np.array(values, dtype=object)
    raise TypeError(
        f"class labels {values[:5]} mix types ONNX cannot hold in one tensor; use ints, "
        "strings or bools"
    )


# ---------------------------------------------------------------------------- to_onnx
def _resolve(model):
    """(network, classes or None, describe() summary, kind) of a model or a model file."""
    from .. import io

    if isinstance(model, str | os.PathLike):
        path = Path(os.fspath(model))
        if not path.is_file():
            raise FileNotFoundError(f"no such model file: {path}")
        summary, model = io.describe(path), io.load(path)
    elif _is_pipeline(model):
        _scaler_steps(model)  # what this function cannot convert, said its own way
        try:
            summary = io.describe(model)
        except TypeError:  # a Pipeline save would refuse (memory=...): its estimator's own
            summary = io.describe(model.steps[-1][1])
    else:
        summary = io.describe(model)  # raises a TypeError naming what is accepted
    steps = []
    if _is_pipeline(model):
        steps, model = _scaler_steps(model), model.steps[-1][1]
    net = model if isinstance(model, Network) else model.network_
    classes = getattr(model, "classes_", None)
    return net, classes, summary, steps


def _is_pipeline(model) -> bool:
    return type(model).__name__ == "Pipeline" and hasattr(model, "steps")


def _scaler_steps(pipe) -> list:
    """The fitted scalers before a Pipeline's shallownet estimator (what :func:`shallownet.save`
    writes; ``memory`` and the other Pipeline settings do not matter to a fitted export);
    anything else is refused, once, with the way that converts it."""
    from sklearn.utils.validation import check_is_fitted

    from .._pipeline_file import SCALERS, _classes
    from ..estimators import Classifier, Regressor

    route = ("; a Pipeline of other steps that skl2onnx knows converts with skl2onnx: "
             "shallownet.export.onnx.register_skl2onnx(), then skl2onnx.to_onnx(pipeline, X[:1])")
    final = pipe.steps[-1][1]
    if not isinstance(final, Classifier | Regressor):
        shown = repr(final) if isinstance(final, str) or final is None else type(final).__name__
        raise TypeError(f"to_onnx converts a Pipeline that ends in a shallownet Classifier or "
                        f"Regressor; this one ends in {shown}{route}")
    check_is_fitted(final, "network_")
    known = _classes()
    steps = []
    for name, step in pipe.steps[:-1]:
        if step is None or step == "passthrough":
            continue
        if known.get(type(step).__name__) is not type(step):
            raise TypeError(f"to_onnx converts a Pipeline of {', '.join(SCALERS)} or "
                            f"'passthrough' steps before a shallownet estimator; step {name!r} "
                            f"is a {type(step).__name__}{route}")
        check_is_fitted(step)
        steps.append(step)
    return steps


def _emit_scaler(em: _Emitter, step, x: str, dtype) -> str:
    """A fitted scaler's transform, op for op as scikit-learn computes it."""
    kind = type(step).__name__

    def const(hint, value):
        return em.const(hint, np.asarray(value, np.float64).astype(dtype))

    if kind == "StandardScaler":
        if getattr(step, "mean_", None) is not None and step.with_mean:
            x = em.node("Sub", [x, const("mean", step.mean_)], "centred")
        if getattr(step, "scale_", None) is not None:
            x = em.node("Div", [x, const("scale", step.scale_)], "scaled")
    elif kind == "RobustScaler":
        if getattr(step, "center_", None) is not None:
            x = em.node("Sub", [x, const("center", step.center_)], "centred")
        if getattr(step, "scale_", None) is not None:
            x = em.node("Div", [x, const("scale", step.scale_)], "scaled")
    elif kind == "MaxAbsScaler":
        x = em.node("Div", [x, const("max_abs", step.scale_)], "scaled")
    elif kind == "MinMaxScaler":
        x = em.node("Mul", [x, const("scale", step.scale_)], "scaled")
        x = em.node("Add", [x, const("min", step.min_)], "shifted")
        if step.clip:
            low, high = step.feature_range
            x = em.node("Max", [x, const("low", np.full(step.scale_.shape, low))], "above")
            x = em.node("Min", [x, const("high", np.full(step.scale_.shape, high))], "clipped")
    else:  # pragma: no cover - _scaler_steps lets exactly these through
        raise TypeError(f"no ONNX form for a {kind} step")
    return x


def to_onnx(model, path=None, *, dtype="float32", opset: int = ONNX_OPSET):
    """Export a model as ONNX: the forward pass (10a)/(10b) and the output map (3)-(7).

    Parameters
    ----------
    model : Network, fitted Classifier or Regressor, a fitted Pipeline of scalers ending in
        one (what :func:`shallownet.save` writes), or a path to a saved model file
    path : str or path-like, optional
        Also write the model there (atomically: a temporary file renamed over the target).
    dtype : {"float32", "float64"}, default "float32"
        Precision of the input ``X``, the weights and the float outputs.
    opset : int, default ONNX_OPSET (17)
        The ONNX operator set to declare (17 or later).

    Returns
    -------
    onnx.ModelProto
        Input ``X`` (N, N_i), in ``dtype`` (float64 for a Pipeline with scalers). Outputs:
        ``label`` (N,) and ``probabilities`` (N, K), K >= 2, for classification (a network's
        labels are class indices 0..K-1, a classifier's its ``classes_``), or ``variable``
        (N, N_o) for regression.
    """
    onnx = _onnx()
    from onnx import helper

    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    if not isinstance(opset, int) or opset < ONNX_OPSET:
        raise ValueError(f"opset must be an integer >= {ONNX_OPSET}, got {opset!r}")
    net, classes, summary, scalers = _resolve(model)
    table = None if classes is None else _label_table(np.asarray(classes))

    nodes, inits, taken = [], [], set()

    def unique(hint: str) -> str:
        name, i = hint, 1
        while name in taken:
            i += 1
            name = f"{hint}_{i}"
        taken.add(name)
        return name

    def add_node(op, inputs, outputs, **attrs):
        nodes.append(helper.make_node(op, inputs, outputs, name=unique(f"{op}_node"), **attrs))

    def add_const(name, value):
        inits.append(onnx.numpy_helper.from_array(value, name))

    em = _Emitter(add_node, add_const, unique)
    x = unique("X")
    outputs = ["variable"] if net.output.name == "regression" else ["label", "probabilities"]
    for name in outputs:
        taken.add(name)
    # a Pipeline's scalers run in float64 on a float64 X, as scikit-learn's do (a float32 X
    # would lose the digits of a feature with a large offset and a small spread before
    # scaling); the network then runs in ``dtype``
    x_dtype = np.dtype(np.float64) if scalers else dtype
    features = x
    for step in scalers:  # before (10a)
        features = _emit_scaler(em, step, features, x_dtype)
    if x_dtype != dtype:
        features = em.node("Cast", [features], "scaled_X", to=_tensor_type(dtype))
    z_O = _emit_forward(em, net, features, dtype)
    _emit_outputs(em, net, z_O, dtype, table, "label", "probabilities", "variable")

    ftype = _tensor_type(dtype)
    inputs = [helper.make_tensor_value_info(x, _tensor_type(x_dtype), ["N", net.N_i])]
    if net.output.name == "regression":
        out_info = [helper.make_tensor_value_info("variable", ftype, ["N", net.N_o])]
    else:
        label_type = _tensor_type(np.dtype("int64") if table is None else table.dtype)
        K = max(net.N_o, 2)
        out_info = [helper.make_tensor_value_info("label", label_type, ["N"]),
                    helper.make_tensor_value_info("probabilities", ftype, ["N", K])]
    graph = helper.make_graph(nodes, "shallownet", inputs, out_info, initializer=inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="shallownet",
                              producer_version=str(summary["shallownet_version"]))
    proto.ir_version = _IR_VERSION if opset == ONNX_OPSET else proto.ir_version
    proto.doc_string = (f"shallownet {summary['kind']}: N_i={net.N_i}, N_h={net.N_h}, "
                        f"N_o={net.N_o}, activation={net.activation.name}, "
                        f"output={net.output.name}")
    meta = {"shallownet": json.dumps(summary, default=str),
            "feature_names": json.dumps(summary["feature_names"]),
            "classes": json.dumps(summary["classes"], default=str)}
    helper.set_model_props(proto, meta)
    onnx.checker.check_model(proto)
    if path is not None:
        from ..io import _atomic_write

        target = Path(os.fspath(path))
        if not target.parent.is_dir():
            raise ValueError(f"cannot write {target}: the folder {target.parent} does not exist")
        if target.exists() and not target.is_file():
            raise ValueError(f"cannot write {target}: it exists and is not a regular file")
        if isinstance(model, str | os.PathLike) and target.exists() and \
                os.path.samefile(target, os.fspath(model)):
            raise ValueError(f"cannot write {target}: it is the model file being exported; "
                             "choose another path")
        _atomic_write(target, proto.SerializeToString())
    return proto


# ---------------------------------------------------------------------------- skl2onnx
def _skl2onnx_shape(operator) -> None:
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes

    model = operator.raw_operator
    if hasattr(model, "classes_"):
        calculate_linear_classifier_output_shapes(operator)
        return
    N = operator.inputs[0].get_first_dimension()
    cls = DoubleTensorType if isinstance(operator.inputs[0].type, DoubleTensorType) \
        else FloatTensorType
    operator.outputs[0].type = cls([N, model.network_.N_o])


def _skl2onnx_convert(scope, operator, container) -> None:
    """Write a fitted shallownet estimator into skl2onnx's container (one Pipeline step)."""
    from skl2onnx.common.data_types import DoubleTensorType

    model = operator.raw_operator
    net = model.network_
    dtype = np.float64 if isinstance(operator.inputs[0].type, DoubleTensorType) \
        else np.float32

    def add_node(op, inputs, outputs, **attrs):
        container.add_node(op, inputs, outputs, name=scope.get_unique_operator_name(op),
                           op_version=ONNX_OPSET, **attrs)

    def add_const(name, value):
        container.add_initializer(name, _tensor_type(value.dtype), list(value.shape),
                                  value.ravel().tolist())

    em = _Emitter(add_node, add_const, scope.get_unique_variable_name)
    z_O = _emit_forward(em, net, operator.inputs[0].full_name, dtype)
    if net.output.name == "regression":
        _emit_outputs(em, net, z_O, dtype, None, None, None, operator.outputs[0].full_name)
        return
    if scope.get_options(model, {"nocl": False})["nocl"]:  # labels as class indices
        table = None
    else:
        table = _label_table(np.asarray(model.classes_))
    if table is None:
        pass
    elif table.dtype == bool:  # skl2onnx's convention: numeric labels are int64
        table = table.astype(np.int64)
    elif table.dtype == np.float64:
        if not np.all(table == np.round(table)):
            raise TypeError(f"skl2onnx holds numeric class labels as int64; {table.tolist()} "
                            "are not whole numbers. Export with shallownet.to_onnx instead")
        table = table.astype(np.int64)
    _emit_outputs(em, net, z_O, dtype, table, operator.outputs[0].full_name,
                  operator.outputs[1].full_name, None)


def register_skl2onnx() -> None:
    """Register shallownet's Classifier and Regressor with skl2onnx (idempotent).

    After this call, ``skl2onnx.to_onnx(pipeline, X[:1])`` converts a Pipeline whose last
    step is a shallownet estimator (e.g. ``StandardScaler`` + ``Classifier``). Classifiers
    accept skl2onnx's ``zipmap`` option (``options={id(clf): {"zipmap": False}}`` gives the
    probabilities as a plain (N, K) tensor) and ``nocl`` (labels as class indices).
    """
    from skl2onnx import update_registered_converter

    from ..estimators import Classifier, Regressor

    update_registered_converter(Classifier, "ShallownetClassifier", _skl2onnx_shape,
                                _skl2onnx_convert, options={"zipmap": [True, False, "columns"],
                                                            "nocl": [True, False]})
    update_registered_converter(Regressor, "ShallownetRegressor", _skl2onnx_shape,
                                _skl2onnx_convert)

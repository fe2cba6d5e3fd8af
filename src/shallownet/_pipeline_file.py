"""A fitted scikit-learn Pipeline of scalers and a shallownet estimator, as data.

``shallownet.save`` stores such a pipeline without pickle: each scaler as its class name (one
of :data:`SCALERS`), its parameters and its fitted attributes (arrays as extra tensors of the
model file, the rest as JSON); the final estimator as any shallownet model. ``shallownet.load``
rebuilds the same Pipeline (same step names, parameters, attributes, output settings), so that
it predicts exactly as the saved one. Everything is checked on the way in: only these classes,
only the attributes a scaler with those parameters has after fitting, arrays of the right
length and finite, and a probe transform that must come out finite (a zero scale is refused).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

__all__ = ["SCALERS", "PipelineFileError", "split", "check", "build"]

SCALERS = ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler")
_ARRAY_DTYPES = ("float32", "float64", "int64")
_SCALAR_TYPES = {"int": int, "float": float, "int64": np.int64, "float64": np.float64}
_RESERVED = {"steps", "memory", "verbose", "transform_input"}
_MAX_STEPS = 16
_OUTPUTS = ("default", "pandas", "polars")


class PipelineFileError(ValueError):
    """The pipeline cannot be saved, or its description in a file is not valid."""


def _classes() -> dict:
    from sklearn import preprocessing

    return {name: getattr(preprocessing, name) for name in SCALERS}


def tensor_name(index: int, attribute: str) -> str:
    return f"pipeline.{index}.{attribute}"


# ---------------------------------------------------------------------------- save
def split(pipe) -> tuple[object, dict, dict[str, np.ndarray]]:
    """(final estimator, JSON description, extra tensors) of a fitted Pipeline."""
    from sklearn.utils.validation import check_is_fitted

    params = pipe.get_params(deep=False)
    if params.get("memory") is not None:
        raise PipelineFileError("a Pipeline with memory=... caches its steps with pickle; set "
                                "memory=None before saving")
    if params.get("transform_input") is not None:
        raise PipelineFileError("a Pipeline with transform_input=... cannot be saved; set it "
                                "to None")
    steps = list(pipe.steps)
    if not 1 <= len(steps) <= _MAX_STEPS + 1:
        raise PipelineFileError(f"a Pipeline of at most {_MAX_STEPS} scalers and an estimator "
                                f"can be saved, this one has {len(steps)} steps")
    described, arrays = [], {}
    classes = _classes()
    for i, (name, step) in enumerate(steps[:-1]):
        if step is None or step == "passthrough":
            described.append({"name": name, "class": "passthrough"})
            continue
        kind = type(step).__name__
        if classes.get(kind) is not type(step):
            raise PipelineFileError(
                f"step {name!r} is a {kind}; a saved Pipeline holds only {', '.join(SCALERS)} "
                "(or 'passthrough') before the shallownet estimator; fold other transforms "
                "into the data, or export the pipeline with skl2onnx "
                "(shallownet.export.onnx.register_skl2onnx(), then skl2onnx.to_onnx)")
        check_is_fitted(step)
        entry = {"name": name, "class": kind, "params": _params_json(step),
                 "attributes": {}, "arrays": {},
                 "output": getattr(step, "_sklearn_output_config", {}).get("transform",
                                                                           "default")}
        for attr, value in sorted(vars(step).items()):
            if not attr.endswith("_") or attr.startswith("_"):
                continue
            if attr == "feature_names_in_":
                entry["attributes"][attr] = [str(v) for v in value]
            elif isinstance(value, np.ndarray) and value.ndim == 1 \
                    and value.dtype.name in _ARRAY_DTYPES:
                arrays[tensor_name(i, attr)] = np.ascontiguousarray(value)
                entry["arrays"][attr] = value.dtype.name
            elif value is None:
                entry["attributes"][attr] = None
            elif isinstance(value, int | float | np.integer | np.floating) \
                    and not isinstance(value, bool):
                scalar = next((t for t, cls in _SCALAR_TYPES.items() if type(value) is cls),
                              None)
                if scalar is None:
                    raise PipelineFileError(f"{name}.{attr} of type {type(value).__name__} "
                                            "cannot be saved")
                entry["attributes"][attr] = {"type": scalar, "value": value.item()
                                             if isinstance(value, np.generic) else value}
            else:
                raise PipelineFileError(f"{name}.{attr} ({type(value).__name__}) cannot be "
                                        "saved")
        described.append(entry)
    final_name, final = steps[-1]
    spec = {"steps": described, "final": final_name, "verbose": bool(params.get("verbose"))}
    return final, spec, arrays


def _params_json(step) -> dict:
    out = {}
    for k, v in step.get_params(deep=False).items():
        if isinstance(v, tuple):
            v = list(v)
        if isinstance(v, np.generic):
            v = v.item()
        if not (v is None or isinstance(v, bool | int | float | str)
                or (isinstance(v, list) and all(isinstance(x, int | float) for x in v))):
            raise PipelineFileError(f"parameter {k}={v!r} of {type(step).__name__} cannot be "
                                    "saved")
        out[k] = v
    return out


# ---------------------------------------------------------------------------- load
def check(spec, n_features: int) -> dict[str, tuple[list[int], str]]:
    """Check the description; returns the extra tensors it needs: name -> (shape, dtype).

    ``n_features`` is the estimator's N_i (what the last scaler must put out).
    """
    if not isinstance(spec, dict) or set(spec) != {"steps", "final", "verbose"}:
        raise PipelineFileError("pipeline must have exactly the keys 'final', 'steps', "
                                "'verbose'")
    steps, final = spec["steps"], spec["final"]
    if not isinstance(spec["verbose"], bool):
        raise PipelineFileError("pipeline verbose must be true or false")
    if not isinstance(steps, list) or len(steps) > _MAX_STEPS:
        raise PipelineFileError(f"pipeline steps must be a list of at most {_MAX_STEPS}")
    names = [s.get("name") if isinstance(s, dict) else None for s in steps] + [final]
    for n in names:
        if not isinstance(n, str) or not n or "__" in n or len(n) > 100 or n in _RESERVED:
            raise PipelineFileError(f"step name {_cut(n)} is not a valid Pipeline step name")
    if len(set(names)) != len(names):
        raise PipelineFileError("the pipeline's step names are not distinct")
    needed: dict[str, tuple[list[int], str]] = {}
    classes = _classes()
    for i, entry in enumerate(steps):
        if entry.get("class") == "passthrough":
            if set(entry) != {"name", "class"}:
                raise PipelineFileError(f"step {entry['name']!r}: a passthrough has no settings")
            continue
        keys = {"name", "class", "params", "attributes", "arrays", "output"}
        if set(entry) != keys:
            raise PipelineFileError(f"step {_cut(entry['name'])} must have exactly the keys "
                                    f"{sorted(keys)}")
        if entry["class"] not in classes:
            raise PipelineFileError(f"step {_cut(entry['name'])} is a {_cut(entry['class'])}; "
                                    f"only {', '.join(SCALERS)} are read")
        if entry["output"] not in _OUTPUTS:
            raise PipelineFileError(f"step {entry['name']!r}: unknown output "
                                    f"{_cut(entry['output'])}")
        step = _with_params(classes[entry["class"]], entry)
        attrs, arrays = entry["attributes"], entry["arrays"]
        if not isinstance(attrs, dict) or not isinstance(arrays, dict):
            raise PipelineFileError(f"step {entry['name']!r}: attributes and arrays must be "
                                    "objects")
        reference = _reference_attributes(step, n_features, "feature_names_in_" in attrs)
        given = set(attrs) | set(arrays)
        if given != set(reference) or set(attrs) & set(arrays):
            raise PipelineFileError(
                f"step {entry['name']!r}: a fitted {entry['class']} with these parameters has "
                f"the attributes {sorted(reference)}, the file gives {_cut(sorted(given))}")
        for attr, dtype in arrays.items():
            if dtype not in _ARRAY_DTYPES or not isinstance(reference[attr], np.ndarray):
                raise PipelineFileError(f"step {entry['name']!r}: {attr} cannot be an array "
                                        f"of {_cut(dtype)}")
            needed[tensor_name(i, attr)] = ([n_features], dtype)
        for attr, value in attrs.items():
            _check_attribute(entry["name"], attr, value, reference[attr], n_features)
    return needed


def _with_params(cls, entry):
    params = entry["params"]
    defaults = cls().get_params(deep=False)
    if not isinstance(params, dict) or set(params) - set(defaults):
        raise PipelineFileError(f"step {entry['name']!r}: unknown parameter(s) "
                                f"{_cut(sorted(set(params) - set(defaults)))}")
    values = {}
    for k, v in params.items():
        d = defaults[k]
        if isinstance(d, bool):
            ok = isinstance(v, bool)
        elif isinstance(d, tuple):
            ok = isinstance(v, list) and len(v) == len(d) and all(
                isinstance(x, int | float) and not isinstance(x, bool) for x in v)
            v = tuple(v) if ok else v
        elif isinstance(d, int | float):
            ok = isinstance(v, int | float) and not isinstance(v, bool)
        else:
            ok = v is None or isinstance(v, bool | int | float | str)
        if not ok:
            raise PipelineFileError(f"step {entry['name']!r}: parameter {k}={_cut(v)} has the "
                                    "wrong type")
        values[k] = v
    step = cls(**values)
    try:
        step._validate_params()
    except Exception as exc:  # scikit-learn's own range checks
        raise PipelineFileError(f"step {entry['name']!r}: {exc}") from None
    return step


def _reference_attributes(step, n_features: int, named: bool) -> dict:
    """The fitted attributes of ``step`` fitted on two rows: the names a file must give."""
    from sklearn.base import clone

    X = np.vstack([np.zeros(n_features), np.ones(n_features)])
    if named:
        import pandas as pd

        X = pd.DataFrame(X, columns=[f"x{j}" for j in range(n_features)])
    ref = clone(step).fit(X)
    return {k: v for k, v in vars(ref).items() if k.endswith("_") and not k.startswith("_")}


def _check_attribute(step_name, attr, value, reference, n_features: int) -> None:
    where = f"step {step_name!r}: {attr}"
    if attr == "feature_names_in_":
        if not (isinstance(value, list) and len(value) == n_features
                and all(isinstance(v, str) for v in value) and len(set(value)) == len(value)):
            raise PipelineFileError(f"{where} must be {n_features} distinct names")
    elif attr == "n_features_in_":
        if value != {"type": "int", "value": n_features}:
            raise PipelineFileError(f"{where} must be {n_features}, the estimator's N_i")
    elif reference is None:
        if value is not None:
            raise PipelineFileError(f"{where} must be null for these parameters")
    elif isinstance(value, dict) and set(value) == {"type", "value"} \
            and value["type"] in _SCALAR_TYPES:
        v = value["value"]
        ok_int = isinstance(v, int) and not isinstance(v, bool)
        ok = ok_int or (isinstance(v, float) and value["type"] in ("float", "float64"))
        if not ok or not math.isfinite(v) or v < 0:
            raise PipelineFileError(f"{where} is not a non-negative number")
    else:
        raise PipelineFileError(f"{where} is malformed")


def build(spec: dict, arrays: dict[str, np.ndarray], estimator):
    """The Pipeline described by ``spec`` (checked by :func:`check`), ending in ``estimator``."""
    from sklearn.pipeline import Pipeline

    classes = _classes()
    steps = []
    for i, entry in enumerate(spec["steps"]):
        if entry["class"] == "passthrough":
            steps.append((entry["name"], "passthrough"))
            continue
        step = _with_params(classes[entry["class"]], entry)
        for attr, value in entry["attributes"].items():
            if attr == "feature_names_in_":
                value = np.asarray(value, dtype=object)
            elif isinstance(value, dict):
                value = _SCALAR_TYPES[value["type"]](value["value"])
            setattr(step, attr, value)
        for attr in entry["arrays"]:
            setattr(step, attr, arrays[tensor_name(i, attr)])
        if entry["output"] != "default":
            step.set_output(transform=entry["output"])
        steps.append((entry["name"], step))
    pipe = Pipeline(steps + [(spec["final"], estimator)], verbose=spec["verbose"])
    if steps:
        _probe(pipe, estimator.n_features_in_)
    return pipe


def _probe(pipe, n_features: int) -> None:
    """The scalers must turn ordinary rows into finite numbers (a zero scale would not)."""
    X = np.vstack([np.zeros(n_features), np.ones(n_features), np.arange(n_features) + 0.5])
    first = pipe.steps[0][1]
    names = getattr(first, "feature_names_in_", None)
    if names is not None:
        import pandas as pd

        X = pd.DataFrame(X, columns=list(names))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        Z = pipe[:-1].transform(X)
    if not np.isfinite(np.asarray(Z, dtype=np.float64)).all():
        raise PipelineFileError("the scalers turn ordinary rows into inf or NaN (a zero or "
                                "non-finite scale)")


def _cut(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."

"""Model files: the four parameter arrays of (14) as safetensors, with JSON metadata.

A shallownet model file is a `safetensors <https://github.com/huggingface/safetensors>`_ file:

* four tensors, ``W_H`` (N_h, N_i), ``b_H`` (N_h,), ``W_O`` (N_o, N_h), ``b_O`` (N_o,), in
  float32 or float64, and nothing else;
* in the header's ``__metadata__`` string map, one entry ``"shallownet"`` holding a JSON
  document: the format name and version, the shallownet version that wrote it, the kind of
  model (``"network"``, ``"classifier"`` or ``"regressor"``), the architecture (N_i, N_h, N_o,
  activation, output type, dtype), the class labels with their type, the feature names, the
  hyper-parameters, the training record, a SHA-256 of each tensor, and the caller's own
  ``metadata``.

``load`` never executes code (no pickle): it parses the header itself, checks every field and
every tensor against the metadata, and raises a ``ValueError`` naming the problem for a
truncated or corrupted file, wrong shapes or dtypes, NaN or inf weights, missing or unknown
keys, metadata that does not match the arrays, or a format version it does not know.

``save`` is atomic: it writes a temporary file beside the target, flushes it to disk (fsync),
then renames it over the target (``os.replace``). If anything fails on the way, the temporary
file is removed and the target is left as it was.

The optimizer's state (Adam's moments) is not saved: ``partial_fit`` on a loaded estimator
starts a fresh optimizer on the saved weights. Callbacks are not saved either.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from numbers import Integral
from pathlib import Path

import numpy as np

from .activations import ACTIVATIONS, get_activation
from .network import PARAM_NAMES, Network
from .outputs import OUTPUTS
from .training import History

__all__ = ["save", "load", "describe", "FORMAT_NAME", "FORMAT_VERSION"]

FORMAT_NAME = "shallownet.model"
FORMAT_VERSION = 1
_META_KEY = "shallownet"
_KINDS = ("network", "classifier", "regressor")
_ST_DTYPES = {"F32": "float32", "F64": "float64"}
_TOP_KEYS = {"format", "format_version", "shallownet_version", "kind", "architecture",
             "classes", "feature_names", "hyperparameters", "training", "sha256", "metadata"}
_ARCH_KEYS = {"N_i", "N_h", "N_o", "activation", "output", "dtype"}
_TRAIN_KEYS = {"epochs", "steps", "loss", "val_loss", "val_score", "best_epoch",
               "stopped_early", "interrupted"}
_CLASS_TYPES = {"bool": "b", "int": "iu", "float": "f", "str": "U"}
_MAX_HEADER = 100 * 2**20


# ---------------------------------------------------------------------------- save
def save(model, path, *, metadata: dict | None = None) -> Path:
    """Write ``model`` to ``path`` as a shallownet model file (atomically).

    Parameters
    ----------
    model : Classifier, Regressor or Network
        A fitted estimator, or a bare network.
    path : str or path-like
        The target file (``.safetensors`` is the customary suffix). Its directory must exist.
    metadata : dict, optional
        Your own JSON-serialisable information (data set, notes...), returned by
        ``describe(path)["metadata"]``.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from safetensors.numpy import save as st_save

    path = Path(os.fspath(path))
    net, doc = _document(model)
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(k, str) for k in metadata):
            raise TypeError("metadata must be a dict with string keys")
        try:
            json.dumps(metadata, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"metadata must be JSON-serialisable (str, int, float, bool, None, "
                            f"lists and dicts of them): {exc}") from exc
        doc["metadata"] = metadata
    tensors = {k: np.ascontiguousarray(v) for k, v in net.params.items()}
    doc["sha256"] = {k: _digest(v) for k, v in tensors.items()}
    data = st_save(tensors, metadata={_META_KEY: json.dumps(doc, allow_nan=False)})
    if not path.parent.is_dir():
        raise ValueError(f"cannot save to {path}: the directory {path.parent} does not exist; "
                         "create it first")
    _atomic_write(path, data)
    return path


def _atomic_write(path: Path, data: bytes) -> None:
    """Temporary file beside ``path``, fsync, ``os.replace``; on failure remove the temp."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # make the rename itself durable (not possible on every platform)
    with contextlib.suppress(OSError, AttributeError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _digest(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
                          ).hexdigest()


def _document(model) -> tuple[Network, dict]:
    """The network and the JSON document that describes ``model``."""
    from . import __version__
    from .estimators import Classifier, Regressor

    if isinstance(model, Network):
        net, kind = model, "network"
    elif isinstance(model, Classifier | Regressor):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(model, "network_")
        net, kind = model.network_, ("classifier" if isinstance(model, Classifier)
                                     else "regressor")
    else:
        raise TypeError(f"save expects a shallownet Classifier, Regressor or Network, got "
                        f"{type(model).__name__}")
    if not all(np.isfinite(p).all() for p in net.params.values()):
        raise ValueError("the network has NaN or inf weights; there is nothing sound to save")
    doc = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "shallownet_version": __version__,
        "kind": kind,
        "architecture": {"N_i": net.N_i, "N_h": net.N_h, "N_o": net.N_o,
                         "activation": net.activation.name, "output": net.output.name,
                         "dtype": net.dtype.name},
        "classes": None,
        "feature_names": None,
        "hyperparameters": None,
        "training": None,
        "metadata": None,
    }
    if kind == "network":
        return net, doc
    if kind == "classifier":
        doc["classes"] = _encode_classes(model.classes_)
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        doc["feature_names"] = [str(n) for n in names]
    params = model.get_params(deep=False)
    params["callbacks"] = None  # functions are not data; they are not saved
    hyper = {}
    for k, v in params.items():
        if k == "dtype":
            v = model._dtype_name()  # np.float32 or np.dtype("float32") is saved as "float32"
        if isinstance(v, np.generic):
            v = v.item()
        if v is not None and not isinstance(v, bool | int | float | str):
            raise TypeError(f"hyper-parameter {k}={v!r} cannot be saved: use a plain number, "
                            "string, bool or None")
        hyper[k] = v
    doc["hyperparameters"] = hyper
    h = model.history_
    doc["training"] = {"epochs": int(h.epochs), "steps": int(h.steps),
                       "loss": [float(v) for v in h.loss],
                       "val_loss": [float(v) for v in h.val_loss],
                       "val_score": [float(v) for v in h.val_score],
                       "best_epoch": h.best_epoch, "stopped_early": bool(h.stopped_early),
                       "interrupted": bool(h.interrupted)}
    return net, doc


def _encode_classes(classes: np.ndarray) -> dict:
    """Class labels as JSON, with their type so that ints, bools and strs come back so."""
    values = classes.tolist()
    if classes.dtype.kind == "O":
        if all(isinstance(v, bool | np.bool_) for v in values):
            kind = "bool"
        elif all(isinstance(v, Integral) and not isinstance(v, bool) for v in values):
            kind = "int"
        elif all(isinstance(v, str) for v in values):
            kind = "str"
        else:
            raise TypeError("class labels of mixed or unusual types cannot be saved; use ints, "
                            "strings or bools")
        values = [v.item() if isinstance(v, np.generic) else v for v in values]
        dtype = "object"
    else:
        kind = next((k for k, kinds in _CLASS_TYPES.items() if classes.dtype.kind in kinds),
                    None)
        if kind is None:
            raise TypeError(f"class labels of dtype {classes.dtype} cannot be saved; use ints, "
                            "strings or bools")
        dtype = classes.dtype.str
    return {"type": kind, "dtype": dtype, "values": values}


# ---------------------------------------------------------------------------- load
def load(path):
    """Read a shallownet model file; returns a fitted Classifier/Regressor or a Network.

    Nothing in the file is executed. Every field is checked; any problem raises a
    ``ValueError`` that names it.
    """
    doc, arrays = _read(path)
    arch = doc["architecture"]
    net = Network(**arrays, activation=arch["activation"], output=arch["output"],
                  dtype=arch["dtype"])
    if doc["kind"] == "network":
        return net
    return _estimator(doc, net, path)


def _estimator(doc: dict, net: Network, path):
    from .estimators import Classifier, Regressor

    cls = Classifier if doc["kind"] == "classifier" else Regressor
    est = cls(**doc["hyperparameters"])
    est.network_ = net
    est.n_features_in_ = net.N_i
    if doc["feature_names"] is not None:
        est.feature_names_in_ = np.asarray(doc["feature_names"], dtype=object)
    if doc["kind"] == "classifier":
        est.classes_ = _decode_classes(doc["classes"], path)
    t = doc["training"]
    est._set_learned(History(loss=list(t["loss"]), val_loss=list(t["val_loss"]),
                             val_score=list(t["val_score"]), epochs=t["epochs"],
                             best_epoch=t["best_epoch"], stopped_early=t["stopped_early"],
                             interrupted=t["interrupted"], steps=t["steps"]))
    return est


def _decode_classes(spec: dict, path) -> np.ndarray:
    if spec["dtype"] == "object":
        return np.array(spec["values"], dtype=object)
    return np.array(spec["values"], dtype=np.dtype(spec["dtype"]))


def _bad(path, problem: str) -> ValueError:
    return ValueError(f"{path} is not a valid shallownet model file: {problem}")


def _read(path) -> tuple[dict, dict[str, np.ndarray]]:
    """Parse and check a model file; returns (metadata document, the four arrays)."""
    from safetensors.numpy import load as st_load

    path = Path(os.fspath(path))
    if not path.is_file():
        raise ValueError(f"no model file at {path}; check the path")
    data = path.read_bytes()
    # --- the safetensors container: 8-byte header length, JSON header, tensor data
    if len(data) < 8:
        raise _bad(path, f"it has only {len(data)} bytes (truncated or not a model file)")
    n = int.from_bytes(data[:8], "little")
    if n > _MAX_HEADER:
        raise _bad(path, "the header length is implausible (corrupted or not a safetensors "
                         "file)")
    if 8 + n > len(data):
        raise _bad(path, f"the header needs {n} bytes but only {len(data) - 8} follow "
                         "(the file is truncated)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(path, f"its header is not valid JSON ({exc}); the file is corrupted") from exc
    if not isinstance(header, dict):
        raise _bad(path, "its header is not a JSON object; the file is corrupted")
    meta = header.pop("__metadata__", None)
    if not isinstance(meta, dict) or _META_KEY not in meta:
        raise _bad(path, f"the safetensors metadata has no {_META_KEY!r} entry (not written by "
                         "shallownet.save)")
    if set(meta) != {_META_KEY}:
        raise _bad(path, f"unknown metadata key(s) {sorted(set(meta) - {_META_KEY})}")
    try:
        doc = json.loads(meta[_META_KEY], parse_constant=_no_constant)
    except (TypeError, ValueError) as exc:
        raise _bad(path, f"the {_META_KEY!r} metadata is not valid JSON ({exc})") from exc
    _check_document(doc, path)
    arch = doc["architecture"]
    # --- the tensors named in the header, before reading them
    missing = [k for k in PARAM_NAMES if k not in header]
    unknown = sorted(k for k in header if k not in PARAM_NAMES)
    if missing:
        raise _bad(path, f"missing tensor(s) {missing}; a model has exactly {list(PARAM_NAMES)}")
    if unknown:
        raise _bad(path, f"unknown tensor(s) {unknown}; a model has exactly {list(PARAM_NAMES)}")
    N_i, N_h, N_o = arch["N_i"], arch["N_h"], arch["N_o"]
    shapes = {"W_H": [N_h, N_i], "b_H": [N_h], "W_O": [N_o, N_h], "b_O": [N_o]}
    end = 0
    for k in PARAM_NAMES:
        entry = header[k]
        if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= set(entry):
            raise _bad(path, f"the header entry of {k} is malformed; the file is corrupted")
        st_dtype = entry["dtype"]
        if _ST_DTYPES.get(st_dtype) != arch["dtype"]:
            raise _bad(path, f"{k} has dtype {st_dtype} but the metadata says {arch['dtype']} "
                             "(shallownet stores F32 or F64, all four alike)")
        if entry["shape"] != shapes[k]:
            raise _bad(path, f"{k} has shape {entry['shape']} but the architecture (N_i={N_i}, "
                             f"N_h={N_h}, N_o={N_o}) needs {shapes[k]}")
        offsets = entry["data_offsets"]
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)):
            raise _bad(path, f"the data offsets of {k} are malformed; the file is corrupted")
        end = max(end, offsets[1])
    available = len(data) - 8 - n
    if available < end:
        raise _bad(path, f"the tensors need {end} bytes of data but only {available} are there "
                         "(the file is truncated)")
    if available > end:
        raise _bad(path, f"{available - end} unexpected bytes follow the tensor data "
                         "(the file is corrupted or was appended to)")
    try:
        arrays = st_load(data)
    except Exception as exc:  # the safetensors reader's own checks (offsets, overlaps...)
        raise _bad(path, f"the tensor data is corrupted ({exc})") from exc
    # --- the values themselves
    for k in PARAM_NAMES:
        a = arrays[k]
        if a.dtype.name != arch["dtype"] or list(a.shape) != shapes[k]:
            raise _bad(path, f"{k} does not have the shape and dtype of its header entry")
        if _digest(a) != doc["sha256"][k]:
            raise _bad(path, f"the bytes of {k} do not match their SHA-256 checksum; the file "
                             "is corrupted or was altered")
        if not np.isfinite(a).all():
            raise _bad(path, f"{k} contains NaN or inf; a trained network has finite weights")
    return doc, arrays


def _no_constant(name):
    raise ValueError(f"{name} is not allowed")


def _check_document(doc, path) -> None:
    """Every metadata field present, of the right type, and consistent with the others."""
    if not isinstance(doc, dict):
        raise _bad(path, "the metadata is not a JSON object")
    if doc.get("format") != FORMAT_NAME:
        raise _bad(path, f"format is {doc.get('format')!r}, expected {FORMAT_NAME!r}")
    version = doc.get("format_version")
    if not _is_int(version):
        raise _bad(path, f"format_version {version!r} is not an integer")
    if version != FORMAT_VERSION:
        newer = " (written by a newer shallownet; upgrade shallownet to read it)" \
            if version > FORMAT_VERSION else ""
        raise _bad(path, f"unknown format version {version}; this shallownet reads version "
                         f"{FORMAT_VERSION}{newer}")
    missing = sorted(_TOP_KEYS - set(doc))
    unknown = sorted(set(doc) - _TOP_KEYS)
    if missing:
        raise _bad(path, f"the metadata lacks the key(s) {missing}")
    if unknown:
        raise _bad(path, f"the metadata has unknown key(s) {unknown}")
    kind = doc["kind"]
    if kind not in _KINDS:
        raise _bad(path, f"kind is {kind!r}; expected one of {list(_KINDS)}")
    if not isinstance(doc["shallownet_version"], str):
        raise _bad(path, "shallownet_version is not a string")
    arch = doc["architecture"]
    if not isinstance(arch, dict) or set(arch) != _ARCH_KEYS:
        got = sorted(arch) if isinstance(arch, dict) else arch
        raise _bad(path, f"the architecture must have exactly the keys {sorted(_ARCH_KEYS)}, "
                         f"got {got}")
    for k in ("N_i", "N_h", "N_o"):
        if not _is_int(arch[k]) or arch[k] < 1:
            raise _bad(path, f"architecture {k}={arch[k]!r} is not a positive integer")
    if arch["activation"] not in ACTIVATIONS:
        raise _bad(path, f"unknown activation {arch['activation']!r}")
    if arch["output"] not in OUTPUTS:
        raise _bad(path, f"unknown output type {arch['output']!r}")
    if arch["dtype"] not in _ST_DTYPES.values():
        raise _bad(path, f"dtype {arch['dtype']!r} is not float32 or float64")
    if arch["output"] == "binary" and arch["N_o"] != 1:
        raise _bad(path, f"a binary output has N_o = 1, the metadata says {arch['N_o']}")
    sha = doc["sha256"]
    if not isinstance(sha, dict) or set(sha) != set(PARAM_NAMES) \
            or not all(isinstance(v, str) for v in sha.values()):
        raise _bad(path, f"sha256 must map each of {list(PARAM_NAMES)} to a hex digest")
    if doc["metadata"] is not None and not isinstance(doc["metadata"], dict):
        raise _bad(path, "metadata must be a JSON object or null")
    if kind == "network":
        for k in ("classes", "feature_names", "hyperparameters", "training"):
            if doc[k] is not None:
                raise _bad(path, f"a bare network has no {k}, but the metadata gives some")
        return
    # --- estimators
    if (kind == "classifier") != (arch["output"] in ("binary", "multiclass")):
        raise _bad(path, f"a {kind} cannot have output type {arch['output']!r}")
    if kind == "classifier":
        _check_classes(doc["classes"], arch, path)
    elif doc["classes"] is not None:
        raise _bad(path, "a regressor has no classes, but the metadata gives some")
    names = doc["feature_names"]
    if names is not None:
        if not isinstance(names, list) or not all(isinstance(s, str) for s in names):
            raise _bad(path, "feature_names must be a list of strings")
        if len(names) != arch["N_i"]:
            raise _bad(path, f"there are {len(names)} feature names but N_i = {arch['N_i']}")
    _check_hyperparameters(doc, path)
    _check_training(doc["training"], path)


def _check_hyperparameters(doc, path) -> None:
    """Known names only, valid values, and the architecture they imply."""
    from .estimators import Classifier, Regressor

    hyper = doc["hyperparameters"]
    if not isinstance(hyper, dict):
        raise _bad(path, "hyperparameters must be a JSON object")
    cls = Classifier if doc["kind"] == "classifier" else Regressor
    unknown = sorted(set(hyper) - set(cls().get_params(deep=False)))
    if unknown:
        raise _bad(path, f"unknown hyper-parameter(s) {unknown} for {cls.__name__}")
    est = cls(**hyper)
    try:
        est._check_hyperparameters()
    except ValueError as exc:
        raise _bad(path, f"invalid hyper-parameters ({exc})") from exc
    arch = doc["architecture"]
    if est.hidden_units != arch["N_h"] or \
            get_activation(est.activation).name != arch["activation"]:
        raise _bad(path, "the hyper-parameters (hidden_units, activation) do not match the "
                         "architecture")


def _check_classes(spec, arch, path) -> None:
    if not isinstance(spec, dict) or set(spec) != {"type", "dtype", "values"}:
        raise _bad(path, "classes must be an object with the keys 'type', 'dtype', 'values'")
    kind, values = spec["type"], spec["values"]
    if kind not in _CLASS_TYPES:
        raise _bad(path, f"unknown class label type {kind!r}")
    if not isinstance(values, list):
        raise _bad(path, "the class labels must be a list")
    want = 2 if arch["output"] == "binary" else arch["N_o"]
    if len(values) != want or want < 2:
        raise _bad(path, f"there are {len(values)} classes but the {arch['output']} output "
                         f"with N_o = {arch['N_o']} needs {want}")
    checks = {"bool": lambda v: isinstance(v, bool),
              "int": lambda v: _is_int(v),
              "float": lambda v: isinstance(v, float | int) and not isinstance(v, bool),
              "str": lambda v: isinstance(v, str)}
    if not all(checks[kind](v) for v in values):
        raise _bad(path, f"the class labels {values} are not all of type {kind}")
    if spec["dtype"] != "object":
        try:
            dt = np.dtype(spec["dtype"])
        except TypeError as exc:
            raise _bad(path, f"class dtype {spec['dtype']!r} is not a numpy dtype") from exc
        if dt.kind not in _CLASS_TYPES[kind]:
            raise _bad(path, f"class dtype {spec['dtype']!r} does not hold {kind} labels")
    if values != sorted(values) or len(set(values)) != len(values):
        raise _bad(path, "the class labels must be distinct and sorted")


def _check_training(t, path) -> None:
    if not isinstance(t, dict) or set(t) != _TRAIN_KEYS:
        raise _bad(path, f"training must have exactly the keys {sorted(_TRAIN_KEYS)}")
    for k in ("epochs", "steps"):
        if not _is_int(t[k]) or t[k] < 0:
            raise _bad(path, f"training {k}={t[k]!r} is not a non-negative integer")
    for k in ("loss", "val_loss", "val_score"):
        if not isinstance(t[k], list) or not all(
                isinstance(v, float | int) and not isinstance(v, bool) and math.isfinite(v)
                for v in t[k]):
            raise _bad(path, f"training {k} must be a list of finite numbers")
    if len(t["loss"]) != t["epochs"] or len(t["val_loss"]) != len(t["val_score"]) \
            or len(t["val_loss"]) > t["epochs"]:
        raise _bad(path, "the training curves' lengths do not match the number of epochs")
    if t["best_epoch"] is not None and (not _is_int(t["best_epoch"])
                                        or not 1 <= t["best_epoch"] <= t["epochs"]):
        raise _bad(path, f"best_epoch {t['best_epoch']!r} is not an epoch that was run")
    for k in ("stopped_early", "interrupted"):
        if not isinstance(t[k], bool):
            raise _bad(path, f"training {k} must be true or false")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# ---------------------------------------------------------------------------- describe
def describe(path_or_model) -> dict:
    """The architecture and training summary of a model file or a model, like Keras'
    ``summary()``.

    Returns a dict with ``kind``, ``N_i``, ``N_h``, ``N_o``, ``activation``, ``output``,
    ``dtype``, ``parameters`` (the total count, N_h (N_i + 1) + N_o (N_h + 1)),
    ``parameter_shapes``, ``classes``, ``feature_names``, ``hyperparameters``, ``training``
    (epochs run, optimizer steps, final and best loss, best epoch, validation scores, how
    training ended, or None for a bare network), ``shallownet_version``, ``format_version`` and
    the user ``metadata`` given to :func:`save`.
    """
    if isinstance(path_or_model, str | os.PathLike):
        doc, _ = _read(path_or_model)
    else:
        _, doc = _document(path_or_model)
        doc["sha256"] = None
    arch = doc["architecture"]
    N_i, N_h, N_o = arch["N_i"], arch["N_h"], arch["N_o"]
    shapes = {"W_H": [N_h, N_i], "b_H": [N_h], "W_O": [N_o, N_h], "b_O": [N_o]}
    classes = doc["classes"]["values"] if doc["classes"] is not None else None
    t = doc["training"]
    training = None
    if t is not None:
        monitor = t["val_loss"] or t["loss"]
        best = t["best_epoch"]
        training = {
            "epochs": t["epochs"],
            "steps": t["steps"],
            "final_loss": t["loss"][-1] if t["loss"] else None,
            "final_validation_loss": t["val_loss"][-1] if t["val_loss"] else None,
            "final_validation_score": t["val_score"][-1] if t["val_score"] else None,
            "best_epoch": best,
            "best_loss": monitor[best - 1] if best and best <= len(monitor) else None,
            "best_validation_score": (t["val_score"][best - 1]
                                      if best and best <= len(t["val_score"]) else None),
            "stopped_early": t["stopped_early"],
            "interrupted": t["interrupted"],
        }
    return {
        "kind": doc["kind"],
        "N_i": N_i, "N_h": N_h, "N_o": N_o,
        "activation": arch["activation"],
        "output": arch["output"],
        "dtype": arch["dtype"],
        "parameters": N_h * (N_i + 1) + N_o * (N_h + 1),
        "parameter_shapes": shapes,
        "classes": classes,
        "feature_names": doc["feature_names"],
        "hyperparameters": doc["hyperparameters"],
        "training": training,
        "shallownet_version": doc["shallownet_version"],
        "format_version": doc["format_version"],
        "metadata": doc["metadata"],
    }

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

``load`` never executes code (no pickle). It reads the 8-byte header length and the header
first and checks every size they declare against the file's size before reading the weights
(a model extended to 4 GB is refused at once). The metadata is measured before it is parsed
(at most 32 MiB, 1,000,000 entries, 32 levels; the caller's own ``metadata`` at most 100,000
entries, 16 levels) and parsed strictly (no repeated key, no NaN, integers that fit 64 bits,
finite floats). Then every field is checked: what loads is exactly what was saved (class
labels whose dtype cannot hold them, a missing or mistyped hyper-parameter, duplicate feature
names are refused) or a ``ValueError`` names the problem.

``save`` is atomic: it writes a temporary file beside the target, flushes it to disk (fsync),
then renames it over the target (``os.replace``). If anything fails on the way, the temporary
file is removed and the target is left as it was; leftovers of a save that was killed are
removed by the next save to the same path. Only a regular file (or nothing) is ever replaced.
Ctrl-C during the write is held back until the file is complete. ``save`` refuses what
``load`` would refuse.

The optimizer's state (Adam's moments) is not saved: ``partial_fit`` on a loaded estimator
starts a fresh optimizer on the saved weights. Callbacks are not saved either.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Mapping
from numbers import Integral, Real
from pathlib import Path

import numpy as np

from . import _pipeline_file, _safe_json
from ._safe_json import JSONLimitError
from .activations import ACTIVATIONS, get_activation
from .network import Network
from .outputs import OUTPUTS
from .training import History

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no locks, so no clean-up of leftovers
    fcntl = None

__all__ = ["save", "load", "describe", "check_destination", "atomic_file", "FORMAT_NAME",
           "FORMAT_VERSION"]

FORMAT_NAME = "shallownet.model"
FORMAT_VERSION = 2  # 2 adds "pipeline"; files without a pipeline are still written as 1
_META_KEY = "shallownet"
_KINDS = ("network", "classifier", "regressor")
_ST_DTYPES = {"F32": "float32", "F64": "float64"}
_ST_CODES = {"float32": "F32", "float64": "F64", "int64": "I64"}
_TOP_KEYS = {"format", "format_version", "shallownet_version", "kind", "architecture",
             "classes", "feature_names", "hyperparameters", "training", "sha256", "metadata"}
_ARCH_KEYS = {"N_i", "N_h", "N_o", "activation", "output", "dtype"}
_TRAIN_KEYS = {"epochs", "steps", "loss", "val_loss", "val_score", "best_epoch",
               "stopped_early", "interrupted"}
_CLASS_TYPES = {"bool": "b", "int": "iu", "float": "f", "str": "U"}
_CLASS_DTYPE = re.compile(r"[<>|=]?(?:b1|[iu][1248]|f[248]|U[1-9][0-9]{0,4})")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_BIG_INT = re.compile(r"-?[1-9][0-9]{18,999}")
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# Limits no honest model comes near, so that a hostile file is refused quickly, in little
# memory: the header's size, the metadata's entries and nesting, the class list's memory.
_MAX_HEADER = 32 * 2**20
_MAX_HEADER_ENTRIES = 1_000  # the safetensors header: a few entries per tensor
_MAX_ENTRIES = 1_000_000     # about 330,000 epochs of training and validation curves
_MAX_DEPTH = 32
_MAX_USER_ENTRIES = 100_000
_MAX_USER_DEPTH = 16
_MAX_CLASS_BYTES = 64 * 2**20
# The hyper-parameters every format-1 file holds; ones added later may be absent (defaults).
_FORMAT_1_HYPERPARAMETERS = frozenset({
    "hidden_units", "activation", "optimizer", "learning_rate", "momentum", "nesterov",
    "batch_size", "epochs", "l2", "early_stopping", "validation_fraction", "patience",
    "min_delta", "shuffle", "random_state", "dtype", "warm_start", "verbose", "callbacks"})


# ---------------------------------------------------------------------------- save
def save(model, path, *, metadata: dict | None = None) -> Path:
    """Write ``model`` to ``path`` as a shallownet model file (atomically).

    Only a regular file (or nothing) at ``path`` is ever replaced: a folder, a symbolic link,
    a device such as ``/dev/null``, a named pipe or a read-only file there is refused with a
    ``ValueError`` before anything is written. Leftovers of an earlier save to the same path
    that was killed are removed. Ctrl-C while the file is written is held back until the file
    is complete, then raised as usual (``KeyboardInterrupt``).

    Parameters
    ----------
    model : Classifier, Regressor, Network or Pipeline
        A fitted estimator, a bare network, or a fitted scikit-learn ``Pipeline`` of
        StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler (or ``"passthrough"``) steps
        ending in a shallownet estimator; :func:`load` gives the same Pipeline back.
    path : str or path-like
        The target file (``.safetensors`` is the customary suffix). Its directory must exist.
    metadata : dict, optional
        Your own JSON-serialisable information (data set, notes...), returned by
        ``describe(path)["metadata"]``; at most 100,000 entries nested at most 16 deep.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from safetensors.numpy import save as st_save

    net, doc, extra = _document_any(model)
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(k, str) for k in metadata):
            raise TypeError("metadata must be a dict with string keys")
        try:
            json.dumps(metadata, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"metadata must be JSON-serialisable (str, int, float, bool, None, "
                            f"lists and dicts of them): {exc}") from exc
        _check_user_metadata(metadata, ValueError)
        doc["metadata"] = metadata
    tensors = {k: np.ascontiguousarray(v) for k, v in net.params.items()} | extra
    doc["sha256"] = {k: _digest(v) for k, v in tensors.items()}
    text = json.dumps(doc, allow_nan=False)
    try:  # never write a file that load would refuse
        _parse_document(text)
    except JSONLimitError as exc:
        raise ValueError(f"cannot save this model: {exc}") from None
    data = st_save(tensors, metadata={_META_KEY: text})
    path = check_destination(path)
    _atomic_write(path, data)
    return path


def check_destination(path, what: str = "the model") -> Path:
    """Check before any work that ``path`` can take a new file; returns it as a ``Path``.

    Refused with a ``ValueError`` naming ``path``: a name ending in a path separator (a
    folder), anything but a regular file already there (folder, symbolic link, device, named
    pipe, socket), a read-only file, a folder that does not exist or cannot be written to
    (tried by creating and removing an empty file, which holds for root and read-only file
    systems alike).
    """
    raw = os.fsdecode(os.fspath(path))
    p = Path(raw)
    if not raw or raw.endswith(os.sep) or (os.altsep and raw.endswith(os.altsep)):
        raise ValueError(f"cannot write {what} to {raw!r}: it names a directory; give a file name "
                         "(for example model.safetensors inside it)")
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise ValueError(f"cannot write {what} to {p}: {exc.strerror}") from None
    if st is not None:
        kind = _file_kind(st.st_mode)
        if kind == "a directory":
            raise ValueError(f"cannot write {what} to {p}: it is a directory; give a file name "
                             "inside it")
        if kind != "a regular file":
            raise ValueError(f"cannot write {what} to {p}: it is {kind}, and only a regular "
                             "file is ever replaced; choose another path")
        if not os.access(p, os.W_OK):
            raise ValueError(f"cannot write {what} to {p}: the file is read-only; make it "
                             "writable or choose another path")
    folder = p.parent
    if not folder.is_dir():
        raise ValueError(f"cannot write {what} to {p}: the folder {folder} does not exist; "
                         "create it first")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValueError(f"cannot write {what} to {p}: the folder {folder} is not writable "
                         f"({exc.strerror or exc})") from None
    return p


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISREG, "a regular file"), (stat.S_ISDIR, "a directory"),
                       (stat.S_ISLNK, "a symbolic link"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, holding Ctrl-C back meanwhile."""
    with atomic_file(path, "wb", hold_ctrl_c=True) as f:
        f.write(data)


@contextlib.contextmanager
def atomic_file(path, mode: str = "wb", *, hold_ctrl_c: bool = False, **open_kwargs):
    """A new file whose contents replace ``path`` only when the ``with`` block completes.

    The file is written beside ``path`` under a temporary name, flushed to disk (fsync) and
    renamed over ``path`` (``os.replace``); if the block fails, the temporary file is removed
    and ``path`` is left as it was. Errors name ``path``, never the temporary file. Check
    ``path`` with :func:`check_destination` first.

    The temporary file stays locked (``flock``) until it has been renamed, so that the next
    write to ``path`` can tell the leftovers of a killed writer (unlocked) from a writer
    running now (locked) and remove only the former. ``hold_ctrl_c`` holds Ctrl-C back until
    the file is complete (for short writes, such as a model).

    Parameters
    ----------
    path : str or path-like
        The file to create or replace.
    mode : str
        ``"wb"`` or ``"w"``; ``open_kwargs`` (``encoding``, ``newline``) go to ``open``.
    hold_ctrl_c : bool
        Defer SIGINT until the file has been renamed into place (main thread only).
    """
    path = Path(os.fspath(path))
    _remove_leftovers(path)
    with _sigint_deferred() if hold_ctrl_c else contextlib.nullcontext():
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            _lock(fd)
            with os.fdopen(fd, mode, **open_kwargs) as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
                os.chmod(tmp, 0o644)
                st = _lstat_or_none(path)  # anything but a regular file arrived meanwhile?
                if st is not None and not stat.S_ISREG(st.st_mode):
                    raise ValueError(f"cannot write to {path}: it is "
                                     f"{_file_kind(st.st_mode)} now; choose another path")
                os.replace(tmp, path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError):  # name the user's path, never the temporary file
                reason = exc.strerror or str(exc) or type(exc).__name__
                raise OSError(exc.errno, f"cannot write the file ({reason})", str(path)) \
                    from None
            raise
    # make the rename itself durable (not possible on every platform)
    with contextlib.suppress(OSError, AttributeError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _lstat_or_none(path: Path):
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _lock(fd: int) -> None:
    if fcntl is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _remove_leftovers(path: Path) -> None:
    """Remove ``.NAME.*.tmp`` files beside ``path`` that no running save holds locked.

    A file created in the last second and still empty is left alone: its save may not have
    locked it yet.
    """
    if fcntl is None:
        return
    prefix = f".{path.name}."
    with contextlib.suppress(OSError), os.scandir(path.parent) as entries:
        for entry in entries:
            if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
                continue
            with contextlib.suppress(OSError):
                fd = os.open(entry.path, os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK)
                try:
                    st = os.fstat(fd)
                    if not stat.S_ISREG(st.st_mode):
                        continue
                    if st.st_size == 0 and time.time() - st.st_mtime < 1.0:
                        continue
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # OSError if a save holds it
                    os.unlink(entry.path)
                finally:
                    os.close(fd)


@contextlib.contextmanager
def _sigint_deferred():
    """Hold Ctrl-C back while the block runs, then deliver it (main thread only)."""
    caught: list[int] = []
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # not the main thread, or a handler Python did not install
        yield
        return
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            signal.raise_signal(signal.SIGINT)


def _digest(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
                          ).hexdigest()


def _document_any(model) -> tuple[Network, dict, dict[str, np.ndarray]]:
    """(network, JSON document, extra tensors) of an estimator, a network or a Pipeline."""
    if type(model).__name__ == "Pipeline" and hasattr(model, "steps"):
        try:
            final, spec, extra = _pipeline_file.split(model)
        except _pipeline_file.PipelineFileError as exc:
            raise TypeError(f"cannot save this Pipeline: {exc}") from None
        from .estimators import Classifier, Regressor

        if not isinstance(final, Classifier | Regressor):
            raise TypeError(f"a saved Pipeline ends in a shallownet Classifier or Regressor, "
                            f"not {type(final).__name__}")
        net, doc = _document(final)
        doc["format_version"] = 2
        doc["pipeline"] = spec
        return net, doc, extra
    net, doc = _document(model)
    return net, doc, {}


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
        raise TypeError(f"save expects a shallownet Classifier, Regressor or Network (or a "
                        f"Pipeline of scalers ending in one), got {type(model).__name__}")
    if not all(np.isfinite(p).all() for p in net.params.values()):
        raise ValueError("the network has NaN or inf weights; there is nothing sound to save")
    doc = {
        "format": FORMAT_NAME,
        "format_version": 1,  # 2 only with a pipeline, so that older readers read the rest
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
        if len(set(doc["feature_names"])) != len(doc["feature_names"]):
            raise ValueError("the model's feature names are not distinct, so columns could not "
                             "be matched by name; give every column its own name and fit again")
    params = model.get_params(deep=False)
    params["callbacks"] = None  # functions are not data; they are not saved
    hyper = {}
    if isinstance(params.get("seed"), str):
        del params["seed"]  # the deprecated name, unset
    if not isinstance(params.get("random_state"), Integral | None):
        params["random_state"] = None  # a RandomState or Generator: its state is not data
    if isinstance(params.get("class_weight"), Mapping):
        params["class_weight"] = _encode_class_weight(params["class_weight"])
    for k, v in params.items():
        if k == "class_weight" and isinstance(v, dict):
            hyper[k] = v  # encoded above
            continue
        if k == "dtype":
            # np.float32 or np.dtype("float32") is saved as "float32"; None (by optimizer) as None
            v = None if v is None else model._dtype_name()
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


def _encode_class_weight(weights: Mapping) -> dict:
    """A ``class_weight`` dict as ``{"labels": <labels as classes are saved>, "weights": [...]}``
    (JSON keys are strings only, so the labels keep their type in the classes' encoding)."""
    labels = list(weights)
    values = []
    for label in labels:
        w = weights[label]
        if not (isinstance(w, Real) and not isinstance(w, bool) and math.isfinite(w) and w >= 0):
            raise TypeError(f"class_weight[{label!r}] = {w!r} cannot be saved: use a finite "
                            "number >= 0")
        values.append(float(w))
    return {"labels": _encode_classes(np.asarray(labels)), "weights": values}


def _decode_class_weight(spec, path) -> dict:
    if not isinstance(spec, dict) or set(spec) != {"labels", "weights"}:
        raise _bad(path, "class_weight must be null, a string or an object with the keys "
                         "'labels' and 'weights'")
    weights = spec["weights"]
    if not isinstance(spec["labels"], dict) or not isinstance(weights, list) or not all(
            isinstance(w, int | float) and not isinstance(w, bool) and math.isfinite(w)
            and w >= 0 for w in weights):
        raise _bad(path, "class_weight's weights must be a list of finite numbers >= 0")
    _check_class_spec(spec["labels"], path)
    labels = _decode_classes(spec["labels"], path).tolist()
    if len(labels) != len(weights) or len(set(labels)) != len(labels):
        raise _bad(path, "class_weight needs one weight per label and no label twice")
    return dict(zip(labels, (float(w) for w in weights), strict=True))


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
        if kind == "int":  # beyond 64 bits (10**23): the digits, which JSON keeps exact
            values = [v if -2**63 <= v < 2**64 else str(v) for v in values]
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

    Nothing in the file is executed. The header is read first and every size it declares is
    checked against the file before the weights are read; the metadata is measured before it
    is parsed. Every field is checked; any problem raises a ``ValueError`` that names it.
    """
    doc, arrays = _read(path)
    arch = doc["architecture"]
    net = Network(**{k: arrays[k] for k in ("W_H", "b_H", "W_O", "b_O")},
                  activation=arch["activation"], output=arch["output"], dtype=arch["dtype"])
    if doc["kind"] == "network":
        return net
    est = _estimator(doc, net, path)
    if "pipeline" not in doc:
        return est
    try:
        return _pipeline_file.build(doc["pipeline"], arrays, est)
    except _pipeline_file.PipelineFileError as exc:
        raise _bad(path, str(exc)) from None


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
    """The class labels as saved, or a refusal when their dtype cannot hold them exactly."""
    values, dtype = spec["values"], spec["dtype"]
    if dtype == "object":
        if spec["type"] == "int":  # an int beyond 64 bits is saved as its digits
            values = [int(v) if isinstance(v, str) else v for v in values]
        return np.array(values, dtype=object)
    if not isinstance(dtype, str) or not _CLASS_DTYPE.fullmatch(dtype):
        raise _bad(path, f"class dtype {dtype!r} is not one shallownet writes (bool, int, "
                         "float or str)")
    dt = np.dtype(dtype)
    if dt.itemsize * max(len(values), 1) > _MAX_CLASS_BYTES:
        raise _bad(path, f"class dtype {dtype!r} needs more memory than any class list "
                         "shallownet writes")
    try:
        out = np.array(values, dtype=dt)
    except (OverflowError, ValueError, TypeError):
        out = None
    if out is None or out.tolist() != values:
        raise _bad(path, f"the class labels do not fit their dtype {dtype!r} exactly (they "
                         "would load as other values)")
    return out


def _bad(path, problem: str) -> ValueError:
    return ValueError(f"{path} is not a valid shallownet model file: {problem}")


def _open_regular(path: Path):
    """Open ``path`` for reading if it is a regular file (a FIFO does not block the check)."""
    try:
        fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ValueError(f"no model file at {path}; check the path") from None
    except OSError as exc:
        raise ValueError(f"cannot read the model file {path}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"no model file at {path}: it is {_file_kind(st.st_mode)}; give "
                             "the path of a model file")
        if _O_NONBLOCK and fcntl is not None:
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
            fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~_O_NONBLOCK)
        return os.fdopen(fd, "rb"), st.st_size
    except BaseException:
        os.close(fd)
        raise


def _parse_document(text: str | bytes):
    return _safe_json.loads(text, max_bytes=_MAX_HEADER, max_depth=_MAX_DEPTH,
                            max_entries=_MAX_ENTRIES, max_keys=_MAX_USER_ENTRIES + 10_000,
                            what="the metadata")


def _read(path) -> tuple[dict, dict[str, np.ndarray]]:
    """Parse and check a model file; returns (metadata document, the four arrays).

    Reads the 8-byte header length and the header, checks them and every size they declare
    against the file's size, and only then reads the tensor data.
    """
    path = Path(os.fspath(path))
    f, size = _open_regular(path)
    with f:
        # --- the safetensors container: 8-byte header length, JSON header, tensor data
        if size < 8:
            raise _bad(path, f"it has only {size} bytes (truncated or not a model file)")
        n = int.from_bytes(f.read(8), "little")
        if n > _MAX_HEADER:
            raise _bad(path, "the header length is implausible (corrupted or not a "
                             "safetensors file)")
        if 8 + n > size:
            raise _bad(path, f"the header needs {n} bytes but only {size - 8} follow "
                             "(the file is truncated)")
        raw = f.read(n)
        try:
            header = _safe_json.loads(raw, max_bytes=_MAX_HEADER, max_depth=3,
                                      max_entries=_MAX_HEADER_ENTRIES, what="its header")
        except JSONLimitError as exc:
            raise _bad(path, f"{exc}; the file is corrupted") from None
        if not isinstance(header, dict):
            raise _bad(path, "its header is not a JSON object; the file is corrupted")
        meta = header.pop("__metadata__", None)
        if not isinstance(meta, dict) or _META_KEY not in meta:
            raise _bad(path, f"the safetensors metadata has no {_META_KEY!r} entry (not "
                             "written by shallownet.save)")
        if set(meta) != {_META_KEY}:
            raise _bad(path, f"unknown metadata key(s) {sorted(set(meta) - {_META_KEY})}")
        if not isinstance(meta[_META_KEY], str):
            raise _bad(path, f"the {_META_KEY!r} metadata is not a string")
        try:
            doc = _parse_document(meta[_META_KEY])
        except JSONLimitError as exc:
            raise _bad(path, str(exc)) from None
        expected = _check_document(doc, path)
        spans = _tensor_spans(header, expected, path)
        total = max((end for _, _, end, _ in spans), default=0)
        available = size - 8 - n
        if available < total:
            raise _bad(path, f"the tensors need {total} bytes of data but only {available} are "
                             "there (the file is truncated)")
        if available > total:
            raise _bad(path, f"{available - total} unexpected bytes follow the tensor data "
                             "(the file is corrupted or was appended to)")
        buf = bytearray(total)
        if f.readinto(buf) != total:
            raise _bad(path, "the file became shorter while it was read")
    arrays = {}
    for k, begin, end, (shape, dt) in spans:
        a = np.frombuffer(buf, dtype=dt, count=(end - begin) // dt.itemsize, offset=begin)
        arrays[k] = a.reshape(shape).astype(dt.newbyteorder("="), copy=False)
    # --- the values themselves
    for k in expected:
        a = arrays[k]
        if _digest(a) != doc["sha256"][k]:
            raise _bad(path, f"the bytes of {k} do not match their SHA-256 checksum; the file "
                             "is corrupted or was altered")
        if not np.isfinite(a).all():
            raise _bad(path, f"{k} contains NaN or inf; a trained network has finite weights")
    return doc, arrays


def _tensor_spans(header: dict, expected: dict, path) -> list:
    """(name, begin, end, (shape, dtype)) of each tensor, in file order, checked to tile the
    data exactly, from the header alone; ``expected`` maps names to (shape, dtype name)."""
    missing = [k for k in expected if k not in header]
    unknown = sorted(k for k in header if k not in expected)
    if missing:
        raise _bad(path, f"missing tensor(s) {_shown(missing)}; a model has exactly "
                         f"{_shown(list(expected))}")
    if unknown:
        raise _bad(path, f"unknown tensor(s) {_shown(unknown)}; a model has exactly "
                         f"{_shown(list(expected))}")
    spans = []
    for k, (want_shape, want_dtype) in expected.items():
        entry = header[k]
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise _bad(path, f"the header entry of {k} is malformed; the file is corrupted")
        st_dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if not isinstance(st_dtype, str) or st_dtype != _ST_CODES[want_dtype]:
            raise _bad(path, f"{k} has dtype {_shown(st_dtype)} but the metadata says "
                             f"{want_dtype} (shallownet stores the four weights as F32 or F64, "
                             "all alike)")
        if not (isinstance(shape, list) and all(_is_int(d) for d in shape)) \
                or shape != want_shape:
            raise _bad(path, f"{k} has shape {_shown(shape)} but the metadata needs "
                             f"{want_shape}")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(_is_int(o) for o in offsets)):
            raise _bad(path, f"the data offsets of {k} are malformed; the file is corrupted")
        dt = np.dtype(want_dtype).newbyteorder("<")
        spans.append((k, offsets[0], offsets[1], (shape, dt)))
    spans.sort(key=lambda s: (s[1], s[2]))
    position = 0
    for k, begin, end, (shape, dt) in spans:
        if begin != position:
            raise _bad(path, f"the data of {k} starts at byte {begin}, not {position} (gaps or "
                             "overlaps between tensors); the file is corrupted")
        if end - begin != math.prod(shape) * dt.itemsize:
            raise _bad(path, f"the data of {k} spans {end - begin} bytes but shape {shape} in "
                             f"{dt.name} needs {math.prod(shape) * dt.itemsize}")
        position = end
    return spans


def _check_document(doc, path) -> None:
    """Every metadata field present, of the right type, and consistent with the others."""
    if not isinstance(doc, dict):
        raise _bad(path, "the metadata is not a JSON object")
    if doc.get("format") != FORMAT_NAME:
        raise _bad(path, f"format is {_shown(doc.get('format'))}, expected {FORMAT_NAME!r}")
    version = doc.get("format_version")
    if not _is_int(version):
        raise _bad(path, f"format_version {_shown(version)} is not an integer")
    if version not in (1, 2):
        newer = " (written by a newer shallownet; upgrade shallownet to read it)" \
            if version > FORMAT_VERSION else ""
        raise _bad(path, f"unknown format version {version}; this shallownet reads versions "
                         f"1 to {FORMAT_VERSION}{newer}")
    keys = _TOP_KEYS | ({"pipeline"} if version == 2 else set())
    missing = sorted(keys - set(doc))
    unknown = sorted(set(doc) - keys)
    if missing:
        raise _bad(path, f"the metadata lacks the key(s) {missing}")
    if unknown:
        raise _bad(path, f"the metadata has unknown key(s) {_shown(unknown)}")
    kind = doc["kind"]
    if kind not in _KINDS:
        raise _bad(path, f"kind is {_shown(kind)}; expected one of {list(_KINDS)}")
    if not isinstance(doc["shallownet_version"], str) or len(doc["shallownet_version"]) > 100:
        raise _bad(path, "shallownet_version is not a version string")
    arch = doc["architecture"]
    if not isinstance(arch, dict) or set(arch) != _ARCH_KEYS:
        got = sorted(arch) if isinstance(arch, dict) else arch
        raise _bad(path, f"the architecture must have exactly the keys {sorted(_ARCH_KEYS)}, "
                         f"got {_shown(got)}")
    for k in ("N_i", "N_h", "N_o"):
        if not _is_int(arch[k]) or arch[k] < 1:
            raise _bad(path, f"architecture {k}={_shown(arch[k])} is not a positive integer")
    if not isinstance(arch["activation"], str) or arch["activation"] not in ACTIVATIONS:
        raise _bad(path, f"unknown activation {_shown(arch['activation'])}")
    if not isinstance(arch["output"], str) or arch["output"] not in OUTPUTS:
        raise _bad(path, f"unknown output type {_shown(arch['output'])}")
    if arch["dtype"] not in _ST_DTYPES.values():
        raise _bad(path, f"dtype {_shown(arch['dtype'])} is not float32 or float64")
    if arch["output"] == "binary" and arch["N_o"] != 1:
        raise _bad(path, f"a binary output has N_o = 1, the metadata says {arch['N_o']}")
    if doc["metadata"] is not None:
        if not isinstance(doc["metadata"], dict):
            raise _bad(path, "metadata must be a JSON object or null")
        try:
            _check_user_metadata(doc["metadata"], JSONLimitError)
        except JSONLimitError as exc:
            raise _bad(path, str(exc)) from None
    N_i, N_h, N_o = arch["N_i"], arch["N_h"], arch["N_o"]
    expected = {"W_H": ([N_h, N_i], arch["dtype"]), "b_H": ([N_h], arch["dtype"]),
                "W_O": ([N_o, N_h], arch["dtype"]), "b_O": ([N_o], arch["dtype"])}
    if version == 2:
        if kind == "network":
            raise _bad(path, "a bare network is not saved in a pipeline")
        try:
            expected |= _pipeline_file.check(doc["pipeline"], N_i)
        except _pipeline_file.PipelineFileError as exc:
            raise _bad(path, str(exc)) from None
    sha = doc["sha256"]
    if not isinstance(sha, dict) or set(sha) != set(expected) \
            or not all(isinstance(v, str) and _HEX64.fullmatch(v) for v in sha.values()):
        raise _bad(path, f"sha256 must map each of {_shown(list(expected))} to a hex digest")
    if kind == "network":
        for k in ("classes", "feature_names", "hyperparameters", "training"):
            if doc[k] is not None:
                raise _bad(path, f"a bare network has no {k}, but the metadata gives some")
        return expected
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
        if len(set(names)) != len(names):
            twice = next(s for i, s in enumerate(names) if s in names[:i])
            raise _bad(path, f"the feature name {_shown(twice)} appears twice (columns could "
                             "not be matched by name)")
    _check_hyperparameters(doc, path)
    _check_training(doc["training"], path)
    return expected


def _check_user_metadata(metadata: dict, error: type) -> None:
    """At most _MAX_USER_ENTRIES values nested at most _MAX_USER_DEPTH deep."""
    count, level, stack = 0, 0, [(metadata, 1)]
    while stack:
        value, level = stack.pop()
        if level > _MAX_USER_DEPTH:
            raise error(f"the user metadata nests more than {_MAX_USER_DEPTH} levels deep")
        children = value.values() if isinstance(value, dict) else \
            value if isinstance(value, list | tuple) else ()
        for child in children:
            count += 1
            if count > _MAX_USER_ENTRIES:
                raise error(f"the user metadata has more than {_MAX_USER_ENTRIES:,} entries "
                            "(it is meant for short notes)")
            if isinstance(child, dict | list | tuple):
                stack.append((child, level + 1))


def _hyper_type_ok(name: str, value, default) -> bool:
    """The JSON type ``value`` must have, judged by the parameter's default."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if name == "verbose":
        return isinstance(value, bool) or (_is_int(value) and value >= 0)
    if name == "callbacks":
        return value is None
    if name == "class_weight":
        return value is None or isinstance(value, str | dict)
    if name in ("seed", "random_state"):
        return value is None or _is_int(value)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return _is_int(value)
    if isinstance(default, float):
        return number
    if isinstance(default, str):
        return isinstance(value, str)
    return value is None or number or isinstance(value, str | bool)


def _check_hyperparameters(doc, path) -> None:
    """Known names only, every name format 1 wrote, JSON types and ranges as the estimator
    accepts them, and the architecture and precision they imply."""
    from .estimators import Classifier, Regressor

    hyper = doc["hyperparameters"]
    if not isinstance(hyper, dict):
        raise _bad(path, "hyperparameters must be a JSON object")
    cls = Classifier if doc["kind"] == "classifier" else Regressor
    defaults = cls().get_params(deep=False)
    if "random_state" not in hyper and "seed" in hyper:
        # written before random_state replaced seed: the same number under its new name
        hyper["random_state"] = hyper.pop("seed")
    if isinstance(hyper.get("class_weight"), dict):  # {label: weight}, see _encode_class_weight
        hyper["class_weight"] = _decode_class_weight(hyper["class_weight"], path)
    unknown = sorted(set(hyper) - set(defaults))
    if unknown:
        raise _bad(path, f"unknown hyper-parameter(s) {_shown(unknown)} for {cls.__name__}")
    missing = sorted((_FORMAT_1_HYPERPARAMETERS & set(defaults)) - set(hyper))
    if missing:
        raise _bad(path, f"the hyper-parameter(s) {missing} are missing")
    for k, v in hyper.items():
        if not _hyper_type_ok(k, v, defaults[k]):
            raise _bad(path, f"hyper-parameter {k}={_shown(v)} has the wrong type "
                             f"({type(v).__name__})")
    est = cls(**hyper)
    try:
        est._check_hyperparameters()
    except (ValueError, TypeError, OverflowError) as exc:
        raise _bad(path, f"invalid hyper-parameters ({exc})") from None
    arch = doc["architecture"]
    if est.hidden_units != arch["N_h"] or \
            get_activation(est.activation).name != arch["activation"]:
        raise _bad(path, "the hyper-parameters (hidden_units, activation) do not match the "
                         "architecture")
    if est._dtype_name() != arch["dtype"]:
        raise _bad(path, f"the hyper-parameter dtype={_shown(hyper.get('dtype'))} contradicts "
                         f"the {arch['dtype']} weights")


def _check_classes(spec, arch, path) -> None:
    _check_class_spec(spec, path)
    values = _decode_classes(spec, path).tolist()
    want = 2 if arch["output"] == "binary" else arch["N_o"]
    if len(values) != want or want < 2:
        raise _bad(path, f"there are {len(values)} classes but the {arch['output']} output "
                         f"with N_o = {arch['N_o']} needs {want}")
    if values != sorted(values) or len(set(values)) != len(values):
        raise _bad(path, "the class labels must be distinct and sorted")


def _check_class_spec(spec, path) -> None:
    """Labels as ``_encode_classes`` writes them: their type, their dtype, exact values."""
    if not isinstance(spec, dict) or set(spec) != {"type", "dtype", "values"}:
        raise _bad(path, "classes must be an object with the keys 'type', 'dtype', 'values'")
    kind, values = spec["type"], spec["values"]
    if not isinstance(kind, str) or kind not in _CLASS_TYPES:
        raise _bad(path, f"unknown class label type {_shown(kind)}")
    if not isinstance(values, list):
        raise _bad(path, "the class labels must be a list")
    checks = {"bool": lambda v: isinstance(v, bool),
              "int": lambda v: _is_int(v) or (spec["dtype"] == "object" and _is_big_int(v)),
              "float": lambda v: isinstance(v, float | int) and not isinstance(v, bool),
              "str": lambda v: isinstance(v, str)}
    if not all(checks[kind](v) for v in values):
        raise _bad(path, f"the class labels {_shown(values)} are not all of type {kind}")
    if spec["dtype"] != "object":
        if not isinstance(spec["dtype"], str) or not _CLASS_DTYPE.fullmatch(spec["dtype"]):
            raise _bad(path, f"class dtype {_shown(spec['dtype'])} is not one shallownet "
                             "writes (bool, int, float or str)")
        if np.dtype(spec["dtype"]).kind not in _CLASS_TYPES[kind]:
            raise _bad(path, f"class dtype {spec['dtype']!r} does not hold {kind} labels")
    _decode_classes(spec, path)


def _check_training(t, path) -> None:
    if not isinstance(t, dict) or set(t) != _TRAIN_KEYS:
        raise _bad(path, f"training must have exactly the keys {sorted(_TRAIN_KEYS)}")
    for k in ("epochs", "steps"):
        if not _is_int(t[k]) or t[k] < 0:
            raise _bad(path, f"training {k}={_shown(t[k])} is not a non-negative integer")
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
        raise _bad(path, f"best_epoch {_shown(t['best_epoch'])} is not an epoch that was run")
    for k in ("stopped_early", "interrupted"):
        if not isinstance(t[k], bool):
            raise _bad(path, f"training {k} must be true or false")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_big_int(v) -> bool:
    """The digits of a whole number beyond 64 bits, as ``_encode_classes`` writes it."""
    return isinstance(v, str) and _BIG_INT.fullmatch(v) is not None \
        and not -2**63 <= int(v) < 2**64


def _shown(value, limit: int = 60) -> str:
    """``repr`` of a value from a file, cut short (a hostile file can hold megabytes)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# ---------------------------------------------------------------------------- describe
def describe(path_or_model) -> dict:
    """The architecture and training summary of a model file or a model, like Keras'
    ``summary()``.

    Returns a dict with ``kind``, ``N_i``, ``N_h``, ``N_o``, ``activation``, ``output``,
    ``dtype``, ``parameters`` (the total count, N_h (N_i + 1) + N_o (N_h + 1)),
    ``parameter_shapes``, ``classes``, ``feature_names``, ``hyperparameters``, ``training``
    (epochs run, optimizer steps, final and best loss, best epoch, validation scores, how
    training ended, or None for a bare network), ``pipeline`` (the steps of a saved Pipeline,
    each ``{"name", "class", "params"}``, the shallownet estimator last; None for a lone
    model), ``shallownet_version``, ``format_version`` and the user ``metadata`` given to
    :func:`save`.
    """
    if isinstance(path_or_model, str | os.PathLike):
        doc, _ = _read(path_or_model)
    else:
        _, doc, _ = _document_any(path_or_model)
        doc["sha256"] = None
    pipeline = names = None
    if doc.get("pipeline") is not None:
        spec = doc["pipeline"]
        pipeline = [{"name": s["name"], "class": s["class"], "params": s.get("params", {})}
                    for s in spec["steps"]]
        pipeline.append({"name": spec["final"], "class": doc["kind"].capitalize(),
                         "params": doc["hyperparameters"]})
        first = next((s for s in spec["steps"] if s["class"] != "passthrough"), {})
        names = first.get("attributes", {}).get("feature_names_in_")
    arch = doc["architecture"]
    N_i, N_h, N_o = arch["N_i"], arch["N_h"], arch["N_o"]
    shapes = {"W_H": [N_h, N_i], "b_H": [N_h], "W_O": [N_o, N_h], "b_O": [N_o]}
    classes = None if doc["classes"] is None else \
        _decode_classes(doc["classes"], path_or_model).tolist()
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
        "feature_names": names if pipeline and names else doc["feature_names"],
        "hyperparameters": doc["hyperparameters"],
        "training": training,
        "pipeline": pipeline,
        "shallownet_version": doc["shallownet_version"],
        "format_version": doc["format_version"],
        "metadata": doc["metadata"],
    }

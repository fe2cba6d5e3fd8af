"""The train workflow: split -> scale -> fit -> fold -> record, in one function.

``shallownet train`` on the command line, the playground and streaming all call
:func:`train_dataset` (or :func:`train` with a data set's name or a file), then report or save
what it returns; none of them repeats the steps:

1. **split**: hold out ``test_size`` of the rows for the final metrics (stratified for
   classification when every class can be represented), with the seed drawn once and recorded;
2. **scale**: standardise the inputs with the training split's mean and standard deviation
   (and a regression target too);
3. **fit**: a :class:`~shallownet.Classifier` or :class:`~shallownet.Regressor` on the
   standardised data (early stopping holds out part of the training split);
4. **fold**: fold the scalings into W_H, b_H (and W_O, b_O) -- see
   :mod:`shallownet.preprocessing` -- so the model predicts on raw data;
5. **record**: the held-out metrics and the metadata that :func:`shallownet.save` stores beside
   the weights: the data, the target, the task, the seed, the sizes and, for a data set shipped
   with shallownet, the held-out rows, so ``shallownet evaluate`` can score exactly those.

The seed: ``random_state=None`` draws one (:func:`shallownet.validation.draw_seed`), and it is
used for the split, the initial weights, the validation split and the shuffling, and recorded
in ``TrainResult.random_state`` and the metadata; passing it back reproduces the run bit for
bit on the same machine.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import data as data_layer
from .preprocessing import fold_standardisation, fold_target_standardisation
from .validation import check_params, draw_seed

__all__ = ["TrainResult", "Split", "train", "train_dataset", "train_stream", "metrics",
           "held_out_rows"]


@dataclass
class Split:
    """Which rows of the data set trained the model and which were held out.

    ``train_rows`` and ``test_rows`` index the rows of ``Dataset.X`` (0-based, sorted).
    """

    train_rows: np.ndarray
    test_rows: np.ndarray
    stratified: bool

    @property
    def n_train(self) -> int:
        return int(self.train_rows.size)

    @property
    def n_test(self) -> int:
        return int(self.test_rows.size)


@dataclass
class TrainResult:
    """What :func:`train_dataset` returns.

    Attributes
    ----------
    model : Classifier or Regressor
        Fitted, with any standardisation folded into its network: it predicts on raw data.
    metrics : list of (name, value)
        Held-out metrics: accuracy (classification), or R^2, MSE and MAE (regression); empty
        when ``test_size`` is 0.
    metadata : dict
        What :func:`shallownet.save` should store with the model (JSON-serialisable).
    split : Split or None
        The rows used for training and held out (None when streamed: a hash of each row's
        index chose its part, see :func:`shallownet.data.stream.row_roles`).
    dataset : shallownet.data.Dataset or shallownet.data.FileSource
        The data the model was trained on.
    random_state : int
        The seed actually used (drawn when none was given).
    interrupted : bool
        True when Ctrl-C ended training (``catch_interrupt=True``): the model holds the best
        weights so far.
    """

    model: object
    metrics: list
    metadata: dict
    split: Split
    dataset: object
    random_state: int
    interrupted: bool = False
    notes: list = field(default_factory=list)

    def save(self, path) -> Path:
        """Write the model and its metadata to ``path`` (see :func:`shallownet.save`)."""
        from . import io

        return io.save(self.model, path, metadata=self.metadata)


def train(data, *, target: str | None = None, task: str | None = None, drop=None,
          decimal: str | None = None, **options) -> TrainResult:
    """Load ``data`` (an embedded data set's name or a CSV/Parquet file) and train on it.

    ``target``, ``task``, ``drop`` and ``decimal`` choose and read the columns as in
    :func:`shallownet.data.load`; ``options`` are those of :func:`train_dataset`.
    """
    ds = data_layer.load(data, target, task=task, drop=drop, decimal=decimal,
                         dtype=options.get("dtype", "float32"))
    return train_dataset(ds, data=str(data), **options)


def train_dataset(ds, *, data: str | None = None, test_size: float = 0.2, scale: bool = True,
                  random_state: int | None = None, catch_interrupt: bool = False,
                  **hyperparameters) -> TrainResult:
    """Split, scale, fit, fold and record, on a loaded data set.

    Parameters
    ----------
    ds : shallownet.data.Dataset
        Inputs, target and task (classification or regression).
    data : str, optional
        How the data was named (recorded in the metadata); default ``ds.source``.
    test_size : float in [0, 1), default 0.2
        Share of the rows held out for the final metrics (0 for none).
    scale : bool, default True
        Standardise the inputs (and a regression target) and fold the maps into the network.
    random_state : int or None
        The seed of the whole run; None draws one, which is returned and recorded.
    catch_interrupt : bool
        Ctrl-C finishes the current batch and keeps the best weights so far.
    **hyperparameters
        Passed to :class:`~shallownet.Classifier` / :class:`~shallownet.Regressor`
        (``hidden_units``, ``epochs``, ``early_stopping``, ``verbose``, ``callbacks``...).

    Returns
    -------
    TrainResult
    """
    from .estimators import Classifier, Regressor

    check_params({"test_size": test_size, "scale": scale})
    if random_state is None:
        random_state = draw_seed()
    check_params({"random_state": random_state})
    if isinstance(random_state, np.random.RandomState | np.random.Generator):
        raise ValueError("the train workflow records its seed: give random_state as an "
                         "integer (or None to draw one)")
    random_state = int(random_state)
    classification = ds.task == "classification"
    if classification:
        _check_two_classes(ds)
    split = _split(ds, test_size, random_state)
    y_train = ds.y[split.train_rows]
    # one copy of X: the model trains on its rows split.train_rows, each mini-batch gathered
    # and standardised as it is drawn (ds.X itself is never copied nor changed)
    mean = std = y_mean = y_std = None
    if scale:
        mean, std = _moments(ds.X, split.train_rows)
        if not classification:  # a real-valued target is standardised too
            y_mean, y_std = _moments(y_train)
            y_train = (y_train - y_mean) / y_std

    Estimator = Classifier if classification else Regressor
    model = Estimator(random_state=random_state, **hyperparameters)
    model._fit_rows(ds.X, split.train_rows, y_train, mean, std, catch_interrupt=catch_interrupt)
    if scale:
        fold_standardisation(model.network_, mean, std)
    if y_mean is not None:
        fold_target_standardisation(model.network_, y_mean, y_std)
    if getattr(model, "feature_names_in_", None) is None:
        model.feature_names_in_ = np.asarray(ds.feature_names, dtype=object)

    rows = metrics(model, ds.X[split.test_rows], ds.y[split.test_rows]) if split.n_test else []
    metadata = {
        "data": data if data is not None else (ds.source or ds.name),
        "target": ds.target_name, "task": ds.task,
        "seed": random_state,
        "n_train": split.n_train, "n_test": split.n_test,
        "test_size": float(test_size),
        "standardised": bool(scale),
        **({"dropped": list(ds.dropped)} if ds.dropped else {}),
        **{f"test_{name}": value for name, value in rows},
    }
    if split.n_test and data_layer.is_embedded(metadata["data"]):
        # the rows themselves, so `evaluate MODEL <data set>` can score just those
        metadata["test_rows"] = [int(i) for i in split.test_rows]
    elif split.n_test and (identity := _file_identity(data)) is not None:
        # the file as it was: `evaluate MODEL <the same file>` draws the same split again
        metadata["data_file"] = identity
        metadata["stratified"] = bool(split.stratified)
    return TrainResult(model=model, metrics=rows, metadata=metadata, split=split, dataset=ds,
                       random_state=random_state,
                       interrupted=bool(getattr(model, "interrupted_", False)))


def train_stream(source, *, data: str | None = None, random_state: int | None = None,
                 catch_interrupt: bool = False, **hyperparameters) -> TrainResult:
    """The workflow on a file streamed in record batches (:class:`shallownet.data.FileSource`).

    The same steps as :func:`train_dataset`, in passes over the file: the source's first pass
    finds the classes (or the target's scale) and the standardisation statistics; it holds out
    its ``test_fraction`` and ``validation_fraction`` of the rows by a hash of the row index;
    the estimator trains on its shuffled batches and folds the scaling into the network; the
    test rows are scored block by block. ``random_state`` defaults to the source's seed.
    """
    from .estimators import Classifier, Regressor

    if str(hyperparameters.get("optimizer", "")).lower() == "lbfgs":  # before the first pass
        raise ValueError("optimizer='lbfgs' takes the whole training set in memory each "
                         "iteration; train a streamed source with 'adam', 'sgd' or 'momentum' "
                         "(mini-batches)")
    source.prepare()
    random_state = source.seed if random_state is None else int(random_state)
    Estimator = Classifier if source.task == "classification" else Regressor
    model = Estimator(random_state=random_state, **hyperparameters)
    model.fit(source, catch_interrupt=catch_interrupt)
    rows = source.score(model) if source.n_test else []
    metadata = {
        "data": data if data is not None else source.source,
        "target": source.target_name, "task": source.task, "seed": random_state,
        "n_train": source.n_rows + source.n_validation, "n_test": source.n_test,
        "test_size": source.test_fraction, "standardised": bool(source.standardise),
        "streamed": True,
        **({"dropped": list(source.columns.dropped)} if source.columns.dropped else {}),
        **{f"test_{name}": value for name, value in rows},
    }
    if source.n_test and (identity := _file_identity(data)) is not None:
        # the file as it was: its held-out rows are a hash of each row's index (row_roles)
        metadata.update(data_file=identity, split_seed=int(source.seed),
                        validation_fraction=float(source.validation_fraction))
    return TrainResult(model=model, metrics=rows, metadata=metadata, split=None, dataset=source,
                       random_state=random_state,
                       interrupted=bool(getattr(model, "interrupted_", False)))


def _file_identity(data) -> dict | None:
    """A data file's resolved path, size and modification time (None for a data set name)."""
    if data is None:
        return None
    try:
        path = Path(data)
        if data_layer.is_embedded(str(data)) or not path.is_file():
            return None
        st = path.stat()
    except (OSError, TypeError, ValueError):
        return None
    return {"path": str(path.resolve()), "size": int(st.st_size), "mtime_ns": int(st.st_mtime_ns)}


def trained_on(metadata: dict | None, data: str) -> bool:
    """Whether ``data`` is the very file (same path, size and time) the model was trained on."""
    recorded = (metadata or {}).get("data_file")
    return isinstance(recorded, dict) and recorded == _file_identity(data)


def held_out_roles(metadata: dict | None, data: str) -> tuple | None:
    """``(seed, test_fraction, validation_fraction)`` of ``row_roles`` for a model trained
    with ``--stream`` on the unchanged file ``data``: its held-out rows are a hash of each
    row's index. None for anything else."""
    if not (metadata and metadata.get("streamed") and trained_on(metadata, data)):
        return None
    seed, test, val = (metadata.get(k) for k in ("split_seed", "test_size",
                                                  "validation_fraction"))
    if isinstance(seed, int) and isinstance(test, float) and 0 < test < 1 \
            and isinstance(val, float) and metadata.get("n_test"):
        return seed, test, val
    return None


def held_out_rows(metadata: dict | None, data: str, n_samples: int,
                  ds=None) -> np.ndarray | None:
    """The rows a model held out, when ``data`` is the embedded data set it was trained on, or
    (given its loaded ``ds``) the unchanged file it was trained on: the same split is drawn
    again from the recorded seed and test_size.

    ``metadata`` is what :func:`train_dataset` recorded (``describe(path)["metadata"]``).
    Returns None when nothing applies (another file or data set, no held-out rows).
    """
    if ds is not None and metadata and metadata.get("streamed"):
        from .data.stream import row_roles

        roles, n_test = held_out_roles(metadata, data), metadata.get("n_test")
        if roles is None or metadata.get("n_train", 0) + n_test != n_samples:
            return None
        rows = np.flatnonzero(row_roles(np.arange(n_samples), *roles) == 2)
        return rows if rows.size == n_test else None
    if ds is not None and trained_on(metadata, data):
        seed, size = metadata.get("seed"), metadata.get("test_size")
        n_test, n_train = metadata.get("n_test"), metadata.get("n_train")
        if not (isinstance(seed, int) and isinstance(size, float) and 0 < size < 1
                and n_test and n_train and n_test + n_train == n_samples == ds.n_samples):
            return None
        try:
            split = _split(ds, size, seed)
        except ValueError:
            return None
        if split.n_test != n_test or split.stratified != metadata.get("stratified"):
            return None
        return split.test_rows
    if not metadata or not data_layer.is_embedded(data):
        return None
    rows = metadata.get("test_rows")
    source = metadata.get("data")
    if not isinstance(rows, list) or not isinstance(source, str) \
            or not data_layer.is_embedded(source):
        return None
    if _key(source) != _key(data):
        return None
    if not rows or not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n_samples
                           for i in rows):
        return None
    return np.asarray(rows, dtype=np.intp)


def metrics(model, X, y) -> list[tuple[str, float]]:
    """Accuracy for a classifier; R^2, MSE and MAE for a regressor."""
    from sklearn import metrics as skm

    with warnings.catch_warnings():  # X is an array whose columns are the model's features
        warnings.filterwarnings("ignore", message=".*does not have valid feature names")
        pred = model.predict(X)
    if hasattr(model, "classes_"):
        return [("accuracy", float(skm.accuracy_score(y, pred)))]
    return [("R^2", float(skm.r2_score(y, pred))),
            ("MSE", float(skm.mean_squared_error(y, pred))),
            ("MAE", float(skm.mean_absolute_error(y, pred)))]


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


# ---------------------------------------------------------------------------- labels
_KIND_WORDS = {"int": "integers", "float": "numbers", "str": "strings", "bool": "booleans"}


def _kind_of(values: np.ndarray) -> str:
    from .estimators import label_kind

    values = np.asarray(values)
    if values.dtype.kind in "biuf":
        return {"b": "bool", "i": "int", "u": "int", "f": "float"}[values.dtype.kind]
    if values.dtype.kind == "U":
        return "str"
    kinds = {label_kind(v) for v in values}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _parse(text: str, kind: str):
    """A label read as text, as ``kind`` ("int", "float", "bool"); None when it is not one."""
    t = text.strip()
    if kind == "bool":
        return {"true": True, "false": False, "1": True, "0": False}.get(t.lower())
    if kind == "int":
        try:
            return int(t)  # exact, beyond a double's 2**53 too ("100000000000000000000000")
        except ValueError:
            pass  # "1.0", "1e3": read as a number below
    try:
        number = float(t)
    except ValueError:
        return None
    if kind == "int":
        return int(number) if number.is_integer() else None
    return number


def align_labels(y, classes, *, data: str = "the data", model: str = "the model",
                 require_overlap: bool = True) -> np.ndarray:
    """The labels ``y`` (read from a file or given by a user) in the type of ``classes``.

    Files and formats disagree about types: a CSV column of 0/1 comes back as integers, one of
    ``0.0``/``1.0`` as floats, a Parquet column as int32, an embedded data set as int64, and a
    model saved from Python may hold its classes as objects. A label matches a class when it is
    the same value: 1, 1.0 and "1" match the integer class 1; "true"/"false" (any case) and 1/0
    match boolean classes; a number matches the string class that spells it ("1" or "1.5").

    Raises
    ------
    ValueError
        One line naming both types, when the labels cannot be classes of this model at all
        (strings for a model of integer classes, or none of them a class across types); and,
        with ``require_overlap``, when none of the labels is a class.
    """
    y = np.asarray(y)
    classes = np.asarray(classes)
    want, have = _kind_of(classes), _kind_of(y)
    out = None
    if have == want or want == "mixed":
        out = y
    elif want in ("int", "float", "bool") and have in ("int", "float", "bool", "str"):
        parsed = [_parse(str(v if have != "bool" else int(v)), want) for v in y]
        if all(p is not None for p in parsed):
            dtype = {"int": np.int64, "float": np.float64, "bool": bool}[want]
            if want == "int" and not all(-2**63 <= p < 2**63 for p in parsed):
                dtype = object  # whole numbers beyond int64, as the classes hold them
            out = np.asarray(parsed, dtype=dtype)
    elif want == "str" and have in ("int", "float", "bool"):
        spelled = {str(c) for c in classes}
        out = np.asarray([_spell(v, spelled) for v in y.tolist()], dtype=object)
    shown_y = ", ".join(repr(v) for v in np.unique(y).tolist()[:4])
    shown_c = ", ".join(repr(v) for v in classes.tolist()[:4])
    if out is not None and have == want and require_overlap and y.size \
            and not np.isin(out, classes).any():
        raise ValueError(
            f"none of the labels in {data} ({shown_y}, ...) is a class of {model} ({shown_c}, "
            "...); evaluate on data labelled like the training data (or choose its label "
            "column with --target)")
    if out is None or (have != want and not np.isin(out, classes).any()):
        raise ValueError(
            f"the labels in {data} are {_KIND_WORDS.get(have, have)} ({shown_y}, ...) but "
            f"{model} has classes that are {_KIND_WORDS.get(want, want)} ({shown_c}, ...); "
            "evaluate on data labelled like the training data (or choose its label column "
            "with --target)")
    return out


def _spell(value, spelled: set) -> str:
    """A number as the string class that spells it: 1.0 -> "1" when "1" is a class."""
    if isinstance(value, float) and value.is_integer() and str(int(value)) in spelled:
        return str(int(value))
    return str(value)


def confusion(y, pred, classes) -> tuple[list, np.ndarray]:
    """(labels, counts): the confusion matrix over ``classes`` and any other label of ``y``.

    Computed on positions in that list, so labels of any type (ints held as objects, bools,
    strings) count the same way.
    """
    labels = list(classes.tolist() if isinstance(classes, np.ndarray) else classes)
    index = {_key_of(c): i for i, c in enumerate(labels)}
    for v in np.asarray(y).tolist():
        if _key_of(v) not in index:
            index[_key_of(v)] = len(labels)
            labels.append(v)
    rows = np.array([index[_key_of(v)] for v in np.asarray(y).tolist()], dtype=np.intp)
    cols = np.array([index[_key_of(v)] for v in np.asarray(pred).tolist()], dtype=np.intp)
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    np.add.at(counts, (rows, cols), 1)
    return labels, counts


def _key_of(v):
    return (type(v) is bool, v)  # True and 1 stay apart when both occur


# ---------------------------------------------------------------------------- the steps
def _check_two_classes(ds) -> None:
    classes = np.unique(ds.y)
    if classes.size < 2:
        shown = getattr(classes[0], "item", lambda: classes[0])() if classes.size else None
        raise ValueError(f"{ds.source}: the {ds.describe_target()} has a single class "
                         f"({shown!r}); classification needs at least two")


def _split(ds, test_size: float, seed: int) -> Split:
    """Hold out ``test_size`` of the rows (stratified when every class fits in both parts)."""
    from sklearn.model_selection import train_test_split

    n = ds.n_samples
    rows = np.arange(n)
    if test_size == 0:
        return Split(rows, rows[:0], stratified=False)
    stratify = None
    if ds.task == "classification":
        classes, counts = np.unique(ds.y, return_counts=True)
        if counts.min() >= 2 and math.ceil(test_size * n) >= classes.size:
            stratify = ds.y
    try:
        train_rows, test_rows = train_test_split(rows, test_size=test_size, random_state=seed,
                                                 stratify=stratify)
    except ValueError as e:
        raise ValueError(f"cannot hold out test_size={test_size} of {n} samples "
                         f"({' '.join(str(e).split())}); lower test_size or use 0") from None
    if ds.task == "classification" and np.unique(ds.y[train_rows]).size < 2:
        # (a rare class may all land in the test rows; one class left cannot be trained)
        left = set(np.unique(ds.y[train_rows]).tolist())
        missing = [c.item() if isinstance(c, np.generic) else c
                   for c in np.unique(ds.y) if c not in left]
        if missing:
            raise ValueError(
                f"holding out test_size={test_size} of the {n} samples for testing leaves no "
                f"sample of class{'es' if len(missing) > 1 else ''} "
                f"{', '.join(repr(c) for c in missing[:5])} to train on; give more rows, or hold "
                "out fewer (test_size=0 holds out none)")
    return Split(np.sort(train_rows), np.sort(test_rows), stratified=stratify is not None)


def _moments(A: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations (of ``A[rows]``); a constant column keeps scale 1.

    Accumulated in float64 over blocks of a few thousand rows (the parallel formulas of
    :class:`shallownet.data.stream.RunningMoments`), so a float32 matrix is neither copied
    nor summed in float32; returned in A's dtype, the precision the batches are standardised in.
    """
    A = np.asarray(A)
    if rows is None:
        rows = np.arange(A.shape[0])
    width = int(np.prod(A.shape[1:], dtype=np.int64)) or 1
    step = max(256, (1 << 20) // (8 * width))
    acc = data_layer.RunningMoments(width)
    for start in range(0, rows.shape[0], step):
        acc.update(A[rows[start:start + step]].reshape(-1, width))
    dtype = A.dtype if A.dtype.kind == "f" else np.float64
    mean = acc.mean.reshape(A.shape[1:]).astype(dtype)
    std = acc.std.reshape(A.shape[1:]).astype(dtype)
    return mean, np.where(std > 0, std, dtype.type(1))

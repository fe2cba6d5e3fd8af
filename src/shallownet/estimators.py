"""scikit-learn estimators over the one-hidden-layer network: ``Classifier`` and ``Regressor``.

The estimators are thin: they validate the data, encode the labels, choose the network the way
section 1, Problem 4 asks (``architecture.choose_architecture``) and hand the work to
``shallownet.train``. Everything scikit-learn users expect is there (``fit``, ``partial_fit``,
``predict``, ``predict_proba``, ``score``, ``get_params``/``set_params``, ``warm_start``, early
stopping, trailing-underscore attributes), and a few things its MLP lacks:

* ``validation_loss_curve_`` beside ``loss_curve_`` (and ``validation_scores_``);
* with early stopping, the best epoch's weights restored however training ended (patience,
  a callback, or the epoch limit);
* ``partial_fit`` that keeps the optimizer's state (Adam moments, momentum) across calls and says
  what it does with early stopping (see :meth:`Classifier.partial_fit`);
* per-epoch ``callbacks`` receiving a ``shallownet.EpochInfo`` (return True to stop);
* ``fit(..., catch_interrupt=True)``: Ctrl-C finishes the batch, keeps the best weights so far
  and returns with ``interrupted_ = True``.

Choice of network (Problem 4): N_i is the number of features; two classes give one sigmoid output
unit (3)/(17); K > 2 classes a softmax over K units (5)/(18); a real target with d columns gives
d identity outputs (7)/(20). N_h (``hidden_units``) and g_act (``activation``) are free.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from numbers import Integral

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from . import _sparse
from ._kernels import _scratch, logits
from .activations import get_activation
from .architecture import choose_architecture
from .network import Network, _all_finite
from .optimizers import make_optimizer
from .solvers.dask import is_dask_collection as _is_dask_collection
from .solvers.minibatch import ArrayBatches, BatchSource
from .training import History, check_sample_weight, score_name, train, validation_text
from .validation import _first_missing, _is_missing, _missing_text, check_params, check_random_state

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    def _sk_validate_data(estimator, X, **kwargs):
        return estimator._validate_data(X, **kwargs)

__all__ = ["Classifier", "Regressor"]

_DTYPES = ("float32", "float64")
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


# ---------------------------------------------------------------------------- input checks
def _missing_labels_error(name: str, count: int, n: int, where, value) -> ValueError:
    if name == "classes":
        return ValueError(
            f"classes contains a missing label ({_missing_text(value)} at position "
            f"{where[0]}); list only the labels a sample can have, e.g. classes=np.unique(y) of "
            "the samples that have one")
    return ValueError(
        f"{name} contains missing labels ({count} of {n}, the first {_missing_text(value)} at "
        f"row {where[0]}); drop those samples or fill in their labels")


def _non_numeric_columns(X, missing: list | None = None) -> list:
    """Names of the columns of a data frame that cannot be read as numbers; a column of
    numbers that cannot be read only because of missing values (pd.NA in an object column)
    goes to ``missing`` instead, when given."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns") or not hasattr(dtypes, "items"):
        return []
    bad = []
    for col, dt in dtypes.items():
        if getattr(dt, "kind", "O") in "biuf":
            continue
        if getattr(dt, "kind", "O") in "mM" or "datetime" in str(dt) or "period" in str(dt):
            bad.append(col)  # times: numpy would turn them into nanoseconds, or refuse
            continue
        try:
            np.asarray(X[col], dtype=np.float64)
        except (TypeError, ValueError):
            values = np.asarray(X[col], dtype=object)
            if missing is not None and _first_missing(values) is not None:
                try:  # numbers once the missing values are taken out?
                    np.asarray([v for v in values.ravel() if not _is_missing(v)],
                               dtype=np.float64)
                except (TypeError, ValueError):
                    pass
                else:
                    missing.append(col)
                    continue
            bad.append(col)
    return bad


def _check_finite(A: np.ndarray, name: str) -> None:
    """A ValueError naming where the first NaN or inf is, and what to do about it (for a sparse
    A, a canonical CSR matrix, among its stored values: the implicit zeros are finite)."""
    values = _sparse.values(A)
    if values.dtype.kind not in "fc" or np.isfinite(values).all():
        return
    bad = ~np.isfinite(values)
    if _sparse.issparse(A):  # the first stored one, in row-major order
        k = int(np.flatnonzero(bad)[0])
        where = (int(np.searchsorted(A.indptr, k, side="right")) - 1, int(A.indices[k]))
        first = values[k]
    else:
        where = np.argwhere(bad)[0]
        first = A[tuple(where)]
    what = "NaN" if np.isnan(first) else "-inf" if np.real(first) < 0 else "inf"
    pos = f"row {where[0]}" + (f", column {where[1]}" if A.ndim == 2 else "")
    fix = ("impute the missing values (e.g. sklearn.impute.SimpleImputer in a Pipeline) or drop "
           "those rows" if name == "X" else "drop those samples or fill in their targets")
    raise ValueError(
        f"{name} contains {int(bad.sum())} NaN or infinite value(s) (the first, {what}, at "
        f"{pos}); shallownet needs finite numbers: {fix}"
    )


def _check_missing_targets(y) -> None:
    """A ValueError naming the first missing value (None, NaN, pd.NA, pd.NaT) of a target held
    as Python objects (a list, an object column), which numpy cannot all read as NaN."""
    if y is None or _sparse.issparse(y):
        return
    dtypes = list(y.dtypes) if hasattr(y, "columns") else [getattr(y, "dtype", None)]
    if not hasattr(y, "shape") or any(d == np.dtype(object) for d in dtypes):
        try:
            values = np.asarray(y, dtype=object)
        except (TypeError, ValueError):  # ragged: the shape checks say what is wrong
            return
        first = _first_missing(values) if values.ndim in (1, 2) else None
        if first is not None:
            count, where, value = first
            pos = f"row {where[0]}" + (f", column {where[1]}" if values.ndim == 2 else "")
            raise ValueError(
                f"y contains {count} missing value(s) (the first, {_missing_text(value)}, at "
                f"{pos}); shallownet needs finite numbers: drop those samples or fill in their "
                "targets")


def _check_float32_range(A: np.ndarray, name: str, dtype_name: str) -> None:
    """Values beyond float32's range would become inf in training: say so, not "NaN or inf"."""
    A = _sparse.values(A)  # a sparse matrix's stored values
    if dtype_name != "float32" or A.dtype != np.float64 or A.size == 0:
        return
    big = max(float(A.max()), -float(A.min()))
    limit = float(np.finfo(np.float32).max)
    if big > limit:
        raise ValueError(
            f"{name} has values up to {big:.3g}, too large for float32 (largest {limit:.3g}), "
            f"the training precision; rescale {name} (e.g. sklearn.preprocessing.StandardScaler"
            f"{'' if name == 'X' else ' on y'}) or train in float64 (dtype='float64')"
        )


def label_kind(value) -> str:
    """'bool', 'int', 'float', 'str' or the type's name: the kind of one class label."""
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, Integral):
        return "int"
    if isinstance(value, float | np.floating):
        return "float"
    if isinstance(value, str):
        return "str"
    return type(value).__name__


def _nullable_to_numpy(y, name: str = "y"):
    """pandas' nullable Int64/boolean labels as int64/bool (not float, as a plain conversion
    would make them), so predictions come back in the labels' own type; a one-column data
    frame of them as its column, shape (n, 1)."""
    if getattr(y, "ndim", None) == 2 and hasattr(y, "columns") and hasattr(y, "iloc") \
            and y.shape[1] == 1:
        column = y.iloc[:, 0]
        out = _nullable_to_numpy(column, name)
        return y if out is column else out[:, None]
    dt = getattr(y, "dtype", None)
    if isinstance(dt, np.dtype) or getattr(dt, "kind", None) not in ("i", "u", "b") \
            or not hasattr(y, "to_numpy"):
        return y
    missing = np.asarray(y.isna(), dtype=bool)
    if missing.any():
        first = int(np.argmax(missing))
        raise _missing_labels_error(name, int(missing.sum()), missing.shape[0], (first,),
                                    y.iloc[first] if hasattr(y, "iloc") else y[first])
    return y.to_numpy(dtype=dt.numpy_dtype)


def _typed_labels(y: np.ndarray, name: str = "y") -> np.ndarray:
    """An object array of labels as the one type they share (int64, bool, float, or kept as
    str objects); labels of several types are refused. Whole numbers beyond 64 bits
    (``10**23``) stay Python ints in an object array, exact (uint64 holds 2**63 to 2**64 - 1).

    A plain list such as [1, "a"] never gets here: numpy turns it into strings ("1", "a"), as
    scikit-learn does too. An object array (a pandas column of mixed values) keeps its types,
    and mixing them is almost always a mistake in the data (1 and "1" would be two classes).
    """
    kinds = {label_kind(v) for v in y}
    if kinds == {"int"}:
        for dtype in (np.int64, np.uint64):
            with contextlib.suppress(OverflowError):
                return y.astype(dtype)
        return np.array([int(v) for v in y], dtype=object)
    if kinds == {"bool"}:
        return y.astype(bool)
    if kinds <= {"int", "float"}:
        try:
            return y.astype(np.float64)
        except OverflowError:
            big = str(next(v for v in y if not _fits_a_float(v)))
            raise ValueError(
                f"{name} mixes whole numbers and floats, and the whole number {big[:20]}... "
                f"({len(big.lstrip('-'))} digits) is too large for a float; give every label "
                f"one type, e.g. all strings with np.asarray({name}, dtype=str)") from None
    if len(kinds) > 1:
        examples = {}
        for v in y:
            examples.setdefault(label_kind(v), v)
        shown = " and ".join(f"{examples[k]!r} ({k})" for k in sorted(examples))
        raise ValueError(
            f"{name} mixes labels of different types, e.g. {shown}; give every label one type, "
            f"e.g. all strings with np.asarray({name}, dtype=str), or check the "
            f"{'column' if name == 'y' else 'list'} for stray values"
        )
    return y


def _list_labels(y) -> np.ndarray:
    """A list of labels as an array; whole numbers beyond int64 as Python ints (objects), which
    numpy would otherwise turn into inexact floats (``[2**63, 1]``)."""
    labels = np.asarray(y)
    if labels.dtype.kind == "f" and labels.ndim == 1 and any(
            isinstance(v, Integral) and not isinstance(v, bool | np.bool_)
            and not -2**63 <= v < 2**63 for v in y):
        labels = np.array(list(y), dtype=object)
    return labels


def _fits_a_float(value) -> bool:
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _python_ints(labels: np.ndarray) -> bool:
    """Labels kept as Python ints (beyond 64 bits), which scikit-learn's checks and metrics
    call of "unknown" type."""
    return labels.dtype == object and labels.size > 0 and label_kind(labels[0]) == "int"


# ---------------------------------------------------------------------------- the estimators
class _BaseNetwork(BaseEstimator):
    """What Classifier and Regressor share; see their docstrings."""

    _kind = ""  # "classes" or "continuous"

    def __init__(self, hidden_units=100, activation="relu", optimizer="adam",
                 learning_rate=None, momentum=0.9, nesterov=False, batch_size=32, epochs=200,
                 l2=0.0, early_stopping=False, validation_fraction=0.1, patience=10,
                 min_delta=0.0, shuffle=True, random_state=None, dtype=None,
                 warm_start=False, verbose=False, callbacks=None, seed="deprecated",
                 n_threads=None):
        self.hidden_units = hidden_units
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.batch_size = batch_size
        self.epochs = epochs
        self.l2 = l2
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.min_delta = min_delta
        self.shuffle = shuffle
        self.random_state = random_state
        self.dtype = dtype
        self.warm_start = warm_start
        self.verbose = verbose
        self.callbacks = callbacks
        self.seed = seed
        self.n_threads = n_threads

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # scipy.sparse X: shallownet._sparse
        return tags

    # ------------------------------------------------------------------ hyper-parameters
    def _check_hyperparameters(self) -> None:
        check_params(self.get_params(deep=False))
        if not (isinstance(self.seed, str) and self.seed == "deprecated"):
            check_params({"random_state": self.seed}, spelling={"random_state": "seed"})
        act = get_activation(self.activation)
        if not act.trainable:
            raise ValueError(
                f"activation={self.activation!r} cannot be trained by gradient descent (the "
                "threshold (2) has zero derivative almost everywhere); use 'relu' or 'sigmoid'"
            )
        self._dtype_name()
        if self.callbacks is not None:
            cbs = self.callbacks if isinstance(self.callbacks, list | tuple) else [self.callbacks]
            for cb in cbs:
                if not callable(cb):
                    raise ValueError(
                        f"callbacks must be a list of functions f(EpochInfo) -> bool, got {cb!r}"
                    )

    def _dtype_name(self) -> str:
        """``dtype`` as "float32" or "float64" (a numpy dtype or type is accepted too); None is
        float64 for L-BFGS and float32 for the mini-batch optimizers."""
        if self.dtype is None:
            lbfgs = isinstance(self.optimizer, str) and self.optimizer.lower() == "lbfgs"
            return "float64" if lbfgs else "float32"
        try:
            name = np.dtype(self.dtype).name
        except TypeError:
            name = None
        if name not in _DTYPES:
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        return name

    def _callbacks(self) -> list:
        if self.callbacks is None:
            return []
        return list(self.callbacks) if isinstance(self.callbacks, list | tuple) else [
            self.callbacks]

    def _random_state(self):
        """``random_state``, or the deprecated ``seed`` when that was given (with a warning)."""
        if isinstance(self.seed, str) and self.seed == "deprecated":
            return self.random_state
        warnings.warn(f"{type(self).__name__}(seed=...) is deprecated and will be removed; use "
                      "random_state=... (as in scikit-learn)", FutureWarning, stacklevel=4)
        return self.seed

    @staticmethod
    def _seeds(rs, n: int, offset: int = 0) -> list:
        """``n`` independent integer seeds from ``rs``, a random_state (and ``offset``, the epochs
        done): an int gives the same seeds every time; None, a ``RandomState`` or a
        ``Generator`` give new ones on each call (the latter two are advanced)."""
        if isinstance(rs, Integral):
            ss = np.random.SeedSequence([int(rs), int(offset)])
        else:
            ss = np.random.SeedSequence(None if rs is None else
                                        int(check_random_state(rs).integers(2**32)))
        return [int(c.generate_state(1)[0]) for c in ss.spawn(n)]

    # ------------------------------------------------------------------ data checks
    def _validate_X(self, X, reset: bool) -> np.ndarray:
        """X as a float64 or float32 array, checked; a scipy.sparse X (any format, matrix or
        array) as a canonical CSR matrix (``shallownet._sparse.as_csr``), never made dense."""
        if _is_dask_collection(X):  # never pulled into memory without being asked
            raise TypeError(
                "X is a Dask collection: fit(X, y) with optimizer='lbfgs' trains on the "
                "cluster; partial_fit takes in-memory blocks (dask_ml.wrappers.Incremental feeds "
                "them); to predict or score, wrap the fitted model in "
                "dask_ml.wrappers.ParallelPostFit, or call .compute() on X if it fits in memory"
            )
        if isinstance(X, BatchSource):
            raise TypeError(
                f"X is a {type(X).__name__}, which fit and partial_fit train on with y=None (it "
                "holds the labels); predict, score and the other methods take rows: an array "
                "or a DataFrame (shallownet.data.load(path).X), or source.score(model) for a "
                "source's held-out rows")
        if type(X).__name__ == "Dataset" and hasattr(X, "X") and hasattr(X, "feature_names"):
            raise TypeError("X is a shallownet.data.Dataset: pass its arrays, fit(ds.X, ds.y) "
                            "and predict(ds.X)")
        missing: list = []
        bad = _non_numeric_columns(X, missing)
        times = [c for c in bad if getattr(X.dtypes[c], "kind", "O") in "mM"
                 or "datetime" in str(X.dtypes[c]) or "period" in str(X.dtypes[c])]
        if times:
            raise ValueError(
                f"X has date or time column(s) {times[:10]}; shallownet needs numbers: convert "
                "them first (e.g. days since a start, the hour or the day of the week) or drop "
                "them")
        if bad:
            raise ValueError(
                f"X has non-numeric column(s) {bad[:10]}; shallownet needs numbers: encode them "
                "(e.g. sklearn.preprocessing.OneHotEncoder in a ColumnTransformer) or drop them"
            )
        if missing:
            col = missing[0]
            count, where, value = _first_missing(np.asarray(X[col], dtype=object))
            raise ValueError(
                f"X column(s) {missing[:10]} hold numbers with missing values ({col!r}: {count} "
                f"of {X.shape[0]}, the first {_missing_text(value)} at row {where[0]}); "
                "shallownet needs a number in every cell: convert the column(s) to numbers "
                f"(pd.to_numeric(X[{col!r}]) or .astype('Float64')) and impute the missing "
                "values (e.g. sklearn.impute.SimpleImputer in a Pipeline), or drop those rows")
        try:
            X = _sk_validate_data(self, X, reset=reset, dtype=("float64", "float32"),
                                  ensure_all_finite=False, accept_sparse="csr")
        except TypeError as exc:
            if "argument must be" in str(exc):
                raise TypeError(f"X must be numeric: {exc}; convert or drop that column") from exc
            raise
        except ValueError as exc:
            msg = str(exc)
            if "could not convert" in msg or "convert" in msg and "float" in msg:
                raise ValueError(
                    f"X must be numeric ({msg}); encode text columns (e.g. "
                    "sklearn.preprocessing.OneHotEncoder in a Pipeline) or drop them"
                ) from exc
            if "features, but" in msg:
                raise ValueError(
                    f"{msg} Pass the same {self.n_features_in_} feature columns, in the same "
                    "order, as when the model was fitted"
                ) from exc
            if "Found array with 0" in msg:
                raise ValueError(f"X is empty: {msg} Pass at least one sample with at least "
                                 "one feature") from exc
            raise
        if _sparse.issparse(X):
            X = _sparse.as_csr(X)
        _check_finite(X, "X")
        return X

    def _y_array(self, y, n_samples: int, dtype=None) -> np.ndarray:
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None; "
                "pass the targets as fit(X, y)"
            )
        y = check_array(y, ensure_2d=False, dtype=dtype, ensure_all_finite=False,
                        ensure_min_samples=0, input_name="y")
        if y.shape[0] != n_samples:
            raise ValueError(
                f"X has {n_samples} samples but y has {y.shape[0]}; pass one target per row "
                "of X"
            )
        return y

    # ------------------------------------------------------------------ fitting
    def _make_network(self, N_o_info: int, seed: int) -> Network:
        arch = choose_architecture(int(self.n_features_in_), self._kind, N_o_info,
                                   N_h=int(self.hidden_units),
                                   activation=get_activation(self.activation).name)
        return Network.init(arch.N_i, arch.N_h, arch.N_o, arch.activation, arch.output,
                            seed=seed, dtype=self._dtype_name())

    def _learning_rate(self) -> float:
        if self.learning_rate is not None:
            return float(self.learning_rate)
        return 0.001 if self.optimizer.lower() == "adam" else 0.01

    def _new_optimizer(self, net: Network):
        if self.optimizer.lower() == "lbfgs":  # full batch: shallownet.solvers.lbfgs
            return "lbfgs"
        return make_optimizer(self.optimizer.lower(), net.params, self._learning_rate(),
                              momentum=float(self.momentum), nesterov=bool(self.nesterov))

    def _check_continuation(self) -> None:
        """warm_start/partial_fit continue ``network_``: its shape must match the settings."""
        net = self.network_
        act = get_activation(self.activation).name
        if net.N_h != self.hidden_units or net.activation.name != act:
            raise ValueError(
                f"cannot continue training: the fitted network has hidden_units={net.N_h}, "
                f"activation={net.activation.name!r} but the estimator now asks for "
                f"hidden_units={self.hidden_units}, activation={self.activation!r}; set "
                "warm_start=False (or call fit) to start a new network"
            )

    def _split(self, X, T, seed: int, sw=None, view=None):
        """Hold out ``validation_fraction`` of the samples (stratified when possible); the
        sample weights ``sw`` of the training part come along.

        With ``view`` (an ``ArrayBatches`` over rows of X), the training part is returned as
        a view of fewer rows and only the validation rows are copied (and standardised).
        """
        n = T.shape[0]
        n_val = validation_count(n, self.validation_fraction)
        if n_val < 1 or n - n_val < 1:
            raise ValueError(
                f"early_stopping holds out validation_fraction={self.validation_fraction} of the "
                f"{n} samples, which leaves none to train or to validate on; pass more samples "
                "or set early_stopping=False"
            )
        stratify = None
        if self._kind == "classes":
            counts = np.bincount(T)
            k = np.count_nonzero(counts)
            if counts[counts > 0].min() >= 2 and n_val >= k and n - n_val >= k:
                stratify = T
        rows_tr, rows_val = train_test_split(np.arange(n), test_size=n_val, random_state=seed,
                                             stratify=stratify)
        if self._kind == "classes" and np.unique(T[rows_tr]).size < 2:
            # (a rare class may all land in the validation rows; one class left cannot train)
            unseen = np.setdiff1d(np.flatnonzero(np.bincount(T)), T[rows_tr])
            if unseen.size:
                names = [self.classes_[i].item() if hasattr(self.classes_[i], "item")
                         else self.classes_[i] for i in unseen[:5]]
                raise ValueError(
                    f"early_stopping holds out {n_val} of the {n} samples for validation, which "
                    f"leaves no sample of class{'es' if unseen.size > 1 else ''} "
                    f"{', '.join(repr(c) for c in names)} to train on; pass more samples, a "
                    "smaller validation_fraction, or early_stopping=False")
        if sw is not None:
            self._check_split_weights(sw, rows_tr, rows_val, n)
        if view is not None:  # X is the whole matrix; view.rows are the training rows
            X_val = X[view.rows[rows_val]]
            if view.shift is not None:
                view._standardise(X_val)
            train_view = ArrayBatches(X, T[rows_tr], rows=view.rows[rows_tr], shift=view.shift,
                                      scale=view.scale)
            return (train_view, T[rows_tr], None if sw is None else sw[rows_tr],
                    (X_val, T[rows_val]) + (() if sw is None else (sw[rows_val],)))
        if sw is None:
            return X[rows_tr], T[rows_tr], None, (X[rows_val], T[rows_val])
        return X[rows_tr], T[rows_tr], sw[rows_tr], (X[rows_val], T[rows_val], sw[rows_val])

    def _check_split_weights(self, sw, rows_tr, rows_val, n: int) -> None:
        """Either part of early stopping's split with zero total weight: a validation loss
        that cannot be measured, or nothing to train on."""
        what = "sample_weight" if getattr(self, "class_weight", None) is None else \
            "weight (sample_weight times class_weight)"
        held = f"early_stopping holds out {rows_val.shape[0]} of the {n} samples for validation"
        positive = f"only {np.count_nonzero(sw)} of the {n} weigh more than 0"
        if not sw[rows_val].any():
            raise ValueError(
                f"{held}, and every one of them has {what} 0 ({positive}), so the validation "
                "loss cannot be measured; use a larger validation_fraction, fewer zero weights, "
                "or early_stopping=False")
        if not sw[rows_tr].any():
            raise ValueError(
                f"{held}, which leaves {rows_tr.shape[0]} to train on, every one with {what} 0 "
                f"({positive}): nothing to train on; use a smaller validation_fraction, fewer "
                "zero weights, or early_stopping=False")

    def _run(self, X, T, n_targets, *, incremental, validation_data=None, catch_interrupt=False,
             sample_weight=None, view=None):
        """Choose or continue the network, then call ``shallownet.train``.

        ``view``: (rows, shift, scale) -- train on ``X[rows]`` standardised as
        (x - shift) / scale, gathered batch by batch (see :meth:`_fit_rows`).
        """
        sw = self._sample_weight(sample_weight, T, T.shape[0], incremental)
        _check_float32_range(X, "X", self._dtype_name())
        if self._kind != "classes":
            _check_float32_range(T, "y", self._dtype_name())
        continuing = hasattr(self, "network_") and (incremental or self.warm_start)
        if continuing:
            self._check_continuation()
            offset = self.history_.epochs
        else:
            offset = 0
        rs = self._random_state()
        init_seed, _, train_seed = self._seeds(rs, 3, offset)
        # the same validation split on every warm start, so the curve stays comparable
        split_seed = self._seeds(rs, 3, 0)[1] if isinstance(rs, Integral) \
            else train_seed
        if continuing:
            net, history = self.network_, self.history_
        else:
            net, history = self._make_network(n_targets, init_seed), History()
        if incremental and self.optimizer.lower() == "lbfgs":
            raise ValueError(
                "partial_fit needs a mini-batch optimizer, and optimizer='lbfgs' minimises the "
                "loss over the whole training set; use fit, or optimizer='adam' (or 'sgd', "
                "'momentum') for partial_fit"
            )
        if incremental:
            epochs, early = 1, False
            opt = getattr(self, "_optimizer", None)
            if opt is None or opt.__class__ is not self._new_optimizer(net).__class__:
                opt = self._new_optimizer(net)
            elif self.learning_rate is not None:
                opt.learning_rate = float(self.learning_rate)
        else:
            epochs, early = int(self.epochs), bool(self.early_stopping)
            opt = self._new_optimizer(net)
            if early and view is None and opt != "lbfgs":
                # the validation rows are held out by index: the training part is not copied
                # (a sparse X stays sparse: its batches are made dense one at a time)
                X = _sparse.as_csr(X, net.dtype) if _sparse.issparse(X) else \
                    np.ascontiguousarray(X, dtype=net.dtype)
                view = (np.arange(T.shape[0]), None, None)
            if view is not None:  # rows of X, standardised batch by batch: X is not copied
                rows, shift, scale = view
                view = ArrayBatches(X, T, rows=rows,
                                    shift=None if shift is None else np.asarray(shift, net.dtype),
                                    scale=None if scale is None else np.asarray(scale, net.dtype))
            if early:
                X, T, sw, validation_data = self._split(X, T, split_seed, sw, view)
            if view is not None:
                X = X if early else view
                X.T, T = np.ascontiguousarray(net.encode_targets(T, T.shape[0])), None
        history.stopped_early = history.interrupted = False
        train(net, X, T, epochs=epochs, batch_size=int(self.batch_size), optimizer=opt,
              l2=float(self.l2), shuffle=bool(self.shuffle), seed=train_seed,
              validation_data=validation_data, early_stopping=early,
              patience=int(self.patience), min_delta=float(self.min_delta), restore_best=True,
              callbacks=self._callbacks(), progress=bool(self.verbose) and not incremental,
              dtype=self._dtype_name(), catch_interrupt=bool(catch_interrupt), history=history,
              sample_weight=sw, n_threads=self.n_threads)
        if incremental and self.verbose:  # one line per call, not a bar that reads "1/1"
            val = validation_text(history.val_loss[-1] if validation_data is not None else None,
                                  history.val_score[-1] if validation_data is not None else None,
                                  score_name(net))
            print(f"partial_fit: epoch {history.epochs}, loss {history.loss[-1]:.4f}"
                  + (f", {val}" if val else ""), flush=True)
        self.network_ = net
        self._optimizer = opt
        self._set_learned(history)
        return self

    def _fit_source(self, source, catch_interrupt: bool = False, sample_weight=None,
                    incremental: bool = False):
        """Fit on a batch source such as ``shallownet.data.FileSource`` (a streamed file).

        The source's first pass gives the classes (or the target's scale), N_i and the
        validation rows; its standardisation is folded into the weights afterwards, so the
        model predicts on raw rows. With ``warm_start`` (or ``incremental``, one epoch for
        ``partial_fit``) a fitted network continues: the source's standardisation is taken
        out of its weights first (the same function of the raw rows), trained on, and folded
        back in; ``partial_fit`` keeps the optimizer's state from call to call.
        """
        self._check_hyperparameters()
        if self.optimizer.lower() == "lbfgs":  # before the first pass over the file
            raise ValueError("optimizer='lbfgs' takes the whole training set in memory each "
                             "iteration; train a streamed source with 'adam', 'sgd' or "
                             "'momentum' (mini-batches)")
        if sample_weight is not None or getattr(self, "class_weight", None) is not None:
            raise ValueError("sample_weight and class_weight apply to X and y in memory; a "
                             "streamed source is trained unweighted")
        if self.early_stopping and not incremental and \
                getattr(source, "validation_fraction", None) == 0.0:
            # the source holds out no rows: it takes the estimator's validation_fraction
            # (the rows are chosen in its first pass), as X, y in memory would
            if getattr(source, "_prepared", False):
                raise ValueError(
                    f"early_stopping=True needs validation rows, and {source.source} was "
                    "read with validation_fraction=0; give "
                    f"FileSource(..., validation_fraction={self.validation_fraction}) (or a "
                    "source not read yet: it takes the estimator's), or early_stopping=False")
            source.validation_fraction = float(self.validation_fraction)
        source.prepare()
        wanted = "classification" if self._kind == "classes" else "regression"
        if source.task != wanted:
            raise ValueError(
                f"{source.source}: the {source.what} makes a {source.task} task; use "
                f"shallownet.{'Classifier' if source.task == 'classification' else 'Regressor'}"
                f", or give FileSource(task='{wanted}')")
        continuing = hasattr(self, "network_") and (incremental or self.warm_start)
        if continuing:
            self._check_source_continuation(source)
            net, history = self.network_, self.history_
            source.unfold_from(net)
        else:
            self.n_features_in_ = source.n_features
            self.feature_names_in_ = np.asarray(source.feature_names, dtype=object)
            if self._kind == "classes":
                self.classes_ = source.classes
            history = History()
        rs = self._random_state()
        init_seed, _, train_seed = self._seeds(rs, 3, history.epochs)
        if not continuing:
            net = self._make_network(source.n_outputs, init_seed)
        opt = getattr(self, "_optimizer", None) if incremental else None
        if opt is None or opt.__class__ is not self._new_optimizer(net).__class__:
            opt = self._new_optimizer(net)
        elif self.learning_rate is not None:
            opt.learning_rate = float(self.learning_rate)
        early = bool(self.early_stopping) and not incremental
        validation = source.validation_data() if early else None
        history.stopped_early = history.interrupted = False
        try:
            train(net, source, None, epochs=1 if incremental else int(self.epochs),
                  batch_size=int(self.batch_size), optimizer=opt, l2=float(self.l2),
                  shuffle=bool(self.shuffle), seed=train_seed, validation_data=validation,
                  early_stopping=validation is not None, patience=int(self.patience),
                  min_delta=float(self.min_delta), restore_best=True,
                  callbacks=self._callbacks(), progress=bool(self.verbose) and not incremental,
                  dtype=self._dtype_name(), catch_interrupt=bool(catch_interrupt),
                  history=history)
        except BaseException:
            source.close()  # the spill goes at once (Ctrl-C included)
            source.fold_into(net)  # the network stays one of raw rows
            raise
        if not incremental:  # partial_fit keeps the spill for the next call
            source.close()
        source.fold_into(net)
        self.network_ = net
        self._optimizer = opt
        self._set_learned(history)
        return self

    def _check_source_continuation(self, source) -> None:
        """A streamed warm start or partial_fit continues ``network_``: same columns and
        classes (or outputs) as the source's."""
        self._check_continuation()
        names = getattr(self, "feature_names_in_", None)
        if source.n_features != self.n_features_in_ or (
                names is not None and list(names) != list(source.feature_names)):
            raise ValueError(
                f"{source.source} has {source.n_features} feature columns "
                f"({', '.join(source.feature_names[:5])}{', ...' if source.n_features > 5 else ''}"
                f") but the fitted model takes {self.n_features_in_}; continue on data with the "
                "same columns, or set warm_start=False")
        if self._kind == "classes" and not np.array_equal(
                np.asarray(source.classes, dtype=object),
                np.asarray(self.classes_, dtype=object)):
            raise ValueError(
                f"{source.source} has the classes {list(source.classes)[:10]} but the fitted "
                f"model has {list(self.classes_)[:10]}; they cannot change when training "
                "continues (set warm_start=False to fit a new model)")
        if self._kind != "classes" and source.n_outputs != self.network_.N_o:
            raise ValueError(f"{source.source} has {source.n_outputs} target column(s) but the "
                             f"fitted network has {self.network_.N_o}")

    def _fit_rows(self, X, rows, y, shift=None, scale=None, *, catch_interrupt: bool = False):
        """Fit on the rows ``rows`` of ``X``, standardised as (x - shift) / scale, without
        copying X (the train workflow: :func:`shallownet.workflow.train_dataset`).

        ``y`` holds the targets of those rows. The mini-batches are gathered from X and
        standardised one at a time (``ArrayBatches``); early stopping's validation rows are the
        only rows copied. L-BFGS takes the whole training matrix each iteration, so it gets
        that matrix as one copy.
        """
        self._check_hyperparameters()
        rows = np.asarray(rows, np.intp)
        if isinstance(self.optimizer, str) and self.optimizer.lower() == "lbfgs":
            X_fit = np.asarray(X)[rows]
            if shift is not None:
                X_fit = (X_fit - shift) / scale
            return self.fit(X_fit, y, catch_interrupt=catch_interrupt)
        X = self._validate_X(X, reset=True).astype(self._dtype_name(), copy=False)
        T, n_targets = self._new_targets(y, rows.shape[0])
        return self._run(X, T, n_targets, incremental=False, catch_interrupt=catch_interrupt,
                         view=(rows, shift, scale))

    def _sample_weight(self, sample_weight, T, n_samples: int, incremental: bool):
        """``sample_weight`` (checked), times the class weights of a classifier; or None."""
        sw = None
        if sample_weight is not None:
            sw = check_sample_weight(sample_weight, n_samples)
        class_weight = getattr(self, "class_weight", None)
        if class_weight is None:
            return sw
        per_class = self._class_weights(T, incremental)
        return per_class[T] if sw is None else sw * per_class[T]

    def _fit_dask(self, X, y, sample_weight=None):
        """``fit`` on Dask collections: L-BFGS with the data kept on the cluster
        (``shallownet.solvers.dask``); the result is an ordinary in-memory estimator."""
        from .solvers import dask as on_cluster

        self._check_hyperparameters()
        if self.optimizer.lower() != "lbfgs":
            raise ValueError(on_cluster.MINIBATCH_MESSAGE.format(name=self.optimizer))
        if self.warm_start and hasattr(self, "network_"):
            raise ValueError("warm_start on Dask collections is not supported; set "
                             "warm_start=False, or continue in memory")
        if sample_weight is not None or getattr(self, "class_weight", None) is not None:
            raise ValueError("sample_weight and class_weight are not supported on Dask "
                             "collections yet; fit in memory, or leave them out")
        if y is None or not on_cluster.is_dask_collection(y):
            raise ValueError("X is a Dask collection, so y must be one too (a Dask array or "
                             "Series with the same partitions as X)")
        self.n_features_in_, names = on_cluster.n_features_and_names(X)
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        classes = None
        if self._kind == "classes":
            classes = self._classes_of(on_cluster.cluster_classes(None, y))
            self.classes_ = classes
            N_o_info = len(classes)
        else:
            N_o_info = 1 if y.ndim == 1 else int(y.shape[1])
        init_seed, split_seed, _ = self._seeds(self._random_state(), 3)
        net = self._make_network(N_o_info, init_seed)
        history = on_cluster.fit(
            net, X, y, classes=classes, max_iter=int(self.epochs), l2=float(self.l2),
            validation_fraction=float(self.validation_fraction) if self.early_stopping else 0.0,
            seed=split_seed, early_stopping=bool(self.early_stopping),
            patience=int(self.patience), min_delta=float(self.min_delta),
            callbacks=self._callbacks(), progress=bool(self.verbose))
        self.network_ = net
        self._optimizer = "lbfgs"
        self._set_learned(history)
        return self

    def _set_learned(self, history: History) -> None:
        """The trailing-underscore attributes that summarise ``history``."""
        self.history_ = history
        self.n_outputs_ = self.network_.N_o
        self.loss_curve_ = list(history.loss)
        self.loss_ = float(history.loss[-1]) if history.loss else None
        self.validation_loss_curve_ = list(history.val_loss) if history.val_loss else None
        self.validation_scores_ = list(history.val_score) if history.val_score else None
        monitor = history.val_loss if history.val_loss else history.loss
        self.best_epoch_ = history.best_epoch
        if history.best_epoch is not None and history.best_epoch <= len(monitor):
            self.best_loss_ = float(monitor[history.best_epoch - 1])
        else:
            self.best_loss_ = None
        if history.val_score and history.best_epoch is not None \
                and history.best_epoch <= len(history.val_score):
            self.best_validation_score_ = float(history.val_score[history.best_epoch - 1])
        else:
            self.best_validation_score_ = None
        self.n_iter_ = history.epochs
        self.t_ = history.steps
        self.stopped_early_ = history.stopped_early
        self.interrupted_ = history.interrupted

    def _forward_z(self, X, per_chunk=None) -> np.ndarray:
        """The logits z_O of (10a)/(10b), (N, N_o), in the network's precision.

        A sample's logits do not depend on the other samples in the call, in float32 too: the
        products run on row blocks of a fixed size (``shallownet._kernels.logits``), which
        also hands each chunk of rows to ``per_chunk(N)`` when given. A plain float
        array with the fitted number of columns skips scikit-learn's generic input checks (it
        needs none of their conversions): its chunks are cast to the network's precision and
        checked for NaN and inf on the way, and anything that fails that check, like anything
        else, goes through the full checks, whose messages say what is wrong. A scipy.sparse X
        is checked on its stored values and each chunk of its rows is made dense as it is cast,
        in the same fixed blocks: the logits of ``X.toarray()``, without that dense copy.
        """
        net = getattr(self, "network_", None)
        if net is None:
            check_is_fitted(self, "network_")
        if (type(X) is np.ndarray and X.ndim == 2 and X.dtype in _FLOATS
                and X.shape[0] > 0 and X.shape[1] == self.n_features_in_
                and not hasattr(self, "feature_names_in_")):
            z = logits(net, X, per_chunk, check=True)
            if z is not None:
                return z
        X = self._validate_X(X, reset=False)
        if X.dtype != net.dtype:  # (a sparse X: its stored values; each chunk is made dense)
            with np.errstate(over="ignore"):  # beyond float32's range: said just below
                X_cast = X.astype(net.dtype)
            if not _all_finite(_sparse.values(X_cast)):  # finite float64 beyond float32's range
                _check_float32_range(X, "X", net.dtype.name)
            X = X_cast
        return logits(net, X, per_chunk)


@contextlib.contextmanager
def _target_scale_said(T: np.ndarray):
    """A regressor that diverged on targets of a large magnitude says that the targets' scale
    is the cause (their squares in the loss (20) and its gradients), not only the learning
    rate; X may well be standardised already."""
    try:
        yield
    except FloatingPointError as exc:
        largest = float(np.abs(T).max(initial=0.0))
        if largest < 1e6:
            raise
        raise FloatingPointError(
            f"{exc}. The target reaches {largest:.3g}: the squared error (20) and its "
            "gradients grow with its square; rescale y (e.g. "
            "sklearn.compose.TransformedTargetRegressor with a StandardScaler, or y / "
            f"{10 ** int(np.floor(np.log10(largest))):.0e})") from None


def _shown(values) -> str:
    """Labels for a message as Python writes them (``['a', 'b']``, ``[1, 2]``), not as numpy
    2 reprs its scalars (``[np.str_('a')]``)."""
    return repr([v.item() if isinstance(v, np.generic) else v for v in values])


def _probabilities(net, forward) -> np.ndarray:
    """u_O in float64 for a classification network: ``[1 - p, p]`` with p the sigmoid (3), or
    the softmax (5); ``forward(per_chunk)`` runs :func:`shallownet._kernels.logits` with it,
    so each chunk's probabilities are written while its z_O is in cache."""
    output = net.output
    binary = output.name == "binary"
    K = net.N_o
    P = []

    def per_chunk(n):
        # column-major: the per-sample max and sum of (5) then run on contiguous memory
        P.append(np.empty((n, 2 if binary else K), order="C" if binary else "F"))
        return finish

    def finish(z, start, stop):  # each chunk's u_O, in float64, while z is in cache
        p = P[-1][start:stop]  # (the last array: a call that failed its check is redone)
        if binary:
            expit(z[:, 0], out=p[:, 1], dtype=np.float64)   # (3), in float64
            np.subtract(1.0, p[:, 1], out=p[:, 0])
        else:
            _softmax_rows(z, p)                              # (5)

    forward(per_chunk)
    return P[-1]


def _softmax_rows(z: np.ndarray, out: np.ndarray) -> None:
    """The softmax (5) of z_O's rows, in float64, into ``out`` (rows of a column-major array).

    Several rows are worked in a column-major scratch buffer of this thread's, where the
    per-sample max and sum over the K classes run down contiguous columns: several times
    faster than along short rows, and each sum adds the classes one after another, in order.
    One row (one sample, or a batch's last row alone in its block) takes a shorter way to the
    same bits: numpy's exp on the row, then the same sum, in order, in Python floats (a
    contiguous vector would be summed by numpy in another order). ``tests/test_kernels.py``
    checks that a sample's probabilities are the same alone as in any batch.
    """
    n, K = z.shape
    if n == 1:
        row = z[0].astype(np.float64)
        np.subtract(row, row.max(), out=row)
        np.exp(row, out=row)
        total = 0.0
        for e in row.tolist():
            total += e
        np.divide(row, total, out=out[0])
        return
    S = _scratch("softmax", K, n, np.float64).T       # (n, K), column-major
    S[...] = z
    np.subtract(S, S.max(axis=1, keepdims=True), out=S)
    np.exp(S, out=S)
    np.divide(S, S.sum(axis=1, keepdims=True), out=out)


def validation_count(n: int, validation_fraction: float) -> int:
    """The samples early stopping holds out of ``n``: ceil(validation_fraction n)."""
    return math.ceil(validation_fraction * n)


class Classifier(ClassifierMixin, _BaseNetwork):
    """A one-hidden-layer network classifier (scikit-learn API).

    Two classes give one sigmoid output unit, equations (3), (4) and loss (17); K > 2 classes a
    softmax over K units, (5), (6) and loss (18)/(19). Labels may be of any type (int, str,
    bool); predictions come back in the same type, and ``predict_proba``'s columns follow
    ``classes_``. Whole numbers beyond 64 bits (``10**23``) stay exact Python ints, in
    ``predict``, ``score`` and a saved model alike.

    Parameters
    ----------
    hidden_units : int, default 100
        N_h, the number of hidden units.
    activation : {"relu", "sigmoid"}, default "relu"
        g_act of the hidden layer (the threshold (2) cannot be trained by gradient descent).
    optimizer : {"adam", "sgd", "momentum", "lbfgs"}, default "adam"
        "sgd" is (21); "momentum" uses ``momentum`` and ``nesterov``. "lbfgs" is full-batch
        L-BFGS on the mean loss (``shallownet.solvers.lbfgs``): ``epochs`` is then the most
        iterations, ``batch_size``, ``shuffle`` and ``learning_rate`` do not apply, and ``fit``
        also takes Dask arrays or data frames (``shallownet.solvers.dask``).
    learning_rate : float or None, default None
        alpha of (21); None means 0.001 for Adam and 0.01 for SGD and momentum.
    momentum : float, default 0.9
    nesterov : bool, default False
    batch_size : int, default 32
        Samples per step (clipped to the number of samples).
    epochs : int, default 200
        Passes over the training data (the most, when early stopping is on).
    l2 : float, default 0.0
        Weight decay: (l2/2)(||W_H||^2 + ||W_O||^2) is added to the mean loss.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the samples (stratified), stop when the validation
        loss has not improved by ``min_delta`` for ``patience`` epochs, and keep the weights
        of the best epoch however training ended (also when ``epochs`` runs out first).
    validation_fraction : float, default 0.1
    patience : int, default 10
    min_delta : float, default 0.0
        The least decrease of the monitored loss that counts as an improvement (``tol``).
    shuffle : bool, default True
        Shuffle the samples each epoch.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator, default None
        Seeds the initial weights, the validation split and the shuffling, as in scikit-learn:
        an int gives the same model on every fit; None (fresh entropy), a ``RandomState`` or a
        ``Generator`` (advanced by each fit) give different ones.
    class_weight : None, "balanced" or dict {label: weight}, default None
        Weights per class, multiplying each sample's weight in the loss (16): "balanced"
        gives class k the weight n_samples / (n_classes * count_k), as scikit-learn does; a
        dict gives the listed classes their weight and the others 1.
    seed : deprecated
        The old name of ``random_state``; still used when given, with a ``FutureWarning``.
    dtype : {"float32", "float64"} or None, default None
        Training precision; None means float32 for the mini-batch optimizers (as Keras and
        PyTorch) and float64 for L-BFGS (its line search and curvature pairs need the digits).
    warm_start : bool, default False
        ``fit`` continues from the fitted network (with a fresh optimizer) instead of drawing
        new weights; the curves and ``n_iter_`` keep counting.
    verbose : bool, default False
        Show a progress bar with the running loss and validation score.
    callbacks : list of callables or None
        Each is called as ``f(info)`` with a :class:`shallownet.EpochInfo` after every epoch;
        returning True stops training (``stopped_early_`` is then True).
    n_threads : None, -1 or int, default None
        BLAS threads for training's per-batch products. None measures one thread against the
        BLAS's usual count during training and keeps the faster (extra threads lose badly on
        a busy machine); k >= 1 uses k; -1 leaves the BLAS as it is.

    Attributes
    ----------
    network_ : shallownet.Network
        The trained network (W_H, b_H, W_O, b_O).
    classes_ : ndarray (n_classes,)
        The class labels, sorted; class index k in the network (0-based) is ``classes_[k]``.
    n_features_in_ : int
        N_i.
    feature_names_in_ : ndarray of str
        Column names, when X was a data frame with string column names.
    n_outputs_ : int
        N_o: 1 for two classes, K otherwise.
    loss_curve_ : list of float
        Mean training loss per epoch (weighted mean with sample or class weights).
    loss_ : float
        The last epoch's training loss, ``loss_curve_[-1]``.
    validation_loss_curve_, validation_scores_ : list of float or None
        Mean validation loss and accuracy per epoch (None without validation data).
    best_epoch_ : int or None
        1-based epoch with the lowest validation loss (training loss without validation).
    best_loss_ : float or None
        That lowest loss.
    best_validation_score_ : float or None
        The validation accuracy at ``best_epoch_``.
    n_iter_ : int
        Epochs run, over all fits that continued this network.
    t_ : int
        Optimizer steps taken: the iteration index t of (21).
    history_ : shallownet.History
        The full training record.
    stopped_early_ : bool
        True when early stopping or a callback ended the last fit.
    interrupted_ : bool
        True when Ctrl-C ended the last fit (with ``catch_interrupt=True``).
    """

    _kind = "classes"

    def __init__(self, hidden_units=100, activation="relu", optimizer="adam",
                 learning_rate=None, momentum=0.9, nesterov=False, batch_size=32, epochs=200,
                 l2=0.0, early_stopping=False, validation_fraction=0.1, patience=10,
                 min_delta=0.0, shuffle=True, random_state=None, dtype=None,
                 warm_start=False, verbose=False, callbacks=None, class_weight=None,
                 seed="deprecated", n_threads=None):
        super().__init__(
            hidden_units=hidden_units, activation=activation, optimizer=optimizer,
            learning_rate=learning_rate, momentum=momentum, nesterov=nesterov,
            batch_size=batch_size, epochs=epochs, l2=l2, early_stopping=early_stopping,
            validation_fraction=validation_fraction, patience=patience, min_delta=min_delta,
            shuffle=shuffle, random_state=random_state, dtype=dtype, warm_start=warm_start,
            verbose=verbose, callbacks=callbacks, seed=seed, n_threads=n_threads)
        self.class_weight = class_weight

    def fit(self, X, y=None, sample_weight=None, *, catch_interrupt: bool = False):
        """Train on ``(X, y)``.

        Parameters
        ----------
        X : array-like, data frame or scipy.sparse matrix (n_samples, n_features), or a batch source
            A ``shallownet.data.FileSource`` streams a file larger than memory (y is then
            None: the source holds the labels). A sparse X (CSR, CSC, COO, matrix or array:
            a ``OneHotEncoder`` or ``TfidfVectorizer`` output) is converted to CSR once and
            never made dense as a whole: each mini-batch (10a) is made dense in the batch
            buffer on its own, L-BFGS makes one block of rows dense at a time, and prediction
            one chunk at a time; the results are those of ``X.toarray()``. With
            ``early_stopping``, a source created without ``validation_fraction`` holds out
            this estimator's.
        y : array-like (n_samples,)
            Class labels of any type.
        sample_weight : array-like (n_samples,), optional
            Non-negative weight s_i of each sample in the loss (16), which becomes
            sum_i s_i g_loss(i); each step is on the batch's weighted mean, as in
            scikit-learn's MLP. Multiplied by ``class_weight`` when that is set.
        catch_interrupt : bool, default False
            Ctrl-C finishes the current batch, restores the best weights so far and returns
            (``interrupted_`` is then True), so that the model can still be saved.

        Returns
        -------
        self
        """
        if isinstance(X, BatchSource) and y is None:
            return self._fit_source(X, catch_interrupt, sample_weight)
        if _is_dask_collection(X):
            return self._fit_dask(X, y, sample_weight)
        self._check_hyperparameters()
        continuing = self.warm_start and hasattr(self, "network_")
        X = self._validate_X(X, reset=not continuing)
        labels = self._labels(y, X.shape[0])
        if continuing:
            T = self._encode(labels)
        else:
            self.classes_ = self._classes_of(labels)
            T = np.searchsorted(self.classes_, labels)
        return self._run(X, T, len(self.classes_), incremental=False,
                         catch_interrupt=catch_interrupt, sample_weight=sample_weight)

    def _new_targets(self, y, n_samples: int):
        """(class indices, K) of the labels ``y``, whose classes become ``classes_``."""
        labels = self._labels(y, n_samples)
        self.classes_ = self._classes_of(labels)
        return np.searchsorted(self.classes_, labels), len(self.classes_)

    def partial_fit(self, X, y=None, classes=None, sample_weight=None, *,
                    validation_data=None):
        """One epoch of training on ``(X, y)``, continuing the network and its optimizer.

        ``X`` may be a ``shallownet.data.FileSource`` (y None): one epoch over the streamed
        file, its classes known from the source's first pass (see :meth:`fit`).

        The first call (on an unfitted estimator) needs ``classes``, every label that will
        ever appear, and draws the network; later calls continue it, and the optimizer's state
        (Adam's moments, the momentum velocity) carries over from call to call.

        Early stopping: ``partial_fit`` never holds out part of the given data and never stops
        by itself, whatever ``early_stopping`` says; the caller decides when to stop. Pass
        ``validation_data=(X_val, y_val)`` to have the validation loss and accuracy recorded in
        ``validation_loss_curve_`` and ``validation_scores_`` (and ``best_epoch_``) after each
        call, and stop when they stop improving.

        Parameters
        ----------
        X : array-like (n_samples, n_features)
        y : array-like (n_samples,)
        classes : array-like, optional
            All the class labels; required on the first call.
        sample_weight : array-like (n_samples,), optional
            As for :meth:`fit` (``class_weight="balanced"`` needs the whole data, so fit).
        validation_data : (X_val, y_val), optional

        Returns
        -------
        self
        """
        if isinstance(X, BatchSource) and y is None:
            return self._fit_source(X, sample_weight=sample_weight, incremental=True)
        self._check_hyperparameters()
        first = not hasattr(self, "network_")
        X = self._validate_X(X, reset=first)
        labels = self._labels(y, X.shape[0])
        if first:
            if classes is None:
                raise ValueError(
                    "the first call to partial_fit needs classes=, the list of every label "
                    "that will appear (later batches may miss some); e.g. classes=np.unique(y)"
                )
            self.classes_ = self._classes_of(self._labels(classes, None, name="classes"),
                                             "classes")
        elif classes is not None:
            classes = self._classes_of(self._labels(classes, None, name="classes"), "classes")
            if not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"classes={_shown(classes[:20])} differ from the classes of the first call "
                    f"{_shown(self.classes_[:20])}; they cannot change between partial_fit "
                    "calls"
                )
        T = self._encode(labels)
        if validation_data is not None:
            validation_data = self._validation_pair(validation_data)
        return self._run(X, T, len(self.classes_), incremental=True,
                         validation_data=validation_data, sample_weight=sample_weight)

    def _class_weights(self, T, incremental: bool) -> np.ndarray:
        """One weight per class index: ``class_weight`` as a dict, or "balanced"."""
        K = len(self.classes_)
        cw = self.class_weight
        if isinstance(cw, str):
            if incremental:
                raise ValueError(
                    "class_weight='balanced' needs the class counts of the whole training set, "
                    "which partial_fit never sees; pass class_weight as a dict {label: weight} "
                    "(e.g. computed with sklearn.utils.class_weight.compute_class_weight)"
                )
            counts = np.bincount(T, minlength=K).astype(np.float64)
            # n_samples / (n_classes * count), as scikit-learn; a class absent here weighs 0
            present = counts > 0
            out = np.zeros(K)
            out[present] = T.shape[0] / (np.count_nonzero(present) * counts[present])
            return out
        out = np.ones(K)
        unknown = [k for k in cw if not np.isin(np.asarray([k], dtype=object),
                                                 self.classes_.astype(object)).any()]
        if unknown:
            raise ValueError(f"class_weight has label(s) {_shown(unknown[:10])} that are not "
                             f"among the classes {_shown(self.classes_[:20])}; use the labels of "
                             "y as keys")
        for k, v in cw.items():
            out[int(np.flatnonzero(self.classes_.astype(object) == k)[0])] = float(v)
        return out

    # ------------------------------------------------------------------ labels
    def _labels(self, y, n_samples, *, name: str = "y", scoring: bool = False):
        """The class labels ``y`` as a 1-D array of one type, checked. ``name`` is "classes"
        for partial_fit's ``classes=`` (a list of labels, not one per sample); ``scoring`` for
        the y of :meth:`score`. The messages say which."""
        if y is None:
            raise ValueError(
                "Classifier requires y to be passed, but the target y is None; pass the class "
                "labels as fit(X, y)"
            )
        given = y
        y = _nullable_to_numpy(y, name)
        y = _list_labels(y) if not hasattr(y, "shape") else y
        if name == "classes" and getattr(y, "ndim", 1) != 1:
            got = repr(given) if len(repr(given)) <= 60 else repr(given)[:57] + "..."
            shape = f" of shape {y.shape}" if getattr(y, "ndim", 0) > 1 else ""
            raise ValueError(
                f"classes must be a 1-D list of the class labels, got {type(given).__name__} "
                f"{got}{shape}; e.g. classes=[0, 1] or classes=np.unique(y) of the whole data"
            )
        if getattr(y, "ndim", 1) == 2 and y.shape[1] != 1:
            raise ValueError(
                f"y should be a 1d array of class labels, got shape {y.shape}; Classifier takes "
                "one label per sample (for several real-valued targets use shallownet.Regressor)"
            )
        y = column_or_1d(y, warn=True)
        if n_samples is not None and y.shape[0] != n_samples:
            raise ValueError(
                f"X has {n_samples} samples but y has {y.shape[0]}; pass one label per row of X"
            )
        first = None
        if y.dtype == object or (y.dtype.kind == "f" and name == "classes"):
            first = _first_missing(y)
        if first is not None:
            raise _missing_labels_error(name, first[0], y.shape[0], first[1], first[2])
        if y.dtype.kind == "f" and name == "classes" and not np.isfinite(y).all():
            raise ValueError(self._not_labels(y, name, scoring, None))
        if y.dtype.kind == "f":
            _check_finite(y, name)
        if y.dtype == object:
            y = _typed_labels(y, name)
            if _python_ints(y):  # whole numbers beyond 64 bits: class labels, exact
                return y
        try:
            check_classification_targets(y)
        except ValueError as exc:
            raise ValueError(self._not_labels(y, name, scoring, exc)) from exc
        return y

    @staticmethod
    def _not_labels(y, name: str, scoring: bool, exc) -> str:
        """What to say of labels that scikit-learn's check refuses (real values, objects)."""
        odd = y[~np.isfinite(y) | (y != np.round(y))] if y.dtype.kind == "f" else y[:0]
        if odd.size:
            what = f"continuous values (e.g. {_shown(odd[:1])[1:-1]})"
        elif y.size:
            what = f"values of type {type(y[0]).__name__} (e.g. {y[0]!r})"
        else:
            return f"{exc} Classifier needs class labels (ints, strings or bools)"
        if name == "classes":
            return (f"classes must be class labels (ints, strings or bools), got {what}; list "
                    "every label y can take, e.g. classes=np.unique(y) of the whole data")
        if scoring:
            return (f"y holds {what}, not class labels: score(X, y) is the accuracy of the "
                    "predicted classes, so y must be the true class labels of X (a real-valued "
                    "target is scored with a shallownet.Regressor)")
        return (f"{exc} Classifier needs class labels (ints, strings or bools); for a "
                "real-valued target use shallownet.Regressor")

    def _classes_of(self, labels, name: str = "y") -> np.ndarray:
        classes = np.unique(labels)
        if classes.shape[0] < 2:
            shown = _shown(classes[:1])[1:-1] if classes.size else "None"
            if name == "classes":
                raise ValueError(
                    f"classes lists only one class ({shown}): a classifier needs at least two "
                    "classes to tell apart; list every label that will appear, e.g. "
                    "classes=np.unique(y) of the whole data")
            raise ValueError(
                f"y contains only one class ({shown}): a classifier needs at least two classes "
                "to tell apart, and 1 class leaves nothing to learn. Check the target column, "
                "or that the data was not filtered down to one class"
            )
        return classes

    def _encode(self, labels) -> np.ndarray:
        """Class indices 0..K-1 (0-based; the notes count 1..K)."""
        unseen = ~np.isin(labels, self.classes_)
        if unseen.any():
            raise ValueError(
                f"y has label(s) {_shown(np.unique(labels[unseen])[:10])} that are not among "
                f"classes_ {_shown(self.classes_)}; fit a new model (fit, with "
                "warm_start=False), or pass every label in classes= on the first partial_fit "
                "call"
            )
        return np.searchsorted(self.classes_, labels)

    def _validation_pair(self, validation_data):
        if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        X_val = self._validate_X(validation_data[0], reset=False)
        return X_val, self._encode(self._labels(validation_data[1], X_val.shape[0]))

    def score(self, X, y, sample_weight=None) -> float:
        """Mean accuracy on ``(X, y)``, the labels read as :meth:`fit` reads them (an object
        array of ints or bools, or a pandas nullable column, counts as ints or bools)."""
        y = self._labels(y, None, scoring=True)
        if not (_python_ints(y) or _python_ints(getattr(self, "classes_", y))):
            return super().score(X, y, sample_weight=sample_weight)
        # labels beyond 64 bits, Python ints: scikit-learn's accuracy_score calls them "unknown"
        predicted = self.predict(X)
        if predicted.shape[0] != y.shape[0]:
            raise ValueError(f"X has {predicted.shape[0]} samples but y has {y.shape[0]}; pass "
                             "one label per row of X")
        weights = None if sample_weight is None else check_sample_weight(sample_weight,
                                                                         y.shape[0])
        return float(np.average(predicted == y, weights=weights))

    # ------------------------------------------------------------------ prediction
    def decision_function(self, X) -> np.ndarray:
        """The logits z_O of (10b): (n_samples,) for two classes (> 0 means ``classes_[1]``),
        (n_samples, K) otherwise."""
        z = self._forward_z(X).astype(np.float64)
        return z[:, 0] if self.network_.output.name == "binary" else z

    def predict(self, X) -> np.ndarray:
        """The hard decision (4) or (6), as the original labels."""
        z = self._forward_z(X)
        if self.network_.output.name == "binary":
            idx = (z[:, 0] >= 0).astype(np.intp)     # (4)
        else:
            idx = np.argmax(z, axis=1)              # (6)
        return self.classes_[idx]

    def predict_proba(self, X) -> np.ndarray:
        """u_O: P(class | x), (n_samples, n_classes), columns ordered as ``classes_``.

        Two classes: ``[1 - p, p]`` with p the sigmoid (3); K classes: the softmax (5).
        """
        net = getattr(self, "network_", None)
        if net is None:
            check_is_fitted(self, "network_")
        return _probabilities(net, lambda per_chunk: self._forward_z(X, per_chunk))

    def predict_log_proba(self, X) -> np.ndarray:
        """The logarithm of :meth:`predict_proba`, computed stably from z_O."""
        z = self._forward_z(X).astype(np.float64)
        if self.network_.output.name == "binary":
            z = z[:, 0]
            return np.column_stack([-np.logaddexp(0, z), -np.logaddexp(0, -z)])
        return z - np.logaddexp.reduce(z, axis=1, keepdims=True)


class Regressor(RegressorMixin, _BaseNetwork):
    """A one-hidden-layer network regressor (scikit-learn API).

    A target with d columns gives d identity output units, equation (7), and the squared error
    loss (20). ``y`` may be (n_samples,) or (n_samples, d); ``predict`` returns (n_samples,)
    when d = 1 and (n_samples, d) otherwise.

    Like scikit-learn's regressors, it fits y as given. Targets far from unit scale (prices,
    the diabetes target in the hundreds) train much better standardised, as the inputs do::

        from sklearn.compose import TransformedTargetRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        model = TransformedTargetRegressor(make_pipeline(StandardScaler(), Regressor()),
                                           transformer=StandardScaler())

    (``shallownet train`` does this by default and folds both scalings into the saved network.)

    Parameters
    ----------
    hidden_units, activation, optimizer, learning_rate, momentum, nesterov, batch_size, epochs,
    l2, early_stopping, validation_fraction, patience, min_delta, shuffle, random_state, dtype,
    warm_start, verbose, callbacks, seed, n_threads
        As for :class:`Classifier`; early stopping holds out a random (unstratified) fraction.

    Attributes
    ----------
    network_, n_features_in_, feature_names_in_, loss_curve_, loss_, validation_loss_curve_,
    best_epoch_, best_loss_, n_iter_, t_, history_, stopped_early_, interrupted_
        As for :class:`Classifier`.
    n_outputs_ : int
        N_o = d, the number of target columns.
    validation_scores_ : list of float or None
        Validation R^2 (averaged over the outputs) per epoch.
    best_validation_score_ : float or None
        The validation R^2 at ``best_epoch_``.
    """

    _kind = "continuous"

    # its own signature, so a mistyped keyword names Regressor (not a private base class)
    def __init__(self, hidden_units=100, activation="relu", optimizer="adam",
                 learning_rate=None, momentum=0.9, nesterov=False, batch_size=32, epochs=200,
                 l2=0.0, early_stopping=False, validation_fraction=0.1, patience=10,
                 min_delta=0.0, shuffle=True, random_state=None, dtype=None,
                 warm_start=False, verbose=False, callbacks=None, seed="deprecated",
                 n_threads=None):
        super().__init__(
            hidden_units=hidden_units, activation=activation, optimizer=optimizer,
            learning_rate=learning_rate, momentum=momentum, nesterov=nesterov,
            batch_size=batch_size, epochs=epochs, l2=l2, early_stopping=early_stopping,
            validation_fraction=validation_fraction, patience=patience, min_delta=min_delta,
            shuffle=shuffle, random_state=random_state, dtype=dtype, warm_start=warm_start,
            verbose=verbose, callbacks=callbacks, seed=seed, n_threads=n_threads)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    def _more_tags(self):  # pragma: no cover - scikit-learn < 1.6
        return {"multioutput": True}

    def fit(self, X, y=None, sample_weight=None, *, catch_interrupt: bool = False):
        """Train on ``(X, y)`` (or a batch source); see :meth:`Classifier.fit` for
        ``sample_weight`` and ``catch_interrupt``."""
        if isinstance(X, BatchSource) and y is None:
            return self._fit_source(X, catch_interrupt, sample_weight)
        if _is_dask_collection(X):
            return self._fit_dask(X, y, sample_weight)
        self._check_hyperparameters()
        continuing = self.warm_start and hasattr(self, "network_")
        X = self._validate_X(X, reset=not continuing)
        T = self._targets(y, X.shape[0])
        if continuing and T.shape[1] != self.network_.N_o:
            raise ValueError(
                f"y has {T.shape[1]} target column(s) but the fitted network has "
                f"{self.network_.N_o}; set warm_start=False to fit a new model"
            )
        with _target_scale_said(T):
            return self._run(X, T, T.shape[1], incremental=False,
                             catch_interrupt=catch_interrupt, sample_weight=sample_weight)

    def partial_fit(self, X, y=None, sample_weight=None, *, validation_data=None):
        """One epoch of training on ``(X, y)`` (or a ``FileSource``), continuing the network
        and its optimizer.

        The first call draws the network; later calls continue it, and the optimizer's state
        carries over. As for :meth:`Classifier.partial_fit`, ``partial_fit`` never splits off
        validation data and never stops by itself, whatever ``early_stopping`` says; pass
        ``validation_data=(X_val, y_val)`` to record the validation loss and R^2 per call.
        """
        if isinstance(X, BatchSource) and y is None:
            return self._fit_source(X, sample_weight=sample_weight, incremental=True)
        self._check_hyperparameters()
        first = not hasattr(self, "network_")
        X = self._validate_X(X, reset=first)
        T = self._targets(y, X.shape[0])
        if not first and T.shape[1] != self.network_.N_o:
            raise ValueError(f"y has {T.shape[1]} target column(s) but the network has "
                             f"{self.network_.N_o}")
        if validation_data is not None:
            if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (X_val, y_val)")
            X_val = self._validate_X(validation_data[0], reset=False)
            validation_data = (X_val, self._targets(validation_data[1], X_val.shape[0]))
        return self._run(X, T, T.shape[1], incremental=True, validation_data=validation_data,
                         sample_weight=sample_weight)

    def _new_targets(self, y, n_samples: int):
        """(targets (n, d), d) of ``y``."""
        T = self._targets(y, n_samples)
        return T, T.shape[1]

    def _targets(self, y, n_samples) -> np.ndarray:
        _check_missing_targets(y)
        try:
            y = self._y_array(y, n_samples, dtype="numeric")
            if y.ndim == 1:
                y = y[:, None]
            if y.ndim == 2 and y.shape[1] >= 1:
                y = y.astype(np.float64)
        except ValueError as exc:
            if "onvert" in str(exc) or "numeric" in str(exc):
                raise ValueError(f"y must be numeric for a Regressor ({exc}); for class labels "
                                 "use shallownet.Classifier") from exc
            raise
        if y.ndim != 2 or y.shape[1] < 1:
            raise ValueError(f"y must be (n_samples,) or (n_samples, n_targets), got {y.shape}")
        _check_finite(y, "y")
        return y

    def score(self, X, y, sample_weight=None) -> float:
        """R^2 on ``(X, y)`` (averaged over the outputs), the targets read and checked as
        :meth:`fit` reads them."""
        predicted = self.predict(X)
        T = self._targets(y, predicted.shape[0])
        from sklearn.metrics import r2_score

        return float(r2_score(T[:, 0] if predicted.ndim == 1 else T, predicted,
                              sample_weight=sample_weight))

    def predict(self, X) -> np.ndarray:
        """y_hat = z_O (7): (n_samples,) for one target, (n_samples, d) for d."""
        out = []

        def per_chunk(n):
            out.append(np.empty((n, self.network_.N_o)))
            return finish

        def finish(z, start, stop):  # in float64: a row whose float32 products overflowed
            out[-1][start:stop] = z  # was redone in float64 and may exceed float32's range

        self._forward_z(X, per_chunk)
        z = out[-1]  # (the last array: a call that failed its check is redone)
        return z[:, 0] if z.shape[1] == 1 else z

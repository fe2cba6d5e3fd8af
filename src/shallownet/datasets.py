"""Data for the estimators and the ``shallownet`` command: embedded data sets and user files.

``load(name_or_path, target=None)`` returns a :class:`Dataset` with the inputs x of (1) as rows
of a float64 array ``X`` (N, N_i), the labels ``y``, the feature names and the task.

Sources
-------
* The data sets that ship inside scikit-learn (no network access): ``digits``, ``iris``,
  ``wine``, ``breast_cancer`` (classification) and ``diabetes`` (regression). Class labels come
  back by name where scikit-learn names them (``"setosa"``, ``"malignant"``, ...).
* CSV files (``.csv``, comma-separated; ``.tsv``, tab-separated) with a header row, read with
  the standard library's ``csv`` module and numpy, so shallownet needs no pandas.
* Parquet files (``.parquet``, ``.pq``), read with pyarrow, an optional extra:
  ``pip install "shallownet[parquet]"``.

The target column
-----------------
``target=`` names it. Otherwise the first column called ``target``, ``label``, ``y`` or
``class`` (any case) is used, else the last column; :attr:`Dataset.target_note` says which rule
picked it, and every later error about the target names the column and that rule
(:meth:`Dataset.describe_target`). ``drop=`` leaves columns such as row ids out of the features
and out of the search for the target.

The task
--------
Detected from the target column unless ``task=`` is given (for files only: an embedded data
set always has its own task):

* a column that is not numeric (strings, categories) -> ``"classification"``;
* a numeric column whose values are all integers with at most ``MAX_INTEGER_CLASSES`` (20)
  distinct values -> ``"classification"`` (class labels 0, 1, 2, ...);
* any other numeric column (fractional values, or many distinct integers) -> ``"regression"``.

Bad input raises :class:`DataError` (a ``ValueError``) naming the problem and the fix: a CSV
that does not parse, empty data, a missing target column (the message lists the columns),
non-numeric feature columns, NaN or inf in the features or the target (how many rows, which
columns). A missing file raises ``FileNotFoundError``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "Dataset", "DataError", "MissingDependencyError", "load", "read_table", "Table",
    "EMBEDDED", "TARGET_NAMES", "MAX_INTEGER_CLASSES", "detect_task", "is_embedded",
]

#: Column names taken as the target when ``target`` is not given (compared case-insensitively).
TARGET_NAMES = ("target", "label", "y", "class")
#: Integer-valued targets with at most this many distinct values are class labels.
MAX_INTEGER_CLASSES = 20
#: Cells read as missing values in CSV files (compared after stripping blanks).
MISSING = ("", "na", "n/a", "nan", "null", "none", "?")

CSV_SUFFIXES = {".csv": ",", ".tsv": "\t"}
PARQUET_SUFFIXES = (".parquet", ".pq")

#: The embedded data sets: name -> (scikit-learn loader, task).
EMBEDDED = {
    "digits": ("load_digits", "classification"),
    "iris": ("load_iris", "classification"),
    "wine": ("load_wine", "classification"),
    "breast_cancer": ("load_breast_cancer", "classification"),
    "diabetes": ("load_diabetes", "regression"),
}
TASKS = ("classification", "regression")


class DataError(ValueError):
    """Input data that shallownet cannot use; the message names the problem and the fix."""


class MissingDependencyError(ImportError):
    """An optional package is needed for this input; the message says how to install it."""


@dataclass
class Dataset:
    """Inputs, labels and what they are.

    Attributes
    ----------
    X : ndarray of float64, shape (N, N_i)
        One sample x per row, as in (10).
    y : ndarray of shape (N,), or None
        Class labels (int64 or str) or real values (float64); None when no target was read.
    feature_names : list of str
        The names of the N_i columns of ``X``.
    target_name : str or None
        The column ``y`` came from.
    task : {"classification", "regression"} or None
    name : str
        The data set's name, or the file's stem.
    target_note : str
        Which rule picked the target column (for messages such as "target 'y' (the last
        column)").
    ignored : list of str
        Columns of the file that were neither features nor the target (nor dropped).
    source : str
        The file as given (``"data/tiny.csv"``) or the data set's name: the prefix of messages.
    dropped : list of str
        Columns left out on request (``drop=``).
    """

    X: np.ndarray
    y: np.ndarray | None
    feature_names: list[str]
    target_name: str | None
    task: str | None
    name: str
    target_note: str = ""
    ignored: list[str] = field(default_factory=list)
    source: str = ""
    dropped: list[str] = field(default_factory=list)

    def describe_target(self) -> str:
        """The target column and how it was chosen, for error messages."""
        return _describe_target(self.target_name, self.target_note)

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def summary(self) -> str:
        """One line: name, size, target and task."""
        text = f"{self.source or self.name}: {self.n_samples} samples, {self.n_features} features"
        if self.y is not None:
            text += f", target {self.target_name!r}"
            if self.target_note:
                text += f" ({self.target_note})"
            if self.task == "classification":
                text += f", classification with {len(np.unique(self.y))} classes"
            elif self.task:
                text += f", {self.task}"
        return text


@dataclass
class Column:
    """One column of a file: float64 values (NaN where missing) or strings."""

    name: str
    values: np.ndarray
    numeric: bool
    missing: np.ndarray  # bool mask of empty/NA cells


@dataclass
class Table:
    """The columns of a CSV or Parquet file, in file order."""

    columns: list[Column]
    source: str

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def n_rows(self) -> int:
        return int(self.columns[0].values.shape[0]) if self.columns else 0

    def __getitem__(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _describe_target(name, note: str) -> str:
    if note == "scikit-learn's embedded data set":
        return f"target {name!r} of the embedded data set"
    if not note or note == "given":
        return f"target column {name!r}" + (" (given with --target)" if note else "")
    return f"target column {name!r} ({note}; name another with --target)"


def _columns_list(names, limit: int = 30) -> str:
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------

def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _column_from_strings(name: str, cells: np.ndarray) -> Column:
    stripped = np.char.strip(cells)
    missing = np.isin(np.char.lower(stripped), MISSING)
    present = stripped[~missing]
    try:
        numbers = present.astype(np.float64)
    except ValueError:
        return Column(name, stripped.astype(object), False, missing)
    values = np.full(cells.shape[0], np.nan)
    values[~missing] = numbers
    return Column(name, values, True, missing)


def _read_csv(path: Path) -> Table:
    delimiter = CSV_SUFFIXES[path.suffix.lower()]
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            text = f.read()
    except UnicodeDecodeError as e:
        raise DataError(
            f"{path} is not a UTF-8 text file (byte {e.start} cannot be decoded); save it as "
            "UTF-8 CSV"
        ) from None
    if not text.strip():
        raise DataError(f"{path} is empty: it needs a header row and at least one data row")
    if delimiter == "," and "," not in text.splitlines()[0] and ";" in text.splitlines()[0]:
        delimiter = ";"  # the header says the file is semicolon-separated
    if "\x00" in text:
        raise DataError(f"{path} contains NUL bytes: it is not a text CSV file")
    rows = []
    reader = csv.reader(text.splitlines(), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            if row and any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
    except csv.Error as e:
        raise DataError(
            f"{path} does not parse as CSV (line {reader.line_num}: {e}); check its quoting "
            "and separators"
        ) from None
    if not rows:
        raise DataError(f"{path} has no header row and no data, only empty fields")
    header = [h.strip() for h in rows[0][1]]
    for i, h in enumerate(header):
        if not h:
            raise DataError(f"{path}: column {i + 1} has no name in the header row; name it")
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise DataError(f"{path}: duplicate column names in the header: {_columns_list(dup)}")
    if all(_is_number(h) for h in header):
        raise DataError(
            f"{path}: the first row ({', '.join(header[:5])}{', ...' if len(header) > 5 else ''})"
            " looks like data, not column names; add a header row naming the columns"
        )
    body = rows[1:]
    if not body:
        raise DataError(f"{path} has a header but no data rows")
    for line, row in body:
        if len(row) != len(header):
            raise DataError(
                f"{path} does not parse as CSV: line {line} has {len(row)} fields but the header "
                f"has {len(header)}; fix that line (a missing or extra separator?)"
            )
    cells = np.array([row for _, row in body], dtype=str).reshape(len(body), len(header))
    return Table([_column_from_strings(h, cells[:, j]) for j, h in enumerate(header)], str(path))


def _read_parquet(path: Path) -> Table:
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingDependencyError(
            f'reading Parquet files such as {path} needs pyarrow: pip install "shallownet[parquet]"'
        ) from None
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as e:
        raise DataError(f"{path} is not a readable Parquet file: {e}") from None
    if table.num_columns == 0:
        raise DataError(f"{path} is empty: it has no columns")
    if table.num_rows == 0:
        raise DataError(f"{path} has columns but no rows")
    columns = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        t = col.type
        missing = col.is_null().to_numpy(zero_copy_only=False).astype(bool)
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) \
                or pa.types.is_decimal(t):
            values = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
            values[missing] = np.nan
            columns.append(Column(str(name), values, True, missing))
        else:
            values = np.array(["" if v is None else str(v) for v in col.to_pylist()],
                              dtype=object)
            columns.append(Column(str(name), values, False, missing))
    return Table(columns, str(path))


def read_table(path) -> Table:
    """Read a CSV (.csv, .tsv) or Parquet (.parquet, .pq) file into columns.

    Raises
    ------
    FileNotFoundError
        No such file.
    DataError
        An unknown file type, a file that does not parse, or a file with no data.
    MissingDependencyError
        A Parquet file without pyarrow installed.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if suffix not in CSV_SUFFIXES and suffix not in PARQUET_SUFFIXES:
        raise DataError(
            f"cannot read {path}: unknown file type {suffix or '(no extension)'!r}; use a .csv, "
            ".tsv, .parquet or .pq file"
        )
    if path.is_dir():
        raise DataError(f"{path} is a directory, not a data file")
    return _read_csv(path) if suffix in CSV_SUFFIXES else _read_parquet(path)


# ---------------------------------------------------------------------------------------------
# Task detection and labels
# ---------------------------------------------------------------------------------------------

def detect_task(values: np.ndarray, numeric: bool) -> str:
    """The rule in the module docstring: strings or few distinct integers -> classification."""
    if not numeric:
        return "classification"
    v = values[np.isfinite(values)]
    if v.size and np.all(v == np.round(v)) and np.unique(v).size <= MAX_INTEGER_CLASSES:
        return "classification"
    return "regression"


def _labels(col: Column, task: str, source: str, what: str) -> np.ndarray:
    if task == "regression":
        if not col.numeric:
            bad = col.values[~col.missing][:3]
            raise DataError(
                f"{source}: the {what} is not numeric (e.g. "
                f"{', '.join(repr(b) for b in bad)}), so it cannot be a regression target; use "
                "task 'classification' (--task classification), or pick another --target"
            )
        return col.values.astype(np.float64)
    if col.numeric:
        v = col.values
        whole = v == np.round(v)
        if not np.all(whole):
            bad = ", ".join(f"{x:g}" for x in v[~whole][:3])
            raise DataError(
                f"{source}: the {what} has fractional values (e.g. {bad}), so it holds no class "
                "labels; use --task regression (task='regression') for a real-valued target, "
                "or pick another --target"
            )
        return v.astype(np.int64)
    return col.values.astype(str).astype(object)


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _check_target(col: Column, source: str, what: str) -> None:
    bad = col.missing.copy()
    if col.numeric:
        bad |= ~np.isfinite(col.values)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise DataError(
            f"{source}: the {what} has {_rows(rows.size)} with missing or "
            f"non-finite values (NaN/inf) (first at data row {rows[0] + 1}); drop those rows"
        )


def _check_features(table: Table, names: list[str], source: str) -> np.ndarray:
    text = [n for n in names if not table[n].numeric]
    if text:
        raise DataError(
            f"{source}: non-numeric feature columns {_columns_list(text)}; encode them as numbers "
            "first (e.g. one-hot or ordinal codes) or drop them"
        )
    X = np.column_stack([table[n].values for n in names]).astype(np.float64)
    bad = ~np.isfinite(X)
    if bad.any():
        rows = int(bad.any(axis=1).sum())
        cols = [names[j] for j in np.flatnonzero(bad.any(axis=0))]
        raise DataError(
            f"{source}: {rows} of {X.shape[0]} rows {'has' if rows == 1 else 'have'} missing or "
            "non-finite values (NaN/inf) "
            f"in feature columns {_columns_list(cols)}; drop or impute those rows first"
        )
    return X


# ---------------------------------------------------------------------------------------------
# Embedded data sets
# ---------------------------------------------------------------------------------------------

def is_embedded(name) -> bool:
    """True when ``name`` is one of :data:`EMBEDDED` and no file of that name exists."""
    return (isinstance(name, str) and _embedded_key(name) in EMBEDDED
            and not Path(name).is_file())


def _embedded_key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def _load_embedded(name: str) -> Dataset:
    key = _embedded_key(name)
    import sklearn.datasets

    loader, task = EMBEDDED[key]
    bunch = getattr(sklearn.datasets, loader)()
    X = np.asarray(bunch.data, dtype=np.float64)
    names = [str(n) for n in getattr(bunch, "feature_names", [])] or \
        [f"x{j}" for j in range(X.shape[1])]
    y = np.asarray(bunch.target)
    target_names = getattr(bunch, "target_names", None)
    if task == "classification":
        if target_names is not None and np.asarray(target_names).dtype.kind in "USO":
            y = np.asarray(target_names, dtype=object)[y]  # class names, e.g. "setosa"
        else:
            y = y.astype(np.int64)
    else:
        y = y.astype(np.float64)
    return Dataset(X, y, names, "target", task, key, "scikit-learn's embedded data set",
                   source=key)


# ---------------------------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------------------------

def load(name_or_path, target: str | None = None, *, task: str | None = None,
         features=None, n_features: int | None = None,
         require_target: bool = True, drop=None, model_target: str | None = None) -> Dataset:
    """Load an embedded data set or a CSV/Parquet file.

    Parameters
    ----------
    name_or_path : str or path
        ``"digits"``, ``"iris"``, ``"wine"``, ``"breast_cancer"``, ``"diabetes"``, or a
        ``.csv``/``.tsv``/``.parquet``/``.pq`` file. An existing file wins over a name.
    target : str, optional
        The label column of a file. Default: ``model_target`` when the file has it, else the
        first column named target/label/y/class (any case), else the single column not in
        ``features`` (when given), else the last column.
    task : {"classification", "regression"}, optional
        Overrides the detection rule of the module docstring (files only; an embedded data set
        keeps its own task).
    features : sequence of str, optional
        Take exactly these feature columns, by name and in this order (a fitted model's
        ``feature_names_in_``); other columns of the file are ignored (``Dataset.ignored``).
    n_features : int, optional
        The number of features a model expects; checked when ``features`` is not given.
    require_target : bool, default True
        False reads the features only (for prediction): ``y`` is None unless ``target`` names a
        column, and a column named like :data:`TARGET_NAMES` that is not a model feature is
        left out (listed in ``Dataset.ignored``), so a labelled file can be predicted on.
    drop : sequence of str, optional
        Columns to leave out: neither features nor candidates for the target (row ids, notes).
    model_target : str, optional
        The column a model was trained on (for evaluation): the default target when present,
        and named in the error when the file has no target column.

    Returns
    -------
    Dataset

    Raises
    ------
    FileNotFoundError, DataError, MissingDependencyError
        With a message that names the problem and the fix.
    """
    if task is not None and task not in TASKS:
        raise DataError(f"task must be 'classification' or 'regression', got {task!r}")
    if n_features is not None and (not isinstance(n_features, int | np.integer)
                                   or n_features < 1):
        raise DataError(f"n_features must be a positive integer, got {n_features!r}")
    features = None if features is None else [str(f) for f in features]
    drop = [] if drop is None else list(dict.fromkeys(str(d) for d in drop))
    if isinstance(name_or_path, str) and is_embedded(name_or_path):
        ds = _load_embedded(name_or_path)
        if task is not None and task != ds.task:
            raise DataError(
                f"the {ds.name} data set is always a {ds.task} task; --task (task=) applies to "
                f"files only, so leave it out or use a file for {task}"
            )
        _drop_embedded(ds, drop, features)
        _check_embedded_features(ds, features, n_features)
        return ds
    if isinstance(name_or_path, str) and not Path(name_or_path).suffix and \
            not Path(name_or_path).exists():
        raise DataError(
            f"{name_or_path!r} is neither a file nor an embedded data set; choose one of "
            f"{', '.join(EMBEDDED)}, or give a .csv, .tsv, .parquet or .pq file"
        )
    table = read_table(name_or_path)
    path = Path(name_or_path)
    source = str(path)
    unknown = [d for d in drop if d not in table.names]
    if unknown:
        raise DataError(
            f"{source} has no column {_columns_list(unknown)} to drop; the columns are "
            f"{_columns_list(table.names)}"
        )
    if target is not None and target in drop:
        raise DataError(f"{source}: the column {target!r} cannot be both the target and dropped")
    needed = [d for d in drop if features is not None and d in features]
    if needed:
        raise DataError(
            f"{source}: the model uses {_columns_list(needed)} as features; do not drop "
            f"{'it' if len(needed) == 1 else 'them'}"
        )
    names = [n for n in table.names if n not in drop]

    # The model's feature columns come first: a file of other data is a feature mismatch.
    if features is not None:
        absent = [f for f in features if f not in names]
        if absent:
            extra = [n for n in names if n not in features and n not in (target, model_target)]
            others = (f"; columns the model does not know: {_columns_list(extra, 10)}"
                      if extra else "")
            raise DataError(
                f"{source}: the features do not match the model's: the file lacks "
                f"{len(absent)} of the model's {len(features)} feature columns: "
                f"{_columns_list(absent, 10)}{others}; was the model trained on other data?"
            )

    # The target column.
    target_col, note = None, ""
    if target is not None:
        if target not in names:
            raise DataError(
                f"{source} has no column {target!r} for the target; the columns are "
                f"{_columns_list(names)}"
            )
        target_col, note = target, "given"
    elif model_target is not None and model_target in names and \
            (features is None or model_target not in features):
        target_col, note = model_target, "the column the model was trained on"
    else:
        lower = {n.lower(): n for n in reversed(names)}
        default = next((lower[t] for t in TARGET_NAMES if t in lower), None)
        rest = [n for n in names if features is None or n not in features]
        if require_target and model_target is not None:
            # the model knows its target column; never guess another one in its place
            raise DataError(
                f"{source} has no column {model_target!r}, the model's target column (stored at "
                f"training); its columns are {_columns_list(names)}; name the label column with "
                "--target COL, or use 'shallownet predict' for unlabelled data"
            )
        elif default is not None and (features is None or default not in features):
            target_col, note = default, f"named {default!r}"
        elif require_target and features is not None and len(rest) == 1:
            target_col, note = rest[0], "the one column that is not a model feature"
        elif require_target and features is None:
            target_col, note = names[-1], "the last column"
        elif require_target:
            what = (f"several columns are not model features ({_columns_list(rest)})" if rest
                    else "every column is a model feature")
            raise DataError(
                f"{source}: cannot tell which column is the target: {what}; name it with "
                "--target COL, or use 'shallownet predict' for unlabelled data"
            )
    if features is not None and target_col in features:
        raise DataError(
            f"{source}: the {_describe_target(target_col, note)} is also one of the model's "
            "features"
        )
    if not require_target and target is None and target_col is not None and features is None \
            and n_features is not None and len(names) == n_features:
        target_col, note = None, ""  # the column named like a target is one of the features

    # The feature columns.
    feat = list(features) if features is not None else [n for n in names if n != target_col]
    if not feat:
        raise DataError(
            f"{source} has no feature columns besides the {_describe_target(target_col, note)}; "
            "it needs at least one input column"
        )
    if features is None and n_features is not None and len(feat) != n_features:
        raise DataError(
            f"{source} has {len(feat)} feature columns but the model expects {n_features} "
            f"features (N_i = {n_features}); the feature columns are {_columns_list(feat, 10)}"
            + ("" if drop else "; leave others out with --drop COL")
        )
    X = _check_features(table, feat, source)
    ignored = [n for n in names if n not in feat and n != target_col]

    y, detected = None, None
    if target_col is not None and not require_target and target is None:
        ignored.append(target_col)  # a label column in data to predict on: not read
        target_col, note = None, ""
    if target_col is not None:
        col = table[target_col]
        what = _describe_target(target_col, note)
        _check_target(col, source, what)
        detected = task or detect_task(col.values, col.numeric)
        y = _labels(col, detected, source, what)
    return Dataset(X, y, feat, target_col, detected, path.stem, note, ignored, source=source,
                   dropped=drop)


def _drop_embedded(ds: Dataset, drop, features) -> None:
    """Leave the ``drop`` feature columns out of an embedded data set, in place."""
    if not drop:
        return
    unknown = [d for d in drop if d not in ds.feature_names]
    if unknown:
        raise DataError(
            f"the {ds.name} data set has no feature {_columns_list(unknown)} to drop; its "
            f"features are {_columns_list(ds.feature_names, 10)}"
        )
    needed = [d for d in drop if features is not None and d in features]
    if needed:
        raise DataError(f"the model uses {_columns_list(needed)} as features; do not drop "
                        f"{'it' if len(needed) == 1 else 'them'}")
    keep = [j for j, n in enumerate(ds.feature_names) if n not in drop]
    ds.X = ds.X[:, keep]
    ds.feature_names = [ds.feature_names[j] for j in keep]
    ds.dropped = list(drop)


def _check_embedded_features(ds: Dataset, features, n_features) -> None:
    if features is not None and list(features) != ds.feature_names:
        if set(features) <= set(ds.feature_names):  # a model trained with some columns dropped
            index = {n: j for j, n in enumerate(ds.feature_names)}
            ds.X = ds.X[:, [index[f] for f in features]]
            ds.ignored = [n for n in ds.feature_names if n not in features]
            ds.feature_names = list(features)
            return
        raise DataError(
            f"the {ds.name} data set's features ({_columns_list(ds.feature_names, 5)}) are not "
            f"the model's ({_columns_list(features, 5)}); was the model trained on {ds.name}?"
        )
    if n_features is not None and n_features != ds.n_features:
        raise DataError(
            f"the {ds.name} data set has {ds.n_features} features but the model expects "
            f"{n_features} (N_i = {n_features})"
        )

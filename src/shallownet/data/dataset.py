"""``load``: an embedded data set or a whole CSV/Parquet file in memory, as a :class:`Dataset`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from .._text import count
from . import schema
from .embedded import EMBEDDED, embedded_key, is_embedded, load_embedded, select_features
from .readers import ROW_INDEX, DataError, open_file
from .stream import RowStack, blocks, estimate_rows, release_arrow_memory

__all__ = ["Dataset", "load", "read_table", "Table", "Column"]


@dataclass
class Dataset:
    """Inputs, labels and what they are.

    Attributes
    ----------
    X : ndarray of shape (N, N_i)
        One sample x per row, as in (10), in the ``dtype`` asked of :func:`load`.
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
    task_note : str
        Why the task was chosen ("given with --task", "26 distinct whole numbers in a column
        named like class labels", ...).
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
    task_note: str = ""
    row_labels: list[str] = field(default_factory=list)

    def describe_target(self) -> str:
        """The target column and how it was chosen, for error messages."""
        return schema.describe_target(self.target_name, self.target_note)

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def summary(self) -> str:
        """One line: name, size, target and task."""
        text = (f"{self.source or self.name}: {count(self.n_samples, 'sample')}, "
                f"{count(self.n_features, 'feature')}")
        if self.y is not None:
            text += f", target {self.target_name!r}"
            if self.target_note:
                text += f" ({self.target_note})"
            if self.task == "classification":
                text += f", classification with {count(len(np.unique(self.y)), 'class', 'classes')}"
            elif self.task:
                text += f", {self.task}"
        return text + row_index_note(self.dropped, self.row_labels)


def row_index_note(dropped, row_labels=()) -> str:
    """The words a summary line ends with when a CSV's unnamed row index or empty last column,
    or a Parquet file's pandas index, was left out."""
    from .readers import PANDAS_UNNAMED, is_empty_last

    empty = [c for c in dropped if is_empty_last(c)]
    unnamed = [c for c in row_labels if c.startswith(ROW_INDEX[:-1])]
    placeholders = [c for c in row_labels if PANDAS_UNNAMED.fullmatch(c)]
    index = [c for c in row_labels if c not in unnamed and c not in placeholders]
    return (("; the unnamed first column holds row labels (a row index, as pandas and R "
             "write): left out" if len(unnamed) == 1 else
             f"; the unnamed first {len(unnamed)} columns hold row labels (a row index, as "
             "pandas writes one of several levels): left out" if unnamed else "")
            + (f"; the pandas index {'column' if len(index) == 1 else 'columns'} "
               f"{', '.join(repr(c) for c in index)} (row labels, which pandas reads back as "
               "the index): left out" if index else "")
            + (f"; {'the column' if len(placeholders) == 1 else 'the columns'} "
               f"{', '.join(repr(c) for c in placeholders)} (pandas' name for an unnamed "
               "index read back as data) left out as row labels" if placeholders else "")
            + ("; the unnamed last column is empty (a separator at the end of each line): left "
               "out" if len(empty) == 1 else
               f"; the {len(empty)} unnamed last columns are empty (separators at the end of "
               "each line, as a spreadsheet exports empty columns): left out" if empty else ""))


def _check_options(task, n_features) -> None:
    if task is not None and task not in schema.TASKS:
        raise DataError(f"task must be 'classification' or 'regression', got {task!r}")
    if n_features is not None and (not isinstance(n_features, int | np.integer)
                                   or n_features < 1):
        raise DataError(f"n_features must be a positive integer, got {n_features!r}")


def load(name_or_path, target: str | None = None, *, task: str | None = None,
         features=None, n_features: int | None = None, require_target: bool = True,
         drop=None, model_target: str | None = None, dtype=np.float64,
         decimal: str | None = None) -> Dataset:
    """Load an embedded data set or a CSV/Parquet file (or a folder of Parquet files).

    Parameters
    ----------
    name_or_path : str or path
        ``"digits"``, ``"iris"``, ``"wine"``, ``"breast_cancer"``, ``"diabetes"``, or a
        ``.csv``/``.tsv``/``.parquet``/``.pq`` file, or a folder of Parquet files. An existing
        file wins over a name.
    target : str, optional
        The label column of a file. Default: ``model_target`` when the file has it, else the
        first column named target/label/y/class (any case), else the single column not in
        ``features`` (when given), else the last column.
    task : {"classification", "regression"}, optional
        Overrides the rule of :mod:`shallownet.data.schema` (files only; an embedded data set
        keeps its own task).
    features : sequence of str, optional
        Take exactly these feature columns, by name and in this order (a fitted model's
        ``feature_names_in_``); other columns of the file are ignored (``Dataset.ignored``).
    n_features : int, optional
        The number of features a model expects; checked when ``features`` is not given.
    require_target : bool, default True
        False reads the features only (for prediction): ``y`` is None unless ``target`` names a
        column, and a column named like a target that is not a model feature is left out.
    drop : sequence of str, optional
        Columns to leave out, never parsed: neither features nor candidates for the target.
    model_target : str, optional
        The column a model was trained on (for evaluation): the default target when present,
        and named in the error when the file has no target column.
    dtype : {float64, float32}
        The dtype of ``X``, built straight from the file's record batches.
    decimal : {None, ".", ","}
        The decimal mark of a CSV file; None detects a decimal comma in ``;``-separated files.

    Returns
    -------
    Dataset

    Raises
    ------
    FileNotFoundError, DataError
        With a message that names the problem (the file, the column, the row) and the fix.
    """
    _check_options(task, n_features)
    features = None if features is None else [str(f) for f in features]
    drop = [] if drop is None else list(dict.fromkeys(str(d) for d in drop))
    if isinstance(name_or_path, str) and is_embedded(name_or_path):
        return _load_embedded(name_or_path, task, features, n_features, drop, dtype)
    if isinstance(name_or_path, str) and not Path(name_or_path).suffix and \
            not Path(name_or_path).exists():
        raise DataError(
            f"{name_or_path!r} is neither a file nor an embedded data set; choose one of "
            f"{', '.join(EMBEDDED)}, or give a .csv, .tsv, .parquet or .pq file")
    fmt = open_file(name_or_path, decimal)
    source = fmt.source
    cols = schema.choose_columns(fmt.names, source, target=target, features=features,
                                 n_features=n_features, require_target=require_target,
                                 drop=drop, model_target=model_target,
                                 row_labels=fmt.row_labels)
    # the blocks go straight into one array: X is built once, in the training dtype
    rows = estimate_rows(fmt)
    stack = RowStack(rows if fmt.kind != "csv" else rows + rows // 8 + 1024,
                     len(cols.features), dtype)
    labels = []
    try:
        for block, y in blocks(fmt, cols.features, cols.target, dtype=dtype, copy=False,
                               ints=True):
            stack.add(block)
            if y is not None:
                labels.append(y)
    finally:
        release_arrow_memory()
    if not stack.n:
        raise DataError(f"{source} has a header but no data rows")
    X = stack.result()
    y = task_ = None
    why = ""
    if cols.target is not None:
        what = schema.describe_target(cols.target, cols.note)
        lab = schema.labels_from_arrow(pa.chunked_array(labels), source, what, fmt.decimal,
                                       parse_text=fmt.kind == "csv")
        task_, why = schema.choose_task(lab, cols.target, task, source, what,
                                       fmt.decimal)
        y = schema.labels_for_task(lab, task_, source, what)
    return Dataset(X, y, cols.features, cols.target, task_, Path(name_or_path).stem, cols.note,
                   cols.ignored, source=source, dropped=list(cols.dropped), task_note=why,
                   row_labels=list(cols.row_labels))


def _load_embedded(name, task, features, n_features, drop, dtype) -> Dataset:
    key = embedded_key(name)
    X, y, names, own = load_embedded(key, dtype)
    if task is not None and task != own:
        raise DataError(f"the {key} data set is always a {own} task; --task (task=) applies to "
                        f"files only, so leave it out or use a file for {task}")
    X, names, ignored = select_features(key, X, names, drop, features, n_features)
    return Dataset(X, y, names, "target", own, key, "scikit-learn's embedded data set",
                   ignored, source=key, dropped=list(drop), task_note="the data set's own task")


# ------------------------------------------------------------------------- column view
@dataclass
class Column:
    """One column of a file: float64 values (NaN where missing) or strings."""

    name: str
    values: np.ndarray
    numeric: bool
    missing: np.ndarray  # bool mask of empty/NA cells


@dataclass
class Table:
    """The columns of a CSV or Parquet file, in file order (for a look at a small file)."""

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


def read_table(path, decimal: str | None = None) -> Table:
    """Read every column of a CSV or Parquet file, each as numbers where it parses as numbers.

    Raises
    ------
    FileNotFoundError
        No such file.
    DataError
        Not a regular file, an unknown file type, a file that does not parse, or no data.
    """
    fmt = open_file(path, decimal)
    table = fmt.read_all(fmt.names, {n: pa.string() for n in fmt.names})
    columns = []
    for name in fmt.names:
        col = table[name]
        missing = np.asarray(col.is_null())
        if pa.types.is_string(col.type) and fmt.kind == "csv":
            try:
                lab = schema.labels_from_arrow(col.fill_null("nan"), fmt.source, name,
                                               fmt.decimal)
            except DataError:
                lab = None
            numeric = lab is not None and lab.numeric
            values = lab.values.astype(np.float64) if numeric else None
        else:
            numeric = not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type))
            values = col.cast(pa.float64()).to_numpy(zero_copy_only=False) if numeric else None
        if numeric:
            values[missing] = np.nan
            columns.append(Column(name, values, True, missing))
        else:
            text = np.array(["" if v is None else str(v) for v in col.to_pylist()], dtype=object)
            columns.append(Column(name, text, False, missing))
    return Table(columns, fmt.source)

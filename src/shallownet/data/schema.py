"""Which columns are the target and the features, which task the target makes, and its labels.

The target column
-----------------
``target=`` names it. Otherwise the first column called ``target``, ``label``, ``y`` or
``class`` (any case) is used, else the last column; the note says which rule picked it, and
every later error about the target names the column and that rule. ``drop=`` leaves columns
such as row ids out of the features and out of the search for the target.

The task (files; ``task=`` / ``--task`` overrides it)
------------------------------------------------------
* text (strings, categories) -> classification;
* whole numbers with at most ``MAX_INTEGER_CLASSES`` (20) distinct values -> classification;
* whole numbers in a column named like class labels (a word such as ``label``, ``class``,
  ``category``, ``kind``, ``species``, ``letter``, ``digit``, ``type`` in its name) with at
  least two rows per class on average -> classification (the notes' Problem 4(a): 26 letters
  coded 0..25 in a ``label`` column);
* any other numbers -> regression.

A target that cannot be learned is refused: text (or a classification target) with a
different value in most rows (at least 20 rows and more distinct values than half the rows: an
identifier or free text), and whole numbers, all distinct, in a column named like an
identifier (``id``, ``key``, ``uuid``, ``index``). So is a text target that holds numbers after
all: spreadsheet error cells (``#DIV/0!``), and unless the task is classification, numbers
formatted for people (``1,234.5``, ``12.5%``) or numbers with a few stray words.

Labels stay exact: integers are int64; whole numbers too large for int64 (or for a double's
53-bit mantissa, when the file stores them as text) stay text, so no two labels merge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._text import count
from .readers import ROW_INDEX, DataError, columns_list, is_empty_last

__all__ = ["TARGET_NAMES", "MAX_INTEGER_CLASSES", "CLASS_WORDS", "ID_WORDS", "TASKS",
           "Columns", "choose_columns", "describe_target", "detect_task", "Labels",
           "labels_from_arrow"]

#: Column names taken as the target when ``target`` is not given (compared case-insensitively).
TARGET_NAMES = ("target", "label", "y", "class")
#: Whole-number targets with at most this many distinct values are class labels.
MAX_INTEGER_CLASSES = 20
#: Words in a column's name that say it holds class labels.
CLASS_WORDS = ("label", "labels", "class", "classes", "category", "kind", "species", "letter",
               "digit", "type", "cls")
#: Words in a column's name that say it identifies rows.
ID_WORDS = ("id", "key", "uuid", "index", "idx")
TASKS = ("classification", "regression")
_MIN_ROWS_TO_JUDGE = 20
_EXACT = 2 ** 53  # whole numbers a float64 holds exactly


def identifier_features(names, X: np.ndarray) -> list[str]:
    """Feature columns named like a row identifier (``id``, ``key``, ``uuid``, ``index``,
    ``idx``) that hold a different whole number in every row: a model can only memorise them.
    (Checked on the named columns alone: a unique() per such column.)"""
    found = []
    n = X.shape[0]
    if n < _MIN_ROWS_TO_JUDGE:
        return found
    for j, name in enumerate(names):
        if not _words(name) & set(ID_WORDS):
            continue
        v = X[:, j]
        if np.all(np.isfinite(v)) and np.all(v == np.round(v)) and np.unique(v).size == n:
            found.append(name)
    return found


def describe_target(name, note: str) -> str:
    """The target column and how it was chosen, for error messages."""
    if note == "scikit-learn's embedded data set":
        return f"target {name!r} of the embedded data set"
    if not note or note == "given":
        return f"target column {name!r}" + (" (given with --target, target=)" if note else "")
    return f"target column {name!r} ({note}; name another with --target)"


def _words(name: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", str(name)).lower()))


# ------------------------------------------------------------------------- choosing columns
@dataclass
class Columns:
    """The columns of a file that are the target and the features."""

    target: str | None
    note: str
    features: list[str]
    ignored: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    row_labels: list[str] = field(default_factory=list)  # row-label columns left out


def choose_columns(all_names, source: str, *, target=None, features=None, n_features=None,
                   require_target=True, drop=(), model_target=None, row_labels=()) -> Columns:
    """Pick the target and feature columns by name, before any cell is converted.

    A CSV's unnamed row index and empty last column (``readers.ROW_INDEX``,
    ``readers.EMPTY_LAST``) and the ``row_labels`` columns (a pandas index in a Parquet file)
    are dropped unless asked for by name.
    """
    drop = list(drop)
    labels = []
    empty = []  # the empty unnamed last columns: at the end (a file may have 100,000 columns)
    for name in reversed(all_names):
        if not is_empty_last(name):
            break
        empty.append(name)
    for unnamed in (*row_labels, ROW_INDEX, *empty):
        if unnamed in all_names and unnamed not in drop and target != unnamed \
                and (features is None or unnamed not in features):
            drop.append(unnamed)
            if not is_empty_last(unnamed):
                labels.append(unnamed)
    # sets for membership: a file may have 100,000 columns
    all_set, drop_set = set(all_names), set(drop)
    feature_set = None if features is None else set(features)
    unknown = [d for d in drop if d not in all_set]
    if unknown:
        raise DataError(f"{source} has no column {columns_list(unknown)} to drop; the columns "
                        f"are {columns_list(all_names)}")
    if target is not None and target in drop:
        raise DataError(f"{source}: the column {target!r} cannot be both the target and dropped")
    needed = [d for d in drop if features is not None and d in feature_set]
    if needed:
        raise DataError(f"{source}: the model uses {columns_list(needed)} as features; do not "
                        f"drop {'it' if len(needed) == 1 else 'them'}")
    names = [n for n in all_names if n not in drop_set]
    name_set = set(names)

    # The model's feature columns come first: a file of other data is a feature mismatch.
    if features is not None:
        absent = [f for f in features if f not in name_set]
        if absent:
            extra = [n for n in names if n not in feature_set and n not in (target, model_target)]
            others = (f"; columns the model does not know: {columns_list(extra, 10)}"
                      if extra else "")
            raise DataError(
                f"{source}: the features do not match the model's: the file lacks "
                f"{len(absent)} of the model's {len(features)} feature columns: "
                f"{columns_list(absent, 10)}{others}; was the model trained on other data?")

    target_col, note = _choose_target(names, source, target, feature_set, require_target,
                                      model_target)
    if features is not None and target_col in feature_set:
        raise DataError(f"{source}: the {describe_target(target_col, note)} is also one of the "
                        "model's features")
    if not require_target and target is None and target_col is not None and features is None \
            and n_features is not None and len(names) == n_features:
        target_col, note = None, ""  # the column named like a target is one of the features

    feat = list(features) if features is not None else [n for n in names if n != target_col]
    if not feat:
        raise DataError(f"{source} has no feature columns besides the "
                        f"{describe_target(target_col, note)}; it needs at least one input column"
                        + (f" (the row labels {columns_list(labels)} were left out: a column "
                           "without a name first is read as a row index; name it in the header "
                           "to use it as a feature)" if labels else ""))
    if features is None and n_features is not None and len(feat) != n_features:
        raise DataError(
            f"{source} has {len(feat)} feature columns but the model expects {n_features} "
            f"features (N_i = {n_features}); the feature columns are {columns_list(feat, 10)}"
            + ("" if drop else "; leave others out with --drop COL"))
    feat_set = set(feat)
    ignored = [n for n in names if n not in feat_set and n != target_col]
    if target_col is not None and not require_target and target is None:
        ignored.append(target_col)  # a label column in data to predict on: not read
        target_col, note = None, ""
    return Columns(target_col, note, feat, ignored, drop, labels)


def _choose_target(names, source, target, features, require_target, model_target):
    if target is not None:
        if target not in set(names):
            raise DataError(f"{source} has no column {target!r} for the target; the columns are "
                            f"{columns_list(names)}")
        return target, "given"
    if model_target is not None and model_target in names and \
            (features is None or model_target not in features):
        return model_target, "the column the model was trained on"
    lower = {n.lower(): n for n in reversed(names)}
    default = next((lower[t] for t in TARGET_NAMES if t in lower), None)
    rest = [n for n in names if features is None or n not in features]
    if require_target and model_target is not None:
        # the model knows its target column; never guess another one in its place
        raise DataError(
            f"{source} has no column {model_target!r}, the model's target column (stored at "
            f"training); its columns are {columns_list(names)}; name the label column with "
            "--target COL, or use 'shallownet predict' for unlabelled data")
    if default is not None and (features is None or default not in features):
        return default, f"named {default!r}"
    if require_target and features is not None and len(rest) == 1:
        return rest[0], "the one column that is not a model feature"
    if require_target and features is None:
        return names[-1], "the last column"
    if require_target:
        what = (f"several columns are not model features ({columns_list(rest)})" if rest
                else "every column is a model feature")
        raise DataError(f"{source}: cannot tell which column is the target: {what}; name it "
                        "with --target COL, or use 'shallownet predict' for unlabelled data")
    return None, ""


# ------------------------------------------------------------------------- labels and task
@dataclass
class Labels:
    """A target column read exactly: numbers (float64, whole or not) or text."""

    values: np.ndarray        # float64 when numeric, else object array of str
    numeric: bool
    whole: bool               # numeric and every value a whole number
    text_integers: bool = False  # whole numbers kept as text because no number type holds them
    boolean: bool = False     # True/False (a bool column, or its words in a CSV): values 0/1


def labels_from_arrow(col, source: str, what: str, decimal: str = ".",
                      parse_text: bool = True) -> Labels:
    """Read a target column (any arrow type) exactly, refusing missing values.

    ``parse_text`` reads text cells that are numbers as numbers (CSV: every cell is text);
    a typed file's string column (Parquet) stays text.
    """
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        col = pc.utf8_trim_whitespace(col)
        col = pc.if_else(pc.equal(col, ""), pa.scalar(None, col.type), col)
    _refuse_missing(col, source, what)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        if not parse_text:
            return Labels(np.asarray(col.to_pylist(), dtype=object), False, False)
        return _labels_from_text(col, decimal)
    if pa.types.is_boolean(t):
        return Labels(col.cast(pa.float64()).to_numpy(zero_copy_only=False), True, True,
                      boolean=True)
    if pa.types.is_integer(t):
        ints = col.cast(pa.int64()) if not pa.types.is_uint64(t) else None
        if ints is None:
            if pc.max(col).as_py() >= 2 ** 63:
                return Labels(np.asarray(col.cast(pa.string())).astype(object), False, False,
                              True)
            ints = col.cast(pa.int64())
        v = ints.to_numpy(zero_copy_only=False)
        if np.abs(v).max(initial=0) >= _EXACT:  # keep every digit: labels as text
            return Labels(v.astype(str).astype(object), False, False, True)
        return Labels(v.astype(np.float64), True, True)
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        v = col.cast(pa.float64()).to_numpy(zero_copy_only=False)
        if not np.all(np.isfinite(v)):
            _refuse_rows(~np.isfinite(v), source, what)
        return Labels(v, True, bool(np.all(v == np.round(v))))
    if pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t) \
            or pa.types.is_duration(t):
        raise DataError(f"{source}: the {what} holds {t} values; convert them to numbers or "
                        "labels first, or pick another --target")
    raise DataError(f"{source}: the {what} has type {t}, which holds no labels or numbers; pick "
                    "another --target")


def _labels_from_text(col, decimal: str) -> Labels:
    from .readers import BOOL_WORDS

    if len(col) and pc.all(pc.is_in(col, pa.array(sorted(BOOL_WORDS)))).as_py():
        # True/False words (pandas writes a bool column so): bool labels, as in Parquet
        truth = pc.is_in(col, pa.array(["True", "TRUE", "true"]))
        return Labels(truth.cast(pa.float64()).to_numpy(zero_copy_only=False), True, True,
                      boolean=True)
    try:
        ints = col.cast(pa.int64())
    except pa.ArrowInvalid:
        pass
    else:
        v = ints.to_numpy(zero_copy_only=False)
        if np.abs(v).max(initial=0) >= _EXACT:
            return Labels(np.asarray(col.to_pylist(), dtype=object), False, False, True)
        return Labels(v.astype(np.float64), True, True)
    numbers = col if decimal == "." else pc.replace_substring(col, ",", ".")
    try:
        v = numbers.cast(pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return Labels(np.asarray(col.to_pylist(), dtype=object), False, False)
    finite = np.isfinite(v)
    whole = bool(np.all(v[finite] == np.round(v[finite])))
    if whole and np.abs(v[finite]).max(initial=0) >= _EXACT:
        # e.g. 1e20 and 100000000000000000001: a double would merge them; keep the text
        return Labels(np.asarray(col.to_pylist(), dtype=object), False, False, True)
    return Labels(v, True, whole)


def _refuse_missing(col, source, what) -> None:
    if col.null_count:
        _refuse_rows(np.asarray(col.is_null()), source, what)


def _rows(n: int) -> str:
    return count(n, "row")


def _refuse_rows(bad: np.ndarray, source, what) -> None:
    rows = np.flatnonzero(bad)
    raise DataError(f"{source}: the {what} has {_rows(rows.size)} with missing or non-finite "
                    f"values (NaN/inf) (first at data row {rows[0] + 1}); drop those rows")


def detect_task(values: np.ndarray, numeric: bool, name: str | None = None) -> str:
    """The rule in the module docstring; returns the task without judging learnability."""
    return _detect(values, numeric, name)[0]


def _detect(values, numeric, name) -> tuple[str, str]:
    """(task, why) for the rule in the module docstring."""
    if not numeric:
        return "classification", "the target holds text"
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    whole = bool(v.size) and bool(np.all(v == np.round(v)))
    return _detect_counts(v.size, np.unique(v).size, True, whole, name)


def _detect_counts(n, k, numeric, whole, name) -> tuple[str, str]:
    if not numeric:
        return "classification", "the target holds text"
    if not whole:
        return "regression", "the target has fractional values"
    if k <= MAX_INTEGER_CLASSES:
        return "classification", (f"{count(k, 'distinct whole number')} (at most "
                                  f"{MAX_INTEGER_CLASSES} are class labels)")
    if name is not None and _words(name) & set(CLASS_WORDS) and 2 * k <= n:
        return "classification", (f"{k} distinct whole numbers in a column named like class "
                                  "labels")
    return "regression", f"{k} distinct whole numbers, more than {MAX_INTEGER_CLASSES}"


def choose_task(labels: Labels, name: str, task: str | None, source: str,
                what: str, decimal: str = ".") -> tuple[str, str]:
    """The task and why, refusing targets that cannot be learned."""
    v = labels.values if labels.numeric else labels.values.astype(str)
    if labels.boolean and task is None:
        return "classification", "the target holds True/False"
    return decide_task(labels.values.shape[0], np.unique(v), labels.numeric, name, task,
                       source, what, decimal=decimal, column=None if labels.numeric else v)


def decide_task(n: int, distinct: np.ndarray, numeric: bool, name: str, task: str | None,
                source: str, what: str, n_distinct: int | None = None, *,
                decimal: str = ".", column: np.ndarray | None = None) -> tuple[str, str]:
    """:func:`choose_task` from a summary: ``n`` rows, their ``distinct`` values (or, for a
    stream, a sample of them with ``n_distinct`` counting them all). ``column``, the whole
    target column when it is at hand, lets a refusal name a data row."""
    k = distinct.size if n_distinct is None else n_distinct
    if not numeric:
        _refuse_numbers_as_text(n, k, distinct, name, task, source, what, decimal, column)
    whole = numeric and bool(np.all(distinct == np.round(distinct)))
    if task is None:
        task, why = _detect_counts(n, k, numeric, whole, name)
    else:
        why = "given with --task"
    if task == "classification" and n >= _MIN_ROWS_TO_JUDGE and 2 * k > n:
        kind = "texts" if not numeric else "values"
        raise DataError(
            f"{source}: the {what} has {k} distinct {kind} in {n} rows, a different one in "
            "most rows (an identifier or free text?): too few rows per class to learn; "
            "name the label column with --target, leave this one out with --drop"
            + (", or use --task regression for a numeric target" if numeric else ""))
    if task == "regression" and whole and n >= _MIN_ROWS_TO_JUDGE and \
            _words(name) & set(ID_WORDS) and k == n:
        raise DataError(f"{source}: the {what} looks like a row identifier (a different whole "
                        "number in every row, named like an id), which cannot be learned; name "
                        "the real target with --target, or leave this column out with --drop")
    return task, why


#: What a spreadsheet writes into a cell whose formula failed (#N/A is read as missing).
_SPREADSHEET_ERROR = re.compile(
    r"#(N/A|DIV/0!|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA)", re.IGNORECASE)
#: Formatted numbers a target may hold (see ``stream._FORMATTED``); dates stay text labels.
_NUMBER_FORMATS = ("thousands", "thousands, decimal comma", "currency", "percent")
#: At most this many of a target's distinct non-numbers are looked at one by one.
_TEXT_SAMPLE = 5000


def _first_row(column, value) -> str:
    if column is None:
        return ""
    return f"; first at data row {int(np.flatnonzero(column == value)[0]) + 1}"


def _refuse_numbers_as_text(n, k, distinct, name, task, source, what, decimal, column) -> None:
    """A text target that holds numbers after all is refused, not taken as text classes:
    spreadsheet error cells (``#DIV/0!``, ``#VALUE!``: never labels); unless the task is
    classification, a column of numbers formatted for people (thousands separators, currency
    signs, percentages) with too many distinct values to be class labels by the rule for whole
    numbers, or of numbers with a few stray words (``-``, ``unknown``) that would make the
    numbers labels."""
    from .stream import _FORMATTED, _NUMBER, _formatted_fix, _formatted_kind

    values = [str(v).strip() for v in distinct]
    errors = [v for v in values if _SPREADSHEET_ERROR.fullmatch(v)]
    if errors:
        shown = ", ".join(map(repr, errors[:5]))
        raise DataError(
            f"{source}: the {what} holds spreadsheet error cells ({shown}"
            f"{_first_row(column, distinct[values.index(errors[0])])}), which are neither labels "
            "nor numbers; correct those cells in the spreadsheet, or remove those rows")
    if task == "classification":
        return
    number = re.compile(_NUMBER[decimal], re.IGNORECASE)
    is_number = [bool(number.match(v)) for v in values]
    plain = [v for v, yes in zip(values, is_number, strict=True) if yes]
    others = [v for v, yes in zip(values, is_number, strict=True) if not yes]
    kinds = {v: _formatted_kind([v], decimal) for v in others[:_TEXT_SAMPLE]}
    formatted = [v for v, kind in kinds.items() if kind in _NUMBER_FORMATS]
    words = [v for v, kind in kinds.items() if kind not in _NUMBER_FORMATS]
    if formatted and not words and (task == "regression" or _detect_counts(
            n, k, True, True, name)[0] == "regression"):
        kind = max(_NUMBER_FORMATS, key=[kinds[v] for v in formatted].count)
        example = next(v for v in formatted if kinds[v] == kind)
        fix = _formatted_fix(kind, decimal, features=False)  # (not codes to leave out)
        raise DataError(
            f"{source}: the {what} holds {_FORMATTED[kind][0]} (e.g. {example!r}"
            f"{_first_row(column, distinct[values.index(example)])}), text rather than numbers "
            f"(as classes, each value would be a label of its own){fix}")
    n_words = round(len(words) * len(others) / max(len(kinds), 1))  # kinds: a sample
    if not words or 10 * n_words > len(values):
        return  # text labels (or the rule for numbers would not differ): classification
    numbers = np.array([float(v.replace(",", ".") if decimal == "," else v) for v in plain])
    numbers = numbers[np.isfinite(numbers)]
    whole = bool(numbers.size) and bool(np.all(numbers == np.round(numbers)))
    if task is None and _detect_counts(n, np.unique(numbers).size, True, whole,
                                       name)[0] == "classification":
        return  # a few labels among class numbers: classes either way
    raise DataError(
        f"{source}: the {what} holds numbers, but {count(n_words, 'value')} "
        f"{'is' if n_words == 1 else 'are'} text ({', '.join(map(repr, words[:5]))}"
        f"{_first_row(column, distinct[values.index(words[0])])}), so the column is not "
        "numbers (as classes, each number would be a label); correct or remove those rows, "
        "or use --task classification (task='classification') if the column holds labels")


def labels_for_task(labels: Labels, task: str, source: str, what: str) -> np.ndarray:
    """``y`` for the task: int64 (or exact text) classes, or float64 values."""
    if task == "regression":
        if not labels.numeric and not labels.text_integers:
            bad = [v for v in labels.values[:3]]
            raise DataError(
                f"{source}: the {what} is not numeric (e.g. {', '.join(repr(b) for b in bad)}), "
                "so it cannot be a regression target; use task 'classification' (--task "
                "classification), or pick another --target")
        return labels.values.astype(np.float64)
    if labels.numeric:
        v = labels.values
        whole = v == np.round(v)
        if not np.all(whole):
            bad = ", ".join(f"{x:g}" for x in v[~whole][:3])
            raise DataError(
                f"{source}: the {what} has fractional values (e.g. {bad}), so it holds no class "
                "labels; use --task regression (task='regression') for a real-valued target, or "
                "pick another --target")
        return v.astype(bool) if labels.boolean else v.astype(np.int64)  # |v| < 2**53: exact
    return labels.values.astype(str).astype(object)

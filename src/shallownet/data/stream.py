"""Record batches of a file as blocks of the feature matrix, and the statistics of a stream.

Every read of a file goes through :func:`blocks`: pyarrow hands over record batches of the
selected columns only, and each batch becomes a (rows, N_i) block straight in the training
dtype (float32 by default): no float64 detour, no Python lists. The in-memory loader stacks
the blocks once; streamed training (:class:`FileSource`) visits them epoch after epoch.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..solvers.minibatch import BatchSource
from .readers import DataError, FileFormat, _ConversionError, columns_list, looks_like_decimal_comma

__all__ = ["blocks", "RowStack", "release_arrow_memory", "RunningMoments", "FileSource",
           "row_roles", "parse_size", "in_chunks", "estimate_rows", "default_memory_limit",
           "should_stream", "float32_size", "buffer_bytes"]

_FLOAT_TYPES = {np.dtype(np.float32): pa.float32(), np.dtype(np.float64): pa.float64()}


def _check_feature_types(fmt: FileFormat, features: list[str]) -> None:
    """Parquet columns that cannot be features, refused by name before any row is read."""
    if fmt.arrow_types is None:
        return
    text, other = [], []
    for name in features:
        t = fmt.arrow_types[name]
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) \
                or pa.types.is_decimal(t):
            continue
        (text if pa.types.is_string(t) or pa.types.is_large_string(t) else other).append(
            (name, t))
    if text:
        raise DataError(f"{fmt.source}: non-numeric feature columns "
                        f"{columns_list([n for n, _ in text])}; encode them as numbers first "
                        "(e.g. one-hot or ordinal codes) or drop them")
    if other:
        shown = ", ".join(f"{n!r} ({t})" for n, t in other[:10])
        raise DataError(f"{fmt.source}: feature columns of types that are not numbers: {shown}; "
                        "convert them to numbers first (e.g. seconds for times) or leave them out "
                        "with --drop")


@dataclass
class _Bad:
    """Non-finite cells seen so far: rows, columns, and whether any was an infinity."""

    rows: int = 0
    first_row: int = -1
    columns: np.ndarray | None = None
    inf: bool = False

    def add(self, block: np.ndarray, offset: int) -> None:
        bad = ~np.isfinite(block)
        rows = bad.any(axis=1)
        if self.first_row < 0:
            self.first_row = offset + int(np.argmax(rows))
        self.rows += int(rows.sum())
        cols = bad.any(axis=0)
        self.columns = cols if self.columns is None else self.columns | cols
        self.inf |= bool(np.isinf(block).any())


def blocks(fmt: FileFormat, features: list[str], target: str | None = None, *,
           dtype=np.float32, batch_rows: int | None = None, check: bool | str = True,
           units=None, copy: bool = True,
           ints: bool = False) -> Iterator[tuple[np.ndarray, pa.Array | None]]:
    """(X block, target column) per record batch; X in ``dtype``, the target as arrow.

    ``copy=False`` hands out a read-only view of arrow's memory, valid until the next block
    (for a caller that copies it somewhere at once). ``ints=True`` lets a block of a CSV's
    whole numbers come as the int32 the parser read (for a caller that copies it into a
    ``dtype`` array at once: the cast is then part of that copy).

    ``check`` refuses NaN, missing and infinite features (after the whole pass, so the message
    counts every row) and names values too large for float32; ``check="block"`` also hands out
    no block from the first that holds one on (for output written as it goes, and for callers
    that would pass the block to code with checks of its own): the rest of the file is read
    only to count the rows for the same message.
    """
    dtype = np.dtype(dtype)
    _check_feature_types(fmt, features)
    columns = list(features) + ([target] if target is not None else [])
    types = {f: _FLOAT_TYPES[dtype] for f in features}
    bools = [f for f in features if f in fmt.bool_columns]
    for f in bools:
        types[f] = pa.bool_()  # True/False words, as 1/0
    if target is not None and fmt.kind == "csv":
        types[target] = pa.string()  # labels read as text, converted exactly later
    d = len(features)
    if fmt.kind == "csv":
        # the features of each batch become a block in the threads that parse the file
        def prepare(batch):
            return (_to_block(batch, d, dtype, copy, keep_ints=ints, mixed=bool(bools)),
                    batch.column(d) if target is not None else None, batch.num_rows)

        batches = fmt.batches(columns, types, batch_rows, prepare=prepare)
    elif units is None:
        batches = fmt.batches(columns, types, batch_rows)
    else:
        batches = (b for u in units for b in fmt.read_unit(u, columns, batch_rows))
    # Parquet columns that need a cast, and integer columns that may hold numbers beyond 2**53
    casts, wide = [], []
    for j, name in enumerate(features if fmt.arrow_types is not None else ()):
        t = fmt.arrow_types[name]
        if t != _FLOAT_TYPES[dtype]:
            casts.append(j)
        if pa.types.is_integer(t) and t.bit_width == 64 or pa.types.is_dictionary(t) \
                and pa.types.is_integer(t.value_type) and t.value_type.bit_width == 64:
            wide.append(j)
    text_checked: set = set()
    bad, n, stopped = _Bad(), 0, False
    try:
        for item in batches:
            if fmt.kind == "csv":
                block, y, rows = item
            else:
                rows = item.num_rows
            if rows == 0:
                continue
            if fmt.kind != "csv":
                for j in wide:
                    _refuse_inexact_integers(fmt, features[j], item.column(j), n)
                block = _to_block(item, d, dtype, copy, casts)
                y = item.column(d) if target is not None else None
            if block.dtype.kind == "f":  # (int32 blocks are finite and exact)
                if fmt.kind == "csv" and block.size and not (-_EXACT < block.min()
                                                             <= block.max() < _EXACT):
                    _check_csv_integers(fmt, features, block, n, text_checked)
                if check and not np.isfinite(block).all():
                    bad.add(block, n)
                    stopped = check == "block"
            n += rows
            if not stopped:
                yield block, y
    except _ConversionError as e:
        raise _explain_conversion(fmt, features, e) from None
    finally:
        batches.close()  # an early stop (or a consumer that stops) closes the reader at once
    if check and bad.rows:
        raise _explain_bad(fmt, features, bad, n, dtype)


def _to_block(batch: pa.RecordBatch, d: int, dtype: np.dtype, copy: bool = True,
              casts=(), keep_ints: bool = False, mixed: bool = False) -> np.ndarray:
    """The first ``d`` columns of ``batch`` as a (rows, d) array; ``casts``: the columns that
    are not in ``dtype`` yet (Parquet integers, decimals, the other float width). A CSV's
    features come in ``dtype``, or as int32 where the parser read whole numbers as such; a
    batch of those alone comes back as int32 with ``keep_ints``, else in ``dtype`` (exact).
    ``mixed``: a CSV with boolean columns, whose types are compared one by one."""
    arrow = _FLOAT_TYPES[dtype]
    table = batch if batch.num_columns == d else batch.select(list(range(d)))
    # (the parser reads every feature column as integers or none: the first one tells)
    if not casts and d and (mixed or table.schema.field(0).type != arrow):
        casts = [j for j, t in enumerate(table.schema.types) if t != arrow]
        if len(casts) == d:  # all whole numbers: one int32 tensor
            try:
                ints = np.asarray(table.to_tensor(row_major=True))
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                ints = None  # missing values: through the casts below, as NaN
            if ints is not None:
                return ints if keep_ints else ints.astype(dtype)
    if casts:  # whole numbers up to 2**53 (checked before) convert as a CSV's do
        cols = table.columns
        for j in casts:
            c = cols[j]
            cols[j] = c.cast(arrow, safe=not pa.types.is_integer(c.type)
                             and not pa.types.is_dictionary(c.type))
        table = pa.RecordBatch.from_arrays(cols, names=[str(j) for j in range(d)])
    tensor = table.to_tensor(null_to_nan=True, row_major=True)
    # a copy that numpy owns: freed at once when dropped, where pyarrow's pool would keep
    # the memory for reuse
    return np.array(tensor) if copy else np.asarray(tensor)


class RowStack:
    """The rows of a stream of blocks, copied into one (N, d) array as they come.

    ``rows`` is the expected row count (exact for Parquet, estimated from the file size for
    CSV): the array is allocated once at about that size -- ``np.empty`` maps pages that
    become resident only when written, so room never filled costs no memory -- and grows
    (one copy) only when the estimate was short. :meth:`result` is a view of the rows filled.
    """

    def __init__(self, rows: int, d: int, dtype):
        try:
            self.X = np.empty((max(1, int(rows)), d), dtype)
        except MemoryError:  # an estimate beyond what the system lends: start small, grow
            self.X = np.empty((min(max(1, int(rows)), 1 << 16), d), dtype)
        self.n = 0

    def add(self, block: np.ndarray) -> None:
        m = block.shape[0]
        if self.n + m > self.X.shape[0]:
            bigger = np.empty((max(2 * self.X.shape[0], self.n + m), self.X.shape[1]),
                              self.X.dtype)
            bigger[:self.n] = self.X[:self.n]
            self.X = bigger
        self.X[self.n:self.n + m] = block
        self.n += m

    def result(self) -> np.ndarray:
        return self.X[:self.n]


def release_arrow_memory() -> None:
    """Hand the memory that pyarrow's pool keeps for reuse back to the system (after a pass:
    otherwise it stays resident beside the data for the rest of the run)."""
    pa.default_memory_pool().release_unused()


_EXACT = 2.0 ** 53  # whole numbers beyond this have no exact float


def _inexact_integer_error(fmt: FileFormat, name: str, row: int, value) -> DataError:
    return DataError(
        f"{fmt.source}: feature column {name!r} holds whole numbers beyond 2**53 that no float "
        f"holds exactly (data row {row + 1}: {value}), an identifier rather than a measurement; "
        f"leave it out with --drop {name} (drop=[{name!r}])")


def _refuse_inexact_integers(fmt: FileFormat, name: str, col: pa.Array, offset: int) -> None:
    """A Parquet int64/uint64 column with a value beyond 2**53: refused (never rounded)."""
    import pyarrow.compute as pc

    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    if pa.types.is_unsigned_integer(col.type):
        beyond = pc.greater(col, pa.scalar(2 ** 53, col.type))
    else:
        beyond = pc.or_(pc.greater(col, 2 ** 53), pc.less(col, -(2 ** 53)))
    if pc.any(beyond).as_py():
        row = pc.index(beyond, True).as_py()
        raise _inexact_integer_error(fmt, name, offset + row, col[row].as_py())


def _check_csv_integers(fmt: FileFormat, features, block: np.ndarray, offset: int,
                        checked: set) -> None:
    """A CSV feature with a magnitude of 2**53 or more: refused if its text is a whole number
    beyond 2**53 (1234567890123456789), kept if it is written as a float (1e20)."""
    import pyarrow.compute as pc

    with np.errstate(invalid="ignore"):
        big = np.flatnonzero((np.abs(block) >= _EXACT).any(axis=0))
    for j in big:
        name = features[j]
        if name in checked:
            continue
        checked.add(name)
        text = fmt.read_all([name], {name: pa.string()})[name]
        whole = pc.match_substring_regex(pc.utf8_trim_whitespace(text), r"^[-+]?\d+$")
        for row in np.flatnonzero(np.asarray(whole.fill_null(False))):
            value = int(text[int(row)].as_py())
            if abs(value) > 2 ** 53:
                raise _inexact_integer_error(fmt, name, int(row), value)


def _explain_conversion(fmt: FileFormat, features, e: _ConversionError) -> DataError:
    """Which feature columns hold text, read again as text (an error path only).

    Read as text, not with inferred types: inference looks at the first block only, so a
    word far down a numeric column would fail the second read too. A column of text is told
    apart from a column of numbers with a few stray cells ("3,5" quoted in a comma file, a
    word, "1.000.000"): the stray cells are named by row, to be fixed, not encoded.
    """
    table = fmt.read_all(features, {n: pa.string() for n in features})
    # (by the file's own decimal mark; True/False words count in a column read as bools)
    bad = {n: _not_numbers(table[n], fmt.decimal, n in fmt.bool_columns) for n in features}
    text = [n for n in features if bad[n][0].size]
    if not text:
        return DataError(f"{fmt.source} does not parse: {e}")
    samples = {n: table[n].drop_null().to_pylist()[:50] for n in text}
    commas = [n for n in text if fmt.decimal == "." and looks_like_decimal_comma(samples[n])]
    if commas:
        # "8,412" in every cell (a comma before exactly three digits, no 0 before it) reads as
        # a thousands separator just as well: the two readings differ a thousandfold
        either = all(_THOUSANDS_ONCE.match(str(v)) for n in commas for v in samples[n]
                     if v is not None and str(v).strip())
        if either:
            cell = next(str(v).strip() for v in samples[commas[0]]
                        if v is not None and str(v).strip())
            return DataError(
                f"{fmt.source}: feature columns {columns_list(commas)} hold numbers with a comma "
                f"before three digits (e.g. {cell!r}): thousands separators ({cell} = "
                f"{cell.replace(',', '')}) or a decimal comma ({cell.replace(',', '.')}), a "
                "thousandfold apart; for thousands write them without the separators, for "
                "decimals read the file with --decimal , (decimal=',')")
        return DataError(
            f"{fmt.source}: feature columns {columns_list(text)} hold numbers written with a "
            f"decimal comma (e.g. {e.value!r}); read the file with --decimal , (decimal=',')")
    stray = {}
    for name in text:
        rows, cells = bad[name]
        if rows.size * 2 < cells:  # mostly numbers: a few cells to fix
            stray[name] = rows
    words = [n for n in text if n not in stray]
    formatted = {}
    for name in words:
        sample = [v for v in table[name].drop_null().to_pylist()[:200] if v.strip()]
        kind = _formatted_kind(sample, fmt.decimal)
        if kind is not None:
            formatted[name] = (kind, next(v for v in sample if _formatted_kind([v], fmt.decimal)))
    if formatted:
        shown = "; ".join(f"{name!r} holds {_FORMATTED[kind][0]} (e.g. {value!r})"
                          f"{_formatted_fix(kind, fmt.decimal)}"
                          for name, (kind, value) in list(formatted.items())[:5])
        return DataError(f"{fmt.source}: feature columns written as formatted text, {shown}")
    if words:
        return DataError(f"{fmt.source}: non-numeric feature columns {columns_list(words)}; "
                         "encode them as numbers first (e.g. one-hot or ordinal codes) or leave "
                         f"them out (--drop {words[0]}, drop={words[:3]!r})")
    shown = []
    for name, rows in list(stray.items())[:5]:
        first = int(rows[0])
        value = table[name][first].as_py()
        what = f"{name!r}: data row {first + 1} holds {value!r}"
        if rows.size > 1:
            what += f" ({rows.size} such cells, the first shown)"
        what += _comma_hint(value, fmt.decimal)
        shown.append(what)
    return DataError(f"{fmt.source}: text in numeric feature columns, {'; '.join(shown)}"
                     + (f"; and {len(stray) - 5} more columns" if len(stray) > 5 else "")
                     + "; correct those cells, or remove those rows")


#: Columns of numbers written for people, not parsers: what they hold, and the way out.
_FORMATTED = {
    "thousands": ("numbers with thousands separators",
                  "; write them without the separators (1234567.5), or read the file with "
                  "pandas' thousands= and save it again"),
    "thousands, decimal comma": (
        "numbers with thousands separators and a decimal comma",
        "; write them without the separators (1234567,5) and read the file with --decimal , "
        "(decimal=',')"),
    "currency": ("amounts with a currency sign", "; write plain numbers (1234.5)"),
    "bool": ("True/False words with spaces around them",
             "; write them without the spaces (they are then read as 1/0)"),
    "percent": ("percentages", "; write plain numbers (12.5, or 0.125)"),
    "date": ("dates or times", "; convert them to numbers first (e.g. days since a start, "
             "or the hour of the day), or leave the column out with --drop"),
}
# (a number written for people never starts with a 0 before a separator: "063 141 365" is a
# code, a phone number, and is text to leave out, not a number to write plainly)
#: What feature columns of numbers with thousands separators may be instead (not a target)
_CODES = "; codes such as phone numbers are not features: leave the column out with --drop"


def _formatted_fix(kind: str, decimal: str, features: bool = True) -> str:
    """The way out of ``_FORMATTED[kind]`` in a file of decimal mark ``decimal``: numbers
    written plainly with that mark; for feature columns, codes named as columns to leave out
    (a target column is not left out)."""
    fix = _FORMATTED[kind][1]
    if kind == "thousands" and decimal == ",":
        fix = fix.replace("(1234567.5)", "(1234567,5)")
    return fix + (_CODES if features and kind.startswith("thousands") else "")


_GROUPED = {".": r"[-+]?[1-9]\d{0,2}([,\u00a0\u202f ]\d{3})+(\.\d+)?",
            ",": r"[-+]?[1-9]\d{0,2}([.\u00a0\u202f ]\d{3})+(,\d+)?"}
_PLAIN = {".": r"[-+]?(\d+\.?\d*|\.\d+)", ",": r"[-+]?(\d+,?\d*|,\d+)"}
_THOUSANDS_ONCE = re.compile(r"^\s*[-+]?[1-9]\d{0,2},\d{3}\s*$")  # "8,412": either reading
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\S*)?"
                   r"|(\d{1,2}/\d{1,2}/(\d{2}|\d{4})|\d{1,2}\.\d{1,2}\.\d{4})"
                   r"( \d{1,2}:\d{2}(:\d{2})?)?"
                   r"|\d{1,2}:\d{2}(:\d{2})?( ?[AaPp][Mm])?")


def _formatted_kind(values, decimal: str) -> str | None:
    """"thousands", "currency", "percent" or "date" when (nearly) every value reads as that
    kind of formatted number; None otherwise (words: text to encode)."""
    if not values:
        return None
    from .readers import BOOL_WORDS

    if all(v.strip() in BOOL_WORDS | {"0", "1"} for v in values) and \
            any(v.strip() in BOOL_WORDS for v in values):
        return "bool"
    # (a sign or % shows a formatted number whichever decimal mark it uses)
    number = f"({_GROUPED['.']}|{_GROUPED[',']}|{_PLAIN['.']}|{_PLAIN[',']})"
    kinds = {"currency": re.compile(rf"[$€£¥]\s?{number}|{number}\s?[$€£¥]|"
                                    rf"[-+]?[$€£¥]\s?{number}"),
             "percent": re.compile(rf"{number}\s?%"),
             "thousands": re.compile(_GROUPED[decimal]),
             "date": _DATE}
    if decimal == ".":
        kinds["thousands, decimal comma"] = re.compile(_GROUPED[","])
    for kind, pattern in kinds.items():
        hits = sum(bool(pattern.fullmatch(v.strip())) for v in values)
        if hits and hits >= 0.9 * len(values):
            return kind
    return None


def _comma_hint(value, decimal: str) -> str:
    """What a stray number with a comma in a file with decimal points probably means: "3,5" a
    decimal comma; "1,234" (1-3 digits, not a 0, then three) as either ("0,125" and
    "1234,567" only as a decimal comma: ``_THOUSANDS_ONCE``); "1,234.5"
    and "12,345,678" a thousands separator. In a decimal-comma file, "1.234,5" has a
    thousands separator."""
    text = str(value).strip()
    if decimal == "," and re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+(,\d*)?", text):
        return f" (thousands separators; write {text.replace('.', '')})"
    if decimal != "." or "," not in text or not re.fullmatch(
            r"[-+]?\d{1,3}(,\d{3})*(\.\d*)?|[-+]?\d+,\d+", text):
        return ""
    plain = text.replace(",", "")
    if _THOUSANDS_ONCE.match(text):  # (a 0 or four digits before the comma: a decimal comma)
        return (f" (a decimal comma or a thousands separator; write {text.replace(',', '.')} "
                f"or {plain})")
    if "." in text or text.count(",") > 1:
        return f" (thousands separators; write {plain})"
    return f" (a decimal comma; write {text.replace(',', '.')})"


_NUMBER = {".": r"^\s*[-+]?((\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|inf|infinity|nan)\s*$",
           ",": r"^\s*[-+]?((\d+,?\d*|,\d+)([eE][-+]?\d+)?|inf|infinity|nan)\s*$"}


def _not_numbers(column, decimal: str, bools: bool = False) -> tuple[np.ndarray, int]:
    """Rows of a text column whose cell is not a number (missing cells are fine; with
    ``bools``, the True/False words the parser reads as 1/0 are fine too), and how many cells
    are not missing."""
    import pyarrow.compute as pc

    from .readers import BOOL_WORDS

    number = pc.match_substring_regex(column, _NUMBER[decimal], ignore_case=True)
    if bools:
        number = pc.or_(number, pc.is_in(column, pa.array(sorted(BOOL_WORDS))))
    bad = pc.invert(number.fill_null(True))
    return (np.flatnonzero(np.asarray(bad.to_numpy(zero_copy_only=False))),
            len(column) - column.null_count)


def _explain_bad(fmt: FileFormat, features, bad: _Bad, n: int, dtype) -> DataError:
    cols = [features[j] for j in np.flatnonzero(bad.columns)]
    if bad.inf and dtype == np.float32:
        # did the file hold infinities, or numbers beyond float32's range?
        big = []
        for name in cols:
            values = np.concatenate([b[:, 0] for b, _ in blocks(fmt, [name], dtype=np.float64,
                                                                check=False)])
            finite = values[np.isfinite(values)]
            if finite.size and np.abs(finite).max() > np.finfo(np.float32).max:
                big.append((name, float(np.abs(finite).max())))
        if big:
            shown = ", ".join(f"{n!r} (up to {v:.3g})" for n, v in big[:10])
            return DataError(
                f"{fmt.source}: feature columns {shown} hold numbers too large for float32 "
                f"(largest {np.finfo(np.float32).max:.3g}); rescale those columns (e.g. divide "
                "by a power of ten) or train in float64 (--dtype float64, dtype='float64')")
    return DataError(
        f"{fmt.source}: {bad.rows} of {n} rows {'has' if bad.rows == 1 else 'have'} missing or "
        f"non-finite values (NaN/inf) in feature columns {columns_list(cols)}; drop or impute "
        f"{'it' if bad.rows == 1 else 'those rows'} first "
        f"({'' if bad.rows == 1 else 'the first is '}data row {bad.first_row + 1})")


class RunningMoments:
    """Count, mean and variance of the rows of a stream of blocks, per column.

    Blocks are merged with the parallel algorithm of Chan, Golub and LeVeque (1979): each
    block's mean and sum of squared deviations come from a numerically stable two-pass
    computation, and two summaries combine as
    M2 = M2_a + M2_b + delta^2 n_a n_b / n, mean = mean_a + delta n_b / n.
    """

    def __init__(self, d: int):
        self.n = 0
        self.mean = np.zeros(d)
        self.m2 = np.zeros(d)

    def update(self, block: np.ndarray) -> None:
        nb = block.shape[0]
        if nb == 0:
            return
        b = block.astype(np.float64, copy=False)
        mean_b = b.mean(axis=0)
        m2_b = ((b - mean_b) ** 2).sum(axis=0)
        n = self.n + nb
        delta = mean_b - self.mean
        self.mean = self.mean + delta * (nb / n)
        self.m2 = self.m2 + m2_b + delta ** 2 * (self.n * nb / n)
        self.n = n

    @property
    def var(self) -> np.ndarray:
        return self.m2 / self.n if self.n else np.zeros_like(self.m2)

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.var)


# ------------------------------------------------------------------------------ streaming
def row_roles(index: np.ndarray, seed: int, test_fraction: float,
              validation_fraction: float) -> np.ndarray:
    """0 (train), 1 (validation) or 2 (test) for each global row index, from a hash of it.

    The same row gets the same role in every pass and every epoch (a splitmix64 hash of the
    row index and the seed), so the held-out rows never change while the file is streamed.
    """
    with np.errstate(over="ignore"):
        z = index.astype(np.uint64) + np.uint64(seed % 2 ** 63) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    u = (z >> np.uint64(11)).astype(np.float64) / 2.0 ** 53
    val_edge = test_fraction + validation_fraction * (1.0 - test_fraction)
    return np.where(u < test_fraction, 2, np.where(u < val_edge, 1, 0)).astype(np.int8)


class Spill:
    """The training rows of a first pass, kept for the epochs in a temporary Arrow IPC file.

    The file holds record batches of two columns: the features (float32, one fixed-size list
    per row, so a batch's values are its (rows, N_i) matrix as they lie on disk) and the
    target as the file gave it. It is uncompressed, created with ``tempfile.mkstemp`` in the
    system's temporary folder (readable by its owner only), and removed by :meth:`remove`,
    which the estimators call in a ``finally`` (Ctrl-C included) and which also runs when the
    object is collected or the interpreter exits. Each epoch reads the batches in a fresh
    random order (``get_batch`` reads one batch from the file: no re-parsing, no memory map
    whose touched pages would stay resident).
    """

    def __init__(self, d: int, rows_per_batch: int):
        import tempfile
        import weakref

        self.d = d
        self.rows_per_batch = max(1, int(rows_per_batch))
        self.folder = tempfile.gettempdir()
        fd, self.path = tempfile.mkstemp(prefix="shallownet-spill-", suffix=".arrow")
        os.close(fd)
        self._finalizer = weakref.finalize(self, _remove_file, self.path)
        self._sink = self._writer = None
        self.n_batches = 0
        self.failed = ""  # why writing stopped (a full disk), if it did

    @staticmethod
    def fits(rows: int, d: int) -> tuple[bool, str]:
        """Whether ``rows`` rows of ``d`` float32 features fit in the temporary folder (with
        a quarter spare and 256 MiB left over), and where that folder is."""
        import shutil
        import tempfile

        folder = tempfile.gettempdir()
        need = int(rows * (4 * d + 16) * 1.25) + (256 << 20)
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            return False, folder
        return free >= need, folder

    def write(self, X: np.ndarray, col: pa.Array) -> None:
        """Append rows; a write that fails (a full disk) removes the file and sets ``failed``."""
        if self.failed:
            return
        try:
            self._write(X, col)
        except OSError as e:
            self.failed = " ".join(str(e).split()) or type(e).__name__
            self.remove()

    def _write(self, X: np.ndarray, col: pa.Array) -> None:
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if self._writer is None:
            self._schema = pa.schema([("x", pa.list_(pa.float32(), self.d)), ("y", col.type)])
            self._sink = pa.OSFile(self.path, "wb")
            self._writer = pa.ipc.new_file(self._sink, self._schema)
        X = np.ascontiguousarray(X, dtype=np.float32)
        for start in range(0, X.shape[0], self.rows_per_batch):
            part = X[start:start + self.rows_per_batch]
            values = pa.FixedSizeListArray.from_arrays(pa.array(part.reshape(-1)), self.d)
            self._writer.write_batch(pa.record_batch(
                [values, col.slice(start, part.shape[0])], schema=self._schema))
            self.n_batches += 1

    def finish(self) -> None:
        """Close the writer: the file is complete and can be read."""
        if self._writer is not None:
            writer, sink, self._writer = self._writer, self._sink, None
            try:
                writer.close()
            except OSError as e:
                self.failed = " ".join(str(e).split()) or type(e).__name__
            finally:
                sink.close()
        if self.failed:
            self._finalizer()

    def batches(self, rng) -> Iterator[tuple[np.ndarray, pa.Array]]:
        """(X, target column) per stored batch, in a fresh random order (file order when
        ``rng`` is None); X is a read-only float32 view, valid until the next batch."""
        if self.n_batches == 0:
            return
        with pa.OSFile(self.path, "rb") as f:
            reader = pa.ipc.open_file(f)
            order = rng.permutation(self.n_batches) if rng is not None else \
                range(self.n_batches)
            for i in order:
                batch = reader.get_batch(int(i))
                X = batch.column(0).values.to_numpy(zero_copy_only=True).reshape(-1, self.d)
                yield X, batch.column(1)

    def remove(self) -> None:
        """Close the file and delete it."""
        writer, sink, self._writer = self._writer, self._sink, None
        for closing in (writer, sink):
            try:
                if closing is not None:
                    closing.close()
            except OSError:
                pass
        self._finalizer()


def _remove_file(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


_UNIQUE_CAP = 100_000  # distinct target values tracked by the first pass


class FileSource(BatchSource):
    """A CSV/Parquet file (or folder of Parquet files) streamed for training, in bounded memory.

    Give it to ``Classifier.fit`` / ``Regressor.fit`` (or ``shallownet.train``) in place of
    ``X, y``. A first pass reads what training in memory computes up front: the row count,
    the classes (or the target's mean and spread) and the standardisation statistics
    (:class:`RunningMoments`), and keeps the training rows, converted to float32, in a
    temporary file (:class:`Spill`); each epoch then reads that file's batches in a fresh
    random order and mixes their rows in a :class:`~shallownet.solvers.minibatch.ShuffleBuffer`
    -- no CSV parsing after the first pass. Without room for the spill in the temporary folder
    (or with ``spill=False``, or training in float64) each epoch reads the file again: Parquet
    row groups in a fresh random order, a CSV in file order (``note`` says so). Columns, task
    and labels follow the same rules as :func:`shallownet.data.load`. The spill is removed when
    a fit ends (``close`` removes it too; ``with FileSource(...) as source:`` works).

    Parameters
    ----------
    path : str or path
        A .csv/.tsv/.parquet/.pq file or a folder of Parquet files.
    target, task, drop, features, decimal
        As for :func:`shallownet.data.load`.
    standardise : bool, default True
        Train on (x - mean) / std and fold it into W_H, b_H afterwards (and a regression target
        into W_O, b_O), as the ``train`` command does: the fitted model predicts on raw rows.
    validation_fraction, test_fraction : float
        Rows held out by a hash of their index (the same rows in every epoch): validation rows
        (kept in memory, up to ``memory`` / 4 bytes of them) for early stopping, test rows for
        :meth:`evaluate`.
    seed : int
        Chooses the held-out rows.
    memory : int
        Bytes for the shuffle buffer (and the cap on validation rows kept in memory).
    spill : bool, default True
        Keep the training rows in a temporary file for the epochs (see above).

    Attributes
    ----------
    note : str or None
        After the first pass: why the epochs re-read the file instead of a spill, if they do.
    """

    def __init__(self, path, target: str | None = None, *, task: str | None = None, drop=None,
                 features=None, decimal: str | None = None, standardise: bool = True,
                 validation_fraction: float = 0.0, test_fraction: float = 0.0, seed: int = 0,
                 memory: int = 64 << 20, require_target: bool = True,
                 model_target: str | None = None, n_features: int | None = None,
                 spill: bool = True):
        from . import schema
        from .readers import open_file

        if task is not None and task not in schema.TASKS:
            raise DataError(f"task must be 'classification' or 'regression', got {task!r}")
        for name, v in (("validation_fraction", validation_fraction),
                        ("test_fraction", test_fraction)):
            if not 0.0 <= v < 1.0:
                raise DataError(f"{name} must be in [0, 1), got {v}")
        self.fmt = open_file(path, decimal)
        drop = [] if drop is None else list(dict.fromkeys(str(d) for d in drop))
        cols = schema.choose_columns(self.fmt.names, self.fmt.source, target=target,
                                     features=None if features is None else list(features),
                                     drop=drop, require_target=require_target,
                                     model_target=model_target, n_features=n_features,
                                     row_labels=self.fmt.row_labels)
        self.columns = cols
        self.feature_names = cols.features
        self.target_name = cols.target
        self.n_features = len(cols.features)
        self.task_given = task
        self.standardise = standardise
        self.validation_fraction = float(validation_fraction)
        self.test_fraction = float(test_fraction)
        self.seed = int(seed)
        self.memory = int(memory)
        self.dtype = np.dtype(np.float32)
        self.source = self.fmt.source
        self.what = schema.describe_target(cols.target, cols.note)
        self._prepared = False
        self.use_spill = bool(spill)
        self.note = None
        self._spill = None

    # ------------------------------------------------------------------ first pass
    def _labels(self, col):
        from . import schema
        return schema.labels_from_arrow(col, self.source, self.what, self.fmt.decimal,
                                        parse_text=self.fmt.kind == "csv")

    def raw_labels(self, col) -> np.ndarray:
        """A batch's labels as ``load`` gives them, without the first pass: whole numbers as
        int64, other numbers as float64, text as str."""
        lab = self._labels(col)
        if lab.boolean:
            return lab.values.astype(bool)
        if lab.numeric:
            return lab.values.astype(np.int64) if lab.whole else lab.values
        return lab.values.astype(str).astype(object)

    def features_and_labels(self, dtype=np.float32, check: bool | str = True):
        """(X block, raw labels or None) through the whole file, in file order."""
        for block, col, _ in self._blocks(dtype, check=check):
            yield block, (None if col is None else self.raw_labels(col))

    def _blocks(self, dtype=np.float32, units=None, batch_rows=None, check=True):
        """(X block, target column, row roles) per record batch, with global row indices."""
        start = 0
        # a float32 block is an eighth of the memory budget (its copies and temporaries stay
        # within it); not under 4096 rows, which pyarrow reads slowly
        rows = batch_rows or max(4096, min(65536, self.memory // (32 * self.n_features)))
        for block, y in blocks(self.fmt, self.feature_names, self.target_name, dtype=dtype,
                               batch_rows=rows, units=units, check=check):
            n = block.shape[0]
            yield block, y, np.arange(start, start + n)
            start += n

    def prepare(self) -> FileSource:
        """The first pass: counts, classes or target statistics, moments, validation rows."""
        if self._prepared:
            return self
        from . import schema

        d = self.n_features
        moments, y_moments = RunningMoments(d), RunningMoments(1)
        counts = np.zeros(3, np.int64)
        numeric = whole = boolean = True
        text_integers = False
        uniq_num, uniq_text, n_distinct_capped = np.empty(0), set(), False
        val_X, val_y, val_rows = [], [], 0
        val_cap = max(1, (self.memory // 4) // (8 * d))
        missing, first_missing = 0, -1
        spill = self._start_spill()
        try:
            # the same row order as the file: row indices give the roles
            for block, col, index, roles in self._first_pass_blocks(spill):
                counts += np.bincount(roles, minlength=3)
                keep = roles != 2
                moments.update(block[keep])
                try:
                    lab = self._labels(col)
                except DataError as e:
                    if "missing or non-finite" not in str(e):
                        raise
                    bad = _missing(col)
                    if first_missing < 0:
                        first_missing = int(index[np.argmax(bad)])
                    missing += int(bad.sum())
                    continue
                numeric &= lab.numeric
                whole &= lab.whole
                boolean &= lab.boolean
                text_integers |= lab.text_integers
                if not n_distinct_capped:
                    u = np.unique(lab.values)
                    if lab.numeric:
                        uniq_num = np.union1d(uniq_num, u)
                        u = u.astype(np.int64) if lab.whole else u
                    uniq_text.update(str(v) for v in u)
                    n_distinct_capped = len(uniq_text) > _UNIQUE_CAP
                if lab.numeric:
                    y_moments.update(lab.values[keep][:, None])
                take = roles == 1
                if take.any() and val_rows < val_cap:
                    sel = np.flatnonzero(take)[:val_cap - val_rows]
                    val_X.append(block[sel])
                    val_y.append(lab.values[sel])
                    val_rows += sel.size
            if spill is not None:
                spill.finish()
        except BaseException:
            if spill is not None:
                spill.remove()
            raise
        if spill is not None and spill.failed:
            self.note = (f"no room left for a copy of the training rows in {spill.folder} "
                         f"({spill.failed}); {self._rereading}")
            spill = None
        self._spill = spill
        if missing:
            raise DataError(f"{self.source}: the {self.what} has {missing} "
                            f"row{'s' if missing != 1 else ''} with missing or non-finite "
                            f"values (NaN/inf) (first at data row {first_missing + 1}); drop "
                            "those rows")
        n = int(counts.sum())
        if n == 0:
            raise DataError(f"{self.source} has a header but no data rows")
        self.n_total, self.n_rows = n, int(counts[0])
        self.n_validation, self.n_test = int(counts[1]), int(counts[2])
        if self.n_rows == 0:
            raise DataError(f"{self.source}: no rows are left to train on after holding out "
                            "test and validation rows; lower the fractions")
        self.numeric_labels = numeric and not text_integers
        self.boolean_labels = boolean and self.numeric_labels
        distinct = uniq_num if self.numeric_labels else np.asarray(sorted(uniq_text), object)
        if self.boolean_labels and self.task_given is None:
            self.task, self.task_note = "classification", "the target holds True/False"
        else:
            self.task, self.task_note = schema.decide_task(
                n, distinct, self.numeric_labels, self.target_name, self.task_given,
                self.source, self.what,
                n_distinct=None if not n_distinct_capped else _UNIQUE_CAP + 1,
                decimal=self.fmt.decimal)
        if self.task == "classification":
            if self.numeric_labels:
                if not np.all(distinct == np.round(distinct)):
                    schema.labels_for_task(schema.Labels(distinct, True, False), self.task,
                                           self.source, self.what)  # raises: fractions
                self.classes = distinct.astype(bool if self.boolean_labels else np.int64)
            else:
                self.classes = distinct.astype(str).astype(object)
            if self.classes.size < 2:
                raise DataError(f"{self.source}: the {self.what} has a single class "
                                f"({self.classes[0]!r}); classification needs at least two")
            self.n_outputs = int(self.classes.size)
        else:
            if not self.numeric_labels:
                schema.labels_for_task(schema.Labels(distinct, False, False), self.task,
                                       self.source, self.what)  # raises: not numeric
            self.n_outputs = 1
        self.mean = moments.mean if self.standardise else np.zeros(d)
        std = moments.std
        self.scale = np.where(std > 0, std, 1.0) if self.standardise else np.ones(d)
        self.y_mean, self.y_scale = 0.0, 1.0
        if self.task == "regression" and self.standardise:
            self.y_mean = float(y_moments.mean[0])
            self.y_scale = float(y_moments.std[0]) or 1.0
        self._val = (np.concatenate(val_X) if val_X else np.empty((0, d)),
                     np.concatenate(val_y) if val_y else np.empty(0))
        self._prepared = True
        return self

    @property
    def _rereading(self) -> str:
        return ("each epoch reads the row groups again, in a random order"
                if self.fmt.kind != "csv" else "each epoch reads the file again, in file order")

    def _start_spill(self):
        """A :class:`Spill` for the first pass, or None (with ``note`` saying why)."""
        if not self.use_spill or self.target_name is None:
            return None
        rows = estimate_rows(self.fmt)
        fits, folder = Spill.fits(rows, self.n_features)
        if not fits:
            self.note = (f"too little free space in {folder} for a copy of the training rows "
                         f"(about {rows * 4 * self.n_features / 2 ** 20:.0f} MiB); "
                         f"{self._rereading}")
            return None
        # batches of a sixteenth of the shuffle buffer: each buffer mixes many random pieces
        buffer_rows = self.memory // (4 * self.n_features)
        return Spill(self.n_features, max(256, buffer_rows // 16))

    def _first_pass_blocks(self, spill):
        """The first pass's blocks with their rows' roles; the training rows are spilled."""
        for block, col, index in self._blocks(np.float32):
            roles = row_roles(index, self.seed, self.test_fraction, self.validation_fraction)
            if spill is not None:
                train = roles == 0
                if train.any():
                    spill.write(block[train], col.filter(pa.array(train)))
            yield block, col, index, roles

    def close(self) -> None:
        """Remove the spill file of the training rows (the next fit writes it again)."""
        if self._spill is not None:
            self._spill.remove()
            self._spill = None

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ conversions
    def _y(self, col) -> np.ndarray:
        """The labels of a batch as ``Dataset.y`` holds them (classes, or float values)."""
        lab = self._labels(col)
        if self.task == "classification":
            if self.numeric_labels:
                return lab.values.astype(bool if self.boolean_labels else np.int64)
            return lab.values.astype(str).astype(object)
        return lab.values.astype(np.float64)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """``y`` in the form ``train`` takes: class indices, or standardised values."""
        if self.task == "classification":
            return np.searchsorted(self.classes, y)
        return (y - self.y_mean) / self.y_scale

    def _standardised(self, X: np.ndarray) -> np.ndarray:
        """(X - mean) / std in the training dtype, in place where X is a fresh block."""
        X = X.astype(self.dtype, copy=False)
        if not self.standardise:
            return X
        if not X.flags.writeable:
            X = X.copy()
        X -= self.mean.astype(X.dtype)
        X *= (1.0 / self.scale).astype(X.dtype)
        return X

    def validation_data(self):
        """(X_val, y_val) for ``train``: the held-out validation rows, prepared like batches."""
        self.prepare()
        X, y = self._val
        if X.shape[0] == 0:
            return None
        return self._standardised(X), self._targets(y)

    # ------------------------------------------------------------------ BatchSource
    def bind(self, net, batch_size: int) -> None:
        self.prepare()
        from ..solvers.minibatch import ShuffleBuffer

        self.dtype = np.dtype(net.dtype)
        self.net = net
        if self.dtype != np.float32:  # the spill holds float32 rows: read the file instead
            self.close()
        elif self._spill is None and self.use_spill and self.note is None:
            self._respill()  # removed after an earlier fit
        sample = self.classes[:1] if self.task == "classification" else np.zeros(1)
        T = net.encode_targets(self._targets(sample), 1)
        rows = max(batch_size, self.memory // max(1, self.n_features * self.dtype.itemsize))
        shift = scale = None
        if self.standardise:  # each batch is standardised as it leaves the buffer
            shift, scale = self.mean.astype(self.dtype), self.scale.astype(self.dtype)
        self.buffer = ShuffleBuffer(rows, self.n_features, self.dtype, T.shape[1:], T.dtype,
                                    batch_size, shift=shift, scale=scale)

    def _respill(self) -> None:
        spill = self._start_spill()
        if spill is None:
            return
        try:
            for _ in self._first_pass_blocks(spill):
                pass
            spill.finish()
        except BaseException:
            spill.remove()
            raise
        if spill.failed:
            self.note = (f"no room left for a copy of the training rows in {spill.folder} "
                         f"({spill.failed}); {self._rereading}")
        else:
            self._spill = spill

    def _units(self, rng):
        if self.fmt.kind == "csv":
            return None
        units = self.fmt.parquet_units()
        if rng is not None:
            units = [units[i] for i in rng.permutation(len(units))]
        return units

    def _train_blocks(self, rng):
        """(raw X, encoded targets) of the training rows: from the spill when there is one."""
        if self._spill is not None:
            for X, col in self._spill.batches(rng):
                yield X, self.net.encode_targets(self._targets(self._y(col)), X.shape[0])
            return
        units = self._units(rng)
        if units is None:
            parts = self._blocks(self.dtype)
        else:  # row groups in a fresh order: the row indices come from the unit's offset
            offsets = self._unit_offsets()
            parts = (
                (block, col, offsets[u] + index)
                for u in units
                for block, col, index in self._blocks(self.dtype, units=[u]))
        for block, col, index in parts:
            roles = row_roles(index, self.seed, self.test_fraction, self.validation_fraction)
            keep = roles == 0
            if not keep.any():
                continue
            X = block[keep] if not keep.all() else block
            y = self._y(col)
            yield X, self.net.encode_targets(self._targets(y[keep]), X.shape[0])

    def _unit_offsets(self) -> dict:
        if not hasattr(self, "_offsets"):
            import pyarrow.parquet as pq

            self._offsets, start = {}, 0
            for f, g in self.fmt.parquet_units():
                self._offsets[(f, g)] = start
                with pq.ParquetFile(f) as pf:
                    start += pf.metadata.row_group(g).num_rows
        return self._offsets

    def epoch(self, rng):
        yield from self.buffer.feed(self._train_blocks(rng), rng)

    # ------------------------------------------------------------------ after training
    def fold_into(self, net) -> None:
        """Fold the standardisation into the trained network so that it takes raw rows."""
        from ..preprocessing import fold_standardisation, fold_target_standardisation

        if self.standardise:
            fold_standardisation(net, self.mean, self.scale)
            if self.task == "regression":
                fold_target_standardisation(net, self.y_mean, self.y_scale)

    def unfold_from(self, net) -> None:
        """Take this source's standardisation out of a network that takes raw rows (the
        inverse of :meth:`fold_into`): a fitted model continues training on this stream."""
        from ..preprocessing import fold_standardisation, fold_target_standardisation

        if self.standardise:
            fold_standardisation(net, -self.mean / self.scale, 1.0 / self.scale)
            if self.task == "regression":
                fold_target_standardisation(net, -self.y_mean / self.y_scale,
                                            1.0 / self.y_scale)

    def held_out(self, role: str = "test"):
        """(X, y) blocks of the test (or validation) rows, raw, for scoring a fitted model."""
        self.prepare()
        want = {"validation": 1, "test": 2, "train": 0}[role]
        for block, col, index in self._blocks(np.float32):
            roles = row_roles(index, self.seed, self.test_fraction, self.validation_fraction)
            take = roles == want
            if take.any():
                yield block[take], self._y(col)[take]


    def score(self, model, role: str = "test") -> list[tuple[str, float]]:
        """Accuracy (classifier) or R^2, MSE, MAE (regressor) of a fitted model on the held-out
        rows, accumulated block by block."""
        import warnings

        self.prepare()
        held = {"test": self.n_test, "validation": self.n_validation}.get(role)
        if held == 0:
            raise ValueError(f"{self.source}: this source holds out no {role} rows "
                             f"({role}_fraction=0); create it with "
                             f"FileSource(..., {role}_fraction=0.2) to score on rows that "
                             "training never sees")
        classifier = hasattr(model, "classes_")
        if classifier != (self.task == "classification"):
            raise ValueError(f"{self.source}: the {self.what} makes a {self.task} task and the "
                             f"model is a {'classifier' if classifier else 'regressor'}; score "
                             "a model of the source's own task")
        acc = ScoreAccumulator(classifier)
        with warnings.catch_warnings():  # the columns were matched by name already
            warnings.filterwarnings("ignore", message=".*does not have valid feature names")
            for X, y in self.held_out(role):
                acc.add(y, in_chunks(model.predict, X))
        return acc.rows()


def in_chunks(fn, X: np.ndarray, rows: int = 8192) -> np.ndarray:
    """``fn(X)`` over slices of ``rows`` rows: a prediction's hidden layer stays small."""
    if X.shape[0] <= rows:
        return fn(X)
    return np.concatenate([fn(X[i:i + rows]) for i in range(0, X.shape[0], rows)])


class ScoreAccumulator:
    """Metrics of predictions that arrive block by block."""

    def __init__(self, classifier: bool):
        self.classifier = classifier
        self.n, self.correct, self.sq, self.abs = 0, 0, 0.0, 0.0
        self.y = RunningMoments(1)

    def add(self, y, pred) -> None:
        self.n += len(y)
        if self.classifier:
            self.correct += int(np.sum(np.asarray(pred) == np.asarray(y)))
            return
        y = np.asarray(y, np.float64).reshape(len(y), -1)[:, 0]
        r = y - np.asarray(pred, np.float64).reshape(len(y), -1)[:, 0]
        self.sq += float(r @ r)
        self.abs += float(np.abs(r).sum())
        self.y.update(y[:, None])

    def rows(self) -> list[tuple[str, float]]:
        if not self.n:
            return []
        if self.classifier:
            return [("accuracy", self.correct / self.n)]
        total = float(self.y.m2[0])
        r2 = 1.0 - self.sq / total if total > 0 else (1.0 if self.sq == 0 else 0.0)
        return [("R^2", r2), ("MSE", self.sq / self.n), ("MAE", self.abs / self.n)]


def _missing(col) -> np.ndarray:
    """Missing target cells of a batch (null, empty text, NaN or inf)."""
    import pyarrow.compute as pc

    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        text = pc.utf8_trim_whitespace(col)
        bad = np.asarray(pc.or_kleene(pc.is_null(text), pc.equal(text, "")).fill_null(True))
        lower = np.asarray(pc.utf8_lower(text).fill_null(""), dtype=object)
        return bad | np.isin(lower, ["nan", "inf", "-inf", "+inf"])
    if pa.types.is_floating(col.type):
        v = col.to_numpy(zero_copy_only=False)
        return ~np.isfinite(v) | np.asarray(col.is_null())
    return np.asarray(col.is_null())


# ------------------------------------------------------------------------- memory budget
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
          "g": 1 << 30, "gb": 1 << 30, "t": 1 << 40, "tb": 1 << 40}
#: In-memory training holds about this many float32 copies of the data at its peak: one X,
#: plus the held-out and validation rows and pyarrow's reading blocks (measured with
#: benchmarks/data.py: X + 95-106 MB for a 60 MB X), rounded up.
IN_MEMORY_COPIES = 2
_BASE_BYTES = 300 << 20


def parse_size(text: str) -> int:
    """Bytes from ``"600M"``, ``"2G"``, ``"1.5GB"``, ``"1048576"`` (powers of 1024)."""
    import re

    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(text))
    unit = m.group(2).lower().replace("ib", "b") if m else None
    if unit not in _UNITS:
        raise DataError(f"memory size {text!r} is not a size; write it like 600M or 2G")
    value = int(float(m.group(1)) * _UNITS[unit])
    if value < 32 << 20:
        raise DataError(f"memory size {text!r} is too small; give at least 32M")
    return value


def available_memory() -> int:
    """MemAvailable from /proc/meminfo (bytes), or 4 GiB where the system does not say."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 << 30


def default_memory_limit() -> int:
    """Half of the memory available now: the budget when --memory-limit is not given."""
    return available_memory() // 2


def float32_size(fmt: FileFormat, n_columns: int | None = None) -> int:
    """The float32 size of a file's data, in bytes (estimated from its first rows for CSV)."""
    d = len(fmt.names) if n_columns is None else n_columns
    return estimate_rows(fmt) * d * 4


def estimate_rows(fmt: FileFormat) -> int:
    """The rows of a file: exact for Parquet; for CSV the file size over the mean bytes of
    a row in the first MiB."""
    import os

    rows = fmt.count_rows()
    if rows is None:
        size = os.stat(fmt.path).st_size
        with open(fmt.path, "rb") as f:
            head = f.read(1 << 20)
        lines = head.split(b"\n")
        sample = lines[1:-1] if len(lines) > 2 else lines
        per_row = max(1.0, sum(len(x) + 1 for x in sample) / max(1, len(sample)))
        rows = int(size / per_row)
    return int(rows)


def should_stream(fmt: FileFormat, limit: int, n_columns: int | None = None) -> bool:
    """True when training in memory would need more than ``limit`` bytes."""
    return IN_MEMORY_COPIES * float32_size(fmt, n_columns) + _BASE_BYTES > limit


def buffer_bytes(limit: int) -> int:
    """The shuffle buffer for a memory limit: an eighth of it, between 8 MiB and 256 MiB."""
    return int(min(256 << 20, max(8 << 20, limit // 8)))

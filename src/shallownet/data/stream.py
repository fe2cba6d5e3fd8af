"""Record batches of a file as blocks of the feature matrix, and the statistics of a stream.

Every read of a file goes through :func:`blocks`: pyarrow hands over record batches of the
selected columns only, and each batch becomes a (rows, N_i) block straight in the training
dtype (float32 by default): no float64 detour, no Python lists. The in-memory loader stacks
the blocks once; streamed training (:class:`FileSource`) visits them epoch after epoch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .readers import DataError, FileFormat, _ConversionError, columns_list, looks_like_decimal_comma

__all__ = ["blocks", "stack_blocks", "RunningMoments"]

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
           dtype=np.float32, batch_rows: int | None = None, check: bool = True,
           units=None) -> Iterator[tuple[np.ndarray, pa.Array | None]]:
    """(X block, target column) per record batch; X in ``dtype``, the target as arrow.

    ``check`` refuses NaN, missing and infinite features (after the whole pass, so the message
    counts every row) and names values too large for float32.
    """
    dtype = np.dtype(dtype)
    _check_feature_types(fmt, features)
    columns = list(features) + ([target] if target is not None else [])
    types = {f: _FLOAT_TYPES[dtype] for f in features}
    if target is not None and fmt.kind == "csv":
        types[target] = pa.string()  # labels read as text, converted exactly later
    if units is None:
        batches = fmt.batches(columns, types, batch_rows)
    else:
        batches = (b for u in units for b in fmt.read_unit(u, columns, batch_rows))
    bad, n = _Bad(), 0
    try:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            block = _to_block(batch, len(features), dtype)
            if check and not np.isfinite(block).all():
                bad.add(block, n)
            n += batch.num_rows
            yield block, (batch.column(len(features)) if target is not None else None)
    except _ConversionError as e:
        raise _explain_conversion(fmt, features, e) from None
    if check and bad.rows:
        raise _explain_bad(fmt, features, bad, n, dtype)


def _to_block(batch: pa.RecordBatch, d: int, dtype: np.dtype) -> np.ndarray:
    arrow = _FLOAT_TYPES[dtype]
    cols = [c if c.type == arrow else c.cast(arrow) for c in batch.columns[:d]]
    tensor = pa.RecordBatch.from_arrays(cols, names=[str(j) for j in range(d)]).to_tensor(
        null_to_nan=True, row_major=True)
    return np.asarray(tensor)


def stack_blocks(parts: list[np.ndarray], d: int, dtype) -> np.ndarray:
    """One (N, d) array from blocks, freeing each block once copied.

    ``np.empty`` of a large array maps pages that become resident only when written, so the
    peak stays near one copy of the data plus one block.
    """
    n = sum(p.shape[0] for p in parts)
    X = np.empty((n, d), dtype)
    start = 0
    while parts:
        p = parts.pop(0)
        X[start:start + p.shape[0]] = p
        start += p.shape[0]
        del p
    return X


def _explain_conversion(fmt: FileFormat, features, e: _ConversionError) -> DataError:
    """Which feature columns hold text, read again without types (an error path only)."""
    table = fmt.read_all(features)
    text = [n for n in features if not (pa.types.is_integer(table[n].type)
                                        or pa.types.is_floating(table[n].type)
                                        or pa.types.is_null(table[n].type))]
    if not text:
        return DataError(f"{fmt.source} does not parse: {e}")
    if fmt.decimal == "." and any(looks_like_decimal_comma(table[n].drop_null().to_pylist()[:50])
                                  for n in text):
        return DataError(
            f"{fmt.source}: feature columns {columns_list(text)} hold numbers written with a "
            f"decimal comma (e.g. {e.value!r}); read the file with --decimal , (decimal=',')")
    return DataError(f"{fmt.source}: non-numeric feature columns {columns_list(text)}; encode "
                     "them as numbers first (e.g. one-hot or ordinal codes) or drop them")


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
        "those rows first")


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

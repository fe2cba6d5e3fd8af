"""scipy.sparse inputs: CSR rows densified a few at a time, never the whole matrix.

A sparse X (CSR, CSC, COO, as a matrix or an array; what a ``ColumnTransformer`` with a
``OneHotEncoder`` or a ``TfidfVectorizer`` hands on) is converted to CSR once, with its stored
values cast to the network's dtype. The products of (10a) then run on dense rows as for a
dense X: each mini-batch is gathered from the CSR matrix into the training loop's dense batch
buffer (:func:`gather_rows`), and each block of rows of a prediction or of an L-BFGS pass is
written into a dense scratch block (:func:`rows_into`). The dense rows hold exactly the numbers
``X.toarray()`` holds, so training and prediction on a sparse X give what the same X dense
gives, only without the (N, N_i) dense copy.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse as _sp

__all__ = ["issparse", "as_csr", "values", "gather_rows", "rows_into", "dense_rows",
           "rows_per_block"]

#: Elements of a dense block that a sparse pass densifies at most at a time (16 MiB of
#: float32): bounds the memory of an L-BFGS pass or of the validation scores on wide data.
BLOCK_ELEMENTS = 1 << 22


def issparse(X) -> bool:
    """True for a scipy.sparse matrix or array."""
    return _sp.issparse(X)


def as_csr(X, dtype=None):
    """``X`` as a CSR matrix in canonical form (sorted column indices, no duplicate entries,
    which are added up, as ``toarray`` adds them), its values cast to ``dtype`` when given.
    Only the stored values are touched: the result is never dense. A CSR matrix that is
    canonical already and of that dtype is returned as it is."""
    if X.format != "csr":
        X = X.tocsr()
    if dtype is not None and X.dtype != np.dtype(dtype):
        with np.errstate(over="ignore", invalid="ignore"):  # beyond float32: the caller says
            X = X.astype(dtype)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


def values(A):
    """The stored values of a sparse matrix (what finiteness and range checks look at: the
    implicit zeros are finite), or ``A`` itself when dense."""
    return A.data if _sp.issparse(A) else A


def gather_rows(X, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Rows ``rows`` of the canonical CSR matrix ``X``, dense, into the C-contiguous ``out``
    (len(rows), N_i): the zeros written, then every stored value scattered to its place, cast
    to ``out``'s dtype. One vectorised pass over the rows' stored values."""
    _check_out(out)
    indptr = X.indptr
    starts = indptr[rows]
    lens = indptr[np.asarray(rows) + 1] - starts
    out[...] = 0
    total = int(lens.sum())
    if total:
        # position in X.data of each stored value of the rows, in order of the rows
        offsets = np.cumsum(lens) - lens
        pos = np.arange(total, dtype=np.intp) + np.repeat(starts - offsets, lens)
        flat = np.repeat(np.arange(lens.shape[0], dtype=np.intp) * out.shape[1], lens)
        flat += X.indices[pos]
        out.reshape(-1)[flat] = X.data[pos]
    return out


def _check_out(out: np.ndarray) -> None:
    if not out.flags.c_contiguous:  # (a reshaped copy would take the values, not ``out``)
        raise ValueError("the dense rows need a C-contiguous output array")


def rows_into(X, start: int, stop: int, out: np.ndarray) -> np.ndarray:
    """Rows start:stop of the canonical CSR matrix ``X``, dense, into the C-contiguous ``out``
    (stop - start, N_i), cast to ``out``'s dtype."""
    _check_out(out)
    indptr = X.indptr
    a, b = int(indptr[start]), int(indptr[stop])
    out[...] = 0
    if b > a:
        lens = np.diff(indptr[start:stop + 1])
        flat = np.repeat(np.arange(stop - start, dtype=np.intp) * out.shape[1], lens)
        flat += X.indices[a:b]
        out.reshape(-1)[flat] = X.data[a:b]
    return out


def dense_rows(X, start: int, stop: int, dtype=None) -> np.ndarray:
    """Rows start:stop of the canonical CSR matrix ``X`` as a new dense array."""
    out = np.empty((stop - start, X.shape[1]), X.dtype if dtype is None else dtype)
    return rows_into(X, start, stop, out)


def rows_per_block(n_features: int, most: int) -> int:
    """Rows of a dense block of ``n_features`` columns within :data:`BLOCK_ELEMENTS`
    (at least 1, at most ``most``)."""
    return max(1, min(most, BLOCK_ELEMENTS // max(n_features, 1)))

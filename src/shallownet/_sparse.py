"""scipy.sparse inputs: never the whole matrix dense; wide ones multiplied as sparse.

A sparse X (CSR, CSC, COO, as a matrix or an array; what a ``ColumnTransformer`` with a
``OneHotEncoder`` or a ``TfidfVectorizer`` hands on) is converted to CSR once, with its stored
values cast to the network's dtype. Then, by its width N_i (a property of the network, never of
a batch, so a sample's prediction still does not depend on the other samples in the call):

* N_i < :data:`SPARSE_PRODUCT_MIN_FEATURES` (one-hot codes of a few columns, say): the
  products of (10a) run on dense rows as for a dense X. Each mini-batch is gathered from the
  CSR matrix into the training loop's dense batch buffer (:func:`gather_rows`), and each block
  of rows of a prediction or of an L-BFGS pass is written into a dense scratch block
  (:func:`rows_into`). The dense rows hold exactly the numbers ``X.toarray()`` holds, so
  training and prediction give what the same X dense gives, bit for bit.
* N_i >= :data:`SPARSE_PRODUCT_MIN_FEATURES` (tf-idf, hashed features; in training, when
  at most :data:`SPARSE_TRAINING_MAX_DENSITY` of X is stored): (10a) is the sparse
  product X W_H^T (:func:`times`: each row from its own stored values, about nnz N_h
  multiply-adds instead of N N_i N_h), and dL/dW_H = (dL/dZ_H)^T X touches only the columns
  of W_H that the batch's rows hold a value in (:func:`columns_times`), as scikit-learn's MLP
  does with its sparse products. The numbers agree with the dense X's to float rounding (the
  sums run in another order), not bit for bit; an optimizer that keeps state for every weight
  (Adam, momentum) or an L2 penalty still updates all of W_H each step.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse as _sp

__all__ = ["issparse", "as_csr", "values", "gather_rows", "rows_into", "dense_rows",
           "rows_per_block", "sparse_products", "times", "columns_times"]

#: From this many features on, a sparse X is multiplied as sparse (see the module docstring).
#: Below it, dense rows cost little (at most N_i N_h = 1024 N_h per row) and give the dense
#: matrix's bits.
SPARSE_PRODUCT_MIN_FEATURES = 1024
#: Training multiplies as sparse only a matrix at most this dense: a sparse step has fixed
#: costs per batch (the batch's rows and columns gathered, the columns of W_H updated), and
#: at 1,024 columns and 12.5% stored an epoch took 2.1x the dense rows' (5%: 1.3x; 3% at 4,096
#: columns: the same; 1% at 8,192: half). Prediction pays no such costs and multiplies as
#: sparse from SPARSE_PRODUCT_MIN_FEATURES whatever the density (2.6x faster at 12.5%).
SPARSE_TRAINING_MAX_DENSITY = 1 / 32

#: Elements of a dense block that a sparse pass densifies at most at a time (16 MiB of
#: float32): bounds the memory of an L-BFGS pass or of the validation scores on wide data.
BLOCK_ELEMENTS = 1 << 22


def issparse(X) -> bool:
    """True for a scipy.sparse matrix or array. A numpy array is told by its type first:
    scipy's test costs about a microsecond (an abstract-class check), and a one-row
    prediction asks three times."""
    return type(X) is not np.ndarray and _sp.issparse(X)


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
    return A.data if issparse(A) else A


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


def sparse_products(X, training: bool = False) -> bool:
    """Whether ``X`` is a sparse matrix wide enough to be multiplied as sparse (for
    ``training``, also sparse enough: at most SPARSE_TRAINING_MAX_DENSITY of it stored). For
    prediction the answer depends on the width alone, never on the rows in the call."""
    if not (issparse(X) and X.shape[1] >= SPARSE_PRODUCT_MIN_FEATURES):
        return False
    return not training or X.nnz <= SPARSE_TRAINING_MAX_DENSITY * X.shape[0] * X.shape[1]


def times(X, W_t: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """X W_t for a canonical CSR ``X`` (n, N_i) and a dense ``W_t`` (N_i, k), e.g. W_H^T in
    (10a): row i is the sum over row i's stored values x_ij of x_ij W_t[j], in the order of
    their columns (scipy's CSR product), so it depends on row i alone. Into ``out`` when
    given. ``W_t`` is used as it is when C-contiguous (W_H^T of a column-major W_H is)."""
    if not W_t.flags.c_contiguous:
        W_t = np.ascontiguousarray(W_t)
    Z = np.asarray(X @ W_t)
    if out is None:
        return Z
    out[...] = Z
    return out


def columns_times(X, dZ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(cols, G)``: the columns in which the canonical CSR ``X`` (n, N_i) holds a value, and
    G = X[:, cols]^T dZ (len(cols), k) for a dense ``dZ`` (n, k). With dZ = dL/dZ_H this is
    dL/dW_H^T = X^T dL/dZ_H on those columns; every other column of it is zero."""
    cols, where = np.unique(X.indices, return_inverse=True)
    Xc = _sp.csr_matrix((X.data, where.astype(X.indices.dtype, copy=False), X.indptr),
                        shape=(X.shape[0], cols.size))
    return cols, np.asarray(Xc.T @ np.ascontiguousarray(dZ))

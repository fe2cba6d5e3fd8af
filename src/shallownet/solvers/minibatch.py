"""Where the epoch loop gets its mini-batches: an array in memory or a stream of blocks.

``training.train`` runs (21) over whatever a :class:`BatchSource` yields, so training in
memory and training on a file larger than memory share one loop (as JAX's ``data_stream``
feeds its ``update``). A source hands out ``(X_b, T_b)`` pairs: X_b (n, N_i) in the network's
dtype and T_b the targets in the loss's form (``Network.encode_targets``), valid until the
next pair is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .._sparse import gather_rows, issparse, sparse_products

__all__ = ["BatchSource", "ArrayBatches", "ShuffleBuffer"]


class BatchSource:
    """Mini-batches for the epoch loop; subclasses define :meth:`epoch`.

    Attributes
    ----------
    n_rows : int
        Training samples per epoch (N).
    n_features : int
        N_i.
    """

    n_rows: int = 0
    n_features: int = 0

    def bind(self, net, batch_size: int) -> None:
        """Called by ``train`` before the first epoch with the network being trained."""

    def epoch(self, rng: np.random.Generator | None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One pass over the training samples; ``rng`` None keeps the stored order."""
        raise NotImplementedError


class ArrayBatches(BatchSource):
    """Batches gathered from arrays in memory, in a fresh permutation each epoch.

    With sample weights ``S`` (N,), each batch is a triple ``(X_b, T_b, S_b)``.

    ``rows`` trains on those rows of ``X`` only (T and S then hold one entry per row of
    ``rows``), and ``shift``/``scale`` standardise each gathered batch as (x - shift) / scale:
    the train workflow's split and scaling without a second copy of X. The batch buffer is
    the only place the rows are copied to.

    ``X`` may be a canonical CSR matrix (``shallownet._sparse.as_csr``) of the network's
    dtype: each batch's rows are then written dense into the same batch buffer
    (``_sparse.gather_rows``), one batch at a time, with the numbers ``X.toarray()`` holds;
    the whole dense matrix is never built. A wide and sparse one
    (``_sparse.sparse_products(X, training=True)``) hands out each batch's rows as a CSR matrix
    instead, which the training step multiplies as sparse.
    """

    def __init__(self, X: np.ndarray, T: np.ndarray, S: np.ndarray | None = None, *,
                 rows: np.ndarray | None = None, shift: np.ndarray | None = None,
                 scale: np.ndarray | None = None):
        self.X, self.T, self.S = X, T, S
        self.rows = None if rows is None else np.ascontiguousarray(rows, dtype=np.intp)
        self.shift, self.scale = shift, scale
        self.n_rows = X.shape[0] if rows is None else self.rows.shape[0]
        self.n_features = X.shape[1]
        #: whether each batch's rows are handed out as a CSR matrix (a wide, sparse X)
        self.sparse_rows = sparse_products(X, training=True)

    def matrix(self) -> np.ndarray:
        """The whole training matrix (a copy when ``rows`` or a scaling applies); a sparse
        ``X`` stays sparse (CSR), and cannot be standardised (that would make it dense)."""
        X = self.X if self.rows is None else self.X[self.rows]
        if self.shift is not None and issparse(X):
            raise ValueError("a sparse X is not standardised row by row here: standardise it "
                             "before (e.g. sklearn.preprocessing.MaxAbsScaler keeps it sparse)")
        return X if self.shift is None else self._standardise(X.copy() if X is self.X else X)

    def _standardise(self, Xb: np.ndarray) -> np.ndarray:
        Xb -= self.shift
        Xb /= self.scale
        return Xb

    def bind(self, net, batch_size: int) -> None:
        B = min(batch_size, self.n_rows)
        self.B = B
        self.Xb = (None if self.sparse_rows  # (batches stay sparse: no dense buffer)
                   else np.empty((B, self.n_features), self.X.dtype))
        self.Tb = np.empty((B,) + self.T.shape[1:], self.T.dtype)
        self.Sb = None if self.S is None else np.empty(B, self.S.dtype)
        self.Rb = None if self.rows is None else np.empty(B, np.intp)

    def epoch(self, rng):
        N, B, Xb, Tb = self.n_rows, self.B, self.Xb, self.Tb
        sparse, as_sparse = issparse(self.X), self.sparse_rows
        order = rng.permutation(N) if rng is not None else np.arange(N)
        for start in range(0, N, B):
            idx = order[start:start + B]
            n = idx.shape[0]
            # mode="clip" skips a bounds check that would stage the rows through a
            # temporary buffer; idx is a permutation of 0..N-1, always in range
            # (the arrays' own take: numpy's np.take adds a Python call around it, ~0.5 us)
            rows = idx if self.rows is None else self.rows.take(idx, out=self.Rb[:n])
            if as_sparse:  # this batch's rows, a CSR matrix of their own
                X_b = self.X[rows]
            elif sparse:  # this batch's rows, dense, into the batch buffer
                X_b = gather_rows(self.X, rows, Xb[:n])
            else:
                X_b = self.X.take(rows, axis=0, out=Xb[:n], mode="clip")
            if self.shift is not None:
                self._standardise(X_b)
            self.T.take(idx, axis=0, out=Tb[:n], mode="clip")
            if self.S is None:
                yield X_b, Tb[:n]
            else:
                yield X_b, Tb[:n], self.S.take(idx, out=self.Sb[:n], mode="clip")


class ShuffleBuffer:
    """Mixes the rows of a stream of blocks: fill ``rows`` rows, permute, hand out batches.

    The rows left over when a buffer does not divide into whole batches move on to the next
    buffer, so every batch but the epoch's last one is full. With ``shift`` and ``scale``, each
    batch is standardised as (x - shift) / scale as it is handed out.
    """

    def __init__(self, rows: int, n_features: int, dtype, t_shape: tuple, t_dtype,
                 batch_size: int, *, shift=None, scale=None):
        self.B = batch_size
        self.shift, self.scale = shift, scale
        rows = max(rows, 2 * batch_size)
        self.X = np.empty((rows, n_features), dtype)
        self.T = np.empty((rows,) + t_shape, t_dtype)
        self.Xb = np.empty((batch_size, n_features), dtype)
        self.Tb = np.empty((batch_size,) + t_shape, t_dtype)
        self.fill = 0

    def feed(self, blocks, rng) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Batches from ``blocks`` ((X, T) pairs), shuffled within each buffer of rows."""
        self.fill = 0
        cap = self.X.shape[0]
        for Xs, Ts in blocks:
            start = 0
            while start < Xs.shape[0]:
                k = min(cap - self.fill, Xs.shape[0] - start)
                self.X[self.fill:self.fill + k] = Xs[start:start + k]
                self.T[self.fill:self.fill + k] = Ts[start:start + k]
                self.fill += k
                start += k
                if self.fill == cap:
                    yield from self._drain(rng, keep_partial=True)
        yield from self._drain(rng, keep_partial=False)

    def _drain(self, rng, keep_partial: bool):
        n = self.fill
        order = rng.permutation(n) if rng is not None else np.arange(n)
        full = n - n % self.B if keep_partial else n
        for start in range(0, full, self.B):
            idx = order[start:start + self.B]
            m = idx.shape[0]
            np.take(self.X, idx, axis=0, out=self.Xb[:m], mode="clip")
            if self.shift is not None:
                self.Xb[:m] -= self.shift
                self.Xb[:m] /= self.scale
            np.take(self.T, idx, axis=0, out=self.Tb[:m], mode="clip")
            yield self.Xb[:m], self.Tb[:m]
        rest = order[full:]
        if rest.size:  # carry the leftover rows to the front of the next buffer
            self.X[:rest.size] = self.X[rest]
            self.T[:rest.size] = self.T[rest]
        self.fill = rest.size

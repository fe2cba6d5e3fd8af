"""Fast kernels: the training step (:class:`Workspace`) and prediction in fixed row blocks.

The training step
-----------------
:class:`Workspace` runs forward (10a)/(10b) and back-propagation (section 3, Problem 1) on a
mini-batch in preallocated buffers, with every product handed to BLAS in its fastest layout,
and can fuse the SGD update (21) into the weight-gradient products. ``tests/test_kernels.py``
holds a plain-numpy twin that reads like the equations and checks this against it.

Batch-independent prediction
----------------------------
A float32 matrix product can round a sample's z_H differently depending on how many rows share
the call: BLAS libraries pick a kernel by the matrix shape (OpenBLAS has "small matrix" kernels
for M N below about a thousand, and matrix-vector code for one output column), and kernels add
the N_i products of (10a) in different orders. :func:`logits` therefore never hands BLAS a
product whose shape depends on the batch: it cuts the batch into blocks of exactly
:func:`block_rows` rows (padding the last block with zeros) and multiplies block by block, so
every product has the same shape (B, N_i) x (N_i, N_h) and (B, N_h) x (N_h, N_o) whatever the
batch. Within a block each row of the result depends only on that row of the input (the
kernel's summation order does not depend on where the row sits); ``tests/test_kernels.py``
checks that a sample's logits are bit-for-bit the same alone, in any batch and in any order.
A sparse X (CSR) goes through the same blocks: each chunk of rows is made dense as it is cast
(``shallownet._sparse.rows_into``), so its logits are those of ``X.toarray()``, bit for bit. A
wide one (``shallownet._sparse.sparse_products``, decided by N_i alone) has (10a) computed as
a sparse product instead, each row from its own stored values, then the same B-row blocks
for (10b): still independent of the batch, equal to the dense X's logits to float rounding.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
from scipy.linalg import blas

from ._sparse import columns_times, issparse, rows_into, sparse_products, times

__all__ = ["Workspace", "block_rows", "logits"]

# Multiply-adds per block in (10a): OpenBLAS runs a product of at most 2^18 on one thread
# (its SMP threshold), so blocks never wake its threads; the blocks of a large batch are
# shared among a pool of Python threads instead (matmul releases the GIL).
_BLOCK_MACS = 1 << 18
_CHUNK_ELEMENTS = 1 << 18  # z_H elements per task at most (1 MiB in float32): in cache


def block_rows(N_i: int, N_h: int) -> int:
    """Rows per block B: the largest power of two in [16, 256] with B N_i N_h <= 2^18.

    A function of the network's shape only, never of the batch: that is what makes a
    sample's prediction independent of the other samples in the call.
    """
    B = 256
    while B > 16 and B * N_i * N_h > _BLOCK_MACS:
        B //= 2
    return B


_pool_lock = threading.Lock()
_pool: tuple[int, int, ThreadPoolExecutor] | None = None  # (pid, workers, executor)


def _workers() -> int:
    """Threads for a large batch: as many as the BLAS would use (OPENBLAS_NUM_THREADS,
    threadpoolctl limits and the CPU affinity are honoured that way)."""
    from ._threads import _blas

    return max([lib.num_threads for lib in _blas()], default=1)


def _executor(workers: int) -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:  # a forked child starts its own pool: the parent's threads are not there
        if _pool is None or _pool[0] != os.getpid() or _pool[1] != workers:
            _pool = (os.getpid(), workers, ThreadPoolExecutor(workers, "shallownet-predict"))
        return _pool[2]


_local = threading.local()  # each thread's scratch buffers for its chunks
_KEEP_ELEMENTS = 1 << 20      # scratch kept between calls up to this many elements (4 MiB)


def _scratch(name: str, rows: int, cols: int, dt) -> np.ndarray:
    """A (rows, cols) buffer of this thread's, reused from call to call when small."""
    buf = getattr(_local, name, None)
    if buf is None or buf.dtype != dt or buf.size < rows * cols:
        buf = np.empty(rows * cols, dt)
        if buf.size <= _KEEP_ELEMENTS:
            setattr(_local, name, buf)
    return buf[:rows * cols].reshape(rows, cols)


def _chunks(full: int, B: int, width: int, workers: int) -> list[tuple[int, int]]:
    """(start, stop) of the tasks covering rows 0:full (a multiple of B): whole blocks each,
    at most _CHUNK_ELEMENTS of a task's widest array (``width`` = max(N_i, N_h) columns)
    each, unless one block is wider, and as many tasks for every worker, of equal sizes to a
    block, so that no thread is left with one more task than the others at the end."""
    blocks = full // B
    if blocks == 0:
        return []
    most = max(1, _CHUNK_ELEMENTS // (B * max(width, 1)))  # blocks per task at most
    per_worker = -(-blocks // (workers * most))          # tasks per worker
    tasks = min(blocks, workers * per_worker)
    edges = [(blocks * k // tasks) * B for k in range(tasks + 1)]
    return list(pairwise(edges))


def _rows(X: np.ndarray, start: int, stop: int, pad: int, dt, check: bool):
    """Rows start:stop of X as a C-contiguous (pad, N_i) block of dtype ``dt``, zero-padded
    (this thread's scratch when a copy is needed); None when ``check`` finds a NaN or inf.
    A sparse X (canonical CSR) has the rows made dense in the scratch; a wide one
    (``_sparse.sparse_products``) is returned as its CSR rows start:stop, not padded."""
    m = stop - start
    if sparse_products(X):  # a wide sparse X: the rows stay sparse, (10a) multiplies them so
        Xs = X[start:stop]
        if Xs.dtype != dt:
            with np.errstate(over="ignore", invalid="ignore"):  # beyond float32: the check
                Xs = Xs.astype(dt)
        return None if check and not np.isfinite(Xs.data).all() else Xs
    if issparse(X):
        Xc = _scratch("X", pad, X.shape[1], dt)
        with np.errstate(over="ignore", invalid="ignore"):  # beyond float32: the check
            rows_into(X, start, stop, Xc[:m])
        Xc[m:] = 0
    elif pad == m and X.dtype == dt and X.flags.c_contiguous:
        Xc = X[start:stop]
    else:
        Xc = _scratch("X", pad, X.shape[1], dt)
        if X.dtype == dt:
            Xc[:m] = X[start:stop]
        else:
            with np.errstate(over="ignore", invalid="ignore"):  # beyond float32: the check
                np.copyto(Xc[:m], X[start:stop], casting="unsafe")
        Xc[m:] = 0
    if check and not np.isfinite(Xc[:m]).all():
        return None
    return Xc


def _products(Xc: np.ndarray, B: int, W_Ht, W_Ot, b_H, act, out: np.ndarray) -> None:
    """(10a), g_act and (10b) without b_O, for a C-contiguous block of whole B-row blocks,
    into the C-contiguous ``out``: one BLAS product of shape (B, N_i) x (N_i, N_h) and one of
    (B, N_h) x (N_h, N_o) per block, whatever the number of blocks. For CSR rows, (10a) is the
    sparse product (row by row, ``_sparse.times``) into the padded block."""
    N_i, N_h = W_Ht.shape
    Z_H = _scratch("Z_H", out.shape[0], N_h, out.dtype)
    if issparse(Xc):  # CSR rows (the first of the padded block): each row from its own values
        m = Xc.shape[0]
        times(Xc, W_Ht, out=Z_H[:m])                                         # (10a)
        Z_H[m:] = 0
    else:
        np.matmul(Xc.reshape(-1, B, N_i), W_Ht, out=Z_H.reshape(-1, B, N_h))   # (10a)
    Z_H += b_H
    act.g(Z_H, out=Z_H)                                    # u_H = g_act(z_H), in place
    np.matmul(Z_H.reshape(-1, B, N_h), W_Ot, out=out.reshape(-1, B, W_Ot.shape[1]))  # (10b)


#: Inputs up to this magnitude cannot overflow float32 products with weights of ordinary size.
_ORDINARY = 1e15


def _beyond_precision(net, X: np.ndarray, start: int, z: np.ndarray) -> np.ndarray:
    """z_O for rows whose products overflowed the network's precision (finite inputs near
    float32's largest numbers: an inf in z_H, then inf - inf = NaN in z_O): each such row
    again in float64, alone (so still independent of the batch). Returns the chunk's z_O in
    float64 for the probabilities; ``z`` gets them in its own precision (+-inf where they
    exceed it, never NaN). Rows whose z is finite are kept as they are."""
    bad = np.flatnonzero(~np.isfinite(z).all(axis=1))
    exact = z.astype(np.float64)
    if bad.size:
        W_H, b_H, W_O, b_O = (np.asarray(p, np.float64) for p in
                              (net.W_H, net.b_H, net.W_O, net.b_O))
        with np.errstate(over="ignore", invalid="ignore"):
            for r in bad:
                if issparse(X):
                    x = rows_into(X, start + r, start + r + 1,
                                  np.empty((1, X.shape[1]), net.dtype))[0].astype(np.float64)
                else:
                    x = np.asarray(X[start + r], net.dtype).astype(np.float64)
                exact[r] = W_O @ net.activation.g(W_H @ x + b_H) + b_O   # (10a), (10b)
            z[bad] = exact[bad]
    return exact


def _one_block(Xc, W_Ht, W_Ot, b_H, b_O, act, n: int, B: int = 0) -> np.ndarray:
    """z_O of the first ``n`` rows of one padded block: the products _products makes (for
    the ``n`` CSR rows of a wide sparse X, padded to ``B`` rows after (10a))."""
    if issparse(Xc):
        Z_H = np.zeros((1, B, W_Ht.shape[1]), W_Ot.dtype)
        times(Xc, W_Ht, out=Z_H[0, :n])                   # (10a)
    else:
        Z_H = np.matmul(Xc[None], W_Ht)                   # (10a)
    Z_H += b_H
    act.g(Z_H, out=Z_H)
    z = np.matmul(Z_H, W_Ot)[0, :n]                       # (10b)
    z += b_O
    return z


def logits(net, X: np.ndarray, per_chunk=None, check: bool = False) -> np.ndarray | None:
    """z_O of (10a)/(10b) for an (N, N_i) float batch, in the network's precision.

    Every product runs on blocks of exactly ``block_rows(N_i, N_h)`` rows (see the module
    docstring), so row i of the result depends on row i of ``X`` and nothing else. ``X`` may
    be of another float dtype or not contiguous: each chunk of rows is cast on its way in; a
    canonical CSR matrix (``shallownet._sparse.as_csr``) has each chunk made dense then.
    The chunks of a large batch are shared among threads (the calling one included).

    ``per_chunk(N)``, when given, is called once before any product and returns a function
    ``finish(z, start, stop)`` that is then called on each chunk's z_O rows (b_O added) in the
    thread that computed them, e.g. to write the softmax (5) while they are in cache.
    With ``check=True`` each chunk is first tested for NaN and inf in the network's precision
    (so a value beyond float32's range counts too); the result is then None when one is found,
    and the caller's exact checks decide what is wrong.
    """
    dt, act = net.dtype, net.activation
    n, N_i = X.shape
    N_o = net.N_o
    as_sparse = sparse_products(X)
    # rows per block of the products: for the rows of a wide sparse X, of (10b) alone, since
    # their (10a) is computed row by row whatever the block
    B = block_rows(net.N_h, N_o) if as_sparse else block_rows(N_i, net.N_h)
    # W_H^T row-major (a copy when W_H is not column-major): with a column-major (N_i, N_h)
    # operand numpy's stacked product is about three times slower. W_O^T is taken as it is:
    # for the few output columns of (10b) that layout is the faster one. Either way each
    # network always multiplies the same operands, so the bits never depend on the batch.
    W_Ht = np.ascontiguousarray(net.W_H.T)   # (N_i, N_h)
    W_Ot = net.W_O.T                         # (N_h, N_o)
    b_H, b_O = net.b_H, net.b_O
    finish = per_chunk(n) if per_chunk is not None else None
    if n <= B:  # one padded block (one sample, say): its products and nothing more
        if as_sparse:  # a wide sparse X: its rows stay sparse, padded after (10a)
            Xc = _rows(X, 0, n, n, dt, False)
            values = Xc.data
        else:
            Xc = _scratch("X1", B, N_i, dt)   # the same products as _products makes
            if issparse(X):
                with np.errstate(over="ignore", invalid="ignore"):  # beyond float32: the check
                    rows_into(X, 0, n, Xc[:n])
            elif X.dtype == dt:
                Xc[:n] = X
            else:
                with np.errstate(over="ignore", invalid="ignore"):  # beyond float32: the check
                    np.copyto(Xc[:n], X, casting="unsafe")
            Xc[n:] = 0
            values = Xc[:n]
        # inputs of ordinary size cannot overflow the products (short of absurd weights): no
        # error-state switch, which costs as much as a tenth of a one-row call; a NaN fails
        # the comparison too and is then checked for
        # (one BLAS dot: sum x^2 <= _ORDINARY^2 bounds every |x|; NaN, inf and overflow fail)
        square = np.vdot(values, values)
        ordinary = math.isfinite(square) and square <= _ORDINARY * _ORDINARY
        if not ordinary and check and not np.isfinite(values).all():
            return None
        if ordinary:
            z = _one_block(Xc, W_Ht, W_Ot, b_H, b_O, act, n, B)
        else:
            with np.errstate(over="ignore", invalid="ignore"):  # (overflow: redone below)
                z = _one_block(Xc, W_Ht, W_Ot, b_H, b_O, act, n, B)
        exact = z if math.isfinite(np.vdot(z, z)) else _beyond_precision(net, X, 0, z)
        if finish is not None:
            finish(exact, 0, n)
        return z
    Z_O = np.empty((n, N_o), dt)
    failed = []

    def chunk(start: int, stop: int, pad: int) -> None:
        if failed:
            return
        Xc = _rows(X, start, stop, pad, dt, check)
        if Xc is None:
            failed.append(start)
            return
        z = Z_O[start:stop]
        with np.errstate(over="ignore", invalid="ignore"):  # (overflow: redone just below)
            if pad == stop - start:
                _products(Xc, B, W_Ht, W_Ot, b_H, act, z)
            else:  # a padded block: its first rows are kept
                z_pad = _scratch("Z_O", pad, N_o, dt)
                _products(Xc, B, W_Ht, W_Ot, b_H, act, z_pad)
                z[...] = z_pad[:stop - start]
            z += b_O
        exact = z if math.isfinite(np.vdot(z, z)) else _beyond_precision(net, X, start, z)
        if finish is not None:
            finish(exact, start, stop)

    full = n - n % B
    workers = _workers()
    width = net.N_h if as_sparse else max(N_i, net.N_h)  # (sparse rows: z_H is the widest)
    tasks = [(a, b, b - a) for a, b in _chunks(full, B, width, workers)]
    if full < n:  # the last rows, padded with zeros to one whole block
        tasks.append((full, n, B))
    workers = min(workers, len(tasks))
    if workers > 1:
        # the calling thread works too, taking chunks in turn with the pool's threads
        turn = iter(tasks)
        lock = threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    task = next(turn, None)
                if task is None:
                    return
                chunk(*task)

        helpers = [_executor(workers - 1).submit(work) for _ in range(workers - 1)]
        try:
            work()
        finally:
            for f in helpers:
                f.result()
    else:
        for task in tasks:
            chunk(*task)
    return None if failed else Z_O


def finite_by_blas(A: np.ndarray) -> bool:
    """True when a large C-contiguous float matrix has no NaN or inf by its column sums
    (A^T 1) in the training step's BLAS (SciPy's): every NaN or inf reaches a sum. False
    means "not shown" (a small or other array, or a sum that is not finite, maybe a huge
    finite one overflowing): the caller's exact check decides.

    Four times faster than numpy's sum on two threads (5.3 against 21 ms for 60,000 x 784),
    and it wakes the same BLAS threads the training step is about to use, never a second pool.
    """
    if not (A.ndim == 2 and A.size >= 1 << 16 and A.flags.c_contiguous
            and A.dtype in (np.float32, np.float64)):
        return False
    gemv = blas.sgemv if A.dtype == np.float32 else blas.dgemv
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(gemv(1.0, A.T, np.ones(A.shape[0], A.dtype)).sum()))


_fused_module = None


def fused_kernels():
    """The compiled one-pass kernels (:mod:`shallownet._fused`), or None without numba."""
    global _fused_module
    if _fused_module is None:
        try:
            from . import _fused
            _fused_module = _fused
        except ImportError:  # numba is optional (pip install shallownet[fast])
            _fused_module = False
        except Exception:  # e.g. numba finds no writable cache directory: numpy's passes
            _fused_module = False
    return _fused_module or None


#: Samples x hidden units per epoch from which training may load the compiled kernels.
FUSED_MIN_WORK = 1 << 21
#: Rows x hidden units per batch from which training takes them without being asked.
FUSED_AUTO_BATCH_WORK = 1 << 17
#: Batches a training run plans (epochs x batches per epoch) from which it takes them too.
FUSED_AUTO_BATCHES = 50_000


def want_fused(work: int, batch_work: int = 0, batches: int = 0) -> bool:
    """Whether training takes the compiled kernels (numba installed: ``shallownet[fast]``).

    ``SHALLOWNET_NUMBA=0`` never, ``=1`` from FUSED_MIN_WORK samples x hidden units per epoch;
    unset, also only when they pay for numba's import (about 110 MB of resident memory and
    0.3-0.5 s once per process; 2-3 s the first time after an install, when the kernels are
    compiled and cached; docs/benchmarks.md):

    * a large batch, ``batch_work`` = rows x hidden units per batch of at least
      FUSED_AUTO_BATCH_WORK (hidden 512 / batch 256 and up): there the numpy passes between the
      products cost about 40% of an epoch and the kernels cut the epoch by about a third;
    * or a long run, ``batches`` = the epochs asked for x the batches of an epoch of at least
      FUSED_AUTO_BATCHES: the kernels save 40-50 us a batch at hidden 100 (an epoch of the
      60,000 x 784 set 23% shorter at batch 32, 10% at batch 128, with plain SGD; with Adam,
      whose update is then one pass too, 44% shorter at batch 32), at least 2 s over such a
      run (a default ``Classifier`` on 60,000 samples plans 375,000).

    The decision depends on the arguments only, so the same call gives the same weights every
    time (the kernels' sums agree with numpy's to float32's rounding, not bit for bit)."""
    wanted = os.environ.get("SHALLOWNET_NUMBA")
    if wanted == "0" or work < FUSED_MIN_WORK:
        return False
    if wanted != "1" and batch_work < FUSED_AUTO_BATCH_WORK and batches < FUSED_AUTO_BATCHES:
        return False
    return fused_kernels() is not None


class Workspace:
    """Preallocated buffers for forward + backward on batches of up to ``batch_size`` rows.

    The training loop calls :meth:`backprop` or :meth:`sgd_step` once per mini-batch; nothing
    is allocated per batch except a few tiny temporaries. With ``fused=True`` and numba
    installed, the work between the products runs in one compiled pass each
    (:mod:`shallownet._fused`): bias + ReLU (g_act' read back from u_H), bias + softmax +
    loss + dL/dz_O + dL/db_O, and dL/dz_H + dL/db_H; otherwise in numpy's separate passes.
    """

    def __init__(self, net, batch_size: int, fused: bool = False):
        self.net = net
        dt = net.dtype
        self.Z_H = np.empty((batch_size, net.N_h), dt)
        self.U_H = np.empty((batch_size, net.N_h), dt)
        # column-major: the per-sample reductions of the softmax (over N_o classes) then run
        # along contiguous memory, several times faster for small N_o
        self.Z_O = np.empty((batch_size, net.N_o), dt, order="F")
        self.dZ_O = np.empty((batch_size, net.N_o), dt, order="F")
        self.dU_H = np.empty((batch_size, net.N_h), dt)
        self.dG = np.empty((batch_size, net.N_h), dt)  # g_act'(Z_H)
        # empty_like keeps W_H's column-major layout, so dL/dW_H^T = X^T dL/dZ_H is written
        # row-major into grads["W_H"].T
        self.grads = {k: np.empty_like(v) for k, v in net.params.items()}
        self.gemm = blas.sgemm if dt == np.float32 else blas.dgemm
        self.gemv = blas.sgemv if dt == np.float32 else blas.dgemv
        self._ones = np.ones(batch_size, dt)  # sum_i over a batch as a product
        self.fused = fused_kernels() if fused else None
        self._picked = np.empty(batch_size, dt)
        self._unit = np.ones(1)  # every sample's weight when none are given
        self._whole = (self.Z_H, self.U_H, self.Z_O, self.dZ_O, self.dU_H, self.dG)
        # dL/dZ_O's memory as one vector (a view: it is column-major), for the softmax loss's
        # one-dimensional reach into each sample's class entry (Multiclass.loss_and_grad)
        self._flat_dZ_O = (self.dZ_O.T.reshape(-1), batch_size, np.empty(batch_size, np.intp))

    # All products in the training loop go through one BLAS (SciPy's), called on
    # column-major views: a row-major (n, m) buffer A is the column-major (m, n) matrix A.T.
    # Mixing two BLAS thread pools inside one step would make them fight over the cores.

    def _back_to_z_H(self, X, T, n: int, scale: float, weights=None, bias_step=None):
        """Forward (10a)/(10b), then back-propagate L -> z_O -> u_H -> z_H, and the biases.

        Returns L (the unscaled sum (16)) and views U_H, dL/dZ_O, dL/dZ_H, the latter two
        multiplied by ``scale``. With ``weights`` (n,), L is the weighted sum
        sum_i s_i g_loss(i) and each sample's dL/dz_O is multiplied by its s_i.
        dL/db_O = sum_i dL/dz_O,i and dL/db_H = sum_i dL/dz_H,i go to ``grads``, or, with
        ``bias_step``, straight into the biases: b <- b - bias_step dL/db (21).
        The weights are not updated, so they can change after this.
        ``X`` should be C-contiguous (the training loop's batch buffer); otherwise BLAS works on
        a copy.
        """
        net, act, gemm, fused = self.net, self.net.activation, self.gemm, self.fused
        if n == self.Z_H.shape[0]:  # a whole batch: the buffers themselves (no six views)
            Z_H, U_H, Z_O, dZ_O, dU_H, dG = self._whole
        else:
            Z_H, U_H, Z_O, dZ_O, dU_H, dG = (self.Z_H[:n], self.U_H[:n], self.Z_O[:n],
                                             self.dZ_O[:n], self.dU_H[:n], self.dG[:n])
        apply = bias_step is not None
        coef = -bias_step if apply else 1.0
        out_O, out_H = (net.b_O, net.b_H) if apply else (self.grads["b_O"], self.grads["b_H"])
        # forward (10a): Z_H = X W_H^T + B_H, i.e. Z_H^T = W_H X^T
        # (BLAS's arguments by position: f2py reads keywords ~0.4 us slower a call)
        if issparse(X):  # a wide sparse batch: nnz N_h mul-adds
            times(X, net.W_H.T, out=Z_H)
        else:
            _into(gemm(1.0, net.W_H, X.T, 0.0, Z_H.T, 0, 0, 1), Z_H.T)
        relu = fused is not None and act.name == "relu"
        if relu:
            fused.relu_forward(self.Z_H, net.b_H, n)  # u_H in one pass (g' read back from it)
            U_H = Z_H
        else:
            Z_H += net.b_H
            act.forward_with_grad(Z_H, U_H, dG)  # u_H = g_act(z_H), and g_act'(z_H) for later
        # (10b): Z_O = U_H W_O^T + B_O  (Z_O is column-major)
        _into(gemm(1.0, U_H.T, net.W_O.T, 0.0, Z_O, 1, 0, 1), Z_O)
        if fused is not None and net.output.name == "multiclass":
            # + b_O, (5), (18) and dL/dz_O, dL/db_O: two compiled passes around numpy's exp
            fused.softmax_shift(self.Z_O, net.b_O, T, self.dZ_O, n, self._picked)
            np.exp(dZ_O, out=dZ_O)
            loss = fused.softmax_grad(self.dZ_O, T, n, scale,
                                      self._unit if weights is None else weights,
                                      self._picked, out_O, coef, apply)
        else:
            Z_O += net.b_O
            # L -> z_O
            loss = net.output.loss_and_grad(Z_O, T, dZ_O, self._flat_dZ_O)
            if weights is not None:  # the weighted sum of (16): s_i scales sample i's terms
                loss = float(net.output.g_loss(Z_O, T) @ weights)
                dZ_O *= (weights if scale == 1.0 else scale * weights)[:, None]
            elif scale != 1.0:
                dZ_O *= scale
            self._bias(out_O, dZ_O, bias_step)
        # z_O -> u_H: dL/dU_H = dL/dZ_O W_O, i.e. (dL/dU_H)^T = W_O^T (dL/dZ_O)^T
        _into(gemm(1.0, net.W_O.T, dZ_O, 0.0, dU_H.T, 0, 1, 1), dU_H.T)
        # u_H -> z_H: dL/dz_H = dL/du_H * g_act'(z_H)
        if relu:
            fused.relu_backward(self.dU_H, self.Z_H, n, out_H, coef, apply)
        elif fused is not None:
            fused.hidden_backward(self.dU_H, self.dG, n, out_H, coef, apply)
        else:
            dU_H *= dG
            self._bias(out_H, dU_H, bias_step)
        return float(loss), U_H, dZ_O, dU_H

    def _bias(self, out: np.ndarray, dZ: np.ndarray, step) -> None:
        """dL/db = sum_i dL/dz_i into ``out``, or b <- b - step dL/db with ``out`` the bias.

        The sum over the batch is one matrix-vector product with a ones vector (dZ^T 1), which
        BLAS runs two to three times faster than numpy's column sums.
        """
        a, trans = (dZ.T, 0) if dZ.flags.c_contiguous else (dZ, 1)
        if step is None:
            out[...] = 0
        _into(self.gemv(1.0 if step is None else -step, a, self._ones[:dZ.shape[0]], 1.0, out,
                        0, 1, 0, 1, trans, 1), out)

    def _weight_products(self, X, U_H, dZ_O, dZ_H, alpha, beta, W_O, W_H) -> None:
        """W_O <- alpha (dL/dZ_O)^T U_H + beta W_O and W_H <- alpha (dL/dZ_H)^T X + beta W_H.

        W_O is row-major, so its column-major view W_O^T = U_H^T dL/dZ_O is what BLAS
        updates; W_H is stored column-major and is updated as it is.
        """
        gemm = self.gemm
        _into(gemm(alpha, U_H.T, dZ_O, beta, W_O.T, 0, 0, 1), W_O.T)
        if issparse(X):
            # a wide sparse batch: (dL/dZ_H)^T X is zero but in the columns its rows hold a
            # value in, so only those columns of W_H change (besides beta's scaling)
            cols, G = columns_times(X, dZ_H)
            if beta == 0.0:
                W_H[...] = 0
            elif beta != 1.0:
                W_H *= beta
            G *= alpha
            W_H.T[cols] += G   # (the columns are distinct)
            return
        _into(gemm(alpha, dZ_H.T, X.T, beta, W_H, 0, 1, 1), W_H)

    def backprop(self, X, T, n: int, scale: float = 1.0, weights=None) -> float:
        """Forward and backward on the first ``n`` rows of ``X``/``T``.

        Fills ``self.grads`` with ``scale * dL/dtheta`` and returns L (the unscaled sum (16)).
        ``scale = 1/n`` gives the gradient of the batch mean. ``weights`` (n,) makes L the
        weighted sum sum_i s_i g_loss(i) (``scale = 1 / sum_i s_i``: the weighted mean).
        """
        loss, U_H, dZ_O, dZ_H = self._back_to_z_H(X, T, n, scale, weights)
        g = self.grads
        # z_O -> W_O and z_H -> W_H (the biases' sums are in grads already):
        #   dL/dW_O = (dL/dZ_O)^T U_H,  dL/dW_H = (dL/dZ_H)^T X
        self._weight_products(X, U_H, dZ_O, dZ_H, 1.0, 0.0, g["W_O"], g["W_H"])
        return loss

    def sgd_step(self, X, T, n: int, learning_rate: float, l2: float = 0.0,
                 weights=None) -> float:
        """One step of (21) on the batch mean, fused into the weight products.

        W <- (1 - alpha l2) W - (alpha / n) dL/dW for W_H and W_O, and b <- b - (alpha / n) dL/db:
        BLAS's C <- a A B + b C writes each update straight into the weights, so their
        gradients are never stored. The same numbers as ``backprop`` then ``SGD.step``.
        With ``weights`` (n,), the step is on the weighted mean: n becomes sum_i s_i.
        """
        total = n if weights is None else float(weights.sum())
        net, step = self.net, (learning_rate / total if total > 0 else 0.0)
        loss, U_H, dZ_O, dZ_H = self._back_to_z_H(X, T, n, 1.0, weights, bias_step=step)
        self._weight_products(X, U_H, dZ_O, dZ_H, -step, 1.0 - learning_rate * l2,
                              net.W_O, net.W_H)
        return loss


def _into(result: np.ndarray, target: np.ndarray) -> None:
    """BLAS writes into ``target`` (and returns it) when its layout allows; else copy back."""
    if result is not target:
        np.copyto(target, result)

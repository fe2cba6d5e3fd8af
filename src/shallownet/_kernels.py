"""Fast kernels: prediction in fixed row blocks (and, later, the training step).

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
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["block_rows", "logits"]

# Multiply-adds per block in (10a): OpenBLAS runs a product of at most 2^18 on one thread
# (its SMP threshold), so blocks never wake its threads; the blocks of a large batch are
# shared among a pool of Python threads instead (matmul releases the GIL).
_BLOCK_MACS = 1 << 18
_CHUNK_ROWS = 1024     # rows per task: temporaries stay in cache, memory stays flat


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


def logits(net, X: np.ndarray) -> np.ndarray:
    """z_O of (10a)/(10b) for a checked (N, N_i) batch, in the network's precision.

    Every product runs on blocks of exactly ``block_rows(N_i, N_h)`` rows (see the module
    docstring), so row i of the result depends on row i of ``X`` and nothing else.
    """
    dt, act = net.dtype, net.activation
    X = np.ascontiguousarray(X, dtype=dt)
    n, N_i = X.shape
    B = block_rows(N_i, net.N_h)
    W_Ht, W_Ot = net.W_H.T, net.W_O.T  # (N_i, N_h) and (N_h, N_o)
    Z_O = np.empty((n, net.N_o), dt)

    def blocks(Xs: np.ndarray, out: np.ndarray) -> None:  # Xs: (s, B, N_i), out: (s, B, N_o)
        Z_H = np.matmul(Xs, W_Ht)            # (10a), one BLAS call per block
        Z_H += net.b_H
        act.g(Z_H, out=Z_H)                  # u_H = g_act(z_H), in place
        np.matmul(Z_H, W_Ot, out=out)        # (10b)

    full = n - n % B
    step = max(B, _CHUNK_ROWS - _CHUNK_ROWS % B)
    starts = range(0, full, step)

    def chunk(start: int) -> None:
        stop = min(start + step, full)
        blocks(X[start:stop].reshape(-1, B, N_i), Z_O[start:stop].reshape(-1, B, net.N_o))

    workers = _workers() if len(starts) > 1 else 1
    if workers > 1:  # the same block products, shared among threads: the same numbers
        list(_executor(workers).map(chunk, starts))
    else:
        for start in starts:
            chunk(start)
    if full < n:  # the last rows, padded with zeros to one whole block
        pad = np.zeros((1, B, N_i), dt)
        pad[0, :n - full] = X[full:]
        tail = np.empty((1, B, net.N_o), dt)
        blocks(pad, tail)
        Z_O[full:] = tail[0, :n - full]
    Z_O += net.b_O
    return Z_O

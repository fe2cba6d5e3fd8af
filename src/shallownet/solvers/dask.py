"""L-BFGS where the data live on a Dask cluster (the ``shallownet[dask]`` extra).

L of (16) and dL/dtheta are sums over samples, so they split exactly over the partitions of
the data. ``Classifier(optimizer="lbfgs").fit(X, y)`` and ``Regressor(...)`` with Dask arrays or
a Dask DataFrame/Series run here, on the cluster of the current ``dask.distributed.Client``:

1. once: each partition of X and y is checked, converted (X to the training dtype, the labels to
   the encoded targets of ``Network.encode_targets``) and kept in the workers' memory
   (:class:`ClusterData`); the classes and the row count are computed on the cluster and only
   they come back;
2. each L-BFGS iteration (``solvers.lbfgs.minimize`` on the client): the packed parameters theta
   are scattered to the workers, each worker returns ``[L, dL/dtheta]`` summed over the rows of
   the partitions it holds (:func:`partition_sum`, the same back-propagation as in memory), and
   the workers' vectors are added pairwise on the workers, in a tree, so the client receives
   one vector of n_params + 1 numbers.

Nothing else moves: per iteration, theta to each worker, W - 1 partial sums between the W
workers, one sum to the client. The fitted estimator is an ordinary in-memory estimator.

Workers that die take theta, the partial sums and their partitions with them; the scheduler
computes the partitions again from the data's graph and the iteration's sum is asked for again
(:meth:`ClusterData._each_worker`). A cluster without workers for ``WORKER_WAIT_S`` seconds
ends the training with :class:`ClusterLost`.

Mini-batch optimizers ("adam", "sgd", "momentum") take many small steps, each on a few rows;
on a cluster that is one round trip per batch. They are refused on Dask collections with a
pointer to ``dask_ml.wrappers.Incremental``, which feeds the partitions to ``partial_fit`` one
at a time (see the README, "Training on a cluster"); nothing is ever computed onto the client
without being asked for.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

from ..network import Network
from .lbfgs import loss_and_gradient_sum, minimize, pack, unpack

__all__ = ["is_dask_collection", "ClusterData", "ClusterLost", "partition_sum", "fit",
           "cluster_classes", "n_features_and_names", "network_spec", "limit_blas_threads",
           "MINIBATCH_MESSAGE"]

MINIBATCH_MESSAGE = (
    "optimizer={name!r} takes mini-batch steps, one round trip to the cluster per batch, and "
    "shallownet does not pull a Dask collection into memory behind your back; use "
    "optimizer='lbfgs' (full batch: the partitions stay on the workers), or feed the "
    "partitions to partial_fit with dask_ml.wrappers.Incremental(estimator)"
    ".fit(X, y, classes=...), or call .compute() on X and y yourself if they fit in memory"
)


def is_dask_collection(obj) -> bool:
    """True for a Dask array, DataFrame or Series (without importing dask when unused)."""
    if "dask" not in sys.modules:
        return False
    import dask

    return dask.is_dask_collection(obj)


# ---------------------------------------------------------------------------- on the workers
def _network(spec: dict, theta: np.ndarray | None = None) -> Network:
    """A network of the given shape (zeros, or the packed ``theta``)."""
    N_i, N_h, N_o = spec["N_i"], spec["N_h"], spec["N_o"]
    net = Network(np.zeros((N_h, N_i)), np.zeros(N_h), np.zeros((N_o, N_h)), np.zeros(N_o),
                  activation=spec["activation"], output=spec["output"], dtype=spec["dtype"])
    if theta is not None:
        unpack(net, theta)
    return net


def _as_numpy(block):
    """A pandas DataFrame/Series partition or an array block as a numpy array."""
    return block.to_numpy() if hasattr(block, "to_numpy") else np.asarray(block)


def _features(X_block, dtype, index: int) -> np.ndarray:
    """One partition of X as a contiguous array of ``dtype``; pandas' missing values (pd.NA,
    None) become NaN, and columns that are not numbers are named."""
    if not hasattr(X_block, "columns"):
        try:
            return np.ascontiguousarray(_as_numpy(X_block), dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"partition {index} of X does not hold numbers ({exc}); "
                             "shallownet needs numbers: convert X first") from None
    try:
        return np.ascontiguousarray(X_block.to_numpy(dtype=dtype, na_value=np.nan))
    except (TypeError, ValueError):
        bad = []
        for name in X_block.columns:
            try:
                X_block[name].to_numpy(dtype=dtype, na_value=np.nan)
            except (TypeError, ValueError):
                bad.append(str(name))
        raise ValueError(f"X has non-numeric column(s) {bad[:10]} (partition {index}); "
                         "shallownet needs numbers: encode them or drop them") from None


def _prepare(X_block, y_block, spec: dict, classes, index: int, holdout: float, seed: int):
    """One partition as (X, T, X_val, T_val): X in the training dtype, T the encoded targets,
    checked; a random ``holdout`` fraction of the rows (from ``seed`` and the partition's index)
    is set aside for validation."""
    net = _network(spec)
    X = _features(X_block, net.dtype, index)
    y = _as_numpy(y_block)
    if X.ndim != 2 or X.shape[1] != spec["N_i"]:
        raise ValueError(f"partition {index} of X has shape {X.shape}; expected "
                         f"(rows, {spec['N_i']})")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"partition {index} of X has {X.shape[0]} rows but y's has "
                         f"{y.shape[0]}; give X and y the same partitions (row chunks)")
    finite = np.isfinite(X).all(axis=0)
    if not finite.all():
        names = ([str(c) for c in X_block.columns] if hasattr(X_block, "columns")
                 else range(X.shape[1]))
        bad = [c for c, ok in zip(names, finite, strict=True) if not ok]
        raise ValueError(f"X contains NaN or inf (partition {index}, column(s) {bad[:10]}); "
                         "impute or drop those rows first")
    if classes is not None:
        y = np.searchsorted(classes, y)
    T = net.encode_targets(y, X.shape[0])
    val = np.random.default_rng([seed, index]).random(X.shape[0]) < holdout
    if not val.any():
        return X, T, X[:0], T[:0]
    return (np.ascontiguousarray(X[~val]), T[~val], np.ascontiguousarray(X[val]), T[val])


def _rows(part) -> np.ndarray:
    return np.array([part[0].shape[0], part[2].shape[0]])


def _labels_seen(y_block):
    """One partition of y: (its distinct labels, its rows, None) when every row has a label,
    else (no labels, its rows, (how many are missing or non-finite, the first one's row, its
    value)), found here on the worker."""
    from ..validation import _first_missing

    y = np.ravel(_as_numpy(y_block))
    first = None
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y)
        if bad.any():
            k = int(np.argmax(bad))
            first = (int(bad.sum()), (k,), y[k])
    elif y.dtype == object:
        first = _first_missing(y)
    if first is not None:
        return y[:0], y.shape[0], (first[0], first[1][0], first[2])
    return np.unique(y), y.shape[0], None


def partition_sum(theta: np.ndarray, spec: dict, *parts) -> np.ndarray:
    """``[L, dL/dtheta...]`` of (16) over prepared partitions (those held by one worker), at the
    packed ``theta``."""
    net = _network(spec, theta)
    total = np.zeros(1 + net.n_params)
    for X, T, *_ in parts:
        L, grad = loss_and_gradient_sum(net, X, T)
        total[0] += L
        total[1:] += grad
    return total


def _validation_sums(theta, spec, *parts):
    """On the held-out rows: [L, rows, correct] (classes) or [L, rows, SSE_k..., sum T_k...,
    sum T_k^2...] (regression), summed over the partitions."""
    net = _network(spec, theta)
    total = 0
    for _, _, X, T in parts:
        z = net.forward(X).z_O
        L = float(net.output.g_loss(z, T).sum())
        if net.output.is_classifier:
            truth = T[:, 0] if T.ndim == 2 else T
            sums = np.array([L, X.shape[0], np.sum(net.output.decide(z) == truth)], float)
        else:
            sums = np.concatenate([[L, X.shape[0]], ((T - z) ** 2).sum(0), T.sum(0),
                                   (T ** 2).sum(0)])
        total = total + sums
    return total


def _tree_sum(client, futures: list):
    """Add the partitions' vectors pairwise on the workers; one future for the total."""
    while len(futures) > 1:
        pairs = [client.submit(np.add, a, b, pure=False)
                 for a, b in zip(futures[0::2], futures[1::2], strict=False)]
        futures = pairs + ([futures[-1]] if len(futures) % 2 else [])
    return futures[0]


def _limit_blas(n: int) -> int:
    """On a worker: cap the BLAS and OpenMP pools of this process at ``n`` threads."""
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(n)
    return max((p["num_threads"] for p in threadpool_info()), default=n)


def limit_blas_threads(client=None, n: int = 1) -> dict:
    """Cap the BLAS/OpenMP threads of every worker process at ``n`` (threadpoolctl).

    A worker process that runs one task at a time should use one BLAS thread: several tasks'
    BLAS pools on one machine otherwise fight over its cores. Workers started by ``LocalCluster``
    or ``dask worker`` under a nanny already have ``OMP_NUM_THREADS`` (and the OpenBLAS and MKL
    variables) set to 1; this covers workers started otherwise. Workers that join later are not
    covered: call it again. Returns ``{worker address: largest pool size now}``.
    """
    from distributed import get_client

    client = client if client is not None else get_client()
    return client.run(_limit_blas, int(n))


# ---------------------------------------------------------------------------- on the client
def _partitions(X, y) -> tuple[list, list]:
    """X and y as matching lists of delayed partitions (row blocks), nothing computed."""
    import dask.array as da

    if isinstance(X, da.Array):
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (rows, features), got a Dask array of {X.ndim} "
                             "dimensions")
        if X.numblocks[1] > 1:  # every partition holds whole rows
            X = X.rechunk({1: -1})
        xs = list(X.to_delayed()[:, 0])
    else:
        xs = list(X.to_delayed())
    if isinstance(y, da.Array):
        if y.ndim == 2 and y.numblocks[1] > 1:
            y = y.rechunk({1: -1})
        if isinstance(X, da.Array) and not any(np.isnan(c) for c in X.chunks[0]) \
                and y.chunks[0] != X.chunks[0]:
            y = y.rechunk({0: X.chunks[0]})
        ys = list(y.to_delayed().reshape(-1)) if y.ndim == 1 else list(y.to_delayed()[:, 0])
    else:
        ys = list(y.to_delayed())
    if len(xs) != len(ys):
        raise ValueError(f"X has {len(xs)} partitions but y has {len(ys)}; give them the same "
                         "partitions (e.g. columns of one Dask DataFrame, or arrays with the "
                         "same row chunks)")
    return xs, ys


def n_features_and_names(X) -> tuple[int, list | None]:
    """N_i and the column names (for a DataFrame), from the collection's metadata."""
    if hasattr(X, "columns"):
        times = [str(c) for c, dt in X.dtypes.items() if getattr(dt, "kind", "O") in "mM"]
        if times:  # known from the metadata: refused before anything is computed (the other
            # columns are tried on the workers: text such as "1.5" reads as a number)
            raise ValueError(f"X has date or time column(s) {times[:10]}; shallownet needs "
                             "numbers: convert them first (e.g. days since a start) or drop "
                             "them")
        return len(X.columns), [str(c) for c in X.columns]
    if X.ndim != 2 or np.isnan(X.shape[1]):
        raise ValueError("X must be a 2-D Dask array with a known number of columns")
    return int(X.shape[1]), None


def cluster_classes(client, y) -> np.ndarray:
    """The sorted class labels, as the union of each partition's labels (computed there)."""
    import dask
    from distributed import get_client

    from ..validation import _missing_text

    client = client if client is not None else get_client()
    ys = list(y.to_delayed().reshape(-1)) if hasattr(y, "chunks") else list(y.to_delayed())
    seen = client.compute([dask.delayed(_labels_seen)(b) for b in ys], sync=True)
    missing = [(i, m) for i, (_, _, m) in enumerate(seen) if m is not None]
    if missing:  # a missing label is no class: refused as in memory, with where it is
        i, (_, row, value) = missing[0]
        n_missing = sum(m[0] for _, m in missing)
        n = sum(rows for _, rows, _ in seen)
        infinite = isinstance(value, float | np.floating) and np.isinf(value)
        shown = str(float(value)) if infinite else _missing_text(value)
        raise ValueError(
            f"y contains missing or non-finite labels ({n_missing} of {n}, the first "
            f"{shown} at row {row} of partition {i}); drop those samples or "
            "fill in their labels")
    labels = [u for u, _, _ in seen]
    try:
        return np.unique(np.concatenate(labels))
    except TypeError:  # e.g. whole numbers in one partition, strings in another
        kinds = sorted({type(v).__name__ for u in labels for v in u[:1000]})
        raise ValueError(
            f"y's partitions hold labels of different types ({', '.join(kinds)}), which cannot "
            "be told apart as classes; give the label column one type, e.g. "
            "y.astype(str)") from None


class ClusterLost(RuntimeError):
    """The cluster lost the workers (or the data) a training needs, for good."""


RETRIES = 3  # times one evaluation is asked for again after workers died
WORKER_WAIT_S = 60.0  # how long a training waits for workers to come back


def _killed(exc) -> ClusterLost:
    return ClusterLost(f"a training task on the Dask cluster killed the workers that ran it "
                       f"({exc}); the training stopped: see the workers' logs (a memory limit "
                       "is the usual cause: more memory or smaller partitions) and fit again")


def _raise_failed(parts) -> None:
    """The error of the first partition that failed, raised here (a dead worker's as one
    line)."""
    from distributed import KilledWorker

    for p in parts:
        if p.status == "cancelled":
            raise ClusterLost("the Dask cluster lost a partition of the training data and "
                              "cannot compute it again; the training stopped: fit again")
        if p.status == "error":
            try:
                p.result()
            except KilledWorker as exc:
                raise _killed(exc) from None


class ClusterData:
    """The training rows, prepared and held in the workers' memory; one future per partition.

    Parameters
    ----------
    X, y : Dask arrays, or a Dask DataFrame and Series, with the same row partitions
    spec : dict
        The network's shape and dtype (``N_i, N_h, N_o, activation, output, dtype``).
    classes : ndarray, optional
        Sorted class labels: y is encoded as indices into it (classification).
    client : distributed.Client, optional
        Default: the current client (``distributed.get_client()``).
    holdout : float
        The fraction of each partition's rows set aside (at random, from ``seed``) for
        :meth:`validation_loss_and_score`; 0 for none.
    """

    def __init__(self, X, y, spec: dict, classes=None, client=None, holdout: float = 0.0,
                 seed: int = 0):
        import dask
        from distributed import get_client, wait

        self.client = client if client is not None else get_client()
        self.spec = spec
        xs, ys = _partitions(X, y)
        prepare = dask.delayed(_prepare, pure=True)
        self.parts = self.client.compute([prepare(xb, yb, spec, classes, i, holdout, seed)
                                          for i, (xb, yb) in enumerate(zip(xs, ys, strict=True))])
        try:
            wait(self.parts)
            _raise_failed(self.parts)  # the partition's error (bad shape, NaN, ...) here
        except BaseException:
            self.release()
            raise
        self._group()
        rows = np.sum(self.client.gather([self.client.submit(_rows, p) for p in self.parts]),
                      axis=0)
        self.n_rows, self.n_validation = int(rows[0]), int(rows[1])
        if self.n_rows == 0:
            self.release()
            raise ValueError("X has no rows to train on; training needs at least one sample")
        if holdout and self.n_validation == 0:
            self.release()
            raise ValueError(f"holding out {holdout} of {self.n_rows} rows leaves none to "
                             "validate on; pass more rows or a larger validation_fraction")

    def _group(self) -> None:
        """``self.groups``: the partitions each worker holds (one task per worker and iteration
        sums them there); a partition held nowhere yet goes to whichever worker is free."""
        held: dict = {}
        where = self.client.who_has(self.parts)
        for p in self.parts:
            holders = where.get(p.key) or [None]
            held.setdefault(holders[0], []).append(p)
        self.groups = list(held.items())

    def _each_worker(self, fn, theta):
        """``fn(theta, spec, *partitions)`` on every worker over the partitions it holds, the
        results added in a tree on the workers; the total.

        Workers that die take theta and the partial sums with them (the partitions are
        recomputed by the scheduler from the data's graph): the sums are asked for again once
        the partitions are back, at most ``RETRIES`` times, and a cluster left without workers
        for ``WORKER_WAIT_S`` seconds stops the training with a message that says so."""
        from concurrent.futures import CancelledError

        from distributed import KilledWorker

        for _ in range(RETRIES + 1):
            try:
                theta_f = self.client.scatter(np.asarray(theta, np.float64), broadcast=True,
                                              hash=False, timeout=WORKER_WAIT_S)
                sums = [self.client.submit(fn, theta_f, self.spec, *parts,
                                           workers=[w] if w is not None else None,
                                           allow_other_workers=True, pure=False)
                        for w, parts in self.groups]
                return _tree_sum(self.client, sums).result()
            except KilledWorker as exc:
                raise _killed(exc) from None
            except CancelledError:  # (the futures of data that died with its workers)
                self._recover()
            except TimeoutError:  # no worker to scatter theta to, for WORKER_WAIT_S seconds
                self._recover(waited=True)
        raise ClusterLost(f"the Dask cluster lost workers {RETRIES + 1} times in one "
                          "iteration; the training stopped: see the workers' logs for why "
                          "they die (e.g. a memory limit) and fit again")

    def _recover(self, waited: bool = False) -> None:
        """Wait until the cluster has workers and the partitions are held again, then group
        them anew; a clear error when no worker comes back or the client lost the
        scheduler."""
        import time

        from distributed import wait

        deadline = time.monotonic() + (0 if waited else WORKER_WAIT_S)
        while True:
            if self.client.status != "running":
                raise ClusterLost("the connection to the Dask scheduler was lost during "
                                  "training; the training stopped: check the scheduler and "
                                  "fit again")
            if self.client.nthreads():
                deadline = time.monotonic() + WORKER_WAIT_S  # workers there: the parts come
                try:
                    wait(self.parts, timeout=2)
                    break
                except TimeoutError:
                    continue
            elif time.monotonic() > deadline:
                raise ClusterLost(
                    f"the Dask cluster lost its workers during training and none came back "
                    f"within {WORKER_WAIT_S:g} s; the training stopped: start workers (their "
                    "logs say why they died, e.g. a memory limit) and fit again")
            else:
                time.sleep(0.5)
        _raise_failed(self.parts)
        self._group()

    def sum(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """L of (16) and dL/dtheta over every partition, added up in a tree on the workers."""
        total = self._each_worker(partition_sum, theta)
        return float(total[0]), total[1:]

    def validation_loss_and_score(self, theta: np.ndarray) -> tuple[float, float]:
        """Mean loss and accuracy (classes) or R^2 (averaged over outputs) on the held-out
        rows."""
        t = self._each_worker(_validation_sums, theta)
        n = t[1]
        if len(t) == 3:
            return t[0] / n, t[2] / n
        d = (len(t) - 2) // 3
        sse, s, s2 = t[2:2 + d], t[2 + d:2 + 2 * d], t[2 + 2 * d:]
        total = s2 - s ** 2 / n
        r2 = np.where(total > 0, 1 - sse / np.where(total > 0, total, 1), 0.0)
        return t[0] / n, float(np.mean(r2))

    def release(self) -> None:
        """Free the partitions on the workers."""
        for p in self.parts:
            p.release()
        self.parts = []


def network_spec(net: Network) -> dict:
    return {"N_i": net.N_i, "N_h": net.N_h, "N_o": net.N_o, "activation": net.activation.name,
            "output": net.output.name, "dtype": net.dtype.name}


def fit(net: Network, X, y, *, classes=None, client=None, validation_fraction: float = 0.0,
        seed: int = 0, callbacks: Sequence = (), **options):
    """L-BFGS of ``net`` on Dask collections X, y; returns the ``History`` (per iteration).

    ``classes``: the sorted labels when y holds class labels (see :func:`cluster_classes`).
    ``validation_fraction``: rows held out at random (from ``seed``) in every partition and
    scored after each iteration (``history.val_loss``, ``history.val_score``), for early
    stopping. ``options`` as for ``solvers.lbfgs.minimize`` (``max_iter``, ``tol``, ``l2``,
    ``early_stopping``, ``progress`` ...). The data stay on the workers and are released at the
    end.
    """
    data = ClusterData(X, y, network_spec(net), classes=classes, client=client,
                       holdout=validation_fraction, seed=seed)
    validate = None
    if validation_fraction:
        def validate():
            return data.validation_loss_and_score(pack(net.params))
    try:
        return minimize(net, data.sum, data.n_rows, callbacks=callbacks, validate=validate,
                        **options)
    finally:
        data.release()

"""Mini-batch training, section 3: minimise L(theta) of (15)/(16) by SGD (21) and its variants.

``train(net, X, y, ...)`` updates ``net`` in place and returns a :class:`History`.

Loss scale: ``Network.loss`` is L of (16), a sum over samples. Each step here uses the
gradient of the *batch mean* (1/n) sum_i g_loss, so a learning rate means what it means in
Keras, PyTorch and scikit-learn; the loss curves report the mean per-sample loss.

The loop shuffles once per epoch (a fresh permutation from ``seed``), gathers each mini-batch
into a preallocated buffer and runs forward + backward in preallocated workspaces
(``_kernels.Workspace``); no Python loop touches individual samples or units.
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from . import _sparse
from ._kernels import Workspace, finite_by_blas, logits, want_fused
from ._threads import ThreadPolicy
from .network import PARAM_NAMES, Network
from .optimizers import SGD, Adam, Optimizer, make_optimizer
from .solvers.minibatch import ArrayBatches, BatchSource
from .validation import check_params

__all__ = ["train", "History", "EpochInfo", "score"]


@dataclass
class EpochInfo:
    """What a callback receives after each epoch."""

    epoch: int                 # 1-based
    loss: float                # mean training loss over the epoch's batches
    val_loss: float | None     # mean validation loss (per sample), if validation data is given
    val_score: float | None    # validation accuracy (classification) or R^2 (regression)
    network: Network
    history: History


@dataclass
class History:
    """What happened during ``train``.

    Attributes
    ----------
    loss : list of float
        Mean training loss per epoch, (1/N) sum_i g_loss, measured during the epoch.
    val_loss, val_score : list of float
        Per epoch, when validation data is given: the mean validation loss and the validation
        accuracy (classifiers) or R^2 (regression).
    epochs : int
        Epochs completed.
    best_epoch : int or None
        Epoch (1-based) with the lowest monitored loss (validation loss if given, else training
        loss). With ``restore_best=True`` and early stopping, the network holds its weights.
    stopped_early : bool
        True when early stopping or a callback ended training.
    interrupted : bool
        True when Ctrl-C ended training (with ``catch_interrupt=True``).
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_score: list[float] = field(default_factory=list)
    epochs: int = 0
    best_epoch: int | None = None
    stopped_early: bool = False
    interrupted: bool = False
    steps: int = 0
    # the weights of best_epoch, kept across calls that append to this history
    best_params: dict | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "best_params"}


def score(net: Network, X, y) -> float:
    """Accuracy for classification outputs; R^2 (averaged over outputs) for regression."""
    X2, _ = net.as_batch(X)
    return _score_logits(net, net.forward(X2).z_O, net.encode_targets(y, X2.shape[0]))


def _score_logits(net: Network, z_O, T, w=None) -> float:
    """Accuracy or R^2, weighted by ``w`` (n,) when given."""
    if net.output.is_classifier:
        y_hat = net.output.decide(z_O)
        truth = T[:, 0] if T.ndim == 2 else T
        return float(np.average(y_hat == truth, weights=w))
    w2 = np.ones((T.shape[0], 1)) if w is None else np.asarray(w, np.float64)[:, None]
    resid = (w2 * (T - z_O) ** 2).sum(axis=0)
    total = (w2 * (T - np.average(T, axis=0, weights=w2[:, 0])) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(total > 0, 1 - resid / np.where(total > 0, total, 1),
                      np.where(resid == 0, 1.0, 0.0))
    return float(np.mean(r2))


def check_sample_weight(sample_weight, n_samples: int, dtype=np.float64) -> np.ndarray:
    """Sample weights as a (N,) array: finite, non-negative, not all zero."""
    sw = np.asarray(sample_weight)
    if sw.ndim == 0:
        sw = np.full(n_samples, sw)
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(f"sample_weight must be one number per sample, shape ({n_samples},), "
                         f"got shape {sw.shape}")
    if sw.dtype.kind not in "biuf":
        raise ValueError(f"sample_weight must be numbers, got dtype {sw.dtype}")
    sw = sw.astype(dtype)
    if not np.isfinite(sw).all() or (sw < 0).any():
        raise ValueError("sample_weight must be finite and non-negative; drop the samples you "
                         "do not want rather than giving them NaN or negative weights")
    if not sw.any():
        raise ValueError("sample_weight is zero for every sample, which leaves nothing to train "
                         "on; give some samples a positive weight")
    return np.ascontiguousarray(sw)


def _as_rows(net: Network, X, name: str = "X", finite=None):
    """``X`` as (N, N_i) rows in the network's dtype, checked finite: ``Network.as_batch``,
    or, for a scipy.sparse X, a canonical CSR matrix whose stored values are cast and checked
    (``shallownet._sparse``; it is never made dense here)."""
    if not _sparse.issparse(X):
        return net.as_batch(X, name=name, finite=finite)[0]
    if X.ndim != 2 or X.shape[1] != net.N_i:
        raise ValueError(f"{name} has {X.shape[-1]} features per sample but the network expects "
                         f"N_i = {net.N_i}")
    X = _sparse.as_csr(X, net.dtype)
    if not np.isfinite(X.data).all():
        raise ValueError(f"{name} contains NaN or inf; remove or impute those values first")
    return X


def _logits_of(net: Network, X) -> np.ndarray:
    """z_O of (10a)/(10b) for all rows of ``X``: one forward pass, or for a sparse X one per
    block of rows made dense (``_sparse.rows_per_block``; a small X is one block, the same
    products as the dense X gets), or, for a wide one, with (10a) as a sparse product."""
    if not _sparse.issparse(X):
        return net.forward(X).z_O
    if _sparse.sparse_products(X):  # wide: (10a) as a sparse product, as prediction does
        return logits(net, X)
    N = X.shape[0]
    step = _sparse.rows_per_block(X.shape[1], N)
    parts = [net.forward(_sparse.dense_rows(X, a, min(a + step, N))).z_O
             for a in range(0, N, step)]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _validate(net: Network, X, T, w=None) -> tuple[float, float]:
    """Mean loss and score on validation data (weighted by ``w``), from one forward pass
    (a sparse X block by block)."""
    z_O = _logits_of(net, X)
    return (float(np.average(net.output.g_loss(z_O, T), weights=w)),
            _score_logits(net, z_O, T, w))


@contextmanager
def _interrupt_flag(enabled: bool):
    """While active, Ctrl-C sets a flag instead of raising; the loop stops after the batch."""
    flag = {"set": False}
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum, frame):
        if flag["set"]:  # a second Ctrl-C stops at once
            raise KeyboardInterrupt
        flag["set"] = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def train(
    net: Network,
    X,
    y,
    *,
    epochs: int = 10,
    batch_size: int = 32,
    optimizer: str | Optimizer = "adam",
    learning_rate: float | None = None,
    momentum: float = 0.9,
    nesterov: bool = False,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
    l2: float = 0.0,
    shuffle: bool = True,
    seed=None,
    validation_data: tuple | None = None,
    early_stopping: bool = False,
    patience: int = 10,
    min_delta: float = 0.0,
    restore_best: bool = True,
    callbacks: Sequence[Callable[[EpochInfo], bool | None]] = (),
    progress: bool = False,
    dtype=None,
    catch_interrupt: bool = False,
    history: History | None = None,
    tol: float | None = None,
    sample_weight=None,
    n_threads: int | None = None,
) -> History:
    """Train ``net`` in place by mini-batch gradient descent on the mean of (16).

    With ``optimizer="lbfgs"`` it minimises the same mean loss (plus the l2 penalty) over the
    whole training set by L-BFGS instead (``shallownet.solvers.lbfgs``): ``epochs`` is then the
    most L-BFGS iterations, the history, early stopping and callbacks count iterations, and
    ``batch_size``, ``shuffle``, ``seed`` and the learning-rate options do not apply.

    Parameters
    ----------
    net : Network
        Updated in place. Its activation must be differentiable: a threshold network (2) has
        zero gradient almost everywhere and cannot be trained by gradient descent.
    X : array-like (N, N_i), scipy.sparse matrix or array, or a ``solvers.minibatch.BatchSource``
        The samples; a source (e.g. ``shallownet.data.FileSource`` for a file larger than
        memory) yields the mini-batches itself, targets included. A sparse X is converted to
        CSR once and each mini-batch is made dense on its own in the batch buffer
        (``shallownet._sparse``); L-BFGS makes its blocks of rows dense one at a time. The
        results are those of ``X.toarray()``, without that dense copy.
    y : array-like, or None with a source
        0/1 labels (binary), class indices 0..K-1 (multiclass) or (N,)/(N, d) values.
    epochs, batch_size : int
        Passes over the data, and samples per step (the last batch may be smaller).
    optimizer : {"sgd", "momentum", "adam", "lbfgs"} or Optimizer
        "sgd" is (21); "momentum" takes ``momentum`` and ``nesterov``; "adam" takes ``beta1``,
        ``beta2``, ``epsilon``. An ``Optimizer`` instance keeps its state across calls.
        "lbfgs" is full-batch L-BFGS (see above).
    learning_rate : float, default 0.01 for SGD/momentum, 0.001 for Adam
        alpha of (21), applied to the gradient of the batch *mean* loss.
    l2 : float
        Weight decay: adds (l2/2)(||W_H||^2 + ||W_O||^2) to the mean loss (biases are not
        penalised).
    shuffle, seed
        A fresh permutation each epoch from ``numpy.random.default_rng(seed)``; the same seed
        gives the same run.
    validation_data : (X_val, y_val) or (X_val, y_val, sample_weight_val)
        Scored after each epoch: ``history.val_loss`` and ``history.val_score``.
    early_stopping, patience, min_delta, restore_best
        Stop when the monitored loss (validation loss if given, else training loss) has not
        improved by ``min_delta`` for ``patience`` epochs. With early stopping on (and
        ``restore_best``), the network returned holds the best monitored epoch's weights
        however training ended: patience, a callback, or the last of ``epochs``.
    callbacks : sequence of callables
        Each is called with an :class:`EpochInfo` after every epoch; returning True stops
        training (``history.stopped_early``).
    progress : bool
        Show a progress bar (rich) with the running loss and validation score.
    dtype : {None, "float32", "float64"}
        Training precision; None keeps the network's (``Network.init`` gives float32), except
        with ``optimizer="lbfgs"``, which then trains in float64.
    catch_interrupt : bool
        Ctrl-C finishes the current batch, restores the best weights so far and returns with
        ``history.interrupted = True`` (a second Ctrl-C stops at once).
    history : History, optional
        Append to an existing history (used by ``partial_fit`` and warm starts).
    tol : float, optional
        L-BFGS only: stop when every gradient component of the objective is at most ``tol``
        (default 1e-5, scipy's ``gtol``).
    sample_weight : array-like (N,), optional
        Non-negative weights s_i: the loss becomes the weighted sum sum_i s_i g_loss(i) in (16),
        and each step is on the batch's weighted mean (sum_i s_i grad g_loss(i)) / sum_i s_i,
        as scikit-learn's MLP does; integer weights are the same as repeating rows (exactly so
        for full batches). The loss curve is the weighted mean per epoch. Validation data is
        weighted by its own third element, when given.
    n_threads : None, -1 or int, default None
        BLAS threads for the per-batch products. None measures one thread against the BLAS's
        usual count while training and keeps the faster (a busy machine makes extra threads
        spin-wait); k >= 1 uses k threads; -1 leaves the BLAS as it is. See
        ``shallownet._threads``.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a shallownet.Network, got {type(net).__name__}")
    if not net.activation.trainable:
        raise ValueError(
            f"cannot train a network with activation={net.activation.name!r}: the hard "
            "threshold (2) has zero derivative almost everywhere, so every gradient of W_H and "
            "b_H is 0 and gradient descent (21) would never change the hidden layer. Train with "
            "activation='sigmoid' or 'relu' instead, or set threshold weights by hand as in "
            "Problems 1-3"
        )
    check_params({"epochs": epochs, "batch_size": batch_size, "patience": patience, "l2": l2,
                  "min_delta": min_delta, "n_threads": n_threads})
    if dtype is None and isinstance(optimizer, str) and optimizer.lower() == "lbfgs":
        dtype = "float64"  # L-BFGS in float64 unless float32 is asked for
    if dtype is not None:
        net.astype(dtype)
    dt = net.dtype

    threads = ThreadPolicy(n_threads)
    if isinstance(X, BatchSource):
        if y is not None:
            raise ValueError("y must be None when X is a batch source: it yields the targets")
        source = X
    else:
        with threads.prelude():  # (no BLAS thread left spinning into the policy's window)
            X2 = _as_rows(net, X, finite=finite_by_blas)
        if not _sparse.issparse(X2):
            X2 = np.ascontiguousarray(X2, dtype=dt)
        if X2.shape[0] == 0:
            raise ValueError("X has no samples; training needs at least one")
        source = ArrayBatches(X2, np.ascontiguousarray(net.encode_targets(y, X2.shape[0])))
    N = source.n_rows
    if N == 0:
        raise ValueError("X has no samples; training needs at least one")
    sw = None
    if sample_weight is not None:
        if not isinstance(source, ArrayBatches):
            raise ValueError("sample_weight goes with X and y in memory; a batch source "
                             "yields its own samples, unweighted")
        sw = check_sample_weight(sample_weight, N, dt)
        source.S = sw
    if validation_data is not None:
        if len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a pair (X_val, y_val), or (X_val, y_val, "
                             "sample_weight_val)")
        Xv = _as_rows(net, validation_data[0], name="X_val")
        Tv = net.encode_targets(validation_data[1], Xv.shape[0])
        if Xv.shape[0] == 0:
            raise ValueError("validation_data has no samples")
        wv = None
        if len(validation_data) == 3 and validation_data[2] is not None:
            wv = check_sample_weight(validation_data[2], Xv.shape[0])

    if isinstance(optimizer, str) and optimizer.lower() == "lbfgs":
        from .solvers import lbfgs
        if not isinstance(source, ArrayBatches):
            raise ValueError("optimizer='lbfgs' takes the whole training set in memory each "
                             "iteration; train a streamed source with 'adam', 'sgd' or "
                             "'momentum' (mini-batches)")
        return lbfgs.fit(net, source.matrix(), source.T, sample_weight=sw,
                         validation_data=None if validation_data is None else (Xv, Tv, wv),
                         max_iter=epochs, tol=lbfgs.DEFAULT_TOL if tol is None else tol, l2=l2,
                         early_stopping=early_stopping, patience=patience,
                         min_delta=min_delta, restore_best=restore_best, callbacks=callbacks,
                         progress=progress, catch_interrupt=catch_interrupt, history=history,
                         n_threads=n_threads)
    params = net.params
    if isinstance(optimizer, Optimizer):
        opt = optimizer
        if any(opt.params[k] is not params[k] for k in PARAM_NAMES):
            opt.rebind(params)
        if learning_rate is not None:
            opt.learning_rate = float(learning_rate)
    else:
        if learning_rate is None:
            learning_rate = 0.001 if str(optimizer).lower() == "adam" else 0.01
        opt = make_optimizer(optimizer, params, learning_rate, momentum=momentum,
                             nesterov=nesterov, beta1=beta1, beta2=beta2, epsilon=epsilon)

    B = min(batch_size, N)
    ws = Workspace(net, B, fused=isinstance(source, ArrayBatches)
                   and want_fused(N * net.N_h, B * net.N_h, epochs * math.ceil(N / B)))
    if isinstance(opt, Adam):  # with the compiled kernels, Adam's update is one pass too
        opt.kernels = ws.fused
    # the thread policy takes up a measurement only from a loop of the same products
    threads.key = (B, net.N_i, net.N_h, net.N_o, str(dt), ws.fused is not None,
                   source.sparse_rows if isinstance(source, ArrayBatches)
                   else type(source).__name__)
    source.bind(net, B)
    rng = np.random.default_rng(seed)
    hist = history if history is not None else History()
    monitor = hist.val_loss if validation_data is not None else hist.loss
    best = min(monitor) if monitor else math.inf
    wait = 0
    weights = (params["W_H"], params["W_O"])
    plain_sgd = type(opt) is SGD

    bar = _Progress(progress, epochs, math.ceil(N / B), score_name(net))
    epochs_before = hist.epochs
    # (an overflow on the way to divergence is caught at the epoch's end, where the weights are
    # reset and one error says what to do: numpy's warnings on the way would only be noise)
    with _interrupt_flag(catch_interrupt) as interrupted, bar, threads, \
            np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            start_params = {k: v.copy() for k, v in params.items()}
            total = seen = 0.0
            first = True
            for batch in source.epoch(rng if shuffle else None):
                if first:  # (the time between epochs is not the products': not timed)
                    threads.epoch_start()
                    first = False
                Xb, Tb = batch[0], batch[1]
                n = Xb.shape[0]
                s_b = batch[2] if len(batch) > 2 else None  # sample weights, when given
                mass = n if s_b is None else float(s_b.sum())
                if plain_sgd:  # (21) written into the weights by the gradient products
                    total += ws.sgd_step(Xb, Tb, n, opt.learning_rate, l2, s_b)
                    opt.t += 1
                else:
                    total += ws.backprop(Xb, Tb, n, scale=1.0 / mass if mass else 0.0,
                                         weights=s_b)
                    if l2:
                        ws.grads["W_H"] += l2 * weights[0]
                        ws.grads["W_O"] += l2 * weights[1]
                    opt.step(ws.grads)
                hist.steps += 1
                threads.tick()
                seen += mass
                bar.advance(total / seen if seen else 0.0)
                if interrupted["set"]:
                    break
            epoch_loss = total / seen if seen else 0.0
            if not math.isfinite(epoch_loss) or not all(np.all(np.isfinite(p))
                                                        for p in params.values()):
                net.set_params(**start_params)
                raise FloatingPointError(
                    f"training diverged in epoch {hist.epochs + 1}: the loss became "
                    f"{epoch_loss} (learning_rate={opt.learning_rate}). The weights were reset "
                    "to the start of that epoch; lower learning_rate or standardise X"
                )
            hist.epochs += 1
            hist.loss.append(epoch_loss)
            val_loss = val_score = None
            if validation_data is not None:
                val_loss, val_score = _validate(net, Xv, Tv, wv)
                hist.val_loss.append(val_loss)
                hist.val_score.append(val_score)
            current = monitor[-1]
            if current < best - min_delta:
                best, wait = current, 0
                hist.best_epoch = hist.epochs
                if early_stopping or catch_interrupt:
                    hist.best_params = {k: v.copy() for k, v in params.items()}
            else:
                wait += 1
            bar.end_epoch(hist.epochs, epoch_loss, val_score, val_loss)
            info = EpochInfo(hist.epochs, epoch_loss, val_loss, val_score, net, hist)
            stop = any([bool(cb(info)) for cb in callbacks])  # every callback sees each epoch
            if interrupted["set"]:
                hist.interrupted = True
                break
            if stop or (early_stopping and wait >= patience):
                hist.stopped_early = True
                break
        bar.finish(hist.epochs - epochs_before)
    # early stopping keeps the best monitored epoch however training ended: patience ran
    # out, a callback stopped it, or the epoch limit came first (as scikit-learn's MLP does)
    if restore_best and hist.best_params is not None and (early_stopping or hist.interrupted):
        net.set_params(**hist.best_params)
    return hist


def score_name(net: Network) -> str:
    """What the validation score is: accuracy for classifiers, R^2 for regression."""
    return "accuracy" if net.output.is_classifier else "R^2"


def validation_text(val_loss: float | None, val_score: float | None, name: str) -> str:
    """ "val loss 0.1234, val accuracy 0.9800": the monitored loss and the score, named."""
    parts = []
    if val_loss is not None:
        parts.append(f"val loss {val_loss:.4f}")
    if val_score is not None:
        parts.append(f"val {name} {val_score:.4f}")
    return ", ".join(parts)


class _Progress:
    """A rich progress bar over all batches of all epochs, or nothing."""

    def __init__(self, enabled: bool, epochs: int, batches: int, score_name: str = "score",
                 unit: str = "epoch"):
        self.enabled = enabled
        self.score_name = score_name
        self.batches = batches
        self.epochs = epochs
        if enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            # fits 80 columns at the command's 200 epochs with the named validation values
            # ("val loss 0.0784, val accuracy 0.9800"): a short bar over all steps, no counter
            self.p = Progress(TextColumn(f"[bold]{unit} " + "{task.fields[epoch]}/" + str(epochs)),
                              BarColumn(bar_width=8), TextColumn("loss {task.fields[loss]}"),
                              TextColumn("{task.fields[val]}"), TimeElapsedColumn())
            self.task = self.p.add_task("train", total=epochs * batches, epoch=1, loss="-",
                                        val="")
            self._n = 0

    def __enter__(self):
        if self.enabled:
            self.p.__enter__()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.p.__exit__(*exc)

    def advance(self, running_loss: float):
        if self.enabled:
            self._n += 1
            if self._n % 16 == 0:  # a refresh per batch would cost more than the batch
                self.p.update(self.task, completed=self._n, loss=f"{running_loss:.4f}")

    def finish(self, epochs_run: int):
        """Rest the bar on what ran: "epoch 189/200 ... 756/756" after an early stop."""
        if self.enabled:
            done = epochs_run * self.batches
            self.p.update(self.task, total=done, completed=done, epoch=epochs_run)

    def end_epoch(self, epoch: int, loss: float, val_score: float | None,
                  val_loss: float | None = None):
        if self.enabled:
            self._n = epoch * self.batches
            val = validation_text(val_loss, val_score, self.score_name)
            self.p.update(self.task, completed=self._n, epoch=min(epoch + 1, self.epochs),
                          loss=f"{loss:.4f}", val=val)

"""L-BFGS a few iterations per request: one ``shallownet.train`` run, paused between iterations.

``shallownet.train(..., optimizer="lbfgs")`` (``solvers.lbfgs``) is full-batch L-BFGS: its
curvature memory (the last pairs of steps and gradient changes) lives inside one call. Calling
it again for every frame of the page would start that memory afresh each time, and the first
iteration of L-BFGS is a plain gradient step with a line search: it would not be L-BFGS. So the
playground runs *one* call in a worker thread and holds it in the library's own per-iteration
hook (``callbacks``, called after every accepted iteration): each request lets it run ``k`` more
iterations and waits until it is held again. While it is held the network holds the accepted
iterate, and the request draws it. Stopping the run (a weight edited on the page, the session
dropped) makes the callback return True, which ends ``train`` after that iteration.
"""

from __future__ import annotations

import threading

import numpy as np

from ..network import Network
from ..training import EpochInfo, History, train

__all__ = ["LbfgsRun"]

#: How long a request waits for the worker to finish its iterations (seconds).
WAIT_S = 60.0


class LbfgsRun:
    """One ``shallownet.train(net, ..., optimizer="lbfgs")`` call, advanced on request.

    Parameters
    ----------
    net : Network
        Trained in place (in float64, as ``train`` does for L-BFGS).
    X, y : ndarray
        The training set.
    validation_data : tuple
        ``(X_val, y_val)``, measured after every iteration.
    history : History
        Carried over: the run appends its iterations to it.
    max_iter : int
        The most iterations the run may take.
    l2 : float
        The penalty of the objective.
    """

    def __init__(self, net: Network, X: np.ndarray, y: np.ndarray, validation_data,
                 history: History, max_iter: int, l2: float):
        self.net, self.history = net, history
        self._cond = threading.Condition()
        self._allowed = 0         # iterations this run may take before it is held
        self._done = 0            # iterations this run has taken
        self._stop = False
        self.finished = False     # train returned (converged, max_iter, stopped) or raised
        self.error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name="shallownet-playground-lbfgs", daemon=True,
            args=(X, y, validation_data, max_iter, l2))

    def _hold(self, info: EpochInfo) -> bool:
        # called by solvers.lbfgs after each accepted iteration, with the network at it
        with self._cond:
            self._done += 1
            self._cond.notify_all()
            while self._done >= self._allowed and not self._stop:
                self._cond.wait()
            return self._stop

    def _run(self, X, y, validation_data, max_iter, l2) -> None:
        try:
            # n_threads=-1: the run is held between requests, and the requests evaluate the
            # network meanwhile; the BLAS's thread count is left alone
            train(self.net, X, y, epochs=max_iter, optimizer="lbfgs", l2=l2,
                  validation_data=validation_data, history=self.history,
                  callbacks=[self._hold], restore_best=False, n_threads=-1)
        except BaseException as exc:  # noqa: BLE001 - handed to the request that waits
            self.error = exc
        finally:
            with self._cond:
                self.finished = True
                self._cond.notify_all()

    def advance(self, iterations: int) -> int:
        """Let the run take up to ``iterations`` more iterations; the number it took.

        Returns when the run is held again or has finished; raises what ``train`` raised.
        """
        with self._cond:
            start = self._done
            self._allowed = start + iterations
            self._cond.notify_all()
            if self._thread.ident is None:  # the first request starts the run
                self._thread.start()
            if not self._cond.wait_for(lambda: self.finished or self._done >= self._allowed,
                                       WAIT_S):
                raise TimeoutError(f"L-BFGS took more than {WAIT_S:g} s for {iterations} "
                                   "iterations")
            taken = self._done - start
        if self.error is not None:
            raise self.error
        return taken

    def stop(self) -> None:
        """End the run after the iteration it is held at; the network keeps that iterate."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread.ident is not None:
            self._thread.join(WAIT_S)

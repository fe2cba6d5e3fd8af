"""How many BLAS threads the training loop's per-batch products use.

A per-batch product (a few hundred rows) gains little from a second BLAS thread on an idle
machine and loses badly on a busy one: OpenBLAS's threads spin-wait for a core that another
process holds (measured on 2 cores with one competing busy process: an epoch 3.4x slower with
two threads, no slower with one). No fixed choice suits both, so by default the loop measures:
it times 32 batches with one thread and 32 with the BLAS's usual count, takes one thread when
its mean is clearly lower (under 0.9x), the usual count otherwise, and measures again every
thousand batches, so a machine that becomes busy (or idle) during training is noticed. The
second window ends as soon as its batches already add up to more than one thread could lose
to (the same choice, at a fraction of the measuring cost beside a busy process).
``n_threads=k`` fixes the count instead (scikit-learn's ``n_jobs`` spirit); the BLAS's own
settings are restored when the loop ends.

The threads are set through threadpoolctl (a scikit-learn dependency), for every BLAS loaded in
the process (numpy's and SciPy's may be two libraries).
"""

from __future__ import annotations

import statistics
import time

from .validation import check_params

__all__ = ["ThreadPolicy"]

# Batches run with each choice when measuring (the first one is not counted): beside a busy
# process the stalls come once per scheduler time slice (a few ms), so a window must span
# several slices to see their average cost; 8 batches did not (measured: the policy then kept
# two threads beside a busy process).
_PROBE = 33
_EVERY = 1024     # batches between two measurements
_MARGIN = 0.9     # one thread is chosen when its batches take under 0.9x as long
_controller = None


def _blas():
    """threadpoolctl's controllers of the loaded BLAS libraries (found once per process)."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
            _controller = ThreadpoolController().select(user_api="blas").lib_controllers
        except Exception:  # no threadpoolctl, or a platform it cannot inspect: leave BLAS be
            _controller = []
    return _controller


class ThreadPolicy:
    """BLAS threads for a training loop: ``with policy: ... policy.tick() once per batch``.

    Parameters
    ----------
    n_threads : None, -1 or int
        None measures one thread against the BLAS's count while training (see the module
        docstring); -1 leaves the BLAS as it is; k >= 1 uses k threads.
    """

    def __init__(self, n_threads=None):
        check_params({"n_threads": n_threads})
        self.n_threads = n_threads
        self._libs = _blas() if n_threads != -1 else []
        self._saved = [lib.num_threads for lib in self._libs]
        most = max(self._saved, default=1)
        # the two choices measured against each other; one choice means nothing to measure
        self._choices = [1, most] if n_threads is None and most > 1 else []
        self.current = n_threads if isinstance(n_threads, int) and n_threads >= 1 else most
        self._batch = 0
        self._measuring = True
        self._times: dict[int, list[float]] = {}
        self._last = 0.0
        self.history: list[int] = []  # the count chosen after each measurement (for tests)

    def _set(self, k: int) -> None:
        for lib in self._libs:
            lib.set_num_threads(k)

    def __enter__(self) -> ThreadPolicy:
        if self._libs and self.n_threads is not None:
            self._set(self.n_threads)
        self._last = time.perf_counter()
        self._plan()
        return self

    def __exit__(self, *exc) -> None:
        for lib, k in zip(self._libs, self._saved, strict=True):
            lib.set_num_threads(k)

    def _plan(self) -> None:
        """Set the threads for the coming batch: a measuring batch, or the current choice."""
        if not self._choices:
            return
        phase = self._batch % _EVERY
        if phase == 0:
            self._measuring = True
        if not self._measuring:
            return
        if phase < _PROBE * len(self._choices):
            self._set(self._choices[phase // _PROBE])
        else:
            self._decide()

    def _decide(self) -> None:
        # the mean, not the median: beside a busy process most batches run at full speed
        # and a few wait a whole time slice for a descheduled BLAS thread
        # (the first batch after a switch wakes or parks threads, and may follow an epoch's
        # end: it is left out)
        means = {k: statistics.fmean(t[1:]) for k, t in self._times.items()}
        one, most = self._choices
        # one thread must win clearly: idle, it is ~10% slower and noise alone should not
        # pick it; beside a busy process it wins by far more
        self.current = one if means[one] < _MARGIN * means[most] else most
        self.history.append(self.current)
        self._times.clear()
        self._measuring = False
        self._set(self.current)

    def _settled(self) -> bool:
        """Whether the batches timed so far with more threads already add up to more than a
        whole window of them may take for one thread still to be chosen: then one thread is
        chosen whatever the remaining batches take (time only adds up), and the window ends
        early. Beside a busy process that is after about a third of it, which saves most of
        the cost of measuring there (the stalls of the threads that wait for a busy core)."""
        one, more = self._times.get(self._choices[0]), self._times[self._choices[1]]
        if one is None or len(one) < 2 or len(more) < 2:
            return False
        return sum(more[1:]) > (_PROBE - 1) * statistics.fmean(one[1:]) / _MARGIN

    def tick(self) -> None:
        """Call after each batch: records its time when measuring, and plans the next."""
        if not self._choices:
            return
        now = time.perf_counter()
        phase = self._batch % _EVERY
        self._batch += 1
        if self._measuring and phase < _PROBE * len(self._choices):
            k = self._choices[phase // _PROBE]
            self._times.setdefault(k, []).append(now - self._last)
            if k != self._choices[0] and self._settled():
                self._decide()  # the rest of the window cannot change the outcome
        self._last = now
        self._plan()

"""How many BLAS threads the training loop's per-batch products use.

A per-batch product (a few hundred rows) gains little from a second BLAS thread on an idle
machine and loses badly on a busy one: OpenBLAS's threads spin-wait for a core that another
process holds (measured on 2 cores with one competing busy process: an epoch 3.4x slower with
two threads, no slower with one). No fixed choice suits both, so by default the loop measures:
it times batches with one thread for about 16 ms (32 batches of 100 x 128, at least 4) and as
many with the BLAS's usual count, takes one thread when its mean is clearly lower (under
0.9x), the usual count otherwise, and measures again once a thousand batches and five seconds
have passed, so a machine that becomes busy (or idle) during training is noticed. The window
with more threads ends as soon as its batches already add up to more than one thread could
lose to (the same choice, at a fraction of the measuring cost beside a busy process).

After its last product a BLAS's worker threads spin for a while before they sleep (OpenBLAS:
2^28 clock cycles, about 0.1 s; OpenMP runtimes 0.2 s), and on a busy machine a spinning
worker takes a core from the one thread being timed: one-thread batches are timed only from
``_SPIN_S`` after the last batch that ran with more threads, and on a busy machine the data
check before training runs in one thread (:meth:`ThreadPolicy.prelude`). Without that, beside
one busy process on 2 cores, the one-thread window ran about half as fast as it does and the
policy kept two threads in 2 of 6 epochs (each then 1.8x slower).

Where the machine says how many threads are ready to run (Linux's ``/proc/loadavg``, less
this process's own), the one-thread window also counts those of other processes: when they
leave no core free for a second thread (one busy process on 2 cores, say), more threads can
only wait for a busy core, and one thread is chosen without timing them (their window and the
spin after it cost a busy 2-core machine about a fifth of a 100/128 epoch). The count is of the
whole machine; where this process may run on only some cores (``taskset``, a cpuset: a
batch job given a few cores of a shared node) only other processes' threads on those cores
count (see :func:`_others_running`). Before the count decides, the threads are looked at one
by one, each counted by the share of a core the scheduler gives it against ours: a background
job at ``nice 19`` takes about 1.5% of a core from a thread of ours, so beside one the windows
are timed and decide (measured on the lent device beside one: two threads 222.7 ms an epoch,
one 234.3). It can err only towards one thread, never towards spinning threads.

Many short loops (``partial_fit`` on small blocks, a ``train`` call of a few batches) are
measured as one: a loop that ends in the middle of a window leaves it to the next loop that
starts within ``_CARRY_S``, and a decision is kept by the next loops until it is due again
(``_EVERY_S``), unless the count of other processes' runnable threads now says otherwise.

``n_threads=k`` fixes the count instead (scikit-learn's ``n_jobs`` spirit); the BLAS's own
settings are restored when the loop ends (when several trainings run at once in threads of one
process, when the last of them ends: the BLAS's count is the process's).

The threads are set through threadpoolctl (a scikit-learn dependency), for every BLAS loaded in
the process (numpy's and SciPy's may be two libraries).
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import threading
import time
from numbers import Integral

from .validation import check_params

__all__ = ["ThreadPolicy"]

# How long the one-thread window is timed: beside a busy process the stalls come once per
# scheduler time slice (a few ms), so a window must span several slices to see their average
# cost; 8 batches of 100 x 128 (4 ms) did not (measured: the policy then kept two threads
# beside a busy process), 32 (16 ms) did. At least _PROBE_MIN batches, and then as many
# batches with more threads: a window of large batches (512 x 512: ~10 ms each with one
# thread) is over in a few, where 32 cost a fifth of an epoch.
_PROBE_S = 0.016
_PROBE_MIN = 4
_EVERY = 1024     # batches between two measurements, at least,
_EVERY_S = 5.0    # and seconds (the wait for spinning threads costs a little each time)
_SPIN_S = 0.25    # how long BLAS threads may spin after a product (OpenBLAS ~0.1 s, OpenMP 0.2 s)
_MARGIN = 0.9     # one thread is chosen when its batches take under 0.9x as long
_CARRY_S = 1.0    # an unfinished measurement is taken up by a loop starting this soon after
_controller = None

# Shared by the policies of one process (the BLAS's thread count is the process's):
_lock = threading.Lock()
_active = 0          # policies inside their ``with`` block now (trainings in other threads)
_outer: list[int] = []  # the BLAS's counts before the first of them, restored after the last
_carry: dict | None = None  # the last policy's measurement, for the next loop (partial_fit)


def _allowed() -> set[int] | None:
    """The cores this process may run on (None where that is not known)."""
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return None


def _cores() -> int:
    """How many cores this process may run on."""
    allowed = _allowed()
    return len(allowed) if allowed else os.cpu_count() or 1


_PROC = "/proc"
_SCAN_MOST = 2000  # threads on the machine up to which other processes' are looked at


def _thread_states(task_dir: str):
    """(state, last core, nice, scheduling policy) of each thread listed in ``task_dir`` (a
    /proc/PID/task folder)."""
    for tid in os.listdir(task_dir):
        try:
            with open(f"{task_dir}/{tid}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # the thread has ended
            continue
        rest = stat[stat.rindex(b")") + 2:].split()  # the name, in brackets, may hold anything
        # fields 3 (state), 39 (processor), 19 (nice) and 41 (policy) of proc(5)
        yield rest[0], int(rest[36]), int(rest[16]), int(rest[38])


_SCHED_IDLE = 5               # Linux's policy for the lowest-priority background work
_REAL_TIME = (1, 2, 6)        # SCHED_FIFO, SCHED_RR, SCHED_DEADLINE: they take a core


def _share(nice: int, policy: int, our_nice: int) -> float:
    """How much of a core another runnable thread takes from one of ours, up to 1: the
    scheduler's weights (1.25x a nice level) of its priority against ours. A background job
    at nice 19 beside ours at 0 counts 0.015; at our priority or above, a whole core."""
    if policy in _REAL_TIME:
        return 1.0
    if policy == _SCHED_IDLE:
        return 3 / 1024 * 1.25 ** min(our_nice, 19)   # (the scheduler's weight 3 to our own)
    return min(1.0, 1.25 ** (our_nice - nice))


def _our_nice() -> int:
    try:
        return os.getpriority(os.PRIO_PROCESS, 0)
    except (AttributeError, OSError):
        return 0


def _machine_others() -> int | None:
    """Threads of other processes ready to run now on the whole machine (Linux's
    ``/proc/loadavg``, 4th field ``running/total``, less this process's threads in state R:
    the one asking, and any BLAS thread still spinning), or None where not known. ~40 us."""
    try:
        with open(f"{_PROC}/loadavg", "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
        mine = sum(state == b"R" for state, *_ in _thread_states(f"{_PROC}/self/task"))
        return max(0, running - mine)
    except (OSError, ValueError, IndexError):
        return None


def _some_cores() -> bool:
    """Whether this process may run on only some of the machine's cores (taskset, a cpuset)."""
    allowed = _allowed()
    return allowed is not None and len(allowed) < (os.cpu_count() or 1)


def _others_on_our_cores() -> float | None:
    """Other processes' threads ready to run on the cores this process may use (all of the
    machine's when it may use every one), each counted by the share of a core it takes from
    ours (:func:`_share`: a background job at a lower priority counts little): each thread's
    proc(5) stat, on machines of up to ``_SCAN_MOST`` threads (one to a few ms: a few
    hundred small reads); None beyond that or where not known. A look taken less than
    ``_LOOK_S`` ago is reused (many short loops: ``partial_fit`` on small blocks)."""
    global _last_look
    allowed = _allowed()
    ours = _our_nice()
    key = (_PROC, None if allowed is None else frozenset(allowed), ours)
    now = time.monotonic()
    if _last_look is not None and _last_look[0] == key and now - _last_look[1] < _LOOK_S:
        return _last_look[2]
    count = _look(allowed, ours)
    _last_look = (key, now, count)
    return count


_LOOK_S = 1.0   # how long a look at the other processes' threads is reused
_last_look = None


def _look(allowed, ours) -> float | None:
    """The look itself (:func:`_others_on_our_cores`), every time."""
    try:
        with open(f"{_PROC}/loadavg", "rb") as f:
            total = int(f.read().split()[3].split(b"/")[1])
        if allowed is None or total > _SCAN_MOST:
            return None
        me = str(os.getpid())
        count, seen = 0.0, len(os.listdir(f"{_PROC}/self/task"))
        for pid in os.listdir(_PROC):
            if not pid.isdigit() or pid == me:
                continue
            try:
                threads = list(_thread_states(f"{_PROC}/{pid}/task"))
            except OSError:  # the process has ended, or is not ours to read
                continue
            seen += len(threads)
            count += sum(_share(nice, policy, ours) for state, core, nice, policy in threads
                         if state == b"R" and core in allowed)
        # a /proc that shows under half of the machine's threads (a container's own PID
        # namespace beside a busy host: /proc/loadavg is the host's; hidepid): the runnable
        # threads it does not show are not known, and the machine-wide count stands
        return count if 2 * seen >= total else None
    except (OSError, ValueError, IndexError):
        return None


def _no_core_for_two(others: float | None) -> bool:
    """Whether ``others`` threads of other processes ready to run on our cores leave less than
    half a core free beside ours for a second thread (False where that is not known)."""
    return others is not None and _cores() - 1 - others < 0.5


def _others_running() -> float | None:
    """Threads of other processes ready to run now on the cores this process may use, or None
    where that is not known (not Linux).

    The machine-wide count (:func:`_machine_others`) where this process may run on every core
    and that count leaves a core free for a second thread. Otherwise the other processes'
    threads are looked at one by one (:func:`_others_on_our_cores`): where this process may
    run on only some cores (``taskset``, a cpuset: a batch job on a shared node) the other
    cores' work does not compete for ours, and a background job of lower priority (``nice``)
    takes little of a core; the count stands where they cannot be looked at."""
    return _behind(_machine_others())


def _behind(others: float | None) -> float | None:
    """The machine-wide count ``others`` as this process's cores see it: looked behind one
    thread at a time (:func:`_others_on_our_cores`) under ``taskset`` or a cpuset whenever it
    is not zero, and elsewhere when it leaves no core free; there, where the threads cannot be
    looked at, the count stands."""
    if not others or not (_some_cores() or _no_core_for_two(others)):
        return others
    look = _others_on_our_cores()
    return look if look is not None or _some_cores() else others


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
        if isinstance(n_threads, Integral):  # (numpy's integers too: threadpoolctl takes ints)
            n_threads = int(n_threads)
        self.n_threads = n_threads
        self._libs = _blas() if n_threads != -1 else []
        with _lock:  # while another training runs, the counts it found are the BLAS's own
            saved = list(_outer) if _active else [lib.num_threads for lib in self._libs]
        self._entered = False
        #: what the loop multiplies (e.g. batch and layer sizes): a measurement or decision
        #: is taken up only by a loop of the same key
        self.key = None
        most = max(saved, default=1)
        # the two choices measured against each other; one choice means nothing to measure
        self._choices = [1, most] if n_threads is None and most > 1 else []
        self.current = n_threads if isinstance(n_threads, int) and n_threads >= 1 else most
        self._window: int | None = None  # the choice being timed (an index), or None
        self._times: dict[int, list[float]] = {}
        self._others: list[float] = []  # other runnable threads, seen in the one-thread window
        self._first_look: int | None = None  # the count the prelude saw on our cores
        self._last = 0.0
        self._skip = True         # the next batch is not timed (it follows other work)
        self._since = 0           # batches since the last decision
        self._decided_at = -math.inf
        self._more_until = -math.inf  # when the last batch with more threads than one ended
        self.history: list[int] = []  # the count chosen after each measurement (for tests)

    def _set(self, k: int) -> None:
        for lib in self._libs:
            lib.set_num_threads(k)

    @contextlib.contextmanager
    def prelude(self):
        """The work before the loop (the data check): in the fixed count when one is given;
        when the loop starts by timing one thread on a machine with no core free, in one
        thread (more would leave a BLAS thread spinning into that window, on the core it
        needs); as the BLAS is otherwise (on an idle machine a spinning thread has a core of
        its own: two threads check a large X in half the time)."""
        if self._choices:
            self._first_look = _others_running()
            k = 1 if _no_core_for_two(self._first_look) else None
        else:
            k = self.n_threads if self.n_threads not in (None, -1) else None
        if k is None or not self._libs:
            yield
            return
        before = [lib.num_threads for lib in self._libs]
        self._set(k)
        try:
            yield
        finally:
            for lib, saved in zip(self._libs, before, strict=True):
                lib.set_num_threads(saved)

    def __enter__(self) -> ThreadPolicy:
        global _active, _outer
        if self._libs:
            with _lock:  # the first of several trainings at once keeps the BLAS's counts
                if _active == 0:
                    _outer = [lib.num_threads for lib in self._libs]
                _active += 1
            self._entered = True
        if self._libs and self.n_threads is not None:
            self._set(self.n_threads)
        self._last = time.perf_counter()
        if self._choices and not self._resume():
            self._open(0)
        return self

    def __exit__(self, *exc) -> None:
        global _active, _carry
        if self._choices:
            _carry = self._snapshot()
        if not self._entered:
            return
        self._entered = False
        with _lock:  # the last of several trainings at once restores the BLAS's counts
            _active -= 1
            if _active == 0:
                for lib, k in zip(self._libs, _outer, strict=True):
                    lib.set_num_threads(k)

    def _snapshot(self) -> dict:
        return {"choices": tuple(self._choices), "key": self.key, "at": time.perf_counter(),
                "window": self._window, "current": self.current,
                "times": {k: list(v) for k, v in self._times.items()},
                "others": list(self._others), "decided_at": self._decided_at,
                "more_until": self._more_until}

    def _resume(self) -> bool:
        """Take up the last loop's measurement, so that many short loops (``partial_fit`` on
        small blocks) of the same :attr:`key` are measured as one long one: an unfinished
        window when this loop starts within ``_CARRY_S`` of that one's end; a decision until
        it is due again (``_EVERY_S``), unless the count of other processes' runnable threads
        now says otherwise (more threads chosen and no core free, or one and a core free).
        False: measure anew."""
        c = _carry
        if c is None or c["choices"] != tuple(self._choices) or c["key"] != self.key:
            return False
        now = time.perf_counter()
        self._more_until = c["more_until"]
        if c["window"] is not None:
            if now - c["at"] > _CARRY_S:
                return False
            self._times = {k: list(v) for k, v in c["times"].items()}
            self._others = list(c["others"])
            self._open(c["window"])
            return True
        if now - c["decided_at"] >= _EVERY_S:
            return False
        # a machine that became busy (or idle) since: measured anew
        # (under taskset, any runnable thread elsewhere counts as busy here: no look at cores)
        others = _machine_others()
        if others is not None:
            busy = others > 0 if _some_cores() else _no_core_for_two(others)
            if busy and c["current"] > 1 and not _some_cores():
                # more threads were chosen, timed: beside background jobs of lower priority
                busy = _no_core_for_two(_behind(others))
            if busy != (c["current"] == 1):
                return False
        self.current, self._decided_at = c["current"], c["decided_at"]
        self._window, self._since = None, _EVERY  # measured again once it is due
        self._set(self.current)
        return True

    def _open(self, window: int) -> None:
        self._window = window
        self._set(self._choices[window])

    def _decide(self, now: float, one_wins: bool | None = None) -> None:
        # the mean, not the median: beside a busy process most batches run at full speed
        # and a few wait a whole time slice for a descheduled BLAS thread
        one, most = self._choices
        if one_wins is None:
            # one thread must win clearly: idle, it is ~10% slower and noise alone should
            # not pick it; beside a busy process it wins by far more
            means = {k: statistics.fmean(t) for k, t in self._times.items()}
            one_wins = means[one] < _MARGIN * means[most]
        self.current = one if one_wins else most
        self.history.append(self.current)
        self._times.clear()
        self._others.clear()
        self._window = None
        self._since = 0
        self._decided_at = now
        self._set(self.current)

    def _settled(self) -> bool:
        """Whether the batches timed so far with more threads already add up to more than a
        whole window of them may take for one thread still to be chosen: then one thread is
        chosen whatever the remaining batches take (time only adds up), and the window ends
        early. Beside a busy process that is after a few batches, which saves most of the cost
        of measuring there (the stalls of the threads that wait for a busy core)."""
        one, more = self._times[self._choices[0]], self._times[self._choices[1]]
        return sum(more) > len(one) * statistics.fmean(one) / _MARGIN

    def _no_core_free(self) -> bool:
        """Whether other threads ready to run leave less than half a core free for a second
        thread (False where they are not known): on average over the one-thread window's
        machine-wide counts; on some of the machine's cores, when those were not all zero,
        one look at our cores (the prelude's, for the first measurement); on all of them,
        when those say no core is free, one look at the threads' priorities (background jobs
        of lower priority take little of a core: the windows then decide)."""
        look, self._first_look = self._first_look, None  # (the first measurement's only)
        if not self._others:
            return False
        others = statistics.fmean(self._others)
        if others and _some_cores() and look is not None:
            return _no_core_for_two(look)
        return _no_core_for_two(_behind(others))

    def epoch_start(self) -> None:
        """Call when an epoch's first batch is at hand (gathered, not yet computed): the time
        since the last batch held the work between epochs (validation, callbacks, the
        shuffle), which is not the products' and is not timed; and that work may have woken
        more BLAS threads than one."""
        now = time.perf_counter()
        self._last, self._skip = now, False
        if self._window == 1 or (self._window is None and self.current > 1):
            self._more_until = now

    def tick(self) -> None:
        """Call after each batch: records its time when measuring, and plans the next."""
        if not self._choices:
            return
        now = time.perf_counter()
        began, self._last = self._last, now
        skip, self._skip = self._skip, False
        if self._window is None:
            self._since += 1
            if self.current > 1:
                self._more_until = now
            if self._since >= _EVERY and now - self._decided_at >= _EVERY_S:
                self._open(0)
            return
        k = self._choices[self._window]
        if k > 1:
            self._more_until = now
        elif began < self._more_until + _SPIN_S:
            return  # more threads may still be spinning: not one thread's time alone
        if skip:
            return
        times = self._times.setdefault(k, [])
        times.append(now - began)
        if self._window == 0:
            if len(times) % 4 == 1:  # sampled on a few batches: reading it costs ~40 us
                others = _machine_others()
                if others is not None:
                    self._others.append(others)
                self._last = time.perf_counter()  # (not counted in the next batch's time)
            if len(times) >= _PROBE_MIN and sum(times) >= _PROBE_S:
                if self._no_core_free():
                    self._decide(now, one_wins=True)  # more threads would wait for a core
                else:
                    self._open(1)
        elif self._settled():
            self._decide(now, one_wins=True)  # the rest of the window cannot change that
        elif len(times) >= len(self._times[self._choices[0]]):  # as many as with one
            self._decide(now)

"""The training loop's BLAS thread policy (``shallownet._threads``)."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

import shallownet as sn
from shallownet import _threads
from shallownet._threads import ThreadPolicy
from shallownet.estimators import Classifier

threadpoolctl = pytest.importorskip("threadpoolctl", reason="needs threadpoolctl "
                                                            "(a scikit-learn dependency)")


@pytest.fixture(autouse=True)
def _fresh_process_state(monkeypatch):
    """Each test starts as a fresh process would: no training running, nothing carried."""
    monkeypatch.setattr(_threads, "_carry", None)
    monkeypatch.setattr(_threads, "_active", 0)
    monkeypatch.setattr(_threads, "_outer", [])


class FakeBLAS:
    """A BLAS library as threadpoolctl presents it: a thread count that can be set."""

    def __init__(self, threads):
        self.num_threads = threads
        self.calls = []

    def set_num_threads(self, k):
        self.num_threads = k
        self.calls.append(k)


class FakeClock:
    """A clock whose batches take ``cost[threads]`` seconds with ``lib``'s current threads.

    With ``spin=(seconds, cost)``, a one-thread batch that starts within ``seconds`` of the
    end of a batch with more threads takes ``cost`` instead: the other BLAS threads still
    spin then, and on a busy machine they take a core from the one being timed."""

    def __init__(self, lib, cost, spin=None):
        self.lib, self.cost, self.now, self.spin = lib, cost, 0.0, spin
        self.more_until = -1e9

    def __call__(self):
        return self.now

    def run_batch(self):
        k = self.lib.num_threads
        if k == 1 and self.spin and self.now < self.more_until + self.spin[0]:
            self.now += self.spin[1]
        else:
            self.now += self.cost[k]
        if k > 1:
            self.more_until = self.now


P = 32  # batches in a window when one-thread batches take 1 s: the clock below is in seconds


def _policy(monkeypatch, threads, cost, n_threads=None, spin=None, others=0, cores=None,
            probe_s=P - 0.5):
    """A policy over a fake BLAS and clock, on a machine of ``cores`` cores (``threads`` by
    default) where ``others`` other threads are ready to run (None: not known); a window
    is timed for ``probe_s`` seconds (None: as in the library)."""
    lib = FakeBLAS(threads)
    if probe_s is not None:
        monkeypatch.setattr(_threads, "_PROBE_S", probe_s)
    monkeypatch.setattr(_threads, "_blas", lambda: [lib])
    monkeypatch.setattr(_threads, "_others_running", lambda: others)
    monkeypatch.setattr(_threads, "_machine_others", lambda: others)
    # (a look at the threads one by one sees them at this process's priority)
    monkeypatch.setattr(_threads, "_others_on_our_cores", lambda: others)
    monkeypatch.setattr(_threads, "_some_cores", lambda: False)
    monkeypatch.setattr(_threads, "_cores", lambda: cores or threads)
    clock = FakeClock(lib, cost, spin)
    monkeypatch.setattr(_threads.time, "perf_counter", clock)
    return ThreadPolicy(n_threads), lib, clock


@pytest.mark.parametrize("cost, chosen", [({1: 1.0, 4: 0.5}, 4), ({1: 1.0, 4: 3.4}, 1),
                                          ({1: 1.0, 4: 1.05}, 4)])  # not clearly faster
def test_the_faster_count_is_measured_and_kept(monkeypatch, cost, chosen):
    policy, lib, clock = _policy(monkeypatch, 4, cost)
    with policy:
        # each measurement: a first batch not timed (it follows other work, or more threads
        # may still spin), then a window of _PROBE batches per choice
        for _ in range(2 * _threads._EVERY + 3 * (2 * P + 1)):
            clock.run_batch()
            policy.tick()
        assert lib.num_threads == chosen
    assert policy.history == [chosen] * 3  # measured again every _EVERY batches
    assert lib.num_threads == 4  # the BLAS's own setting restored


def test_rare_long_stalls_count(monkeypatch):
    """Beside a busy process most two-thread batches are fast and a few wait a whole time
    slice: the mean sees that, a median would not."""
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: 0.6})
    runs = 0
    with policy:
        for _ in range(_threads._EVERY):
            runs += lib.num_threads == 2
            clock.cost = {1: 1.0, 2: 5.0 if runs % 3 == 0 else 0.6}
            clock.run_batch()
            policy.tick()
    assert policy.history == [1]


@pytest.mark.parametrize("more_cost, batches_with_more", [
    (3.4, 11),  # 11 batches of 3.4 exceed 32 x 1.0 / 0.9: the window ends there
    (1.05, 32),  # one thread cannot win: the whole window is run
    (0.5, 32)])
def test_the_window_with_more_threads_ends_once_it_cannot_win(monkeypatch, more_cost,
                                                            batches_with_more):
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: more_cost})
    used = []
    with policy:
        for _ in range(_threads._EVERY + 5 * P):
            used.append(lib.num_threads)
            clock.run_batch()
            policy.tick()
    decided = 1 if more_cost > 1 / _threads._MARGIN else 2
    assert policy.history == [decided, decided]  # the same choice as a whole window makes
    # the first batch is not timed (it holds the work before the loop), then P with one thread
    assert used[:P + 1] == [1] * (P + 1)
    assert used[P + 1:P + 1 + batches_with_more] == [2] * batches_with_more
    end = P + 1 + batches_with_more
    # the next measurement starts _EVERY batches after the decision
    assert all(k == decided for k in used[end:end + _threads._EVERY])
    assert used[end + _threads._EVERY:end + _threads._EVERY + P] == [1] * P


def test_one_thread_is_timed_once_more_threads_stopped_spinning(monkeypatch):
    """Beside a busy process, the BLAS threads still spinning after a product with two
    threads slow the one-thread batches right after it as much as two threads are slow: the
    policy waits until they sleep before it times one thread, and sees that it wins."""
    ms = 1e-3
    # idle at first: two threads win; then a busy process: two threads 3x slower, and one
    # thread as slow as them for 0.13 s after a batch with two threads (their spin)
    policy, lib, clock = _policy(monkeypatch, 2, {1: 0.5 * ms, 2: 0.4 * ms}, probe_s=None)
    with policy:
        while len(policy.history) < 2 and clock.now < 60:
            if policy.history == [2]:
                clock.cost, clock.spin = {1: 0.5 * ms, 2: 1.5 * ms}, (0.13, 1.5 * ms)
            clock.run_batch()
            policy.tick()
    assert policy.history == [2, 1]


def test_measured_again_only_after_some_seconds(monkeypatch):
    """Short batches: the next measurement waits for _EVERY_S seconds too, so the wait for
    spinning threads before each costs a bounded share of the time."""
    ms = 1e-3
    policy, lib, clock = _policy(monkeypatch, 2, {1: 0.5 * ms, 2: 0.4 * ms}, probe_s=None)
    opened = []
    with policy:
        for _ in range(40_000):
            before = lib.num_threads
            clock.run_batch()
            policy.tick()
            if before == 2 and lib.num_threads == 1:
                opened.append(clock.now)
    assert len(policy.history) >= 2
    gaps = [b - a for a, b in pairwise(opened)]
    assert gaps and min(gaps) >= _threads._EVERY_S


@pytest.mark.parametrize("per_epoch", [5, 1])
def test_the_time_between_epochs_is_not_timed(monkeypatch, per_epoch):
    """The work between epochs (validation, callbacks, the shuffle) would land in the next
    batch's time: a window spanning epoch ends would look slower than it is. It is left out,
    and the batch itself is timed: with one batch an epoch (batch_size >= N) every batch is an
    epoch's first, and the policy measured nothing and kept one thread for the whole run."""
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: 0.5})
    with policy:
        for i in range(3 * P):
            if i % per_epoch == 0:  # then 50 s of validation, with the current threads
                if lib.num_threads == 2:
                    clock.now += 50.0
                policy.epoch_start()
            clock.run_batch()
            policy.tick()
    assert policy.history == [2]


def test_one_batch_epochs_of_train_are_measured(monkeypatch):
    """batch_size >= N through train(): the policy decides (it stayed on one thread)."""
    import shallownet.training as training

    seen = []
    real = training.ThreadPolicy

    class Spy(real):
        def __exit__(self, *exc):
            seen.append(list(self.history))
            return super().__exit__(*exc)

    monkeypatch.setattr(training, "ThreadPolicy", Spy)
    monkeypatch.setattr(_threads, "_blas", lambda: [FakeBLAS(2)])
    monkeypatch.setattr(_threads, "_PROBE_S", 1e-4)  # (tiny batches: a short window)
    X = np.random.default_rng(0).normal(size=(64, 5)).astype(np.float32)
    sn.train(sn.Network.init(5, 4, 1, "relu", "binary", seed=0), X, (X[:, 0] > 0).astype(int),
             epochs=300, batch_size=64)
    assert seen and seen[0], "no decision in 300 one-batch epochs"


@pytest.mark.parametrize("n_threads, others, during", [
    (None, 3, 1),     # busy: one thread, none left spinning into the window
    (None, 0, 4),     # idle: a spinning thread has a core of its own
    (None, None, 4),  # not known
    (3, 3, 3), (-1, 3, 4)])
def test_the_work_before_the_loop_runs_in_one_thread_on_a_busy_machine(
        monkeypatch, n_threads, others, during):
    policy, lib, clock = _policy(monkeypatch, 4, {1: 1.0, 3: 1.0, 4: 1.0}, n_threads=n_threads,
                                 others=others)
    with policy.prelude():
        assert lib.num_threads == during
    assert lib.num_threads == 4


def test_a_machine_that_becomes_busy_is_noticed(monkeypatch):
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: 0.8})
    with policy:
        for i in range(3 * _threads._EVERY):
            if i == 2 * P + 5:  # after the first measurement
                clock.cost = {1: 1.0, 2: 3.0}  # another process starts spinning
            clock.run_batch()
            policy.tick()
    assert policy.history == [2, 1, 1]


def test_a_fixed_count_is_set_and_restored(monkeypatch):
    policy, lib, clock = _policy(monkeypatch, 8, {1: 1.0, 3: 1.0}, n_threads=3)
    with policy:
        assert lib.num_threads == 3
        for _ in range(600):
            clock.run_batch()
            policy.tick()
        assert lib.calls == [3]  # nothing measured, nothing switched
    assert lib.num_threads == 8


def test_minus_one_leaves_the_blas_alone(monkeypatch):
    policy, lib, clock = _policy(monkeypatch, 8, {8: 1.0}, n_threads=-1)
    with policy:
        policy.tick()
    assert lib.calls == []


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_bad_n_threads(bad):
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="n_threads"):
        sn.train(sn.Network.init(2, 3), X, [0, 1, 0, 1], n_threads=bad)
    with pytest.raises(ValueError, match="n_threads"):
        Classifier(n_threads=bad).fit(X, [0, 1, 0, 1])


def _blas_threads():
    return {i["filepath"]: i["num_threads"] for i in threadpoolctl.threadpool_info()
            if i["user_api"] == "blas"}


def test_training_runs_with_the_threads_asked_for_then_restores_them():
    before = _blas_threads()
    seen = []

    def spy(info):
        seen.append(set(_blas_threads().values()))

    X = np.random.default_rng(0).normal(size=(200, 5))
    y = (X[:, 0] > 0).astype(int)
    clf = Classifier(hidden_units=8, epochs=2, n_threads=1, callbacks=[spy],
                     random_state=0).fit(X, y)
    assert seen == [{1}, {1}]
    assert _blas_threads() == before
    assert clf.get_params()["n_threads"] == 1
    # the policy (the default) trains to the same weights as a fixed count
    a = Classifier(hidden_units=8, epochs=2, random_state=0).fit(X, y)
    np.testing.assert_allclose(a.network_.W_H, clf.network_.W_H, rtol=1e-5, atol=1e-6)
    assert _blas_threads() == before


@pytest.mark.parametrize("n_threads, others, expected", [
    (None, 1_000, {1}), (None, 0, None), (1, 0, {1}), (-1, 1_000, None)])
def test_train_checks_the_data_in_one_thread_on_a_busy_machine(monkeypatch, n_threads,
                                                               others, expected):
    """The finiteness check of a large X runs in BLAS: with more threads they would still
    spin while the policy times one thread, on the core it needs when the machine is busy."""
    import shallownet.training as training

    monkeypatch.setattr(_threads, "_others_running", lambda: others)
    seen = []
    real = training.finite_by_blas

    def spy(A):
        seen.append(set(_blas_threads().values()))
        return real(A)

    monkeypatch.setattr(training, "finite_by_blas", spy)
    before = _blas_threads()
    X = np.random.default_rng(0).normal(size=(2000, 40)).astype(np.float32)  # >= 2^16 values
    y = (X[:, 0] > 0).astype(int)
    sn.train(sn.Network.init(40, 8, 1), X, y, epochs=1, n_threads=n_threads)
    assert seen == [expected or set(before.values())]
    assert _blas_threads() == before


def _first_measurement(policy, lib, clock, chosen, timed_more):
    """Run the first measurement and a batch after it: ``chosen`` threads, after timing
    ``timed_more`` batches with more threads than one."""
    used = []
    with policy:
        for _ in range(2 * P + 2):
            used.append(lib.num_threads)
            clock.run_batch()
            policy.tick()
    assert policy.history == [chosen]
    assert used.count(2) == timed_more + (chosen == 2) * (len(used) - 2 * P - 1)


@pytest.mark.parametrize("others, cores, chosen, timed_more", [
    (1, 2, 1, 0),        # one busy process on 2 cores: no core for a second thread
    (0, 2, 2, 32),       # idle: both timed, two threads win
    (None, 2, 2, 32),    # not known (not Linux): both timed
    (1, 16, 2, 32),      # one busy process on 16 cores: cores to spare, timed
    (3, 4, 1, 0)])
def test_no_core_free_means_one_thread_without_timing_more(monkeypatch, others, cores,
                                                           chosen, timed_more):
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: 0.5}, others=others, cores=cores)
    _first_measurement(policy, lib, clock, chosen, timed_more)


def _stat(pid, name, state, core, nice=0, policy=0):
    # proc(5)'s stat: pid (comm) state ... with the nice value as field 19, the processor as
    # field 39 and the scheduling policy as field 41
    fields = ["0"] * 38
    fields[16 - 1], fields[36 - 1], fields[38 - 1] = str(nice), str(core), str(policy)
    return f"{pid} ({name}) {state} " + " ".join(fields) + "\n"


def _fake_proc(tmp_path, loadavg, threads):
    """A /proc with ``loadavg`` and ``threads`` {pid: [(state, core[, nice[, policy]]), ...]}
    ("self": ours)."""
    (tmp_path / "loadavg").write_text(loadavg)
    for pid, states in threads.items():
        for i, thread in enumerate(states):
            d = tmp_path / str(pid) / "task" / f"{i + 1}"
            d.mkdir(parents=True)
            (d / "stat").write_text(_stat(i + 1, "a) R (b", *thread))  # a name with ")"
    (tmp_path / "sys").mkdir()  # (not a process)
    return tmp_path


@pytest.mark.parametrize("cpus, loadavg, scan_most, expected", [
    (16, "0.5 0.4 0.3 4/8 99\n", 2000, 2),     # taskset 0,1: the two R threads on 0 and 1
    (2, "0.5 0.4 0.3 4/8 99\n", 5, 3),         # every core, too many threads to look at:
    #                                           the machine-wide count
    (16, "0.5 0.4 0.3 4/8 99\n", 5, None),     # too many threads to look at: not known
    (16, "0.5 0.4 0.3 1/8 99\n", 5, 0)])       # only ours run: nothing to look at
def test_others_running_counts_other_processes_on_our_cores(monkeypatch, tmp_path, cpus,
                                                            loadavg, scan_most, expected):
    """Under taskset or a cpuset the machine-wide count holds other cores' work, which does not
    compete for ours (a batch job on a shared node): only other processes' runnable threads on
    the cores this process may use count."""
    proc = _fake_proc(tmp_path, loadavg, {
        "self": [("R", 0), ("S", 1)],
        __import__("os").getpid(): [("R", 0)],   # ourselves by number: not counted twice
        100: [("R", 0), ("S", 0)], 101: [("R", 5)], 102: [("S", 1)], 103: [("R", 1)]})
    monkeypatch.setattr(_threads, "_PROC", str(proc))
    monkeypatch.setattr(_threads, "_SCAN_MOST", scan_most)
    monkeypatch.setattr(_threads, "_allowed", lambda: {0, 1})
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: cpus)
    assert _threads._others_running() == expected


@pytest.mark.parametrize("threads, ours, expected", [
    ([("R", 0), ("R", 1)], 0, 2.0),                      # two at our priority: two cores
    ([("R", 0, 19), ("R", 1, 19)], 0, 2 * 1.25 ** -19),  # background jobs: a few percent
    ([("R", 0, 5)], 0, 1.25 ** -5),                      # nice 5: a third of a core
    ([("R", 0, 19)], 19, 1.0),                           # we are at nice 19 too: a core
    ([("R", 0, -5)], 0, 1.0),                            # above ours: a whole core, no more
    ([("R", 0, 0, 5)], 0, 3 / 1024),                     # SCHED_IDLE
    ([("R", 0, 19, 1)], 0, 1.0)])                        # real time (SCHED_FIFO)
def test_other_threads_count_by_the_share_of_a_core_they_take(monkeypatch, tmp_path, threads,
                                                              ours, expected):
    """A background job at a lower priority (``nice``) took a whole core in the count, so
    beside one on 2 cores one thread was chosen without timing: two were faster there (lent
    device, ``epoch.py --busy --nice 19``: BLAS default 222.7 ms, the policy 234.5 ms). Each
    other runnable thread now counts by the scheduler's weight of its priority against ours,
    and beside background jobs the windows decide."""
    proc = _fake_proc(tmp_path, "2.0 1.0 0.5 3/4 99\n",
                      {"self": [("R", 0)], 100: threads, 101: [("S", 1)]})
    monkeypatch.setattr(_threads, "_PROC", str(proc))
    monkeypatch.setattr(_threads, "_allowed", lambda: {0, 1})
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(_threads, "_our_nice", lambda: ours)
    assert _threads._others_on_our_cores() == pytest.approx(expected)
    # the machine-wide count (2 others on 2 cores: none free) is looked behind
    assert _threads._others_running() == pytest.approx(expected)


@pytest.mark.parametrize("cpus", [2, 16])
def test_threads_this_proc_does_not_show_are_not_taken_for_idle(monkeypatch, tmp_path, cpus):
    """In a container (its own PID namespace) /proc/loadavg is the host's and /proc shows the
    container's processes only. Beside a busy host (two other threads running on 2 cores: no
    core free) the look behind the machine-wide count saw none of them and counted 0, so more
    threads were chosen where one was chosen untimed before. A /proc that shows under half of
    the machine's threads now tells nothing, and the machine-wide count stands; under taskset
    the other cores' work is not known either (as where too many threads are to look at)."""
    proc = _fake_proc(tmp_path, "2.0 1.0 0.5 3/300 99\n",
                      {"self": [("R", 0), ("S", 1)], 100: [("S", 0)], 101: [("S", 1)]})
    monkeypatch.setattr(_threads, "_PROC", str(proc))
    monkeypatch.setattr(_threads, "_last_look", None)
    monkeypatch.setattr(_threads, "_allowed", lambda: {0, 1})
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: cpus)
    assert _threads._others_on_our_cores() is None
    assert _threads._others_running() == (2 if cpus == 2 else None)


def test_a_look_at_the_threads_is_reused_for_a_second(monkeypatch):
    """A look costs a few ms (4 ms for 135 threads on a 2-core VM): short loops beside a
    background job (``partial_fit`` on small blocks, each deciding whether to keep the last
    choice) take the last one while it is under a second old."""
    looks = []
    monkeypatch.setattr(_threads, "_look", lambda allowed, ours: looks.append(1) or 0.5)
    monkeypatch.setattr(_threads, "_last_look", None)
    now = [100.0]
    monkeypatch.setattr(_threads.time, "monotonic", lambda: now[0])
    assert _threads._others_on_our_cores() == 0.5
    now[0] += 0.9
    assert _threads._others_on_our_cores() == 0.5 and len(looks) == 1
    now[0] += 0.2
    assert _threads._others_on_our_cores() == 0.5 and len(looks) == 2
    monkeypatch.setattr(_threads, "_our_nice", lambda: 7)   # another priority: looked again
    assert _threads._others_on_our_cores() == 0.5 and len(looks) == 3


@pytest.mark.parametrize("share, chosen, timed_more", [(1.0, 1, 0), (0.03, 2, 32)])
def test_beside_background_jobs_the_windows_decide(monkeypatch, share, chosen, timed_more):
    """One other runnable thread on 2 cores: at our priority, one thread without timing more;
    a background job (its share of a core small), both counts timed and the faster kept."""
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: 0.5}, others=1, cores=2)
    monkeypatch.setattr(_threads, "_others_on_our_cores", lambda: share)
    _first_measurement(policy, lib, clock, chosen, timed_more)


def test_a_carried_choice_of_two_threads_stands_beside_background_jobs(monkeypatch):
    """partial_fit in a loop beside a nice 19 job: the two threads timed and chosen by the
    first call are kept by the next calls, not measured anew each time."""
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: 0.5}, others=1, cores=2)
    monkeypatch.setattr(_threads, "_others_on_our_cores", lambda: 0.03)
    policy.key = "k"
    _first_measurement(policy, lib, clock, 2, 32)
    again = ThreadPolicy(None)
    again.key = "k"
    with again:
        assert again._window is None and again.current == 2   # taken up, not measured
    monkeypatch.setattr(_threads, "_others_on_our_cores", lambda: 1.0)  # a job at our priority
    third = ThreadPolicy(None)
    third.key = "k"
    with third:
        assert third._window == 0   # measured anew


@pytest.mark.parametrize("on_ours, chosen, timed_more", [(1, 1, 0), (0, 2, 32), (None, 2, 32)])
def test_on_some_cores_one_look_at_them_decides(monkeypatch, on_ours, chosen, timed_more):
    """taskset 0,1 on a 16-core machine with 3 other threads running somewhere: one look at
    our cores per measurement (it costs a few ms) says whether one of them is busy."""
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: 0.5}, others=3, cores=2)
    monkeypatch.setattr(_threads, "_some_cores", lambda: True)
    looks = []
    monkeypatch.setattr(_threads, "_others_on_our_cores", lambda: looks.append(1) or on_ours)
    _first_measurement(policy, lib, clock, chosen, timed_more)
    assert len(looks) == 1


def test_the_prelude_s_look_serves_the_first_measurement(monkeypatch):
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: 0.5}, others=3, cores=2)
    monkeypatch.setattr(_threads, "_some_cores", lambda: True)
    monkeypatch.setattr(_threads, "_others_running", lambda: 1)   # the prelude's count
    looks = []
    monkeypatch.setattr(_threads, "_others_on_our_cores", lambda: looks.append(1) or 0)
    with policy.prelude():
        assert lib.num_threads == 1  # busy: the check in one thread
    with policy:
        for _ in range(P + 2):
            clock.run_batch()
            policy.tick()
    assert policy.history == [1] and looks == []


def test_others_running_reads_the_machine():
    others = _threads._others_running()
    if not __import__("os").path.exists("/proc/loadavg"):
        assert others is None
    else:
        assert isinstance(others, (int, float)) and others >= 0
    assert _threads._cores() >= 1


@pytest.mark.parametrize("one_ms, batches", [(0.49, 33), (10.0, 4), (100.0, 4), (0.15, 107)])
def test_a_window_lasts_about_16_ms_and_at_least_4_batches(monkeypatch, one_ms, batches):
    """Small batches: enough of them to span several scheduler time slices; large ones
    (512 x 512, or an L-BFGS evaluation of the whole set): a few, not 32, which would run a
    fifth of an epoch on one thread."""
    ms = 1e-3
    policy, lib, clock = _policy(monkeypatch, 2, {1: one_ms * ms, 2: 0.6 * one_ms * ms},
                                 probe_s=None)
    used = []
    with policy:
        while not policy.history:
            used.append(lib.num_threads)
            clock.run_batch()
            policy.tick()
    assert policy.history == [2]
    # (the first batch is not timed)
    assert used == [1] * (batches + 1) + [2] * batches


def test_overlapping_trainings_restore_the_blas_s_own_count(monkeypatch):
    """Two trainings at once in threads: the second found the count the first had set (one
    thread) and restored that, leaving the whole process on one BLAS thread afterwards."""
    lib = FakeBLAS(4)
    monkeypatch.setattr(_threads, "_blas", lambda: [lib])
    first, second = ThreadPolicy(1), ThreadPolicy(None)
    with first:
        assert lib.num_threads == 1
        with second:
            assert second._choices == [1, 4]  # it measures against the BLAS's own count
    assert lib.num_threads == 4
    third, fourth = ThreadPolicy(2), ThreadPolicy(3)  # and interleaved, not nested
    third.__enter__()
    fourth.__enter__()
    third.__exit__(None, None, None)
    assert lib.num_threads == 3  # the one still running keeps its count
    fourth.__exit__(None, None, None)
    assert lib.num_threads == 4


def test_short_loops_are_measured_as_one(monkeypatch):
    """partial_fit on small blocks: loops of 3 batches never finished the one-thread window, so
    every call ran on one thread; the measurement now carries over to the next loop."""
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: 0.5})
    monkeypatch.setattr(_threads, "_EVERY_S", 1e9)  # (batches of seconds: keep the decision)
    used = []
    for _ in range(30):
        policy = ThreadPolicy(None)
        with policy:
            policy.epoch_start()
            for _ in range(3):
                used.append(lib.num_threads)
                clock.run_batch()
                policy.tick()
        clock.now += 0.01  # the caller's own work between the calls
    assert used[-10:] == [2] * 10
    assert used.count(1) <= P + 4


def test_a_decision_carried_over_is_dropped_when_the_machine_turned_busy(monkeypatch):
    others = {"n": 0}
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: 0.5})
    monkeypatch.setattr(_threads, "_machine_others", lambda: others["n"])
    monkeypatch.setattr(_threads, "_others_on_our_cores", lambda: others["n"])
    monkeypatch.setattr(_threads, "_EVERY_S", 1e9)  # a decision would be kept all along

    def loop(batches):
        p = ThreadPolicy(None)
        with p:
            p.epoch_start()
            for _ in range(batches):
                clock.run_batch()
                p.tick()
        return p

    def kept(threads):  # the next loop starts with the last decision, not measuring
        with ThreadPolicy(None) as p:
            return p._window is None and lib.num_threads == threads

    loop(2 * P + 2)
    assert kept(2)  # idle: two threads kept
    others["n"] = 1  # a busy process now: measured again, and one thread wins at once
    assert not kept(2)
    assert loop(P + 2).history == [1]
    assert kept(1)  # still busy: one thread kept
    others["n"] = 0  # idle again: measured again
    assert not kept(1)
    assert loop(3 * P).history == [2]


@pytest.mark.parametrize("n_threads", [np.int64(2), np.int32(1)])
def test_numpy_integers_are_thread_counts(monkeypatch, n_threads):
    policy, lib, clock = _policy(monkeypatch, 4, {1: 1.0, 2: 1.0}, n_threads=n_threads)
    with policy:
        assert lib.num_threads == int(n_threads) and type(lib.calls[-1]) is int
    assert lib.num_threads == 4


def test_minus_one_is_said_as_such():
    with pytest.raises(ValueError, match=r"n_threads must be None or -1 or a positive integer"):
        ThreadPolicy(0)


def test_a_measurement_is_taken_up_only_by_a_loop_of_the_same_products(monkeypatch):
    """A grid search fits networks of several sizes one after another: one size's unfinished
    window or decision is not another's."""
    policy, lib, clock = _policy(monkeypatch, 2, {1: 1.0, 2: 0.5})
    monkeypatch.setattr(_threads, "_EVERY_S", 1e9)

    def loop(key, batches):
        p = ThreadPolicy(None)
        p.key = key
        with p:
            started = p._window
            p.epoch_start()
            for _ in range(batches):
                clock.run_batch()
                p.tick()
        return started, p

    loop(("small",), 2 * P + 2)
    assert loop(("small",), 1)[0] is None  # the decision taken up
    assert loop(("large",), 3)[0] == 0    # another size: measured anew
    assert loop(("small",), 1)[0] == 0    # (the carried state is the large one's now)

"""Time one epoch of mini-batch SGD, side by side, in one run.

The workload: MNIST-shaped data (60,000 x 784 float32, 10 classes), one hidden ReLU layer,
softmax + cross-entropy (5)/(18), plain SGD (21) with no momentum. Peers:

* shallownet: one ``train(net, X, y, epochs=1, optimizer="sgd")`` call (with its once-per-call
  work: the data check, the thread policy's first measurement), and an epoch inside a run
  (``train(epochs=3)`` and ``train(epochs=200)``, each stopped after 3 epochs, the first left
  out): what a training run spends per epoch, the measure PyTorch's loop below gets too;
* scikit-learn ``MLPClassifier(solver="sgd", momentum=0)``, one ``partial_fit`` = one epoch;
* PyTorch eager (``nn.Linear``/``ReLU``/``CrossEntropyLoss``/``optim.SGD``), when installed
  (``pip install torch==2.13.0``); skipped, and said so, otherwise.

``floor_ms`` is the same epoch's batch gather and per-batch products alone (the step's own BLAS
calls, layouts and thread policy, nothing else). The roofline is the epoch's matrix-multiply
FLOPs, 4 N N_i N_h + 6 N N_h N_o (forward 2, backward for the weights 2 per layer, plus
dL/du_H), divided by the float32 GEMM rate measured in this run on large square matrices.
Every time is a median over repeated epochs; every ratio compares numbers from this run only.

    python benchmarks/epoch.py                      # hidden 100, batch 128, a table
    python benchmarks/epoch.py --hidden 512 --batch 512 --json
    python benchmarks/epoch.py --busy               # idle vs one competing busy process
    python benchmarks/epoch.py --busy --nice 19     # ... a background job (lowest priority)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from itertools import pairwise

import numpy as np

N, N_I, N_O = 60_000, 784, 10
LONG_RUN = 200  # epochs a long run plans: the estimators' default max_iter


def make_data(seed: int = 0):
    """Random MNIST-shaped data with labels from a random linear teacher (learnable)."""
    rng = np.random.default_rng(seed)
    X = rng.random((N, N_I), dtype=np.float32)
    teacher = rng.standard_normal((N_I, N_O), dtype=np.float32)
    # labels in chunks, so that making the data never holds a second copy of X
    y = np.concatenate([np.argmax((X[i:i + 4096] - 0.5) @ teacher, axis=1)
                        for i in range(0, N, 4096)])
    return X, y


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def gemm_gflops(size: int = 2048, repeats: int = 5) -> float:
    """float32 GEMM rate (GFLOP/s) on square matrices, median of ``repeats``."""
    rng = np.random.default_rng(1)
    A = rng.random((size, size), dtype=np.float32)
    B = rng.random((size, size), dtype=np.float32)
    C = np.empty((size, size), np.float32)
    np.matmul(A, B, out=C)  # warm up
    ms = median_ms(lambda: np.matmul(A, B, out=C), repeats)
    return 2 * size**3 / (ms * 1e-3) / 1e9


def epoch_flops(hidden: int) -> float:
    return 4.0 * N * N_I * hidden + 6.0 * N * hidden * N_O


class kernels:
    """``with kernels(numba): ...``: train() with the compiled kernels (SHALLOWNET_NUMBA=1),
    with numpy's passes (``False``: SHALLOWNET_NUMBA=0) or as a user gets it (``None``: unset,
    the compiled kernels only for large batches when numba is installed)."""

    def __init__(self, numba: bool | None):
        self.value = None if numba is None else "1" if numba else "0"

    def __enter__(self):
        self.old = os.environ.get("SHALLOWNET_NUMBA")
        if self.value is None:
            os.environ.pop("SHALLOWNET_NUMBA", None)
        else:
            os.environ["SHALLOWNET_NUMBA"] = self.value

    def __exit__(self, *exc):
        if self.old is None:
            os.environ.pop("SHALLOWNET_NUMBA", None)
        else:
            os.environ["SHALLOWNET_NUMBA"] = self.old


def have_numba() -> bool:
    from shallownet._kernels import fused_kernels

    return fused_kernels() is not None


def shallownet_epoch(X, y, hidden, batch, n_threads=None, numba=None):
    """One warmed-up epoch of ``train`` as a callable (kernels chosen as ``numba`` says)."""
    import shallownet as sn

    net = sn.Network.init(N_I, hidden, N_O, activation="relu", output="multiclass", seed=0)

    def run():
        with kernels(numba):
            sn.train(net, X, y, epochs=1, batch_size=batch, optimizer="sgd",
                     learning_rate=0.01, seed=0, n_threads=n_threads)

    run()  # warm up
    return run


def shallownet_run(X, y, hidden, batch, planned: int, timed: int = 2):
    """Epochs inside one training run, as a callable returning their median in ms.

    ``train(epochs=planned)`` is stopped by a callback after ``timed + 1`` epochs; the first
    (which holds the run's once-only work: the data check, the thread policy's first
    measurement) is left out. What a user's run of ``planned`` epochs spends per epoch: with
    numba installed a run planning 50,000 batches or more takes the compiled kernels
    (``_kernels.want_fused``), as the estimators' default 200 epochs on this set do.
    """
    import shallownet as sn

    net = sn.Network.init(N_I, hidden, N_O, activation="relu", output="multiclass", seed=0)

    def run():
        ends = [time.perf_counter()]

        def mark(info):
            ends.append(time.perf_counter())
            return info.epoch > timed

        with kernels(None):
            sn.train(net, X, y, epochs=planned, batch_size=batch, optimizer="sgd",
                     learning_rate=0.01, seed=0, callbacks=[mark])
        return statistics.median((b - a) * 1e3 for a, b in pairwise(ends[1:]))

    run()  # warm up
    return run


def bench_shallownet(X, y, hidden, batch, repeats, n_threads=None, numba=None):
    return median_ms(shallownet_epoch(X, y, hidden, batch, n_threads, numba), repeats)


def interleaved_ms(fns: dict, repeats: int) -> dict:
    """Each callable timed once per round, the rounds alternating (times in ms per name): a
    drift in the machine's speed hits every one alike. A callable that returns a number has
    timed itself (ms): that number is taken."""
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            own = fn()
            times[k].append(own if own is not None else (time.perf_counter() - t0) * 1e3)
    return times


def breakdown(X, y, hidden, batch, repeats) -> dict:
    """Where an epoch's time goes: the gather alone, the floor, the bare step loop (no train()
    around it) with numpy's passes and with the compiled kernels, and train() itself."""
    import shallownet as sn
    from shallownet._kernels import Workspace

    rng = np.random.default_rng(0)
    Xb = np.empty((batch, N_I), np.float32)
    Tb = np.empty(batch, y.dtype)

    def loop(step):
        gathered_epoch(X, y, Xb, Tb, rng, step)

    out = {"gather_ms": median_ms(lambda: loop(lambda n: None), repeats),
           "floor_ms": bench_floor(X, y, hidden, batch, repeats)}
    for label, fused in (("numpy", False), ("numba", True)):
        if fused and not have_numba():
            continue
        net = sn.Network.init(N_I, hidden, N_O, activation="relu", output="multiclass", seed=0)
        step = Workspace(net, batch, fused=fused).sgd_step
        loop(lambda n, step=step: step(Xb[:n], Tb[:n], n, 0.01))  # warm up
        out[f"bare_loop_{label}_ms"] = median_ms(
            lambda step=step: loop(lambda n: step(Xb[:n], Tb[:n], n, 0.01)), repeats)
        out[f"train_{label}_ms"] = bench_shallownet(X, y, hidden, batch, repeats, numba=fused)
    probe = sn.Network.init(N_I, 1, 1)
    out["finite_check_ms"] = median_ms(lambda: probe.as_batch(X), repeats)
    return {k: round(v, 1) for k, v in out.items()}


def gathered_epoch(X, y, Xb, Tb, rng, step) -> None:
    """One epoch of batches gathered into ``Xb``/``Tb`` as ``train`` gathers them, under the
    same thread policy, calling ``step(n)`` after each gather (n: the batch's rows)."""
    from shallownet._threads import ThreadPolicy

    batch = Xb.shape[0]
    order = rng.permutation(N)
    with ThreadPolicy(None) as threads:
        for start in range(0, N, batch):
            idx = order[start:start + batch]
            n = idx.shape[0]
            X.take(idx, axis=0, out=Xb[:n], mode="clip")
            y.take(idx, axis=0, out=Tb[:n], mode="clip")
            step(n)
            threads.tick()


def bench_floor(X, y, hidden, batch, repeats):
    """floor_ms: the epoch's batch gather and per-batch products alone.

    The same BLAS calls on the same layouts as ``train``'s step (``_kernels.Workspace``) and
    the same thread policy, without the bias, activation, loss, bias-gradient and Python
    bookkeeping work that the step adds around them: what a step fused to perfection costs.
    """
    import shallownet as sn
    from shallownet._kernels import Workspace

    net = sn.Network.init(N_I, hidden, N_O, activation="relu", output="multiclass", seed=0)
    ws = Workspace(net, batch)
    rng = np.random.default_rng(0)
    for buf in (ws.U_H, ws.dZ_O, ws.dU_H):  # plausible values: no NaN or denormal slowdowns
        buf[...] = rng.uniform(-1, 1, buf.shape)
    Xb = np.empty((batch, N_I), np.float32)
    Tb = np.empty(batch, y.dtype)
    gemm, W_H, W_O = ws.gemm, net.W_H, net.W_O

    whole = (Xb, ws.Z_H, ws.Z_O, ws.U_H, ws.dZ_O, ws.dU_H)

    def products(n):  # (BLAS's arguments by position, as the step passes them)
        Xn, Z_H, Z_O, U_H, dZ_O, dU_H = (whole if n == batch else
                                         tuple(a[:n] for a in whole))
        gemm(1.0, W_H, Xn.T, 0.0, Z_H.T, 0, 0, 1)                           # (10a)
        gemm(1.0, U_H.T, W_O.T, 0.0, Z_O, 1, 0, 1)                          # (10b)
        gemm(1.0, W_O.T, dZ_O, 0.0, dU_H.T, 0, 1, 1)                        # dL/dU_H
        ws._weight_products(Xn, U_H, dZ_O, dU_H, 1.0, 0.0, ws.grads["W_O"],
                            ws.grads["W_H"])                                 # dL/dW

    def epoch():
        gathered_epoch(X, y, Xb, Tb, rng, products)

    epoch()  # warm up
    return epoch if repeats is None else median_ms(epoch, repeats)


class BusyProcess:
    """A competing process that keeps one core busy, for at most ``seconds``.

    It stops by itself at its deadline (so it never outlives a killed benchmark by long) and
    is terminated as soon as the ``with`` block ends. ``nice`` lowers its priority (a
    background job): the scheduler then gives it little of a core, but a BLAS thread that
    spin-waits yields its core to it all the same.
    """

    def __init__(self, seconds: float = 600.0, nice: int = 0):
        self.seconds, self.nice = seconds, nice

    def __enter__(self):
        code = (f"import os, time\nos.nice({self.nice!r})\n"
                f"end = time.monotonic() + {self.seconds!r}\n"
                "while time.monotonic() < end:\n    pass\n")
        self.proc = subprocess.Popen([sys.executable, "-c", code])
        time.sleep(0.2)  # let it start spinning
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait()


def busy_table(X, y, hidden, batch, repeats, nice: int = 0) -> dict:
    """Epoch times idle and beside one busy process: the thread policy against fixed counts.

    Rounds alternate (idle epochs, then busy epochs, ...) so that other load on the machine
    falls on both sides alike; each number is a median over the rounds.
    """
    import shallownet as sn

    settings = {"policy": None, "blas_default": -1, "one_thread": 1}
    net = sn.Network.init(N_I, hidden, N_O, activation="relu", output="multiclass", seed=0)

    def epoch(k):
        t0 = time.perf_counter()
        sn.train(net, X, y, epochs=1, batch_size=batch, optimizer="sgd", learning_rate=0.01,
                 seed=0, n_threads=k)
        return (time.perf_counter() - t0) * 1e3

    epoch(None)  # warm up
    times = {f"{state}_{label}_ms": [] for state in ("idle", "busy") for label in settings}
    for _ in range(repeats):
        for label, k in settings.items():
            times[f"idle_{label}_ms"].append(epoch(k))
        with BusyProcess(nice=nice):
            for label, k in settings.items():
                times[f"busy_{label}_ms"].append(epoch(k))
    out = {k: round(statistics.median(v), 1) for k, v in times.items()}
    for label in settings:
        out[f"busy_over_idle_{label}"] = round(out[f"busy_{label}_ms"]
                                               / out[f"idle_{label}_ms"], 2)
    out["idle_policy_over_blas_default"] = round(out["idle_policy_ms"]
                                                 / out["idle_blas_default_ms"], 2)
    return out


def bench_sklearn(X, y, hidden, batch, repeats):
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(hidden,), activation="relu", solver="sgd",
                        momentum=0.0, nesterovs_momentum=False, batch_size=batch,
                        learning_rate_init=0.01, alpha=0.0, shuffle=True, random_state=0)
    classes = np.arange(N_O)
    clf.partial_fit(X, y, classes=classes)  # initialise + warm up (one epoch)
    return median_ms(lambda: clf.partial_fit(X, y), repeats)


def bench_pytorch(X, y, hidden, batch, repeats):
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Linear(N_I, hidden), torch.nn.ReLU(),
                                torch.nn.Linear(hidden, N_O))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.0)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        perm = torch.randperm(N)
        for start in range(0, N, batch):
            idx = perm[start:start + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()

    epoch()  # warm up
    return median_ms(epoch, repeats)


def peak_memory_mb(hidden: int, batch: int, numba: bool | None = None) -> float:
    """Peak RSS of a fresh process that makes the data and runs ``train`` for one epoch."""
    with kernels(numba):
        out = subprocess.run([sys.executable, __file__, "--child-peak", "--hidden", str(hidden),
                              "--batch", str(batch)], capture_output=True, text=True,
                             check=True)
    return float(out.stdout.strip().splitlines()[-1])


def child_peak(hidden: int, batch: int) -> None:
    import shallownet as sn

    X, y = make_data()
    net = sn.Network.init(N_I, hidden, N_O, activation="relu", output="multiclass", seed=0)
    sn.train(net, X, y, epochs=1, batch_size=batch, optimizer="sgd", learning_rate=0.01,
             seed=0)
    print(_peak_rss_mb())


def _peak_rss_mb() -> float:
    """This process's peak resident memory (MiB).

    VmHWM belongs to the current program image; getrusage's ru_maxrss would also count the
    parent's memory that a fork-and-exec child inherits on Linux.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    parts = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
             f"threads={i.get('num_threads')}" for i in threadpool_info()
             if i.get("user_api") == "blas"]
    return "; ".join(parts) or "unknown"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=5, help="epochs timed per peer (median)")
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    ap.add_argument("--skip-sklearn", action="store_true")
    ap.add_argument("--busy", action="store_true",
                    help="time shallownet's epoch idle and beside one competing busy process, "
                         "with the thread policy, the BLAS default and one thread (only that)")
    ap.add_argument("--nice", type=int, default=0,
                    help="with --busy: the competing process's nice value (19: a background job)")
    ap.add_argument("--breakdown", action="store_true",
                    help="where the time goes: gather, floor, bare step loop, train(), finite "
                         "check (only that)")
    ap.add_argument("--child-peak", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_peak:
        child_peak(args.hidden, args.batch)
        return 0

    X, y = make_data()
    if args.breakdown:
        table = breakdown(X, y, args.hidden, args.batch, args.repeats)
        table.update(hidden=args.hidden, batch=args.batch, blas=blas_info(),
                     load_average=[round(v, 2) for v in os.getloadavg()])
        print(json.dumps(table) if args.json else "\n".join(f"{k:22} {v}"
                                                             for k, v in table.items()))
        return 0
    if args.busy:
        table = busy_table(X, y, args.hidden, args.batch, args.repeats, args.nice)
        table.update(hidden=args.hidden, batch=args.batch, blas=blas_info(), nice=args.nice,
                     load_average=[round(v, 2) for v in os.getloadavg()])
        if args.json:
            print(json.dumps(table))
        else:
            print(f"one epoch, hidden {args.hidden}, batch {args.batch}, median of "
                  f"{args.repeats} alternating rounds; the busy process at nice {args.nice}; "
                  f"cores {os.cpu_count()}; load average "
                  f"{table['load_average']}; BLAS: {table['blas']}")
            print(f"{'threads':14}{'idle ms':>10}{'busy ms':>10}{'busy/idle':>11}")
            for label in ("policy", "blas_default", "one_thread"):
                print(f"{label:14}{table[f'idle_{label}_ms']:10.1f}"
                      f"{table[f'busy_{label}_ms']:10.1f}"
                      f"{table[f'busy_over_idle_{label}']:11.2f}")
            print(f"idle: policy / BLAS default = {table['idle_policy_over_blas_default']}")
        return 0
    rate = gemm_gflops()
    roofline = epoch_flops(args.hidden) / (rate * 1e9) * 1e3
    # the epoch as installed, the floor, numpy's passes and numba, in alternating rounds
    fns = {"sn": shallownet_epoch(X, y, args.hidden, args.batch),
           "floor": bench_floor(X, y, args.hidden, args.batch, None),
           "np": shallownet_epoch(X, y, args.hidden, args.batch, numba=False)}
    if have_numba():
        fns["nb"] = shallownet_epoch(X, y, args.hidden, args.batch, numba=True)
    # epochs inside a run: a short one (numpy's passes), and one planning the estimators'
    # default 200 epochs (the compiled kernels when numba is installed)
    fns["run"] = shallownet_run(X, y, args.hidden, args.batch, planned=3)
    fns["long"] = shallownet_run(X, y, args.hidden, args.batch, planned=LONG_RUN)
    times = interleaved_ms(fns, args.repeats)
    med = {k: statistics.median(v) for k, v in times.items()}
    per_round = {k: statistics.median(a / f for a, f in zip(v, times["floor"], strict=True))
                 for k, v in times.items() if k != "floor"}
    sn_ms, floor, np_ms, nb_ms = med["sn"], med["floor"], med["np"], med.get("nb")
    run_ms, long_ms = med["run"], med["long"]
    sk_ms = None if args.skip_sklearn else bench_sklearn(X, y, args.hidden, args.batch,
                                                         max(3, args.repeats // 2))
    pt_ms = bench_pytorch(X, y, args.hidden, args.batch, args.repeats)
    # re-measure the GEMM rate after the peers ran and keep the better one (noise only slows)
    rate = max(rate, gemm_gflops())
    roofline = epoch_flops(args.hidden) / (rate * 1e9) * 1e3
    peak = peak_memory_mb(args.hidden, args.batch)
    nb_peak = peak_memory_mb(args.hidden, args.batch, numba=True) if nb_ms else None
    result = {"hidden": args.hidden, "batch": args.batch, "shallownet_ms": round(sn_ms, 1),
              "shallownet_numba_ms": None if nb_ms is None else round(nb_ms, 1),
              "shallownet_numpy_ms": round(np_ms, 1),
              "sklearn_ms": None if sk_ms is None else round(sk_ms, 1),
              "pytorch_ms": None if pt_ms is None else round(pt_ms, 1),
              "roofline_ms": round(roofline, 1), "floor_ms": round(floor, 1),
              "epoch_over_floor": round(sn_ms / floor, 2),
              "numba_epoch_over_floor": None if nb_ms is None else round(nb_ms / floor, 2),
              "numpy_epoch_over_floor": round(np_ms / floor, 2),
              "run_epoch_ms": round(run_ms, 1), "long_run_epoch_ms": round(long_ms, 1),
              "run_epoch_over_floor": round(run_ms / floor, 2),
              "long_run_epoch_over_floor": round(long_ms / floor, 2),
              "over_pytorch": None if pt_ms is None else {
                  "one_call": round(sn_ms / pt_ms, 2), "run": round(run_ms / pt_ms, 2),
                  "long_run": round(long_ms / pt_ms, 2)},
              "over_sklearn": None if sk_ms is None else {
                  "one_call": round(sn_ms / sk_ms, 2), "run": round(run_ms / sk_ms, 2),
                  "long_run": round(long_ms / sk_ms, 2)},
              "epoch_over_floor_per_round_median": {k: round(v, 2) for k, v in per_round.items()},
              "rounds": args.repeats,
              "epoch_over_roofline": round(sn_ms / roofline, 2),
              "shallownet_peak_mb": round(peak, 1),
              "shallownet_numba_peak_mb": None if nb_peak is None else round(nb_peak, 1),
              "blas": blas_info(),
              "load_average": [round(v, 2) for v in os.getloadavg()]}
    if args.json:
        print(json.dumps(result))
        return 0
    data_mb = X.nbytes / 2**20
    print(f"one epoch, {N} x {N_I} float32, hidden {args.hidden}, batch {args.batch}, "
          f"median of {args.repeats}; cores {os.cpu_count()}; BLAS: {blas_info()}")
    print(f"float32 GEMM rate: {rate:.1f} GFLOP/s -> roofline {roofline:.1f} ms "
          f"({epoch_flops(args.hidden) / 1e9:.1f} GFLOP per epoch)")
    print(f"floor (gather + per-batch products alone, same BLAS calls and thread policy): "
          f"{floor:.1f} ms")
    print(f"  shallownet   {sn_ms:9.1f} ms   {sn_ms / floor:5.2f} x floor_ms, "
          f"{sn_ms / roofline:5.2f} x roofline (as installed: numba for large batches)")
    print(f"  numpy passes {np_ms:9.1f} ms   {np_ms / floor:5.2f} x floor_ms (SHALLOWNET_NUMBA=0)")
    if nb_ms is None:
        print("  + numba      skipped: not installed (pip install shallownet[fast])")
    else:
        print(f"  + numba      {nb_ms:9.1f} ms   {nb_ms / floor:5.2f} x floor_ms, "
              f"{nb_ms / roofline:5.2f} x roofline (SHALLOWNET_NUMBA=1)")
    print(f"  in a run     {run_ms:9.1f} ms   {run_ms / floor:5.2f} x floor_ms (an epoch of a "
          f"3-epoch train(), the first left out)")
    print(f"  in a long run{long_ms:9.1f} ms   {long_ms / floor:5.2f} x floor_ms (an epoch of a "
          f"train() planning {LONG_RUN} epochs, stopped after 3)")
    for name, peer in (("scikit-learn", sk_ms), ("PyTorch", pt_ms)):
        if peer is None:
            why = ("--skip-sklearn" if name == "scikit-learn"
                   else "not installed (pip install torch==2.13.0)")
            print(f"  {name:12} skipped: {why}")
        else:
            print(f"  {name:12} {peer:9.1f} ms   shallownet / {name}: one call "
                  f"{sn_ms / peer:.2f}, in a run {run_ms / peer:.2f}, in a long run "
                  f"{long_ms / peer:.2f}")
    if nb_peak is not None:
        print(f"peak memory of train with numba: {nb_peak:.0f} MB")
    print(f"peak memory of train: {peak:.0f} MB (budget 2 x {data_mb:.0f} MB data + 100 MB = "
          f"{2 * data_mb + 100:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

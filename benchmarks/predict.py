"""Time prediction side by side with onnxruntime, in one run.

The model: 100 features, 100 hidden ReLU units, 10 classes (softmax (5)), trained briefly by
``shallownet.Classifier`` (float32). Timed, interleaved call by call so that a busy machine
slows every contender alike, for 1 row and for 10,000 rows:

* ``Classifier.predict_proba`` and ``Classifier.predict`` (float32, fixed row blocks);
* the same network exported with ``shallownet.to_onnx`` and run by onnxruntime (float32);
* ``Network.forward`` in float64, the path prediction took before, timed afterwards on its
  own: its large products wake numpy's BLAS threads, which then spin for a while beside
  whatever runs next.

Inputs are float32 arrays (what the ONNX model takes). Every time is a median; every ratio
compares numbers from this run only. Two schedules are timed:

* ``blocks`` (the targets' ratios): rounds of consecutive calls per contender (``--block``
  calls of 10,000 rows, ten times as many of 1 row), the rounds alternating, as a program that
  predicts with one library calls it. Each block starts with ``--settle`` seconds of the same
  calls, not counted: onnxruntime's thread pool keeps spinning for about 35 ms after a run
  returns (its default; measured here, it slowed the next dozen 10,000-row predictions of
  whatever ran next by half), and on this virtual machine a thread woken after a pause (a
  second core that went idle) is slower for a while, so a block must not pay for the one
  before it, nor for a sleep.
* ``per_call``: the contenders take turns call by call, so whoever runs right after
  onnxruntime shares the cores with its spinning threads: the cost of mixing two libraries in
  one loop, shown for comparison.

    python benchmarks/predict.py            # a table
    python benchmarks/predict.py --json     # one JSON line
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

from epoch import blas_info  # benchmarks/ is on the path when this file runs

N_I, N_H, N_O = 100, 100, 10


def our_cores() -> int:
    """The cores this process may run on (``taskset``, a cpuset), or the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def contenders(clf, X, ort_threads: int):
    """name -> function of a float32 batch, for every contender.

    onnxruntime gets ``ort_threads`` intra-op threads (0: its own default). Its default pins
    one pool thread to each core of the whole machine, whatever cores the process was given:
    under ``taskset -c 0,1`` on a 16-core machine it computed on all 16 (measured: 0.63 ms
    for 10,000 rows against 1.39 ms with two threads, process CPU time over wall time well
    above 2), so by default it gets as many threads as this process has cores, as the
    BLAS does.
    """
    import onnxruntime as ort

    import shallownet as sn

    options = ort.SessionOptions()
    if ort_threads:
        options.intra_op_num_threads = ort_threads
    session = ort.InferenceSession(sn.to_onnx(clf).SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    return {
        "onnxruntime": lambda A: session.run(["probabilities"], {"X": A}),
        "predict_proba": clf.predict_proba,
        "predict": clf.predict,
    }


def interleaved_medians(funcs: dict, A: np.ndarray, calls: int) -> dict:
    """Median microseconds per call, taking turns call by call."""
    times = {name: [] for name in funcs}
    for f in funcs.values():
        f(A)  # warm up
    for _ in range(calls):
        for name, f in funcs.items():
            t0 = time.perf_counter()
            f(A)
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) * 1e6 for name, t in times.items()}


def block_medians(funcs: dict, A: np.ndarray, calls: int, block: int,
                  settle: float) -> dict:
    """Median microseconds per call over alternating rounds of ``block`` calls per contender,
    each block after ``settle`` seconds of uncounted calls; about ``calls`` calls each in all."""
    times = {name: [] for name in funcs}
    for _ in range(max(1, calls // block)):
        for name, f in funcs.items():
            warm_until = time.perf_counter() + settle
            f(A)
            while time.perf_counter() < warm_until:
                f(A)
            for _ in range(block):
                t0 = time.perf_counter()
                f(A)
                times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) * 1e6 for name, t in times.items()}


def cores_used(f, A, seconds: float = 0.3) -> float:
    """CPU time of the whole process over wall time while ``f(A)`` runs again and again: how
    many cores a contender really computes on (spinning pool threads count too)."""
    f(A)
    w0, c0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - w0 < seconds:
        f(A)
    return (time.process_time() - c0) / (time.perf_counter() - w0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=2000, help="calls timed for 1 row")
    ap.add_argument("--calls-large", type=int, default=60, help="calls timed for 10,000 rows")
    ap.add_argument("--block", type=int, default=10,
                    help="10,000-row calls per block (blocks schedule; ten times as many of 1 row)")
    ap.add_argument("--settle", type=float, default=0.05,
                    help="seconds of uncounted calls before each block")
    ap.add_argument("--ort-threads", type=int, default=None,
                    help="onnxruntime's intra-op threads (default: the cores this process may "
                         "use; 0: onnxruntime's own default, which pins threads to every core "
                         "of the machine, taskset or not)")
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    args = ap.parse_args(argv)
    ort_threads = our_cores() if args.ort_threads is None else args.ort_threads

    from shallownet import Classifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(10_000, N_I)).astype(np.float32)
    y = rng.integers(0, N_O, 10_000)
    clf = Classifier(hidden_units=N_H, epochs=1, random_state=0).fit(X[:2000], y[:2000])
    funcs = contenders(clf, X, ort_threads)
    small = block_medians(funcs, X[:1], args.calls, 10 * args.block, args.settle)
    large = block_medians(funcs, X, args.calls_large, args.block, args.settle)
    small_turns = interleaved_medians(funcs, X[:1], args.calls // 2)
    large_turns = interleaved_medians(funcs, X, args.calls_large // 2)
    used = {name: round(cores_used(f, X), 2) for name, f in funcs.items()}
    net64 = clf.network_.copy().astype(np.float64)
    alone = {"float64_forward": lambda A: net64.forward(A).u_O}
    small.update(block_medians(alone, X[:1], args.calls, 10 * args.block, args.settle))
    large.update(block_medians(alone, X, args.calls_large, args.block, args.settle))

    def ratio(times):
        return round(times["predict_proba"] / times["onnxruntime"], 2)

    result = {"rows_1_us": {k: round(v, 1) for k, v in small.items()},
              "rows_10000_us": {k: round(v, 1) for k, v in large.items()},
              "proba_over_onnxruntime_1": ratio(small),
              "proba_over_onnxruntime_10000": ratio(large),
              "per_call": {"rows_1_us": {k: round(v, 1) for k, v in small_turns.items()},
                           "rows_10000_us": {k: round(v, 1) for k, v in large_turns.items()},
                           "proba_over_onnxruntime_1": ratio(small_turns),
                           "proba_over_onnxruntime_10000": ratio(large_turns)},
              "cores_used_10000": used, "onnxruntime_threads": ort_threads or "default",
              "blas": blas_info(), "cores": os.cpu_count(), "affinity": our_cores(),
              "load_average": [round(v, 2) for v in os.getloadavg()]}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{N_I} features, {N_H} hidden, {N_O} classes, float32 inputs; medians; cores "
          f"{os.cpu_count()} (affinity {result['affinity']}), load average "
          f"{result['load_average']}; BLAS: {result['blas']}")
    print(f"{'':18}{'1 row (us)':>12}{'10,000 rows (us)':>18}   per call: {'1 row':>8}"
          f"{'10,000 rows':>13}")
    for name in small:
        turns = (f"{small_turns[name]:8.1f}{large_turns[name]:13.1f}" if name in small_turns
                 else f"{'(alone)':>8}")
        print(f"{name:18}{small[name]:12.1f}{large[name]:18.1f}   {'':10}{turns}")
    print("cores computed on (process CPU time / wall time), 10,000 rows: "
          + ", ".join(f"{k} {v}" for k, v in used.items())
          + f"; onnxruntime's threads: {result['onnxruntime_threads']}")
    print(f"predict_proba / onnxruntime in blocks: {result['proba_over_onnxruntime_1']} on 1 "
          f"row, {result['proba_over_onnxruntime_10000']} on 10,000 rows (targets 3 and 1.5); "
          f"call by call: {result['per_call']['proba_over_onnxruntime_1']} and "
          f"{result['per_call']['proba_over_onnxruntime_10000']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

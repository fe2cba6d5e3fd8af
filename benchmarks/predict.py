"""Time prediction side by side with onnxruntime, in one run.

The model: 100 features, 100 hidden ReLU units, 10 classes (softmax (5)), trained briefly by
``shallownet.Classifier`` (float32). Timed, interleaved call by call so that a busy machine
slows every contender alike, for 1 row and for 10,000 rows:

* ``Classifier.predict_proba`` and ``Classifier.predict`` (float32, fixed row blocks);
* the same network exported with ``shallownet.to_onnx`` and run by onnxruntime (float32);
* ``Network.forward`` in float64, the path prediction took before.

Inputs are float32 arrays (what the ONNX model takes). Every time is a median; every ratio
compares numbers from this run only.

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


def contenders(clf, X):
    """name -> function of a float32 batch, for every contender."""
    import onnxruntime as ort

    import shallownet as sn

    session = ort.InferenceSession(sn.to_onnx(clf).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    net64 = clf.network_.copy().astype(np.float64)
    return {
        "onnxruntime": lambda A: session.run(["probabilities"], {"X": A}),
        "predict_proba": clf.predict_proba,
        "predict": clf.predict,
        "float64_forward": lambda A: net64.forward(A).u_O,
    }


def interleaved_medians(funcs: dict, A: np.ndarray, calls: int) -> dict:
    """Median microseconds per call, taking turns so that noise hits every contender alike."""
    times = {name: [] for name in funcs}
    for f in funcs.values():
        f(A)  # warm up
    for _ in range(calls):
        for name, f in funcs.items():
            t0 = time.perf_counter()
            f(A)
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) * 1e6 for name, t in times.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=2000, help="calls timed for 1 row")
    ap.add_argument("--calls-large", type=int, default=60, help="calls timed for 10,000 rows")
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    args = ap.parse_args(argv)

    from shallownet import Classifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(10_000, N_I)).astype(np.float32)
    y = rng.integers(0, N_O, 10_000)
    clf = Classifier(hidden_units=N_H, epochs=1, random_state=0).fit(X[:2000], y[:2000])
    funcs = contenders(clf, X)
    small = interleaved_medians(funcs, X[:1], args.calls)
    large = interleaved_medians(funcs, X, args.calls_large)
    result = {"rows_1_us": {k: round(v, 1) for k, v in small.items()},
              "rows_10000_us": {k: round(v, 1) for k, v in large.items()},
              "proba_over_onnxruntime_1": round(small["predict_proba"] / small["onnxruntime"], 2),
              "proba_over_onnxruntime_10000": round(large["predict_proba"]
                                                    / large["onnxruntime"], 2),
              "blas": blas_info(), "cores": os.cpu_count(),
              "load_average": [round(v, 2) for v in os.getloadavg()]}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{N_I} features, {N_H} hidden, {N_O} classes, float32 inputs; medians of interleaved "
          f"calls; cores {os.cpu_count()}, load average {result['load_average']}; "
          f"BLAS: {result['blas']}")
    print(f"{'':18}{'1 row (us)':>14}{'10,000 rows (us)':>20}")
    for name in funcs:
        print(f"{name:18}{small[name]:14.1f}{large[name]:20.1f}")
    print(f"predict_proba / onnxruntime: {result['proba_over_onnxruntime_1']} on 1 row, "
          f"{result['proba_over_onnxruntime_10000']} on 10,000 rows (targets 3 and 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

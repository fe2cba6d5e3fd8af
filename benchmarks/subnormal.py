"""Late in training: epochs with and without the optimizers' flush of decaying states.

Training the digits (1,797 x 64, scaled to [0, 1]; 100 ReLU units, softmax, Adam, batch 32,
float32) to convergence leaves weights whose gradient is exactly zero (units that stopped
firing, pixels that are zero in the rest of the data); their Adam moments decay through
float32's subnormal numbers, on which x86 arithmetic is many times slower. The optimizers zero
such states below a threshold where they no longer change a weight (``shallownet.optimizers``).
This times, side by side in one run, the same training with that flush and with it switched off
(the flush replaced by nothing): the median epoch of the first 10 and of the last 50, and the
whole run, medians over ``--repeats`` runs, with the weights' largest difference.

    python benchmarks/subnormal.py [--epochs 300] [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np


def run(epochs: int, flush: bool):
    from sklearn.datasets import load_digits

    import shallownet as sn
    from shallownet import optimizers

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    keep = optimizers._flush
    if not flush:
        optimizers._flush = lambda a, below: None
    try:
        net = sn.Network.init(64, 100, 10, activation="relu", output="multiclass", seed=0)
        stamps = []
        t0 = time.perf_counter()
        sn.train(net, X, y, epochs=epochs, batch_size=32, optimizer="adam",
                 learning_rate=0.003, seed=0,
                 callbacks=[lambda info: stamps.append(time.perf_counter())])
        total = time.perf_counter() - t0
    finally:
        optimizers._flush = keep
    epoch_ms = np.diff([t0, *stamps]) * 1e3
    return (float(np.median(epoch_ms[:10])), float(np.median(epoch_ms[-50:])), total,
            net.W_H.copy())


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rows = {"flush": [], "no_flush": []}
    weights = {}
    for _ in range(args.repeats):  # alternating, so that other load falls on both alike
        for label in rows:
            first, last, total, W = run(args.epochs, flush=label == "flush")
            rows[label].append((first, last, total))
            weights[label] = W
    out = {}
    for label, runs in rows.items():
        first, last, total = (statistics.median(r[i] for r in runs) for i in range(3))
        out[label] = {"first_10_epoch_ms": round(first, 2), "last_50_epoch_ms": round(last, 2),
                      "run_s": round(total, 2), "last_over_first": round(last / first, 2)}
    out["no_flush_over_flush_run"] = round(out["no_flush"]["run_s"] / out["flush"]["run_s"], 2)
    out["max_weight_difference"] = float(np.abs(weights["flush"] - weights["no_flush"]).max())
    out["load_average"] = [round(v, 2) for v in os.getloadavg()]
    if args.json:
        print(json.dumps(out))
        return
    for label in rows:
        r = out[label]
        print(f"{label:9}: first 10 epochs {r['first_10_epoch_ms']:.2f} ms, last 50 "
              f"{r['last_50_epoch_ms']:.2f} ms ({r['last_over_first']}x), run {r['run_s']:.2f} s")
    print(f"without the flush / with it: {out['no_flush_over_flush_run']}x; largest weight "
          f"difference {out['max_weight_difference']:.3g}; load {out['load_average']}")


if __name__ == "__main__":
    main()

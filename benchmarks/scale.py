"""L-BFGS in this process against L-BFGS on a Dask LocalCluster, side by side, in one run.

1. **Time per evaluation** of the loss (16) and its gradient over the whole training set (one
   L-BFGS iteration costs one evaluation, a few more when its line search backtracks): in this
   process (``solvers.lbfgs``) and on a LocalCluster of 1 and of 2 worker processes with one
   thread each (``solvers.dask``), on the same data, the same network, the same iterations.
   Medians over the evaluations of one run; ratios against in-process.
2. **Bytes moved per evaluation**, against the size of the training set: theta sent by the
   client, and what the workers send (measured: their ``transfer_outgoing_bytes_total``:
   theta's replication to the other workers, the partial sums, the total to the client).
3. **Held-out scores against scikit-learn's ``MLPClassifier/MLPRegressor(solver="lbfgs")``** on
   the embedded data sets: the same network (100 ReLU units), the same penalty and the same
   limit of 200 iterations; the median over three splits, and the fit-time ratio.

    python benchmarks/scale.py                 # a table
    python benchmarks/scale.py --json          # the numbers, for docs/benchmarks.md
    python benchmarks/scale.py --rows 50000 --iterations 10   # smaller/faster
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings

import numpy as np


def make_data(rows: int, n_in: int, n_out: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, n_in))
    teacher = rng.standard_normal((n_in, n_out))
    return X, np.argmax(X @ teacher + rng.standard_normal((rows, n_out)), axis=1)


def timed(sum_fn, times: list):
    def wrapped(theta):
        t0 = time.perf_counter()
        out = sum_fn(theta)
        times.append(time.perf_counter() - t0)
        return out
    return wrapped


def in_process(X, y, hidden: int, iterations: int, blas_threads: int | None) -> dict:
    """``blas_threads``: None leaves the BLAS pool as it is, 1 matches a one-thread worker."""

    import shallownet as sn
    from shallownet.solvers import lbfgs

    if blas_threads is not None:
        from threadpoolctl import threadpool_limits
        with threadpool_limits(blas_threads):
            return in_process(X, y, hidden, iterations, None)

    net = sn.Network.init(X.shape[1], hidden, int(y.max()) + 1, "relu", "multiclass", seed=0,
                          dtype="float64")
    T = net.encode_targets(y, len(X))
    times: list = []
    t0 = time.perf_counter()
    hist = lbfgs.minimize(net, timed(lambda th: lbfgs.loss_and_gradient_sum(net, X, T), times),
                          len(X), max_iter=iterations, tol=0.0)
    return {"median_eval_s": statistics.median(times), "iterations": hist.epochs,
            "evaluations": hist.steps, "total_s": time.perf_counter() - t0,
            "final_loss": hist.loss[-1], "n_params": net.n_params}


def on_cluster(X, y, hidden: int, iterations: int, workers: int, partitions: int) -> dict:
    import dask.array as da
    from distributed import Client, LocalCluster

    import shallownet as sn
    from shallownet.solvers import dask as sd
    from shallownet.solvers import lbfgs

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=40) as cluster, \
            Client(cluster) as client:
        blas = sd.limit_blas_threads(client)
        rows = -(-len(X) // partitions)
        Xd, yd = da.from_array(X, chunks=(rows, -1)), da.from_array(y, chunks=rows)
        net = sn.Network.init(X.shape[1], hidden, int(y.max()) + 1, "relu", "multiclass",
                              seed=0, dtype="float64")
        t_persist = time.perf_counter()
        data = sd.ClusterData(Xd, yd, sd.network_spec(net), classes=np.unique(y),
                              client=client)
        t_persist = time.perf_counter() - t_persist

        def sent_by_workers():
            return sum(client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total)
                       .values())

        before = sent_by_workers()
        times: list = []
        t0 = time.perf_counter()
        hist = lbfgs.minimize(net, timed(data.sum, times), data.n_rows, max_iter=iterations,
                              tol=0.0)
        total = time.perf_counter() - t0
        sent = (sent_by_workers() - before) / hist.steps
        data.release()
    theta_bytes = 8 * net.n_params
    return {"workers": workers, "partitions": partitions, "median_eval_s":
            statistics.median(times), "iterations": hist.epochs, "evaluations": hist.steps,
            "total_s": total, "persist_s": t_persist, "final_loss": hist.loss[-1],
            # scatter(broadcast=True) sends theta to one worker, which replicates it to the
            # others: the replication is in the measured worker-to-worker bytes
            "bytes_from_client_per_eval": theta_bytes,
            "bytes_sent_by_workers_per_eval": sent,
            "worker_blas_threads": sorted(set(blas.values()))}


def held_out_scores(seeds=(0, 1, 2)) -> list[dict]:
    from sklearn.datasets import (
        load_breast_cancer,
        load_diabetes,
        load_digits,
        load_iris,
        load_wine,
    )
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.preprocessing import StandardScaler

    import shallownet as sn

    out = []
    for load, classes in [(load_iris, True), (load_wine, True), (load_breast_cancer, True),
                          (load_digits, True), (load_diabetes, False)]:
        X, y = load(return_X_y=True)
        ours, theirs, t_ours, t_theirs = [], [], [], []
        for seed in seeds:
            X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=seed,
                                                      stratify=y if classes else None)
            sc = StandardScaler().fit(X_tr)
            X_tr, X_te = sc.transform(X_tr), sc.transform(X_te)
            if not classes:
                m, s = y_tr.mean(), y_tr.std()
                y_tr, y_te = (y_tr - m) / s, (y_te - m) / s
            alpha = 1e-4 if classes else 1.0
            # sklearn: mean loss + (alpha / 2N)||W||^2, its squared error is half of (20)
            l2 = alpha / len(X_tr) * (1 if classes else 2)
            a = (sn.Classifier if classes else sn.Regressor)(
                optimizer="lbfgs", hidden_units=100, epochs=200, dtype="float64", l2=l2,
                random_state=seed)
            b = (MLPClassifier if classes else MLPRegressor)(
                solver="lbfgs", hidden_layer_sizes=(100,), max_iter=200, alpha=alpha,
                random_state=seed)
            t0 = time.perf_counter()
            a.fit(X_tr, y_tr)
            t_ours.append(time.perf_counter() - t0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                t0 = time.perf_counter()
                b.fit(X_tr, y_tr)
                t_theirs.append(time.perf_counter() - t0)
            ours.append(a.score(X_te, y_te))
            theirs.append(b.score(X_te, y_te))
        out.append({"data": load.__name__.removeprefix("load_"),
                    "metric": "accuracy" if classes else "R^2",
                    "shallownet": statistics.median(ours), "sklearn": statistics.median(theirs),
                    "fit_time_ratio_sklearn_over_shallownet":
                        statistics.median(t_theirs) / statistics.median(t_ours)})
    return out


def blas_here() -> list:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{k: p.get(k) for k in ("internal_api", "architecture", "num_threads", "version")}
            for p in threadpool_info() if p.get("user_api") == "blas"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--features", type=int, default=50)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--skip-scores", action="store_true")
    args = ap.parse_args()

    X, y = make_data(args.rows, args.features, args.classes)
    result = {"rows": args.rows, "features": args.features, "hidden": args.hidden,
              "classes": args.classes, "data_bytes": int(X.nbytes + y.nbytes),
              "blas_in_process": blas_here()}
    # the workers run one BLAS thread each; in process, both the default pool and one thread
    result["in_process_default_blas"] = in_process(X, y, args.hidden, args.iterations, None)
    result["in_process"] = in_process(X, y, args.hidden, args.iterations, 1)
    result["default_blas_over_one_thread"] = (result["in_process_default_blas"]["median_eval_s"]
                                              / result["in_process"]["median_eval_s"])
    result["cluster"] = [on_cluster(X, y, args.hidden, args.iterations, w, args.partitions)
                         for w in (1, 2)]
    base = result["in_process"]["median_eval_s"]
    for c in result["cluster"]:
        c["eval_time_ratio_vs_in_process"] = c["median_eval_s"] / base
        c["loss_relative_difference"] = abs(c["final_loss"] - result["in_process"]["final_loss"]
                                            ) / result["in_process"]["final_loss"]
        moved = c["bytes_from_client_per_eval"] + c["bytes_sent_by_workers_per_eval"]
        c["bytes_moved_per_eval_over_data_bytes"] = moved / result["data_bytes"]
    if not args.skip_scores:
        result["held_out"] = held_out_scores()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    ip = result["in_process"]
    print(f"data {args.rows} x {args.features} float64 ({result['data_bytes'] / 1e6:.1f} MB), "
          f"N_h={args.hidden}, {args.classes} classes, {ip['n_params']} parameters")
    print(f"in process:  {ip['median_eval_s'] * 1e3:8.1f} ms per evaluation with one BLAS "
          f"thread ({result['default_blas_over_one_thread']:.2f}x that with the default pool)")
    for c in result["cluster"]:
        print(f"{c['workers']} worker(s): {c['median_eval_s'] * 1e3:8.1f} ms per evaluation "
              f"(x{c['eval_time_ratio_vs_in_process']:.2f}), moved "
              f"{c['bytes_from_client_per_eval'] + c['bytes_sent_by_workers_per_eval']:.0f}"
              f" bytes per evaluation = {c['bytes_moved_per_eval_over_data_bytes']:.2e} of the "
              f"data; loss differs by {c['loss_relative_difference']:.1e} relative")
    for row in result.get("held_out", []):
        print(f"{row['data']:14s} {row['metric']:8s} shallownet {row['shallownet']:.4f}  "
              f"sklearn {row['sklearn']:.4f}  sklearn/shallownet fit time "
              f"{row['fit_time_ratio_sklearn_over_shallownet']:.2f}")


if __name__ == "__main__":
    main()

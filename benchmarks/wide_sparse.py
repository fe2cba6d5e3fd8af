"""Wide sparse data (tf-idf, hashed features): shallownet's sparse products, side by side.

The data: N rows of text-like features (``--per-row`` stored values a row, at random columns),
2 classes from a random linear teacher; one hidden ReLU layer of ``--hidden`` units, softmax
+ cross-entropy, plain SGD (21), batch ``--batch``. Timed in one run, each a median of
``--repeats``:

* shallownet with (10a) and dL/dW_H as sparse products (what a CSR X of
  ``_sparse.SPARSE_PRODUCT_MIN_FEATURES`` columns or more gets);
* shallownet with each batch made dense first (what every sparse X got before; the same
  numbers as ``X.toarray()``), skipped above ``--dense-up-to`` columns: at 2^20 columns one
  batch of 128 rows is 13 G multiply-adds and a 512 MB buffer;
* scikit-learn's ``MLPClassifier(solver="sgd", momentum=0)``, one ``partial_fit`` per epoch,
  which multiplies a sparse X as sparse too.

For each: one epoch of training, and ``predict_proba`` on all N rows.

    python benchmarks/wide_sparse.py                         # 2^15 and 2^20 columns, a table
    python benchmarks/wide_sparse.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import scipy.sparse as sp


def make_data(n: int, d: int, per_row: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n), per_row)
    cols = rng.integers(0, d, n * per_row)
    X = sp.csr_matrix((rng.random(n * per_row).astype(np.float32) + 0.1, (rows, cols)),
                      shape=(n, d), dtype=np.float32)
    X.sum_duplicates()
    s = X @ rng.normal(size=d).astype(np.float32)
    return X, (s > np.median(s)).astype(int)


def median_s(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def shallownet_times(X, y, hidden, batch, repeats, dense_rows: bool):
    import shallownet as sn
    from shallownet import _sparse

    keep = _sparse.SPARSE_PRODUCT_MIN_FEATURES
    if dense_rows:  # every batch made dense, as before the sparse products
        _sparse.SPARSE_PRODUCT_MIN_FEATURES = sys.maxsize
    try:
        model = sn.Classifier(hidden_units=hidden, epochs=1, batch_size=batch, optimizer="sgd",
                              learning_rate=0.01, random_state=0, dtype="float32",
                              n_threads=None)
        model.fit(X, y)  # warm up (and the first epoch)
        fit = median_s(lambda: model.partial_fit(X, y), repeats)
        proba = median_s(lambda: model.predict_proba(X), repeats)
        return fit, proba, model.score(X, y)
    finally:
        _sparse.SPARSE_PRODUCT_MIN_FEATURES = keep


def sklearn_times(X, y, hidden, batch, repeats):
    import warnings

    from sklearn.neural_network import MLPClassifier

    mlp = MLPClassifier(hidden_layer_sizes=(hidden,), solver="sgd", momentum=0.0,
                        nesterovs_momentum=False, batch_size=batch, learning_rate_init=0.01,
                        alpha=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp.partial_fit(X, y, classes=np.array([0, 1]))
        fit = median_s(lambda: mlp.partial_fit(X, y), repeats)
    proba = median_s(lambda: mlp.predict_proba(X), repeats)
    return fit, proba, mlp.score(X, y)


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (no threadpoolctl)"
    return "; ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
                     f"threads={i.get('num_threads')}" for i in threadpool_info()
                     if i.get("user_api") == "blas")


def run(widths, n, per_row, hidden, batch, repeats, dense_up_to) -> list[dict]:
    rows = []
    for d in widths:
        X, y = make_data(n, d, per_row)
        row = {"columns": d, "rows": n, "stored_per_row": round(X.nnz / n, 1),
               "hidden": hidden, "batch": batch}
        fit, proba, acc = shallownet_times(X, y, hidden, batch, repeats, dense_rows=False)
        row.update(sparse_epoch_s=round(fit, 4), sparse_predict_s=round(proba, 4),
                   sparse_train_accuracy=round(acc, 4))
        if d <= dense_up_to:
            fit_d, proba_d, acc_d = shallownet_times(X, y, hidden, batch, repeats,
                                                     dense_rows=True)
            row.update(dense_rows_epoch_s=round(fit_d, 4), dense_rows_predict_s=round(proba_d, 4),
                       dense_rows_over_sparse_epoch=round(fit_d / fit, 1),
                       dense_rows_over_sparse_predict=round(proba_d / proba, 1))
        else:
            row["dense_rows"] = f"skipped: more than {dense_up_to} columns (--dense-up-to)"
        fit_s, proba_s, acc_s = sklearn_times(X, y, hidden, batch, repeats)
        row.update(sklearn_epoch_s=round(fit_s, 4), sklearn_predict_s=round(proba_s, 4),
                   sklearn_train_accuracy=round(acc_s, 4),
                   sparse_over_sklearn_epoch=round(fit / fit_s, 2),
                   sparse_over_sklearn_predict=round(proba / proba_s, 2))
        rows.append(row)
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[1 << 15, 1 << 20])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--per-row", type=int, default=60)
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dense-up-to", type=int, default=1 << 15)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rows = run(args.widths, args.rows, args.per_row, args.hidden, args.batch, args.repeats,
               args.dense_up_to)
    meta = {"blas": blas_info(), "load_average": [round(v, 2) for v in os.getloadavg()]}
    if args.json:
        print(json.dumps({"results": rows, **meta}))
        return
    for r in rows:
        print(f"{r['columns']} columns, {r['rows']} rows, {r['stored_per_row']} values a row, "
              f"hidden {r['hidden']}, batch {r['batch']}:")
        print(f"  epoch:   sparse products {r['sparse_epoch_s']:.3f} s, "
              f"scikit-learn {r['sklearn_epoch_s']:.3f} s "
              f"(ratio {r['sparse_over_sklearn_epoch']})"
              + (f", dense rows {r['dense_rows_epoch_s']:.3f} s "
                 f"({r['dense_rows_over_sparse_epoch']}x)" if "dense_rows_epoch_s" in r else ""))
        print(f"  predict: sparse products {r['sparse_predict_s']:.3f} s, "
              f"scikit-learn {r['sklearn_predict_s']:.3f} s "
              f"(ratio {r['sparse_over_sklearn_predict']})"
              + (f", dense rows {r['dense_rows_predict_s']:.3f} s "
                 f"({r['dense_rows_over_sparse_predict']}x)"
                 if "dense_rows_predict_s" in r else ""))
    print(f"load {meta['load_average']}; BLAS: {meta['blas']}")


if __name__ == "__main__":
    main()

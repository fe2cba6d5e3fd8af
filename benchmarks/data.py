"""The data layer at size, side by side, in one run: reading files, memory, streaming.

Everything is generated in a temporary folder (removed at the end; never committed):

* **CSV load**: a 20,000 x 785 CSV of small integers (MNIST-shaped, about 56 MB) read by
  ``shallownet.data.load`` (float32), ``pandas.read_csv`` and a bare ``pyarrow.csv.read_csv``;
  medians of ``--repeats`` runs.
* **train in memory**: ``shallownet train FILE --epochs 1`` on the same CSV in a subprocess,
  with and without early stopping; its peak resident memory (VmHWM from /proc/self/status)
  against the float32 size of X and against the interpreter with shallownet's imports (the
  target: at most X + 150 MB above the imports).
* **streaming**: a Parquet file of 2,000,000 x 40 float32 (305 MiB as float32), at least 4x
  the memory limit given (``--memory-limit``, default 64M); a subprocess trains in memory
  and another streams, each for three epochs with the command's defaults (100 hidden units,
  batches of 32): peak memory, the median time between epoch callbacks (epochs 2 and 3) and
  the held-out accuracy on the same rows; ``--rounds`` pairs run alternately (medians, and the
  ratio of each pair), since the load of a shared machine moves between runs.
* **streaming a CSV**: the same with a CSV of a quarter of the rows under ``--memory-limit
  32M``: epochs read the spill of the first pass, in a random order, instead of parsing again.
* **wide CSV**: 50 rows x 10,000, 20,000, 50,000 and 100,000 columns: load time and time per
  column (flat when linear in columns), beside a bare ``pyarrow.csv.read_csv`` with its default
  1 MiB blocks.

    python benchmarks/data.py            # a table
    python benchmarks/data.py --json     # the numbers as JSON
    python benchmarks/data.py --rows 200000 --json   # a smaller streaming file (quick look)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

MIB = 2 ** 20


def median_s(fn, repeats: int) -> float:
    """The median time of ``fn``; between calls (untimed) its result is freed and the Arrow
    pool's cached memory handed back, so that each call starts as in a fresh process and does
    not pay for what an earlier reader left in the pool (see :func:`fresh_pool`)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        del result
        fresh_pool()
    return statistics.median(times)


def fresh_pool() -> None:
    """Hand the Arrow pool's cached memory back to the system (untimed, between readers).

    ``pyarrow.csv.read_csv`` leaves hundreds of MB cached in the pool; the next reader that
    allocates from it or releases it (shallownet's load releases it, to stay small) would
    pay for that: measured 0.32 -> 0.38 s for the 43 MB file's load right after read_csv,
    and 1.2 -> 2.5 s for the 100,000-column file's after the 50,000-column read_csv."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def write_int_csv(path: Path, n: int, d: int, seed: int = 0) -> None:
    """n rows of d small-integer features and a 'label' column, written in chunks."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        f.write(",".join(f"p{j}" for j in range(d - 1)) + ",label\n")
        for start in range(0, n, 2000):
            m = min(2000, n - start)
            X = rng.integers(0, 256, size=(m, d - 1))
            X[X < 160] = 0  # mostly zeros, like pixels
            y = (X[:, : d // 2].sum(axis=1) > X[:, d // 2:].sum(axis=1)).astype(int)
            np.savetxt(f, np.column_stack([X, y]), fmt="%d", delimiter=",")


def write_stream_parquet(path: Path, n: int, d: int, seed: int = 0) -> None:
    """n x d float32 features and an integer label from a random linear teacher."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    teacher = rng.standard_normal((d, 4)).astype(np.float32)
    schema = pa.schema([(f"x{j}", pa.float32()) for j in range(d)] + [("label", pa.int8())])
    with pq.ParquetWriter(path, schema) as w:
        for start in range(0, n, 250_000):
            m = min(250_000, n - start)
            X = rng.standard_normal((m, d), dtype=np.float32)
            y = np.argmax(X @ teacher, axis=1).astype(np.int8)
            w.write_table(pa.table({**{f"x{j}": X[:, j] for j in range(d)}, "label": y}))


def write_stream_csv(path: Path, n: int, d: int, seed: int = 0) -> None:
    """The same rows as :func:`write_stream_parquet`, as CSV text."""
    rng = np.random.default_rng(seed)
    teacher = rng.standard_normal((d, 4)).astype(np.float32)
    with open(path, "w") as f:
        f.write(",".join(f"x{j}" for j in range(d)) + ",label\n")
        for start in range(0, n, 50_000):
            m = min(50_000, n - start)
            X = rng.standard_normal((m, d), dtype=np.float32)
            y = np.argmax(X @ teacher, axis=1)
            np.savetxt(f, np.column_stack([X, y]), fmt=["%.6g"] * d + ["%d"], delimiter=",")


def run_child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line, returned here."""
    prelude = textwrap.dedent("""
        import json, re, time
        def hwm():
            with open("/proc/self/status") as f:
                return int(re.search(r"VmHWM:\\s+(\\d+)", f.read())[1]) * 1024
    """)
    r = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)],
                       capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def bench_csv_load(tmp: Path, repeats: int) -> dict:
    import pandas as pd
    import pyarrow.csv as pacsv

    from shallownet.data import load

    path = tmp / "pixels.csv"
    write_int_csv(path, 20_000, 785)
    readers = {"shallownet": lambda: load(path, dtype=np.float32),
               "pandas": lambda: pd.read_csv(path), "pyarrow": lambda: pacsv.read_csv(path)}
    times = {k: [] for k in readers}
    for f in readers.values():
        f()  # warm the page cache and the imports
    for _ in range(max(repeats, 5)):  # rounds taking turns: a drift hits every reader alike
        for k, f in readers.items():
            t0 = time.perf_counter()
            result = f()
            times[k].append(time.perf_counter() - t0)
            del result
            fresh_pool()  # untimed: each reader starts as in a fresh process
    t_sn, t_pd, t_pa = (statistics.median(times[k]) for k in readers)
    per_round = [p / s for p, s in zip(times["pandas"], times["shallownet"], strict=True)]
    return {"file": "20000 x 785 integers", "size_mb": path.stat().st_size / 1e6,
            "shallownet_s": t_sn, "pandas_s": t_pd, "pyarrow_s": t_pa,
            "pandas_over_shallownet": t_pd / t_sn, "shallownet_over_pyarrow": t_sn / t_pa,
            "pandas_over_shallownet_per_round": [round(r, 2) for r in per_round],
            "path": str(path)}


def bench_train_memory(path: Path, early_stopping: bool) -> dict:
    """Peak of ``train FILE --epochs 1`` against imports + X (target: X + 150 MB)."""
    flag = "--early-stopping" if early_stopping else "--no-early-stopping"
    code = f"""
        import shallownet.estimators, shallownet.io, shallownet.workflow, shallownet.data
        import sklearn.model_selection, pyarrow.csv
        from shallownet.cli import main
        base = hwm()
        t0 = time.perf_counter()
        try:
            main(["train", {str(path)!r}, "--epochs", "1", {flag!r}, "-q",
                  "--seed", "0",
                  "--out", {str(path.with_suffix(".safetensors"))!r}])
        except SystemExit as e:
            assert not e.code, e.code
        print(json.dumps({{"base": base, "peak": hwm(), "s": time.perf_counter() - t0}}))
    """
    r = run_child(code)
    x32 = 20_000 * 784 * 4
    rest = (r["peak"] - r["base"] - x32) / MIB
    return {"early_stopping": early_stopping, "x_float32_mb": x32 / MIB,
            "base_mb": r["base"] / MIB, "peak_mb": r["peak"] / MIB,
            "above_base_mb": (r["peak"] - r["base"]) / MIB,
            "above_base_minus_x_mb": rest, "target_above_x_mb": 150, "met": rest <= 150,
            "seconds": r["s"]}


def bench_streaming(tmp: Path, rows: int, d: int, limit: str, batch: int,
                    kind: str = "parquet", rounds: int = 2) -> dict:
    """In memory and streamed, alternately ``rounds`` times (the machine's load moves between
    runs): medians of the epoch times per kind, and the ratio in each round."""
    path = tmp / f"stream.{kind}"
    (write_stream_parquet if kind == "parquet" else write_stream_csv)(path, rows, d)
    common = f"""
        import numpy as np
        import shallownet as sn, shallownet.estimators, shallownet.data, pyarrow.parquet
        from shallownet.data import FileSource
        from shallownet.data.stream import buffer_bytes, parse_size, row_roles
        stamps = []
        def tick(info):
            stamps.append(time.perf_counter())
        kw = dict(hidden_units=100, epochs=3, batch_size={batch}, random_state=0,
                  callbacks=[tick])
        base = hwm()
    """
    in_memory_code = common + f"""
        ds = sn.data.load({str(path)!r}, dtype=np.float32)
        test = row_roles(np.arange(ds.n_samples), 0, 0.1, 0.0) == 2
        X, y = ds.X[~test], ds.y[~test]
        mean, std = X.mean(axis=0, dtype=np.float64), X.std(axis=0, dtype=np.float64)
        X -= mean.astype(np.float32); X /= std.astype(np.float32)
        t0 = time.perf_counter()
        clf = sn.Classifier(**kw).fit(X, y)
        fit = time.perf_counter() - t0
        del X
        Xt = (ds.X[test] - mean) / std
        acc = float(np.mean(clf.predict(Xt) == ds.y[test]))
        epoch = float(np.median(np.diff(stamps)))
        print(json.dumps({{"base": base, "peak": hwm(), "epoch2": epoch,
                          "fit": fit, "accuracy": acc}}))
    """
    streamed_code = common + f"""
        src = FileSource({str(path)!r}, test_fraction=0.1, seed=0,
                         memory=buffer_bytes(parse_size({limit!r})))
        t0 = time.perf_counter()
        clf = sn.Classifier(**kw).fit(src)
        fit = time.perf_counter() - t0
        (name, acc), = src.score(clf)
        epoch = float(np.median(np.diff(stamps)))
        print(json.dumps({{"base": base, "peak": hwm(), "epoch2": epoch,
                          "fit": fit, "accuracy": acc}}))
    """
    pairs = [(run_child(in_memory_code), run_child(streamed_code)) for _ in range(rounds)]
    in_memory, streamed = (_median_run([p[i] for p in pairs]) for i in (0, 1))
    x32 = rows * d * 4
    return {"file": f"{rows} x {d} float32 {'Parquet' if kind == 'parquet' else 'CSV'}",
            "file_mb": path.stat().st_size / MIB, "x_float32_mb": x32 / MIB,
            "memory_limit": limit, "limit_times": x32 / (_size(limit)),
            "in_memory": _mb(in_memory), "streamed": _mb(streamed),
            "epoch_ratio": streamed["epoch2"] / in_memory["epoch2"], "target_ratio": 1.5,
            "epoch_ratio_per_round": [b["epoch2"] / a["epoch2"] for a, b in pairs],
            "accuracy_points": 100 * (streamed["accuracy"] - in_memory["accuracy"])}


def _size(text: str) -> int:
    from shallownet.data.stream import parse_size

    return parse_size(text)


def _median_run(runs: list) -> dict:
    """The median epoch time of several runs, their highest peak, the first's accuracy."""
    return {**runs[0], "epoch2": float(np.median([r["epoch2"] for r in runs])),
            "peak": max(r["peak"] for r in runs)}


def _mb(r: dict) -> dict:
    return {"peak_mb": r["peak"] / MIB, "base_mb": r["base"] / MIB,
            "epoch_s": r["epoch2"], "fit_s": r["fit"], "accuracy": r["accuracy"]}


def bench_wide(tmp: Path, repeats: int) -> list:
    """Load time of 50-row CSVs at 10k-100k columns; per column, it should stay flat."""
    import pyarrow.csv as pacsv

    from shallownet.data import load

    out = []
    for d in (10_000, 20_000, 50_000, 100_000):
        path = tmp / f"wide{d}.csv"
        rng = np.random.default_rng(0)
        with open(path, "w") as f:
            f.write(",".join(f"c{j}" for j in range(d)) + ",label\n")
            np.savetxt(f, np.column_stack([rng.integers(0, 9, size=(50, d)),
                                           np.arange(50) % 2]), fmt="%d", delimiter=",")
        t = median_s(lambda p=path: load(p, dtype=np.float32), repeats)
        t_pa = median_s(lambda p=path: pacsv.read_csv(p), repeats)
        out.append({"columns": d, "rows": 50, "seconds": t, "us_per_column": 1e6 * t / d,
                    "pyarrow_default_s": t_pa, "pyarrow_default_us_per_column": 1e6 * t_pa / d})
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--rows", type=int, default=2_000_000, help="rows of the streamed file")
    p.add_argument("--columns", type=int, default=40)
    p.add_argument("--memory-limit", default="64M")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--rounds", type=int, default=2,
                   help="in-memory/streamed pairs, run alternately")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="shallownet-bench-"))
    try:
        csv_load = bench_csv_load(tmp, args.repeats)
        pixels = Path(csv_load.pop("path"))
        train_mem = [bench_train_memory(pixels, es) for es in (True, False)]
        wide = bench_wide(tmp, args.repeats)
        stream = bench_streaming(tmp, args.rows, args.columns, args.memory_limit,
                                 args.batch_size, rounds=args.rounds)
        # a CSV of a quarter of the rows: epochs from the spill, no parsing after the first pass
        stream_csv = bench_streaming(tmp, args.rows // 4, args.columns, "32M",
                                     args.batch_size, kind="csv", rounds=args.rounds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    import pyarrow

    result = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                          "pyarrow": pyarrow.__version__},
              "csv_load": csv_load, "train_in_memory": train_mem, "wide_csv": wide,
              "streaming": stream, "streaming_csv": stream_csv,
              "load_average": os.getloadavg()}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    c = csv_load
    print(f"CSV load, {c['file']} ({c['size_mb']:.0f} MB): shallownet {c['shallownet_s']:.2f} s,"
          f" pandas {c['pandas_s']:.2f} s ({c['pandas_over_shallownet']:.2f}x), pyarrow "
          f"{c['pyarrow_s']:.2f} s")
    for t in train_mem:
        print(f"train in memory ({'early stopping' if t['early_stopping'] else 'no early stopping'}"
              f"): peak {t['peak_mb']:.0f} MB = imports {t['base_mb']:.0f} MB + X "
              f"{t['x_float32_mb']:.0f} MB + {t['above_base_minus_x_mb']:.0f} MB (target: X + "
              f"150 MB, {'met' if t['met'] else 'NOT met'})")
    for w in wide:
        print(f"wide CSV {w['rows']} x {w['columns']}: {w['seconds']:.2f} s "
              f"({w['us_per_column']:.1f} us per column; bare pyarrow.csv.read_csv with its "
              f"default blocks {w['pyarrow_default_s']:.2f} s, "
              f"{w['pyarrow_default_us_per_column']:.1f} us per column)")
    for s in (stream, stream_csv):
        print(f"streaming {s['file']} ({s['x_float32_mb']:.0f} MB, {s['limit_times']:.1f}x the "
              f"limit {s['memory_limit']}): peak {s['streamed']['peak_mb']:.0f} MB against "
              f"{s['in_memory']['peak_mb']:.0f} MB in memory; epoch "
              f"{s['streamed']['epoch_s']:.1f} s against {s['in_memory']['epoch_s']:.1f} s "
              f"({s['epoch_ratio']:.2f}x, target 1.5x; per round "
              f"{', '.join(f'{r:.2f}x' for r in s['epoch_ratio_per_round'])}); accuracy "
              f"{s['streamed']['accuracy']:.4f} against {s['in_memory']['accuracy']:.4f}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in result['load_average'])}")


if __name__ == "__main__":
    main()

"""``shallownet train DATA --optimizer lbfgs --dask ADDRESS``: training on a Dask cluster.

The file is read by the workers as Dask partitions (Parquet row groups or files, CSV blocks);
the column choice and the task rule are the data layer's (``data.schema``), applied to the
column names and to statistics computed on the cluster; the held-out split, the
standardisation statistics and the row counts are computed there too. L-BFGS runs on the
client with the partitions kept on the workers (``solvers.dask``); the model is saved as usual.
What comes back to this process: the column names, the classes, per-column means and standard
deviations, counts, one vector per iteration and, for the held-out metrics, the held-out
targets and predictions (two columns).
"""

from __future__ import annotations

import contextlib
import re
import sys
from pathlib import Path

import numpy as np

from .._text import count
from .errors import EXIT_FAILURE, _Fail, visible

_LOCAL = re.compile(r"local:(\d+)$")


@contextlib.contextmanager
def open_client(address: str, console):
    """A ``distributed.Client`` on ``address``, or on a LocalCluster for ``local:N``.

    ``local:N`` starts N worker processes with one thread each (and one BLAS thread each: the
    nanny sets OMP_NUM_THREADS/OPENBLAS_NUM_THREADS/MKL_NUM_THREADS to 1) and shuts them down
    at the end.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise _Fail("--dask needs Dask: pip install 'shallownet[dask]'") from None
    local = _LOCAL.match(address)
    if address.startswith("local") and (local is None or int(local.group(1)) < 1):
        raise _Fail(f"--dask {address!r}: write local:N with N >= 1 worker processes, or a "
                    "scheduler address such as tcp://host:8786")
    if local:
        n = int(local.group(1))
        console.print(f"starting a local Dask cluster of {n} worker process"
                      f"{'es' if n > 1 else ''} (one thread each)")
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=40)
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as e:
        raise _Fail(f"--dask {address}: cannot reach a Dask scheduler there ({e}); start one "
                    "(dask scheduler) or use --dask local:N") from None
    with client:
        n = len(client.scheduler_info().get("workers", {}))
        console.print(f"connected to the Dask scheduler at {address} ({n} workers)")
        yield client


def read_frame(data: str, target, drop, task, decimal=None):
    """DATA as a Dask DataFrame, with the target, feature columns and task chosen."""
    import dask.dataframe as dd

    from ..data import is_embedded, open_file
    from ..data.schema import choose_columns

    if is_embedded(data):
        from .. import data as data_layer

        ds = data_layer.load(data, target, task=task, drop=drop)
        frame = dd.from_pandas(_pandas(ds.X, ds.feature_names, ds.y, ds.target_name),
                               npartitions=4)
        return frame, ds.target_name, list(ds.feature_names), ds.task, ds.name
    fmt = open_file(Path(data), decimal)
    whole: set = set()
    if fmt.kind == "csv":
        # the columns under the names the data layer read from the header (trimmed; row
        # labels and empty last columns named as such, so they are left out as in memory),
        # below the lines it skips (blank lines, a "sep=;" line, the header itself)
        def read(dtype=None):
            return dd.read_csv(str(fmt.path), sep=fmt.delimiter, decimal=fmt.decimal,
                               blocksize=fmt.block_size * 16, dtype=dtype, header=None,
                               names=list(fmt.names), skiprows=fmt.skip_rows)

        frame = read()
        # Dask takes the dtypes from the file's first block: a column of whole numbers there
        # may hold decimals further on, which would fail the blocks that have them. Such
        # columns are read as float64 (what features become anyway); an integer target is
        # made integer again below when it holds class labels.
        whole = {c for c, dt in frame.dtypes.items() if dt.kind in "iu"}
        if whole:
            frame = read({c: "float64" for c in whole})
    else:
        frame = dd.read_parquet(list(map(str, fmt.files)) if fmt.files else str(fmt.path))
    names = [str(c) for c in frame.columns]
    cols = choose_columns(names, fmt.source, target=target, drop=drop or (),
                          row_labels=fmt.row_labels)
    if frame[cols.target].dtype.kind not in "biuf":
        # text labels as the data layer reads them: "cat " is the class "cat", " " missing
        labels = frame[cols.target].str.strip()
        frame[cols.target] = labels.mask(labels == "")
        chosen = _judge_text_target(frame[cols.target], cols, fmt, task)
    else:
        chosen = task or _detect_task(frame[cols.target], cols.target)
    if chosen == "classification" and cols.target in whole:
        # labels: whole numbers, as in memory (nullable: a missing one is counted, not cast)
        frame[cols.target] = frame[cols.target].astype("Int64")
    return frame, cols.target, cols.features, chosen, Path(data).stem


def _pandas(X, names, y, target):
    import pandas as pd

    frame = pd.DataFrame(X, columns=list(names))
    frame[target] = y
    return frame


def _missing_targets(y) -> int:
    """How many rows of the target column have no value (or an infinite one), counted on the
    cluster."""
    bad = y.isna()
    if y.dtype.kind == "f":
        bad = bad | (y.abs() == np.inf)
    return int(bad.sum().compute())


def _judge_text_target(y, cols, fmt, task) -> str:
    """The data layer's rule for a text target (``schema.decide_task``), from its distinct
    values computed on the cluster: refused, as in memory, when nothing can be learned from it
    (a different value in most rows, spreadsheet error cells, numbers written as text);
    otherwise the task."""
    import dask

    from ..data.schema import decide_task, describe_target
    from ..data.stream import _UNIQUE_CAP

    labels = y.dropna()
    n, k = dask.compute(labels.count(), labels.nunique_approx())
    if k <= _UNIQUE_CAP:
        distinct = labels.unique().compute()
        k = len(distinct)
    else:  # (a free-text column: a sample of its values tells, and k says how many)
        distinct = labels.head(_UNIQUE_CAP, npartitions=-1).unique()
        k = min(k, n)  # (an estimate)
    distinct = np.asarray(sorted(str(v) for v in distinct), dtype=object)
    return decide_task(int(n), distinct, False, cols.target, task, fmt.source,
                       describe_target(cols.target, cols.note), n_distinct=int(k),
                       decimal=fmt.decimal)[0]


def _detect_task(y, name) -> str:
    """The data layer's task rule (``data.schema``), from statistics computed on the cluster."""
    import dask

    from ..data.schema import MAX_INTEGER_CLASSES, detect_task

    if y.dtype.kind not in "biuf":
        return "classification"
    values = y.astype("float64")
    whole, k, n = dask.compute((values == values.round()).all(), values.nunique_approx(),
                               values.count())
    if not whole:
        return "regression"
    if k <= 2 * MAX_INTEGER_CLASSES:  # few values: the exact rule on the distinct values
        uniq = np.sort(values.unique().compute().to_numpy())
        if uniq.size <= MAX_INTEGER_CLASSES:
            return "classification"
        k = uniq.size
    # k distinct whole numbers: the data layer's rule only asks whether there are at least
    # two rows per class, so k values, each written twice when that holds, stand for the column
    return detect_task(np.repeat(np.arange(k, dtype=float), 2 if 2 * k <= n else 1), True,
                       name)


#: how pandas and Dask say that a CSV cell is not the number its column's dtype expects
_UNREADABLE = ("could not convert", "Mismatched dtypes", "Unable to parse", "invalid literal")


def train_on_cluster(**kwargs):
    """Read, split, standardise, fit (L-BFGS on the cluster), fold, score, save.

    A CSV cell that the workers cannot read as a number (text further down a column of
    numbers) fails there with pandas' words, which name neither the column nor the row; the
    data layer's reader then passes over the file here to name them, as without ``--dask``.
    """
    try:
        _train_on_cluster(**kwargs)
    except ValueError as e:
        if not any(words in str(e) for words in _UNREADABLE):
            raise
        _name_unreadable_cells(kwargs["data"], kwargs["target"], kwargs["drop"],
                               kwargs["decimal"])
        # (not a feature: the target, whose text would be class labels in memory)
        raise _Fail(f"{kwargs['data']}: a column that starts with numbers holds text further "
                    f"down ({' '.join(str(e).split())[:200]}); the workers read each column as "
                    "one type: correct those cells or remove their rows") from None


def _name_unreadable_cells(data, target, drop, decimal) -> None:
    """Raise the data layer's error for the CSV's feature cells that are not numbers, if any."""
    from ..data import is_embedded, open_file
    from ..data.schema import choose_columns
    from ..data.stream import blocks

    if is_embedded(data):
        return
    fmt = open_file(Path(data), decimal)
    if fmt.kind != "csv":
        return
    cols = choose_columns(list(fmt.names), fmt.source, target=target, drop=drop or (),
                          row_labels=fmt.row_labels)
    for _ in blocks(fmt, cols.features, check=False):
        pass


def _train_on_cluster(*, address, data, target, task, drop, decimal, model_kwargs, test_size,
                      scale, seed, out, console, check_out):
    from .. import io
    from ..estimators import Classifier, Regressor
    from ..preprocessing import fold_standardisation, fold_target_standardisation
    from ..solvers.dask import ClusterLost
    from ..workflow import metrics
    from .common import _print_metrics

    if model_kwargs["optimizer"] != "lbfgs":
        raise _Fail(f"--dask trains with --optimizer lbfgs (full batch: the data stay on the "
                    f"workers); --optimizer {model_kwargs['optimizer']} takes mini-batch steps "
                    "(on a cluster, feed them with dask_ml.wrappers.Incremental from Python)")
    with open_client(address, console) as client:
        import dask

        frame, target_name, features, chosen, name = read_frame(data, target, drop, task, decimal)
        out = Path(out) if out is not None else Path(f"{name}.safetensors")
        check_out(out)
        classification = chosen == "classification"
        missing = _missing_targets(frame[target_name])
        if missing:  # refused before the split, as in memory: none may reach the held-out rows
            raise _Fail(f"{data}: the target column {target_name!r} has {count(missing, 'row')} "
                        "with missing or non-finite values (NaN/inf); drop those rows")
        train, test = frame, None
        if test_size > 0:
            train, test = frame.random_split([1 - test_size, test_size], random_state=seed)
        X = train[features].astype("float64")
        y = train[target_name]
        if not classification:
            y = y.astype("float64")
        n_train, mean, std, y_mean, y_std = dask.compute(
            X.shape[0], X.mean(), X.std(ddof=0), y.mean() if not classification else 0.0,
            y.std(ddof=0) if not classification else 1.0)
        console.print(f"{visible(data)}: {chosen} of {visible(repr(target_name))} from "
                      f"{count(len(features), 'feature')}, "
                      f"{frame.npartitions} partitions; training on {n_train} rows on "
                      f"{len(client.scheduler_info().get('workers', {}))} workers; seed {seed} "
                      f"(--seed {seed} repeats this split and these initial weights)",
                      soft_wrap=True)
        if n_train == 0:
            raise _Fail(f"{data}: no rows left to train on; lower --test-size")
        mean_, scale_ = np.array(mean, dtype=float), np.array(std, dtype=float)
        scale_[scale_ == 0] = 1.0
        if scale:
            X = (X - mean_) / scale_
            if not classification:
                y_scale = y_std if y_std > 0 else 1.0
                y = (y - y_mean) / y_scale
        Estimator = Classifier if classification else Regressor
        model = Estimator(**model_kwargs)
        try:
            model.fit(X, y)
        except ClusterLost as e:  # the workers died for good: said as it is, not as a bug
            raise _Fail(str(e), EXIT_FAILURE) from None
        if scale:
            fold_standardisation(model.network_, mean_, scale_)
            if not classification:
                fold_target_standardisation(model.network_, np.atleast_1d(y_mean),
                                            np.atleast_1d(y_scale))
        model.feature_names_in_ = np.asarray(features, dtype=object)
        rows, n_test = [], 0
        if test is not None:
            truth, pred = _held_out_predictions(model, test, features, target_name)
            n_test = int(truth.shape[0])
            if n_test:
                rows = metrics(_Predicted(model, pred), None, truth)
        metadata = {"data": str(data), "target": target_name, "task": chosen,
                    "n_train": int(n_train), "n_test": n_test, "standardised": bool(scale),
                    "seed": int(seed), "trained_on": f"dask {address}",
                    **{f"test_{k}": v for k, v in rows}}
        saved = io.save(model, out, metadata=metadata)
    if rows:
        _print_metrics(console, f"held-out metrics ({n_test} samples)", rows)
    if model.stopped_early_:
        from .train import _stop_line

        console.print(_stop_line(model.n_iter_, model_kwargs["epochs"], model.best_epoch_,
                                 model_kwargs["patience"], "iteration"), soft_wrap=True)
    console.print(f"iterations run: {model.n_iter_}"
                  + (f", best iteration: {model.best_epoch_}" if model.best_epoch_ else ""))
    console.print(f"model saved to {visible(saved if isinstance(saved, str | Path) else out)}",
                  soft_wrap=True)
    sys.stdout.flush()


def _held_out_predictions(model, test, features, target_name):
    """Held-out targets and predictions, computed on the workers; two columns come back."""
    import dask

    pred = test[features].astype("float64").map_partitions(
        lambda part: part.assign(_p=model.predict(part) if len(part) else [])["_p"],
        meta=(None, "object" if hasattr(model, "classes_") else "float64"))
    truth, pred = dask.compute(test[target_name], pred)
    truth = truth.to_numpy()
    if hasattr(model, "classes_"):
        truth = truth.astype(model.classes_.dtype, copy=False)
    return truth, pred.to_numpy()


class _Predicted:
    """The fitted model with its held-out predictions already computed (on the cluster)."""

    def __init__(self, model, pred):
        self._pred = pred
        if hasattr(model, "classes_"):
            self.classes_ = model.classes_

    def predict(self, X):
        return self._pred

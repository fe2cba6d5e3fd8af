"""One copy of X in memory: the train workflow and the file loader neither copy nor change it."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import shallownet as sn
from shallownet import workflow
from shallownet.data import Dataset, load

pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")


def dataset(n=4000, d=64, task="classification", seed=0):
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(n, d)) * rng.uniform(0.5, 4, d) + rng.normal(size=d) * 3)
    X = X.astype(np.float32)
    if task == "classification":
        y = (X[:, 0] - X[:, 1] > X[:, 2]).astype(np.int64) + (X[:, 3] > 0)
    else:
        y = X[:, :4].astype(np.float64) @ [1.0, -2.0, 0.5, 3.0] + 40.0
    return Dataset(X, y, [f"x{j}" for j in range(d)], "y", task, "mem", "", [], source="mem")


@pytest.mark.parametrize("early_stopping", [False, True])
def test_workflow_trains_on_rows_of_x_without_a_copy(early_stopping):
    """The workflow's peak traced memory (numpy reports its buffers to tracemalloc) stays a
    small part of X (the held-out rows, the finiteness mask): no split copy, no standardised
    copy, no float64 copy. It was 1.6 X and more (the split, its standardised copy and early
    stopping's training part)."""
    ds = dataset(n=60000, d=64)
    before = ds.X.copy()
    workflow.train_dataset(dataset(n=200, d=64), epochs=1, random_state=0,
                           early_stopping=early_stopping, n_threads=1)  # imports, caches
    tracemalloc.start()
    try:
        workflow.train_dataset(ds, epochs=1, random_state=0, early_stopping=early_stopping,
                               n_threads=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.6 * ds.X.nbytes, (peak, ds.X.nbytes)
    np.testing.assert_array_equal(ds.X, before)  # the data set is left as it was


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_workflow_is_the_estimator_on_the_standardised_training_rows(task, early_stopping):
    """Batches gathered from rows of X and standardised one by one train exactly as the
    estimator does on the standardised training rows as one matrix (the reference)."""
    ds = dataset(n=600, d=6, task=task)
    seed = 11
    result = workflow.train_dataset(ds, epochs=3, random_state=seed,
                                    early_stopping=early_stopping, patience=2)
    rows = result.split.train_rows
    X_train = ds.X[rows].astype(np.float64)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    # the workflow's moments come from float64 sums; the reference's from numpy's float64 ones
    m32, s32 = mean.astype(np.float32), std.astype(np.float32)
    X_ref = (ds.X[rows] - m32) / s32
    y_ref = ds.y[rows]
    Estimator = sn.Classifier if task == "classification" else sn.Regressor
    if task == "regression":
        y_mean, y_std = y_ref.mean(), y_ref.std()
        y_ref = (y_ref - y_mean) / y_std
    ref = Estimator(epochs=3, random_state=seed, early_stopping=early_stopping, patience=2)
    ref.fit(X_ref, y_ref)
    sn.preprocessing.fold_standardisation(ref.network_, m32, s32)
    if task == "regression":
        sn.preprocessing.fold_target_standardisation(ref.network_, y_mean, y_std)
    for k, v in ref.network_.params.items():
        np.testing.assert_allclose(result.model.network_.params[k], v, rtol=2e-5, atol=2e-6)
    assert result.model.history_.epochs == ref.history_.epochs


def test_loading_a_file_builds_x_once(tmp_path):
    """The loader copies each block into one array (no list of blocks stacked at the end):
    traced numpy memory peaks near one X, not two."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60000, 32)).astype(np.float32)
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({**{f"x{j}": X[:, j] for j in range(32)},
                             "label": (X[:, 0] > 0).astype(np.int8)}), path,
                   row_group_size=5000)
    csv = tmp_path / "x.csv"
    np.savetxt(csv, np.column_stack([X, X[:, 0] > 0]), fmt="%.7g", delimiter=",",
               header=",".join([f"x{j}" for j in range(32)] + ["label"]), comments="")
    load(csv, dtype=np.float32)  # imports
    for p in (path, csv):
        tracemalloc.start()
        try:
            ds = load(p, dtype=np.float32)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        np.testing.assert_allclose(ds.X, X, rtol=1e-6)
        assert ds.X.dtype == np.float32 and ds.X.flags.c_contiguous
        assert peak < 1.4 * X.nbytes, (p.suffix, peak / X.nbytes)


def test_early_stopping_holds_out_rows_without_copying_the_training_part():
    """fit(X, y) with early stopping copied the training part of X (0.9 X); now only the
    validation rows are copied, and the result is the one of fitting that part as a copy."""
    ds = dataset(n=60000, d=64)
    kw = dict(hidden_units=16, epochs=1, early_stopping=True, random_state=0, n_threads=1)
    sn.Classifier(**kw).fit(ds.X[:300], ds.y[:300])  # imports, caches
    tracemalloc.start()
    try:
        clf = sn.Classifier(**kw).fit(ds.X, ds.y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * ds.X.nbytes, (peak, ds.X.nbytes)
    # the reference: the same split made by hand, trained without early stopping's split
    from sklearn.model_selection import train_test_split

    small = dataset(n=500, d=5)
    a = sn.Classifier(hidden_units=8, epochs=4, early_stopping=True, random_state=3,
                      patience=50).fit(small.X, small.y)
    assert a.n_iter_ == 4 and clf.n_iter_ == 1
    split_seed = sn.Classifier._seeds(3, 3, 0)[1]
    tr, va = train_test_split(np.arange(500), test_size=50, random_state=split_seed,
                              stratify=small.y)
    b = sn.Classifier(hidden_units=8, epochs=4, random_state=3)
    b.fit(small.X[tr], small.y[tr])
    np.testing.assert_array_equal(a.network_.W_H, b.network_.W_H)


def test_predict_reads_the_file_in_the_models_precision(tmp_path, monkeypatch):
    """predict/evaluate loaded X in float64 and the model cast it to float32: two copies, one
    twice the size. Now the file is read straight into the network's dtype."""
    from typer.testing import CliRunner

    import shallownet.data as data_layer
    from shallownet.cli import app

    ds = dataset(n=300, d=4)
    f = tmp_path / "d.csv"
    np.savetxt(f, np.column_stack([ds.X, ds.y]), fmt="%.6g", delimiter=",", comments="",
               header="a,b,c,d,label")
    model = tmp_path / "m.safetensors"
    runner = CliRunner()
    trained = runner.invoke(app, ["train", str(f), "--epochs", "2", "--out", str(model), "-q"])
    assert trained.exit_code == 0, trained.output
    seen, real = [], data_layer.load
    monkeypatch.setattr(data_layer, "load",
                        lambda *a, **k: seen.append(k.get("dtype")) or real(*a, **k))
    for command in (["predict", str(model), str(f)], ["evaluate", str(model), str(f)]):
        r = runner.invoke(app, command)
        assert r.exit_code == 0, r.output
    assert seen == [np.float32, np.float32]
    pred = sn.load(model).predict(real(f, dtype=np.float32).X)
    out = runner.invoke(app, ["predict", str(model), str(f)]).stdout.split()[1:]
    assert [int(v) for v in out] == pred.tolist()


def test_row_stack_grows_when_the_estimate_is_short_or_refused(monkeypatch):
    """The loader's array: filled past a short estimate (one copy), and started small when
    the system refuses the estimated size."""
    from shallownet.data.stream import RowStack

    rng = np.random.default_rng(0)
    parts = [rng.normal(size=(m, 3)).astype(np.float32) for m in (5, 7, 20, 1)]
    stack = RowStack(4, 3, np.float32)
    for p in parts:
        stack.add(p)
    np.testing.assert_array_equal(stack.result(), np.concatenate(parts))
    real = np.empty

    def refuse_big(shape, dtype=float):
        if shape[0] > 1 << 16:
            raise MemoryError
        return real(shape, dtype)

    monkeypatch.setattr(np, "empty", refuse_big)
    stack = RowStack(1 << 40, 3, np.float32)
    assert stack.X.shape == (1 << 16, 3)
    stack.add(parts[0])
    np.testing.assert_array_equal(stack.result(), parts[0])

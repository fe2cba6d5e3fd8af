"""Training and search on a real Dask cluster: a LocalCluster of 2 worker processes (one thread
each) started and stopped here. L-BFGS on the cluster against L-BFGS in memory (float64: loss
within 1e-6 relative), the fitted estimator an ordinary one, clear errors where a Dask
collection would be pulled into memory, and the README's recipes (search through joblib's dask
backend, dask_ml's Incremental)."""

import contextlib
import os
import pickle
import time

import numpy as np
import pytest

dask = pytest.importorskip("dask", reason="needs the shallownet[dask] extra")
distributed = pytest.importorskip("distributed", reason="needs the shallownet[dask] extra")

import dask.array as da  # noqa: E402
import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.datasets import load_digits, load_iris, load_wine  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import shallownet as sn  # noqa: E402
from shallownet.solvers import dask as on_cluster  # noqa: E402

LBFGS = dict(optimizer="lbfgs", hidden_units=12, epochs=25, dtype="float64", random_state=0)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", timeout=120)
    c = distributed.Client(cluster, timeout=120)
    try:
        yield c
    finally:
        c.close(timeout=30)
        cluster.close(timeout=30)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X)[:900], y[:900]


def relative(a, b):
    return abs(a - b) / abs(b)


def test_classifier_on_dask_arrays_matches_in_memory_lbfgs(client, digits):
    X, y = digits
    here = sn.Classifier(**LBFGS).fit(X, y)
    # uneven row chunks, and column chunks that the solver must join into whole rows
    Xd = da.from_array(X, chunks=((250, 250, 250, 150), (40, 24)))
    yd = da.from_array(y, chunks=200)
    there = sn.Classifier(**LBFGS).fit(Xd, yd)
    assert there.n_iter_ == here.n_iter_ == 25
    assert relative(there.loss_curve_[-1], here.loss_curve_[-1]) < 1e-6
    np.testing.assert_array_equal(there.classes_, here.classes_)
    assert (there.predict(X) == here.predict(X)).mean() > 0.99
    # an ordinary in-memory estimator: pickles, saves, predicts numpy input
    again = pickle.loads(pickle.dumps(there))
    np.testing.assert_array_equal(again.predict(X), there.predict(X))
    assert isinstance(there.network_, sn.Network) and there.network_.dtype == np.float64


def test_partition_sums_add_up_to_the_whole(client, digits):
    """The tree of partial sums equals L (16) and its gradient over all rows."""
    X, y = digits
    net = sn.Network.init(64, 7, 10, activation="relu", output="multiclass", seed=1,
                          dtype="float64")
    data = on_cluster.ClusterData(da.from_array(X, chunks=128), da.from_array(y, chunks=128),
                                  on_cluster.network_spec(net), classes=np.arange(10))
    try:
        from shallownet.solvers.lbfgs import pack
        L, grad = data.sum(pack(net.params))
    finally:
        data.release()
    assert data.n_rows == len(X)
    assert L == pytest.approx(net.loss(X, y), rel=1e-12)
    G = net.gradients(X, y)
    np.testing.assert_allclose(grad, np.concatenate([G[k].ravel() for k in G]), rtol=1e-10,
                               atol=1e-12)


def test_regressor_and_string_labels_from_a_dask_dataframe(client):
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    cols = [f"f{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=cols).assign(
        alcohol=X[:, 0] * 2 + 1, kind=np.array(["red", "white", "rose"])[y])
    ddf = dd.from_pandas(frame, npartitions=3)
    features = cols[1:]
    reg_here = sn.Regressor(**LBFGS).fit(frame[features], frame["alcohol"])
    reg_there = sn.Regressor(**LBFGS).fit(ddf[features], ddf["alcohol"])
    assert relative(reg_there.loss_curve_[-1], reg_here.loss_curve_[-1]) < 1e-6
    assert list(reg_there.feature_names_in_) == features
    clf = sn.Classifier(**LBFGS).fit(ddf[features], ddf["kind"])
    assert list(clf.classes_) == ["red", "rose", "white"]
    assert clf.score(frame[features], frame["kind"]) > 0.9


def test_early_stopping_holds_out_rows_on_the_workers(client, digits):
    X, y = digits
    model = sn.Classifier(**{**LBFGS, "epochs": 60}, early_stopping=True, patience=3,
                          validation_fraction=0.2)
    model.fit(da.from_array(X, chunks=300), da.from_array(y, chunks=300))
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ > 0.85


def _never(block):
    raise AssertionError("the data were computed")


def test_nothing_is_pulled_into_memory_behind_the_users_back(client):
    # a collection whose computation fails: the errors must come before any compute
    X = da.ones((100, 4), chunks=50).map_blocks(_never, dtype=float)
    y = da.zeros(100, chunks=50, dtype=int).map_blocks(_never, dtype=int)
    with pytest.raises(ValueError, match="Incremental"):
        sn.Classifier(optimizer="adam").fit(X, y)
    with pytest.raises(TypeError, match="Incremental"):
        sn.Classifier(optimizer="adam").partial_fit(X, y, classes=[0, 1])
    fitted = sn.Regressor(**LBFGS).fit(np.ones((10, 4)), np.arange(10.0))
    with pytest.raises(TypeError, match="ParallelPostFit"):
        fitted.predict(X)
    with pytest.raises(ValueError, match="sample_weight and class_weight"):
        sn.Classifier(optimizer="lbfgs", class_weight="balanced").fit(X, y)
    with pytest.raises(ValueError, match="y must be one too"):
        sn.Classifier(optimizer="lbfgs").fit(X, np.zeros(100))


def test_bad_partitions_are_named(client):
    frame = pd.DataFrame({"a": np.arange(10.0), "b": 1.0, "y": np.arange(10.0)})
    X = dd.from_pandas(frame[["a", "b"]], npartitions=2)
    y = dd.from_pandas(frame["y"], npartitions=3)
    with pytest.raises(ValueError, match="X has 2 partitions but y has 3"):
        sn.Regressor(optimizer="lbfgs").fit(X, y)
    # rows that do not line up inside a partition
    with pytest.raises(ValueError, match="partition 0 of X has 5 rows but y's has 4"):
        sn.Regressor(optimizer="lbfgs").fit(
            dd.from_pandas(frame[["a", "b"]], npartitions=2),
            dd.from_pandas(frame["y"], npartitions=2).map_partitions(lambda s: s.iloc[1:]))
    Xnan = da.from_array(np.where(np.eye(10, 3) == 1, np.nan, 1.0), chunks=5)
    with pytest.raises(ValueError, match="NaN"):
        sn.Regressor(optimizer="lbfgs").fit(Xnan, da.ones(10, chunks=5))


def _labelled(n=90, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return pd.DataFrame(X, columns=["a", "b"]).assign(y=(X[:, 0] > 0).astype(float))


def test_missing_labels_are_refused_as_in_memory(client):
    """A missing label is no class: NaN must not become one, None or pd.NA must not crash."""
    frame = _labelled()
    frame.loc[40, "y"] = np.nan  # row 10 of the second of three partitions
    with pytest.raises(ValueError, match="NaN"):  # what training in memory says
        sn.Classifier(**LBFGS).fit(frame[["a", "b"]], frame["y"])
    ddf = dd.from_pandas(frame, npartitions=3)
    with pytest.raises(ValueError, match=r"missing or non-finite labels \(1 of 90, the first "
                                         r"NaN at row 10 of partition 1\)"):
        sn.Classifier(**LBFGS).fit(ddf[["a", "b"]], ddf["y"])
    Xd = da.from_array(frame[["a", "b"]].to_numpy(), chunks=30)
    with pytest.raises(ValueError, match="the first NaN at row 10 of partition 1"):
        sn.Classifier(**LBFGS).fit(Xd, da.from_array(frame["y"].to_numpy(), chunks=30))
    words = frame.assign(y=np.where(frame["y"] > 0, "up", "down").astype(object))
    words.loc[[5, 70], "y"] = None
    with pytest.raises(ValueError, match="missing labels"):
        sn.Classifier(**LBFGS).fit(words[["a", "b"]], words["y"])
    ddf = dd.from_pandas(words, npartitions=3)
    with pytest.raises(ValueError, match=r"missing or non-finite labels \(2 of 90, the first "
                                         r".* at row 5 of partition 0\)"):
        sn.Classifier(**LBFGS).fit(ddf[["a", "b"]], ddf["y"])
    nullable = dd.from_pandas(_labelled().astype({"y": "Int64"}), npartitions=3)
    assert list(sn.Classifier(**LBFGS).fit(nullable[["a", "b"]], nullable["y"]).classes_) == \
        [0, 1]


def test_labels_of_different_types_in_different_partitions_are_refused(client):
    frame = _labelled()
    ints = frame.iloc[:45].astype({"y": int})
    words = frame.iloc[45:].assign(y=np.where(frame["y"].iloc[45:] > 0, "up", "down"))
    ddf = dd.from_delayed([dask.delayed(ints), dask.delayed(words)],
                          meta=ints.iloc[:0].astype({"y": object}), verify_meta=False)
    with pytest.raises(ValueError, match=r"labels of different types \(int64, str\)"):
        sn.Classifier(**LBFGS).fit(ddf[["a", "b"]], ddf["y"])


def test_feature_columns_that_are_not_numbers_are_named(client):
    frame = _labelled().assign(colour=lambda f: np.where(f["a"] > 1, "red", "blue"))
    ddf = dd.from_pandas(frame, npartitions=3)
    with pytest.raises(ValueError, match=r"non-numeric column\(s\) \['colour'\] \(partition 0\)"):
        sn.Classifier(**LBFGS).fit(ddf[["a", "colour", "b"]], ddf["y"])
    when = ddf[["a", "b"]].assign(when=dd.to_datetime(ddf["a"] * 1e9))
    with pytest.raises(ValueError, match=r"date or time column\(s\) \['when'\]"):
        sn.Classifier(**LBFGS).fit(when, ddf["y"])
    # pandas' nullable floats: pd.NA is a missing value like NaN, named with its column ...
    holes = frame[["a", "b", "y"]].astype({"b": "Float64"})
    holes.loc[33, "b"] = pd.NA
    ddf = dd.from_pandas(holes, npartitions=3)
    with pytest.raises(ValueError, match=r"NaN or inf \(partition 1, column\(s\) \['b'\]\)"):
        sn.Classifier(**LBFGS).fit(ddf[["a", "b"]], ddf["y"])
    # ... and without holes they train as plain floats do
    plain = dd.from_pandas(frame[["a", "b", "y"]], npartitions=3)
    nullable = plain.astype({"a": "Float64", "b": "Float64"})
    here = sn.Classifier(**LBFGS).fit(plain[["a", "b"]], plain["y"])
    there = sn.Classifier(**LBFGS).fit(nullable[["a", "b"]], nullable["y"])
    assert there.loss_curve_[-1] == pytest.approx(here.loss_curve_[-1], rel=1e-12)


@pytest.fixture
def own_cluster():
    """A cluster of its own for the tests that kill its workers."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=50, timeout=120)
    c = distributed.Client(cluster, timeout=120, set_as_default=False)
    try:
        yield c, cluster
    finally:
        c.close(timeout=30)
        cluster.close(timeout=30)


def _kill_workers_in_evaluation(monkeypatch, n, client, cluster=None):
    """Kill every worker process in the ``n``-th evaluation of the loss, once its partial
    sums are under way on the workers (theta and the sums die with them); with ``cluster``,
    its nannies are told first not to start new workers."""
    real, calls = on_cluster._tree_sum, []

    def tree_sum(c, futures):
        calls.append(len(futures))
        if len(calls) == n:
            for nanny in (cluster.workers.values() if cluster is not None else ()):
                nanny.close_gracefully()
            with contextlib.suppress(Exception):  # (the workers do not answer: they are gone)
                client.run(os._exit, 1)
        return real(c, futures)

    monkeypatch.setattr(on_cluster, "_tree_sum", tree_sum)
    return calls


def test_training_goes_on_when_the_workers_die_and_come_back(own_cluster, digits, monkeypatch):
    """The nannies start new workers; the partitions are computed again from the data's graph,
    the evaluation is asked for again, and the training ends where in-memory L-BFGS does."""
    client, _ = own_cluster
    X, y = digits
    here = sn.Classifier(**LBFGS).fit(X, y)
    calls = _kill_workers_in_evaluation(monkeypatch, 4, client)
    with client.as_current():
        there = sn.Classifier(**LBFGS).fit(da.from_array(X, chunks=300),
                                           da.from_array(y, chunks=300))
    assert len(calls) > 4
    assert there.n_iter_ == here.n_iter_ == 25
    assert relative(there.loss_curve_[-1], here.loss_curve_[-1]) < 1e-6


def test_training_stops_with_one_clear_error_when_no_worker_comes_back(own_cluster, digits,
                                                                      monkeypatch):
    client, cluster = own_cluster
    X, y = digits
    monkeypatch.setattr(on_cluster, "WORKER_WAIT_S", 3, raising=False)
    _kill_workers_in_evaluation(monkeypatch, 4, client, cluster)
    start = time.monotonic()
    with client.as_current(), pytest.raises(
            on_cluster.ClusterLost, match=r"lost its workers during training and none came "
                                          r"back within 3 s; the training stopped"):
        sn.Classifier(**LBFGS).fit(da.from_array(X, chunks=300), da.from_array(y, chunks=300))
    assert time.monotonic() - start < 60


def test_command_says_in_one_line_that_the_cluster_lost_its_workers(own_cluster, tmp_path,
                                                                    monkeypatch):
    client, cluster = own_cluster
    wine = load_wine(as_frame=True).frame
    wine.to_parquet(tmp_path / "wine.parquet")
    monkeypatch.setattr(on_cluster, "WORKER_WAIT_S", 3, raising=False)
    _kill_workers_in_evaluation(monkeypatch, 4, client, cluster)
    out = tmp_path / "wine.safetensors"
    result = _run("train", tmp_path / "wine.parquet", "--optimizer", "lbfgs", "--dask",
                  cluster.scheduler_address, "--epochs", 20, "--seed", 0, "--out", out)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the Dask cluster lost its workers")
    assert "internal error" not in lines[0]
    assert not out.exists()


# ---------------------------------------------------------------- the README's recipes
def test_grid_search_through_joblib_dask_backend_matches_serial(client, digits):
    import joblib
    from sklearn.model_selection import GridSearchCV

    X, y = digits
    grid = {"hidden_units": [4, 16], "l2": [0.0, 0.01]}
    est = sn.Classifier(optimizer="lbfgs", epochs=30, dtype="float64", random_state=0)
    serial = GridSearchCV(est, grid, cv=3).fit(X, y)
    # one BLAS thread per worker process (the nanny's environment already says so)
    assert set(on_cluster.limit_blas_threads(client).values()) == {1}
    with joblib.parallel_backend("dask"):
        on_dask = GridSearchCV(est, grid, cv=3, n_jobs=-1).fit(X, y)
    assert on_dask.best_params_ == serial.best_params_
    np.testing.assert_allclose(on_dask.cv_results_["mean_test_score"],
                               serial.cv_results_["mean_test_score"])


def test_incremental_on_dask_arrays_reaches_in_memory_accuracy(client, digits):
    from dask_ml.wrappers import Incremental

    X, y = digits
    Xd, yd = da.from_array(X, chunks=150), da.from_array(y, chunks=150)
    inc = Incremental(sn.Classifier(hidden_units=32, learning_rate=0.01, random_state=0))
    for _ in range(8):  # epochs: each call feeds every block to partial_fit once
        inc.partial_fit(Xd, yd, classes=np.arange(10))
    in_memory = sn.Classifier(hidden_units=32, learning_rate=0.01, random_state=0, epochs=8,
                              batch_size=32).fit(X, y)
    assert inc.estimator_.score(X, y) > in_memory.score(X, y) - 0.05
    assert inc.estimator_.score(X, y) > 0.9


# ---------------------------------------------------------------- the command
def _run(*args):
    from typer.testing import CliRunner

    from shallownet.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_command_trains_a_parquet_folder_on_the_cluster(client, tmp_path):
    wine = load_wine(as_frame=True).frame
    wine["target"] = np.array(["barolo", "grignolino", "barbera"])[wine["target"]]
    folder = tmp_path / "wine"
    folder.mkdir()
    shuffled = wine.sample(frac=1, random_state=0)
    for i, rows in enumerate(np.array_split(np.arange(len(shuffled)), 3)):
        shuffled.iloc[rows].to_parquet(folder / f"part-{i}.parquet")
    out = tmp_path / "wine.safetensors"
    result = _run("train", folder, "--optimizer", "lbfgs", "--dask", client.scheduler.address,
                  "--epochs", 60, "--seed", 0, "--out", out)
    assert result.exit_code == 0, result.output
    assert "3 partitions" in result.output and "accuracy" in result.output
    assert "iteration" in result.output  # progress and the summary count iterations
    model = sn.load(out)  # saved as usual, standardisation folded into W_H, b_H
    features = [c for c in wine.columns if c != "target"]
    assert list(model.feature_names_in_) == features
    assert model.score(wine[features].to_numpy(), wine["target"]) > 0.9
    assert model.n_features_in_ == 13 and set(model.classes_) == set(wine["target"])
    # a CSV pandas wrote with its (shuffled) index, of one level or two: the index is left out
    # on the cluster too
    for levels in (1, 2):
        written = shuffled.copy()
        if levels == 2:
            written.index = pd.MultiIndex.from_arrays([written.index, written.index % 3])
        written.to_csv(tmp_path / "wine.csv")
        result = _run("train", tmp_path / "wine.csv", "--optimizer", "lbfgs", "--dask",
                      client.scheduler.address, "--epochs", 5, "--seed", 0, "--out", out)
        assert result.exit_code == 0, result.output
        assert list(sn.load(out).feature_names_in_) == features


def test_command_refuses_a_missing_target_wherever_the_split_puts_it(client, tmp_path):
    """A missing label in the held-out rows, which training never sees, is refused up front
    like one in the training rows (as in memory), not met by the held-out metrics."""
    wine = load_wine(as_frame=True).frame
    wine["target"] = np.array(["barolo", "grignolino", "barbera"])[wine["target"]]
    wine.loc[100, "target"] = None
    folder = tmp_path / "wine"
    folder.mkdir()
    wine.iloc[:90].to_parquet(folder / "part-0.parquet")
    wine.iloc[90:].to_parquet(folder / "part-1.parquet")
    frame = dd.read_parquet(str(folder))
    where = {}  # seed -> whether the command's split holds the row out
    for seed in range(40):
        held_out = frame.random_split([0.75, 0.25], random_state=seed)[1]
        where.setdefault(bool(held_out["target"].isna().sum().compute()), seed)
        if len(where) == 2:
            break
    assert set(where) == {True, False}
    out = tmp_path / "wine.safetensors"
    for seed in (where[True], where[False]):  # held out first
        result = _run("train", folder, "--optimizer", "lbfgs", "--dask", client.scheduler.address,
                      "--epochs", 5, "--test-size", 0.25, "--seed", seed, "--out", out)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert "the target column 'target' has 1 row with missing or non-finite values" in lines[0]
        assert not out.exists()


def test_command_reads_a_csv_whose_whole_numbers_turn_decimal_past_the_first_block(
        client, tmp_path):
    """Dask guesses a CSV's dtypes from its first 256 kB: columns of whole numbers there that
    hold decimals further on are read as numbers all the same, as in memory; whole-number
    class labels stay whole numbers."""
    n = 40_000  # about 600 kB
    rng = np.random.default_rng(0)
    a = rng.integers(0, 10, n).astype(float)
    a[-5:] += 0.5
    b = rng.normal(size=n).round(3)
    kind = (a + b > 5).astype(int)
    price = (a * 3).round()
    price[-1] += 0.25
    path = tmp_path / "late.csv"
    pd.DataFrame({"a": a, "b": b, "kind": kind, "price": price}).to_csv(
        path, index=False, float_format="%g")
    for target, drop in (("kind", "price"), ("price", "kind")):
        out = tmp_path / f"{target}.safetensors"
        result = _run("train", path, "--optimizer", "lbfgs", "--dask", client.scheduler.address,
                      "--target", target, "--drop", drop, "--epochs", 5, "--seed", 0,
                      "--out", out)
        assert result.exit_code == 0, result.output
        model = sn.load(out)
        assert list(model.feature_names_in_) == ["a", "b"]
        in_memory = tmp_path / f"{target}-here.safetensors"
        result = _run("train", path, "--target", target, "--drop", drop, "--epochs", 1,
                      "--seed", 0, "--out", in_memory)
        assert result.exit_code == 0, result.output
        here = sn.load(in_memory)
        assert hasattr(model, "classes_") == hasattr(here, "classes_")
        if hasattr(here, "classes_"):
            np.testing.assert_array_equal(model.classes_, here.classes_)
            assert model.classes_.dtype == here.classes_.dtype


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_command_reads_a_spreadsheet_csv_as_in_memory(client, tmp_path):
    """A CSV from a spreadsheet (a 'sep=;' line, a byte-order mark, CRLF, decimal commas,
    names with spaces, empty columns at the end, labels with stray spaces) on the cluster:
    the empty last column was taken as the target ('could not convert string to float'),
    and 'setosa ' was a class beside 'setosa'."""
    from shallownet.data import load

    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])
    lines = ["sep=;", " sepal length ; sepal width;petal length;petal width; species ;;"]
    for i, (row, label) in enumerate(zip(X, y, strict=True)):
        cells = [f"{v:.1f}".replace(".", ",") for v in row]
        lines.append(";".join(cells + [names[label] + " " * (i % 3 == 0)]) + ";;")
    path = tmp_path / "iris.csv"
    path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    reference = load(path)   # the data layer, in memory
    out = tmp_path / "iris.safetensors"
    result = _run("train", path, "--optimizer", "lbfgs", "--dask", client.scheduler.address,
                  "--epochs", 30, "--seed", 0, "--quiet", "--out", out)
    assert result.exit_code == 0, result.output
    assert "classification of 'species' from 4 features" in result.output
    model = sn.load(out)
    assert list(model.feature_names_in_) == reference.feature_names == [
        "sepal length", "sepal width", "petal length", "petal width"]
    assert model.classes_.tolist() == sorted(set(reference.y)) == names.tolist()
    assert model.score(reference.X, reference.y) > 0.9


def test_command_names_text_cells_past_the_first_block_as_in_memory(client, tmp_path):
    """Text further down a column of numbers fails the workers with pandas' words (no column,
    no row): the command says what it says without --dask, naming the cells."""
    n = 40_000  # about 400 kB: past the 256 kB from which Dask takes the dtypes
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.integers(0, 10, n) + 0.5, "b": rng.integers(0, 7, n),
                          "y": rng.integers(0, 2, n)})
    lines = frame.to_csv(index=False).splitlines()
    lines[-3] = "abc,3,1"   # in a column of decimals
    lines[-2] = "1.5,x7,0"  # in a column of whole numbers
    path = tmp_path / "late-text.csv"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "m.safetensors"
    said = []
    for extra in ([], ["--optimizer", "lbfgs", "--dask", client.scheduler.address]):
        result = _run("train", path, "--target", "y", "--epochs", 2, "--out", out, *extra)
        assert result.exit_code == 2, result.output
        lines_out = result.stderr.strip().splitlines()
        assert len(lines_out) == 1, lines_out
        said.append(lines_out[0])
    assert said[1] == said[0]  # the in-memory command's own words
    assert "'a': data row 39998 holds 'abc'" in said[1] and "'x7'" in said[1]
    # text in the target column (labels in memory, a column of numbers on the cluster)
    lines[-2] = "1.5,7,zz"
    path.write_text("\n".join(lines[:-3] + lines[-2:]) + "\n")
    result = _run("train", path, "--target", "y", "--epochs", 2, "--out", out, "--optimizer",
                  "lbfgs", "--dask", client.scheduler.address)
    assert result.exit_code == 2, result.output
    lines_out = result.stderr.strip().splitlines()
    assert len(lines_out) == 1 and "holds text further down" in lines_out[0], lines_out
    assert "'zz'" in lines_out[0] and not out.exists()


@pytest.mark.parametrize("cell, said", [
    (lambda i: "#VALUE!" if i == 4 else "cat dog owl".split()[i % 3],
     "holds spreadsheet error cells ('#VALUE!'"),
    (lambda i: f'"{1000 + i * 1234.5:,.1f}"', "holds numbers with thousands separators"),
    (lambda i: f"note {i} about the row", "a different one in most rows"),
])
def test_command_refuses_a_text_target_as_in_memory(client, tmp_path, cell, said):
    """A text target that cannot be learned was trained on the cluster: '#VALUE!' as a class,
    amounts with thousands separators as 60 classes, free text as one class a row."""
    lines = ["a,b,target"] + [f"{i % 7},{i % 5},{cell(i)}" for i in range(60)]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "t.safetensors"
    for extra in ([], ["--optimizer", "lbfgs", "--dask", client.scheduler.address]):
        result = _run("train", path, *extra, "--epochs", 3, "--seed", 0, "--out", out)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and said in lines[0], lines
        assert "the target column 'target' (named 'target'" in lines[0]
        assert not out.exists()


def test_command_refuses_what_it_cannot_do_on_a_cluster(tmp_path):
    for args, words in [
        (["--dask", "local:0", "--optimizer", "lbfgs"], "local:N"),
        (["--dask", "local:2", "--optimizer", "adam"], "Incremental"),
    ]:
        result = _run("train", "iris", *args, "--out", tmp_path / "m.safetensors")
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]
    assert not (tmp_path / "m.safetensors").exists()


@pytest.mark.slow
def test_command_starts_and_stops_a_local_cluster_for_a_locale_csv(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    price = 3 * X[:, 0] - X[:, 1] + 100
    path = tmp_path / "prices.csv"
    with open(path, "w") as f:
        f.write("a;b;price\n")
        for (a, b), p in zip(X, price, strict=True):
            f.write(f"{a:.4f};{b:.4f};{p:.3f}\n".replace(".", ","))
    out = tmp_path / "prices.safetensors"
    result = _run("train", path, "--optimizer", "lbfgs", "--dask", "local:1", "--epochs", 80,
                  "--seed", 0, "--quiet", "--out", out)
    assert result.exit_code == 0, result.output
    assert "regression of 'price'" in result.output
    model = sn.load(out)
    assert list(model.feature_names_in_) == ["a", "b"]  # the file's names travel with it
    pd = pytest.importorskip("pandas")
    np.testing.assert_allclose(model.predict(pd.DataFrame(X, columns=["a", "b"])), price,
                               atol=0.5)

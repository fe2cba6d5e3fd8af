"""Issue 7, "trust the everyday paths": each finding as a test that failed before its fix.

The train workflow (``shallownet.workflow``), the one table of hyper-parameter ranges
(``shallownet.validation``), best weights under early stopping, ``random_state``, seeds that
reproduce a command-line run, and the everyday label types of ``evaluate``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from typer.testing import CliRunner

import shallownet as sn
from shallownet import Classifier, Regressor, validation, workflow
from shallownet import io as model_io
from shallownet.cli import EPOCH_CALLBACKS, app

pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


# ---------------------------------------------------------------------------- item 2
class _Recorder:
    """Copies of the weights after every epoch, indexed 1.."""

    def __init__(self):
        self.params = {}

    def __call__(self, info):
        self.params[info.epoch] = {k: v.copy() for k, v in info.network.params.items()}


def test_train_restores_the_best_epoch_when_the_epoch_limit_comes_first():
    X, y = _blobs()
    net = sn.Network.init(3, 8, 1, "relu", "binary", seed=0, dtype="float64")
    rec = _Recorder()
    # a validation set with flipped labels: its loss is lowest early, then rises
    h = sn.train(net, X[20:], y[20:], epochs=30, learning_rate=0.05, seed=0,
                 validation_data=(X[:20], 1 - y[:20]), early_stopping=True, patience=40,
                 callbacks=[rec])
    assert h.epochs == 30 and not h.stopped_early and h.best_epoch < 30
    for k, v in rec.params[h.best_epoch].items():
        np.testing.assert_array_equal(net.params[k], v)


def test_estimator_restores_the_best_epoch_when_the_epoch_limit_comes_first():
    X, y = load_iris(return_X_y=True)
    rec = _Recorder()
    clf = Classifier(epochs=15, early_stopping=True, patience=50, learning_rate=0.05,
                     random_state=0, callbacks=[rec]).fit(X, y)
    assert clf.n_iter_ == 15 and not clf.stopped_early_
    best = clf.best_epoch_
    assert best == 1 + int(np.argmin(clf.validation_loss_curve_))
    assert best < 15, "the test needs a run whose last epoch is not its best"
    for k, v in rec.params[best].items():
        np.testing.assert_array_equal(clf.network_.params[k], v)


def test_cli_saves_the_best_epoch_when_the_epoch_limit_comes_first(tmp_path):
    rec = _Recorder()
    EPOCH_CALLBACKS.append(rec)
    try:
        model = tmp_path / "m.safetensors"
        result = run("train", "diabetes", "--epochs", 30, "--patience", 50, "--learning-rate",
                     0.1, "--no-scale", "--seed", 0, "--out", model, "-q")
    finally:
        EPOCH_CALLBACKS.remove(rec)
    assert result.exit_code == 0, result.output
    saved = model_io.load(model)
    best = saved.best_epoch_
    assert saved.n_iter_ == 30 and best < 30, result.output
    for k, v in rec.params[best].items():
        np.testing.assert_array_equal(saved.network_.params[k], v)


# ---------------------------------------------------------------------------- item 3
@pytest.mark.parametrize("Estimator", [Classifier, Regressor])
def test_random_state_takes_what_scikit_learn_takes(Estimator):
    X, y = _blobs(60)
    def fit(rs):
        return Estimator(epochs=3, random_state=rs).fit(X, y).network_.params["W_H"]
    np.testing.assert_array_equal(fit(7), fit(7))
    np.testing.assert_array_equal(fit(np.int64(7)), fit(7))
    # one RandomState / Generator, advanced by each fit: two fits differ, a re-seeded one repeats
    for make in (np.random.RandomState, np.random.default_rng):
        state = make(3)
        first, second = fit(state), fit(state)
        assert not np.array_equal(first, second)
        np.testing.assert_array_equal(fit(make(3)), first)
    assert not np.array_equal(fit(None), fit(None))


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0", True])
def test_random_state_out_of_range_is_named(bad):
    X, y = _blobs(30)
    with pytest.raises(ValueError, match=r"random_state must be None or an integer in \[0, "):
        Classifier(epochs=1, random_state=bad).fit(X, y)


def test_seed_still_works_with_a_deprecation_warning():
    X, y = _blobs(40)
    with pytest.warns(FutureWarning, match="random_state"):
        old = Classifier(epochs=2, seed=4).fit(X, y)
    new = Classifier(epochs=2, random_state=4).fit(X, y)
    np.testing.assert_array_equal(old.network_.params["W_H"], new.network_.params["W_H"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Classifier(epochs=1, random_state=0).fit(X, y)  # no warning without seed=


def test_a_model_fitted_with_a_generator_can_be_saved(tmp_path):
    X, y = _blobs(40)
    clf = Classifier(epochs=2, random_state=np.random.default_rng(0)).fit(X, y)
    back = model_io.load(model_io.save(clf, tmp_path / "g.safetensors"))
    assert back.random_state is None
    np.testing.assert_array_equal(back.predict(X), clf.predict(X))


# ---------------------------------------------------------------------------- validation.py
def test_one_table_checks_every_hyper_parameter_with_a_range():
    params = Classifier().get_params()
    ranged = set(validation.CONSTRAINTS) - {"test_size", "scale"}
    assert ranged <= set(params), ranged - set(params)
    for name in ranged:  # the defaults are valid
        validation.check_params({name: params[name]})


@pytest.mark.parametrize("name, bad", [
    ("hidden_units", 0), ("batch_size", 2.0), ("epochs", True), ("patience", -3),
    ("l2", -0.1), ("l2", float("nan")), ("momentum", 1.0), ("validation_fraction", 0.0),
    ("learning_rate", 0.0), ("optimizer", "rmsprop"), ("test_size", 1.0), ("shuffle", "yes"),
])
def test_out_of_range_values_are_refused_in_one_place(name, bad):
    with pytest.raises(ValueError, match=rf"^{name} must be .*, got {bad!r}$"):
        validation.check_params({name: bad})
    # the same rule wherever the value enters: the estimators and shallownet.train
    X, y = _blobs(20)
    if name in Classifier().get_params():
        with pytest.raises(ValueError, match=rf"{name} must be"):
            Classifier(**{name: bad}).fit(X, y)
    if name in ("batch_size", "epochs", "patience", "l2"):
        net = sn.Network.init(3, 2, 1, "relu", "binary", seed=0)
        with pytest.raises(ValueError, match=rf"{name} must be"):
            sn.train(net, X, y, **{name: bad})


def test_spelling_names_the_flag():
    with pytest.raises(ValueError, match=r"^--test-size must be"):
        validation.check_params({"test_size": 2.0}, spelling=lambda n: "--" + n.replace("_", "-"))


# ---------------------------------------------------------------------------- workflow.py
def test_workflow_splits_scales_fits_folds_and_records():
    result = workflow.train("iris", epochs=40, learning_rate=0.01, random_state=3)
    ds, split, model = result.dataset, result.split, result.model
    assert split.n_train + split.n_test == 150 and split.n_test == 30 and split.stratified
    assert not set(split.train_rows) & set(split.test_rows)
    # folded: the model predicts on raw inputs, and the recorded metric is on the held-out rows
    acc = float(np.mean(model.predict(ds.X[split.test_rows]) == ds.y[split.test_rows]))
    assert result.metrics == [("accuracy", pytest.approx(acc))]
    meta = result.metadata
    assert meta["seed"] == 3 and meta["test_rows"] == [int(i) for i in split.test_rows]
    assert meta["n_train"] == 120 and meta["task"] == "classification"
    # the same seed repeats the run bit for bit
    again = workflow.train("iris", epochs=40, learning_rate=0.01, random_state=3)
    for k, v in model.network_.params.items():
        np.testing.assert_array_equal(again.model.network_.params[k], v)


def test_workflow_draws_and_returns_a_seed():
    a = workflow.train("iris", epochs=2, test_size=0.0)
    assert isinstance(a.random_state, int) and a.metadata["seed"] == a.random_state
    assert a.split.n_test == 0 and a.metrics == [] and "test_rows" not in a.metadata
    b = workflow.train("iris", epochs=2, test_size=0.0, random_state=a.random_state)
    np.testing.assert_array_equal(a.model.network_.W_H, b.model.network_.W_H)


def test_workflow_standardises_a_regression_target_and_folds_it():
    result = workflow.train("diabetes", epochs=60, random_state=0)
    ds, split = result.dataset, result.split
    pred = result.model.predict(ds.X[split.test_rows])
    assert 50 < pred.mean() < 250  # raw target units, not standardised ones
    assert dict(result.metrics)["R^2"] > 0.1


# ---------------------------------------------------------------------------- item 4
def test_cli_draws_prints_stores_and_reproduces_the_seed(tmp_path):
    first, second = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    result = run("train", "iris", "--epochs", 5, "--out", first, "-q")
    assert result.exit_code == 0, result.output
    seed = model_io.describe(first)["metadata"]["seed"]
    assert isinstance(seed, int) and f"--seed {seed}" in result.output
    assert model_io.load(first).random_state == seed
    again = run("train", "iris", "--epochs", 5, "--out", second, "-q", "--seed", seed)
    assert again.exit_code == 0, again.output
    assert first.read_bytes() == second.read_bytes()  # bit for bit, metadata included
    info = run("info", first)
    assert str(seed) in info.output


def test_a_file_written_with_seed_loads_with_that_random_state(tmp_path):
    import json

    from safetensors.numpy import load_file, save_file

    X, y = _blobs(40)
    path = model_io.save(Classifier(epochs=2, random_state=5).fit(X, y), tmp_path / "m.st")
    from safetensors import safe_open

    with safe_open(path, "np") as f:
        meta = f.metadata()
    doc = json.loads(meta["shallownet"])
    doc["hyperparameters"]["seed"] = doc["hyperparameters"].pop("random_state")
    old = tmp_path / "old.st"  # as a file from before random_state
    save_file(load_file(path), old, metadata={"shallownet": json.dumps(doc)})
    model = model_io.load(old)
    assert model.random_state == 5 and model.seed == "deprecated"


# ---------------------------------------------------------------------------- item 3: weights
def _problem(output, N=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 3))
    if output == "binary":
        y, N_o = (X[:, 0] > 0).astype(int), 1
    elif output == "multiclass":
        y, N_o = rng.integers(0, 3, N), 3
    else:
        y, N_o = rng.normal(size=(N, 2)), 2
    net = sn.Network.init(3, 4, N_o, "sigmoid", output, seed=seed, dtype="float64")
    return net, X, y


@pytest.mark.parametrize("output", ["binary", "multiclass", "regression"])
def test_weighted_loss_gradient_matches_central_differences(output):
    from shallownet.network import Workspace

    net, X, y = _problem(output)
    w = np.random.default_rng(1).uniform(0, 3, X.shape[0])
    T = net.encode_targets(y, X.shape[0])
    ws = Workspace(net, X.shape[0])
    L = ws.backprop(np.ascontiguousarray(X), T, X.shape[0], weights=w)

    def weighted_loss():  # sum_i s_i g_loss(i), from the per-sample losses of (17)/(18)/(20)
        return float(net.output.g_loss(net.forward(X).z_O, T) @ w)

    from test_errata import fd_grad  # central differences, shared with the errata tests

    assert L == pytest.approx(weighted_loss(), rel=1e-12)
    for name, P in net.params.items():
        np.testing.assert_allclose(ws.grads[name], fd_grad(weighted_loss, P), atol=1e-7)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("output", ["binary", "multiclass", "regression"])
def test_integer_weights_equal_repeated_rows_for_full_batches(output, optimizer):
    net, X, y = _problem(output, N=15)
    counts = np.random.default_rng(2).integers(0, 4, X.shape[0])
    counts[0] = max(counts[0], 1)
    weighted, repeated = net.copy(), net.copy()
    opts = dict(epochs=5, batch_size=1000, optimizer=optimizer, seed=0)
    hw = sn.train(weighted, X, y, sample_weight=counts, **opts)
    hr = sn.train(repeated, np.repeat(X, counts, axis=0), np.repeat(y, counts, axis=0), **opts)
    for k in net.params:
        np.testing.assert_allclose(weighted.params[k], repeated.params[k], rtol=1e-9,
                                   atol=1e-12)
    np.testing.assert_allclose(hw.loss, hr.loss, rtol=1e-9)


def test_estimator_sample_weight_equals_repeated_rows_and_class_weight_is_a_sample_weight():
    X, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    counts = np.random.default_rng(0).integers(1, 4, X.shape[0])
    full = dict(batch_size=10_000, optimizer="sgd", epochs=20, learning_rate=0.05,
                random_state=0, dtype="float64", shuffle=False)
    a = Classifier(**full).fit(X, labels, sample_weight=counts)
    b = Classifier(**full).fit(np.repeat(X, counts, axis=0), np.repeat(labels, counts))
    np.testing.assert_allclose(a.network_.W_H, b.network_.W_H, rtol=1e-9, atol=1e-12)
    # class_weight: a dict, and "balanced" = n / (K * count) as scikit-learn computes it
    from sklearn.utils.class_weight import compute_class_weight

    keep = np.r_[0:50, 50:80, 100:150]  # unbalanced: 50 / 30 / 50
    Xu, yu = X[keep], labels[keep]
    cw = dict(zip(np.unique(yu), compute_class_weight("balanced", classes=np.unique(yu), y=yu),
                  strict=True))
    c = Classifier(**full, class_weight="balanced").fit(Xu, yu)
    d = Classifier(**full, class_weight=cw).fit(Xu, yu)
    e = Classifier(**full).fit(Xu, yu, sample_weight=np.array([cw[v] for v in yu]))
    np.testing.assert_allclose(c.network_.W_H, e.network_.W_H, rtol=1e-12)
    np.testing.assert_allclose(d.network_.W_H, e.network_.W_H, rtol=1e-12)
    assert not np.allclose(Classifier(**full).fit(Xu, yu).network_.W_H, e.network_.W_H)


def test_zero_weight_is_the_same_as_leaving_the_row_out():
    X, y = _blobs(40)
    w = np.ones(40)
    w[::3] = 0
    full = dict(batch_size=100, optimizer="adam", epochs=10, random_state=0, dtype="float64")
    a = Regressor(**full).fit(X, y.astype(float), sample_weight=w)
    b = Regressor(**full).fit(X[w > 0], y[w > 0].astype(float))
    np.testing.assert_allclose(a.network_.W_O, b.network_.W_O, rtol=1e-9)


def test_partial_fit_takes_sample_weight():
    X, y = _blobs(40)
    w = np.random.default_rng(0).integers(1, 3, 40)
    a = Classifier(batch_size=100, dtype="float64", random_state=0, shuffle=False)
    b = Classifier(batch_size=100, dtype="float64", random_state=0, shuffle=False)
    for _ in range(3):
        a.partial_fit(X, y, classes=[0, 1], sample_weight=w)
        b.partial_fit(np.repeat(X, w, axis=0), np.repeat(y, w), classes=[0, 1])
    np.testing.assert_allclose(a.network_.W_H, b.network_.W_H, rtol=1e-9)


@pytest.mark.parametrize("call, match", [
    (lambda X, y: Classifier(epochs=1).fit(X, y, sample_weight=-np.ones(len(y))),
     "non-negative"),
    (lambda X, y: Classifier(epochs=1).fit(X, y, sample_weight=np.ones(3)), "one number per"),
    (lambda X, y: Classifier(epochs=1).fit(X, y, sample_weight=np.zeros(len(y))), "zero for every"),
    (lambda X, y: Classifier(epochs=1, class_weight={7: 2.0}).fit(X, y), "not among the classes"),
    (lambda X, y: Classifier(epochs=1, class_weight="heavy").fit(X, y), "class_weight must be"),
    (lambda X, y: Classifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1]),
     "partial_fit never sees"),
])
def test_bad_weights_are_named(call, match):
    X, y = _blobs(30)
    with pytest.raises(ValueError, match=match):
        call(X, y)


@pytest.mark.parametrize("Estimator", [Classifier, Regressor])
def test_loss_is_the_final_training_loss(Estimator):
    X, y = _blobs(40)
    est = Estimator(epochs=4, random_state=0, early_stopping=True).fit(X, y)
    assert est.loss_ == est.loss_curve_[-1] and est.best_loss_ is not None


# ---------------------------------------------------------------------------- item 1
def _csv(path, labels, n_rows=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 2))
    cut = X[:, 0] > 0
    with open(path, "w", encoding="utf-8") as f:
        f.write("a,b,label\n")
        for (a, b), c in zip(X, cut, strict=True):
            f.write(f"{a},{b},{labels[int(c)]}\n")
    return path


def _accuracy_line(output: str) -> float:
    line = next(ln for ln in output.splitlines() if "accuracy" in ln)
    return float(line.strip("│ ").split("│")[-1])


@pytest.mark.parametrize("data", ["digits", "wine"])
def test_evaluate_an_integer_labelled_embedded_data_set(tmp_path, data):
    model = tmp_path / "m.safetensors"
    assert run("train", data, "--epochs", 3, "-q", "--out", model, "--seed", 0).exit_code == 0
    result = run("evaluate", model, data)
    assert result.exit_code == 0, result.output
    assert "confusion matrix" in result.output and not result.stderr


@pytest.mark.parametrize("train_labels, eval_labels", [
    (("0", "1"), ("0", "1")),
    (("0.0", "1.0"), ("0.0", "1.0")),
    (("0", "1"), ("0.0", "1.0")),
    (("0.0", "1.0"), ("0", "1")),
    (("no", "yes"), ("no", "yes")),
])
def test_evaluate_csv_labels_of_every_everyday_type(tmp_path, train_labels, eval_labels):
    model = tmp_path / "m.safetensors"
    train_file = _csv(tmp_path / "train.csv", train_labels)
    eval_file = _csv(tmp_path / "eval.csv", eval_labels, seed=1)
    result = run("train", train_file, "--epochs", 30, "-q", "--out", model, "--seed", 0,
                 "--test-size", 0)
    assert result.exit_code == 0, result.output
    result = run("evaluate", model, eval_file)
    assert result.exit_code == 0, result.output
    assert _accuracy_line(result.stdout) > 0.7 and not result.stderr


def test_evaluate_integer_labels_from_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    table = pa.table({"a": X[:, 0], "b": X[:, 1],
                      "label": pa.array((X[:, 0] > 0).astype(np.int32), pa.int32())})
    pq.write_table(table, tmp_path / "d.parquet")
    model = tmp_path / "m.safetensors"
    assert run("train", tmp_path / "d.parquet", "--epochs", 20, "-q", "--out", model).exit_code == 0
    result = run("evaluate", model, tmp_path / "d.parquet")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("classes", [np.array([0, 1]), np.array([0, 1], dtype=object),
                                     np.array([3, 7], dtype=np.int32)])
def test_evaluate_a_model_saved_from_python_with_integer_classes(tmp_path, classes):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = classes[(X[:, 0] > 0).astype(int)]
    clf = Classifier(epochs=20, random_state=0).fit(X, y)
    model = model_io.save(clf, tmp_path / "m.safetensors")
    data = _csv(tmp_path / "e.csv", [str(c) for c in classes.tolist()], seed=1)
    result = run("evaluate", model, data)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("model_labels, data_labels, words", [
    (("0", "1"), ("cat", "dog"), ["strings", "integers"]),
    (("cat", "dog"), ("0", "1"), ["integers", "strings"]),
    (("cat", "dog"), ("ant", "bee"), ["none of the labels"]),
])
def test_labels_that_cannot_match_are_one_line_naming_both(tmp_path, model_labels, data_labels,
                                                           words):
    model = tmp_path / "m.safetensors"
    run("train", _csv(tmp_path / "t.csv", model_labels), "--epochs", 2, "-q", "--out", model)
    result = run("evaluate", model, _csv(tmp_path / "e.csv", data_labels))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    for w in words:
        assert w in lines[0]


@pytest.mark.parametrize("y, classes, expected", [
    (np.array([0.0, 1.0]), np.array([0, 1]), np.array([0, 1])),
    (np.array(["0", "1.0"]), np.array([0, 1]), np.array([0, 1])),
    (np.array([0, 1]), np.array(["0", "1"]), np.array(["0", "1"], dtype=object)),
    (np.array([0.0, 1.0]), np.array(["0", "1"]), np.array(["0", "1"], dtype=object)),
    (np.array(["True", "false"]), np.array([False, True]), np.array([True, False])),
    (np.array([1, 0]), np.array([False, True]), np.array([True, False])),
    (np.array([1, 0], dtype=object), np.array([0, 1]), np.array([1, 0], dtype=object)),
    # whole numbers beyond a double's 2**53 and int64, read as text: exact
    (np.array(["100000000000000000000000", "5"]), np.array([5, 10**23], dtype=object),
     np.array([10**23, 5], dtype=object)),
    (np.array(["9007199254740993", "1"]), np.array([1, 2**53 + 1]), np.array([2**53 + 1, 1])),
])
def test_align_labels(y, classes, expected):
    out = workflow.align_labels(y, classes)
    assert out.tolist() == expected.tolist()
    assert [type(v) for v in out.tolist()] == [type(v) for v in expected.tolist()]


def test_confusion_counts_labels_of_any_type():
    labels, cm = workflow.confusion(np.array([0, 1, 1, 2], dtype=object), np.array([0, 1, 0, 1]),
                                    np.array([0, 1]))
    assert labels == [0, 1, 2] and cm.tolist() == [[1, 0, 0], [1, 1, 0], [0, 1, 0]]


# ---------------------------------------------------------------------------- item 6 and types
def test_mixed_label_types_are_refused_in_one_line():
    X, _ = _blobs(8)
    y = np.array([1, "a", 2, "b"] * 2, dtype=object)
    with pytest.raises(ValueError, match=r"mixes labels of different types, e.g. 1 \(int\) and "
                                         r"'a' \(str\)"):
        Classifier(epochs=1).fit(X, y)
    # a plain list becomes strings in numpy (np.asarray), as in scikit-learn: documented
    clf = Classifier(epochs=1).fit(X, [1, "a", 2, "b"] * 2)
    assert clf.classes_.tolist() == ["1", "2", "a", "b"]


@pytest.mark.parametrize("y, kind", [
    (np.array([0, 1] * 10, dtype=object), int),
    (np.array([True, False] * 10, dtype=object), bool),
    ("Int64", int),
    ("boolean", bool),
])
def test_labels_keep_their_type(tmp_path, y, kind):
    import pandas as pd

    X, _ = _blobs(20)
    if isinstance(y, str):
        y = pd.Series([1, 0] * 10 if y == "Int64" else [True, False] * 10, dtype=y)
    clf = Classifier(epochs=1, random_state=0).fit(X, y)
    back = model_io.load(model_io.save(clf, tmp_path / "m.st"))
    for model in (clf, back):
        assert all(type(v) is kind for v in model.predict(X).tolist())
    assert clf.score(X, np.asarray(y)) == back.score(X, np.asarray(y))


# ---------------------------------------------------------------------------- item 8
def test_evaluate_scores_the_held_out_rows_of_the_embedded_data_set(tmp_path):
    model = tmp_path / "iris.safetensors"
    trained = run("train", "iris", "--epochs", 30, "-q", "--out", model, "--seed", 1)
    assert trained.exit_code == 0
    meta = model_io.describe(model)["metadata"]
    rows = np.asarray(meta["test_rows"])
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])
    clf = model_io.load(model)
    held = run("evaluate", model, "iris")
    assert held.exit_code == 0 and "30 held-out samples" in held.stdout
    assert "--all-rows" in held.stdout  # it says so, and how to score everything
    held_acc = _accuracy_line(held.stdout)
    expected = np.mean(clf.predict(X[rows]).astype(str) == names[y[rows]]) \
        if clf.classes_.dtype.kind in "UO" else np.mean(clf.predict(X[rows]) == y[rows])
    assert held_acc == pytest.approx(expected, abs=5e-5)
    assert held_acc == pytest.approx(meta["test_accuracy"], abs=5e-5)
    every = run("evaluate", model, "iris", "--all-rows")
    assert every.exit_code == 0 and "150 samples" in every.stdout
    # another data set, or a file, is scored whole
    assert workflow.held_out_rows(meta, "wine", 178) is None
    assert workflow.held_out_rows(meta, str(tmp_path / "iris.csv"), 150) is None
    assert workflow.held_out_rows(meta, "IRIS", 150).tolist() == rows.tolist()


# ---------------------------------------------------------------------------- item 9
def test_every_boundary_line_stands_out_from_the_region_fill():
    from matplotlib.colors import to_rgb

    from shallownet.plotting import plot_regions
    from shallownet.problems import problem3

    fig = plot_regions(problem3(), resolution=51)
    for ax in fig.axes:
        image = ax.images[0]
        fills = [np.asarray(image.cmap(image.norm(v))[:3]) for v in (0.0, 1.0)]
        lines = [ln for ln in ax.lines if str(ln.get_label()).startswith("$z")]
        assert lines
        for ln in lines:
            rgb = np.asarray(to_rgb(ln.get_color()))
            # far from both the inside and the outside colour (Euclidean, RGB in [0, 1])
            assert min(np.linalg.norm(rgb - f) for f in fills) > 0.35, (ln.get_label(), rgb)


def test_progress_bar_names_the_validation_loss_and_score():
    from shallownet.training import validation_text

    assert validation_text(0.12345, 0.98, "accuracy") == "val loss 0.1235, val accuracy 0.9800"
    assert validation_text(None, 0.5, "R^2") == "val R^2 0.5000"
    assert validation_text(None, None, "R^2") == ""


def test_the_bar_shows_both_named(capsys):
    X, y = _blobs(60)
    Classifier(epochs=2, early_stopping=True, verbose=True, random_state=0).fit(X, y)
    out = capsys.readouterr()
    text = out.out + out.err
    assert "val loss" in text and "val accuracy" in text


def test_partial_fit_verbose_prints_one_line_per_call(capsys):
    X, y = _blobs(40)
    clf = Classifier(verbose=True, random_state=0)
    for _ in range(3):
        clf.partial_fit(X, y, classes=[0, 1], validation_data=(X, y))
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert [ln.split(",")[0] for ln in lines] == [f"partial_fit: epoch {k}" for k in (1, 2, 3)]
    assert "1/1" not in out and all("val accuracy" in ln for ln in lines)


# ---------------------------------------------------------------------------- item 10
@pytest.mark.parametrize("build", ["figure1_graph", "figure2_graph"])
def test_computation_graphs_are_drawn_with_matplotlib(build, tmp_path):
    from matplotlib.patches import FancyArrowPatch

    from shallownet import graph as G

    node = getattr(G, build)()
    order = node.topological_order()
    pos = G.layout(node)
    fig = G.draw(node, tmp_path / "g.png", title="t")
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = fig.axes[0]
    nodes = [p for p in ax.patches if str(p.get_gid()).startswith("node:")]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(nodes) == len(order)
    assert len(arrows) == sum(len(n.parents) for n in order)
    # layered: every edge runs left to right, and no two nodes share a place
    for n in order:
        for p in n.parents:
            assert pos[id(p)][0] < pos[id(n)][0]
    assert len(set(pos.values())) == len(order)
    # the notes' colours: data light green, parameters light blue
    fills = {str(p.get_gid())[5:]: p.get_facecolor()[:3] for p in nodes}
    from matplotlib.colors import to_rgb

    assert fills["x"] == pytest.approx(to_rgb("palegreen"))
    assert fills["L"] == pytest.approx(to_rgb("white"))


@pytest.mark.parametrize("name", ["Classifier", "Regressor"])
def test_a_mistyped_keyword_names_the_public_class(name):
    with pytest.raises(TypeError, match=rf"^{name}\.__init__\(\) got an unexpected keyword"):
        getattr(sn, name)(hiden_units=3)


def test_the_progress_line_fits_80_columns_with_the_named_validation_values():
    from rich.console import Console

    from shallownet.training import _Progress

    bar = _Progress(True, 200, 135, "accuracy")
    bar.end_epoch(199, 0.0127, 0.98, val_loss=0.0784)
    console = Console(width=200, record=True, color_system=None)
    console.print(bar.p.make_tasks_table(bar.p.tasks))
    line = console.export_text().rstrip("\n")
    assert "val loss 0.0784, val accuracy 0.9800" in line and "…" not in line
    assert len(line.rstrip()) <= 80, line

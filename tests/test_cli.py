"""The ``shallownet`` command: train -> predict / evaluate / info, files, plots, errors, Ctrl-C."""

from __future__ import annotations

import csv
import io as stdio
import os
import shutil
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error, r2_score
from typer.testing import CliRunner

import shallownet
from shallownet import Network
from shallownet import io as model_io
from shallownet.cli import app, fold_standardisation, fold_target_standardisation

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Models saved by ``train`` carry their feature names; these tests predict on plain arrays.
pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *words, code=2):
    """Exit status ``code``, exactly one line ``error: ...`` on stderr naming ``words``."""
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def read_csv(text):
    rows = list(csv.reader(stdio.StringIO(text)))
    return rows[0], rows[1:]


def write_xor_csv(path, n=120, seed=0, label_col="label"):
    """Two well separated blobs labelled "yes"/"no", with the label in the middle column."""
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 0.3, (n // 2, 2)) + [2, 2]
    b = rng.normal(0, 0.3, (n // 2, 2)) - [2, 2]
    X = np.vstack([a, b])
    y = ["yes"] * (n // 2) + ["no"] * (n // 2)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x1", label_col, "x2"])
        for (x1, x2), lab in zip(X, y, strict=True):
            w.writerow([x1, lab, x2])
    return X, np.array(y)


@pytest.fixture(scope="module")
def iris_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("iris")
    model, png = d / "iris.safetensors", d / "curves.png"
    result = run("train", "iris", "--epochs", 60, "--seed", 0, "--learning-rate", 0.01,
                 "--out", model, "--plot", png)
    assert result.exit_code == 0, result.output
    return model, png, result


# --------------------------------------------------------------------------- train and friends
def test_train_reports_held_out_accuracy_and_the_saved_path(iris_model):
    model, _, result = iris_model
    assert "held-out metrics (30 samples)" in result.stdout
    assert "accuracy" in result.stdout
    assert f"model saved to {model}" in result.stdout.replace("\n", "")
    assert model.is_file()
    est = model_io.load(model)
    # the held-out set is 20 % of iris: at least 90 % of all 150 flowers should be right
    iris = load_iris()
    assert accuracy_score(iris.target_names[iris.target], est.predict(iris.data)) > 0.9


def test_plot_is_a_valid_png(iris_model):
    _, png, _ = iris_model
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    import matplotlib.image

    img = matplotlib.image.imread(png)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100


def test_plot_x_axis_counts_lbfgs_iterations(tmp_path, monkeypatch):
    """--plot labelled the x-axis "epoch" for --optimizer lbfgs, which counts iterations (its
    progress bar and the lines train prints say "iteration")."""
    from matplotlib.figure import Figure

    drawn, savefig = [], Figure.savefig

    def record(fig, *args, **kwargs):
        drawn.append(fig)
        return savefig(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", record)
    for optimizer, unit in (("lbfgs", "iteration"), ("adam", "epoch")):
        png = tmp_path / f"{optimizer}.png"
        result = run("train", "iris", "--optimizer", optimizer, "--epochs", 15, "--seed", 0,
                     "--out", tmp_path / f"{optimizer}.safetensors", "--plot", png, "--quiet")
        assert result.exit_code == 0, result.output
        assert f"{unit}s run: " in result.stdout
        assert png.read_bytes()[:8] == PNG_SIGNATURE
        loss_axes, score_axes = drawn.pop().axes
        assert (loss_axes.get_xlabel(), score_axes.get_xlabel()) == (unit, unit)
        assert len(loss_axes.get_lines()[0].get_xdata()) == int(
            result.stdout.split(f"{unit}s run: ")[1].split(",")[0])


def test_export_refuses_an_output_that_is_no_onnx_file(iris_model, tmp_path):
    """``shallownet export MODEL out.txt`` wrote ONNX bytes to out.txt (or over a data file)."""
    model, _, _ = iris_model
    for name in ("out.txt", "out", "predictions.csv", "other.safetensors", "curves.PNG"):
        out = tmp_path / name
        assert_one_line_error(run("export", model, out), "export writes an ONNX model",
                              f"path ending in .onnx, such as {out.with_suffix('.onnx')}")
        assert not out.exists()
    data = tmp_path / "data.csv"
    data.write_text("a,b,target\n1,2,0\n")
    assert_one_line_error(run("export", model, data), "path ending in .onnx")
    assert data.read_text() == "a,b,target\n1,2,0\n"
    # a .onnx name that holds something else is not replaced either
    notes = tmp_path / "notes.onnx"
    notes.write_text("my notes")
    assert_one_line_error(run("export", model, notes), f"OUT {notes} exists and is no ONNX "
                          "model", "choose another path")
    assert notes.read_text() == "my notes"
    if hasattr(os, "mkfifo"):  # nor anything but a regular file
        fifo = tmp_path / "pipe.onnx"
        os.mkfifo(fifo)
        assert_one_line_error(run("export", model, fifo), "named pipe")
        assert fifo.is_fifo()


def test_predict_csv_and_probabilities(iris_model, tmp_path):
    model, _, _ = iris_model
    iris = load_iris()
    result = run("predict", model, "iris", "--proba")
    assert result.exit_code == 0, result.output
    header, rows = read_csv(result.stdout)
    assert header == ["prediction", "proba_setosa", "proba_versicolor", "proba_virginica"]
    assert len(rows) == 150
    P = np.array([[float(v) for v in r[1:]] for r in rows])
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-5)
    # the label is the class with the largest probability, (6)
    classes = [h.removeprefix("proba_") for h in header[1:]]
    assert classes == list(iris.target_names)
    assert [r[0] for r in rows] == [classes[k] for k in P.argmax(axis=1)]

    out = tmp_path / "pred.csv"
    result = run("predict", model, "iris", "--out", out)
    assert result.exit_code == 0, result.output
    head, rows2 = read_csv(out.read_text())
    assert head == ["prediction"] and [r[0] for r in rows2] == [r[0] for r in rows]


def test_evaluate_matches_scikit_learn_metrics(iris_model):
    model, _, _ = iris_model
    iris = load_iris()
    y = iris.target_names[iris.target]
    pred = model_io.load(model).predict(iris.data)
    result = run("evaluate", model, "iris", "--all-rows")
    assert result.exit_code == 0, result.output
    assert f"{accuracy_score(y, pred):.4f}" in result.stdout
    # confusion matrix: one row per true class, summing to the 50 flowers of each species
    for name in iris.target_names:
        line = next(ln for ln in result.stdout.splitlines() if ln.startswith(f"│ {name}"))
        counts = [int(c) for c in line.strip("│ ").split("│")[1:]]
        assert sum(counts) == 50
        assert counts[list(iris.target_names).index(name)] == np.sum((y == name) & (pred == name))


def test_info_shows_architecture_and_parameter_counts(iris_model):
    model, _, _ = iris_model
    result = run("info", model)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("N_i = 4", "N_h = 100", "N_o = 3", "relu", "softmax", "multiclass"):
        assert text in out
    # N_h (N_i + 1) and N_o (N_h + 1), counted by hand: 100 * 5 = 500, 3 * 101 = 303
    assert "500" in out and "303" in out and "803" in out
    assert "setosa" in out and "epochs" in out


def test_saved_model_predicts_on_raw_data_after_folding_the_scaling():
    """z_H = W_H (x - m)/s + b_H equals (W_H/s) x + (b_H - W_H (m/s)), to rounding."""
    rng = np.random.default_rng(1)
    net = Network.init(3, 5, 2, activation="relu", output="multiclass", seed=0,
                       dtype=np.float64)
    X = rng.normal([100.0, -3.0, 0.01], [20.0, 1.0, 0.001], (40, 3))
    m, s = X.mean(axis=0), X.std(axis=0)
    expected = net.forward((X - m) / s).z_O
    fold_standardisation(net, m, s)
    np.testing.assert_allclose(net.forward(X).z_O, expected, rtol=1e-10, atol=1e-10)


def test_folding_the_target_scaling_into_the_output_layer():
    """y = m + s (W_O u_H + b_O) equals (s W_O) u_H + (s b_O + m), for each output."""
    rng = np.random.default_rng(2)
    net = Network.init(3, 5, 2, activation="relu", output="regression", seed=0,
                       dtype=np.float64)
    X = rng.normal(size=(10, 3))
    m, s = np.array([150.0, -2.0]), np.array([75.0, 0.5])
    expected = m + s * net.forward(X).z_O
    fold_target_standardisation(net, m, s)
    np.testing.assert_allclose(net.forward(X).z_O, expected, rtol=1e-12)


def test_regression_on_raw_targets_learns_with_default_settings(tmp_path):
    """diabetes' target is in the hundreds: the CLI standardises it, so a short run learns."""
    model = tmp_path / "d.safetensors"
    result = run("train", "diabetes", "--epochs", 30, "--seed", 0, "--out", model, "-q")
    assert result.exit_code == 0, result.output
    X_test, y_test = load_diabetes(return_X_y=True)
    assert r2_score(y_test, model_io.load(model).predict(X_test)) > 0.3
    assert "target standardised" in result.stdout


def test_train_regression_and_evaluate(tmp_path):
    model = tmp_path / "diab.safetensors"
    result = run("train", "diabetes", "--epochs", 5, "--seed", 0, "--out", model, "-q",
                 "--no-early-stopping")
    assert result.exit_code == 0, result.output
    for metric in ("R^2", "MSE", "MAE"):
        assert metric in result.stdout
    d = load_diabetes()
    pred = model_io.load(model).predict(d.data)
    result = run("evaluate", model, "diabetes", "--all-rows")
    assert result.exit_code == 0, result.output
    for value in (r2_score(d.target, pred), mean_squared_error(d.target, pred),
                  mean_absolute_error(d.target, pred)):
        assert f"{value:.4f}" in result.stdout
    assert_one_line_error(run("predict", model, "diabetes", "--proba"), "--proba",
                          "regression")


def test_csv_with_target_column_round_trip(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y = write_xor_csv(tmp_path / "blobs.csv")
    result = run("train", "blobs.csv", "--target", "label", "--epochs", 30, "--seed", 1,
                 "--hidden", 8, "--learning-rate", 0.05, "-q")
    assert result.exit_code == 0, result.output
    model = tmp_path / "blobs.safetensors"  # the default --out
    assert model.is_file()
    assert "target 'label' (given)" in result.stdout
    # the file still has its label column: predict matches features by name and drops it
    result = run("predict", model, "blobs.csv")
    assert result.exit_code == 0, result.output
    header, rows = read_csv(result.stdout)
    assert header == ["prediction"]
    assert accuracy_score(y, [r[0] for r in rows]) == 1.0
    assert "label" in result.stderr  # the note says which column was ignored
    result = run("evaluate", model, "blobs.csv")  # --target remembered from training
    assert result.exit_code == 0, result.output
    assert "1.0000" in result.stdout


def test_parquet_with_target_column(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    X, y = write_xor_csv(tmp_path / "b.csv", n=80, seed=2)
    pq.write_table(pa.table({"a": X[:, 0], "b": X[:, 1], "kind": list(y)}), tmp_path / "b.pq")
    model = tmp_path / "m.safetensors"
    result = run("train", tmp_path / "b.pq", "--target", "kind", "--epochs", 20, "--seed", 0,
                 "--hidden", 8, "--learning-rate", 0.05, "--out", model, "-q")
    assert result.exit_code == 0, result.output
    assert model_io.load(model).feature_names_in_.tolist() == ["a", "b"]
    result = run("evaluate", model, tmp_path / "b.pq", "--target", "kind")
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.stdout


def test_no_scale_and_no_test_split(tmp_path):
    model = tmp_path / "w.safetensors"
    result = run("train", "wine", "--epochs", 2, "--no-scale", "--test-size", 0, "--out", model,
                 "-q")
    assert result.exit_code == 0, result.output
    assert "no held-out set" in result.stdout
    assert model_io.describe(model)["metadata"]["standardised"] is False


# --------------------------------------------------------------------------- bad input
@pytest.fixture
def files(tmp_path):
    def w(name, text):
        p = tmp_path / name
        p.write_text(text)
        return p
    return w


def test_missing_file(tmp_path):
    assert_one_line_error(run("train", tmp_path / "nope.csv"), "no such file", "nope.csv")


def test_unknown_data_set_name():
    assert_one_line_error(run("train", "mnist"), "mnist", "digits, iris")


def test_unparsable_csv(files):
    assert_one_line_error(run("train", files("r.csv", "a,b,y\n1,2,0\n3\n")),
                          "does not parse", "line 3")


def test_empty_file(files):
    assert_one_line_error(run("train", files("e.csv", "")), "empty")


def test_missing_target_column_lists_columns(files):
    f = files("d.csv", "height,weight,label\n1,2,0\n3,4,1\n")
    assert_one_line_error(run("train", f, "--target", "species"), "'species'",
                          "'height', 'weight', 'label'")


def test_non_numeric_column(files):
    f = files("d.csv", "a,color,y\n1,red,0\n2,blue,1\n")
    assert_one_line_error(run("train", f), "non-numeric", "'color'", "encode")


def test_nan_in_features(files):
    f = files("d.csv", "a,b,y\n1,nan,0\n2,3,1\n4,,0\n5,6,1\n")
    assert_one_line_error(run("train", f), "2 of 4 rows", "'b'", "NaN")


def test_nan_in_target(files):
    f = files("d.csv", "a,b,y\n1,2,0\n2,3,\n4,5,1\n")
    assert_one_line_error(run("train", f), "target column 'y'", "1 row with missing")


def test_single_class(files):
    f = files("d.csv", "a,y\n1,cat\n2,cat\n3,cat\n")
    assert_one_line_error(run("train", f), "single class", "two")


def test_wrong_feature_count_at_predict_time(iris_model, files):
    model, _, _ = iris_model
    f = files("two.csv", "sepal length (cm),sepal width (cm)\n5.1,3.5\n")
    assert_one_line_error(run("predict", model, f), "lacks 2 of the model's 4 feature columns",
                          "petal length (cm)")


def test_wrong_feature_count_for_a_model_without_names(tmp_path, files):
    from shallownet import Classifier

    rng = np.random.default_rng(0)
    est = Classifier(hidden_units=3, epochs=1).fit(rng.normal(size=(20, 3)), [0, 1] * 10)
    model_io.save(est, tmp_path / "plain.safetensors")
    f = files("x.csv", "p,q\n1,2\n")
    assert_one_line_error(run("predict", tmp_path / "plain.safetensors", f),
                          "2 feature columns but the model expects 3")


def test_missing_model_file(tmp_path):
    for cmd in ("info", "predict", "evaluate"):
        args = [cmd, tmp_path / "none.safetensors"] + ([] if cmd == "info" else ["iris"])
        assert_one_line_error(run(*args), "no such model file")


def test_corrupted_model_file(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    assert_one_line_error(run("info", bad), str(bad))


def test_plot_needs_png_suffix(tmp_path):
    assert_one_line_error(run("train", "iris", "--plot", tmp_path / "c.pdf", "--epochs", 1),
                          ".png")


def test_bad_option_values():
    assert_one_line_error(run("train", "iris", "--test-size", 1.5), "--test-size")
    assert_one_line_error(run("train", "iris", "--learning-rate", -1), "--learning-rate")
    usage = run("train", "iris", "--epochs", 0)  # typer's own range check: a usage error
    assert usage.exit_code == 2 and "--epochs" in usage.stderr
    assert "Traceback" not in usage.output


@pytest.mark.parametrize("argv, needle", [
    (["train", "iris", "--epochs", "0"], "--epochs"),
    (["train", "--bogus"], "--bogus"),
    (["frobnicate"], "frobnicate"),
    (["predict"], "MODEL"),
])
def test_usage_errors_through_the_entry_point_are_one_line(argv, needle, capsys):
    with pytest.raises(SystemExit) as exit_info:
        shallownet.cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]
    assert "Traceback" not in err and "╭" not in err


def test_out_folder_missing(tmp_path):
    assert_one_line_error(run("train", "iris", "--out", tmp_path / "no" / "m.safetensors"),
                          "does not exist")


# --------------------------------------------------------------------------- Ctrl-C
def test_ctrl_c_saves_the_best_model_and_exits_130(tmp_path, monkeypatch):
    def press_ctrl_c(info):
        if info.epoch == 3:
            os.kill(os.getpid(), signal.SIGINT)  # as the terminal does on Ctrl-C
        return False

    monkeypatch.setattr(shallownet.cli, "EPOCH_CALLBACKS", [press_ctrl_c])
    model = tmp_path / "m.safetensors"
    result = run("train", "iris", "--epochs", 500, "--out", model, "-q", "--seed", 0)
    assert result.exit_code == 130, result.output
    assert model.is_file()
    assert "interrupted" in result.stderr and str(model) in result.stderr
    assert "Traceback" not in result.output
    est = model_io.load(model)
    assert est.n_iter_ == 3
    assert model_io.describe(model)["training"]["interrupted"] is True


# --------------------------------------------------------------------------- the entry point
def _entry_point():
    exe = shutil.which("shallownet", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("the shallownet console script is not installed (pip install -e .)")
    return exe


def test_console_script_version_help_and_error():
    exe = _entry_point()
    r = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == f"shallownet {shallownet.__version__}"
    r = subprocess.run([exe, "train", "missing.csv"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip() == "error: no such file: missing.csv"
    assert "Traceback" not in r.stdout + r.stderr


@pytest.mark.slow
def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def test_console_script_real_sigint(tmp_path):
    exe = _entry_point()
    model = tmp_path / "digits.safetensors"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    p = subprocess.Popen([exe, "train", "digits", "--epochs", "100000", "--no-early-stopping",
                          "-q", "--out", str(model)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        for line in p.stdout:  # wait until training has started
            if line.startswith("training on"):
                break
        # then until it has trained for 0.5 s of CPU time (many digits epochs): counted in CPU
        # time, a busy machine cannot make the signal land before the first epoch
        start = _cpu_seconds(p.pid)
        deadline = time.monotonic() + 60
        while _cpu_seconds(p.pid) - start < 0.5 and time.monotonic() < deadline:
            time.sleep(0.05)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 130, (out, err)
    assert model.is_file() and "interrupted" in err and "Traceback" not in out + err
    assert model_io.load(model).n_iter_ >= 1


# --------------------------------------------------------------------- help, version, problems
@pytest.mark.parametrize("command", ["train", "predict", "evaluate", "info", "problems"])
def test_every_command_has_help_with_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout and f"shallownet {command}" in result.stdout


def test_version_option():
    result = run("--version")
    assert result.exit_code == 0 and shallownet.__version__ in result.stdout


def test_problems_command_prints_the_written_path(tmp_path, monkeypatch):
    calls = []

    def write_solutions(out_dir):
        calls.append(Path(out_dir))
        path = Path(out_dir) / "solutions.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# solutions\n")
        return path

    fake = types.ModuleType("shallownet.problems")
    fake.write_solutions = write_solutions
    monkeypatch.setitem(sys.modules, "shallownet.problems", fake)
    result = run("problems", "--out", tmp_path / "sol")
    assert result.exit_code == 0, result.output
    assert calls == [tmp_path / "sol"]
    assert "solutions.md" in result.stdout


# --------------------------------------------------------------------- review fixes
def _flags(command):
    import typer.main

    params = typer.main.get_command(app).commands[command].params
    return [o for p in params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")]


@pytest.mark.parametrize("command", ["train", "predict", "evaluate", "info", "problems"])
def test_help_shows_every_flag_in_full_at_80_columns(command):
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "80"},
                                terminal_width=80)
    assert result.exit_code == 0
    flags = _flags(command)
    assert "--help" in result.stdout
    for flag in flags:
        assert flag in result.stdout, (flag, result.stdout)
    assert "…" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    if command == "train":
        for flag in ("--validation-fraction", "--no-early-stopping", "--drop"):
            assert flag in flags
        text = " ".join(result.stdout.split())
        assert "Ctrl-C finishes the current batch" in text
        assert "finishes the\n" not in result.stdout
        assert "Files only" in text  # --task


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def blobs_model(tmp_path_factory):
    """Blobs with an id column, trained with --drop id: features x1, x2; target 'label'."""
    d = tmp_path_factory.mktemp("blobs")
    X, y = write_xor_csv(d / "blobs.csv", n=80, seed=3)
    ids = np.arange(5000, 5080)
    data = write_csv(d / "with_id.csv", ["id", "x1", "label", "x2"],
                     [[i, a, lab, b] for i, (a, b), lab in zip(ids, X, y, strict=True)])
    model = d / "blobs.safetensors"
    result = run("train", data, "--drop", "id", "--epochs", 20, "--seed", 0, "--hidden", 8,
                 "--learning-rate", 0.05, "-q", "--out", model)
    assert result.exit_code == 0, result.output
    return model, data, X, y


def test_drop_keeps_an_id_column_out_of_the_model(blobs_model, tmp_path):
    model, data, X, y = blobs_model
    est = model_io.load(model)
    assert est.feature_names_in_.tolist() == ["x1", "x2"] and est.n_features_in_ == 2
    assert model_io.describe(model)["metadata"]["dropped"] == ["id"]
    # at predict time the id column is left out by name, with or without --drop
    bare = write_csv(tmp_path / "bare.csv", ["x2", "x1"], [[b, a] for a, b in X])
    expected = list(est.predict(X))
    for args in ([data], [data, "--drop", "id"], [bare]):
        result = run("predict", model, *args)
        assert result.exit_code == 0, result.output
        _, rows = read_csv(result.stdout)
        assert [r[0] for r in rows] == expected
    result = run("evaluate", model, data, "--drop", "id")
    assert result.exit_code == 0, result.output
    assert f"{accuracy_score(y, expected):.4f}" in result.stdout
    assert_one_line_error(run("train", data, "--drop", "zip"), "'zip'", "to drop", "'id'")


def test_without_drop_the_id_column_would_be_a_feature(tmp_path):
    f = write_csv(tmp_path / "d.csv", ["x1", "x2", "id", "label"],
                  [[0.1 * i, -0.1 * i, 100 + i, i % 2] for i in range(40)])
    for drop, n in (([], 3), (["--drop", "id"], 2)):
        model = tmp_path / f"m{n}.safetensors"
        result = run("train", f, *drop, "--epochs", 1, "-q", "--out", model, "--test-size", 0)
        assert result.exit_code == 0, result.output
        assert model_io.load(model).n_features_in_ == n


def test_evaluate_on_unlabelled_data_names_the_models_target(blobs_model, tmp_path):
    model, _, X, _ = blobs_model
    f = write_csv(tmp_path / "unlabelled.csv", ["x1", "x2"], X[:5].tolist())
    result = run("evaluate", model, f)
    assert_one_line_error(result, "'label'", "stored at training", "'x1', 'x2'", "--target COL",
                          "shallownet predict")
    assert "candidates" not in result.stderr


def test_evaluate_on_other_features_says_the_features_do_not_match(iris_model, tmp_path):
    model, _, _ = iris_model
    f = write_csv(tmp_path / "other.csv", ["a", "b", "c", "d"], [[1, 2, 3, 4], [5, 6, 7, 8]])
    result = run("evaluate", model, f)
    assert_one_line_error(result, "features do not match the model's", "petal width (cm)",
                          "'a', 'b', 'c', 'd'")
    assert "target" not in result.stderr


def test_a_missing_file_is_reported_before_its_type(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("train", "fruit.txt")
    assert_one_line_error(result, "no such file: fruit.txt")
    assert "unknown file type" not in result.stderr


def test_task_on_a_bundled_data_set_says_it_applies_to_files_only():
    assert_one_line_error(run("train", "iris", "--task", "regression"), "iris",
                          "classification", "files only")


def test_task_classification_on_a_continuous_target_suggests_the_flag(tmp_path):
    f = write_csv(tmp_path / "prices.csv", ["a", "b", "price"],
                  [[i, 2 * i, 0.25 * i + 0.1] for i in range(10)])
    result = run("train", f, "--task", "classification")
    assert_one_line_error(result, "--task regression", "'price'", "the last column")
    assert "shallownet.Regressor" not in result.stderr


def test_errors_about_a_guessed_target_name_the_column_and_the_rule(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "tiny.csv", ["a", "b", "id"], [[1, 2, 7], [3, 4, 7], [5, 6, 7]])
    result = run("train", "tiny.csv")
    assert_one_line_error(result, "target column 'id' (the last column; name another with "
                                  "--target)", "single class", "(7)")
    assert result.stderr.startswith("error: tiny.csv: ")  # the file name, not its stem


def test_early_stopping_prints_where_it_stopped(tmp_path):
    """A learning rate of 1e-30 leaves the weights as they were: no epoch improves on the
    first, so training stops after 1 + patience epochs and keeps epoch 1."""
    model = tmp_path / "es.safetensors"
    result = run("train", "iris", "--epochs", 200, "--optimizer", "sgd", "--learning-rate",
                 1e-30, "--patience", 2, "--seed", 0, "--out", model, "-q")
    assert result.exit_code == 0, result.output
    est = model_io.load(model)
    assert (est.n_iter_, est.best_epoch_) == (3, 1)
    assert ("early stopping: no improvement for 2 epochs (--patience 2); stopped after epoch 3 "
            "of 200; kept the weights of epoch 1") in " ".join(result.stdout.split())
    assert "epochs run: 3" in result.stdout


def test_command_list_is_not_cut_short_at_80_columns():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0
    commands = [ln for ln in result.stdout.splitlines() if ln.startswith("  ") and
                ln.split()[0] in ("train", "predict", "evaluate", "info", "problems")]
    assert len(commands) == 5
    assert not any(ln.rstrip().endswith("...") for ln in commands), commands


def test_evaluate_never_guesses_another_target_when_the_models_is_missing(tmp_path):
    """The model knows its target column ('kind'); a file without it is an error, not a
    guess at the one column that is not a feature (here an id, which would score 0)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    kind = np.where(X[:, 0] > 0, "up", "down")
    train_csv, new_csv = tmp_path / "f.csv", tmp_path / "new.csv"
    with open(train_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "a", "b", "kind"])
        w.writerows([i, *X[i], kind[i]] for i in range(60))
    with open(new_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "b", "a"])
        w.writerows([i, X[i, 1], X[i, 0]] for i in range(60))
    model = tmp_path / "m.safetensors"
    result = run("train", train_csv, "--target", "kind", "--drop", "id", "--epochs", 5,
                 "--out", model, "-q", "--seed", 0)
    assert result.exit_code == 0, result.output
    assert_one_line_error(run("evaluate", model, new_csv), "'kind'", "--target")


def test_bare_command_shows_the_help_on_stdout(capsys):
    with pytest.raises(SystemExit) as exit_info:
        shallownet.cli.main([])
    assert exit_info.value.code == 0
    captured = capsys.readouterr()
    assert "Usage: shallownet" in captured.out and "train" in captured.out
    assert captured.err == ""


@pytest.mark.parametrize("flags, trained, said", [
    ([], 36, "training on 36 samples, holding out 10 for testing and 4 for validation"),
    (["--no-early-stopping"], 40, "training on 40 samples, holding out 10 for testing ("),
    (["--test-size", "0"], 45, "training on 45 samples, holding out 5 for validation ("),
    (["--test-size", "0", "--no-early-stopping"], 50, "training on 50 samples ("),
])
def test_train_says_how_many_samples_it_trains_on(tmp_path, monkeypatch, flags, trained, said):
    """'training on 40 samples, holding out 10 for testing' while early stopping held out 4 of
    the 40 for validation: the line now counts what the steps really see (their batches' rows
    counted below) and names every part held out, as the streamed command did."""
    from shallownet.solvers import minibatch

    seen = []
    bind = minibatch.ArrayBatches.bind
    monkeypatch.setattr(minibatch.ArrayBatches, "bind",
                        lambda self, net, B: seen.append(self.n_rows) or bind(self, net, B))
    rng = np.random.default_rng(0)
    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n" + "".join(f"{x:.3f},{z:.3f},{'xy'[i % 2]}\n" for i, (x, z)
                                             in enumerate(rng.normal(size=(50, 2)))))
    r = run("train", path, "--epochs", "2", "--seed", "1", "--out", tmp_path / "m.safetensors",
            *flags)
    assert r.exit_code == 0, r.output
    assert said in r.output, r.output
    assert seen == [trained]


def test_many_classes_in_the_training_part_print_no_raw_warning(tmp_path):
    """45 text classes in 100 rows pass the data layer's judgement (a different label in most
    rows is refused), but the 72 training rows made scikit-learn warn that the target 'could
    represent a regression problem', printed raw with a path and a source line."""
    rng = np.random.default_rng(1)
    path = tmp_path / "many.csv"
    path.write_text("a,b,label\n" + "".join(f"{x:.3f},{z:.3f},c{i % 45}\n" for i, (x, z)
                                             in enumerate(rng.normal(size=(100, 2)))))
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        r = run("train", path, "--epochs", "2", "--seed", "1", "--out", tmp_path / "m.safetensors")
    assert r.exit_code == 0 and "classification with 45 classes" in r.output, r.output
    assert not [w for w in seen if "could represent" in str(w.message)]
    assert "Warning" not in r.output and "could represent" not in r.output, r.output

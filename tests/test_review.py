"""Found by trying shallownet as a new user would: each test failed before its fix."""

from __future__ import annotations

import numpy as np
import pytest

import shallownet as sn
from test_cli import assert_one_line_error, run  # the command's own test helpers


@pytest.fixture(scope="module")
def iris_model(tmp_path_factory):
    """A small fitted classifier saved to a model file."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    path = tmp_path_factory.mktemp("model") / "iris.safetensors"
    sn.save(sn.Classifier(hidden_units=4, epochs=2, random_state=0).fit(X, y), path)
    return path


def test_export_refuses_to_overwrite_the_model_it_exports(iris_model, tmp_path):
    """``shallownet export m.safetensors m.safetensors`` replaced the model with ONNX."""
    pytest.importorskip("onnx")
    before = iris_model.read_bytes()
    assert_one_line_error(run("export", iris_model, iris_model), "MODEL", str(iris_model))
    link = tmp_path / "other-name.safetensors"
    link.hardlink_to(iris_model)
    assert_one_line_error(run("export", iris_model, link), "MODEL")
    assert iris_model.read_bytes() == before
    with pytest.raises(ValueError, match="the model file being exported"):
        sn.to_onnx(iris_model, iris_model)
    assert iris_model.read_bytes() == before
    assert sn.load(iris_model).classes_.tolist() == [0, 1, 2]


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_integer_features_beyond_2_53_are_refused_by_name_and_drop_works(tmp_path, dtype,
                                                                         kind):
    """A Parquet id column of 1234567890123456789 stopped ``train`` with pyarrow's bare
    "Integer value ... not in range"; then it was rounded silently (as a CSV's was). No float
    holds such numbers exactly: refused with the file, the column, a row and --drop."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from shallownet.data import DataError, FileSource, load

    rng = np.random.default_rng(0)
    ids = np.arange(40, dtype=dtype) + dtype(2 ** 53 - 3)  # rows 4 on are beyond 2**53
    a = rng.normal(size=40)
    label = (a > 0).astype(np.int64)
    path = tmp_path / f"t.{kind}"
    if kind == "parquet":
        pq.write_table(pa.table({"id": ids, "a": a, "label": label}), path, row_group_size=16)
    else:
        path.write_text("id,a,label\n" + "".join(
            f"{i},{v:.17g},{k}\n" for i, v, k in zip(ids, a, label, strict=True)))
    message = (rf"^{path}: feature column 'id' holds whole numbers beyond 2\*\*53 .*"
               rf"\(data row 5: {2 ** 53 + 1}\).* --drop id \(drop=\['id'\]\)$")
    with pytest.raises(DataError, match=message):
        load(path, dtype=np.float32)
    with pytest.raises(DataError, match=message):
        FileSource(path).prepare()
    out = tmp_path / "m.safetensors"
    result = run("train", path, "--epochs", "1", "--seed", "0", "--out", out)
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1, result.output
    assert "'id'" in result.stderr and "--drop id" in result.stderr
    assert not out.exists()
    for stream in ([], ["--stream"]):
        result = run("train", path, "--drop", "id", "--epochs", "1", "--seed", "0",
                     "--out", out, *stream)
        assert result.exit_code == 0, result.output
        result = run("predict", out, path)  # the model's columns: id is not read
        assert result.exit_code == 0, result.output
        assert len(result.stdout.strip().splitlines()) == 41


def test_large_floats_and_integers_up_to_2_53_are_still_features(tmp_path):
    """Only whole numbers beyond 2**53 are refused: 2**53 itself, and 1e20 written as a float
    (a measurement), are read."""
    from shallownet.data import load

    f = tmp_path / "f.csv"
    f.write_text("big,a,label\n" + "".join(f"{v},{i % 3},{i % 2}\n" for i, v in enumerate(
        ["1e20", "-2.5e19", str(2 ** 53), str(-(2 ** 53)), "7"] * 4)))
    ds = load(f, dtype=np.float64)
    assert ds.X[:5, 0].tolist() == [1e20, -2.5e19, 2.0 ** 53, -(2.0 ** 53), 7.0]


def test_a_saved_classification_network_is_a_classifier_to_the_commands(tmp_path):
    """Problem 2's network saved with ``sn.save``: ``predict --proba`` said "is a regression
    model" and ``evaluate`` printed R^2 of its 0/1 decisions."""
    import csv

    net = sn.Network(W_H=[[1], [1]], b_H=[-2, -4], W_O=[1, -2], b_O=-0.5,
                     activation="threshold", output="binary")
    path = tmp_path / "p2.safetensors"
    sn.save(net, path)
    x = [0, 1, 3, 5, 3.5]
    (tmp_path / "x.csv").write_text("x\n" + "".join(f"{v}\n" for v in x))
    (tmp_path / "xy.csv").write_text("x,y\n0,0\n1,0\n3,1\n5,1\n")   # the last one is wrong
    for extra in ([], ["--stream"]):
        result = run("predict", path, tmp_path / "x.csv", "--proba", *extra)
        assert result.exit_code == 0, result.output
        rows = list(csv.reader(result.stdout.strip().splitlines()))
        assert rows[0] == ["prediction", "proba_0", "proba_1"]
        assert [int(r[0]) for r in rows[1:]] == [0, 0, 1, 0, 1]   # Table 1's y_hat
        u_O = 1 / (1 + np.exp(-net.forward(x).z_O.ravel()))        # (3)
        np.testing.assert_allclose([float(r[2]) for r in rows[1:]], u_O, rtol=1e-6)
        np.testing.assert_allclose([float(r[1]) for r in rows[1:]], 1 - u_O, rtol=1e-6)
        result = run("evaluate", path, tmp_path / "xy.csv", "--target", "y", *extra)
        assert result.exit_code == 0, result.output
        assert "accuracy" in result.stdout and "0.7500" in result.stdout
        assert "R^2" not in result.stdout
    multi = sn.Network.init(N_i=2, N_h=3, N_o=3, output="multiclass", seed=0)
    sn.save(multi, tmp_path / "m.safetensors")
    X = np.random.default_rng(0).normal(size=(6, 2))
    (tmp_path / "m.csv").write_text("a,b\n" + "".join(f"{a!r},{b!r}\n" for a, b in X.tolist()))
    result = run("predict", tmp_path / "m.safetensors", tmp_path / "m.csv", "--proba")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(result.stdout.strip().splitlines()))
    assert rows[0] == ["prediction", "proba_0", "proba_1", "proba_2"]
    assert [int(r[0]) for r in rows[1:]] == multi.predict(X).tolist()
    np.testing.assert_allclose([[float(v) for v in r[1:]] for r in rows[1:]],
                               multi.predict_proba(X), rtol=1e-6)


def test_playground_ctrl_c_before_the_server_is_up_is_a_clean_stop(monkeypatch):
    """Ctrl-C just after the URL is printed (before uvicorn's handler, as on a loaded machine)
    ended in "error: interrupted", exit 130, instead of "playground stopped"."""
    import io

    pytest.importorskip("uvicorn")
    import shallownet.playground as play
    import shallownet.playground.app as play_app

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(play_app, "create_app", interrupted)
    out = io.StringIO()
    play.serve("127.0.0.1", 0, open_browser=False, out=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("http://127.0.0.1:") and lines[-1] == "playground stopped"


def test_one_feature_and_one_class_count_in_the_singular(tmp_path):
    """"1 features" and "1 distinct whole numbers" in the summaries a user reads first."""
    from shallownet._text import count
    from shallownet.data import load
    from shallownet.data.schema import _detect_counts

    assert [count(n, "class", "classes") for n in (0, 1, 2)] == ["0 classes", "1 class",
                                                                  "2 classes"]
    csv = tmp_path / "one.csv"
    csv.write_text("x,label\n" + "".join(f"{i / 10},{i % 2}\n" for i in range(20)))
    summary = load(csv).summary()
    assert ", 1 feature," in summary and "20 samples" in summary, summary
    result = run("train", csv, "--epochs", "1", "--seed", "0", "--quiet",
                 "--out", tmp_path / "m.safetensors")
    assert result.exit_code == 0, result.output
    assert "1 feature," in result.stdout and "1 features" not in result.stdout
    streamed = run("train", csv, "--epochs", "1", "--seed", "0", "--quiet", "--stream",
                   "--out", tmp_path / "s.safetensors")
    assert streamed.exit_code == 0, streamed.output
    assert "1 feature," in streamed.stdout and "1 features" not in streamed.stdout
    task, note = _detect_counts(4, 1, True, True, "label")
    assert note.startswith("1 distinct whole number (") and "numbers" not in note, note


def test_lbfgs_runs_speak_of_iterations_not_epochs(tmp_path):
    """L-BFGS iterations were reported as "epochs" by the bar and the summary."""
    from rich.console import Console

    from shallownet.training import _Progress

    out = tmp_path / "iris.safetensors"
    result = run("train", "iris", "--optimizer", "lbfgs", "--epochs", "30", "--seed", "0",
                 "--quiet", "--out", out)
    assert result.exit_code == 0, result.output
    assert "iterations run: " in result.stdout and "epochs run" not in result.stdout
    sgd = run("train", "iris", "--epochs", "2", "--seed", "0", "--quiet", "--out", out)
    assert "epochs run: 2" in sgd.stdout
    bar = _Progress(True, 200, 1, "accuracy", unit="iter")
    bar.end_epoch(199, 0.0127, 0.98, val_loss=0.0784)
    console = Console(width=200, record=True, color_system=None)
    console.print(bar.p.make_tasks_table(bar.p.tasks))
    line = console.export_text().rstrip()
    assert line.startswith("iter 200/200") and len(line) <= 80, line


@pytest.mark.parametrize("text", ["a, b,label\n1, 2,x\n3, 4,y\n",
                                  "\n\n a ; b ;label\r\n1;2;x\r\n\r\n3;4;y\r\n",
                                  "\ufeffa,b,label\n1,2,x\n3,4,y\n"])
def test_a_header_with_spaces_or_blank_lines_above_it_is_read(tmp_path, text):
    """A spreadsheet's "a, b" header stopped every command with pyarrow's bare
    "Column 'b' in include_columns does not exist" (the names are trimmed, the file's are not)."""
    from shallownet.data import load

    path = tmp_path / "spaced.csv"
    path.write_text(text, encoding="utf-8")
    ds = load(path)
    assert ds.feature_names == ["a", "b"]
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4]])
    assert ds.y.tolist() == ["x", "y"]


@pytest.mark.parametrize("text, missing", [("a,b,label\n1,2,x\n3,4,y", "'x'|'y'"),
                                           ("a,b,label\n1,2,0\n3,4,1\n", "0|1")])
def test_a_file_too_small_to_hold_out_test_rows_says_so(tmp_path, text, missing):
    """Two rows of two classes: train crashed ('str' object has no attribute 'item') or said
    the file held one class."""
    path = tmp_path / "tiny.csv"
    path.write_text(text)
    r = run("train", path, "--epochs", 1, "--seed", 0)
    assert_one_line_error(r, "holding out --test-size 0.2 of the 2 samples for testing leaves no "
                             "sample of class", "--test-size 0 holds out none")
    assert any(f"class {m} to train on" in r.stderr for m in missing.split("|")), r.stderr
    r = run("train", path, "--epochs", 1, "--seed", 0, "--test-size", 0)
    assert_one_line_error(r, "--early-stopping holds out 1 of the 2 samples for validation",
                          "a smaller --validation-fraction, or --no-early-stopping")
    ok = run("train", path, "--epochs", 1, "--seed", 0, "--test-size", 0,
             "--no-early-stopping", "-o", tmp_path / "m.safetensors")
    assert ok.exit_code == 0 and "training on 2 samples" in ok.output, ok.output


def test_label_messages_show_labels_as_python_writes_them():
    X = np.random.default_rng(0).normal(size=(40, 2))
    y = np.array(["a", "b"])[np.arange(40) % 2]
    clf = sn.Classifier(epochs=1, random_state=0).partial_fit(X, y, classes=["a", "b"])
    with pytest.raises(ValueError, match=r"y has label\(s\) \['c'\] that are not among "
                                         r"classes_ \['a', 'b'\]; fit a new model"):
        clf.partial_fit(X, np.array(["c"] * 40))
    with pytest.raises(ValueError, match=r"only one class \('a'\)"):
        sn.Classifier().fit(X, np.array(["a"] * 40, dtype=object))
    with pytest.raises(ValueError, match=r"class_weight has label\(s\) \['z'\] that are not "
                                         r"among the classes \['a', 'b'\]"):
        sn.Classifier(class_weight={"z": 2.0}, epochs=1).fit(X, y)


def test_train_saves_its_model_when_the_reader_of_its_output_goes_away(tmp_path):
    """`shallownet train ... | head -1`: the first write after head exited raised
    BrokenPipeError, and train stopped with status 1 before saving the model."""
    import subprocess
    import sys

    model = tmp_path / "m.safetensors"
    proc = subprocess.Popen([sys.executable, "-m", "shallownet.cli", "train", "iris",
                             "--epochs", "5", "--seed", "0", "--out", str(model)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # no reader at all: the very first line finds the pipe closed
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    assert err.decode() == ""  # no traceback, no "Exception ignored" at exit
    assert sn.load(model).classes_.tolist() == ["setosa", "versicolor", "virginica"]


def test_swapped_model_and_data_and_a_model_saved_as_csv_are_said(iris_model, tmp_path):
    data = tmp_path / "flowers.csv"
    data.write_text("a,b,c,d\n1,2,3,4\n")
    assert_one_line_error(run("predict", data, iris_model), "flowers.csv looks like a data file",
                          "the model comes first, then the data")
    assert_one_line_error(run("train", "iris", "--out", tmp_path / "preds.csv"),
                          "--out saves the model (a .safetensors file), not .csv data",
                          "preds.safetensors")
    assert not (tmp_path / "preds.csv").exists()


def test_evaluate_on_the_training_file_scores_the_rows_train_held_out(tmp_path):
    """A file, like the embedded sets: evaluate scored all its rows, training rows included,
    without a word (an optimistic accuracy)."""
    import os

    from sklearn.datasets import load_iris

    data = tmp_path / "iris.csv"
    load_iris(as_frame=True).frame.to_csv(data, index=False)
    model = tmp_path / "m.safetensors"
    assert run("train", data, "--epochs", 20, "--seed", 1, "--out", model).exit_code == 0
    test_accuracy = sn.io.describe(model)["metadata"]["test_accuracy"]
    e = run("evaluate", model, data)
    assert e.exit_code == 0, e.output
    assert "scoring the 30 rows of" in e.stdout and "drawn again from the seed" in e.stdout
    assert f"{test_accuracy:.4f}" in e.stdout  # the same rows as train scored
    a = run("evaluate", model, data, "--all-rows")
    assert "scoring all 150 rows" in a.stdout and "including the 120" in a.stdout
    s = run("evaluate", model, data, "--stream")
    assert s.exit_code == 0 and "is the file" in s.stderr and "training rows" in s.stderr
    # another file of the same rows (or this one changed) is scored whole, without a note
    other = tmp_path / "copy.csv"
    other.write_bytes(data.read_bytes())
    c = run("evaluate", model, other)
    assert "scoring" not in c.stdout and "note" not in c.stderr and "150 samples" in c.stdout
    os.utime(data, ns=(1, 1))
    assert "scoring" not in run("evaluate", model, data).stdout


def test_an_identifier_among_the_features_is_noted(tmp_path):
    """A named row id (df.index.name = 'id'; df.to_csv) trained as a feature without a word."""
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame.sample(frac=1, random_state=0)
    frame.index.name = "id"
    path = tmp_path / "flowers.csv"
    frame.to_csv(path)
    r = run("train", path, "--epochs", 1, "--out", tmp_path / "m.safetensors")
    assert r.exit_code == 0
    assert ("note: feature 'id' looks like a row identifier (a different whole number in every "
            "row, named like an id); a model can only memorise it: leave it out with --drop id"
            ) in r.stderr
    quiet = run("train", path, "--epochs", 1, "--drop", "id", "--out", tmp_path / "n.safetensors")
    assert quiet.exit_code == 0 and "identifier" not in quiet.stderr
    # a column named like an id that repeats (a group or store number) is an ordinary feature
    frame.index = np.arange(150) % 10
    frame.to_csv(path)
    assert "identifier" not in run("train", path, "--epochs", 1,
                                   "--out", tmp_path / "o.safetensors").stderr


def test_train_saves_its_model_with_standard_output_closed(tmp_path):
    """`shallownet train ... >&-`: sys.stdout is None; train crashed with a traceback."""
    import subprocess
    import sys

    model = tmp_path / "m.safetensors"
    proc = subprocess.run([sys.executable, "-m", "shallownet.cli", "train", "iris", "--epochs",
                           "3", "--seed", "0", "--out", str(model)], stdout=None,
                          stderr=subprocess.PIPE, timeout=300,
                          preexec_fn=lambda: __import__("os").close(1))
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr.decode() == ""
    assert sn.load(model).n_features_in_ == 4


def test_evaluate_on_the_file_a_streamed_model_was_trained_on(tmp_path):
    """train --stream holds rows out by a hash of their index; evaluate on the same file
    scored every row, training rows included, without a word."""
    from sklearn.datasets import load_iris

    data = tmp_path / "iris.csv"
    load_iris(as_frame=True).frame.to_csv(data, index=False)
    model = tmp_path / "m.safetensors"
    assert run("train", data, "--stream", "--epochs", 20, "--seed", 1, "--out",
               model).exit_code == 0
    meta = sn.io.describe(model)["metadata"]
    for extra in ([], ["--stream"]):  # whole or streamed, the same held-out rows
        e = run("evaluate", model, data, *extra)
        assert e.exit_code == 0, e.output
        assert f"scoring the {meta['n_test']} rows of" in e.stdout
        assert f"{meta['test_accuracy']:.4f}" in e.stdout
        a = run("evaluate", model, data, *extra, "--all-rows")
        assert "150 samples" in a.stdout and f"scoring the {meta['n_test']}" not in a.stdout


def test_second_review_hints(tmp_path, iris_model):
    # the arguments swapped, with a data set's name or a data file, for each command
    assert_one_line_error(run("predict", "iris", iris_model),
                          "iris is a data set: the model comes first, then the data "
                          "(shallownet predict MODEL iris)")
    data = tmp_path / "d.csv"
    data.write_text("a,b,c,d,target\n1,2,3,4,0\n")
    assert_one_line_error(run("evaluate", data, iris_model), "(shallownet evaluate MODEL DATA)")
    # --out: ONNX is written by export; an existing file of another kind is never replaced
    assert_one_line_error(run("train", "iris", "--out", tmp_path / "m.onnx"),
                          "shallownet export MODEL")
    other = tmp_path / "notes.json"
    other.write_text("{}")
    assert_one_line_error(run("train", "iris", "--epochs", 1, "--out", other),
                          "exists and is no shallownet model")
    assert other.read_text() == "{}"
    ok = run("train", "iris", "--epochs", 1, "--out", tmp_path / "model.bin")
    assert ok.exit_code == 0  # a new file of any name is fine, and so is replacing a model
    assert run("train", "iris", "--epochs", 1, "--out", tmp_path / "model.bin").exit_code == 0
    # UTF-16 and other compressed files named .csv
    for content, words in [("a,label\n1,x\n".encode("utf-16"), "it is UTF-16 text"),
                           (__import__("bz2").compress(b"a,label\n1,x\n"), "compressed"),
                           (__import__("lzma").compress(b"a,label\n1,x\n"), "compressed")]:
        data.write_bytes(content)
        assert_one_line_error(run("train", data), "is not a text CSV file", words)
    # a lone unnamed first column: left out as row labels, and said when nothing is left
    data.write_text(",y\n1,0\n2,1\n3,0\n4,1\n")
    assert_one_line_error(run("train", data), "no feature columns besides",
                          "name it in the header to use it as a feature")


def test_third_review_command_edges(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    data = tmp_path / "multi.csv"
    data.write_text("a,b,c,t1,t2\n" + "".join(f"{a:.3f},{b:.3f},{c:.3f},{a + b:.3f},{c:.3f}\n"
                                              for a, b, c in X))
    # a repeated --target kept the last one and trained on the other as a feature
    assert_one_line_error(run("train", data, "--target", "t1", "--target", "t2"),
                          "--target was given 2 times (t1, t2)")
    model = tmp_path / "m.safetensors"
    assert run("train", data, "--target", "t1", "--drop", "t2", "--epochs", 2,
               "--out", model).exit_code == 0
    assert_one_line_error(run("evaluate", model, data, "-t", "t1", "-t", "t2"),
                          "--target was given 2 times")
    # a model of two targets: evaluate scores one column, and says so
    two = tmp_path / "two.safetensors"
    sn.save(sn.Regressor(epochs=2, random_state=0).fit(X, X[:, :2]), two)
    assert_one_line_error(run("evaluate", two, data, "--drop", "t1"), "predicts 2 targets",
                          "model.score(X, Y)")
    # divergence: the advice in the command's words (the inputs were standardised already)
    r = run("train", data, "--target", "t1", "--drop", "t2", "--learning-rate", 10,
            "--optimizer", "sgd", "--epochs", 20, "--seed", 0, "--out", model)
    assert_one_line_error(r, "training diverged", "lower --learning-rate", code=1)
    assert "standardise X" not in r.stderr
    # export says which input type the graph takes
    pytest.importorskip("onnx")
    e = run("export", model, tmp_path / "m.onnx")
    assert e.exit_code == 0 and "input X (float32)" in e.stdout


def test_problems_out_that_is_no_folder_is_said_with_the_option(tmp_path):
    """'out_dir ... is a file' named the Python parameter; a path through a file gave a bare
    'Not a directory'."""
    afile = tmp_path / "afile"
    afile.write_text("keep")
    assert_one_line_error(run("problems", "--out", afile), f"--out {afile} is a file")
    assert_one_line_error(run("problems", "--out", afile / "sub"),
                          f"{afile} is a file, not a folder")
    assert afile.read_text() == "keep"
    # info shows where a file-trained model came from, not a raw dictionary
    data = tmp_path / "d.csv"
    data.write_text("a,b,label\n" + "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(40)))
    model = tmp_path / "m.safetensors"
    assert run("train", data, "--epochs", 1, "--out", model).exit_code == 0
    info = run("info", model)
    assert info.exit_code == 0 and "data file" in info.stdout
    assert "mtime_ns" not in info.stdout and "{'path'" not in info.stdout

"""ONNX export: onnxruntime evaluates every activation x output type as shallownet does."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import shallownet as sn
from shallownet import io as model_io
from shallownet.activations import ACTIVATIONS
from shallownet.cli import app
from shallownet.estimators import Classifier, Regressor

onnx = pytest.importorskip("onnx", reason="needs the onnx package: pip install "
                                          "'shallownet[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="needs the onnxruntime package: pip install "
                                                "'shallownet[onnx]'")

from shallownet.export.onnx import ONNX_OPSET, register_skl2onnx  # noqa: E402

TOL = 1e-5  # float32 graph against shallownet's float64 prediction


def run_onnx(proto, X):
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    values = session.run(None, {session.get_inputs()[0].name: X})
    return dict(zip(names, values, strict=True))


def random_net(activation, output, seed=0):
    N_o = {"binary": 1, "multiclass": 4, "regression": 2}[output]
    net = sn.Network.init(5, 8, N_o, activation=activation, output=output, seed=seed)
    rng = np.random.default_rng(seed)
    net.b_H[:] = rng.normal(0, 0.5, net.N_h)  # non-zero biases, so b_H is exercised
    net.b_O[:] = rng.normal(0, 0.5, net.N_o)
    return net


@pytest.mark.parametrize("output", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_and_output_agrees_with_onnxruntime(activation, output):
    net = random_net(activation, output)
    X = np.random.default_rng(1).normal(size=(300, net.N_i)).astype(np.float32)
    ref = net.copy().astype(np.float64)
    if activation == "threshold":
        # a step flips where z_H rounds across 0; keep the sample away from the edge so the
        # float32 graph and the float64 reference see the same side
        z_H = ref.forward(X).z_H
        X = X[np.abs(z_H).min(axis=1) > 1e-3]
    out = run_onnx(sn.to_onnx(net), X)
    if output == "regression":
        assert out["variable"].dtype == np.float32
        np.testing.assert_allclose(out["variable"], ref.predict(X), atol=TOL)
        return
    P = ref.predict_proba(X)
    P = np.column_stack([1 - P, P]) if output == "binary" else P
    assert out["probabilities"].shape == P.shape
    np.testing.assert_allclose(out["probabilities"], P, atol=TOL)
    assert out["label"].dtype == np.int64
    z = ref.decision_function(X)
    sure = np.abs(z) > 1e-4 if output == "binary" else np.ptp(np.sort(z, 1)[:, -2:], 1) > 1e-4
    np.testing.assert_array_equal(out["label"][sure], ref.predict(X)[sure])


def test_the_notes_problem_2_through_onnx():
    """Problem 2's threshold network gives Table 1's decisions, also at z = 0 exactly."""
    net = sn.Network(W_H=[[1], [1]], b_H=[-2, -4], W_O=[1, -2], b_O=-0.5,
                     activation="threshold", output="binary")
    x = np.array([[0], [1], [2], [3], [4], [5], [3.5]], np.float32)  # 2 and 4: z_H = 0
    out = run_onnx(sn.to_onnx(net), x)
    np.testing.assert_array_equal(out["label"], net.predict(x[:, 0]))
    np.testing.assert_array_equal(out["label"], [0, 0, 1, 1, 0, 0, 1])


def test_float64_export_is_exact():
    net = random_net("sigmoid", "multiclass").astype(np.float64)
    X = np.random.default_rng(2).normal(size=(50, net.N_i))
    out = run_onnx(sn.to_onnx(net, dtype="float64"), X)
    np.testing.assert_allclose(out["probabilities"], net.predict_proba(X), rtol=1e-12,
                               atol=1e-15)


def blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.normal(size=(n, 4)) + y[:, None]
    return X.astype(np.float32), y


LABELS = {
    "int": lambda y: y * 10 - 5,
    "str": lambda y: np.array(["setosa", "versicolor", "virginica"])[y],
    "bool": lambda y: y > 0,
    "binary-str": lambda y: np.where(y > 0, "yes", "no"),
    "float": lambda y: y + 1.0,
}


@pytest.mark.parametrize("kind", sorted(LABELS))
def test_classifier_labels_of_any_type(kind):
    X, y = blobs()
    labels = LABELS[kind](y)
    clf = Classifier(hidden_units=6, epochs=5, random_state=0).fit(X, labels)
    out = run_onnx(sn.to_onnx(clf), X)
    np.testing.assert_allclose(out["probabilities"], clf.predict_proba(X), atol=TOL)
    got = out["label"]
    if got.dtype == object:  # strings come back as Python str
        got = got.astype(str)
    assert got.dtype.kind == np.asarray(clf.classes_).dtype.kind
    np.testing.assert_array_equal(got, clf.predict(X))


@pytest.mark.parametrize("labels", [np.array([10**23, 5], dtype=object),
                                    np.array([2**63, 1], dtype=np.uint64)])
def test_integer_labels_beyond_int64_are_refused_with_the_fix(labels):
    """ONNX holds integer labels as int64: numpy's OverflowError was all that was said."""
    X, y = blobs()
    clf = Classifier(hidden_units=6, epochs=1, random_state=0).fit(X, labels[y % 2])
    with pytest.raises(TypeError, match=rf"class label {max(labels)} does not fit the int64 "
                                        r"tensor ONNX holds integer labels in; fit the model "
                                        r"with the labels as strings"):
        sn.to_onnx(clf)


@pytest.mark.parametrize("d", [1, 3])
def test_regressor_values(d):
    X, y = blobs()
    Y = np.column_stack([X[:, j] * (j + 1) for j in range(d)])
    reg = Regressor(hidden_units=6, epochs=5, random_state=0).fit(X, Y[:, 0] if d == 1 else Y)
    out = run_onnx(sn.to_onnx(reg), X)["variable"]
    assert out.shape == (X.shape[0], d)
    np.testing.assert_allclose(out[:, 0] if d == 1 else out, reg.predict(X), atol=TOL)


def test_a_saved_file_keeps_its_names_and_metadata(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = blobs()
    frame = pd.DataFrame(X, columns=["sepal length", "sepal width", "petal", "stem"])
    clf = Classifier(hidden_units=6, epochs=3, random_state=0).fit(frame, np.array(list("abc"))[y])
    path = model_io.save(clf, tmp_path / "m.safetensors", metadata={"data": "blobs"})
    proto = sn.to_onnx(path, tmp_path / "m.onnx")
    assert onnx.load(tmp_path / "m.onnx") == proto
    props = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(props["feature_names"]) == list(frame.columns)
    assert json.loads(props["classes"]) == ["a", "b", "c"]
    summary = json.loads(props["shallownet"])
    assert summary["metadata"] == {"data": "blobs"}
    assert summary["hyperparameters"]["hidden_units"] == 6
    assert summary["training"]["epochs"] == 3
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", ONNX_OPSET)]
    assert proto.producer_name == "shallownet"
    out = run_onnx(proto, X)
    np.testing.assert_array_equal(out["label"].astype(str), clf.predict(frame))


def test_bad_models_and_paths(tmp_path):
    with pytest.raises(TypeError, match="Classifier, Regressor or Network"):
        sn.to_onnx(object())
    with pytest.raises(Exception, match="not fitted"):
        sn.to_onnx(Classifier())
    with pytest.raises(FileNotFoundError, match="no such model file"):
        sn.to_onnx(tmp_path / "missing.safetensors")
    net = random_net("relu", "binary")
    with pytest.raises(ValueError, match="not a regular file"):
        sn.to_onnx(net, tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        sn.to_onnx(net, tmp_path / "no" / "m.onnx")
    with pytest.raises(ValueError, match="dtype"):
        sn.to_onnx(net, dtype="float16")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_cli_export(tmp_path):
    X, y = blobs()
    clf = Classifier(hidden_units=6, epochs=3, random_state=0).fit(X, y)
    model = model_io.save(clf, tmp_path / "m.safetensors")
    result = CliRunner().invoke(app, ["export", str(model), str(tmp_path / "m.onnx")])
    assert result.exit_code == 0, result.output
    assert "opset 17" in result.output
    out = run_onnx(onnx.load(tmp_path / "m.onnx"), X)
    np.testing.assert_array_equal(out["label"], clf.predict(X))
    result = CliRunner().invoke(app, ["export", str(tmp_path / "nope"), str(tmp_path / "x")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: no such model file: {tmp_path / 'nope'}"]
    result = CliRunner().invoke(app, ["export", str(model), str(tmp_path)])
    assert result.exit_code == 2 and "directory" in result.stderr


def test_cli_info_shows_an_onnx_export(tmp_path, monkeypatch):
    """``shallownet info m.onnx`` said the export was no valid shallownet model file: it shows
    the graph's inputs, outputs and opset, and the summary of the model it was exported from;
    without the onnx package, one line says what the file is and what to do."""
    from test_cli import assert_one_line_error

    X, y = blobs()
    clf = Classifier(hidden_units=6, epochs=3, random_state=0).fit(X, y)
    model = model_io.save(clf, tmp_path / "m.safetensors", metadata={"note": "blobs"})
    exported = tmp_path / "m.onnx"
    runner = CliRunner(env={"COLUMNS": "200"})
    assert runner.invoke(app, ["export", str(model), str(exported), "--dtype", "float64"]
                         ).exit_code == 0
    of_model = runner.invoke(app, ["info", str(model)])
    assert of_model.exit_code == 0, of_model.output
    renamed = tmp_path / "m.bin"  # known by its opening bytes as well as by its name
    renamed.write_bytes(exported.read_bytes())
    for path in (exported, renamed):
        result = runner.invoke(app, ["info", str(path)])
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert lines[0] == (f"{path}: ONNX model written by shallownet {sn.__version__} "
                            f"(opset {ONNX_OPSET}, IR version 8)")
        rows = [[c.strip() for c in ln.strip("│ ").split("│")] for ln in lines[4:7]]
        assert rows == [["input", "X", "float64", "N x 4"], ["output", "label", "int64", "N"],
                        ["output", "probabilities", "float64", "N x 3"]]
        # the model's own summary, as info shows it for the model file
        assert "exported from: classifier, multiclass output, float32" in lines
        assert of_model.stdout.split("\n", 1)[1] in result.stdout
        assert "N_h = 6" in result.stdout and "blobs" in result.stdout
    # an ONNX file of another origin, with metadata that is no summary and escape sequences
    proto = onnx.load(exported)
    del proto.metadata_props[:]
    onnx.helper.set_model_props(proto, {"shallownet": '{"N_i": "\x1b[2J"}',
                                        "author": "\x1b]8;;http://x\x07me"})
    proto.producer_name = "elsewhere"
    foreign = tmp_path / "foreign.onnx"
    onnx.save(proto, foreign)
    result = runner.invoke(app, ["info", str(foreign)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{foreign}: ONNX model written by elsewhere "
                                     f"{sn.__version__}")
    assert "no shallownet summary in its metadata" in result.stdout
    assert "\x1b" not in result.stdout and "\\x1b]8;;http://x\\x07me" in result.stdout
    # not an ONNX model after all
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(exported.read_bytes()[:-40] + b"\xff" * 40)
    assert_one_line_error(runner.invoke(app, ["info", str(broken)]),
                          f"{broken} is not a valid ONNX model")
    junk = tmp_path / "junk.bin"  # neither named nor opening as ONNX: the model file error
    junk.write_bytes(b"\x00" * 100)
    assert_one_line_error(runner.invoke(app, ["info", str(junk)]),
                          "not a valid shallownet model file")
    # without the onnx package
    monkeypatch.setitem(sys.modules, "onnx", None)
    for path in (exported, renamed):
        assert_one_line_error(runner.invoke(app, ["info", str(path)]),
                              f"{path} looks like an ONNX model", "pip install",
                              "run shallownet info on the model file it was exported from")


def test_cli_export_replaces_an_earlier_export(tmp_path):
    """An existing ONNX model at OUT is replaced (only other files are refused)."""
    X, y = blobs()
    model = model_io.save(Regressor(hidden_units=3, epochs=2, random_state=0).fit(X, y),
                          tmp_path / "r.safetensors")
    out = tmp_path / "r.onnx"
    for dtype in ("float32", "float64"):
        result = CliRunner().invoke(app, ["export", str(model), str(out), "--dtype", dtype])
        assert result.exit_code == 0, result.output
        assert onnx.load(out).graph.input[0].type.tensor_type.elem_type == \
            onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def _scaler_pipelines():
    from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

    return {"standard": [StandardScaler()],
            "standard, no mean": [StandardScaler(with_mean=False)],
            "robust": [RobustScaler()],
            "minmax clip + maxabs": [MinMaxScaler(feature_range=(-1, 2), clip=True),
                                     "passthrough", MaxAbsScaler()],
            "standard, pandas output": [StandardScaler().set_output(transform="pandas")]}


@pytest.mark.parametrize("steps", list(_scaler_pipelines()))
@pytest.mark.parametrize("estimator", ["classifier", "regressor"])
def test_to_onnx_exports_a_pipeline_of_scalers_with_its_scalers(tmp_path, steps, estimator):
    """What shallownet.save writes, to_onnx exports: the scalers in front of (10a), the same
    labels and probabilities (or values) as the Pipeline; from the object and from its file,
    and by `shallownet export`."""
    import pandas as pd
    from sklearn.pipeline import make_pipeline

    X, y = blobs()
    X = X * [1, 100, 0.01, 1] + [0, 50, 0, -3]  # scales the scalers have to undo
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    if estimator == "classifier":
        final, target = Classifier(hidden_units=6, epochs=5, random_state=0), LABELS["str"](y)
    else:
        final, target = Regressor(hidden_units=6, epochs=5, random_state=0), X[:, 0] - X[:, 3]
    pipe = make_pipeline(*_scaler_pipelines()[steps], final).fit(frame, target)
    X_new = X[:50] * 1.5  # MinMaxScaler's clip is reached
    model = tmp_path / "pipe.safetensors"
    sn.save(pipe, model)
    assert CliRunner().invoke(app, ["export", str(model), str(tmp_path / "p.onnx")]).exit_code == 0
    for proto in (sn.to_onnx(pipe), sn.to_onnx(model),
                  onnx.load(str(tmp_path / "p.onnx"))):
        out = run_onnx(proto, X_new)  # float64 X: the scalers run in float64, as in Python
        frame_new = pd.DataFrame(X_new, columns=frame.columns)
        if estimator == "classifier":
            np.testing.assert_allclose(out["probabilities"], pipe.predict_proba(frame_new),
                                       atol=TOL)
            assert out["label"].tolist() == pipe.predict(frame_new).tolist()
        else:
            np.testing.assert_allclose(out["variable"][:, 0], pipe.predict(frame_new),
                                       rtol=1e-5, atol=1e-4)
        assert json.loads({p.key: p.value for p in proto.metadata_props}["feature_names"]) \
            == ["a", "b", "c", "d"]


def test_to_onnx_refuses_other_pipelines_and_names_the_way_that_converts_them():
    from sklearn.decomposition import PCA
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = blobs()
    pipe = make_pipeline(PCA(3), Classifier(hidden_units=4, epochs=2, random_state=0)).fit(X, y)
    with pytest.raises(TypeError) as e:
        sn.to_onnx(pipe)
    assert str(e.value).count("register_skl2onnx") == 1  # the way out, once
    assert "step 'pca' is a PCA; a Pipeline of other steps that skl2onnx knows converts" in \
        str(e.value)
    with pytest.raises(TypeError, match=r"ends in 'passthrough'; a Pipeline of other steps"):
        sn.to_onnx(Pipeline([("s", StandardScaler().fit(X)), ("c", "passthrough")]))


def test_to_onnx_of_a_pipeline_keeps_the_digits_its_scalers_see(tmp_path):
    """A feature with a large offset and a small spread (a timestamp): a float32 input lost its
    digits before scaling, and 60 of 300 labels differed from the Pipeline's."""
    import tempfile

    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 3))
    y = (X[:, 0] > 0).astype(int)
    X[:, 0] = 1e6 + X[:, 0] * 0.05
    pipe = Pipeline([("s", StandardScaler()), ("c", Classifier(epochs=30, random_state=0))],
                    memory=tempfile.mkdtemp(dir=tmp_path))  # (memory= is no matter to export)
    pipe.fit(X, y)
    for dtype in ("float32", "float64"):
        proto = sn.to_onnx(pipe, dtype=dtype)
        assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
        out = run_onnx(proto, X)
        assert out["label"].tolist() == pipe.predict(X).tolist()
        np.testing.assert_allclose(out["probabilities"], pipe.predict_proba(X), atol=TOL)


skl2onnx = pytest.importorskip("skl2onnx", reason="needs skl2onnx: pip install "
                                                  "'shallownet[onnx]'")


@pytest.mark.parametrize("kind", ["str", "int", "bool", "binary-str"])
def test_a_pipeline_converts_with_skl2onnx(kind):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    register_skl2onnx()
    X, y = blobs()
    labels = LABELS[kind](y)
    pipe = make_pipeline(StandardScaler(), Classifier(hidden_units=6, epochs=5, random_state=0))
    pipe.fit(X, labels)
    proto = skl2onnx.to_onnx(pipe, X[:1], options={id(pipe[-1]): {"zipmap": False}})
    out = run_onnx(proto, X)
    np.testing.assert_allclose(out["probabilities"], pipe.predict_proba(X), atol=TOL)
    expected = pipe.predict(X)
    if kind == "bool":  # skl2onnx holds numeric labels as int64
        expected = expected.astype(np.int64)
    np.testing.assert_array_equal(out["label"].astype(expected.dtype), expected)
    # skl2onnx's default: probabilities as one {class: p} map per sample
    maps = list(run_onnx(skl2onnx.to_onnx(pipe, X[:1]), X[:3]).values())[1]
    np.testing.assert_allclose([list(m.values()) for m in maps], pipe.predict_proba(X[:3]),
                               atol=TOL)


def test_a_regression_pipeline_converts_with_skl2onnx():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    register_skl2onnx()
    X, y = blobs()
    pipe = make_pipeline(StandardScaler(), Regressor(hidden_units=6, epochs=5, random_state=0))
    pipe.fit(X, X[:, 0] - 2 * X[:, 1])
    out = list(run_onnx(skl2onnx.to_onnx(pipe, X[:1]), X).values())[0]
    np.testing.assert_allclose(out[:, 0], pipe.predict(X), atol=TOL)


def test_cli_info_refuses_an_onnx_file_beyond_protobuf_s_limit(tmp_path):
    """info reads an ONNX file whole to parse it: one of more than 2 GiB (a sparse file here)
    cannot be a model in one file, and is refused before it is read."""
    from test_cli import assert_one_line_error

    big = tmp_path / "huge.onnx"
    with open(big, "wb") as f:
        f.truncate(2**31 + 10)
    result = CliRunner().invoke(app, ["info", str(big)])
    assert_one_line_error(result, "huge.onnx is 2.0 GiB: an ONNX model in one file holds at "
                                  "most 2 GiB")

"""A fitted Pipeline of scalers and a shallownet estimator: saved without pickle, loaded as the
same Pipeline (same steps, parameters, fitted attributes), predictions identical; the CLI's
predict/evaluate/info read it; a tampered description is refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler
from typer.testing import CliRunner

import shallownet as sn
from hostile_corpus import assemble, split
from shallownet.cli import app

SCALERS = [StandardScaler(), StandardScaler(with_mean=False), MinMaxScaler((-1, 2), clip=True),
           MaxAbsScaler(), RobustScaler(quantile_range=(10.0, 90.0), unit_variance=True),
           RobustScaler(with_centering=False)]


def _iris_frame():
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, np.array(["setosa", "versicolor", "virginica"])[y]


@pytest.mark.parametrize("scaler", SCALERS, ids=lambda s: repr(s))
def test_pipeline_round_trip_is_exact(scaler, tmp_path):
    X, y = _iris_frame()
    pipe = make_pipeline(scaler, sn.Classifier(hidden_units=6, epochs=5, random_state=0)).fit(X, y)
    back = sn.load(sn.save(pipe, tmp_path / "p.safetensors"))
    assert type(back) is Pipeline
    assert [n for n, _ in back.steps] == [n for n, _ in pipe.steps]
    assert [type(s) for _, s in back.steps] == [type(s) for _, s in pipe.steps]
    assert back[0].get_params() == pipe[0].get_params()
    for attr, value in vars(pipe[0]).items():
        if attr.endswith("_"):
            got = getattr(back[0], attr)
            if isinstance(value, np.ndarray):
                assert got.dtype == value.dtype and np.array_equal(got, value), attr
            else:
                assert got == value and type(got) is type(value), attr
    np.testing.assert_array_equal(back.predict(X), pipe.predict(X))
    np.testing.assert_array_equal(back.predict_proba(X), pipe.predict_proba(X))
    assert list(back.feature_names_in_) == list(X.columns)


def test_chained_scalers_passthrough_pandas_output_and_a_regressor(tmp_path):
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X = X.astype(np.float32)
    pipe = Pipeline([("robust", RobustScaler()), ("skip", "passthrough"),
                     ("minmax", MinMaxScaler().set_output(transform="pandas")),
                     ("net", sn.Regressor(hidden_units=8, epochs=5, random_state=1))])
    pipe.fit(X, y)
    back = sn.load(sn.save(pipe, tmp_path / "r.safetensors"))
    assert [n for n, _ in back.steps] == ["robust", "skip", "minmax", "net"]
    assert back["minmax"].data_min_.dtype == np.float32
    np.testing.assert_array_equal(back.predict(X), pipe.predict(X))
    d = sn.io.describe(tmp_path / "r.safetensors")
    assert [s["class"] for s in d["pipeline"]] == ["RobustScaler", "passthrough",
                                                    "MinMaxScaler", "Regressor"]


def test_what_cannot_be_saved_is_refused_with_the_way_out(tmp_path):
    X, y = _iris_frame()
    pca = make_pipeline(PCA(2), sn.Classifier(epochs=1, random_state=0)).fit(X, y)
    with pytest.raises(TypeError, match="PCA.*StandardScaler.*skl2onnx"):
        sn.save(pca, tmp_path / "p.safetensors")
    from sklearn.linear_model import LogisticRegression

    other = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    with pytest.raises(TypeError, match="ends in a shallownet"):
        sn.save(other, tmp_path / "p.safetensors")
    cached = make_pipeline(StandardScaler(), sn.Classifier(epochs=1, random_state=0),
                           memory=str(tmp_path)).fit(X, y)
    with pytest.raises(TypeError, match="pickle"):
        sn.save(cached, tmp_path / "p.safetensors")
    assert not (tmp_path / "p.safetensors").exists()


@pytest.fixture(scope="module")
def pipe_file(tmp_path_factory):
    X, y = _iris_frame()
    pipe = make_pipeline(StandardScaler(), sn.Classifier(hidden_units=6, epochs=30,
                                                         learning_rate=0.01, random_state=0))
    pipe.fit(X, y)
    return sn.save(pipe, tmp_path_factory.mktemp("pipe") / "p.safetensors"), pipe


def test_cli_predict_evaluate_info_read_a_pipeline(pipe_file, tmp_path):
    path, pipe = pipe_file
    X, y = _iris_frame()
    data = tmp_path / "iris.csv"
    X.assign(label=y).to_csv(data, index=False)
    runner = CliRunner()
    r = runner.invoke(app, ["predict", str(path), str(data)])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[1:] == list(pipe.predict(X))
    r = runner.invoke(app, ["evaluate", str(path), str(data), "--target", "label"])
    assert r.exit_code == 0, r.output
    assert f"{(pipe.predict(X) == y).mean():.4f}" in r.output
    r = runner.invoke(app, ["info", str(path)], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "standardscaler (StandardScaler) -> classifier (Classifier)" in r.output


def _tamper(path, out, change):
    header, doc, tensors = split(path)
    change(doc, header)
    out.write_bytes(assemble(header, doc, tensors))
    return out


@pytest.mark.parametrize("change, words", [
    (lambda d, h: d["pipeline"]["steps"][0].update({"class": "FunctionTransformer"}),
     "only StandardScaler"),
    (lambda d, h: d["pipeline"]["steps"][0]["params"].update(with_mean="yes"), "wrong type"),
    (lambda d, h: d["pipeline"]["steps"][0]["params"].update(func="os.system"),
     "unknown parameter"),
    (lambda d, h: d["pipeline"]["steps"][0]["attributes"].update(exec_=1), "has the attributes"),
    (lambda d, h: d["pipeline"]["steps"][0]["arrays"].pop("var_"), "has the attributes"),
    (lambda d, h: d["pipeline"].update(final="standardscaler"), "not distinct"),
    (lambda d, h: d["pipeline"]["steps"][0].update(name="a__b"), "not a valid Pipeline step"),
    (lambda d, h: d["pipeline"]["steps"][0]["attributes"].update(
        n_features_in_={"type": "int", "value": 3}), "must be 4"),
    (lambda d, h: d["pipeline"]["steps"][0]["arrays"].update(scale_="object"),
     "cannot be an array"),
    (lambda d, h: d.update(format_version=1), r"unknown key\(s\) \['pipeline'\]"),
])
def test_a_tampered_pipeline_is_refused(pipe_file, tmp_path, change, words):
    bad = _tamper(pipe_file[0], tmp_path / "bad.safetensors", change)
    with pytest.raises(ValueError, match="not a valid shallownet model file") as info:
        sn.load(bad)
    assert words in str(info.value) or __import__("re").search(words, str(info.value)), info


def test_a_zero_scale_is_refused(pipe_file, tmp_path):
    header, doc, tensors = split(pipe_file[0])
    arrays = sn.io._read(pipe_file[0])[1]
    arrays["pipeline.0.scale_"] = np.zeros(4)
    from safetensors.numpy import save as st_save

    doc["sha256"] = {k: sn.io._digest(v) for k, v in arrays.items()}
    (tmp_path / "z.safetensors").write_bytes(
        st_save(arrays, metadata={"shallownet": json.dumps(doc)}))
    with pytest.raises(ValueError, match="inf or NaN"):
        sn.load(tmp_path / "z.safetensors")


def test_a_plain_model_is_still_format_1(pipe_file, tmp_path):
    est = pipe_file[1][-1]
    path = sn.save(est, tmp_path / "m.safetensors")
    assert split(path)[1]["format_version"] == 1 and "pipeline" not in split(path)[1]
    assert split(pipe_file[0])[1]["format_version"] == 2
    assert isinstance(pd.DataFrame, type)

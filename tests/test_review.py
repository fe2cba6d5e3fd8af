"""Found by trying shallownet as a new user would: each test failed before its fix."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import shallownet as sn
from shallownet.cli import app


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *words, code=2):
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for w in words:
        assert w in lines[0], (w, lines[0])


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
def test_parquet_integers_beyond_float32_read_as_a_csv_reads_them(tmp_path, dtype):
    """A Parquet id column of 1234567890123456789 stopped ``train`` with pyarrow's bare
    "Integer value ... not in range" (no file, no column); the CSV of the same table trained."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from shallownet.data import load

    rng = np.random.default_rng(0)
    ids = np.arange(40, dtype=dtype) + dtype(1234567890123456789)
    a = rng.normal(size=40)
    label = (a > 0).astype(np.int64)
    pq.write_table(pa.table({"id": ids, "a": a, "label": label}), tmp_path / "t.parquet")
    (tmp_path / "t.csv").write_text("id,a,label\n" + "".join(
        f"{i},{v:.17g},{k}\n" for i, v, k in zip(ids, a, label, strict=True)))
    from_parquet = load(tmp_path / "t.parquet", dtype=np.float32)
    from_csv = load(tmp_path / "t.csv", dtype=np.float32)
    np.testing.assert_array_equal(from_parquet.X, from_csv.X)
    np.testing.assert_array_equal(from_parquet.X[:, 0], ids.astype(np.float32))
    out = tmp_path / "m.safetensors"
    result = run("train", tmp_path / "t.parquet", "--epochs", "1", "--seed", "0", "--out", out)
    assert result.exit_code == 0, result.output
    result = run("predict", out, tmp_path / "t.parquet")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 41

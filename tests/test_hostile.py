"""Hostile model files and paths: each is refused with one line, quickly, in little memory.

The corpus lives in ``hostile_corpus.py`` and is built at test time (the 4 GB file is sparse).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from typer.testing import CliRunner

from hostile_corpus import MODEL_FILES, refused, special_paths
from shallownet import Classifier
from shallownet.cli import app
from shallownet.io import describe, load, save

MiB = 2**20


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    import pandas as pd
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    df = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    model = Classifier(hidden_units=5, epochs=3, random_state=0).fit(df, y)
    return save(model, tmp_path_factory.mktemp("valid") / "valid.safetensors")


@pytest.mark.parametrize("name", sorted(MODEL_FILES))
def test_hostile_model_file_is_refused_in_little_memory(name, valid, tmp_path):
    build, words = MODEL_FILES[name]
    path = tmp_path / "hostile.safetensors"
    build(valid, path)
    if words is None:  # a valid file made to look odd: it loads
        load(path)
        return
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="not a valid shallownet model file") as info:
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert words in message and "\n" not in message, message
    assert peak < 150 * MiB, f"{name}: {peak / MiB:.0f} MiB"
    with pytest.raises(ValueError, match="not a valid shallownet model file"):
        describe(path)


@pytest.mark.parametrize("command", ["info", "predict", "evaluate"])
@pytest.mark.parametrize("name", ["extended to 4 GB", "metadata nested 100,000 deep",
                                  "10**30 as a class", "1e400 in a float field",
                                  "300 as |i1", "verbose='yes'", "duplicate tensor key"])
def test_cli_refuses_a_hostile_model_with_one_line(name, command, valid, tmp_path):
    build, words = MODEL_FILES[name]
    path = tmp_path / "hostile.safetensors"
    build(valid, path)
    args = [command, str(path)] + ([] if command == "info" else ["iris"])
    refused(CliRunner().invoke(app, args), "not a valid shallownet model file",
                      words)


def test_special_paths_are_not_model_files(valid, tmp_path):
    for kind, path in special_paths(tmp_path, valid).items():
        with pytest.raises(ValueError, match="model file") as info:
            load(path)
        assert "\n" not in str(info.value), kind
        refused(CliRunner().invoke(app, ["info", str(path)]))


def test_what_loads_is_exactly_what_was_saved(valid, tmp_path):
    # the classes that the probe saw turned into other values now come back exact or refused
    for labels in (np.array(["ab", "ac", "ad"]), np.array([0.0, 1.0, 2.0**52]),
                   np.array([-5, 0, 300], dtype=np.int16), np.array([0, 2**64 - 1], np.uint64)):
        X = np.arange(12, dtype=float).reshape(6, 2)
        model = Classifier(hidden_units=2, epochs=1, random_state=0).fit(X, labels[np.arange(6) %
                                                                           len(labels)])
        back = load(save(model, tmp_path / "m.safetensors"))
        assert back.classes_.dtype == model.classes_.dtype
        assert back.classes_.tolist() == model.classes_.tolist()


def test_save_refuses_what_load_would_refuse(tmp_path):
    X = np.arange(12, dtype=float).reshape(6, 2)
    model = Classifier(hidden_units=2, epochs=1, random_state=0).fit(X, [0, 1] * 3)
    deep: dict = {}
    inner = deep
    for _ in range(20):
        inner["a"] = {}
        inner = inner["a"]
    with pytest.raises(ValueError, match="nests more than 16"):
        save(model, tmp_path / "m.safetensors", metadata=deep)
    with pytest.raises(ValueError, match="more than 100,000 entries"):
        save(model, tmp_path / "m.safetensors", metadata={"k": list(range(200_000))})
    import pandas as pd

    df = pd.DataFrame(X, columns=["a", "a"])
    model.feature_names_in_ = np.array(["a", "a"], dtype=object)
    with pytest.raises(ValueError, match="not distinct"):
        save(model, tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists() and df.shape == (6, 2)


# ---------------------------------------------------------------------------- names as markup
ESC = "\x1b"
HOSTILE_NAMES = ["weight[/kg]", "speed[m/s]", "[link=http://example.invalid]x[/link]",
                 f"clear{ESC}[2J", f"osc{ESC}]8;;http://example.invalid{ESC}\\y", "rtl\u202eabc"]


def _no_raw_controls(text):
    assert ESC not in text and "\u202e" not in text and "\x07" not in text, repr(text)


def test_names_from_files_are_shown_literally(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, len(HOSTILE_NAMES)))
    y = np.where(X[:, 0] > 0, "up", "down")
    import pandas as pd

    df = pd.DataFrame(X, columns=HOSTILE_NAMES)
    df["cls[/x]"] = y
    data = tmp_path / "d.csv"
    df.to_csv(data, index=False)
    model = tmp_path / "runs[/v1].safetensors"  # the folder "runs[" and the file "v1]..."
    (tmp_path / "runs[").mkdir()
    runner = CliRunner()
    r = runner.invoke(app, ["train", str(data), "--target", "cls[/x]", "--epochs", "3", "-q",
                            "--out", str(model)])
    assert r.exit_code == 0, r.output
    assert "cls[/x]" in r.output and f"model saved to {model}" in r.output
    _no_raw_controls(r.output)
    r = runner.invoke(app, ["info", str(model)], env={"COLUMNS": "400"})
    assert r.exit_code == 0, r.output
    assert "weight[/kg], speed[m/s], [link=http://example.invalid]x[/link]" in r.output
    assert "clear\\x1b[2J" in r.output and "rtl\\u202eabc" in r.output
    assert "runs[/v1].safetensors" in r.output
    _no_raw_controls(r.output)
    r = runner.invoke(app, ["evaluate", str(model), str(data)])
    assert r.exit_code == 0, r.output
    _no_raw_controls(r.output)


def test_labels_and_metadata_from_a_model_file_are_shown_literally(valid, tmp_path):
    build, _ = MODEL_FILES["class label with markup"]
    path = tmp_path / "m.safetensors"
    build(valid, path)
    r = CliRunner().invoke(app, ["info", str(path)], env={"COLUMNS": "400"})
    assert r.exit_code == 0, r.output
    assert "[/x]" in r.output and "[bold]" in r.output and "\\x1b[2J" in r.output
    _no_raw_controls(r.output)
    r = CliRunner().invoke(app, ["evaluate", str(path), "iris"])
    _no_raw_controls(r.output)
    X = np.arange(8, dtype=float).reshape(4, 2)
    model = Classifier(hidden_units=2, epochs=1, random_state=0).fit(X, [0, 1, 0, 1])
    meta = {f"k{ESC}]8;;http://x{ESC}\\": f"v{ESC}[2J[/]", **{f"n{i}": i for i in range(500)}}
    save(model, path, metadata=meta)
    r = CliRunner().invoke(app, ["info", str(path)], env={"COLUMNS": "400"})
    assert r.exit_code == 0 and "\\x1b[2J[/]" in r.output and "471 more metadata" in r.output
    _no_raw_controls(r.output)


def test_error_lines_show_control_characters(tmp_path):
    r = CliRunner().invoke(app, ["train", str(tmp_path / f"a{ESC}[2Jb.csv")])
    assert r.exit_code == 2 and "a\\x1b[2Jb.csv" in r.stderr
    _no_raw_controls(r.stderr)

"""Model files: round trips, the safetensors format, every kind of bad file, atomic saves."""

import hashlib
import json
import os
import pickle

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import load_file
from safetensors.numpy import save as st_save
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

import shallownet as sn
from shallownet import Classifier, Network, Regressor
from shallownet.io import describe, load, save


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def clf():
    X, y = _iris()
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    df = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    return Classifier(hidden_units=8, epochs=15, early_stopping=True, random_state=0).fit(df, names)


@pytest.fixture
def model_file(tmp_path, clf):
    return save(clf, tmp_path / "model.safetensors")


# ---------------------------------------------------------------------------- round trips
def test_classifier_round_trip(model_file, clf):
    X, _ = _iris()
    df = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    back = load(model_file)
    assert type(back) is Classifier
    np.testing.assert_array_equal(back.predict(df), clf.predict(df))
    np.testing.assert_array_equal(back.predict_proba(df), clf.predict_proba(df))
    np.testing.assert_array_equal(back.classes_, clf.classes_)
    assert back.classes_.dtype == clf.classes_.dtype
    assert list(back.feature_names_in_) == ["sl", "sw", "pl", "pw"]
    assert back.get_params() == clf.get_params()
    for attr in ("loss_curve_", "validation_loss_curve_", "validation_scores_", "n_iter_",
                 "t_", "best_epoch_", "best_loss_", "n_features_in_", "n_outputs_"):
        assert getattr(back, attr) == getattr(clf, attr), attr
    for k, v in clf.network_.params.items():
        np.testing.assert_array_equal(back.network_.params[k], v)
        assert back.network_.params[k].dtype == np.float32
    assert sn.load is load and sn.save is save


@pytest.mark.parametrize("labels", [np.array([True, False]), np.array([3, -8], dtype=np.int32),
                                    np.array([10, 20], dtype=np.uint8),
                                    np.array(["b", "a"], dtype=object), np.array([1.0, 0.0])])
def test_label_types_round_trip(tmp_path, labels):
    X, y = _iris()
    y = labels[(y > 0).astype(int)]
    model = Classifier(hidden_units=4, epochs=3, random_state=0).fit(X, y)
    back = load(save(model, tmp_path / "m.safetensors"))
    assert back.classes_.dtype == model.classes_.dtype
    assert back.classes_.tolist() == model.classes_.tolist()
    assert [type(v) for v in back.predict(X[:5])] == [type(v) for v in model.predict(X[:5])]
    np.testing.assert_array_equal(back.predict(X), model.predict(X))


def test_regressor_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    Y = rng.normal(size=(50, 2))
    reg = Regressor(hidden_units=6, epochs=4, dtype="float64", random_state=1).fit(X, Y)
    back = load(save(reg, tmp_path / "r.safetensors"))
    assert type(back) is Regressor and back.network_.dtype == np.float64
    np.testing.assert_array_equal(back.predict(X), reg.predict(X))
    assert not hasattr(back, "feature_names_in_") and not hasattr(back, "classes_")
    back.partial_fit(X, Y)  # a loaded model can go on training (with a fresh optimizer)
    assert back.n_iter_ == 5


def test_network_round_trip(tmp_path):
    # Problem 1's hand-set network: threshold units, float64
    net = Network(W_H=[[1], [1]], b_H=[-1, -3], W_O=[-1, 2], b_O=0.5,
                  activation="threshold", output="binary")
    back = load(save(net, tmp_path / "p1.safetensors"))
    assert type(back) is Network
    assert (back.activation.name, back.output.name, back.dtype) == ("threshold", "binary",
                                                                   np.float64)
    for k, v in net.params.items():
        np.testing.assert_array_equal(back.params[k], v)
    # x = 0: u_H = (0, 0), z_O = 0.5; x = 2: u_H = (1, 0), z_O = -0.5; x = 4: z_O = 1.5
    np.testing.assert_array_equal(back.predict([0.0, 2.0, 4.0]), [1, 0, 1])


def test_file_is_plain_safetensors(model_file, clf):
    arrays = load_file(str(model_file))  # any safetensors reader can read the weights
    assert sorted(arrays) == ["W_H", "W_O", "b_H", "b_O"]
    np.testing.assert_array_equal(arrays["W_H"], clf.network_.W_H)
    meta = json.loads(_header(model_file)["__metadata__"]["shallownet"])
    assert meta["format"] == "shallownet.model" and meta["format_version"] == 1
    assert meta["shallownet_version"] == sn.__version__
    assert meta["classes"] == {"type": "str", "dtype": "<U10",
                               "values": ["setosa", "versicolor", "virginica"]}


def test_describe(model_file, clf):
    d = describe(model_file)
    assert (d["kind"], d["N_i"], d["N_h"], d["N_o"]) == ("classifier", 4, 8, 3)
    assert (d["activation"], d["output"], d["dtype"]) == ("relu", "multiclass", "float32")
    assert d["parameters"] == 8 * 4 + 8 + 3 * 8 + 3 == 67
    assert d["classes"] == ["setosa", "versicolor", "virginica"]
    assert d["feature_names"] == ["sl", "sw", "pl", "pw"]
    t = d["training"]
    assert t["epochs"] == clf.n_iter_ and t["final_loss"] == clf.loss_curve_[-1]
    assert t["best_epoch"] == clf.best_epoch_
    assert t["best_loss"] == min(clf.validation_loss_curve_)
    assert d["hyperparameters"]["hidden_units"] == 8
    assert describe(clf) == d  # a model in memory describes the same
    net = Network.init(5, 3, 2, output="multiclass", seed=0)
    dn = describe(net)
    assert dn["parameters"] == 3 * 6 + 2 * 4 and dn["training"] is None


def test_user_metadata(tmp_path, clf):
    path = save(clf, tmp_path / "m.safetensors", metadata={"data": "iris", "run": 3})
    assert describe(path)["metadata"] == {"data": "iris", "run": 3}
    with pytest.raises(TypeError, match="JSON"):
        save(clf, tmp_path / "bad.safetensors", metadata={"f": object()})


def test_save_refuses_unfitted_and_foreign_models(tmp_path):
    with pytest.raises(NotFittedError):
        save(Classifier(), tmp_path / "m.safetensors")
    with pytest.raises(TypeError, match="Classifier, Regressor or Network"):
        save({"W_H": 1}, tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="does not exist"):
        save(Network.init(2, 2), tmp_path / "no" / "such" / "dir.safetensors")


# ---------------------------------------------------------------------------- bad files
def _header(path):
    data = open(path, "rb").read()
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + n])


def _rewrite(path, edit_doc=None, tensors=None, fix_checksums=True):
    """Rewrite a valid file with edited metadata and/or tensors (checksums recomputed)."""
    doc = json.loads(_header(path)["__metadata__"]["shallownet"])
    arrays = load_file(str(path)) if tensors is None else tensors
    if edit_doc:
        edit_doc(doc)
    if fix_checksums:
        doc["sha256"].update({k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()
                              for k, v in arrays.items() if k in doc["sha256"]})
    with open(path, "wb") as f:
        f.write(st_save(arrays, metadata={"shallownet": json.dumps(doc)}))
    return path


def _bad(path, match):
    with pytest.raises(ValueError, match=match):
        load(path)
    with pytest.raises(ValueError, match=match):
        describe(path)


@pytest.mark.parametrize("keep", [0, 5, 8, 40, -1, -100])
def test_truncated_file(model_file, keep):
    data = model_file.read_bytes()
    model_file.write_bytes(data[:keep] if keep >= 0 else data[:keep])
    _bad(model_file, "truncated")


def test_corrupted_header(model_file):
    data = bytearray(model_file.read_bytes())
    data[10:14] = b"\xff\x00{]"
    model_file.write_bytes(bytes(data))
    _bad(model_file, "corrupted")


def test_corrupted_tensor_bytes(model_file):
    data = bytearray(model_file.read_bytes())
    data[-3] ^= 0x40  # one flipped bit in b_O
    model_file.write_bytes(bytes(data))
    _bad(model_file, "SHA-256")


def test_appended_bytes(model_file):
    model_file.write_bytes(model_file.read_bytes() + b"extra")
    _bad(model_file, "unexpected bytes")


def test_wrong_shape(model_file):
    arrays = load_file(str(model_file))
    arrays["W_H"] = arrays["W_H"][:, :3].copy()
    _bad(_rewrite(model_file, tensors=arrays), r"W_H has shape \[8, 3\].*needs \[8, 4\]")


def test_architecture_that_does_not_match_the_arrays(tmp_path):
    path = save(Network.init(4, 8, 3, output="multiclass", seed=0), tmp_path / "n.safetensors")
    _bad(_rewrite(path, lambda d: d["architecture"].update(N_h=9)),
         r"W_H has shape \[8, 4\].*needs \[9, 4\]")


@pytest.mark.parametrize("dtype", [np.float16, np.int32, np.float64])
def test_wrong_dtype(model_file, dtype):
    arrays = load_file(str(model_file))
    arrays["b_H"] = arrays["b_H"].astype(dtype)
    _bad(_rewrite(model_file, tensors=arrays), "b_H has dtype .* metadata says float32")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_weights(model_file, value):
    arrays = load_file(str(model_file))
    arrays["W_O"][1, 2] = value
    _bad(_rewrite(model_file, tensors=arrays), "W_O contains NaN or inf")


def test_missing_tensor(model_file):
    arrays = load_file(str(model_file))
    del arrays["b_O"]
    _bad(_rewrite(model_file, tensors=arrays), r"missing tensor\(s\) \['b_O'\]")


def test_unknown_tensor(model_file):
    arrays = load_file(str(model_file))
    arrays["payload"] = np.zeros(3, np.float32)
    _bad(_rewrite(model_file, tensors=arrays), r"unknown tensor\(s\) \['payload'\]")


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.update(format_version=3), "unknown format version 3.*upgrade"),
    (lambda d: d.update(format_version=2), r"lacks the key\(s\) \['pipeline'\]"),
    (lambda d: d.update(format_version="1"), "format_version"),
    (lambda d: d.update(format="pickle"), "format is 'pickle'"),
    (lambda d: d.pop("training"), r"lacks the key\(s\) \['training'\]"),
    (lambda d: d.update(extra=1), r"unknown key\(s\) \['extra'\]"),
    (lambda d: d.update(kind="transformer"), "kind is 'transformer'"),
    (lambda d: d["architecture"].update(activation="tanh"), "unknown activation"),
    (lambda d: d["architecture"].update(output="regression"), "cannot have output type"),
    (lambda d: d["architecture"].pop("dtype"), "architecture must have exactly the keys"),
    (lambda d: d["classes"]["values"].pop(), "2 classes but the multiclass output"),
    (lambda d: d["classes"].update(values=["c", "b", "a"]), "distinct and sorted"),
    (lambda d: d["classes"].update(type="int"), "not all of type int"),
    (lambda d: d["classes"].update(type="code"), "unknown class label type"),
    (lambda d: d.update(feature_names=["a", "b"]), "2 feature names but N_i = 4"),
    (lambda d: d["training"].update(epochs=-1), "epochs"),
    (lambda d: d["training"]["loss"].append(1.0), "lengths do not match"),
    (lambda d: d["training"].update(best_epoch=999), "best_epoch"),
    (lambda d: d["hyperparameters"].update(exec="os.system('x')"), "unknown hyper-parameter"),
    (lambda d: d["hyperparameters"].update(hidden_units=0), "invalid hyper-parameters"),
    (lambda d: d["hyperparameters"].update(hidden_units=5), "do not match the architecture"),
])
def test_metadata_that_is_wrong(model_file, edit, match):
    _bad(_rewrite(model_file, edit), match)


def test_bare_network_with_classes_is_rejected(tmp_path):
    path = save(Network.init(2, 3, seed=0), tmp_path / "n.safetensors")
    _bad(_rewrite(path, lambda d: d.update(classes={"type": "int", "dtype": "<i8",
                                                    "values": [0, 1]})), "bare network")


def test_checksum_metadata_is_required(model_file):
    _bad(_rewrite(model_file, lambda d: d.pop("sha256"), fix_checksums=False), "sha256")


def test_safetensors_file_not_from_shallownet(tmp_path):
    path = tmp_path / "other.safetensors"
    path.write_bytes(st_save({"W_H": np.zeros((2, 2), np.float32)}))
    _bad(path, "not written by shallownet.save")
    path.write_bytes(st_save({"W_H": np.zeros(2, np.float32)},
                             metadata={"shallownet": "{not json"}))
    _bad(path, "not valid JSON")


def test_a_pickle_is_never_executed(tmp_path):
    marker = tmp_path / "executed"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps(Evil()))
    _bad(path, "not a valid shallownet model file")
    assert not marker.exists()


def test_missing_file(tmp_path):
    _bad(tmp_path / "absent.safetensors", "no model file")


# ---------------------------------------------------------------------------- atomic save
def _no_temp_files(directory):
    return sorted(p.name for p in directory.iterdir()) == ["model.safetensors"]


@pytest.mark.parametrize("fail_at", ["write", "fsync", "replace", "interrupt"])
def test_failed_save_leaves_the_old_file_intact(tmp_path, model_file, monkeypatch, fail_at):
    old = model_file.read_bytes()
    net = Network.init(3, 2, seed=0)
    real_fdopen = os.fdopen

    class HalfWriter:
        """A file that writes half of what it is given, then fails (disk full)."""

        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            self.f.write(data[:len(data) // 2])
            raise OSError(28, "No space left on device")

    def boom(*args, **kwargs):
        raise KeyboardInterrupt if fail_at == "interrupt" else OSError("simulated failure")

    if fail_at == "write":
        monkeypatch.setattr(os, "fdopen", lambda *a, **k: HalfWriter(real_fdopen(*a, **k)))
    elif fail_at == "fsync":
        monkeypatch.setattr(os, "fsync", boom)
    else:
        monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt if fail_at == "interrupt" else OSError):
        save(net, model_file)
    monkeypatch.undo()
    assert model_file.read_bytes() == old
    assert _no_temp_files(tmp_path)
    assert type(load(model_file)) is Classifier


def test_save_replaces_an_existing_file(tmp_path, model_file):
    net = Network.init(3, 2, seed=0)
    save(net, model_file)
    assert type(load(model_file)) is Network
    assert _no_temp_files(tmp_path)


# ------------------------------------------------------------ class_weight as a dict {label: w}
@pytest.mark.parametrize("labels", [[0, 1, 2], ["a", "b", "c"], [-7, 5, 9]])
def test_a_class_weight_dict_round_trips_with_its_label_types(labels, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = np.asarray(labels)[np.arange(90) % 3]
    weights = dict(zip(labels, [3.0, 1.0, 0.5], strict=True))
    model = sn.Classifier(hidden_units=4, epochs=3, class_weight=weights, random_state=0)
    model.fit(X, y)
    back = sn.load(sn.save(model, tmp_path / "cw.safetensors"))
    assert back.class_weight == weights
    assert [type(k) for k in back.class_weight] == [type(k) for k in weights]
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    # the loaded estimator refits with the same weights: the same network as the original
    refit = sn.Classifier(**back.get_params()).fit(X, y)
    np.testing.assert_array_equal(refit.network_.params["W_O"], model.network_.params["W_O"])


def test_a_bool_class_weight_dict_round_trips(tmp_path):
    X = np.random.default_rng(1).normal(size=(40, 2))
    y = X[:, 0] > 0
    model = sn.Classifier(hidden_units=3, epochs=2, class_weight={True: 2.0, False: 1.0},
                          random_state=0).fit(X, y)
    assert sn.load(sn.save(model, tmp_path / "b.safetensors")).class_weight == {True: 2.0,
                                                                                 False: 1.0}


@pytest.mark.parametrize("value, words", [
    ({"labels": {"type": "int", "dtype": "<i8", "values": [0, 1]}, "weights": [1.0]},
     "one weight per label"),
    ({"labels": {"type": "int", "dtype": "<i8", "values": [0, 0]}, "weights": [1.0, 2.0]},
     "no label twice"),
    ({"labels": {"type": "int", "dtype": "<i8", "values": [0, 1]}, "weights": [1.0, -2.0]},
     "finite numbers >= 0"),
    ({"labels": {"type": "int", "dtype": "|i1", "values": [0, 300]}, "weights": [1.0, 2.0]},
     "not a valid"),
    ({"labels": [0, 1], "weights": [1.0, 2.0]}, "finite numbers >= 0"),
    ({"weights": [1.0]}, "keys 'labels' and 'weights'"),
    (5, "wrong type"),
])
def test_a_tampered_class_weight_is_refused(value, words, tmp_path):
    from hostile_corpus import assemble, split

    X = np.random.default_rng(2).normal(size=(30, 2))
    path = sn.save(sn.Classifier(hidden_units=2, epochs=1, random_state=0).fit(X, X[:, 0] > 0),
                   tmp_path / "m.safetensors")
    header, doc, tensors = split(__import__("pathlib").Path(path))
    doc["hyperparameters"]["class_weight"] = value
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(assemble(header, doc, tensors))
    with pytest.raises(ValueError, match="not a valid shallownet model") as info:
        sn.load(bad)
    assert words in str(info.value)

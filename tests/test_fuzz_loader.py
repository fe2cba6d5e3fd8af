"""Property-based fuzzing of the model loader (hypothesis, bounded so that ``make test`` stays
quick; its example database is kept out of the repository, in no folder at all).

Whatever bytes, header or metadata a file holds, ``load`` either returns a model or raises a
``ValueError`` whose message is one line saying the file is not a valid model; never another
exception, never a hang. A valid file mutated at random is refused unless the mutation left it
equivalent, and what loads predicts as the original.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile_corpus import assemble, split
from shallownet import Classifier
from shallownet.io import load, save

FUZZ = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    X = np.random.default_rng(0).normal(size=(30, 3))
    model = Classifier(hidden_units=3, epochs=2, random_state=0).fit(X, ["a", "b", "c"] * 10)
    path = save(model, tmp_path_factory.mktemp("fuzz") / "valid.safetensors")
    return path, model, X


def _loads_or_refuses(path):
    try:
        return load(path)
    except ValueError as exc:
        message = str(exc)
        assert "\n" not in message and ("not a valid shallownet model file" in message
                                        or "no model file" in message), message
        return None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20)


@FUZZ
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes(tmp_path, data):
    path = tmp_path / "f.safetensors"
    path.write_bytes(data)
    assert _loads_or_refuses(path) is None


@FUZZ
@given(position=st.integers(0, 10**6), byte=st.integers(0, 255), cut=st.integers(0, 10**6),
       mode=st.sampled_from(["flip", "cut", "insert"]))
def test_mutated_bytes(tmp_path, valid, position, byte, cut, mode):
    path, model, X = valid
    data = bytearray(path.read_bytes())
    i = position % len(data)
    if mode == "flip":
        data[i] = byte
    elif mode == "cut":
        del data[i:i + 1 + cut % 64]
    else:
        data[i:i] = bytes([byte])
    out = tmp_path / "m.safetensors"
    out.write_bytes(bytes(data))
    back = _loads_or_refuses(out)
    if back is not None:  # only a change the checksums and checks cannot see: whitespace
        np.testing.assert_array_equal(back.predict(X), model.predict(X))


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


@FUZZ
@given(choice=st.integers(0, 10**6), value=json_values)
def test_metadata_field_replaced(tmp_path, valid, choice, value):
    path, model, X = valid
    header, doc, tensors = split(path)
    where = list(_paths(doc))[1:]
    target = where[choice % len(where)]
    node = doc
    for k in target[:-1]:
        node = node[k]
    original = node[target[-1]]
    node[target[-1]] = value
    out = tmp_path / "m.safetensors"
    out.write_bytes(assemble(header, doc, tensors))
    back = _loads_or_refuses(out)
    if back is not None and target[0] in ("architecture", "classes", "sha256", "kind",
                                          "feature_names"):
        assert value == original or target[0] == "feature_names", (target, value)


@FUZZ
@given(header=json_values)
def test_safetensors_header_replaced(tmp_path, valid, header):
    path = valid[0]
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    text = json.dumps(header).encode()
    out = tmp_path / "m.safetensors"
    out.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + n:])
    assert _loads_or_refuses(out) is None

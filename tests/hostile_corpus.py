"""A corpus of hostile model files, built at test time from one valid file.

Each entry of :data:`MODEL_FILES` turns the bytes of a valid model file (its header document
and tensors) into a file made to break the loader: too large, too deep, truncated, extended,
lying about its sizes or types. Big files are sparse or generated on the spot, never
committed. ``tests/test_hostile.py`` checks that each one is refused with one line, quickly and
in little memory; ``tests/test_fuzz_loader.py`` mutates the same parts at random.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np

GiB = 2**30


def split(path: Path) -> tuple[dict, dict, bytes]:
    """(outer safetensors header without __metadata__, shallownet document, tensor data)."""
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    doc = json.loads(header.pop("__metadata__")["shallownet"])
    return header, doc, data[8 + n:]


def assemble(header: dict | str | bytes, doc: dict | str | bytes, tensors: bytes) -> bytes:
    """A safetensors file from its parts; ``doc``/``header`` given as text are used verbatim."""
    if isinstance(doc, dict):
        doc = json.dumps(doc)
    if isinstance(doc, bytes):
        doc = doc.decode()
    if isinstance(header, dict):
        header = json.dumps({"__metadata__": {"shallownet": doc}, **header})
    if isinstance(header, str):
        header = header.encode()
    return struct.pack("<Q", len(header)) + header + tensors


def _edit(change):
    """An entry that edits the document (a dict) and keeps everything else."""
    def build(path: Path, out: Path) -> None:
        header, doc, tensors = split(path)
        change(doc)
        out.write_bytes(assemble(header, doc, tensors))
    return build


def _raw_doc(make_text):
    """An entry whose document is the given text (valid JSON or not)."""
    def build(path: Path, out: Path) -> None:
        header, doc, tensors = split(path)
        out.write_bytes(assemble(header, make_text(doc), tensors))
    return build


def _extended(path: Path, out: Path) -> None:
    out.write_bytes(path.read_bytes())
    os.truncate(out, 4 * GiB)  # sparse: no disk is used


def _huge_header_length(path: Path, out: Path) -> None:
    data = path.read_bytes()
    out.write_bytes(struct.pack("<Q", 2**63 + 5) + data[8:])


def _header_longer_than_file(path: Path, out: Path) -> None:
    data = path.read_bytes()
    out.write_bytes(struct.pack("<Q", 20 * 2**20) + data[8:])


def _duplicate_tensor_key(path: Path, out: Path) -> None:
    header, doc, tensors = split(path)
    text = json.dumps({"__metadata__": {"shallownet": json.dumps(doc)}, **header})
    entry = json.dumps(header["b_O"])
    text = text[:-1] + f', "b_O": {entry}}}'
    out.write_bytes(assemble(text, doc, tensors))


def _overlapping_tensors(path: Path, out: Path) -> None:
    header, doc, tensors = split(path)
    header["b_O"] = dict(header["b_O"], data_offsets=[0, header["b_O"]["data_offsets"][1]
                                                      - header["b_O"]["data_offsets"][0]])
    out.write_bytes(assemble(header, doc, tensors))


def _float_shape(path: Path, out: Path) -> None:
    header, doc, tensors = split(path)
    header["W_H"] = dict(header["W_H"], shape=[float(d) for d in header["W_H"]["shape"]])
    out.write_bytes(assemble(header, doc, tensors))


def _header_is_deep(path: Path, out: Path) -> None:
    out.write_bytes(assemble("[" * 200_000 + "]" * 200_000, "{}", b""))


def _many_lists(doc: dict) -> str:
    # ~9 MB of empty lists: three million entries
    return json.dumps(doc)[:-1] + ', "padding": [' + "[]," * 3_000_000 + "[]]}"


def _many_keys(doc: dict) -> str:
    doc["metadata"] = {f"k{i}": 0 for i in range(300_000)}
    return json.dumps(doc)


def _deep_doc(doc: dict) -> str:
    return json.dumps(doc)[:-1] + ', "metadata": ' + "[" * 100_000 + "]" * 100_000 + "}"


def _deep_user_metadata(doc: dict) -> None:
    inner: dict = {}
    doc["metadata"] = {"a": inner}
    for _ in range(20):
        inner["a"] = {}
        inner = inner["a"]


def _set(*keys, value):
    def change(doc):
        d = doc
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = value
    return change


def _pop(*keys):
    def change(doc):
        d = doc
        for k in keys[:-1]:
            d = d[k]
        del d[keys[-1]]
    return change


def _classes(type_, dtype, values):
    return _edit(_set("classes", value={"type": type_, "dtype": dtype, "values": values}))


def _number_text(doc: dict, field: str, text: str) -> str:
    doc["hyperparameters"][field] = "@@"
    return json.dumps(doc).replace('"@@"', text)


#: name -> (builder(valid_path, out_path), words the one-line refusal must contain)
MODEL_FILES = {
    "extended to 4 GB": (_extended, "unexpected bytes"),
    "header length 2**63": (_huge_header_length, "header length is implausible"),
    "header longer than the file": (_header_longer_than_file, "truncated"),
    "header nested 200,000 deep": (_header_is_deep, "its header"),
    "3 million empty lists": (_raw_doc(_many_lists), "entries"),
    "300,000 metadata keys": (_raw_doc(_many_keys), "object keys"),
    "metadata nested 100,000 deep": (_raw_doc(_deep_doc), "nests"),
    "user metadata nested 20 deep": (_edit(_deep_user_metadata), "nests"),
    "duplicate tensor key": (_duplicate_tensor_key, "appears twice"),
    "duplicate document key": (_raw_doc(lambda d: json.dumps(d)[:-1] + ', "kind": "network"}'),
                               "appears twice"),
    "overlapping tensors": (_overlapping_tensors, "starts at byte"),
    "shape of floats": (_float_shape, "has shape"),
    "NaN literal": (_raw_doc(lambda d: _number_text(d, "l2", "NaN")), "NaN"),
    "1e400 in a float field": (_raw_doc(lambda d: _number_text(d, "l2", "1e400")),
                               "too large"),
    "10**400 in a float field": (_raw_doc(lambda d: _number_text(d, "l2", "1" + "0" * 400)),
                                 "64 bits"),
    "10**30 as a class": (_classes("int", "<i8", [0, 10**30, 10**31]), "64 bits"),
    "10**30 as digits in <i8": (_classes("int", "<i8", [0, 1, "1" + "0" * 30]), "type int"),
    "digits of an int64 as a class": (_classes("int", "object", ["5", "6", "7"]), "type int"),
    "digits with a leading zero": (_classes("int", "object", [0, 1, "0" + "1" * 30]),
                                   "type int"),
    "300 as |i1": (_classes("int", "|i1", [0, 1, 300]), "fit their dtype"),
    "-1 as <u8": (_classes("int", "<u8", [-1, 0, 1]), "fit their dtype"),
    "'ab' as <U1": (_classes("str", "<U1", ["ab", "ac", "ad"]), "fit their dtype"),
    "<f2 merging values": (_classes("float", "<f2", [0.1, 0.10001, 0.2]), "fit their dtype"),
    "structured class dtype": (_classes("int", "i8,i8", [0, 1, 2]), "class dtype"),
    "huge class dtype": (_classes("str", "<U9999999", ["a", "b", "c"]), "class dtype"),
    "missing hyper-parameter": (_edit(_pop("hyperparameters", "epochs")), "missing"),
    "verbose='yes'": (_edit(_set("hyperparameters", "verbose", value="yes")), "wrong type"),
    "warm_start=5": (_edit(_set("hyperparameters", "warm_start", value=5)), "wrong type"),
    "epochs=2.5": (_edit(_set("hyperparameters", "epochs", value=2.5)), "wrong type"),
    "dtype contradicting the arrays": (_edit(_set("hyperparameters", "dtype",
                                                  value="float64")), "contradicts"),
    "duplicate feature names": (_edit(_set("feature_names", value=["a", "b", "a", "c"])),
                                "appears twice"),
    "sha256 not hex": (_edit(_set("sha256", "W_H", value="x" * 64)), "sha256"),
    "class label with markup": (_classes("str", "<U7", sorted(["[/x]", "[bold]", "\x1b[2J"])),
                                None),  # valid: loads, and is shown literally
}


def special_paths(tmp: Path, valid: Path) -> dict[str, Path]:
    """Paths that are not model files: folder, FIFO, empty file, links; devices as root."""
    out = {}
    (tmp / "folder.safetensors").mkdir()
    out["folder"] = tmp / "folder.safetensors"
    os.mkfifo(tmp / "fifo.safetensors")
    out["FIFO"] = tmp / "fifo.safetensors"
    (tmp / "empty.safetensors").write_bytes(b"")
    out["empty file"] = tmp / "empty.safetensors"
    os.symlink(tmp / "absent", tmp / "dangling.safetensors")
    out["dangling link"] = tmp / "dangling.safetensors"
    os.symlink(tmp / "loop2.safetensors", tmp / "loop1.safetensors")
    os.symlink(tmp / "loop1.safetensors", tmp / "loop2.safetensors")
    out["looping link"] = tmp / "loop1.safetensors"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.mknod(tmp / "zero.safetensors", 0o666 | __import__("stat").S_IFCHR,
                 os.makedev(1, 5))  # like /dev/zero, inside the temporary folder
        out["character device (/dev/zero)"] = tmp / "zero.safetensors"
    return out


def valid_arrays_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def refused(result, *words):
    """A CLI result refused as it should be: exit 2, one line ``error: ...`` naming ``words``,
    no traceback, no "internal error", and no training done."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "training on" not in result.output and "Traceback" not in result.output
    assert "internal error" not in result.output
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]

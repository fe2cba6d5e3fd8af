"""Helpers the commands share: loading a model, its features, metrics tables, output paths."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .errors import _Fail, visible


def _is_classifier(model) -> bool:
    return hasattr(model, "classes_")


def _load_model(path: Path, command: str = "predict"):
    from .. import io
    from ..network import Network

    if not Path(path).exists():
        from ..data import is_embedded

        if is_embedded(str(path)):
            raise _Fail(f"no such model file: {path}; {path} is a data set: the model comes "
                        f"first, then the data (shallownet {command} MODEL {path})")
        raise FileNotFoundError(f"no such model file: {path}")
    try:
        model = io.load(path)
    except ValueError as e:
        if Path(path).suffix.lower() in (".csv", ".tsv", ".parquet", ".pq"):
            raise _Fail(f"{e}; {path} looks like a data file: the model comes first, then the "
                        f"data (shallownet {command} MODEL DATA)") from None
        raise
    if isinstance(model, Network):
        return (_NetworkClassifier if model.output.is_classifier else _NetworkRegressor)(model)
    return model


class _NetworkModel:
    """A saved ``Network`` as the commands see a model: it predicts as the estimators do, by
    ``shallownet._kernels.logits`` (row blocks of a fixed size), so a row's prediction is the
    same whether the file is read whole or streamed in chunks of any size."""

    def __init__(self, net):
        self.network_ = net
        self.n_features_in_ = net.N_i

    def _forward(self, X, per_chunk=None):
        from .._kernels import logits

        X2, _ = self.network_.as_batch(X)
        return logits(self.network_, X2, per_chunk)


class _NetworkRegressor(_NetworkModel):
    """y_hat = z_O (7): (N,) for one output unit, (N, d) for d."""

    def predict(self, X):
        z = self._forward(X).astype(np.float64)
        return z[:, 0] if z.shape[1] == 1 else z


class _NetworkClassifier(_NetworkModel):
    """A classification ``Network``: its classes are the indices 0..K-1 (the notes' 1..K,
    counted from 0), its predictions (4)/(6) and its probabilities one column per class ((3)
    as 1 - u_O, u_O; or the softmax (5))."""

    def __init__(self, net):
        super().__init__(net)
        self.classes_ = np.arange(max(net.N_o, 2))

    def predict(self, X):
        return self.network_.output.decide(self._forward(X))

    def predict_proba(self, X):
        from ..estimators import _probabilities

        return _probabilities(self.network_, lambda per_chunk: self._forward(X, per_chunk))


def _model_features(model) -> tuple[list[str] | None, int | None]:
    names = getattr(model, "feature_names_in_", None)
    n = getattr(model, "n_features_in_", None)
    return (None if names is None else [str(f) for f in names]), (None if n is None else int(n))



def _print_metrics(console: Console, title: str, rows) -> None:
    console.print(Text(visible(title), style="bold"), soft_wrap=True)
    table = Table()
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, f"{value:.4f}")
    console.print(table)



def output_path(value: str) -> Path:
    """Parser of output options: a trailing '/' names a folder, which ``Path`` would forget."""
    if value.endswith(("/", os.sep)):
        raise typer.BadParameter(f"{value!r} names a directory; give a file name")
    return Path(value)


def _check_writable(path: Path, what: str) -> None:
    """Only a regular file (or nothing) at ``path`` is replaced; its folder is writable."""
    from .. import io

    try:
        io.check_destination(path, what.removesuffix(" to"))
    except ValueError as exc:
        raise _Fail(str(exc)) from None


def _check_outputs(outputs, inputs=()) -> None:
    """Before any work: each output ``(what, path)`` can take a new file, no two outputs are
    one file, and none is an existing input ``(name, path)`` (DATA, MODEL)."""
    earlier: list[tuple[str, Path]] = []
    inputs = [(name, Path(p)) for name, p in inputs if p is not None and os.path.exists(p)]
    for what, path in outputs:
        if path is None:
            continue
        _check_writable(Path(path), what)
        for name, other in inputs + earlier:
            if _same_file(Path(path), other):
                raise _Fail(f"cannot write {what} to {path}: it is also {name}; choose "
                            "another path")
        earlier.append((what, Path(path)))


def onnx_opening(path) -> bool:
    """``path`` is a regular file that opens as a serialized ONNX ModelProto does: field 1
    (ir_version, a small varint), then another of the model's fields (producer, graph,
    opset_import...). A safetensors file opens with its header length, 8 bytes."""
    from .. import io

    try:
        f, _ = io._open_regular(Path(path))  # a named pipe is not opened to wait on it
    except ValueError:
        return False
    with f:
        head = f.read(3)
    return len(head) == 3 and head[0] == 0x08 and 0 < head[1] < 0x80 \
        and head[2] in b"\x12\x1a\x22\x28\x32\x3a\x42"


def looks_like_onnx(path) -> bool:
    """An ONNX model, as export writes one: a regular file named .onnx, or one whose opening
    bytes are an ONNX model's (:func:`onnx_opening`)."""
    if Path(path).suffix.lower() == ".onnx" and Path(path).is_file():
        return True
    return onnx_opening(path)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


class RowLabels:
    """The row labels of a data file (a CSV's unnamed index, a pandas index in Parquet, or a
    pandas RangeIndex kept in Parquet's metadata), read as text alongside the predictions, so
    each prediction line keeps its row's label (as pandas writes it: an unnamed index under an
    empty name). :meth:`take` hands out the labels of the next ``n`` rows, whatever record
    batches they come in. :meth:`of` gives None for a file without row labels."""

    def __init__(self, fmt, columns):
        import pyarrow as pa

        from ..data.readers import ROW_INDEX

        self._range = fmt.range_index if not columns else None
        if self._range is not None:
            self.header = [self._range["name"]]
            self._next = 0
            self._batches = iter(())
            return
        self.header = ["" if c.startswith(ROW_INDEX[:-1]) or c.startswith("__index_level_")
                       else c for c in columns]
        types = {c: pa.string() for c in columns} if fmt.kind == "csv" else None
        self._batches = fmt.batches(list(columns), types)
        self._pending: list = []  # record batches (or slices) not handed out yet

    @classmethod
    def of(cls, data, columns, decimal=None):
        import dataclasses

        from ..data import open_file

        fmt = dataclasses.replace(open_file(data, decimal), verbatim=True)  # "NA" stays NA
        return cls(fmt, columns) if columns or fmt.range_index else None

    def take(self, n: int) -> list[list[str]]:
        """The labels of the next ``n`` rows, one list per label column."""
        if self._range is not None:
            start, step = self._range["start"], self._range["step"]
            out = [[str(start + step * k) for k in range(self._next, self._next + n)]]
            self._next += n
            return out
        out: list[list] = [[] for _ in self.header]
        while n > 0:
            if not self._pending:
                batch = next(self._batches, None)
                if batch is None:
                    break
                self._pending.append(batch)
            batch = self._pending.pop(0)
            part, rest = batch.slice(0, n), batch.slice(n)
            for j in range(len(self.header)):
                out[j].extend("" if v is None else str(v) for v in part.column(j).to_pylist())
            n -= part.num_rows
            if rest.num_rows:
                self._pending.insert(0, rest)
        return out

    def close(self) -> None:
        if hasattr(self._batches, "close"):
            self._batches.close()


def _fmt(value) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.8g}"
    return str(value)


def _short(value, limit: int = 100) -> str:
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, list | tuple) and len(value) > 6:
        text = f"[{', '.join(_short(v) for v in value[:3])}, ... ({len(value)} values)]"
    else:
        text = str(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


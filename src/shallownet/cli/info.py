"""``shallownet info``: a model file, or an ONNX model written by ``shallownet export``."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .app import ModelArgument, _console, app
from .common import _short, looks_like_onnx
from .errors import _Fail, _friendly_errors, _one_line, visible

_METADATA_ROWS = 30  # a model's own notes; more are counted, not listed
# what export stores in an ONNX model's metadata_props besides the summary
_EXPORT_PROPS = ("shallownet", "feature_names", "classes")


@app.command(short_help="Show a model's architecture and training summary.",
             epilog="Example:\n\n  shallownet info iris.safetensors")
@_friendly_errors
def info(
    model_path: ModelArgument,
) -> None:
    """Show the architecture and training summary of a model, like Keras summary().

    For an ONNX model written by export: its inputs, outputs and opset, and the summary of the
    model it was exported from (needs the onnx package)."""
    from .. import io

    if not Path(model_path).exists():
        raise FileNotFoundError(f"no such model file: {model_path}")
    try:
        d = io.describe(model_path)  # reads and checks the whole file, runs no code
    except ValueError:
        if not looks_like_onnx(model_path):  # what export writes: shown below
            raise
        d = None
    if d is None:
        _onnx_info(model_path)
        return
    console = _console()
    _summary(console, d, Text.assemble((visible(model_path), "bold"),
                                       visible(f": {d['kind']}, {d['output']} output, "
                                               f"{d['dtype']}")))


def _summary(console: Console, d: dict, title: Text) -> None:
    """The architecture table and the training summary of an ``io.describe`` dict."""
    N_i, N_h, N_o = d["N_i"], d["N_h"], d["N_o"]
    g_out = {"binary": "sigmoid (3)", "multiclass": "softmax (5)",
             "regression": "identity (7)"}.get(d["output"], d["output"])
    hidden_params = N_h * N_i + N_h
    output_params = N_o * N_h + N_o
    console.print(title, soft_wrap=True)
    table = Table()
    for col, justify in (("layer", "left"), ("units", "right"), ("function", "left"),
                         ("arrays", "left"), ("parameters", "right")):
        table.add_column(col, justify=justify)
    table.add_row("input x", f"N_i = {N_i}", "", "", "0")
    table.add_row("hidden", f"N_h = {N_h}", visible(f"g_act = {d['activation']}"),
                  f"W_H {N_h}x{N_i}, b_H {N_h}", f"{hidden_params:,}")
    table.add_row("output", f"N_o = {N_o}", visible(f"g_out = {g_out}"),
                  f"W_O {N_o}x{N_h}, b_O {N_o}", f"{output_params:,}")
    table.add_section()
    table.add_row("total", "", "", "", f"{hidden_params + output_params:,}")
    console.print(table)

    summary = Table(show_header=False)
    summary.add_column("key", style="bold")
    summary.add_column("value", overflow="fold")
    if d.get("pipeline"):
        summary.add_row("pipeline", visible(" -> ".join(f"{s['name']} ({s['class']})"
                                                        for s in d["pipeline"])))
    if d.get("classes") is not None:
        summary.add_row("classes", visible(_short(", ".join(str(c) for c in d["classes"]))))
    names = d.get("feature_names")
    if names:
        summary.add_row("features", f"{len(names)}: " + visible(", ".join(names[:6]))
                        + (", ..." if len(names) > 6 else ""))
    training = d.get("training") or {}
    validated = training.get("final_validation_loss") is not None
    for key, value in training.items():
        if value is not None:
            label = key.replace("_", " ")
            if key == "best_loss" and validated:  # early stopping watches the validation loss
                label = "best validation loss"
            summary.add_row(visible(label), visible(_short(value)))
    if not training:
        summary.add_row("training", "none recorded (a hand-set network)")
    hyper = d.get("hyperparameters") or {}
    if hyper:
        if hyper.get("learning_rate") is None and "optimizer" in hyper \
                and str(hyper["optimizer"]).lower() != "lbfgs":  # L-BFGS has no learning rate
            default = 0.001 if str(hyper["optimizer"]).lower() == "adam" else 0.01
            hyper = {**hyper, "learning_rate": f"None ({default}, the {hyper['optimizer']} "
                                                 "default)"}
        summary.add_row("hyper-parameters",
                        visible(", ".join(f"{k}={v}" for k, v in hyper.items())))
    metadata = d.get("metadata") or {}
    for key, value in list(metadata.items())[:_METADATA_ROWS]:
        if key == "data_file" and isinstance(value, dict) and "path" in value:
            value = f"{value['path']} ({value.get('size', '?')} bytes when trained on)"
        summary.add_row(visible(_short(str(key).replace("_", " "), 40)), visible(_short(value)))
    if len(metadata) > _METADATA_ROWS:
        summary.add_row("...", f"{len(metadata) - _METADATA_ROWS:,} more metadata entries")
    summary.add_row("written by", visible(f"shallownet {d.get('shallownet_version')}, format "
                                          f"{d.get('format_version')}"))
    console.print(Text("training summary", style="bold"))
    console.print(summary)


_ONNX_MOST = 2**31 - 1  # protobuf's limit on one message: larger models keep external data


def _onnx_info(path: Path) -> None:
    """Inputs, outputs and opset of an ONNX model, and the ``io.describe`` summary that
    ``shallownet export`` keeps in its metadata_props (the model it was exported from)."""
    from .. import io

    try:
        import onnx
    except ImportError:
        raise _Fail(f"{path} looks like an ONNX model (what shallownet export writes); info "
                    "reads one with the onnx package (pip install 'shallownet[onnx]'), or run "
                    "shallownet info on the model file it was exported from") from None
    f, size = io._open_regular(Path(path))
    with f:
        if size > _ONNX_MOST:  # (read whole to parse: its size in memory, at least)
            raise _Fail(f"{path} is {size / 2**30:.1f} GiB: an ONNX model in one file holds at "
                        "most 2 GiB (protobuf's limit), so it is no ONNX export; run shallownet "
                        "info on the model file it was exported from")
        data = f.read()
    try:
        proto = onnx.load_model_from_string(data)
        if not proto.HasField("graph"):
            raise ValueError("it has no graph")
    except Exception as exc:  # protobuf's DecodeError, or a message that is no model
        raise _Fail(f"{path} is not a valid ONNX model ({_one_line(exc)}); write it again with "
                    f"shallownet export MODEL {path}") from None
    producer = " ".join(v for v in (proto.producer_name, proto.producer_version) if v)
    opsets = ", ".join(f"opset {o.version}" if o.domain in ("", "ai.onnx")
                       else f"opset {o.domain} {o.version}" for o in proto.opset_import)
    console = _console()
    console.print(Text.assemble((visible(path), "bold"), visible(
        f": ONNX model written by {producer or 'an unnamed producer'} ("
        + ", ".join(filter(None, [opsets, f"IR version {proto.ir_version}"])) + ")")),
        soft_wrap=True)
    table = Table()
    for col in ("graph", "name", "type", "shape"):
        table.add_column(col)
    for role, values in (("input", proto.graph.input), ("output", proto.graph.output)):
        for v in values:
            table.add_row(role, visible(_short(v.name, 40)), *_onnx_type(onnx, v.type))
    console.print(table)
    props = {p.key: p.value for p in proto.metadata_props}
    d = _exported_summary(props.get("shallownet"))
    if d is not None:
        _summary(console, d, Text.assemble(("exported from", "bold"), visible(
            f": {d['kind']}, {d['output']} output, {d['dtype']}")))
    else:
        console.print("no shallownet summary in its metadata (not written by shallownet "
                      "export)", soft_wrap=True)
    other = {k: v for k, v in props.items() if d is None or k not in _EXPORT_PROPS}
    if other:
        meta = Table(show_header=False)
        meta.add_column("key", style="bold")
        meta.add_column("value", overflow="fold")
        for key, value in list(other.items())[:_METADATA_ROWS]:
            meta.add_row(visible(_short(key, 40)), visible(_short(value)))
        if len(other) > _METADATA_ROWS:
            meta.add_row("...", f"{len(other) - _METADATA_ROWS:,} more metadata entries")
        console.print(Text("ONNX metadata", style="bold"))
        console.print(meta)


def _onnx_type(onnx, t) -> tuple[str, str]:
    """(element type, shape) of an ONNX value's type, as numpy names them ("float32")."""
    if t.WhichOneof("value") != "tensor_type":
        return visible(t.WhichOneof("value") or "unknown"), ""
    elem = t.tensor_type.elem_type
    try:
        name = "string" if elem == onnx.TensorProto.STRING else \
            str(onnx.helper.tensor_dtype_to_np_dtype(elem))
    except Exception:  # a type numpy has no name for (bfloat16, float8) or an unknown one
        name = str(onnx.TensorProto.DataType.Name(elem)).lower() \
            if elem in onnx.TensorProto.DataType.values() else f"type {elem}"
    if not t.tensor_type.HasField("shape"):
        return name, "unknown"
    dims = [d.dim_param if d.WhichOneof("value") == "dim_param" else
            str(d.dim_value) if d.WhichOneof("value") == "dim_value" else "?"
            for d in t.tensor_type.shape.dim]
    return name, visible(_short(" x ".join(dims), 60)) if dims else "scalar"


def _exported_summary(text: str | None) -> dict | None:
    """The ``io.describe`` dict that export keeps in the metadata, when it is one that
    :func:`_summary` can show (the file may come from anywhere: checked, never trusted)."""
    from .. import _safe_json

    if text is None:
        return None
    try:  # the limits of a model file's metadata (io)
        d = _safe_json.loads(text, max_bytes=32 * 2**20, max_depth=32, max_entries=1_000_000,
                             what="the shallownet metadata")
    except ValueError:
        return None
    if not isinstance(d, dict):
        return None
    if not all(type(d.get(k)) is int and d[k] > 0 for k in ("N_i", "N_h", "N_o")):
        return None
    if not all(isinstance(d.get(k), str) for k in ("kind", "activation", "output", "dtype")):
        return None
    shapes = {"training": dict, "hyperparameters": dict, "metadata": dict, "pipeline": list,
              "classes": list, "feature_names": list}
    if any(d.get(k) is not None and not isinstance(d[k], t) for k, t in shapes.items()):
        return None
    if not all(isinstance(s, dict) and isinstance(s.get("name"), str)
               and isinstance(s.get("class"), str) for s in d.get("pipeline") or []):
        return None
    if not all(isinstance(n, str) for n in d.get("feature_names") or []):
        return None
    return d

"""``shallownet info``."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text

from .app import ModelArgument, _console, app
from .common import _short
from .errors import _friendly_errors, visible

_METADATA_ROWS = 30  # a model's own notes; more are counted, not listed


@app.command(short_help="Show a model's architecture and training summary.",
             epilog="Example:\n\n  shallownet info iris.safetensors")
@_friendly_errors
def info(
    model_path: ModelArgument,
) -> None:
    """Show the architecture and training summary of a model, like Keras summary()."""
    from .. import io

    if not Path(model_path).exists():
        raise FileNotFoundError(f"no such model file: {model_path}")
    d = io.describe(model_path)  # reads and checks the whole file, runs no code
    N_i, N_h, N_o = d["N_i"], d["N_h"], d["N_o"]
    g_out = {"binary": "sigmoid (3)", "multiclass": "softmax (5)",
             "regression": "identity (7)"}.get(d["output"], d["output"])
    hidden_params = N_h * N_i + N_h
    output_params = N_o * N_h + N_o
    console = _console()
    console.print(Text.assemble((visible(model_path), "bold"),
                                f": {d['kind']}, {d['output']} output, {d['dtype']}"),
                  soft_wrap=True)
    table = Table()
    for col, justify in (("layer", "left"), ("units", "right"), ("function", "left"),
                         ("arrays", "left"), ("parameters", "right")):
        table.add_column(col, justify=justify)
    table.add_row("input x", f"N_i = {N_i}", "", "", "0")
    table.add_row("hidden", f"N_h = {N_h}", f"g_act = {d['activation']}",
                  f"W_H {N_h}x{N_i}, b_H {N_h}", f"{hidden_params:,}")
    table.add_row("output", f"N_o = {N_o}", f"g_out = {g_out}",
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
            summary.add_row(label, _short(value))
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
    summary.add_row("written by", f"shallownet {d.get('shallownet_version')}, format "
                                  f"{d.get('format_version')}")
    console.print(Text("training summary", style="bold"))
    console.print(summary)


"""``shallownet export``: a model file as ONNX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import ModelArgument, Precision, _console, app
from .common import _check_outputs
from .errors import _friendly_errors, visible


@app.command(short_help="Export a model as ONNX, for any ONNX runtime.",
             epilog="Example:\n\n  shallownet export iris.safetensors iris.onnx")
@_friendly_errors
def export(
    model_path: ModelArgument,
    out: Annotated[Path, typer.Argument(metavar="OUT", help="The .onnx file to write.")],
    dtype: Annotated[Precision, typer.Option(
        "--dtype", help="Precision of the input X and the outputs.")] = Precision.float32,
) -> None:
    """Write MODEL as an ONNX graph: input X (N, N_i); outputs label and probabilities
    (classifiers) or variable (regressors), with the feature names and the model's
    metadata in the file's metadata_props."""
    from ..export.onnx import ONNX_OPSET, to_onnx

    if not Path(model_path).exists():
        raise FileNotFoundError(f"no such model file: {model_path}")
    _check_outputs([("the ONNX model", out)], inputs=[("MODEL", model_path)])
    proto = to_onnx(model_path, out, dtype=dtype.value)
    outputs = ", ".join(o.name for o in proto.graph.output)
    _console().print(f"wrote {visible(out)} (ONNX opset {ONNX_OPSET}; input X, outputs {outputs})",
                     soft_wrap=True)

"""``shallownet export``: a model file as ONNX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import ModelArgument, Precision, _console, app
from .common import _check_outputs, onnx_opening
from .errors import _Fail, _friendly_errors, visible


@app.command(short_help="Export a model as ONNX, for any ONNX runtime.",
             epilog="Example:\n\n  shallownet export iris.safetensors iris.onnx")
@_friendly_errors
def export(
    model_path: ModelArgument,
    out: Annotated[Path, typer.Argument(metavar="OUT", help="The .onnx file to write.")],
    dtype: Annotated[Precision, typer.Option(
        "--dtype", help="Precision of the network and its outputs, and of the input X (a "
                        "saved Pipeline's scalers take a float64 X, as scikit-learn's do).")]
    = Precision.float32,
) -> None:
    """Write MODEL as an ONNX graph: input X (N, N_i); outputs label and probabilities
    (classifiers) or variable (regressors), with the feature names and the model's
    metadata in the file's metadata_props."""
    from ..export.onnx import ONNX_OPSET, to_onnx

    if not Path(model_path).exists():
        raise FileNotFoundError(f"no such model file: {model_path}")
    _check_outputs([("the ONNX model", out)], inputs=[("MODEL", model_path)])
    if Path(out).suffix.lower() != ".onnx":  # never replace a data file, a model, a note
        raise _Fail(f"export writes an ONNX model; give OUT a path ending in .onnx, such as "
                    f"{Path(out).with_suffix('.onnx')}, not {out}")
    if Path(out).is_file() and Path(out).stat().st_size and not onnx_opening(out):
        raise _Fail(f"OUT {out} exists and is no ONNX model: export would replace it; choose "
                    "another path, or remove the file first")
    proto = to_onnx(model_path, out, dtype=dtype.value)
    import onnx

    outputs = ", ".join(o.name for o in proto.graph.output)
    x_type = onnx.helper.tensor_dtype_to_np_dtype(proto.graph.input[0].type.tensor_type.elem_type)
    _console().print(f"wrote {visible(out)} (ONNX opset {ONNX_OPSET}; input X ({x_type}), "
                     f"outputs {outputs})", soft_wrap=True)

"""``shallownet predict`` and ``shallownet evaluate``."""

from __future__ import annotations

import contextlib
import csv
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table
from rich.text import Text

from .. import data as data_layer
from ..io import atomic_file
from ..workflow import metrics as _metrics
from . import streamed
from .app import DataArgument, DecimalOption, DropOption, ModelArgument, _console, app
from .common import (
    RowLabels,
    _check_outputs,
    _fmt,
    _is_classifier,
    _load_model,
    _model_features,
    _print_metrics,
    output_path,
)
from .errors import _Fail, _friendly_errors, visible


def _data_for(model, data: str, target: str | None, require_target: bool, drop=None,
              model_target: str | None = None, decimal: str | None = None):
    names, n = _model_features(model)
    return data_layer.load(data, target, features=names, n_features=None if names else n,
                           require_target=require_target, drop=drop, model_target=model_target,
                           task=None if not require_target or data_layer.is_embedded(data) else
                           ("classification" if _is_classifier(model) else "regression"),
                           decimal=decimal, dtype=_input_dtype(model))


def _input_dtype(model):
    """The network's own precision for a shallownet model (X read straight into it, not into
    float64 and then cast: one copy); float64 for anything else (a Pipeline's scalers)."""
    from ..network import Network

    net = model if isinstance(model, Network) else getattr(model, "network_", None)
    return net.dtype if isinstance(net, Network) else np.float64



@app.command(short_help="Predict for every row of DATA, as CSV.",
             epilog="Example:\n\n  shallownet predict iris.safetensors flowers.csv --proba "
                    "--out predictions.csv")
@_friendly_errors
def predict(
    model_path: ModelArgument,
    data: DataArgument,
    proba: Annotated[bool, typer.Option(
        "--proba", help="Add one probability column per class (classifiers).")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", parser=output_path, help="Write the CSV here instead of to stdout.")]
    = None,
    drop: DropOption = None,
    decimal: DecimalOption = None,
    stream: streamed.StreamOption = False,
    memory_limit: streamed.MemoryLimitOption = None,
) -> None:
    """Predict for every row of DATA and write CSV: a 'prediction' column (and probabilities).

    The columns of DATA are matched to the model's features by name; other columns (such as
    the target) are ignored.
    """
    _check_outputs([("predictions", out)], inputs=[("DATA", data), ("MODEL", model_path)])
    model = _load_model(model_path)
    if proba and not _is_classifier(model):
        raise _Fail(f"--proba needs a classifier; {model_path} is a regression model")
    if streamed.wanted(data, stream, memory_limit, decimal):
        return streamed.predict(model, data, proba=proba, out=out, drop=drop, decimal=decimal)
    ds = _data_for(model, data, None, require_target=False, drop=drop, decimal=decimal)
    pred = np.asarray(model.predict(ds.X))
    if pred.ndim == 2 and pred.shape[1] == 1:
        pred = pred[:, 0]
    header = ["prediction"] if pred.ndim == 1 else [f"prediction_{j}" for j in
                                                    range(pred.shape[1])]
    columns = [pred] if pred.ndim == 1 else list(pred.T)
    if proba:
        P = np.asarray(model.predict_proba(ds.X))
        header += [f"proba_{c}" for c in model.classes_]
        columns += list(P.T)
    labels = None if data_layer.is_embedded(data) else RowLabels.of(data, ds.row_labels, decimal)
    if labels is not None:  # each prediction keeps its row's label, as pandas wrote it
        try:
            header = labels.header + header
            columns = labels.take(len(pred)) + columns
        finally:
            labels.close()
    with (atomic_file(out, "w", newline="", encoding="utf-8") if out is not None
          else contextlib.nullcontext(sys.stdout)) as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for row in zip(*columns, strict=True):
            writer.writerow([_fmt(v) for v in row])
    if out is not None:
        _console().print(f"{len(pred)} predictions written to {visible(out)}", soft_wrap=True)
    if ds.ignored:
        sys.stderr.write(f"note: ignored columns not used by the model: "
                         f"{visible(', '.join(ds.ignored))}\n")


@app.command(epilog="Examples:\n\n  shallownet evaluate iris.safetensors iris\n\n  "
                    "shallownet evaluate model.safetensors test.csv --target label")
@_friendly_errors
def evaluate(
    model_path: ModelArgument,
    data: DataArgument,
    target: Annotated[list[str] | None, typer.Option(
        "--target", "-t", help="The label column. Default: the column the model was trained "
                               "on, else as for train.")] = None,
    drop: DropOption = None,
    decimal: DecimalOption = None,
    stream: streamed.StreamOption = False,
    memory_limit: streamed.MemoryLimitOption = None,
    all_rows: Annotated[bool, typer.Option(
        "--all-rows", help="On the data the model was trained on (a bundled data set, or the "
                           "unchanged file): score every row, the training rows included (by "
                           "default only the rows train held out are scored).")] = False,
) -> None:
    """Score a model on labelled DATA.

    Classification: accuracy and the confusion matrix. Regression: R^2, MSE and MAE.

    On the data the model was trained on (a bundled data set, or the unchanged file), only the
    rows that train held out are scored, and the output says so; --all-rows scores them all.
    """
    from .. import io, workflow
    from .app import one_target

    target = one_target(target)
    model = _load_model(model_path, "evaluate")
    if not _is_classifier(model) and getattr(getattr(model, "network_", None), "N_o", 1) > 1:
        raise _Fail(f"{model_path} predicts {model.network_.N_o} targets and evaluate scores one "
                    "target column; score it in Python: model.score(X, Y) with Y of "
                    f"{model.network_.N_o} columns")
    if streamed.wanted(data, stream, memory_limit, decimal):
        return streamed.evaluate(
            model, data, target=target, drop=drop, decimal=decimal,
            model_target=None if target is not None else _trained_target(model_path),
            model_path=model_path, all_rows=all_rows)
    ds = _data_for(model, data, target, require_target=True, drop=drop,
                   model_target=None if target is not None else _trained_target(model_path),
                   decimal=decimal)
    kind = "classification" if _is_classifier(model) else "regression"
    if ds.task != kind:
        raise _Fail(f"{ds.source} is a {ds.task} task but {model_path} is a {kind} model; "
                    "evaluate it on data of its own kind")
    console = _console()
    console.print(visible(ds.summary()), soft_wrap=True)
    X, y = ds.X, ds.y
    metadata = io.describe(model_path)["metadata"]
    rows = workflow.held_out_rows(metadata, data, ds.n_samples, ds)
    what = f"{ds.n_samples} samples"
    how = ("recorded in" if data_layer.is_embedded(data) else
           "the same split, drawn again from the seed recorded in")
    if rows is not None and not all_rows:
        X, y = X[rows], y[rows]
        what = f"{rows.size} held-out samples"
        console.print(f"scoring the {rows.size} rows of {visible(data)} that train held out "
                      f"({how} {visible(model_path)}); --all-rows scores all "
                      f"{ds.n_samples}, the training rows included", soft_wrap=True)
    elif rows is not None:
        console.print(f"scoring all {ds.n_samples} rows of {visible(data)}, including the "
                      f"{ds.n_samples - rows.size} the model was trained on", soft_wrap=True)
    elif workflow.trained_on(metadata, data):
        sys.stderr.write(f"note: {visible(data)} is the file {visible(model_path)} was trained "
                         "on: these scores include its training rows\n")
    if _is_classifier(model):
        y = workflow.align_labels(y, model.classes_, data=str(data), model=str(model_path))
        labels, cm = workflow.confusion(y, model.predict(X), model.classes_)
        _print_metrics(console, what, [("accuracy", float(np.trace(cm) / cm.sum()))])
        unseen = [str(v) for v in labels[len(model.classes_):]]
        print_confusion(console, labels, cm, unseen)
    else:
        _print_metrics(console, what, _metrics(model, X, y))


def print_confusion(console, labels, cm, unseen) -> None:
    """The confusion matrix as a table (rows: true class), and a note of unseen labels."""
    console.print(Text.assemble(("confusion matrix", "bold"),
                                " (rows: true class, columns: predicted)"), soft_wrap=True)
    table = Table()
    table.add_column("true \\ predicted", style="bold")
    for c in labels:
        table.add_column(visible(c), justify="right")
    for c, row in zip(labels, cm, strict=True):
        table.add_row(visible(c), *[str(int(v)) for v in row])
    console.print(table)
    if unseen:
        sys.stderr.write(f"note: labels not seen in training: {visible(', '.join(unseen))}\n")


def _trained_target(model_path) -> str | None:
    try:
        from .. import io

        meta = io.describe(model_path).get("metadata") or {}
    except Exception:
        return None
    value = meta.get("target")
    return value if isinstance(value, str) else None


"""``shallownet train``."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from .._text import split_text
from ..data import load as load_data
from ..validation import check_params, draw_seed
from . import streamed
from .app import (
    _DATA_HELP,
    _TARGET_HELP,
    Activation,
    DecimalOption,
    DropOption,
    OptimizerName,
    Precision,
    Task,
    _console,
    app,
)
from .common import _check_outputs, _is_classifier, _print_metrics, output_path
from .errors import (
    EXIT_INTERRUPT,
    _Fail,
    _friendly_errors,
    _one_line,
    finishes_without_reader,
    visible,
)


def _epoch_callbacks() -> list:
    # read from the package at call time, so programs (and tests) can set it there
    return list(sys.modules["shallownet.cli"].EPOCH_CALLBACKS)


def plot_curves(model, path: Path, title: str = "") -> Path:
    """Write the training loss, validation loss and validation score per epoch (per iteration
    for L-BFGS) as a PNG.

    Uses matplotlib's Agg canvas directly (no pyplot, no display needed).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"--plot writes a PNG image; give a path ending in .png, not {path}")
    loss = list(getattr(model, "loss_curve_", []) or [])
    val_loss = list(getattr(model, "validation_loss_curve_", None) or [])
    val_score = list(getattr(model, "validation_scores_", None) or [])
    unit = _unit(model)
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 2, 1)
    epochs = np.arange(1, len(loss) + 1)
    ax.plot(epochs, loss, label="training loss", color="tab:blue")
    if val_loss:
        ax.plot(np.arange(1, len(val_loss) + 1), val_loss, label="validation loss",
                color="tab:orange")
    ax.set_xlabel(unit)
    ax.set_ylabel("mean loss per sample")
    ax.set_title("loss")
    ax.legend()
    ax2 = fig.add_subplot(1, 2, 2)
    if val_score:
        ax2.plot(np.arange(1, len(val_score) + 1), val_score, color="tab:green")
        ax2.set_ylabel("accuracy" if _is_classifier(model) else "R^2")
        ax2.set_title("validation score")
    else:
        ax2.text(0.5, 0.5, "no validation set\n(train with --early-stopping)", ha="center",
                 va="center", transform=ax2.transAxes)
        ax2.set_axis_off()
    ax2.set_xlabel(unit)
    if title:
        fig.suptitle(title)
    from ..io import atomic_file

    with atomic_file(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)
    return path



@app.command(short_help="Train a network on DATA and save the model.",
             epilog="Examples:\n\n  shallownet train iris --hidden 16 --epochs 100 --plot "
                    "curves.png\n\n  shallownet train data.csv --target price --out "
                    "price.safetensors")
@_friendly_errors
@finishes_without_reader
def train(
    data: Annotated[str, typer.Argument(metavar="DATA", help=_DATA_HELP,
                                        show_default=True)] = "digits",
    target: Annotated[list[str] | None, typer.Option("--target", "-t", help=_TARGET_HELP)]
    = None,
    task: Annotated[Task | None, typer.Option(
        help="Files only (a bundled data set keeps its own task): override the task detection "
             "(text, at most 20 distinct whole numbers, or whole numbers in a column named "
             "like class labels -> classification; other numbers -> regression).")] = None,
    drop: DropOption = None,
    decimal: DecimalOption = None,
    hidden: Annotated[int, typer.Option("--hidden", min=1, help="N_h, hidden units.")] = 100,
    activation: Annotated[Activation, typer.Option(help="g_act of the hidden layer.")]
    = Activation.relu,
    optimizer: Annotated[OptimizerName, typer.Option(
        help="Update rule; sgd is (21). lbfgs: full-batch L-BFGS on the mean loss, --epochs is "
             "then the most iterations and --batch-size/--learning-rate do not apply.")]
    = OptimizerName.adam,
    learning_rate: Annotated[float | None, typer.Option(
        help="alpha of (21). Default 0.001 for adam, 0.01 for sgd/momentum.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Samples per step.")] = 32,
    epochs: Annotated[int, typer.Option(min=1, help="Most passes over the data.")] = 200,
    l2: Annotated[float, typer.Option(min=0.0, help="L2 penalty on W_H and W_O.")] = 0.0,
    early_stopping: Annotated[bool, typer.Option(
        help="Hold out --validation-fraction of the training split, show its score per epoch, "
             "stop after --patience epochs without improvement and keep the best weights.")]
    = True,
    patience: Annotated[int, typer.Option(min=1, help="Epochs without improvement.")] = 10,
    validation_fraction: Annotated[float, typer.Option(
        help="Share of the training split used for validation.")] = 0.1,
    test_size: Annotated[float, typer.Option(
        help="Share of DATA held out for the final metrics (0 for none).")] = 0.2,
    scale: Annotated[bool, typer.Option(
        help="Standardise the inputs (and a regression target) for training and fold the "
             "scaling into W_H, b_H (and W_O, b_O), so the saved model still predicts on raw "
             "data.")] = True,
    seed: Annotated[int | None, typer.Option(
        min=0, max=2**32 - 1,
        help="Seed for the split, the initial weights and the shuffling. Default: one is drawn, "
             "printed and stored in the model; give it back to repeat the run.")] = None,
    dtype: Annotated[Precision, typer.Option(help="Training precision.")] = Precision.float32,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", parser=output_path,
        help="Where to save the model. Default: <DATA name>.safetensors in the current "
             "directory.")] = None,
    plot: Annotated[Path | None, typer.Option(
        parser=output_path, help="Write the loss and validation curves to this PNG file.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    stream: streamed.StreamOption = False,
    memory_limit: streamed.MemoryLimitOption = None,
    dask: Annotated[str | None, typer.Option(
        "--dask", metavar="ADDRESS",
        help="Train on a Dask cluster (with --optimizer lbfgs): a scheduler address such as "
             "tcp://host:8786, or local:N to start N one-thread worker processes here. DATA is "
             "read by the workers as partitions and stays there; --early-stopping holds out "
             "--validation-fraction of every partition. Needs shallownet[dask].")] = None,
) -> None:
    """Train a network on DATA, report held-out metrics and save the model.

    Shows a progress bar with the running loss and the validation score.

    Ctrl-C finishes the current batch, saves the best model so far and exits with status 130.
    """
    from .. import workflow
    from .app import one_target

    target = one_target(target)
    check_params({"test_size": test_size, "validation_fraction": validation_fraction,
                  "learning_rate": learning_rate}, spelling=_flag)
    if plot is not None and Path(plot).suffix.lower() != ".png":
        raise _Fail(f"--plot writes a PNG image; give a path ending in .png, not {plot}")
    _check_outputs([("the model", out), ("the plot", plot)], inputs=[("DATA", data)])
    if out is not None and Path(out).suffix.lower() == ".onnx":
        raise _Fail(f"--out saves the model as .safetensors; give a path such as "
                    f"{Path(out).with_suffix('.safetensors')}, then write ONNX with "
                    f"shallownet export MODEL {out}")
    if out is not None and Path(out).suffix.lower() in (".csv", ".tsv", ".parquet", ".pq",
                                                        ".png"):
        raise _Fail(f"--out saves the model (a .safetensors file), not {Path(out).suffix} "
                    f"data: give a path such as {Path(out).with_suffix('.safetensors')} "
                    "(predictions are written by shallownet predict MODEL DATA --out FILE)")
    if out is not None and Path(out).suffix.lower() != ".safetensors" and \
            Path(out).is_file() and not _is_model_file(Path(out)):
        raise _Fail(f"--out {out} exists and is no shallownet model: train would replace it; "
                    "choose another path (a .safetensors name), or remove the file first")
    console = _console()
    if dask is not None:
        from .cluster import train_on_cluster

        seed = draw_seed() if seed is None else seed
        def check_out(path):
            _check_outputs([("the model", path), ("the plot", plot)], inputs=[("DATA", data)])

        return train_on_cluster(
            address=dask, data=data, target=target, task=None if task is None else task.value,
            drop=drop, decimal=decimal, test_size=test_size, scale=scale, seed=seed, out=out,
            console=console, check_out=check_out,
            model_kwargs=dict(hidden_units=hidden, activation=activation.value,
                              optimizer=optimizer.value, epochs=epochs, l2=l2,
                              early_stopping=early_stopping,
                              validation_fraction=validation_fraction, patience=patience,
                              random_state=seed, dtype=dtype.value, verbose=not quiet,
                              callbacks=_epoch_callbacks() or None))
    if streamed.wanted(data, stream, memory_limit, decimal):
        return streamed.train(
            console, data=data, target=target, task=None if task is None else task.value,
            drop=drop, decimal=decimal, limit_text=memory_limit, test_size=test_size,
            scale=scale, seed=seed, out=out, plot=plot, early_stopping=early_stopping,
            validation_fraction=validation_fraction, patience=patience, epochs=epochs,
            estimator=dict(
                hidden_units=hidden, activation=activation.value, optimizer=optimizer.value,
                learning_rate=learning_rate, batch_size=batch_size, epochs=epochs, l2=l2,
                early_stopping=early_stopping, validation_fraction=validation_fraction,
                patience=patience, dtype=dtype.value, verbose=not quiet,
                callbacks=_epoch_callbacks() or None))
    ds = load_data(data, target, task=None if task is None else task.value, drop=drop,
                   dtype=dtype.value, decimal=decimal)
    if out is None:
        out = Path(f"{ds.name}.safetensors")
        _check_outputs([("the model", out), ("the plot", plot)], inputs=[("DATA", data)])
    classification = ds.task == "classification"
    console.print(visible(ds.summary()), soft_wrap=True)
    from ..data.schema import identifier_features

    for name in identifier_features(ds.feature_names, ds.X):
        sys.stdout.flush()
        sys.stderr.write(visible(
            f"note: feature {name!r} looks like a row identifier (a different whole number in "
            f"every row, named like an id); a model can only memorise it: leave it out with "
            f"--drop {name}") + "\n")
    console.print(visible(_task_line(ds, data)), soft_wrap=True)
    if seed is None:
        seed = draw_seed()
    n_test = math.ceil(test_size * ds.n_samples) if test_size else 0
    # early stopping holds out its validation_fraction of the rest (the estimators' count)
    from ..estimators import validation_count

    n_validation = (validation_count(ds.n_samples - n_test, validation_fraction)
                    if early_stopping else 0)
    console.print(split_text(ds.n_samples - n_test - n_validation, n_test, n_validation)
                  + ("" if not scale else " (inputs standardised)" if classification
                     else " (inputs and target standardised)")
                  + f"; seed {seed} (--seed {seed} repeats this run)", soft_wrap=True)
    sys.stdout.flush()
    try:
        result = workflow.train_dataset(
            ds, data=str(data), test_size=test_size, scale=scale, random_state=seed,
            catch_interrupt=True, hidden_units=hidden, activation=activation.value,
            optimizer=optimizer.value, learning_rate=learning_rate, batch_size=batch_size,
            epochs=epochs, l2=l2, early_stopping=early_stopping,
            validation_fraction=validation_fraction, patience=patience, dtype=dtype.value,
            verbose=not quiet, callbacks=_epoch_callbacks() or None)
    except FloatingPointError as e:  # the Python advice, in the command's words
        advice = "lower --learning-rate" + ("" if scale else " or leave out --no-scale")
        raise _Fail(_one_line(e).replace("lower learning_rate or standardise X", advice),
                    code=1) from None
    except ValueError as e:  # the Python hint names the class; on the command line, the flag
        if "shallownet.Regressor" not in str(e):
            raise _Fail(_one_line(e).replace("test_size=", "--test-size ")
                        .replace("lower test_size", "lower --test-size")
                        .replace("early_stopping=False", "--no-early-stopping")
                        .replace("early_stopping holds", "--early-stopping holds")
                        .replace("validation_fraction", "--validation-fraction")) from None
        raise _Fail(f"{ds.source}: the {ds.describe_target()} holds no class labels "
                    f"({_one_line(e).split(' Classifier needs')[0]}); use --task regression "
                    "for a real-valued target") from None
    report(console, result, out, n_test=result.split.n_test, epochs=epochs, patience=patience,
           plot=plot, title=f"{ds.name}: {ds.task}")


def report(console, result, out: Path, *, n_test: int, epochs: int, patience: int, plot,
           title: str) -> None:
    """Save the model of a train workflow's result and say what happened (in memory or
    streamed): why training stopped, the held-out metrics, the curves, where the model went,
    and exit 130 after Ctrl-C."""
    model, rows, interrupted = result.model, result.metrics, result.interrupted
    saved = result.save(out)
    saved = Path(saved) if isinstance(saved, str | os.PathLike) else out
    n_iter = getattr(model, "n_iter_", None)
    best = getattr(getattr(model, "history_", None), "best_epoch", None)
    unit = _unit(model)
    if getattr(model, "stopped_early_", False) and not interrupted:
        console.print(_stop_line(n_iter, epochs, best, patience, unit), soft_wrap=True)
    if rows:
        _print_metrics(console, f"held-out metrics ({n_test} samples)", rows)
    else:
        console.print("no held-out set (--test-size 0): no test metrics")
    console.print(f"{unit}s run: {n_iter}" + (f", best {unit}: {best}" if best else ""))
    if plot is not None:
        plot_curves(model, plot, title=title)
        console.print(f"curves written to {visible(plot)}", soft_wrap=True)
    console.print(f"model saved to {visible(saved)}", soft_wrap=True)
    if interrupted:
        sys.stdout.flush()
        kept = f" ({unit} {best})" if best else ""
        sys.stderr.write(f"interrupted: training stopped in {unit} {n_iter}; the best weights so "
                         f"far{kept} were saved to {visible(saved)}\n")
        raise typer.Exit(EXIT_INTERRUPT)


def _unit(model) -> str:
    """What training counted: L-BFGS counts iterations, not epochs (its bar says "iter" too)."""
    return "iteration" if getattr(model, "optimizer", None) == "lbfgs" else "epoch"


def _is_model_file(path: Path) -> bool:
    from .. import io

    try:
        io.describe(path)
    except Exception:
        return False
    return True


def _task_line(ds, data: str) -> str:
    """Which task train chose, why, and how to choose the other one."""
    from ..data import is_embedded

    line = f"task: {ds.task} ({ds.task_note})"
    if is_embedded(data):
        return line
    if ds.task_note in ("the target holds text", "the target holds True/False"):
        return line  # text and True/False are no numbers: regression is no choice there
    other = "regression" if ds.task == "classification" else "classification"
    return f"{line}; to change it use --task {other}"


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _stop_line(n_iter, epochs: int, best, patience: int, unit: str = "epoch") -> str:
    """Why training ended before --epochs, in words that match the progress bar's last state.

    The bar counts batches of all --epochs, so after early stopping it rests part-way; this
    line says where training stopped and which epoch's (or L-BFGS iteration's: ``unit``)
    weights were kept.
    """
    kept = f"; kept the weights of {unit} {best}" if best else ""
    if best and n_iter is not None and n_iter - best >= patience:
        return (f"early stopping: no improvement for {n_iter - best} {unit}s (--patience "
                f"{patience}); stopped after {unit} {n_iter} of {epochs}{kept}")
    return f"training stopped by a callback after {unit} {n_iter} of {epochs}{kept}"


"""The ``shallownet`` command: train, predict, evaluate, info, problems.

Built with typer (commands and ``--help``) and rich (progress bar and tables). Every command
turns bad input into one line ``error: ...`` on stderr and exit status 2, never a traceback
(set ``SHALLOWNET_DEBUG=1`` to see one). Ctrl-C during ``train`` finishes the current batch,
saves the best model so far and exits with status 130.

Standardisation
---------------
``train`` standardises the inputs by default (``--scale``): it trains on
x' = (x - mean) / scale with the training split's mean and standard deviation, then folds that
map into the hidden layer of (1),

    z_H = W_H x' + b_H = (W_H / scale) x + (b_H - W_H (mean / scale)),

and, for regression, standardises the target too and folds y = mean_y + scale_y y' into the
output layer (W_O <- scale_y W_O, b_O <- scale_y b_O + mean_y),

so the saved model is an ordinary shallownet model that predicts on the raw data, in Python
(``shallownet.io.load``) as on the command line, with no scaler to carry along.
"""

from __future__ import annotations

import contextlib
import csv
import enum
import functools
import math
import os
import sys
import warnings
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from . import __version__, datasets

__all__ = ["app", "main", "EPOCH_CALLBACKS", "fold_standardisation", "fold_target_standardisation",
           "plot_curves"]

#: Extra per-epoch callbacks (f(EpochInfo) -> bool) that ``train`` passes to the estimator, for
#: programs that embed the command (and for tests).
EPOCH_CALLBACKS: list = []

EXIT_INPUT = 2       # bad input or usage
EXIT_FAILURE = 1     # training failed (e.g. diverged) or an unexpected error
EXIT_INTERRUPT = 130  # Ctrl-C (128 + SIGINT)

app = typer.Typer(
    name="shallownet",
    help="Neural networks with one hidden layer, built on the notes' equations (1)-(21).\n\n"
         "Example: shallownet train iris --epochs 100 --plot curves.png",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help pages: every option name on one line at any width (the boxed layout cuts
    # long flags such as --validation-fraction short at 80 columns), paragraphs re-wrapped.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _console() -> Console:
    return Console(highlight=False)


class _Fail(Exception):
    def __init__(self, message: str, code: int = EXIT_INPUT):
        super().__init__(message)
        self.code = code


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    if isinstance(exc, OSError) and exc.strerror and exc.filename:  # "[Errno 13] ..." -> plain
        text = f"{exc.strerror}: {exc.filename}"
    text = " ".join(text.split())
    return text or type(exc).__name__


def _error(message: str, code: int) -> typer.Exit:
    sys.stdout.flush()
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    return typer.Exit(code)


def _friendly_errors(func):
    """Run a command; turn errors into one line on stderr and an exit status."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        debug = bool(os.environ.get("SHALLOWNET_DEBUG"))
        try:
            with warnings.catch_warnings():
                # Models saved by ``train`` know their feature names; the CLI hands them arrays
                # whose columns it has already matched by name.
                warnings.filterwarnings("ignore", message=".*does not have valid feature names")
                return func(*args, **kwargs)
        except typer.Exit:
            raise
        except _Fail as e:
            raise _error(str(e), e.code) from None
        except KeyboardInterrupt:
            raise _error("interrupted", EXIT_INTERRUPT) from None
        except BrokenPipeError:  # e.g. `shallownet predict ... | head`: stop quietly
            with contextlib.suppress(Exception):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(EXIT_FAILURE) from None
        except (FloatingPointError, MemoryError) as e:
            if debug:
                raise
            raise _error(_one_line(e), EXIT_FAILURE) from None
        except (ValueError, TypeError, OSError, ImportError) as e:
            if debug:
                raise
            raise _error(_one_line(e), EXIT_INPUT) from None
        except Exception as e:  # a bug: still one line, with the way to the traceback
            if debug:
                raise
            raise _error(f"internal error, {type(e).__name__}: {_one_line(e)} (run with "
                         "SHALLOWNET_DEBUG=1 for the traceback)", EXIT_FAILURE) from None

    return wrapper


def _version(value: bool):
    if value:
        print(f"shallownet {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Neural networks with one hidden layer, built on the notes' equations (1)-(21).

    Example: shallownet train iris --epochs 100 --plot curves.png
    """


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

class Task(enum.StrEnum):
    classification = "classification"
    regression = "regression"


class Activation(enum.StrEnum):
    relu = "relu"
    sigmoid = "sigmoid"


class OptimizerName(enum.StrEnum):
    adam = "adam"
    sgd = "sgd"
    momentum = "momentum"


class Precision(enum.StrEnum):
    float32 = "float32"
    float64 = "float64"


def fold_standardisation(network, mean, scale) -> None:
    """Fold x' = (x - mean) / scale into the hidden layer of (1), in place.

    z_H = W_H x' + b_H = (W_H / scale) x + (b_H - W_H (mean / scale)); computed in float64 and
    stored in the network's precision.
    """
    mean = np.asarray(mean, dtype=np.float64)
    scale = np.asarray(scale, dtype=np.float64)
    W_H = network.params["W_H"].astype(np.float64)
    b_H = network.params["b_H"].astype(np.float64)
    network.set_params(W_H=W_H / scale, b_H=b_H - W_H @ (mean / scale))


def fold_target_standardisation(network, mean, scale) -> None:
    """Fold y = mean + scale * y' into the output layer of a regression network, in place.

    A network trained on y' = (y - mean) / scale predicts y' = W_O u_H + b_O (7), so
    y = (scale W_O) u_H + (scale b_O + mean); computed in float64, stored in the network's
    precision.
    """
    mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    scale = np.atleast_1d(np.asarray(scale, dtype=np.float64))
    W_O = network.params["W_O"].astype(np.float64)
    b_O = network.params["b_O"].astype(np.float64)
    network.set_params(W_O=W_O * scale[:, None], b_O=b_O * scale + mean)


def _is_classifier(model) -> bool:
    return hasattr(model, "classes_")


def _load_model(path: Path):
    from . import io

    if not Path(path).exists():
        raise FileNotFoundError(f"no such model file: {path}")
    return io.load(path)


def _model_features(model) -> tuple[list[str] | None, int | None]:
    names = getattr(model, "feature_names_in_", None)
    n = getattr(model, "n_features_in_", None)
    return (None if names is None else [str(f) for f in names]), (None if n is None else int(n))


def _metrics(model, X, y) -> list[tuple[str, float]]:
    from sklearn import metrics

    pred = model.predict(X)
    if _is_classifier(model):
        return [("accuracy", float(metrics.accuracy_score(y, pred)))]
    return [("R^2", float(metrics.r2_score(y, pred))),
            ("MSE", float(metrics.mean_squared_error(y, pred))),
            ("MAE", float(metrics.mean_absolute_error(y, pred)))]


def _print_metrics(console: Console, title: str, rows) -> None:
    console.print(f"[bold]{title}[/]", soft_wrap=True)
    table = Table()
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, f"{value:.4f}")
    console.print(table)


def _labels_like(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Read labels from a file the way the model stored its classes (str vs numbers)."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "USO" and np.asarray(y).dtype.kind in "iuf":
        return np.array([str(v) for v in y], dtype=object)
    if classes.dtype.kind in "iuf" and np.asarray(y).dtype.kind in "USO":
        try:
            numbers = np.asarray(y, dtype=np.float64)
        except ValueError:
            return y
        if classes.dtype.kind in "iu" and np.all(numbers == np.round(numbers)):
            return numbers.astype(np.int64)
        return numbers
    return y


def plot_curves(model, path: Path, title: str = "") -> Path:
    """Write the training loss, validation loss and validation score per epoch as a PNG.

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
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 2, 1)
    epochs = np.arange(1, len(loss) + 1)
    ax.plot(epochs, loss, label="training loss", color="tab:blue")
    if val_loss:
        ax.plot(np.arange(1, len(val_loss) + 1), val_loss, label="validation loss",
                color="tab:orange")
    ax.set_xlabel("epoch")
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
    ax2.set_xlabel("epoch")
    if title:
        fig.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=100)
    return path


def _check_writable(path: Path, what: str) -> None:
    parent = path.resolve().parent
    if not parent.is_dir():
        raise _Fail(f"cannot write {what} {path}: the folder {parent} does not exist")
    if path.is_dir():
        raise _Fail(f"cannot write {what} {path}: it is a directory; give a file name")


# ---------------------------------------------------------------------------------------------
# train
# ---------------------------------------------------------------------------------------------

_DATA_HELP = ("A .csv/.tsv/.parquet/.pq file, or a data set shipped with scikit-learn: "
              "digits, iris, wine, breast_cancer, diabetes.")
_TARGET_HELP = ("The label column of a file. Default: a column named target, label, y or class, "
                "else the last column.")
_DROP_HELP = "Leave column COL of a file out (e.g. a row id); repeat for more."
DropOption = Annotated[list[str] | None, typer.Option("--drop", metavar="COL", help=_DROP_HELP)]
ModelArgument = Annotated[Path, typer.Argument(metavar="MODEL",
                                               help="A model file saved by train.")]
DataArgument = Annotated[str, typer.Argument(metavar="DATA", help=_DATA_HELP)]


@app.command(short_help="Train a network on DATA and save the model.",
             epilog="Examples:\n\n  shallownet train iris --hidden 16 --epochs 100 --plot "
                    "curves.png\n\n  shallownet train data.csv --target price --out "
                    "price.safetensors")
@_friendly_errors
def train(
    data: Annotated[str, typer.Argument(metavar="DATA", help=_DATA_HELP,
                                        show_default=True)] = "digits",
    target: Annotated[str | None, typer.Option("--target", "-t", help=_TARGET_HELP)] = None,
    task: Annotated[Task | None, typer.Option(
        help="Files only (a bundled data set keeps its own task): override the task detection "
             "(non-numeric or at most 20 distinct integer labels -> classification, other "
             "numbers -> regression).")] = None,
    drop: DropOption = None,
    hidden: Annotated[int, typer.Option("--hidden", min=1, help="N_h, hidden units.")] = 100,
    activation: Annotated[Activation, typer.Option(help="g_act of the hidden layer.")]
    = Activation.relu,
    optimizer: Annotated[OptimizerName, typer.Option(help="Update rule; sgd is (21).")]
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
        help="Seed for the split, the initial weights and the shuffling.")] = None,
    dtype: Annotated[Precision, typer.Option(help="Training precision.")] = Precision.float32,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Where to save the model. Default: <DATA name>.safetensors in the "
                            "current directory.")] = None,
    plot: Annotated[Path | None, typer.Option(
        help="Write the loss and validation curves to this PNG file.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Train a network on DATA, report held-out metrics and save the model.

    Shows a progress bar with the running loss and the validation score.

    Ctrl-C finishes the current batch, saves the best model so far and exits with status 130.
    """
    from sklearn.model_selection import train_test_split

    from . import io
    from .estimators import Classifier, Regressor

    if not 0.0 <= test_size < 1.0:
        raise _Fail(f"--test-size must be in [0, 1), got {test_size}")
    if not 0.0 < validation_fraction < 1.0:
        raise _Fail(f"--validation-fraction must be in (0, 1), got {validation_fraction}")
    if learning_rate is not None and not (learning_rate > 0 and math.isfinite(learning_rate)):
        raise _Fail(f"--learning-rate must be a positive number, got {learning_rate}")
    console = _console()
    ds = datasets.load(data, target, task=None if task is None else task.value, drop=drop)
    out = Path(out) if out is not None else Path(f"{ds.name}.safetensors")
    _check_writable(out, "the model to")
    if plot is not None:
        if Path(plot).suffix.lower() != ".png":
            raise _Fail(f"--plot writes a PNG image; give a path ending in .png, not {plot}")
        _check_writable(Path(plot), "the plot to")
    classification = ds.task == "classification"
    if classification:
        classes, counts = np.unique(ds.y, return_counts=True)
        if classes.size < 2:
            raise _Fail(f"{ds.source}: the {ds.describe_target()} has a single class "
                        f"({getattr(classes[0], 'item', lambda: classes[0])()!r}); classification "
                        "needs at least two")
    console.print(ds.summary(), soft_wrap=True)

    X_train, y_train, X_test, y_test = ds.X, ds.y, None, None
    if test_size > 0:
        stratify = None
        if classification and counts.min() >= 2 and \
                math.ceil(test_size * ds.n_samples) >= classes.size:
            stratify = ds.y
        try:
            X_train, X_test, y_train, y_test = train_test_split(
                ds.X, ds.y, test_size=test_size, random_state=seed, stratify=stratify)
        except ValueError as e:
            raise _Fail(f"cannot hold out --test-size {test_size} of {ds.n_samples} samples "
                        f"({_one_line(e)}); lower --test-size or use 0") from None

    mean = scale_ = None
    X_fit = X_train
    if scale:
        mean = X_train.mean(axis=0)
        scale_ = X_train.std(axis=0)
        scale_[scale_ == 0] = 1.0  # constant columns stay as they are
        X_fit = (X_train - mean) / scale_
    y_fit, y_mean, y_scale = y_train, None, None
    if scale and not classification:  # a real-valued target is standardised too
        y_mean = y_train.mean(axis=0)
        y_scale = np.where(y_train.std(axis=0) > 0, y_train.std(axis=0), 1.0)
        y_fit = (y_train - y_mean) / y_scale

    Estimator = Classifier if classification else Regressor
    model = Estimator(hidden_units=hidden, activation=activation.value,
                      optimizer=optimizer.value, learning_rate=learning_rate,
                      batch_size=batch_size, epochs=epochs, l2=l2,
                      early_stopping=early_stopping, validation_fraction=validation_fraction,
                      patience=patience, seed=seed, dtype=dtype.value, verbose=not quiet,
                      callbacks=list(EPOCH_CALLBACKS) or None)
    console.print(f"training on {X_train.shape[0]} samples"
                  + (f", holding out {X_test.shape[0]} for testing" if X_test is not None else "")
                  + ("" if not scale else " (inputs standardised)" if classification
                     else " (inputs and target standardised)"), soft_wrap=True)
    sys.stdout.flush()
    try:
        model.fit(X_fit, y_fit, catch_interrupt=True)
    except ValueError as e:  # the Python hint names the class; on the command line, the flag
        if "shallownet.Regressor" not in str(e):
            raise
        raise _Fail(f"{ds.source}: the {ds.describe_target()} holds no class labels "
                    f"({_one_line(e).split(' Classifier needs')[0]}); use --task regression "
                    "for a real-valued target") from None
    if scale:
        fold_standardisation(model.network_, mean, scale_)
    if y_mean is not None:
        fold_target_standardisation(model.network_, y_mean, y_scale)
    if getattr(model, "feature_names_in_", None) is None:
        model.feature_names_in_ = np.asarray(ds.feature_names, dtype=object)
    interrupted = bool(getattr(model, "interrupted_", False))

    rows = _metrics(model, X_test, y_test) if X_test is not None else []
    metadata = {
        "data": str(data), "target": ds.target_name, "task": ds.task,
        "n_train": int(X_train.shape[0]),
        "n_test": 0 if X_test is None else int(X_test.shape[0]),
        "standardised": bool(scale),
        **({"dropped": list(ds.dropped)} if ds.dropped else {}),
        **{f"test_{name}": value for name, value in rows},
    }
    saved = io.save(model, out, metadata=metadata)
    saved = Path(saved) if isinstance(saved, str | os.PathLike) else out

    n_iter = getattr(model, "n_iter_", None)
    best = getattr(getattr(model, "history_", None), "best_epoch", None)
    if getattr(model, "stopped_early_", False) and not interrupted:
        console.print(_stop_line(n_iter, epochs, best, patience), soft_wrap=True)
    if rows:
        _print_metrics(console, f"held-out metrics ({X_test.shape[0]} samples)", rows)
    else:
        console.print("no held-out set (--test-size 0): no test metrics")
    console.print(f"epochs run: {n_iter}" + (f", best epoch: {best}" if best else ""))
    if plot is not None:
        plot_curves(model, plot, title=f"{ds.name}: {ds.task}")
        console.print(f"curves written to {plot}")
    console.print(f"model saved to {saved}")
    if interrupted:
        sys.stdout.flush()
        kept = f" (epoch {best})" if best else ""
        sys.stderr.write(f"interrupted: training stopped in epoch {n_iter}; the best weights so "
                         f"far{kept} were saved to {saved}\n")
        raise typer.Exit(EXIT_INTERRUPT)


def _stop_line(n_iter, epochs: int, best, patience: int) -> str:
    """Why training ended before --epochs, in words that match the progress bar's last state.

    The bar counts batches of all --epochs, so after early stopping it rests part-way; this
    line says where training stopped and which epoch's weights were kept.
    """
    kept = f"; kept the weights of epoch {best}" if best else ""
    if best and n_iter is not None and n_iter - best >= patience:
        return (f"early stopping: no improvement for {n_iter - best} epochs (--patience "
                f"{patience}); stopped after epoch {n_iter} of {epochs}{kept}")
    return f"training stopped by a callback after epoch {n_iter} of {epochs}{kept}"


# ---------------------------------------------------------------------------------------------
# predict, evaluate, info, problems
# ---------------------------------------------------------------------------------------------

def _data_for(model, data: str, target: str | None, require_target: bool, drop=None,
              model_target: str | None = None):
    names, n = _model_features(model)
    return datasets.load(data, target, features=names, n_features=None if names else n,
                         require_target=require_target, drop=drop, model_target=model_target,
                         task=None if not require_target or datasets.is_embedded(data) else
                         ("classification" if _is_classifier(model) else "regression"))


def _fmt(value) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.8g}"
    return str(value)


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
        "--out", "-o", help="Write the CSV here instead of to stdout.")] = None,
    drop: DropOption = None,
) -> None:
    """Predict for every row of DATA and write CSV: a 'prediction' column (and probabilities).

    The columns of DATA are matched to the model's features by name; other columns (such as
    the target) are ignored.
    """
    model = _load_model(model_path)
    if proba and not _is_classifier(model):
        raise _Fail(f"--proba needs a classifier; {model_path} is a regression model")
    ds = _data_for(model, data, None, require_target=False, drop=drop)
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
    if out is not None:
        _check_writable(Path(out), "predictions to")
        f = open(out, "w", newline="", encoding="utf-8")
    else:
        f = sys.stdout
    try:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for row in zip(*columns, strict=True):
            writer.writerow([_fmt(v) for v in row])
    finally:
        if out is not None:
            f.close()
    if out is not None:
        _console().print(f"{len(pred)} predictions written to {out}")
    if ds.ignored:
        sys.stderr.write(f"note: ignored columns not used by the model: "
                         f"{', '.join(ds.ignored)}\n")


@app.command(epilog="Examples:\n\n  shallownet evaluate iris.safetensors iris\n\n  "
                    "shallownet evaluate model.safetensors test.csv --target label")
@_friendly_errors
def evaluate(
    model_path: ModelArgument,
    data: DataArgument,
    target: Annotated[str | None, typer.Option(
        "--target", "-t", help="The label column. Default: the column the model was trained "
                               "on, else as for train.")] = None,
    drop: DropOption = None,
) -> None:
    """Score a model on labelled DATA.

    Classification: accuracy and the confusion matrix. Regression: R^2, MSE and MAE.
    """
    from sklearn import metrics

    model = _load_model(model_path)
    ds = _data_for(model, data, target, require_target=True, drop=drop,
                   model_target=None if target is not None else _trained_target(model_path))
    kind = "classification" if _is_classifier(model) else "regression"
    if ds.task != kind:
        raise _Fail(f"{ds.source} is a {ds.task} task but {model_path} is a {kind} model; "
                    "evaluate it on data of its own kind")
    console = _console()
    console.print(ds.summary(), soft_wrap=True)
    y = ds.y
    if _is_classifier(model):
        y = _labels_like(y, model.classes_)
        pred = model.predict(ds.X)
        _print_metrics(console, f"{ds.n_samples} samples",
                       [("accuracy", metrics.accuracy_score(y, pred))])
        classes = list(model.classes_)
        unseen = sorted({str(v) for v in np.unique(y)} - {str(c) for c in classes})
        labels = classes + [v for v in np.unique(y) if str(v) in unseen]
        cm = metrics.confusion_matrix(np.asarray(y, dtype=object),
                                      np.asarray(pred, dtype=object),
                                      labels=np.asarray(labels, dtype=object))
        console.print("[bold]confusion matrix[/] (rows: true class, columns: predicted)",
                      soft_wrap=True)
        table = Table()
        table.add_column("true \\ predicted", style="bold")
        for c in labels:
            table.add_column(str(c), justify="right")
        for c, row in zip(labels, cm, strict=True):
            table.add_row(str(c), *[str(int(v)) for v in row])
        console.print(table)
        if unseen:
            sys.stderr.write(f"note: labels not seen in training: {', '.join(unseen)}\n")
    else:
        _print_metrics(console, f"{ds.n_samples} samples", _metrics(model, ds.X, y))


def _trained_target(model_path) -> str | None:
    try:
        from . import io

        meta = io.describe(model_path).get("metadata") or {}
    except Exception:
        return None
    value = meta.get("target")
    return value if isinstance(value, str) else None


@app.command(short_help="Show a model's architecture and training summary.",
             epilog="Example:\n\n  shallownet info iris.safetensors")
@_friendly_errors
def info(
    model_path: ModelArgument,
) -> None:
    """Show the architecture and training summary of a model, like Keras summary()."""
    from . import io

    if not Path(model_path).exists():
        raise FileNotFoundError(f"no such model file: {model_path}")
    d = io.describe(model_path)  # reads and checks the whole file, runs no code
    N_i, N_h, N_o = d["N_i"], d["N_h"], d["N_o"]
    g_out = {"binary": "sigmoid (3)", "multiclass": "softmax (5)",
             "regression": "identity (7)"}.get(d["output"], d["output"])
    hidden_params = N_h * N_i + N_h
    output_params = N_o * N_h + N_o
    console = _console()
    console.print(f"[bold]{model_path}[/]: {d['kind']}, {d['output']} output, "
                  f"{d['dtype']}", soft_wrap=True)
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
    if d.get("classes") is not None:
        summary.add_row("classes", _short(", ".join(str(c) for c in d["classes"])))
    names = d.get("feature_names")
    if names:
        summary.add_row("features", f"{len(names)}: " + ", ".join(names[:6])
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
        if hyper.get("learning_rate") is None and "optimizer" in hyper:
            default = 0.001 if str(hyper["optimizer"]).lower() == "adam" else 0.01
            hyper = {**hyper, "learning_rate": f"None ({default}, the {hyper['optimizer']} "
                                                 "default)"}
        summary.add_row("hyper-parameters", ", ".join(f"{k}={v}" for k, v in hyper.items()))
    for key, value in (d.get("metadata") or {}).items():
        summary.add_row(str(key).replace("_", " "), _short(value))
    summary.add_row("written by", f"shallownet {d.get('shallownet_version')}, format "
                                  f"{d.get('format_version')}")
    console.print("[bold]training summary[/]")
    console.print(summary)


def _short(value, limit: int = 100) -> str:
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, list | tuple) and len(value) > 6:
        text = f"[{', '.join(_short(v) for v in value[:3])}, ... ({len(value)} values)]"
    else:
        text = str(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


@app.command(short_help="Solve the notes' worked problems into Markdown.",
             epilog="Example:\n\n  shallownet problems --out solutions")
@_friendly_errors
def problems(
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Folder for the Markdown document and its figures.")]
    = Path("solutions"),
) -> None:
    """Solve every worked problem of the notes and write a Markdown solutions document."""
    try:
        from .problems import write_solutions
    except ImportError as e:
        if getattr(e, "name", "") not in ("shallownet.problems", None):
            raise
        raise _Fail("the worked problems are not available in this installation of "
                    "shallownet (shallownet.problems is missing)", EXIT_FAILURE) from None
    path = write_solutions(out)
    _console().print(f"solutions written to {path}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``shallownet`` console script.

    Usage errors (an unknown option, ``--epochs 0``) are one line on stderr with exit status 2,
    like every other input error. The command-line layer's exceptions are recognised by what
    they offer (``format_message``, ``exit_code``), which holds across typer/click versions.
    """
    if not (sys.argv[1:] if argv is None else argv):
        argv = ["--help"]  # a bare `shallownet` shows the help page, on stdout
    try:
        code = app(args=argv, prog_name="shallownet", standalone_mode=False)
    except Exception as exc:
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        ctx = getattr(exc, "ctx", None)
        where = f"shallownet {ctx.info_name}" if ctx is not None and ctx.parent else "shallownet"
        print(f"error: {exc.format_message()} (see '{where} --help')", file=sys.stderr)
        raise SystemExit(exc.exit_code or 2) from None
    except BaseException as exc:  # Ctrl-C outside training arrives as the layer's Abort
        if type(exc).__name__ != "Abort":
            raise
        print("error: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()

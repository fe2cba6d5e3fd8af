"""The ``shallownet`` Typer application, its shared options and the entry point ``main``."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .. import __version__
from .errors import visible

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
    # No markup: names from files and paths ("weight[/kg]", "[link=...]") print as written;
    # styles are given as Text objects.
    return Console(highlight=False, markup=False)


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
    lbfgs = "lbfgs"


class Precision(enum.StrEnum):
    float32 = "float32"
    float64 = "float64"


_DATA_HELP = ("A .csv/.tsv/.parquet/.pq file, a folder of Parquet files, or a data set shipped "
              "with scikit-learn: digits, iris, wine, breast_cancer, diabetes.")
_TARGET_HELP = ("The label column of a file. Default: a column named target, label, y or class, "
                "else the last column.")
_DROP_HELP = "Leave column COL of a file out (e.g. a row id); repeat for more."


def one_target(values) -> str | None:
    """The --target given: one column (Click keeps only the last of a repeated option, which
    would train on the others as features without a word)."""
    if not values:
        return None
    if len(values) > 1:
        from .errors import _Fail

        raise _Fail(f"--target was given {len(values)} times ({', '.join(values)}); the "
                    "command trains on one target column (several targets: "
                    "shallownet.Regressor in Python takes a 2-D y)")
    return values[0]
DropOption = Annotated[list[str] | None, typer.Option("--drop", metavar="COL", help=_DROP_HELP)]
DecimalOption = Annotated[str | None, typer.Option(
    "--decimal", metavar="MARK", help="The decimal mark of a CSV file, '.' or ','. Default: a "
    "decimal comma is detected in ';'-separated files.")]
ModelArgument = Annotated[Path, typer.Argument(metavar="MODEL",
                                               help="A model file saved by train.")]
DataArgument = Annotated[str, typer.Argument(metavar="DATA", help=_DATA_HELP)]

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
        print(f"error: {visible(exc.format_message())} (see '{where} --help')",
              file=sys.stderr)
        raise SystemExit(exc.exit_code or 2) from None
    except BaseException as exc:  # Ctrl-C outside training arrives as the layer's Abort
        if type(exc).__name__ != "Abort":
            raise
        print("error: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    if code == 130 and not isinstance(code, enum.Enum):
        # the layer's own silent Exit(130) for a Ctrl-C outside our commands' error handling
        print("error: interrupted", file=sys.stderr)
    raise SystemExit(code if isinstance(code, int) else 0)


"""The ``shallownet`` command: train, predict, evaluate, info, export, problems, playground.

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

import sys

__all__ = ["app", "main", "EPOCH_CALLBACKS", "ExitStatus", "EXIT_FAILURE", "EXIT_INPUT",
           "EXIT_INTERRUPT", "fold_standardisation", "fold_target_standardisation", "plot_curves"]

#: Extra per-epoch callbacks (f(EpochInfo) -> bool) that ``train`` passes to the estimator, for
#: programs that embed the command (and for tests).
EPOCH_CALLBACKS: list = []

# The rest loads on first use: `main` must be running before the heavy imports start, so that
# Ctrl-C at any moment ends with one line and exit status 130.
_LAZY = {"app": ".app", "ExitStatus": ".errors", "EXIT_FAILURE": ".errors",
         "EXIT_INPUT": ".errors", "EXIT_INTERRUPT": ".errors", "plot_curves": ".train",
         "fold_standardisation": "..preprocessing",
         "fold_target_standardisation": "..preprocessing"}
# each registers itself
_COMMANDS = (".export", ".info", ".playground", ".predict", ".problems", ".train")


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        for command in _COMMANDS:
            import_module(command, __name__)
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'shallownet.cli' has no attribute {name!r}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``shallownet`` console script (see ``app.main``).

    Ctrl-C at any moment, the imports included, ends with one line ``error: interrupted`` on
    stderr and exit status 130, never a traceback.
    """
    as_program = False
    ignored: list = []  # Ctrl-C that Python swallowed ("Exception ignored in ...")
    try:
        try:
            # every import inside the try, the standard library's too
            import signal
            import threading

            as_program = argv is None and threading.current_thread() is threading.main_thread()
            if as_program:
                sys.unraisablehook = _keep_interrupts(sys.unraisablehook, ignored)
            __getattr__("app")  # the commands
            from .app import main as run

            run(argv)
        except SystemExit as done:
            if ignored and done.code in (0, None):
                raise KeyboardInterrupt from None
            raise
        except Exception as exc:
            # a Ctrl-C inside an import can surface as another error caused by it (e.g. the
            # standard library's "Error calling __set_name__" while a class is being built)
            if _caused_by_interrupt(exc):
                raise KeyboardInterrupt from None
            raise
        finally:
            if as_program:  # the work is done: a late Ctrl-C cannot interrupt the exit
                signal.signal(signal.SIGINT, signal.SIG_IGN)
    except KeyboardInterrupt:
        if as_program:  # a second Ctrl-C cannot cut the message short
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            sys.stdout.flush()
        except Exception:  # a closed or broken stdout: the message still goes out
            pass
        sys.stderr.write("error: interrupted\n")
        raise SystemExit(130) from None


def _caused_by_interrupt(exc: BaseException) -> bool:
    """True when a KeyboardInterrupt is among the causes or contexts of ``exc``."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _keep_interrupts(hook, ignored: list):
    """An unraisable-exception hook that keeps a Ctrl-C raised where Python cannot raise it
    (a weakref callback during an import) instead of printing it; ``main`` reports it."""

    def keep(unraisable):
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            ignored.append(unraisable.exc_value)
        else:
            hook(unraisable)

    return keep

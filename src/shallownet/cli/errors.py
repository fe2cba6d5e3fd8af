"""Errors of the ``shallownet`` command: one line on stderr and an exit status."""

from __future__ import annotations

import contextlib
import enum
import functools
import os
import sys
import warnings

import typer


class ExitStatus(enum.IntEnum):
    """Exit statuses of every command."""

    OK = 0
    FAILURE = 1      # training failed (e.g. diverged) or an unexpected error
    INPUT = 2        # bad input or usage
    INTERRUPT = 130  # Ctrl-C (128 + SIGINT)


EXIT_INPUT = ExitStatus.INPUT
EXIT_FAILURE = ExitStatus.FAILURE
EXIT_INTERRUPT = ExitStatus.INTERRUPT


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


"""Errors of the ``shallownet`` command: one line on stderr and an exit status."""

from __future__ import annotations

import contextlib
import enum
import functools
import os
import re
import sys
import warnings

import typer

from . import _caused_by_interrupt as _interrupted  # the package entry point has it first


class ExitStatus(enum.IntEnum):
    """Exit statuses of every command."""

    OK = 0
    FAILURE = 1      # training failed (e.g. diverged) or an unexpected error
    INPUT = 2        # bad input or usage
    INTERRUPT = 130  # Ctrl-C (128 + SIGINT)


EXIT_INPUT = ExitStatus.INPUT
EXIT_FAILURE = ExitStatus.FAILURE
EXIT_INTERRUPT = ExitStatus.INTERRUPT


_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069"
                        "\ufeff]")


def visible(value) -> str:
    """``str(value)`` with control characters shown as escapes (``\\x1b``, ``\\n``,
    ``\\u202e``): a name, a path or metadata from a file can neither move the cursor, clear
    the screen, open a hyperlink nor reorder the text on the terminal."""
    return _INVISIBLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"),
                          str(value))


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
    with contextlib.suppress(Exception):  # a closed or missing standard output
        sys.stdout.flush()
    sys.stderr.write(f"error: {visible(message)}\n")
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
                # The command has judged the target itself (a column with a different value in
                # most rows is refused, with the way out); scikit-learn's guess that many
                # classes "could represent a regression problem" came out as a raw warning with
                # a path and a source line, about text labels too.
                warnings.filterwarnings("ignore", message="The number of unique classes is "
                                                          "greater than 50%")
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
        except Exception as e:
            if _interrupted(e):  # a Ctrl-C turned into another error (an import failing)
                raise _error("interrupted", EXIT_INTERRUPT) from None
            if debug:
                raise
            raise _error(*_describe(e)) from None

    return wrapper


class _ReaderMayLeave:
    """``sys.stdout`` for a command whose work must finish when its output's reader goes away
    (``shallownet train ... | head``): the first write that finds the pipe closed points
    standard output at the null device, and the rest of the output is dropped quietly."""

    def __init__(self, stream):
        self._stream = stream
        self.gone = stream is None  # started with standard output closed (>&-)

    def _left(self) -> None:
        self.gone = True
        with contextlib.suppress(Exception):  # so the interpreter's last flush fails neither
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())

    def write(self, text):
        if not self.gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._left()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._left()

    def __getattr__(self, name):
        if self._stream is None:
            raise AttributeError(name)
        return getattr(self._stream, name)


def finishes_without_reader(func):
    """Run a command with :class:`_ReaderMayLeave` as ``sys.stdout`` (train: the model is
    saved even when ``| head`` stops reading the progress)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        saved = sys.stdout
        sys.stdout = _ReaderMayLeave(saved)
        try:
            return func(*args, **kwargs)
        finally:
            sys.stdout = saved

    return wrapper


def _describe(e: Exception) -> tuple[str, int]:
    """The one-line message and exit status for an exception a command let through."""
    if isinstance(e, FloatingPointError | MemoryError):
        return _one_line(e), EXIT_FAILURE
    if isinstance(e, ValueError | TypeError | OSError | ImportError):
        return _one_line(e), EXIT_INPUT
    # a bug: still one line, with the way to the traceback
    return (f"internal error, {type(e).__name__}: {_one_line(e)} (run with SHALLOWNET_DEBUG=1 "
            "for the traceback)", EXIT_FAILURE)

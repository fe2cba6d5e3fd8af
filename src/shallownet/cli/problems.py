"""``shallownet problems``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import _console, app
from .errors import EXIT_FAILURE, _Fail, _friendly_errors, visible


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
        from ..problems import write_solutions
    except ImportError as e:
        if getattr(e, "name", "") not in ("shallownet.problems", None):
            raise
        raise _Fail("the worked problems are not available in this installation of "
                    "shallownet (shallownet.problems is missing)", EXIT_FAILURE) from None
    if out.exists() and not out.is_dir():
        raise _Fail(f"--out {out} is {'a file' if out.is_file() else 'not a folder'}; give a "
                    "folder for the solutions (it is created if missing)")
    if any(p.exists() and not p.is_dir() for p in out.parents):
        raise _Fail(f"--out {out}: {next(p for p in out.parents if p.exists() and not p.is_dir())}"
                    " is a file, not a folder; give a folder for the solutions")
    path = write_solutions(out)
    _console().print(f"solutions written to {visible(path)}", soft_wrap=True)


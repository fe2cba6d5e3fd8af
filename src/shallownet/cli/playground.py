"""``shallownet playground``."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import app
from .errors import _Fail, _friendly_errors


@app.command(short_help="The notes' network live in the browser.",
             epilog="Example:\n\n  shallownet playground --no-browser")
@_friendly_errors
def playground(
    host: Annotated[str, typer.Option(help="Address to listen on. Other than a loopback "
                                           "address it is reachable from other machines.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port; a taken "
                                                             "port tries the next ones).")]
    = 8765,
    no_browser: Annotated[bool, typer.Option("--no-browser",
                                             help="Do not open a browser.")] = False,
) -> None:
    """Start the playground: hand-set weights (Problems 1-3), Table 1 for any point, exact
    descriptions, training on 2-D data sets, model files in and out.

    Prints the page's URL, with its access token, on the first line. Ctrl-C stops it.
    Needs the playground extra: pip install 'shallownet[playground]'.
    """
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        raise _Fail(f"the playground needs {e.name}: pip install 'shallownet[playground]'") \
            from None
    from ..playground import serve

    serve(host, port, open_browser=not no_browser)

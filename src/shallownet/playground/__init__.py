"""``shallownet playground``: the notes' network live in the browser.

:func:`serve` runs the web application of :mod:`shallownet.playground.app` on uvicorn. The page
(``static/``: plain JavaScript, SVG and canvas, shipped inside the package, no CDN) only draws;
every number on it is computed by the library in this process.

Needs the ``playground`` extra: ``pip install 'shallownet[playground]'`` (Starlette, uvicorn).
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
import webbrowser

__all__ = ["serve", "start_in_thread", "is_loopback"]


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int, tries: int) -> socket.socket:
    """A listening socket on ``port`` or, when it is taken, one of the next ``tries - 1``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    last: OSError | None = None
    for p in range(port, port + tries) if port else [0]:
        # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on connections whose listening
        # socket says so; without it a response's body waits ~40 ms behind its headers (Nagle
        # and the client's delayed acknowledgement)
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), p))
        except OSError as exc:
            sock.close()
            last = exc
            continue
        sock.listen(128)
        return sock
    raise OSError(f"cannot listen on {host} port {port}"
                  + (f" to {port + tries - 1}" if tries > 1 else "")
                  + f" ({last.strerror if last else 'in use'}); pass another --port")


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True,
          token: str | None = None, out=None) -> None:
    """Run the playground until Ctrl-C.

    Prints the page's URL (with its access token) as the first line on ``out`` (stdout), warns
    on stderr when ``host`` is not a loopback address, and opens the browser unless
    ``open_browser`` is false. ``port=0`` picks a free port; a taken port tries the next ones.
    """
    import uvicorn

    from .app import allowed_hosts, create_app, new_token

    out = out or sys.stdout
    token = token or new_token()
    sock = _bind(host, port, 1 if port == 0 else 20)
    try:  # Ctrl-C at any moment from here on is a clean stop
        real_port = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{real_port}/?token={token}"
        print(url, file=out, flush=True)
        if not is_loopback(host):
            print(f"warning: the playground listens on {host}, reachable from other machines; "
                  "anyone with the URL (and its token) can use it", file=sys.stderr, flush=True)
        app = create_app(token, allowed_hosts(host), real_port)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        if open_browser:
            threading.Timer(0.5, webbrowser.open, args=(url,)).start()
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shuts down, then passes the Ctrl-C on
        pass
    finally:
        sock.close()
    print("playground stopped", file=out, flush=True)


def start_in_thread(token: str | None = None, host: str = "127.0.0.1"):
    """Run the playground on a free port in a background thread (for tests and benchmarks).

    Returns ``(url, stop)``: the page's URL with its token, and a function that stops the
    server and waits for it.
    """
    import time

    import uvicorn

    from .app import allowed_hosts, create_app, new_token

    token = token or new_token()
    sock = _bind(host, 0, 1)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(token, allowed_hosts(host), port),
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)
        sock.close()

    return f"http://{host}:{port}/?token={token}", stop

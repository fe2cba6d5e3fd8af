"""The playground's web application (ASGI, Starlette): the page and its JSON API.

The page (``static/``) only draws; every number it shows comes from the library through this
API: forward passes and Table 1 columns from :class:`~shallownet.Network` and
:func:`shallownet.explain.trace`, exact descriptions from
:func:`~shallownet.explain.describe_piecewise` and :func:`~shallownet.explain.describe_regions`,
training from :func:`shallownet.train`, model files from :mod:`shallownet.io`.

Safety
------
Every request must carry the access token (header ``X-Playground-Token``, query ``token=`` or
the cookie set when the page is opened with it), else 403. The ``Host`` header must name an
address the server answers on (a page elsewhere cannot reach it through DNS rebinding), else
403. Request bodies, N_h, data-set sizes, grids and epochs are bounded (413 / 400). The API has
no file-system access: model files are built in and read from private temporary folders, and an
uploaded file goes through :func:`shallownet.io.load` only.

Endpoints (all POST bodies are JSON, except ``/api/open``, which takes the file's bytes)
---------------------------------------------------------------------------------------------
``GET /``               the page
``GET /static/...``     its script, style sheet
``GET /api/config``     limits, data sets, presets (the notes' Problems 1-3)
``POST /api/evaluate``  a network -> Table 1 column at a point, 1-D curve or 2-D grid, exact
                        description
``POST /api/column``    a network and a point -> Table 1's column only (hovering the plot)
``POST /api/session``   a data set and a fresh network -> a training session
``POST /api/train``     advance a session by some epochs -> weights, losses, grid
``POST /api/model``     a network -> its shallownet model file (download)
``POST /api/trace``     a network and points -> their trace as Markdown (download)
``POST /api/open``      a model file's bytes -> the network in it
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import json
import math
import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import explain, io, problems
from ..network import Network
from ..optimizers import make_optimizer
from ..training import History, train
from . import toy
from .stepping import LbfgsRun

__all__ = ["LIMITS", "create_app", "allowed_hosts", "new_token"]

STATIC = Path(__file__).parent / "static"
TOKEN_HEADER = "x-playground-token"

#: What one request may ask for.
LIMITS = {
    "body_bytes": 1 << 20,       # request body (JSON or a model file)
    "N_h": 64,                    # hidden units
    "N_o": 10,                    # output units
    "points": 2000,               # data-set size
    "grid": 200,                  # grid side of the 2-D view
    "curve": 2000,                # samples of the 1-D plot
    "epochs_per_request": 100,
    "epochs_per_session": 20000,
    "sessions": 16,               # training sessions kept (least recently used dropped)
    "weight": 1e6,                # |weight|, |x|, view bounds
    "table_points": 50,           # columns of a trace
    "regions_N_h": 8,             # describe_regions enumerates 2^N_h activation patterns
}
OPTIMIZERS = ("adam", "sgd", "momentum", "lbfgs")


class BadRequest(Exception):
    """A request the API refuses; its message is the one line the page shows."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def new_token() -> str:
    return secrets.token_urlsafe(24)


def allowed_hosts(host: str) -> set[str]:
    """The host names a request may carry for a server listening on ``host``.

    A loopback server answers to its address and ``localhost``; a server on every interface
    (``0.0.0.0``, ``::``) to any IP address, ``localhost`` and this machine's name. A domain
    name that points at the machine (DNS rebinding) is refused either way.
    """
    import socket

    names = {host.strip("[]").lower(), "localhost"}
    if host in ("0.0.0.0", "::", ""):
        names |= {"*ip*", socket.gethostname().lower()}
    elif host.strip("[]") in ("127.0.0.1", "::1", "localhost"):
        names |= {"127.0.0.1", "::1"}
    return names


def _host_ok(header: str, hosts: set[str], port: int | None) -> bool:
    name, _, rest = header.rpartition("]") if header.startswith("[") else ("", "", header)
    if name:  # [v6]:port
        name, port_text = name[1:], rest.lstrip(":")
    else:
        name, _, port_text = header.partition(":")
    if port is not None and port_text and port_text != str(port):
        return False
    name = name.lower()
    if name in hosts:
        return True
    if "*ip*" in hosts:
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            return False
    return False


class Guard:
    """ASGI middleware: Host header check, then the token; 403 with one line otherwise.

    A page request that carries a valid ``?token=`` gets the token as a cookie (SameSite
    Strict, HttpOnly), so its script and style sheet load without it in their URLs.
    """

    def __init__(self, app, token: str, hosts: set[str], port: int | None):
        self.app, self.token, self.hosts, self.port = app, token, hosts, port
        self.cookie = f"shallownet-playground-{port or 0}"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if not _host_ok(headers.get("host", ""), self.hosts, self.port):
            return await _refuse(scope, receive, send, "this playground does not answer to the "
                                 f"host {headers.get('host', '')!r}; open the URL it printed")
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        offered = [headers.get(TOKEN_HEADER, ""), *query.get("token", [])]
        offered.append(_cookie(headers.get("cookie", ""), self.cookie))
        if not any(hmac.compare_digest(t.encode(), self.token.encode()) for t in offered if t):
            return await _refuse(scope, receive, send, "missing or wrong token; open the URL "
                                 "the playground printed (it ends in ?token=...)")
        if scope["path"] != "/" or not query.get("token"):
            return await self.app(scope, receive, send)
        cookie = (f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict").encode()

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        return await self.app(scope, receive, send_with_cookie)


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


async def _refuse(scope, receive, send, message: str) -> None:
    await JSONResponse({"error": message}, status_code=403)(scope, receive, send)


# ---------------------------------------------------------------------------- checking input
async def _body(request: Request) -> bytes:
    limit = LIMITS["body_bytes"]
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BadRequest(f"the request body is larger than {limit} bytes", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(f"the request body is larger than {limit} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)


async def _json(request: Request) -> dict:
    raw = await _body(request)
    try:
        doc = json.loads(raw or b"{}", parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the request body is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise BadRequest("the request body must be a JSON object")
    return doc


def _no_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _number(doc: dict, key: str, default=None, *, low=-math.inf, high=math.inf,
            integer=False, low_open=False):
    v = doc.get(key, default)
    kind = "an integer" if integer else "a number"
    if v is None or isinstance(v, bool) or not isinstance(v, int | float) or \
            (integer and not float(v).is_integer()):
        raise BadRequest(f"{key} must be {kind}, got {v!r}")
    if not (math.isfinite(v) and (v > low if low_open else v >= low) and v <= high):
        raise BadRequest(f"{key} must be {kind} in {'(' if low_open else '['}{low:g}, {high:g}],"
                         f" got {v!r}")
    return int(v) if integer else float(v)


def _choice(doc: dict, key: str, choices, default=None) -> str:
    v = doc.get(key, default)
    if v not in choices:
        raise BadRequest(f"{key} must be one of {', '.join(choices)}; got {v!r}")
    return v


def _matrix(name: str, value, rows: int | None = None, cols: int | None = None) -> np.ndarray:
    try:
        a = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise BadRequest(f"{name} must be a list of numbers") from None
    if a.ndim == 1 and cols is not None:
        raise BadRequest(f"{name} must be a matrix (a list of rows)")
    want = 2 if cols is not None else 1
    if a.ndim != want or (rows is not None and a.shape[0] != rows) or \
            (cols is not None and a.shape[1] != cols):
        shape = f"({rows if rows is not None else 'n'}" + (f", {cols})" if cols else ",)")
        raise BadRequest(f"{name} must have shape {shape}, got {list(a.shape)}")
    big = LIMITS["weight"]
    if not np.all(np.isfinite(a)) or np.any(np.abs(a) > big):
        raise BadRequest(f"{name} must hold finite numbers of size at most {big:g}")
    return a


def network_from(doc) -> Network:
    """The :class:`~shallownet.Network` a JSON network describes (checked and bounded)."""
    if not isinstance(doc, dict):
        raise BadRequest("network must be an object with W_H, b_H, W_O, b_O, activation, "
                         "output")
    activation = _choice(doc, "activation", ("threshold", "sigmoid", "relu"))
    output = _choice(doc, "output", ("binary", "multiclass", "regression"))
    W_H = np.array(doc.get("W_H"), dtype=object)
    if W_H.ndim != 2:
        raise BadRequest("W_H must be a matrix (N_h, N_i): one row per hidden unit")
    N_h, N_i = W_H.shape
    if N_i not in (1, 2):
        raise BadRequest(f"the playground shows networks with N_i = 1 or 2 inputs, not {N_i}")
    if not 1 <= N_h <= LIMITS["N_h"]:
        raise BadRequest(f"N_h must be in [1, {LIMITS['N_h']}], got {N_h}")
    W_O = np.array(doc.get("W_O"), dtype=object)
    N_o = W_O.shape[0] if W_O.ndim == 2 else 0
    if not 1 <= N_o <= LIMITS["N_o"]:
        raise BadRequest(f"W_O must be a matrix (N_o, N_h) with 1 <= N_o <= {LIMITS['N_o']}")
    arrays = {"W_H": _matrix("W_H", doc.get("W_H"), N_h, N_i),
              "b_H": _matrix("b_H", doc.get("b_H"), N_h),
              "W_O": _matrix("W_O", doc.get("W_O"), N_o, N_h),
              "b_O": _matrix("b_O", doc.get("b_O"), N_o)}
    try:
        return Network(**arrays, activation=activation, output=output)
    except (TypeError, ValueError) as exc:
        raise BadRequest(str(exc)) from None


def network_json(net: Network) -> dict:
    return {"W_H": net.W_H.tolist(), "b_H": net.b_H.tolist(), "W_O": net.W_O.tolist(),
            "b_O": net.b_O.tolist(), "activation": net.activation.name,
            "output": net.output.name}


def _bounds(doc, N_i: int) -> list[float]:
    big = LIMITS["weight"]
    default = [-6, 6] if N_i == 1 else [-3, 3, -3, 3]
    b = doc.get("bounds", default)
    if not (isinstance(b, list) and len(b) == 2 * N_i):
        raise BadRequest(f"bounds must be [x_min, x_max]{', y_min, y_max' * (N_i - 1)}")
    vals = [_number({"bounds": v}, "bounds", low=-big, high=big) for v in b]
    if any(vals[2 * k] >= vals[2 * k + 1] for k in range(N_i)):
        raise BadRequest("bounds must have each minimum below its maximum")
    return vals


# ---------------------------------------------------------------------------- what is drawn
def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def grid_view(net: Network, bounds: list[float], n: int) -> dict:
    """The 2-D view: y_hat and its confidence on an n x n grid, evaluated by the network.

    Rows run from y_max down to y_min (image order). ``label`` is y_hat (4)/(6); ``value`` is
    P(y=1|x) (3) for a binary output, the winning class's probability (5) for softmax and z_O
    (7) for regression, sent as one byte per point: ``range[0] + value / 255 * (range[1] -
    range[0])`` (the colours need no more). Both are base64 arrays of uint8.
    """
    x0, x1, y0, y1 = bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y1, y0, n)
    G = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    tr = net.forward(G)
    if net.output.name == "binary":
        value, label, lo, hi = tr.u_O[:, 0], tr.y_hat, 0.0, 1.0
    elif net.output.name == "multiclass":
        value, label, lo, hi = tr.u_O.max(axis=1), tr.y_hat, 0.0, 1.0
    else:
        value, label = tr.z_O[:, 0], np.zeros(len(G))
        lo, hi = float(value.min()), float(value.max())
    scaled = (value - lo) * (255 / (hi - lo)) if hi > lo else np.zeros_like(value)
    return {"n": n, "bounds": bounds, "value": _b64(np.rint(scaled).astype(np.uint8)),
            "label": _b64(np.asarray(label).astype(np.uint8)), "range": [lo, hi]}


def curve_view(net: Network, bounds: list[float], n: int) -> dict:
    """The 1-D view: y_hat(x) and every u_j^H(x) sampled at n points, evaluated by the network."""
    xs = np.linspace(bounds[0], bounds[1], n)
    tr = net.forward(xs[:, None])
    y_hat = tr.z_O[:, 0] if net.output.name == "regression" else tr.y_hat
    return {"x": xs.tolist(), "y_hat": np.asarray(y_hat, float).tolist(),
            "z_O": tr.z_O[:, 0].tolist(), "u_H": tr.u_H.T.tolist()}


def _end(v) -> float | None:
    return None if v in (math.inf, -math.inf) else float(v)


def piecewise_view(net: Network) -> dict:
    """:func:`explain.describe_piecewise` as JSON: text and the exact pieces of y_hat, z_O."""
    pw = explain.describe_piecewise(net)

    def pieces(items):
        return [{"lo": _end(p.lo), "hi": _end(p.hi), "lo_closed": p.lo_closed,
                 "hi_closed": p.hi_closed,
                 "z_O": None if p.z_O is None or isinstance(p.z_O, tuple) else float(p.z_O),
                 "y_hat": p.y_hat if isinstance(p.y_hat, int) else float(p.y_hat)
                 if not isinstance(p.y_hat, tuple) else None} for p in items]

    return {"units": pw.units, "z_O_text": pw.z_O_text, "y_hat_text": pw.y_hat_text,
            "breakpoints": [float(b) for b in pw.breakpoints],
            "intervals": pieces(pw.intervals), "y_hat_intervals": pieces(pw.y_hat_intervals)}


def _equation(key: str, net: Network) -> str:
    """The notes' equation numbers for a row of Table 1."""
    act, out = net.activation.name, net.output.name
    if key.startswith("x"):
        return ""
    if key.startswith("z_H"):
        return "(1a), (9a)"
    if key.startswith("u_H"):
        return "(1a), (2)" if act == "threshold" else "(1a)"
    if key.startswith("z_O"):
        return "(8), (9b)" if net.N_o == 1 else "(1b), (9b)"
    if key.startswith("u_O"):
        return {"binary": "(3)", "multiclass": "(5)", "regression": "(7)"}[out]
    if key.startswith("y_hat"):
        return {"binary": "(4)", "multiclass": "(6)", "regression": "(7)"}[out]
    return ""


def table_column(net: Network, point: list[float]) -> dict:
    """Table 1's column for one input, from :func:`explain.trace`, with equation numbers."""
    table = explain.trace(net, [point])
    return {"rows": [{"key": r.key, "label": r.text, "eq": _equation(r.key, net),
                      "value": float(r.values[0]),
                      "text": explain.format_number(r.values[0])} for r in table.rows]}


def _point(doc, N_i: int) -> list[float] | None:
    p = doc.get("point")
    if p is None:
        return None
    big = LIMITS["weight"]
    if not (isinstance(p, list) and len(p) == N_i):
        raise BadRequest(f"point must be a list of N_i = {N_i} numbers")
    return [_number({"point": v}, "point", low=-big, high=big) for v in p]


def describe(net: Network, doc: dict) -> dict:
    """Everything the page draws for a network: the view, the exact description, a column."""
    bounds = _bounds(doc, net.N_i)
    out: dict = {"network": network_json(net), "bounds": bounds}
    if net.N_i == 1:
        n = _number(doc, "samples", 401, low=2, high=LIMITS["curve"], integer=True)
        out["curve"] = curve_view(net, bounds, n)
        if net.activation.name == "threshold":
            out["piecewise"] = piecewise_view(net)
    else:
        n = _number(doc, "grid", 100, low=2, high=LIMITS["grid"], integer=True)
        out["grid"] = grid_view(net, bounds, n)
        if net.activation.name == "threshold" and net.output.name == "binary" and \
                net.N_h <= LIMITS["regions_N_h"]:
            out["regions"] = explain.describe_regions(net).text.splitlines()
    point = _point(doc, net.N_i)
    if point is not None:
        out["table"] = table_column(net, point)
    return out


# ---------------------------------------------------------------------------- training
@dataclass
class Session:
    """A network training on a data set, advanced a few epochs per request."""

    net: Network
    data: toy.ToyData
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    settings: dict
    optimizer: object = None
    history: History = field(default_factory=History)
    lbfgs: LbfgsRun | None = None  # the L-BFGS run under way, held between requests
    #: one request trains the session at a time (requests run in worker threads)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    #: dropped from the sessions' table (set under ``lock``): a request that found the
    #: session before and waited for the lock trains it no more
    dropped: bool = False

    def stop_lbfgs(self) -> None:
        """End the L-BFGS run under way (weights edited, session dropped)."""
        if self.lbfgs is not None:
            self.lbfgs.stop()
            self.lbfgs = None


_FORGOTTEN = "no such training session (the server forgot it); press reset"


def _stop(session: Session) -> None:
    """A dropped session's L-BFGS run ended, once its request (if one runs) is done."""
    with session.lock:
        session.dropped = True
        session.stop_lbfgs()


def _split(data: toy.ToyData, fraction: float, seed: int):
    from sklearn.model_selection import train_test_split

    stratify = data.y if data.output != "regression" else None
    return train_test_split(data.X, data.y, test_size=fraction, random_state=seed,
                            stratify=stratify)


def new_session(doc: dict) -> tuple[Session, dict]:
    name = _choice(doc, "dataset", tuple(toy.DATASETS))
    n = _number(doc, "n", 200, low=10, high=LIMITS["points"], integer=True)
    noise = _number(doc, "noise", 0.1, low=0, high=2)
    seed = _number(doc, "seed", 0, low=0, high=2**32 - 1, integer=True)
    fraction = _number(doc, "validation", 0.2, low=0.1, high=0.5)
    features = doc.get("features", [2, 3])
    if not (isinstance(features, list) and len(features) == 2 and
            all(isinstance(f, int) and not isinstance(f, bool) and 0 <= f < 4 for f in features)
            and features[0] != features[1]):
        raise BadRequest("features must be two different iris columns among 0, 1, 2, 3")
    N_h = _number(doc, "N_h", 8, low=1, high=LIMITS["N_h"], integer=True)
    activation = _choice(doc, "activation", ("threshold", "sigmoid", "relu"), "relu")
    settings = {
        "optimizer": _choice(doc, "optimizer", OPTIMIZERS, "adam"),
        "learning_rate": _number(doc, "learning_rate", 0.01, low=0, high=10, low_open=True),
        "batch_size": _number(doc, "batch_size", 32, low=1, high=LIMITS["points"],
                              integer=True),
        "l2": _number(doc, "l2", 0.0, low=0, high=10),
        "seed": seed,
    }
    data = toy.make(name, n, noise, seed, tuple(features))
    X_train, X_val, y_train, y_val = _split(data, fraction, seed)
    net = Network.init(data.X.shape[1], N_h, data.N_o, activation=activation,
                       output=data.output, seed=seed)
    session = Session(net, data, X_train, y_train, X_val, y_val, settings)
    points = {"X": data.X.tolist(), "y": data.y.tolist(),
              "validation": np.isin(np.arange(len(data.X)), _val_index(data, X_val)).tolist(),
              "feature_names": data.feature_names, "output": data.output}
    return session, points


def _val_index(data: toy.ToyData, X_val: np.ndarray) -> np.ndarray:
    # rows of X that went to the validation split (they are distinct points)
    lookup = {row.tobytes(): i for i, row in enumerate(data.X)}
    return np.array([lookup[row.tobytes()] for row in X_val])


def advance(session: Session, epochs: int) -> str | None:
    """Train ``session.net`` by ``epochs`` more epochs with :func:`shallownet.train`.

    The optimizer (and so Adam's moments) and the history carry over between calls. With
    ``lbfgs`` one ``train`` call runs across the requests (:class:`~.stepping.LbfgsRun`), so
    its curvature memory carries over too; ``epochs`` counts its iterations. A network that
    cannot be trained (threshold units) or that diverges raises ``BadRequest`` with the
    library's own explanation. Returns a note when training has stopped by itself (L-BFGS
    converged), else None.
    """
    s = session.settings
    done = session.history.epochs
    if done + epochs > LIMITS["epochs_per_session"]:
        raise BadRequest(f"this session has trained {done} epochs, the most one session may "
                         f"train is {LIMITS['epochs_per_session']}; press reset", 422)
    if s["optimizer"] == "lbfgs":
        if session.lbfgs is None or session.lbfgs.finished:
            session.lbfgs = LbfgsRun(session.net, session.X_train, session.y_train,
                                     (session.X_val, session.y_val), session.history,
                                     LIMITS["epochs_per_session"] - done, s["l2"])
        try:
            taken = session.lbfgs.advance(epochs)
        except (ValueError, FloatingPointError, TimeoutError) as exc:
            session.lbfgs = None
            raise BadRequest(str(exc), 422) from None
        if session.lbfgs.finished and taken < epochs:
            return (f"L-BFGS has converged after {session.history.epochs} iterations (the "
                    "gradient or the change in the loss fell below the library's tol)")
        return None
    if session.optimizer is None and session.net.activation.trainable:
        session.optimizer = make_optimizer(s["optimizer"], session.net.params,
                                           s["learning_rate"])
    try:
        train(session.net, session.X_train, session.y_train, epochs=epochs,
              batch_size=s["batch_size"], optimizer=session.optimizer or s["optimizer"],
              learning_rate=s["learning_rate"], l2=s["l2"], seed=s["seed"] + done,
              validation_data=(session.X_val, session.y_val), history=session.history)
    except (ValueError, FloatingPointError) as exc:
        raise BadRequest(str(exc), 422) from None
    return None


# ---------------------------------------------------------------------------- model files
def model_file(net: Network, metadata: dict | None = None) -> bytes:
    """The bytes of ``net``'s model file, written by :func:`shallownet.io.save`."""
    with tempfile.TemporaryDirectory(prefix="shallownet-playground-") as tmp:
        path = io.save(net, Path(tmp) / "model.safetensors", metadata=metadata)
        return Path(path).read_bytes()


def read_model(data: bytes, name: str = "the uploaded file") -> Network:
    """The network in a model file's bytes, through :func:`shallownet.io.load` only.

    The loader's message names the temporary copy; it is reworded to name the upload.
    """
    with tempfile.TemporaryDirectory(prefix="shallownet-playground-") as tmp:
        path = Path(tmp) / "model.safetensors"
        path.write_bytes(data)
        try:
            model = io.load(path)
        except (ValueError, TypeError, OSError) as exc:
            raise BadRequest(str(exc).replace(str(path), name), 422) from None
    net = getattr(model, "network_", model)
    if not isinstance(net, Network):  # pragma: no cover - io.load returns one of the two
        raise BadRequest(f"{name} holds no network", 422)
    if net.N_i not in (1, 2) or net.N_h > LIMITS["N_h"] or net.N_o > LIMITS["N_o"]:
        raise BadRequest(f"{name} holds a network with N_i = {net.N_i}, N_h = {net.N_h}, "
                         f"N_o = {net.N_o}; the playground shows N_i = 1 or 2, N_h <= "
                         f"{LIMITS['N_h']}, N_o <= {LIMITS['N_o']}", 422)
    return net


def trace_markdown(net: Network, points: list[list[float]], title: str = "") -> str:
    """The trace of ``points`` (Table 1) as Markdown, with the exact description if there is
    one."""
    lines = [f"# {title or 'shallownet playground'}", "", repr(net), ""]
    if points:
        lines += [explain.trace(net, points).to_markdown(), ""]
    if net.N_i == 1 and net.activation.name == "threshold":
        lines += ["## Exact description", "", *[f"- {t}" for t in
                                                explain.describe_piecewise(net).text.splitlines()],
                  ""]
    elif net.activation.name == "threshold" and net.output.name == "binary" and \
            net.N_h <= LIMITS["regions_N_h"]:
        lines += ["## Exact description", "", *[f"- {t}" for t in
                                                explain.describe_regions(net).text.splitlines()],
                  ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- the app
def presets() -> dict:
    """The notes' hand-set networks of section 1, Problems 1-3."""
    return {
        "problem1": {"title": "Problem 1", "network": network_json(problems.problem1()),
                     "bounds": [-1, 5], "point": [2.0]},
        "problem2": {"title": "Problem 2", "network": network_json(problems.problem2()),
                     "bounds": [-1, 6], "point": [problems.PROBLEM2_TEST_X],
                     "data": {"X": [[x] for x in problems.PROBLEM2_X],
                              "y": list(problems.PROBLEM2_Y)}},
        "problem3": {"title": "Problem 3", "network": network_json(problems.problem3()),
                     "bounds": [-1, 2, -1, 2], "point": [0.25, 0.25]},
    }


def create_app(token: str, hosts: set[str] | None = None, port: int | None = None):
    """The playground as an ASGI application.

    Parameters
    ----------
    token : str
        The access token every request must carry.
    hosts : set of str, optional
        Host names accepted in the ``Host`` header (:func:`allowed_hosts`); default loopback.
    port : int, optional
        The port served; a ``Host`` header naming another port is refused.
    """
    sessions: OrderedDict[str, Session] = OrderedDict()

    def api(handler):
        async def endpoint(request: Request):
            try:
                return await handler(request)
            except BadRequest as exc:
                return JSONResponse({"error": str(exc)}, status_code=exc.status)
        return endpoint

    async def index(request: Request):
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def config(request: Request):
        return JSONResponse({"limits": LIMITS, "datasets": toy.DATASETS,
                             "iris_features": toy.IRIS_FEATURES, "presets": presets(),
                             "optimizers": OPTIMIZERS})

    # The work of a request that computes (training, a view of the plane) runs in a worker
    # thread: in the server's event loop it held every other request meanwhile (the page's
    # hover requests waited for a 100-epoch step). The sessions' table stays the loop's.

    async def evaluate(request: Request):
        doc = await _json(request)
        return JSONResponse(await run_in_threadpool(
            lambda: describe(network_from(doc.get("network")), doc)))

    async def column(request: Request):
        # what hovering the plot asks for, many times a second: the column alone, no view
        doc = await _json(request)
        net = network_from(doc.get("network"))
        point = _point(doc, net.N_i)
        if point is None:
            raise BadRequest(f"point must be a list of N_i = {net.N_i} numbers")
        return JSONResponse({"point": point, "table": table_column(net, point)})

    async def session_new(request: Request):
        doc = await _json(request)

        def start():
            session, points = new_session(doc)
            bounds = doc.get("bounds") or _data_bounds(session.data.X)
            return session, points, describe(session.net, {**doc, "bounds": bounds,
                                                           "point": None})

        session, points, view = await run_in_threadpool(start)
        sid = secrets.token_hex(8)
        sessions[sid] = session
        while len(sessions) > LIMITS["sessions"]:
            dropped = sessions.popitem(last=False)[1]
            await run_in_threadpool(_stop, dropped)
        return JSONResponse({"session": sid, "data": points, **view})

    async def train_more(request: Request):
        doc = await _json(request)
        session = sessions.get(str(doc.get("session")))
        if session is None:
            raise BadRequest(_FORGOTTEN, 404)
        sessions.move_to_end(str(doc.get("session")))
        epochs = _number(doc, "epochs", 1, low=1, high=LIMITS["epochs_per_request"],
                         integer=True)
        out, timing = await run_in_threadpool(_train_more, session, doc, epochs)
        return JSONResponse(out, headers={"Server-Timing": timing})

    def _train_more(session: Session, doc: dict, epochs: int):
        with session.lock:  # two requests for one session: one after the other
            if session.dropped:  # (while this request waited: no L-BFGS run left behind)
                raise BadRequest(_FORGOTTEN, 404)
            return _train_locked(session, doc, epochs)

    def _train_locked(session: Session, doc: dict, epochs: int):
        if doc.get("network") is not None:  # weights edited on the page since the last step
            edited = network_from(doc["network"])
            if {k: v.shape for k, v in edited.params.items()} != \
                    {k: v.shape for k, v in session.net.params.items()} or \
                    edited.activation.name != session.net.activation.name:
                raise BadRequest("the edited network does not match the session's; press reset")
            session.stop_lbfgs()  # L-BFGS goes on from the edited weights, with a fresh memory
            session.net.set_params(**edited.params)
        before = session.history.epochs
        t0 = time.perf_counter()
        note = advance(session, epochs)
        t1 = time.perf_counter()
        h = session.history
        out = describe(session.net, {**doc, "point": doc.get("point")})
        out["history"] = {"from": before, "loss": h.loss[before:],
                          "val_loss": h.val_loss[before:], "val_score": h.val_score[before:],
                          "epochs": h.epochs, "stopped": note}
        t2 = time.perf_counter()
        # where a frame's time goes, for the page's own measurements (benchmarks/playground.py)
        return out, f"train;dur={(t1 - t0) * 1e3:.2f}, view;dur={(t2 - t1) * 1e3:.2f}"

    async def download_model(request: Request):
        doc = await _json(request)
        net = network_from(doc.get("network"))
        meta = {"source": "shallownet playground"}
        if isinstance(doc.get("state"), str) and len(doc["state"]) <= 20000:
            meta["playground_state"] = doc["state"]
        return Response(model_file(net, meta), media_type="application/octet-stream",
                        headers={"Content-Disposition":
                                 'attachment; filename="playground.safetensors"'})

    async def download_trace(request: Request):
        doc = await _json(request)
        net = network_from(doc.get("network"))
        points = doc.get("points") or []
        if not isinstance(points, list) or len(points) > LIMITS["table_points"]:
            raise BadRequest(f"points must be a list of at most {LIMITS['table_points']} inputs")
        pts = [_point({"point": p}, net.N_i) for p in points]
        return Response(trace_markdown(net, pts), media_type="text/markdown; charset=utf-8",
                        headers={"Content-Disposition":
                                 'attachment; filename="playground-trace.md"'})

    async def open_model(request: Request):
        data = await _body(request)
        name = "".join(c for c in request.headers.get("x-filename", "")[:100]
                       if c.isalnum() or c in "._- ") or "the uploaded file"
        net = read_model(data, name)
        return JSONResponse({"network": network_json(net)})

    routes = [
        Route("/", index),
        Route("/api/config", api(config)),
        Route("/api/evaluate", api(evaluate), methods=["POST"]),
        Route("/api/column", api(column), methods=["POST"]),
        Route("/api/session", api(session_new), methods=["POST"]),
        Route("/api/train", api(train_more), methods=["POST"]),
        Route("/api/model", api(download_model), methods=["POST"]),
        Route("/api/trace", api(download_trace), methods=["POST"]),
        Route("/api/open", api(open_model), methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    return Guard(app, token, hosts if hosts is not None else allowed_hosts("127.0.0.1"), port)


def _data_bounds(X: np.ndarray) -> list[float]:
    """A view around the data, padded by a tenth on each side."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.maximum((hi - lo) * 0.1, 0.1)
    return [round(float(v), 2) for pair in zip(lo - pad, hi + pad, strict=True) for v in pair]

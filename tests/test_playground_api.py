"""The playground's API (every endpoint, good and bad requests), with Starlette's test client.

Numbers are checked against the notes (Problem 2's Table 1 test column, Problem 3's regions)
and against the library called directly.
"""

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings

import numpy as np
import pytest

pytest.importorskip("starlette",
                    reason="the playground extra: pip install 'shallownet[playground]'")
pytest.importorskip("httpx", reason="Starlette's test client needs httpx")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # newer Starlette prefers another HTTP client package
    from starlette.testclient import TestClient

import shallownet as sn
from shallownet import explain, io, problems
from shallownet.playground import app as pg

TOKEN = "test-token"
H = {"X-Playground-Token": TOKEN}

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture
def client():
    return TestClient(pg.create_app(TOKEN, {"testserver"}))


def _net_json(net):
    return pg.network_json(net)


def _decode(b64, dtype):
    return np.frombuffer(base64.b64decode(b64), dtype=dtype)


# ---------------------------------------------------------------------------- token and host
@pytest.mark.parametrize("path", ["/", "/api/config", "/static/app.js", "/static/style.css"])
def test_every_request_needs_the_token(client, path):
    assert client.get(path).status_code == 403
    assert client.get(path, headers={"X-Playground-Token": "wrong"}).status_code == 403
    assert client.get(path, params={"token": "wrong"}).status_code == 403
    assert "token" in client.get(path).json()["error"]
    assert client.get(path, headers=H).status_code == 200


@pytest.mark.parametrize("path", ["/api/evaluate", "/api/column", "/api/session", "/api/train",
                                  "/api/model", "/api/trace", "/api/open"])
def test_post_endpoints_need_the_token(client, path):
    assert client.post(path, json={}).status_code == 403


def test_page_with_token_sets_a_strict_cookie_that_loads_the_script(client):
    r = client.get("/", params={"token": TOKEN})
    assert r.status_code == 200 and "<script src=\"static/app.js\">" in r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    fresh = TestClient(client.app)
    name, value = cookie.split(";")[0].split("=", 1)
    assert value == TOKEN
    assert fresh.get("/static/app.js", headers={"Cookie": f"{name}={value}"}).status_code == 200
    assert fresh.get("/static/app.js", headers={"Cookie": f"{name}=nope"}).status_code == 403


def test_wrong_host_is_refused_even_with_the_token(client):
    r = client.get("/api/config", headers={**H, "Host": "evil.example"})
    assert r.status_code == 403 and "host" in r.json()["error"]
    r = client.get("/api/config", headers={**H, "Host": "testserver"})
    assert r.status_code == 200


def test_allowed_hosts_refuse_rebinding_names():
    loop = pg.allowed_hosts("127.0.0.1")
    ok = pg._host_ok
    assert ok("127.0.0.1:8765", loop, 8765) and ok("localhost:8765", loop, 8765)
    assert ok("[::1]:8765", loop, 8765)
    assert not ok("127.0.0.1:9999", loop, 8765)          # another port
    assert not ok("attacker.example:8765", loop, 8765)   # DNS rebinding
    assert not ok("", loop, 8765)
    anywhere = pg.allowed_hosts("0.0.0.0")
    assert ok("192.168.1.20:8765", anywhere, 8765) and ok("[fe80::1]:8765", anywhere, 8765)
    assert not ok("attacker.example:8765", anywhere, 8765)


# ---------------------------------------------------------------------------- config, presets
def test_presets_are_the_notes_networks(client):
    cfg = client.get("/api/config", headers=H).json()
    for name, make in (("problem1", problems.problem1), ("problem2", problems.problem2),
                       ("problem3", problems.problem3)):
        got = cfg["presets"][name]["network"]
        net = make()
        for k, v in net.params.items():
            np.testing.assert_array_equal(np.array(got[k]), v)
        assert got["activation"] == "threshold" and got["output"] == "binary"
    assert cfg["limits"]["N_h"] >= 32
    assert {"blobs", "xor", "circles", "moons", "spiral", "iris", "curve"} <= set(cfg["datasets"])


# ---------------------------------------------------------------------------- evaluate
def test_problem2_at_3_5_gives_the_corrected_table1_test_column(client):
    body = {"network": _net_json(problems.problem2()), "bounds": [-1, 6], "point": [3.5]}
    r = client.post("/api/evaluate", headers=H, json=body)
    assert r.status_code == 200
    rows = {row["key"]: row for row in r.json()["table"]["rows"]}
    # the notes' corrected Table 1, test column: z_H = (1.5, -0.5), u_H = (1, 0), z_O = 0.5
    assert [rows[k]["value"] for k in ("z_H1", "z_H2", "u_H1", "u_H2", "z_O", "y_hat")] == \
        [1.5, -0.5, 1, 0, 0.5, 1]
    assert rows["z_O"]["text"] == "0.5" and rows["z_O"]["eq"] == "(8), (9b)"
    assert rows["y_hat"]["eq"] == "(4)" and rows["u_H1"]["eq"] == "(1a), (2)"
    pw = r.json()["piecewise"]
    assert pw["y_hat_text"] == "y_hat = 1 for x in [2, 4), 0 otherwise"
    ones = [p for p in pw["y_hat_intervals"] if p["y_hat"] == 1]
    assert ones == [{"lo": 2.0, "hi": 4.0, "lo_closed": True, "hi_closed": False, "z_O": None,
                     "y_hat": 1}]


def test_column_alone_is_the_traces_column(client):
    # what hovering asks for: the same column as /api/evaluate, without the view
    body = {"network": _net_json(problems.problem3()), "point": [0.25, 0.75]}
    r = client.post("/api/column", headers=H, json=body)
    assert r.status_code == 200 and set(r.json()) == {"point", "table"}
    full = client.post("/api/evaluate", headers=H, json={**body, "bounds": [-1, 2, -1, 2]})
    assert r.json()["table"] == full.json()["table"]
    trace = explain.trace(problems.problem3(), [[0.25, 0.75]])
    assert [row["value"] for row in r.json()["table"]["rows"]] == \
        [float(row.values[0]) for row in trace.rows]
    r = client.post("/api/column", headers=H, json={"network": _net_json(problems.problem2()),
                                                    "point": [3.5]})
    rows = {row["key"]: row["value"] for row in r.json()["table"]["rows"]}
    assert (rows["z_O"], rows["y_hat"]) == (0.5, 1)  # the notes' corrected test column
    for bad, word in (({**body, "point": None}, "point"), ({**body, "point": [1]}, "point"),
                      ({**body, "point": [1, float("nan")]}, "JSON"),
                      ({"point": [1, 2]}, "network")):
        r = client.post("/api/column", headers=H, content=json.dumps(bad).encode())
        assert r.status_code == 400 and word in r.json()["error"], (bad, r.json())


def test_the_1d_curve_is_the_networks_own(client):
    net = sn.Network(W_H=[[1.5], [-2]], b_H=[0.5, 1], W_O=[1, -0.5], b_O=0.25,
                     activation="sigmoid", output="regression")
    r = client.post("/api/evaluate", headers=H,
                    json={"network": _net_json(net), "bounds": [-2, 2], "samples": 9})
    c = r.json()["curve"]
    x = np.linspace(-2, 2, 9)
    tr = net.forward(x[:, None])
    np.testing.assert_allclose(c["x"], x)
    np.testing.assert_allclose(c["y_hat"], tr.z_O[:, 0])
    np.testing.assert_allclose(np.array(c["u_H"]).T, tr.u_H)
    assert "piecewise" not in r.json()  # sigmoid units have no piecewise-constant description


def test_problem3_grid_and_regions(client):
    body = {"network": _net_json(problems.problem3()), "bounds": [-1, 2, -1, 2], "grid": 31,
            "point": [0.25, 0.25]}
    r = client.post("/api/evaluate", headers=H, json=body).json()
    g = r["grid"]
    labels = _decode(g["label"], np.uint8).reshape(31, 31)
    # independent reference: the notes' region x_1 >= 0, x_2 >= 0, x_1 + x_2 < 1 (Problem 3)
    xs, ys = np.linspace(-1, 2, 31), np.linspace(2, -1, 31)
    X1, X2 = np.meshgrid(xs, ys)
    inside = (X1 >= 0) & (X2 >= 0) & (X1 + X2 < 1)
    np.testing.assert_array_equal(labels.astype(bool), inside)
    assert r["regions"][-1] == "y_hat = 1 where x_1 >= 0, x_2 >= 0, x_1 + x_2 < 1; 0 elsewhere"
    rows = {row["key"]: row["value"] for row in r["table"]["rows"]}
    assert rows["z_O"] == 0.5 and rows["y_hat"] == 1


def test_multiclass_grid_values_are_the_softmax_maximum(client):
    net = sn.Network.init(2, 5, 3, activation="sigmoid", output="multiclass", seed=1,
                          dtype=np.float64)
    r = client.post("/api/evaluate", headers=H,
                    json={"network": _net_json(net), "bounds": [-1, 1, -1, 1], "grid": 4}).json()
    xs, ys = np.linspace(-1, 1, 4), np.linspace(1, -1, 4)
    G = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    lo, hi = r["grid"]["range"]
    value = lo + _decode(r["grid"]["value"], np.uint8) / 255 * (hi - lo)
    np.testing.assert_allclose(value, net.predict_proba(G).max(axis=1), atol=0.5 / 255 + 1e-7)
    np.testing.assert_array_equal(_decode(r["grid"]["label"], np.uint8), net.predict(G))


def _bad(client, body, status=400, path="/api/evaluate"):
    r = client.post(path, headers=H, json=body) if not isinstance(body, bytes) else \
        client.post(path, headers={**H, "Content-Type": "application/json"}, content=body)
    assert r.status_code == status, r.text
    return r.json()["error"]


def test_evaluate_refuses_bad_networks(client):
    good = _net_json(problems.problem2())
    assert "N_h must be in [1, 64]" in _bad(client, {"network": {
        **good, "W_H": [[1]] * 65, "b_H": [0] * 65, "W_O": [[1] * 65]}})
    assert "N_i = 1 or 2" in _bad(client, {"network": {**good, "W_H": [[1, 2, 3], [1, 2, 3]]}})
    assert "activation must be one of" in _bad(client, {"network": {**good,
                                                                    "activation": "tanh"}})
    assert "output must be one of" in _bad(client, {"network": {**good, "output": None}})
    assert "finite numbers" in _bad(client, {"network": {**good, "b_O": [1e300]}})
    assert "b_H must have shape (2,)" in _bad(client, {"network": {**good, "b_H": [1, 2, 3]}})
    assert "W_O must be a matrix" in _bad(client, {"network": {**good, "W_O": [1, -2]}})
    assert "W_H must be a list of numbers" in _bad(client, {"network": {
        **good, "W_H": [["a"], ["b"]]}})
    assert "network must be an object" in _bad(client, {"network": [1, 2]})
    assert "one unit" in _bad(client, {"network": {**good, "output": "multiclass"}})


def test_evaluate_refuses_bad_views_and_bodies(client):
    good = _net_json(problems.problem2())
    assert "grid must be an integer in [2, 200]" in _bad(
        client, {"network": _net_json(problems.problem3()), "grid": 201})
    assert "samples must be an integer" in _bad(client, {"network": good, "samples": 2.5})
    assert "minimum below its maximum" in _bad(client, {"network": good, "bounds": [3, 1]})
    assert "bounds must be" in _bad(client, {"network": good, "bounds": [0, 1, 2, 3]})
    assert "point must be a list" in _bad(client, {"network": good, "point": [1, 2]})
    assert "not valid JSON" in _bad(client, b"{not json")
    assert "NaN is not a number JSON allows" in _bad(client, b'{"network": {"b_O": NaN}}')
    assert "must be a JSON object" in _bad(client, b"[1, 2]")


def test_oversize_bodies_are_refused(client):
    big = b'{"pad": "' + b"x" * (pg.LIMITS["body_bytes"] + 10) + b'"}'
    assert "larger than" in _bad(client, big, 413)

    def chunks():  # no Content-Length: the limit holds on the bytes that arrive
        yield b'{"pad": "'
        for _ in range(20):
            yield b"x" * 100_000
        yield b'"}'

    r = client.post("/api/evaluate", headers={**H, "Content-Type": "application/json"},
                    content=chunks())
    assert r.status_code == 413


def test_no_file_system_through_the_api(client):
    for path in ["/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2F__init__.py",
                 "/api/open?path=/etc/passwd", "/etc/passwd"]:
        r = client.get(path, headers=H)
        assert r.status_code in (404, 405), path
        assert b"import" not in r.content and b"root:" not in r.content


# ---------------------------------------------------------------------------- training
def test_training_xor_step_by_step_reaches_high_validation_accuracy(client):
    r = client.post("/api/session", headers=H, json={
        "dataset": "xor", "n": 400, "noise": 0, "seed": 0, "N_h": 8, "activation": "relu",
        "learning_rate": 0.03, "batch_size": 16})
    assert r.status_code == 200
    s = r.json()
    assert len(s["data"]["X"]) == 400 and sum(s["data"]["validation"]) == 80
    assert "grid" in s and len(s["network"]["W_H"]) == 8
    sid, epochs = s["session"], 0
    for _ in range(3):
        t = client.post("/api/train", headers=H, json={"session": sid, "epochs": 50}).json()
        assert t["history"]["from"] == epochs and len(t["history"]["loss"]) == 50
        epochs = t["history"]["epochs"]
    assert epochs == 150
    assert t["history"]["val_score"][-1] >= 0.95
    assert t["history"]["loss"][-1] < t["history"]["loss"][0]


def test_training_matches_the_library_called_directly(client):
    body = {"dataset": "moons", "n": 100, "noise": 0.1, "seed": 3, "N_h": 4,
            "activation": "sigmoid", "optimizer": "sgd", "learning_rate": 0.1, "batch_size": 10}
    s = client.post("/api/session", headers=H, json=body).json()
    t = client.post("/api/train", headers=H, json={"session": s["session"], "epochs": 3}).json()
    # the same split, network and three epochs through shallownet.train
    session, _ = pg.new_session(body)
    net = session.net
    hist = sn.train(net, session.X_train, session.y_train, epochs=3, batch_size=10,
                    optimizer="sgd", learning_rate=0.1, seed=3,
                    validation_data=(session.X_val, session.y_val))
    np.testing.assert_allclose(np.array(t["network"]["W_H"]), net.W_H, rtol=1e-5)
    np.testing.assert_allclose(t["history"]["val_loss"], hist.val_loss, rtol=1e-5)


def test_a_long_training_request_does_not_hold_the_others():
    """A 100-epoch step ran in the server's event loop, so every other request (the page's
    hover requests many times a second, another tab's) waited for it. The work now runs in
    a worker thread; two requests for one session still train it one after the other."""
    import threading

    with TestClient(pg.create_app(TOKEN, {"testserver"})) as one_loop:  # one event loop
        sid = one_loop.post("/api/session", headers=H, json={
            "dataset": "spiral", "n": 2000, "noise": 0.1, "seed": 0, "N_h": 64,
            "activation": "relu", "batch_size": 4}).json()["session"]
        done, results = threading.Event(), []

        def train():
            results.append(one_loop.post("/api/train", headers=H,
                                         json={"session": sid, "epochs": 50}).json())
            done.set()

        first = threading.Thread(target=train)
        first.start()
        time.sleep(0.05)
        hover = {"network": _net_json(problems.problem3()), "point": [0.25, 0.75]}
        served = 0
        while not done.is_set() and served < 3:
            assert one_loop.post("/api/column", headers=H, json=hover).status_code == 200
            served += not done.is_set()
        second = threading.Thread(target=train)
        second.start()
        first.join()
        second.join()
    assert served == 3
    # the two requests trained in turn: 50 epochs each, the second from where the first ended
    assert sorted(r["history"]["from"] for r in results) == [0, 50]
    assert max(r["history"]["epochs"] for r in results) == 100


LBFGS_BODY = {"dataset": "moons", "n": 120, "noise": 0.1, "seed": 5, "N_h": 6,
              "activation": "sigmoid", "optimizer": "lbfgs", "l2": 0.001}


def _lbfgs_direct(steps, edit=None):
    """The same session's network trained by shallownet.train with L-BFGS: ``steps`` is a list
    of iteration counts, one train call each; ``edit`` (parameters) is set after the first."""
    session, _ = pg.new_session(LBFGS_BODY)
    net, hist = session.net, sn.History()
    for i, k in enumerate(steps):
        sn.train(net, session.X_train, session.y_train, epochs=k, optimizer="lbfgs", l2=0.001,
                 validation_data=(session.X_val, session.y_val), history=hist)
        if edit is not None and i == 0:
            net.set_params(**edit)
    return net, hist


def test_lbfgs_steps_are_one_run_of_the_library(client):
    # five requests of one iteration and one of three: the same eight iterations as one call
    # of shallownet.train(optimizer="lbfgs", epochs=8); the curvature memory carries over
    s = client.post("/api/session", headers=H, json=LBFGS_BODY).json()
    for k in (1, 1, 1, 1, 1, 3):
        t = client.post("/api/train", headers=H, json={"session": s["session"], "epochs": k})
        assert t.status_code == 200, t.json()
        assert t.json()["history"]["epochs"] == len(t.json()["history"]["loss"]) + \
            t.json()["history"]["from"] and t.json()["history"]["stopped"] is None
    t = t.json()
    assert t["history"]["epochs"] == 8
    net, hist = _lbfgs_direct([8])
    np.testing.assert_allclose(np.array(t["network"]["W_H"]), net.W_H, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(t["history"]["val_loss"], hist.val_loss[5:], rtol=1e-9)
    # L-BFGS started afresh at each request would be another algorithm, and other weights
    restarted, _ = _lbfgs_direct([1, 1, 1, 1, 1, 3])
    assert not np.allclose(restarted.W_H, net.W_H, rtol=1e-6)


def test_lbfgs_goes_on_from_weights_edited_on_the_page(client):
    s = client.post("/api/session", headers=H, json=LBFGS_BODY).json()
    t = client.post("/api/train", headers=H, json={"session": s["session"], "epochs": 3}).json()
    edited = t["network"]
    edited["W_O"] = [[-v for v in edited["W_O"][0]]]
    t = client.post("/api/train", headers=H, json={"session": s["session"], "epochs": 2,
                                                   "network": edited}).json()
    assert t["history"]["epochs"] == 5
    # as the library does it: three iterations, the edit, then a new run of two
    net, _ = _lbfgs_direct([3, 2], edit={"W_O": np.array(edited["W_O"])})
    np.testing.assert_allclose(np.array(t["network"]["W_H"]), net.W_H, rtol=1e-9, atol=1e-12)


def test_lbfgs_says_when_it_has_converged(client, monkeypatch):
    from shallownet.solvers import lbfgs

    monkeypatch.setattr(lbfgs, "DEFAULT_TOL", 10.0)  # every gradient is small enough
    s = client.post("/api/session", headers=H, json=LBFGS_BODY).json()
    t = client.post("/api/train", headers=H, json={"session": s["session"], "epochs": 5}).json()
    assert t["history"]["epochs"] < 5 and "converged" in t["history"]["stopped"]


def test_lbfgs_refuses_threshold_units_with_the_librarys_message(client):
    s = client.post("/api/session", headers=H,
                    json={**LBFGS_BODY, "activation": "threshold"}).json()
    r = client.post("/api/train", headers=H, json={"session": s["session"]})
    with pytest.raises(ValueError) as direct:
        sn.train(sn.Network.init(2, 2, activation="threshold"), [[0, 0]], [0],
                 optimizer="lbfgs")
    assert r.status_code == 422 and r.json()["error"] == str(direct.value)


def test_dropped_sessions_end_their_lbfgs_runs(client, monkeypatch):
    import threading

    monkeypatch.setitem(pg.LIMITS, "sessions", 2)
    running = lambda: sum(t.name == "shallownet-playground-lbfgs" and t.is_alive()  # noqa: E731
                          for t in threading.enumerate())
    before = running()
    for _ in range(4):
        s = client.post("/api/session", headers=H, json=LBFGS_BODY).json()
        assert client.post("/api/train", headers=H,
                           json={"session": s["session"]}).status_code == 200
    assert running() - before <= 2  # the two sessions kept hold their runs, no more


def test_a_request_waiting_for_a_dropped_session_does_not_train_it(monkeypatch):
    """A second train request for a session waited for its lock while the first trained; a
    new session meanwhile dropped it (the table full) and stopped its L-BFGS run. The waiting
    request then trained the dropped session and started a new run that nothing would ever
    stop (a thread held for good, with the session's data). It is now told the session is
    gone. The lock lets the drop in before the waiting request, the order in question."""
    import threading

    class DropFirst:
        """The session's lock, the second taker (the waiting request) let in after the third
        (the drop) is done."""

        def __init__(self):
            self.inner, self.takers, self.mine = threading.Lock(), [], threading.local()
            self.dropped = threading.Event()

        def __enter__(self):
            self.takers.append(None)
            self.mine.k = len(self.takers)
            if self.mine.k == 2:
                assert self.dropped.wait(30)
            self.inner.acquire()

        def __exit__(self, *exc):
            self.inner.release()
            if self.mine.k == 3:
                self.dropped.set()

    monkeypatch.setitem(pg.LIMITS, "sessions", 1)
    made, real_new, real_advance = [], pg.new_session, pg.advance
    monkeypatch.setattr(pg, "new_session", lambda doc: made.append(real_new(doc)) or made[-1])
    entered, release = threading.Event(), threading.Event()

    def held_advance(session, epochs):
        if not entered.is_set():
            entered.set()
            assert release.wait(30)
        return real_advance(session, epochs)

    monkeypatch.setattr(pg, "advance", held_advance)
    running = lambda: sum(t.name == "shallownet-playground-lbfgs" and t.is_alive()  # noqa: E731
                          for t in threading.enumerate())
    before = running()
    with TestClient(pg.create_app(TOKEN, {"testserver"})) as one_loop:
        sid = one_loop.post("/api/session", headers=H, json=LBFGS_BODY).json()["session"]
        lock = made[0][0].lock = DropFirst()
        answers = {}

        def post(name, path, body):
            answers[name] = one_loop.post(path, headers=H, json=body)

        def start(name, path, body, takers):
            thread = threading.Thread(target=post, args=(name, path, body))
            thread.start()
            deadline = time.monotonic() + 30
            while len(lock.takers) < takers and time.monotonic() < deadline:
                time.sleep(0.005)
            return thread

        threads = [start("first", "/api/train", {"session": sid, "epochs": 2}, 1)]
        assert entered.wait(30)
        threads.append(start("waiting", "/api/train", {"session": sid, "epochs": 2}, 2))
        threads.append(start("new", "/api/session", LBFGS_BODY, 3))
        assert len(lock.takers) == 3
        release.set()
        for thread in threads:
            thread.join(60)
    assert answers["first"].status_code == 200 and answers["new"].status_code == 200
    assert answers["waiting"].status_code == 404, answers["waiting"].text[:200]
    assert "no such training session" in answers["waiting"].json()["error"]
    assert running() == before  # the dropped session's run ended; none was started after


@pytest.mark.parametrize("name,output,N_i,N_o", [
    ("blobs", "binary", 2, 1), ("circles", "binary", 2, 1), ("spiral", "binary", 2, 1),
    ("iris", "multiclass", 2, 3), ("curve", "regression", 1, 1)])
def test_every_data_set_trains(client, name, output, N_i, N_o):
    s = client.post("/api/session", headers=H, json={"dataset": name, "n": 60,
                                                     "features": [0, 2]}).json()
    assert s["data"]["output"] == output
    assert np.array(s["network"]["W_H"]).shape == (8, N_i) and len(s["network"]["b_O"]) == N_o
    t = client.post("/api/train", headers=H, json={"session": s["session"], "epochs": 2})
    assert t.status_code == 200 and len(t.json()["history"]["val_score"]) == 2
    assert ("curve" if N_i == 1 else "grid") in t.json()


def test_threshold_training_shows_the_librarys_explanation(client):
    s = client.post("/api/session", headers=H,
                    json={"dataset": "xor", "activation": "threshold"}).json()
    r = client.post("/api/train", headers=H, json={"session": s["session"], "epochs": 1})
    assert r.status_code == 422
    with pytest.raises(ValueError) as direct:
        sn.train(sn.Network.init(2, 2, activation="threshold"), [[0, 0]], [0])
    assert r.json()["error"] == str(direct.value)


def test_training_refuses_bad_requests(client, monkeypatch):
    assert "dataset must be one of" in _bad(client, {"dataset": "mnist"}, path="/api/session")
    assert "n must be an integer in [10, 2000]" in _bad(client, {"dataset": "xor", "n": 5000},
                                                       path="/api/session")
    assert "N_h must be an integer in [1, 64]" in _bad(client, {"dataset": "xor", "N_h": 0},
                                                      path="/api/session")
    assert "learning_rate must be a number in (0, 10]" in _bad(
        client, {"dataset": "xor", "learning_rate": 0}, path="/api/session")
    assert "features must be two different" in _bad(
        client, {"dataset": "iris", "features": [1, 1]}, path="/api/session")
    assert "no such training session" in _bad(client, {"session": "nope"}, 404, "/api/train")
    sid = client.post("/api/session", headers=H, json={"dataset": "xor", "n": 20}).json()
    sid = sid["session"]
    assert "epochs must be an integer in [1, 100]" in _bad(
        client, {"session": sid, "epochs": 101}, path="/api/train")
    assert "does not match the session" in _bad(
        client, {"session": sid, "network": _net_json(problems.problem3())}, path="/api/train")
    monkeypatch.setitem(pg.LIMITS, "epochs_per_session", 3)
    assert client.post("/api/train", headers=H, json={"session": sid, "epochs": 3}).is_success
    assert "press reset" in _bad(client, {"session": sid, "epochs": 1}, 422, "/api/train")


def test_edited_weights_reach_the_session(client):
    s = client.post("/api/session", headers=H, json={"dataset": "blobs", "n": 20, "N_h": 2,
                                                     "optimizer": "sgd",
                                                     "learning_rate": 1e-9}).json()
    edited = {**s["network"], "W_H": [[3.0, -1.0], [0.5, 2.0]]}
    t = client.post("/api/train", headers=H,
                    json={"session": s["session"], "epochs": 1, "network": edited}).json()
    np.testing.assert_allclose(t["network"]["W_H"], edited["W_H"], rtol=1e-5)


def test_sessions_are_bounded(client, monkeypatch):
    monkeypatch.setitem(pg.LIMITS, "sessions", 2)
    ids = [client.post("/api/session", headers=H, json={"dataset": "xor", "n": 10}).json()
           ["session"] for _ in range(3)]
    assert _bad(client, {"session": ids[0]}, 404, "/api/train")
    assert client.post("/api/train", headers=H, json={"session": ids[2]}).is_success


# ---------------------------------------------------------------------------- files
def test_download_model_is_a_shallownet_model_file(client, tmp_path):
    net = problems.problem2()
    r = client.post("/api/model", headers=H, json={"network": _net_json(net), "state": "abc"})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    path = tmp_path / "m.safetensors"
    path.write_bytes(r.content)
    loaded = io.load(path)
    for k, v in net.params.items():
        np.testing.assert_array_equal(loaded.params[k], v)
    assert loaded.activation.name == "threshold"
    assert io.describe(path)["metadata"]["playground_state"] == "abc"


def test_download_trace_is_table1_as_markdown(client):
    r = client.post("/api/trace", headers=H, json={
        "network": _net_json(problems.problem2()), "points": [[0], [1], [3], [5], [3.5]]})
    assert r.status_code == 200
    expected = explain.trace(problems.problem2(), [0, 1, 3, 5, 3.5]).to_markdown()
    assert expected in r.text
    assert "y_hat = 1 for x in [2, 4), 0 otherwise" in r.text
    assert "at most 50" in _bad(client, {"network": _net_json(problems.problem2()),
                                         "points": [[0]] * 51}, path="/api/trace")


def test_open_model_round_trip(client):
    net = sn.Network.init(2, 5, 3, activation="relu", output="multiclass", seed=0)
    data = client.post("/api/model", headers=H, json={"network": _net_json(net)}).content
    r = client.post("/api/open", headers={**H, "X-Filename": "mine.safetensors"}, content=data)
    assert r.status_code == 200
    got = r.json()["network"]
    np.testing.assert_array_equal(np.array(got["W_O"], dtype=np.float32), net.W_O)
    assert got["output"] == "multiclass"


def test_open_model_refuses_invalid_files_with_the_loaders_message(client, tmp_path):
    good = client.post("/api/model", headers=H,
                       json={"network": _net_json(problems.problem2())}).content
    for data in [b"", b"not a model file at all", good[:-3], good + b"xx",
                 good[:-1] + bytes([good[-1] ^ 1])]:
        r = client.post("/api/open", headers={**H, "X-Filename": "../../evil name?.safetensors"},
                        content=data)
        assert r.status_code == 422, data[:30]
        msg = r.json()["error"]
        path = tmp_path / "x.safetensors"
        path.write_bytes(data)
        with pytest.raises(ValueError) as direct:
            io.load(path)
        # the loader's own message, naming the upload (cleaned) instead of a temporary path
        assert msg == str(direct.value).replace(str(path), "....evil name.safetensors")
        assert "/tmp" not in msg


def test_open_model_refuses_networks_the_page_cannot_show(client, tmp_path):
    path = io.save(sn.Network.init(4, 3, seed=0), tmp_path / "wide.safetensors")
    r = client.post("/api/open", headers=H, content=path.read_bytes())
    assert r.status_code == 422 and "N_i = 4" in r.json()["error"]
    r = client.post("/api/open", headers=H, content=b"x" * (pg.LIMITS["body_bytes"] + 1))
    assert r.status_code == 413


def test_open_model_accepts_a_trained_estimator(client, tmp_path):
    from sklearn.datasets import make_moons

    X, y = make_moons(60, random_state=0)
    clf = sn.Classifier(hidden_units=4, epochs=2, random_state=0).fit(X, y)
    path = io.save(clf, tmp_path / "clf.safetensors")
    r = client.post("/api/open", headers=H, content=path.read_bytes())
    assert r.status_code == 200
    np.testing.assert_array_equal(np.array(r.json()["network"]["W_H"], np.float32),
                                  clf.network_.W_H)


# ---------------------------------------------------------------------------- the command
def test_command_prints_the_url_first_and_stops_on_ctrl_c():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "shallownet.cli", "playground", "--port", "0",
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url
        for _ in range(100):  # the server starts listening right after printing the URL
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    page = response.read().decode()
                break
            except urllib.error.URLError:
                time.sleep(0.05)
        assert "shallownet playground" in page
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(url.split("?")[0] + "api/config", timeout=5)
        assert denied.value.code == 403
        denied.value.close()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "playground stopped" in out and "Traceback" not in err


def test_command_warns_when_not_on_loopback():
    import shallownet.playground as play

    assert play.is_loopback("127.0.0.1") and play.is_loopback("::1")
    assert play.is_loopback("localhost") and not play.is_loopback("0.0.0.0")
    assert not play.is_loopback("192.168.0.2")
    proc = subprocess.Popen([sys.executable, "-m", "shallownet.cli", "playground", "--host",
                             "0.0.0.0", "--port", "0", "--no-browser"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout.readline().startswith("http://0.0.0.0:")
        warning = proc.stderr.readline()
        assert warning.startswith("warning: the playground listens on 0.0.0.0")
        proc.send_signal(signal.SIGINT)  # at once, while the server may still be starting
        proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0


def test_command_without_the_extra_names_it(monkeypatch):
    from typer.testing import CliRunner

    from shallownet.cli import app

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    result = CliRunner().invoke(app, ["playground", "--no-browser"])
    assert result.exit_code == 2
    assert "pip install 'shallownet[playground]'" in result.output


def test_static_files_ship_as_package_data():
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = spec["package-data"]["shallownet.playground"]
    static = root / "src" / "shallownet" / "playground" / "static"
    shipped = {p.name for pat in patterns for p in static.parent.glob(pat)}
    assert shipped == {p.name for p in static.iterdir()} == {"index.html", "app.js",
                                                             "style.css"}
    # no file the page loads comes from elsewhere (offline; no CDN)
    for name in shipped:
        text = (static / name).read_text()
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text
    assert json.loads(json.dumps(pg.LIMITS)) == pg.LIMITS


def test_connections_send_without_delay():
    # uvicorn serves the playground's own listening socket through asyncio, which turns Nagle's
    # algorithm off (TCP_NODELAY) only on connections of a socket made with IPPROTO_TCP; with
    # Nagle on, every response's body waited ~40 ms behind its headers (the client's delayed
    # acknowledgement), which capped training in the browser at ~18 frames/s
    import asyncio
    import socket

    from shallownet.playground import _bind

    async def accept_one() -> int:
        seen = asyncio.get_running_loop().create_future()

        class Protocol(asyncio.Protocol):
            def connection_made(self, transport):
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        listening = _bind("127.0.0.1", 0, 1)
        server = await asyncio.get_running_loop().create_server(Protocol, sock=listening)
        try:
            port = listening.getsockname()[1]
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            result = await asyncio.wait_for(seen, 10)
            writer.close()
            return result
        finally:
            server.close()
            await server.wait_closed()

    assert asyncio.run(accept_one()) != 0

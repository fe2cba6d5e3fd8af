"""The playground in a real browser: Playwright driving Debian's Chromium.

Playwright cannot download its own browser here, so these tests use the system's
(``/usr/bin/chromium``, or ``SHALLOWNET_CHROMIUM``). Without it they skip, naming the package;
CI (``.ci/run``) installs it and sets ``SHALLOWNET_REQUIRE_BROWSER=1`` so they cannot skip there.
Set ``SHALLOWNET_SCREENSHOTS=DIR`` to keep the screenshots of each view (docs/playground/).
"""

import base64
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import shallownet as sn
from shallownet import explain, io, problems

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("SHALLOWNET_CHROMIUM") or shutil.which("chromium") or \
    "/usr/bin/chromium"
_MISSING = None
try:
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
    from playwright.sync_api import sync_playwright
except ImportError as e:  # pragma: no cover - the test extra installs them
    _MISSING = f"the browser tests need {e.name} (pip install -e '.[test,playground]')"
if _MISSING is None and not Path(CHROMIUM).exists():
    _MISSING = ("the browser tests need a Chromium: install Debian's chromium package "
                "(apt-get install chromium) or set SHALLOWNET_CHROMIUM")
if _MISSING and os.environ.get("SHALLOWNET_REQUIRE_BROWSER"):
    raise RuntimeError(_MISSING)
if _MISSING:
    pytest.skip(_MISSING, allow_module_level=True)


@pytest.fixture(scope="module")
def server():
    from shallownet.playground import start_in_thread

    url, stop = start_in_thread()
    yield url
    stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    p = ctx.new_page()
    p.errors = []
    p.on("console", lambda m: p.errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    p.goto(server)
    p.wait_for_function("window.playground && window.playground.metrics.draws > 0")
    yield p
    ctx.close()


def _drawn(page, before=None):
    n = page.evaluate("window.playground.metrics.draws") if before is None else before
    page.wait_for_function(f"window.playground.metrics.draws > {n}")


def _row(page, key):
    return page.locator(f'#table1 tr[data-key="{key}"] td.value').inner_text()


def _set(page, selector, value):
    page.fill(selector, str(value))
    page.dispatch_event(selector, "change")


def _preset(page, name):
    n = page.evaluate("window.playground.metrics.draws")
    page.click(f"[data-preset={name}]")
    _drawn(page, n)
    # the view drawn is the preset's (a request for the page before may be drawn first)
    page.wait_for_function("(() => { const p = window.playground; return p.view.network && "
                           "JSON.stringify(p.view.network.W_H) === "
                           "JSON.stringify(p.state.net.W_H); })()")


def _point(page, x):
    n = page.evaluate("window.playground.metrics.draws")
    _set(page, "#point-x", x)
    _drawn(page, n)


def test_page_loads_with_no_console_errors(page):
    for name in ("problem1", "problem3", "problem2"):
        _preset(page, name)
    page.click("[data-mode=train]")
    page.wait_for_function("document.querySelector('#train-status').textContent.length > 0 "
                           "&& window.playground.view && window.playground.view.grid")
    page.click("#step")
    page.wait_for_function("document.querySelector('#train-status').dataset.epochs == '1'")
    n = page.evaluate("window.playground.metrics.draws")
    page.click("[data-mode=hand]")
    _drawn(page, n)
    assert page.errors == []
    assert page.locator("#message").is_hidden()


def test_problem2_preset_then_3_5_shows_the_corrected_table1_column(page):
    _preset(page, "problem2")
    _point(page, 1)
    assert (_row(page, "z_O"), _row(page, "y_hat")) == ("-0.5", "0")
    _point(page, 3.5)
    # the notes' Table 1, test column as corrected: z_O = 0.5, y_hat = 1
    assert (_row(page, "z_H1"), _row(page, "z_H2")) == ("1.5", "-0.5")
    assert (_row(page, "u_H1"), _row(page, "u_H2")) == ("1", "0")
    assert (_row(page, "z_O"), _row(page, "y_hat")) == ("0.5", "1")
    eq = page.locator('#table1 tr[data-key="z_O"] td.eq').inner_text()
    assert eq == "(8), (9b)"
    desc = page.locator("#description").inner_text()
    assert "y_hat = 1 for x in [2, 4), 0 otherwise" in desc
    assert page.errors == []


def test_weight_edit_redraws_with_the_librarys_description(page, server):
    _preset(page, "problem2")
    n = page.evaluate("window.playground.metrics.draws")
    page.fill('#weights input[data-name="W_O,0,1"]', "-1")
    _drawn(page, n)
    edited = sn.Network(W_H=[[1], [1]], b_H=[-2, -4], W_O=[1, -1], b_O=-0.5,
                        activation="threshold", output="binary")
    expected = explain.describe_piecewise(edited)
    page.wait_for_function("document.querySelector('#description').textContent"
                           f".includes({expected.y_hat_text!r})")
    assert expected.z_O_text in page.locator("#description").inner_text()
    # the whole state is in the URL: a new page opened on it shows the edited network
    page.wait_for_function("location.hash.startsWith('#s=')")
    page.wait_for_timeout(400)  # the URL is updated at most every 300 ms
    other = page.context.new_page()
    other.goto(page.url)
    other.wait_for_function("window.playground && window.playground.metrics.draws > 0")
    assert other.evaluate("window.playground.state.net.W_O") == [[1, -1]]
    assert expected.y_hat_text in other.locator("#description").inner_text()
    other.close()
    assert page.errors == []


def test_2d_regions_are_drawn_from_the_librarys_grid(page):
    _preset(page, "problem3")
    # canvas pixels inside and outside Problem 3's region x_1, x_2 >= 0, x_1 + x_2 < 1
    colour = """([x, y]) => {
        const cv = document.getElementById('plot-grid'), b = window.playground.view.bounds;
        const px = Math.round((x - b[0]) / (b[1] - b[0]) * (cv.width - 1));
        const py = Math.round((1 - (y - b[2]) / (b[3] - b[2])) * (cv.height - 1));
        return Array.from(cv.getContext('2d').getImageData(px, py, 1, 1).data.slice(0, 3));
    }"""
    inside = page.evaluate(colour, [0.4, 0.3])
    outside = [page.evaluate(colour, p) for p in ([1.5, 1.5], [-0.5, 0.5], [0.5, -0.7])]
    net = problems.problem3()
    assert net.predict([0.4, 0.3]) == 1 and all(net.predict(p) == 0
                                                for p in ([1.5, 1.5], [-0.5, 0.5]))
    assert inside[2] > inside[0]            # blue: y_hat = 1
    assert all(o[0] > o[2] for o in outside)  # orange: y_hat = 0
    assert "x_1 + x_2 < 1" in page.locator("#description").inner_text()


def _grid_classes(page):
    """The class each cell of the drawn 100 x 100 grid shows, read back from the canvas by its
    hue (orange 0, blue 1, green 2, blended with white by the output's sureness)."""
    rgba = np.array(page.evaluate("""() => { const cv = document.getElementById('plot-grid');
        return Array.from(cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data); }"""))
    r, g, b = (rgba.reshape(-1, 4)[:, k].astype(int) for k in range(3))
    return np.where(b > r, 1, np.where(r > g, 0, 2))


def _sent_labels(page):
    """y_hat per grid cell as the server sent it, decoded here independently of the page."""
    grid = page.evaluate("window.playground.view.grid")
    assert grid["n"] == 100
    return np.frombuffer(base64.b64decode(grid["label"]), np.uint8)


def test_the_grid_is_decoded_and_drawn_cell_for_cell(page):
    # every one of the 10,000 cells: the page's decoding of the compact grid (bytes, base64)
    # and its drawing (image rows from x_2 max down to x_2 min) against the library
    _preset(page, "problem3")
    x0, x1, y0, y1 = page.evaluate("window.playground.view.bounds")
    G = np.stack(np.meshgrid(np.linspace(x0, x1, 100), np.linspace(y1, y0, 100)),
                 axis=-1).reshape(-1, 2)
    want = problems.problem3().predict(G)
    assert 0 < want.sum() < len(want)
    np.testing.assert_array_equal(_grid_classes(page), want)
    np.testing.assert_array_equal(_sent_labels(page), want)
    # a softmax output with three classes (the page's own resized network)
    page.select_option("#output", "multiclass")
    _set(page, "#N_o", 3)
    page.wait_for_function("window.playground.view.network.W_O.length === 3 && "
                           "window.playground.state.net.W_O.length === 3 && "
                           "window.playground.view.network.output === 'multiclass'")
    shown = _grid_classes(page)
    np.testing.assert_array_equal(shown, _sent_labels(page))
    net = page.evaluate("window.playground.view.network")
    net = sn.Network(**{k: np.array(net[k]) for k in ("W_H", "b_H", "W_O", "b_O")},
                     activation=net["activation"], output=net["output"])
    np.testing.assert_array_equal(shown, net.predict(G))
    assert len(set(shown.tolist())) >= 2
    assert page.errors == []


def _hover(page, point):
    """Move the pointer over the plot to the input ``point`` (the view's coordinates)."""
    box = page.locator("#plot").bounding_box()
    b = page.evaluate("window.playground.view.bounds")
    fx = (point[0] - b[0]) / (b[1] - b[0])
    fy = 0.5 if len(point) == 1 else (b[3] - point[1]) / (b[3] - b[2])
    page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def _column_settled(page):
    page.wait_for_function("(() => { const h = window.playground.hover; return !h.busy && "
                           "h.column !== null && "
                           "JSON.stringify(h.column.point) === JSON.stringify(h.point); })()")


def test_hovering_the_plot_shows_the_column_under_the_pointer(page):
    _preset(page, "problem2")
    _point(page, 1)  # the chosen point: z_O = -0.5, y_hat = 0
    assert (_row(page, "z_O"), _row(page, "y_hat")) == ("-0.5", "0")
    _hover(page, [3.5])
    # the notes' corrected test column, under the pointer, with no click
    page.wait_for_function("document.querySelector('#table1 tr[data-key=z_O] td.value')"
                           ".textContent === '0.5'")
    shown = page.evaluate("window.playground.hover.point")
    assert abs(shown[0] - 3.5) <= 0.02 and _row(page, "x") == explain.format_number(shown[0])
    assert _row(page, "y_hat") == "1"
    assert "under the pointer" in page.locator("#table-source").inner_text()
    assert page.evaluate("window.playground.state.point") == [1]  # hovering does not choose
    page.mouse.move(5, 5)  # off the plot: the chosen point's column again
    page.wait_for_function("document.querySelector('#table1 tr[data-key=z_O] td.value')"
                           ".textContent === '-0.5'")
    _preset(page, "problem3")
    _hover(page, [0.4, 0.3])
    _column_settled(page)
    shown = page.evaluate("window.playground.hover.point")
    trace = explain.trace(problems.problem3(), [shown])
    assert [_row(page, r.key) for r in trace.rows] == \
        [explain.format_number(r.values[0]) for r in trace.rows]
    assert _row(page, "y_hat") == "1" and abs(shown[0] - 0.4) <= 0.011
    n = page.evaluate("window.playground.metrics.draws")
    page.mouse.click(*[page.locator("#plot").bounding_box()[k] + 100 for k in ("x", "y")])
    _drawn(page, n)
    assert page.evaluate("window.playground.state.point") == \
        page.evaluate("window.playground.hover.point")  # a click keeps the hovered point
    assert page.errors == []


def test_hovering_while_training_is_throttled_and_follows_the_network(page):
    page.click("[data-mode=train]")
    page.wait_for_function("window.playground.view && window.playground.view.grid")
    page.click("#play")
    page.wait_for_function("window.playground.metrics.frames.length > 3")
    before = page.evaluate("[window.playground.metrics.columnRequests, performance.now(), "
                           "window.playground.metrics.frames.length]")
    box = page.locator("#plot").bounding_box()
    for i in range(4):  # 4 sweeps of 50 pointer moves each across the plot
        page.mouse.move(box["x"] + 20, box["y"] + 20 + 100 * i)
        page.mouse.move(box["x"] + box["width"] - 20, box["y"] + 60 + 100 * i, steps=50)
    after = page.evaluate("[window.playground.metrics.columnRequests, performance.now(), "
                          "window.playground.metrics.frames.length]")
    page.evaluate("document.getElementById('pause').click()")  # the pointer stays put
    requests, elapsed = after[0] - before[0], after[1] - before[1]
    # at most one column request per 100 ms while training plays (plus the one under way),
    # however many times the pointer moved; and training went on meanwhile
    assert 1 <= requests <= elapsed / 100 + 2, (requests, elapsed)
    assert after[2] > before[2]
    page.wait_for_function("!document.getElementById('play').disabled")
    _column_settled(page)
    # the column shown is the library's for the network as it stands now
    hover = page.evaluate("window.playground.hover")
    net = page.evaluate("window.playground.state.net")
    net = sn.Network(**{k: np.array(net[k]) for k in ("W_H", "b_H", "W_O", "b_O")},
                     activation=net["activation"], output=net["output"])
    trace = explain.trace(net, [hover["point"]])
    assert [_row(page, r.key) for r in trace.rows] == \
        [explain.format_number(r.values[0]) for r in trace.rows]
    assert page.errors == []


def _xor_8_playing_to_095(page, key, value):
    """Training tab, XOR, N_h = 8 and ``state.train[key] = value``; play until the validation
    accuracy reaches 0.95, then pause."""
    page.click("[data-mode=train]")
    page.wait_for_function("window.playground.view && window.playground.view.grid")
    page.select_option("#dataset", "xor")
    _set(page, "#train-N_h", 8)
    page.select_option("#train-activation" if key == "activation" else f"#{key}", value)
    page.wait_for_function(f"window.playground.state.train.{key} === '{value}' && "
                           "window.playground.state.train.N_h === 8")
    if key == "optimizer" and value == "lbfgs":
        assert page.locator("#learning_rate").is_disabled()  # L-BFGS has no learning rate
    page.click("#play")
    page.wait_for_function("+document.querySelector('#train-status').dataset.valScore >= 0.95",
                           timeout=120_000)
    page.click("#pause")


def test_training_xor_relu_8_reaches_095_validation_accuracy(page):
    _xor_8_playing_to_095(page, "activation", "relu")
    state = page.evaluate("window.playground.state")
    assert state["data"]["dataset"] == "xor" and state["train"]["activation"] == "relu"
    assert len(state["net"]["W_H"]) == 8
    score = float(page.locator("#train-status").get_attribute("data-val-score"))
    assert score >= 0.95
    assert page.errors == []


def test_training_with_lbfgs_steps_one_run_of_the_library(page):
    _xor_8_playing_to_095(page, "optimizer", "lbfgs")
    page.wait_for_function("!document.getElementById('play').disabled")
    status = page.locator("#train-status").inner_text()
    assert status.startswith("iteration ") and "validation accuracy" in status
    assert page.errors == [] and page.locator("#message").is_hidden()


def test_threshold_and_play_shows_why_it_cannot_be_trained(page):
    page.click("[data-mode=train]")
    page.wait_for_function("window.playground.view && window.playground.view.grid")
    page.select_option("#train-activation", "threshold")
    page.wait_for_function("window.playground.state.net.activation === 'threshold'")
    page.click("#play")
    page.wait_for_selector("#message:not([hidden])")
    with pytest.raises(ValueError) as direct:
        sn.train(sn.Network.init(2, 2, activation="threshold"), [[0, 0]], [0])
    assert page.locator("#message").inner_text() == str(direct.value)


def test_download_model_and_trace_then_open_files(page, tmp_path):
    _preset(page, "problem2")
    with page.expect_download() as dl:
        page.click("#download-model")
    path = tmp_path / "model.safetensors"
    dl.value.save_as(path)
    net = io.load(path)
    for k, v in problems.problem2().params.items():
        np.testing.assert_array_equal(net.params[k], v)
    with page.expect_download() as dl:
        page.click("#download-trace")
    md = tmp_path / "trace.md"
    dl.value.save_as(md)
    assert explain.trace(problems.problem2(), [3.5]).to_markdown() in md.read_text()
    # open: a valid file replaces the network; an invalid one shows the loader's message
    other = tmp_path / "other.safetensors"
    io.save(problems.problem3(), other)
    n = page.evaluate("window.playground.metrics.draws")
    page.set_input_files("#open-model", str(other))
    _drawn(page, n)
    assert page.evaluate("window.playground.state.net.W_O") == [[1, 1, -1]]
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{}")
    page.set_input_files("#open-model", str(bad))
    page.wait_for_selector("#message:not([hidden])")
    with pytest.raises(ValueError) as direct:
        io.load(bad)
    assert page.locator("#message").inner_text() == \
        str(direct.value).replace(str(bad), "broken.safetensors")
    assert page.evaluate("window.playground.state.net.W_O") == [[1, 1, -1]]


def test_screenshot_of_each_view(page, tmp_path):
    out = Path(os.environ.get("SHALLOWNET_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    _preset(page, "problem2")
    _point(page, 3.5)
    page.locator("#function-view").screenshot(path=out / "function-1d.png")
    page.locator("#table-view").screenshot(path=out / "table1.png")
    _preset(page, "problem3")
    page.locator("#network-view").screenshot(path=out / "network.png")
    page.locator("#function-view").screenshot(path=out / "function-2d.png")
    page.click("[data-mode=train]")
    page.wait_for_function("window.playground.view && window.playground.view.grid")
    page.select_option("#dataset", "spiral")
    _set(page, "#n", 400)
    _set(page, "#train-N_h", 16)
    page.wait_for_function("window.playground.state.train.N_h === 16 && "
                           "window.playground.state.data.n === 400")
    page.wait_for_function("document.querySelector('#train-status').textContent "
                           "=== 'not trained yet'")
    _set(page, "#epochs_per_step", 10)
    page.click("#play")
    page.wait_for_function("+document.querySelector('#train-status').dataset.epochs >= 300",
                           timeout=120_000)
    page.click("#pause")
    page.wait_for_timeout(300)
    page.locator("#function-view").screenshot(path=out / "training-regions.png")
    page.locator("#training-view").screenshot(path=out / "training-curves.png")
    names = {"function-1d.png", "table1.png", "network.png", "function-2d.png",
             "training-regions.png", "training-curves.png"}
    assert {p.name for p in out.iterdir()} >= names
    assert all((out / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for n in names)
    assert page.errors == []


def test_a_link_to_a_training_configuration_restores_it(page):
    page.click("[data-mode=train]")
    page.wait_for_function("window.playground.view && window.playground.view.grid")
    page.select_option("#dataset", "moons")
    _set(page, "#train-N_h", 5)
    _set(page, "#learning_rate", 0.05)
    page.wait_for_function("window.playground.state.train.N_h === 5 && "
                           "window.playground.state.train.learning_rate === 0.05")
    page.wait_for_function("document.querySelector('#train-status').textContent "
                           "=== 'not trained yet'")
    page.click("#step")
    page.wait_for_function("document.querySelector('#train-status').dataset.epochs == '1'")
    page.wait_for_timeout(400)  # the URL follows within 300 ms
    saved = page.evaluate("window.playground.state")
    other = page.context.new_page()
    other.goto(page.url)
    other.wait_for_function("window.playground && window.playground.view && "
                            "window.playground.view.grid && "
                            "window.playground.state.net.W_H.length === 5")
    other.wait_for_timeout(300)
    restored = other.evaluate("window.playground.state")
    assert restored["mode"] == "train" and restored["data"] == saved["data"]
    assert restored["train"] == saved["train"]
    np.testing.assert_allclose(restored["net"]["W_H"], saved["net"]["W_H"])
    assert other.locator("#dataset").input_value() == "moons"
    assert other.locator("#train-N_h").input_value() == "5"
    other.close()

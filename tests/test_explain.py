"""Traces (Table 1) and exact piecewise descriptions, checked against the notes' solutions."""

from __future__ import annotations

import io
import math
from fractions import Fraction

import numpy as np
import pytest
from rich.console import Console

import shallownet as sn
from shallownet.explain import (
    Interval,
    describe_piecewise,
    describe_regions,
    format_number,
    linear_text,
    print_trace,
    trace,
)
from shallownet.problems import problem1, problem2  # weights checked in test_notes_section1

# Table 1 of the notes as printed, with its one wrong number corrected (3.5 - 4 = -0.5).
TABLE1 = {
    "x": [0, 1, 3, 5, 3.5],
    "z_H1": [-2, -1, 1, 3, 1.5],
    "z_H2": [-4, -3, -1, 1, -0.5],
    "u_H1": [0, 0, 1, 1, 1],
    "u_H2": [0, 0, 0, 1, 0],
    "z_O": [-0.5, -0.5, 0.5, -1.5, 0.5],
    "y_hat": [0, 0, 1, 0, 1],
}


def test_table1_numbers():
    t = trace(problem2(), [0, 1, 3, 5, 3.5], y=[0, 0, 1, 0, None])
    assert t.keys == ["x", "z_H1", "z_H2", "u_H1", "u_H2", "z_O", "y_hat", "y"]
    for key, expected in TABLE1.items():
        np.testing.assert_array_equal(t.row(key), expected, err_msg=key)
    y = t.row("y")
    np.testing.assert_array_equal(y[:4], [0, 0, 1, 0])
    assert math.isnan(y[4])


def test_table1_labels_are_the_corrected_ones():
    labels = [row[0] for row in trace(problem2(), [0, 1, 3, 5, 3.5]).cells()]
    assert labels[1] == "z_i1^H = x_i - 2"
    assert labels[2] == "z_i2^H = x_i - 4"          # the notes print x - 2
    assert labels[4] == "u_i2^H = 1{z_i2^H >= 0}"   # the notes print u_i1^H
    assert labels[5] == "z_i^O = u_i1^H - 2u_i2^H - 0.5"  # the notes print u_i1 - 2u_i1


def test_markdown_rendering():
    md = trace(problem2(), [0, 1, 3, 5, 3.5], [0, 0, 1, 0, None],
               names=["train"] * 4 + ["test"]).to_markdown()
    lines = md.strip().splitlines()
    assert lines[0] == "| sample | train | train | train | train | test |"
    assert "| $z_{i2}^{H} = x_i - 4$ | -4 | -3 | -1 | 1 | -0.5 |" in lines
    assert "| $y_i$ | 0 | 0 | 1 | 0 |  |" in lines
    # no spurious decimals
    assert "-2.0" not in md and "0.50" not in md


def test_rich_rendering():
    buf = io.StringIO()
    print_trace(problem2(), [0, 3.5], console=Console(file=buf, width=200))
    out = buf.getvalue()
    assert "z_i2^H = x_i - 4" in out and "-0.5" in out and "1.5" in out


def test_u_O_rows_for_softmax_and_sigmoid():
    W_H = np.array([[1.0, -1.0], [0.5, 2.0]])
    W_O = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 1.0]])
    b_O = np.array([0.0, 0.5, -0.5])
    net = sn.Network(W_H, [0.0, 0.0], W_O, b_O, activation="relu", output="multiclass")
    X = np.array([[1.0, 2.0], [-1.0, 0.5]])
    t = trace(net, X)
    Z_H = X @ W_H.T
    Z_O = np.maximum(Z_H, 0) @ W_O.T + b_O
    soft = np.exp(Z_O) / np.exp(Z_O).sum(axis=1, keepdims=True)
    for k in range(3):
        np.testing.assert_allclose(t.row(f"z_O{k + 1}"), Z_O[:, k])
        np.testing.assert_allclose(t.row(f"u_O{k + 1}"), soft[:, k])
    np.testing.assert_array_equal(t.row("y_hat"), Z_O.argmax(axis=1))
    sig = sn.Network([[2.0]], [0.0], [[1.0]], [0.0], activation="sigmoid", output="binary")
    # z_H = 0, u_H = 1/2, z_O = 1/2, u_O = 1/(1 + e^{-1/2})
    np.testing.assert_allclose(trace(sig, [0.0]).row("u_O"), [1 / (1 + math.exp(-0.5))])
    assert "u_O" not in trace(problem2(), [0.0]).keys


def test_trace_bad_input():
    with pytest.raises(TypeError, match="Network"):
        trace("not a net", [1.0])
    with pytest.raises(ValueError, match="names"):
        trace(problem2(), [1.0, 2.0], names=["a"])
    with pytest.raises(ValueError, match="y has"):
        trace(problem2(), [1.0, 2.0], y=[1])


@pytest.mark.parametrize("value, text", [
    (-2.0, "-2"), (1.5, "1.5"), (-0.0, "0"), (3, "3"), (np.float32(0.5), "0.5"),
    (Fraction(3, 2), "1.5"), (Fraction(-1, 4), "-0.25"), (Fraction(1, 3), "1/3"),
    (1 / 3, "0.333333"), (float("nan"), ""),
])
def test_format_number(value, text):
    assert format_number(value) == text


def test_linear_text():
    assert linear_text([1, -2], -0.5, ["u_1", "u_2"]) == "u_1 - 2u_2 - 0.5"
    assert linear_text([-1, 0, 3], 0, ["a", "b", "c"]) == "-a + 3c"
    assert linear_text([0], 0, ["a"]) == "0"


# ------------------------------------------------------------------ piecewise, Problems 1, 2
def test_problem1_piecewise_matches_solution():
    p = describe_piecewise(problem1())
    # Solution 1(c): u^H = (1{x >= 1}, 1{x >= 3})
    assert p.units == ["u_1^H = 1 for x >= 1, 0 otherwise", "u_2^H = 1 for x >= 3, 0 otherwise"]
    # Solution 1(d)
    assert p.z_O_text == "z_O = 0.5 for x < 1; -0.5 for x in [1, 3); 1.5 for x >= 3"
    inf = math.inf
    assert p.intervals == [
        Interval(-inf, Fraction(1), False, False, Fraction(1, 2), 1),
        Interval(Fraction(1), Fraction(3), True, False, Fraction(-1, 2), 0),
        Interval(Fraction(3), inf, True, False, Fraction(3, 2), 1),
    ]
    # Solution 1(e): y_hat = 0 if x in [1, 3), 1 else
    assert p.y_hat_text == "y_hat = 0 for x in [1, 3), 1 otherwise"
    assert [(i.lo, i.hi, i.lo_closed, i.hi_closed, i.y_hat) for i in p.y_hat_intervals] == [
        (-inf, 1, False, False, 1), (1, 3, True, False, 0), (3, inf, True, False, 1)]
    assert p.breakpoints == [1, 3]


def test_problem2_piecewise_matches_solution():
    p = describe_piecewise(problem2())
    assert p.z_O_text == "z_O = -0.5 for x < 2; 0.5 for x in [2, 4); -1.5 for x >= 4"
    assert p.y_hat_text == "y_hat = 1 for x in [2, 4), 0 otherwise"
    assert [(i.lo, i.hi, i.lo_closed, i.hi_closed, i.z_O) for i in p.intervals] == [
        (-math.inf, 2, False, False, Fraction(-1, 2)), (2, 4, True, False, Fraction(1, 2)),
        (4, math.inf, True, False, Fraction(-3, 2))]
    # the data set of Problem 2 and the test point 3.5
    assert [p.y_hat_at(x) for x in (0, 1, 3, 5, 3.5)] == [0, 0, 1, 0, 1]


def test_negative_weight_closes_the_right_end():
    # u = 1{-x + 2 >= 0} = 1{x <= 2}
    net = sn.Network([[-1.0]], [2.0], [[1.0]], [-0.5], activation="threshold")
    p = describe_piecewise(net)
    assert p.units == ["u_1^H = 1 for x <= 2, 0 otherwise"]
    assert p.y_hat_text == "y_hat = 1 for x <= 2, 0 otherwise"
    assert p.intervals[0].hi_closed and not p.intervals[1].lo_closed


def test_coinciding_breakpoints_of_opposite_sign_give_a_point():
    # 1{x >= 2} + 1{x <= 2} - 1.5 >= 0 only at x = 2
    net = sn.Network([[1.0], [-1.0]], [-2.0, 2.0], [[1.0, 1.0]], [-1.5], activation="threshold")
    p = describe_piecewise(net)
    assert p.y_hat_text == "y_hat = 1 for x = 2, 0 otherwise"
    assert p.z_O_text == "z_O = -0.5 for x < 2; 0.5 for x = 2; -0.5 for x > 2"
    assert p.breakpoints == [2]


def test_constant_unit_and_constant_network():
    net = sn.Network([[0.0], [1.0]], [1.0, -1.0], [[1.0, 0.0]], [-0.5], activation="threshold")
    p = describe_piecewise(net)
    assert p.units[0] == "u_1^H = 1 for all x"
    assert p.y_hat_text == "y_hat = 1 for all x"
    assert p.z_O_text == "z_O = 0.5 for all x"


def test_regression_and_fraction_breakpoints():
    net = sn.Network([[3.0]], [-1.0], [[2.0]], [0.25], activation="threshold",
                     output="regression")
    p = describe_piecewise(net)
    assert p.breakpoints == [Fraction(1, 3)]
    assert p.z_O_text == "z_O = 0.25 for x < 1/3; 2.25 for x >= 1/3"


def test_piecewise_bad_input():
    with pytest.raises(ValueError, match="N_i = 1"):
        describe_piecewise(sn.Network([[1.0, 1.0]], [0.0], [[1.0]], [0.0],
                                      activation="threshold"))
    with pytest.raises(ValueError, match="threshold"):
        describe_piecewise(sn.Network([[1.0]], [0.0], [[1.0]], [0.0], activation="relu"))


def _probe_points(bps):
    pts = []
    for k, t in enumerate(bps):
        pts += [t, t - Fraction(1, 64), t + Fraction(1, 64)]
        if k + 1 < len(bps):
            pts.append((t + bps[k + 1]) / 2)
    return pts + [Fraction(-100), Fraction(100), Fraction(0)]


@pytest.mark.parametrize("seed", range(40))
def test_piecewise_agrees_with_forward(seed):
    """Random 1-D threshold networks with dyadic weights (exact in floats): negative and zero
    weights, coinciding breakpoints. The description must match forward at every breakpoint,
    between neighbouring breakpoints and around them."""
    rng = np.random.default_rng(seed)
    N_h = int(rng.integers(1, 7))
    W = rng.choice([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 4.0], size=N_h)
    b = rng.integers(-4, 5, size=N_h) / 2.0          # few values: breakpoints coincide
    W_O = rng.integers(-3, 4, size=N_h) / 2.0
    b_O = float(rng.integers(-3, 4)) / 4.0
    net = sn.Network(W[:, None], b, W_O[None, :], [b_O], activation="threshold")
    p = describe_piecewise(net)
    expected_bps = sorted({Fraction(-bj) / Fraction(w) for w, bj in zip(W, b, strict=True)
                           if w != 0})
    assert p.breakpoints == expected_bps
    xs = _probe_points(expected_bps)
    tr = net.forward(np.array([float(x) for x in xs]))
    for x, z, yh in zip(xs, tr.z_O[:, 0], tr.y_hat, strict=True):
        assert p.z_O_at(x) == Fraction(float(z)), (x, p.z_O_text)
        assert p.y_hat_at(x) == yh, (x, p.y_hat_text)
    # the pieces tile the line: consecutive, no gaps, no overlaps, neighbours differ
    for pieces, attr in ((p.intervals, "z_O"), (p.y_hat_intervals, "y_hat")):
        assert pieces[0].lo == -math.inf and pieces[-1].hi == math.inf
        for a, c in zip(pieces, pieces[1:], strict=False):
            assert a.hi == c.lo and a.hi_closed != c.lo_closed
            assert getattr(a, attr) != getattr(c, attr)


# ------------------------------------------------------------------ regions, Problem 3
def test_problem3_regions():
    net = sn.Network(W_H=[[1, 0], [0, 1], [1, 1]], b_H=[0, 0, -1], W_O=[1, 1, -1], b_O=-1.5,
                     activation="threshold", output="binary")
    r = describe_regions(net)
    assert r.half_spaces == ["x_1 >= 0", "x_2 >= 0", "x_1 + x_2 >= 1"]
    assert r.patterns == [(1, 1, 0)]
    assert r.y_hat_text == "y_hat = 1 where x_1 >= 0, x_2 >= 0, x_1 + x_2 < 1; 0 elsewhere"


def test_regions_drop_empty_cells():
    # u1 = 1{x >= 1}, u2 = 1{x <= 0}: the pattern (1, 1) is empty; z_O >= 0 needs u1 + u2 = 2
    net = sn.Network([[1.0], [-1.0]], [-1.0, 0.0], [[1.0, 1.0]], [-1.5], activation="threshold")
    r = describe_regions(net)
    assert r.patterns == [] and r.y_hat_text == "y_hat = 0 everywhere"


def test_float32_weights_read_as_typed():
    net = sn.Network([[1.0]], [-0.1], [[1.0]], [-0.5], activation="threshold",
                     dtype=np.float32)
    p = describe_piecewise(net)
    assert p.breakpoints == [Fraction(1, 10)]
    assert p.y_hat_text == "y_hat = 1 for x >= 0.1, 0 otherwise"


def test_docs_page_shows_what_the_code_prints():
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "worked-problems.md").read_text()
    assert trace(problem2(), [0, 1, 3, 5, 3.5], y=[0, 0, 1, 0, None]).to_markdown(
        math=False) in doc
    for line in describe_piecewise(problem2()).text.splitlines():
        assert f"# {line}\n" in doc


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("output", ["multiclass", "regression"])
def test_piecewise_agrees_with_forward_for_other_outputs(seed, output):
    rng = np.random.default_rng(100 + seed)
    N_h, N_o = int(rng.integers(1, 5)), 3
    W = rng.choice([-1.0, -0.5, 0.0, 1.0, 2.0], size=N_h)
    b = rng.integers(-3, 4, size=N_h) / 2.0
    W_O = rng.integers(-2, 3, size=(N_o, N_h)) / 2.0
    b_O = rng.integers(-2, 3, size=N_o) / 4.0
    net = sn.Network(W[:, None], b, W_O, b_O, activation="threshold", output=output)
    p = describe_piecewise(net)
    xs = _probe_points(p.breakpoints)
    tr = net.forward(np.array([float(x) for x in xs]))
    for x, z, yh in zip(xs, tr.z_O, tr.y_hat, strict=True):
        assert p.z_O_at(x) == tuple(Fraction(float(v)) for v in z)
        if output == "multiclass":
            assert p.y_hat_at(x) == yh
        else:
            assert p.y_hat_at(x) == tuple(Fraction(float(v)) for v in yh)


def test_multiclass_y_hat_label_agrees_with_the_rows_it_names():
    """The z_O rows count the classes 1..K as the notes do (z_{i1}^O, ..., z_{iK}^O); y_hat is
    0..K-1. Read literally, each label of the table must give the numbers in its row."""
    import re

    net = sn.Network([[1.0]], [0.0], [[2.0], [0.0], [-1.0]], [0.0, 0.5, 0.0],
                     activation="relu", output="multiclass")
    # x = 1: z^O = (2, 0.5, -1), the notes' class 1 wins; x = -1: z^O = (0, 0.5, 0), class 2
    t = trace(net, [1.0, -1.0])
    rows = {r.key: r for r in t.rows}
    by_class = {}
    for r in t.rows:
        m = re.match(r"z_\{i(\d+)\}\^\{O\}", r.math)
        if m:
            by_class[int(m.group(1))] = r.values
    assert sorted(by_class) == [1, 2, 3]
    notes_argmax = [max(by_class, key=lambda k: by_class[k][i]) for i in range(2)]
    assert notes_argmax == [1, 2]
    y_hat = rows["y_hat"]
    np.testing.assert_array_equal(y_hat.values, [0, 1])             # 0-based, as predict
    np.testing.assert_array_equal(y_hat.values, net.predict([1.0, -1.0]))
    # the label's formula, evaluated on those rows, is the row's numbers
    for label in (y_hat.math, y_hat.text):
        m = re.search(r"arg\s*\\?max_k z_\{?ik\}?\^\{?O\}?( - 1)?", label)
        assert m, label
        offset = 1 if m.group(1) else 0
        assert [k - offset for k in notes_argmax] == y_hat.values.tolist(), label


def test_trace_checks_class_labels_as_the_loss_does():
    """Table 1's y_i row sits beside y_hat_i: labels in the notes' count 1..K next to a 0-based
    y_hat would show a right prediction as wrong, so they are refused with the fix."""
    net = sn.Network([[1.0]], [0.0], [[2.0], [0.0], [-1.0]], [0.0, 0.5, 0.0],
                     activation="relu", output="multiclass")
    X = [1.0, -1.0, -3.0]
    with pytest.raises(ValueError, match="subtract 1 from labels numbered 1..K"):
        trace(net, X, y=[1, 2, 3])        # the notes' count 1..K
    with pytest.raises(ValueError, match="subtract 1"):
        net.loss(X, [1, 2, 3])            # the same as the loss says
    t = trace(net, X, y=[0, 1, None])     # 0-based, a test sample blank
    np.testing.assert_array_equal(t.row("y")[:2], [0, 1])
    assert np.isnan(t.row("y")[2])
    np.testing.assert_array_equal(t.row("y_hat"), [0, 1, 1])
    with pytest.raises(ValueError, match="binary targets must be 0 or 1"):
        trace(problem2(), [0, 1, 3, 5], y=[1, 1, 2, 1])   # Problem 2's labels shifted by one

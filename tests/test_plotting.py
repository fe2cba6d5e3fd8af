"""Figures: valid PNG files, and the Problem 3 region mask against the closed form (12)."""

from __future__ import annotations

import numpy as np
import pytest

import shallownet as sn
from shallownet.plotting import (
    plot_curves,
    plot_regions,
    plot_training,
    plot_unit_functions,
    region_mask,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def is_png(path) -> bool:
    data = path.read_bytes()
    # signature, then the IHDR chunk with a non-zero width and height
    return (data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
            and int.from_bytes(data[16:20], "big") > 0 and int.from_bytes(data[20:24], "big") > 0
            and data.rstrip(b"\x00")[-8:-4] == b"IEND")


def problem1():
    return sn.Network(W_H=[[1], [1]], b_H=[-1, -3], W_O=[-1, 2], b_O=0.5,
                      activation="threshold", output="binary")


def problem3():
    return sn.Network(W_H=[[1, 0], [0, 1], [1, 1]], b_H=[0, 0, -1], W_O=[1, 1, -1], b_O=-1.5,
                      activation="threshold", output="binary")


def triangle(x1, x2):
    """(12): x_1 >= 0, x_2 >= 0, x_1 + x_2 < 1."""
    return (x1 >= 0) & (x2 >= 0) & (x1 + x2 < 1)


def test_unit_functions_png(tmp_path):
    fig = plot_unit_functions(problem1(), path=tmp_path / "p1.png")
    assert is_png(tmp_path / "p1.png")
    ax_u = fig.axes[1]
    # one filled and one hollow dot per unit, at the breakpoints x = 1 and x = 3
    dots = [line for line in ax_u.get_lines() if line.get_marker() == "o"]
    assert sorted(float(d.get_xdata()[0]) for d in dots) == [1, 1, 3, 3]
    filled = [d for d in dots if d.get_markerfacecolor() != "white"]
    assert all(float(d.get_ydata()[0]) >= 1 for d in filled)   # u = 1 is taken at z = 0


def test_unit_functions_other_activation_and_errors(tmp_path):
    net = sn.Network([[1.0], [-2.0]], [0.0, 1.0], [[1.0, 1.0]], [0.0], activation="sigmoid")
    plot_unit_functions(net, (-3, 3), path=tmp_path / "s.png")
    assert is_png(tmp_path / "s.png")
    with pytest.raises(ValueError, match="N_i = 1"):
        plot_unit_functions(problem3())
    with pytest.raises(ValueError, match="lo < hi"):
        plot_unit_functions(problem1(), (2, 1))


def test_region_mask_matches_the_triangle_inside_outside_and_on_the_boundary():
    # inside, outside, and exactly on each boundary line (dyadic: exact in floats)
    pts = np.array([
        [0.25, 0.25], [0.1, 0.8],                       # inside
        [0.0, 0.0], [0.0, 0.5], [0.5, 0.0],             # on x1 = 0 / x2 = 0: included
        [0.5, 0.5], [0.25, 0.75], [0.0, 1.0], [1.0, 0.0],  # on x1 + x2 = 1: excluded
        [-0.125, 0.5], [0.5, -0.125], [0.75, 0.5], [2.0, 2.0], [-1.0, -1.0],  # outside
    ])
    for x1, x2 in pts:
        got = region_mask(problem3(), [x1], [x2])
        assert got.shape == (1, 1)
        assert bool(got[0, 0]) == bool(triangle(x1, x2)), (x1, x2)


def test_region_mask_on_a_grid_and_per_unit():
    x1 = np.linspace(-1, 2, 49)     # step 1/16: the grid contains boundary points exactly
    x2 = np.linspace(-1, 2, 49)
    X1, X2 = np.meshgrid(x1, x2)
    np.testing.assert_array_equal(region_mask(problem3(), x1, x2), triangle(X1, X2))
    np.testing.assert_array_equal(region_mask(problem3(), x1, x2, unit=1), X1 >= 0)
    np.testing.assert_array_equal(region_mask(problem3(), x1, x2, unit=2), X2 >= 0)
    np.testing.assert_array_equal(region_mask(problem3(), x1, x2, unit=3), X1 + X2 >= 1)
    with pytest.raises(ValueError, match="unit"):
        region_mask(problem3(), x1, x2, unit=4)
    with pytest.raises(ValueError, match="N_i = 2"):
        region_mask(problem1(), x1, x2)


def test_regions_png(tmp_path):
    fig = plot_regions(problem3(), path=tmp_path / "p3.png", resolution=101)
    assert len(fig.axes) == 4
    assert is_png(tmp_path / "p3.png")


def test_curves_png(tmp_path):
    plot_curves([3.0, 2.0, 1.5], [3.1, 2.5, 2.4], [0.5, 0.7, 0.8], path=tmp_path / "c.png",
                best_epoch=3)
    assert is_png(tmp_path / "c.png")
    with pytest.raises(ValueError, match="empty"):
        plot_curves([])


def test_plot_training_from_history(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 2))
    y = (X[:, 0] > 0).astype(int)
    net = sn.Network.init(2, 4, 1, seed=0)
    h = sn.train(net, X, y, epochs=3, batch_size=16, validation_data=(X, y), seed=0)
    fig = plot_training(h, tmp_path / "h.png")
    assert is_png(tmp_path / "h.png")
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), h.loss)
    plot_training({"loss": [1.0, 0.5]}, tmp_path / "d.png")
    assert is_png(tmp_path / "d.png")
    with pytest.raises(TypeError, match="History"):
        plot_training(42)


def test_plot_training_from_estimator(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    clf = sn.Classifier(hidden_units=3, epochs=3, batch_size=20, random_state=0,
                        early_stopping=True).fit(X, y)
    fig = plot_training(clf, tmp_path / "e.png")
    assert is_png(tmp_path / "e.png")
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), clf.loss_curve_)

    class SklearnLike:            # scikit-learn's MLP exposes loss_curve_ only
        loss_curve_ = [0.9, 0.5, 0.4]
    fig = plot_training(SklearnLike(), None)
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), [0.9, 0.5, 0.4])


def test_plot_training_counts_lbfgs_iterations():
    """An estimator trained with L-BFGS counts iterations: the x-axis and the best one say so
    (they said "epoch")."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((80, 2))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    for optimizer, unit in (("lbfgs", "iteration"), ("adam", "epoch")):
        clf = sn.Classifier(hidden_units=3, epochs=8, optimizer=optimizer, random_state=0,
                            early_stopping=True).fit(X, y)
        ax = plot_training(clf).axes[0]
        assert ax.get_xlabel() == unit
        assert clf.best_epoch_ and f"best {unit}" in [t.get_text() for t in
                                                      ax.get_legend().get_texts()]
    assert plot_training(clf.history_).axes[0].get_xlabel() == "epoch"  # a History: epochs
    assert plot_curves([1.0, 0.5], unit="iteration").axes[0].get_xlabel() == "iteration"

"""Figures the notes describe but do not draw, and training curves.

* :func:`plot_unit_functions`: section 1, Problem 1(b),(c): each hidden unit's z_j^H(x) and
  u_j^H(x) for a network with one input. Threshold steps show which end is closed: a filled
  dot where the value is taken, a hollow dot where it is not.
* :func:`plot_regions` and :func:`region_mask`: Problem 3: the parts of the (x_1, x_2) plane
  where each u_j^H = 1 and where y_hat = 1, computed from the network on a grid, with the lines
  W_j x + b_j = 0.
* :func:`plot_curves` / :func:`plot_training`: loss and validation curves of ``train``.

Every function builds a :class:`matplotlib.figure.Figure` without pyplot (no global state, no
GUI backend needed; PNGs are drawn by Agg), returns it, and saves it when given ``path``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .network import Network

__all__ = ["plot_unit_functions", "region_mask", "plot_regions", "plot_curves",
           "plot_training"]

_COLORS = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]


def _save(fig: Figure, path) -> Figure:
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120, bbox_inches="tight")
    return fig


def _check_net(net) -> Network:
    if not isinstance(net, Network):
        raise TypeError(f"net must be a shallownet.Network, got {type(net).__name__}")
    return net


# ---------------------------------------------------------------------------- Problem 1
def plot_unit_functions(net: Network, x_range: tuple[float, float] | None = None, *,
                        path=None, n_points: int = 801) -> Figure:
    """Draw z_j^H(x) (left) and u_j^H(x) (right) for every hidden unit of a 1-input network.

    Problem 1(b),(c) ask to "draw the functions for each component". For the threshold (2)
    the step of unit j sits at x = -b_j/W_j; the dot at the jump is filled on the side whose
    value is taken (z >= 0 fires) and hollow on the other.

    Parameters
    ----------
    net : Network
        N_i = 1, any activation.
    x_range : (lo, hi), optional
        Default: the breakpoints -b_j/W_j padded by 2 on each side.
    path : str or Path, optional
        Save the figure there (PNG, SVG, PDF by extension).
    """
    _check_net(net)
    if net.N_i != 1:
        raise ValueError(f"plot_unit_functions needs one input (N_i = 1), got N_i = {net.N_i}")
    W = net.W_H[:, 0].astype(float)
    b = net.b_H.astype(float)
    bps = [-bj / w for w, bj in zip(W, b, strict=True) if w != 0]
    if x_range is None:
        lo, hi = (min(bps) - 2, max(bps) + 2) if bps else (-3.0, 3.0)
    else:
        lo, hi = map(float, x_range)
        if not hi > lo:
            raise ValueError(f"x_range must be (lo, hi) with lo < hi, got {x_range!r}")
    x = np.linspace(lo, hi, n_points)
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_z, ax_u = fig.subplots(1, 2)
    Z = np.outer(x, W) + b                             # (1a), one column per unit
    threshold = net.activation.name == "threshold"
    for j in range(net.N_h):
        c = _COLORS[j % len(_COLORS)]
        ax_z.plot(x, Z[:, j], color=c, label=f"$z_{j + 1}^H(x)$")
        label = f"$u_{j + 1}^H(x)$"
        if not threshold:
            ax_u.plot(x, net.activation.g(Z[:, j]), color=c, label=label)
            continue
        off = 0.03 * j   # small vertical offset so overlapping steps stay visible
        if W[j] == 0:
            ax_u.plot([lo, hi], [float(b[j] >= 0) + off] * 2, color=c, label=label)
            continue
        t = -b[j] / W[j]
        left, right = (0.0, 1.0) if W[j] > 0 else (1.0, 0.0)
        ax_u.plot([lo, t], [left + off] * 2, color=c, label=label)
        ax_u.plot([t, hi], [right + off] * 2, color=c)
        ax_u.plot([t, t], [off, 1 + off], color=c, linestyle=":", linewidth=0.8)
        # at x = t, z = 0 and the unit fires: the value 1 is taken there
        ax_u.plot([t], [1 + off], "o", color=c, markersize=7)
        ax_u.plot([t], [0 + off], "o", markerfacecolor="white", markeredgecolor=c,
                  markersize=7)
    ax_z.axhline(0, color="gray", linewidth=0.6)
    ax_z.set(xlabel="$x$", ylabel="$z^H_j$", title="Hidden linear variables $z_j^H(x)$")
    ax_u.set(xlabel="$x$", ylabel="$u^H_j$", title="Hidden activations $u_j^H(x)$")
    if threshold:
        ax_u.set_yticks([0, 1])
        ax_u.set_ylim(-0.2, 1.35)
    for ax in (ax_z, ax_u):
        ax.grid(alpha=0.3)
        ax.legend(loc="best")
    return _save(fig, path)


# ---------------------------------------------------------------------------- Problem 3
def region_mask(net: Network, x1_grid, x2_grid, *, unit: int | None = None) -> np.ndarray:
    """Where y_hat = 1 (or, with ``unit=j``, where u_j^H = 1; j is 1-based as in the notes) on
    the grid of points (x1_grid[c], x2_grid[r]).

    Computed by running the network forward on every grid point, so it shows what the network
    does, not what a derivation says. Returns a boolean array of shape
    ``(len(x2_grid), len(x1_grid))``: rows follow x_2, columns x_1 (``np.meshgrid``'s order).
    """
    _check_net(net)
    if net.N_i != 2:
        raise ValueError(f"region_mask needs two inputs (N_i = 2), got N_i = {net.N_i}")
    x1 = np.asarray(x1_grid, dtype=float).reshape(-1)
    x2 = np.asarray(x2_grid, dtype=float).reshape(-1)
    X1, X2 = np.meshgrid(x1, x2)
    tr = net.forward(np.column_stack([X1.ravel(), X2.ravel()]))
    if unit is None:
        if net.output.name != "binary":
            raise ValueError("region_mask without unit= needs a binary output (y_hat in {0,1})")
        values = np.asarray(tr.y_hat).reshape(-1)
    else:
        if not 1 <= unit <= net.N_h:
            raise ValueError(f"unit must be 1..N_h = {net.N_h} (1-based), got {unit}")
        values = tr.u_H[:, unit - 1]
    return (values == 1).reshape(X1.shape)


def plot_regions(net: Network, xlim=(-1.0, 2.0), ylim=(-1.0, 2.0), *, resolution: int = 401,
                 path=None) -> Figure:
    """Draw, for a 2-input threshold network, where each u_j^H = 1 and where y_hat = 1.

    One panel per hidden unit and a last panel for y_hat; the shaded set comes from
    :func:`region_mask`, the lines are W_j x + b_j = 0. For Problem 3 the last panel is the
    triangle x_1 >= 0, x_2 >= 0, x_1 + x_2 < 1 of (12).
    """
    _check_net(net)
    x1 = np.linspace(*map(float, xlim), resolution)
    x2 = np.linspace(*map(float, ylim), resolution)
    panels = [(f"$u_{j + 1}^H = 1$", j + 1) for j in range(net.N_h)]
    panels.append((r"$\hat y = 1$", None))
    fig = Figure(figsize=(3.6 * len(panels), 3.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    extent = (x1[0], x1[-1], x2[0], x2[-1])
    for ax, (title, unit) in zip(axes, panels, strict=True):
        mask = region_mask(net, x1, x2, unit=unit)
        # a grey fill, so that every unit's coloured boundary line stands out on it (a blue
        # fill hid the blue line of unit 1)
        ax.imshow(mask, origin="lower", extent=extent, cmap="Greys", vmin=0, vmax=3.0,
                  aspect="auto", interpolation="nearest")
        units = range(net.N_h) if unit is None else [unit - 1]
        for j in units:
            _draw_line(ax, net.W_H[j], net.b_H[j], x1, x2, _COLORS[j % len(_COLORS)], j + 1)
        ax.set(xlim=xlim, ylim=ylim, xlabel="$x_1$", ylabel="$x_2$", title=title)
        ax.axhline(0, color="gray", linewidth=0.4)
        ax.axvline(0, color="gray", linewidth=0.4)
        ax.legend(loc="upper right", fontsize=7)
    return _save(fig, path)


def _draw_line(ax, w, b, x1, x2, color, j):
    w1, w2 = float(w[0]), float(w[1])
    label = f"$z_{j}^H = 0$"
    if w2 != 0:
        ax.plot(x1, -(w1 * x1 + float(b)) / w2, color=color, linewidth=1.5, label=label)
    elif w1 != 0:
        ax.axvline(-float(b) / w1, color=color, linewidth=1.5, label=label)


# ---------------------------------------------------------------------------- training
def plot_curves(loss: Sequence[float], val_loss: Sequence[float] | None = None,
                val_score: Sequence[float] | None = None, path=None, *,
                best_epoch: int | None = None, unit: str = "epoch") -> Figure:
    """Training loss per epoch, with validation loss and score when given.

    The score (accuracy or R^2) gets its own axis on the right. ``best_epoch`` (1-based) is
    marked with a dashed line. ``unit`` names the x-axis: "iteration" for L-BFGS, which counts
    iterations, not epochs.
    """
    loss = [float(v) for v in loss]
    if not loss:
        raise ValueError("loss is empty: train for at least one epoch before plotting")
    epochs = np.arange(1, len(loss) + 1)
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    ax.plot(epochs, loss, label="training loss", color="tab:blue")
    if val_loss is not None and len(val_loss):
        ax.plot(np.arange(1, len(val_loss) + 1), [float(v) for v in val_loss],
                label="validation loss", color="tab:orange")
    ax.set(xlabel=unit, ylabel="mean loss per sample")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if val_score is not None and len(val_score):
        ax2 = ax.twinx()
        ax2.plot(np.arange(1, len(val_score) + 1), [float(v) for v in val_score],
                 label="validation score", color="tab:green", linestyle="--")
        ax2.set_ylabel("validation score")
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    if best_epoch:
        handles.append(ax.axvline(best_epoch, color="gray", linestyle=":"))
        labels.append(f"best {unit}")
    ax.legend(handles, labels, loc="best")
    return _save(fig, path)


def plot_training(history_or_estimator, path=None) -> Figure:
    """:func:`plot_curves` for a ``History``, a fitted estimator, or a dict of lists.

    Accepts a :class:`shallownet.History` (``loss``, ``val_loss``, ``val_score``), an object
    with a ``history_`` attribute holding one (a fitted ``Classifier``/``Regressor``), one with
    scikit-learn's ``loss_curve_``, or a dict with those keys. An estimator trained with
    ``optimizer="lbfgs"`` gets "iteration" on the x-axis.
    """
    h = history_or_estimator
    unit = "iteration" if getattr(h, "optimizer", None) == "lbfgs" else "epoch"
    if hasattr(h, "history_"):
        h = h.history_
    if isinstance(h, dict):
        get = h.get
    elif hasattr(h, "loss"):
        def get(key, default=None):
            return getattr(h, key, default)
    elif hasattr(h, "loss_curve_"):
        def get(key, default=None):
            return {"loss": h.loss_curve_,
                    "val_loss": getattr(h, "validation_loss_curve_", None),
                    "val_score": getattr(h, "validation_scores_", None),
                    "best_epoch": getattr(h, "best_epoch_", None)}.get(key, default)
    else:
        raise TypeError(
            f"cannot find training curves in {type(h).__name__}; pass a History (what "
            "shallownet.train returns), a fitted estimator, or a dict with a 'loss' list")
    loss = get("loss")
    return plot_curves([] if loss is None else loss, get("val_loss"), get("val_score"), path=path,
                       best_epoch=get("best_epoch"), unit=unit)

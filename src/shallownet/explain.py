"""Look inside a network: Table 1-style traces and exact descriptions of threshold networks.

* :func:`trace` evaluates a network on a batch and lays out every intermediate variable of
  (9)/(10) as a table, one row per variable and one column per sample, exactly like Table 1 of
  the notes (with the row labels the notes should have printed; see ``docs/errata.md``).
* :func:`describe_piecewise` gives, for a network with one input (N_i = 1) and the threshold
  activation (2), the exact piecewise-constant description of z_O and y_hat as functions of x:
  the breakpoints x = -b_j/W_j, the value on each interval and which ends are closed. This is
  the solution of section 1, Problems 1(d),(e) and 2(a) for any such network.
* :func:`describe_regions` does the same in any dimension by listing the half-spaces where
  each hidden unit fires and the activation patterns where y_hat = 1 (Problem 3).

Numbers are printed without spurious decimals (``-2``, ``1.5``). Exact descriptions use
:class:`fractions.Fraction`: a float weight is read as the shortest decimal that gives it back
(``0.1`` is 1/10, ``-0.5`` is -1/2), so what you typed is what is solved.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .network import Network

__all__ = [
    "TraceRow", "TraceTable", "trace", "print_trace", "format_number",
    "Interval", "Piecewise", "describe_piecewise", "Regions", "describe_regions",
    "linear_text",
]


# ---------------------------------------------------------------------------- numbers
def format_number(v, digits: int = 6) -> str:
    """A number as a person writes it: ``-2``, ``1.5``, ``0.333333``, ``1/3`` (Fractions).

    Integral values lose their decimals, ``-0`` prints as ``0``, other floats keep at most
    ``digits`` significant digits. A :class:`~fractions.Fraction` prints exactly: as a
    terminating decimal when there is one (``3/2`` -> ``1.5``), else as ``p/q``.
    """
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return str(v.numerator)
        d = v.denominator
        for p in (2, 5):
            while d % p == 0:
                d //= p
        if d == 1:  # terminating decimal: print it exactly
            sign = "-" if v < 0 else ""
            a = abs(v)
            whole, rest = divmod(a.numerator, a.denominator)
            digits_out = []
            while rest:
                rest *= 10
                q, rest = divmod(rest, a.denominator)
                digits_out.append(str(q))
            return f"{sign}{whole}." + "".join(digits_out)
        return f"{v.numerator}/{v.denominator}"
    if isinstance(v, bool | np.bool_):
        return str(int(v))
    if isinstance(v, int | np.integer):
        return str(int(v))
    v = float(v)
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == round(v) and abs(v) < 1e15:
        return str(int(round(v)))
    return f"{v:.{digits}g}"


def _exact(v) -> Fraction:
    """A float as the shortest decimal that round-trips in its precision (0.1 -> 1/10, also
    for float32)."""
    if isinstance(v, Fraction):
        return v
    if isinstance(v, np.floating):  # shortest decimal for the value's own precision
        return Fraction(np.format_float_positional(v, unique=True, trim="0"))
    return Fraction(repr(float(v)))


def linear_text(coefs, bias, symbols: Sequence[str], *, mult: str = "", digits: int = 4
                ) -> str:
    """``sum_k coefs[k] symbols[k] + bias`` written the way the notes write it.

    ``linear_text([1, -2], -0.5, ["u_1", "u_2"])`` is ``"u_1 - 2u_2 - 0.5"``; zero terms are
    left out; a unit coefficient is not written. ``mult`` goes between a coefficient and its
    symbol (``" "`` or ``"\\,"``). Floats show at most ``digits`` significant digits.
    """

    def show(v):
        return format_number(abs(v) if isinstance(v, Fraction) else abs(float(v)), digits)

    parts: list[str] = []
    for raw, s in zip(coefs, symbols, strict=True):
        c = _exact(raw)
        if c == 0:
            continue
        mag = "" if abs(c) == 1 else show(raw) + mult
        sign = "-" if c < 0 else "+"
        parts.append((sign, f"{mag}{s}"))
    b = _exact(bias)
    if b != 0 or not parts:
        parts.append(("-" if b < 0 else "+", show(bias)))
    first_sign, first = parts[0]
    out = ("-" if first_sign == "-" else "") + first
    for sign, term in parts[1:]:
        out += f" {sign} {term}"
    return out


# ---------------------------------------------------------------------------- traces
@dataclass
class TraceRow:
    """One row of a trace: its key (``"z_H1"``), labels, and one value per sample.

    ``math`` is the label in LaTeX (for Markdown), ``text`` the same label in plain text.
    A value of NaN prints as an empty cell (a target that is not given).
    """

    key: str
    math: str
    text: str
    values: np.ndarray


@dataclass
class TraceTable:
    """Table 1 for any network and batch: every intermediate variable, one column per sample.

    Rows, in order: the inputs x_{ik}; z_{ij}^H (with its formula); u_{ij}^H = g_act(z_{ij}^H);
    z_i^O (or z_{ij}^O for N_o > 1, with its formula); u_i^O when it says something that y_hat
    does not (sigmoid probability, softmax); y_hat_i; and y_i when targets are given.

    Use :meth:`to_markdown` for documents, :meth:`to_rich` (or print it with ``rich``) on the
    terminal, :meth:`row` for the numbers.
    """

    rows: list[TraceRow]
    columns: list[str]
    title: str = ""
    header: str = "sample"

    def row(self, key: str) -> np.ndarray:
        """The values of the row with this key (``"x"``, ``"z_H1"``, ``"u_H2"``, ``"z_O"``,
        ``"u_O"``, ``"y_hat"``, ``"y"``; with N_o > 1 ``"z_O1"``..., with N_i > 1 ``"x1"``...).
        """
        for r in self.rows:
            if r.key == key:
                return r.values
        raise KeyError(f"no row {key!r}; rows are {[r.key for r in self.rows]}")

    @property
    def keys(self) -> list[str]:
        return [r.key for r in self.rows]

    def cells(self, digits: int = 6) -> list[list[str]]:
        """Every row as strings: ``[label, value_1, ..., value_N]`` (plain-text labels)."""
        return [[r.text] + [format_number(v, digits) for v in r.values] for r in self.rows]

    def to_markdown(self, *, math: bool = True, digits: int = 6) -> str:
        """A Markdown table; labels as ``$...$`` LaTeX when ``math`` (GitHub renders it)."""
        head = [self.header] + list(self.columns)
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join([":---"] + ["---:"] * len(self.columns)) + "|"]
        for r in self.rows:
            label = f"${r.math}$" if math else r.text
            vals = [format_number(v, digits) for v in r.values]
            lines.append("| " + " | ".join([label] + vals) + " |")
        text = "\n".join(lines) + "\n"
        if self.title:
            text += f"\n{self.title}\n"
        return text

    def to_rich(self, digits: int = 6):
        """A :class:`rich.table.Table` for the terminal."""
        from rich.table import Table

        table = Table(title=self.title or None, show_lines=False)
        table.add_column(self.header, style="bold")
        for c in self.columns:
            table.add_column(str(c), justify="right")
        for r in self.rows:
            table.add_row(r.text, *[format_number(v, digits) for v in r.values])
        return table

    def __rich__(self):
        return self.to_rich()

    def __str__(self) -> str:
        return self.to_markdown(math=False)


def _float_targets(y, n: int) -> np.ndarray:
    vals = np.full(n, np.nan)
    y = list(np.asarray(y, dtype=object).reshape(-1)) if not np.isscalar(y) else [y]
    if len(y) != n:
        raise ValueError(f"y has {len(y)} entries but X has {n} samples; give one per sample "
                         "(None for a sample without a target)")
    for i, v in enumerate(y):
        vals[i] = np.nan if v is None else float(v)
    return vals


def trace(net: Network, X, y=None, *, names: Sequence[str] | None = None,
          show_u_O: bool | None = None, title: str = "", max_terms: int = 6) -> TraceTable:
    """Table 1 for any network and inputs: every variable of (9a)/(9b) for every sample.

    Parameters
    ----------
    net : Network
        Any one-hidden-layer network.
    X : array-like, (N, N_i) or, when N_i = 1, a flat list of N inputs
        The samples, one column each in the table.
    y : array-like of length N, optional
        Targets y_i; adds the last row of Table 1. ``None`` entries (a test sample) are blank.
        Class labels are checked as the loss checks them: 0/1 for a binary output, 0..K-1
        for a softmax (labels numbered 1..K as in the notes are refused, with the fix).
    names : sequence of str, optional
        Column headers (default ``"1"`` .. ``"N"``), e.g. ``["train"] * 4 + ["test"]``.
    show_u_O : bool, optional
        Whether to add the row u_i^O = g_out(z_i^O). By default it is shown for softmax outputs
        and for binary outputs of trainable networks (where it is P(y=1|x), (3)); it is left out
        for regression (u_O = z_O = y_hat) and for threshold networks, whose output is the
        threshold (4) as in Problems 1-3.
    title : str
        A caption, written under the Markdown table and above the rich table.
    max_terms : int
        Row labels show each linear combination (``z_{i1}^H = x_i - 2``) when it has at most
        this many terms; larger layers get the bare name.

    Returns
    -------
    TraceTable
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a shallownet.Network, got {type(net).__name__}")
    X2, _ = net.as_batch(X)
    N = X2.shape[0]
    tr = net.forward(X2)
    columns = [str(c) for c in names] if names is not None else [str(i + 1) for i in range(N)]
    if len(columns) != N:
        raise ValueError(f"names has {len(columns)} entries but X has {N} samples")
    out_name = net.output.name
    if show_u_O is None:
        show_u_O = out_name == "multiclass" or (
            out_name == "binary" and net.activation.name != "threshold")

    rows: list[TraceRow] = []
    # inputs
    if net.N_i == 1:
        x_math, x_text = ["x_i"], ["x_i"]
        rows.append(TraceRow("x", "x_i", "x_i", X2[:, 0].astype(float)))
    else:
        x_math = [f"x_{{i{k + 1}}}" for k in range(net.N_i)]
        x_text = [f"x_i{k + 1}" for k in range(net.N_i)]
        for k in range(net.N_i):
            rows.append(TraceRow(f"x{k + 1}", x_math[k], x_text[k], X2[:, k].astype(float)))
    # hidden layer (9a)
    g = net.activation.name
    for j in range(net.N_h):
        m, t = f"z_{{i{j + 1}}}^{{H}}", f"z_i{j + 1}^H"
        if net.N_i <= max_terms:
            m += " = " + linear_text(net.W_H[j], net.b_H[j], x_math)
            t += " = " + linear_text(net.W_H[j], net.b_H[j], x_text)
        rows.append(TraceRow(f"z_H{j + 1}", m, t, tr.z_H[:, j].astype(float)))
    g_m = r"g_{\mathrm{act}}" if g != "threshold" else r"\mathbb{1}"
    for j in range(net.N_h):
        if g == "threshold":
            m = f"u_{{i{j + 1}}}^{{H}} = \\mathbb{{1}}\\{{z_{{i{j + 1}}}^{{H}} \\geq 0\\}}"
            t = f"u_i{j + 1}^H = 1{{z_i{j + 1}^H >= 0}}"
        else:
            m = f"u_{{i{j + 1}}}^{{H}} = {g_m}(z_{{i{j + 1}}}^{{H}})"
            t = f"u_i{j + 1}^H = {g}(z_i{j + 1}^H)"
        rows.append(TraceRow(f"u_H{j + 1}", m, t, tr.u_H[:, j].astype(float)))
    # output layer (9b)
    u_math = [f"u_{{i{k + 1}}}^{{H}}" for k in range(net.N_h)]
    u_text = [f"u_i{k + 1}^H" for k in range(net.N_h)]
    single = net.N_o == 1
    for j in range(net.N_o):
        key = "z_O" if single else f"z_O{j + 1}"
        sm = "i" if single else f"i{j + 1}"
        m, t = f"z_{{{sm}}}^{{O}}", f"z_{sm}^O"
        if net.N_h <= max_terms:
            m += " = " + linear_text(net.W_O[j], net.b_O[j], u_math)
            t += " = " + linear_text(net.W_O[j], net.b_O[j], u_text)
        rows.append(TraceRow(key, m, t, tr.z_O[:, j].astype(float)))
    if show_u_O:
        for j in range(net.N_o):
            key = "u_O" if single else f"u_O{j + 1}"
            sm = "i" if single else f"i{j + 1}"
            if out_name == "binary":
                m = f"u_{{{sm}}}^{{O}} = 1/(1 + e^{{-z_{{{sm}}}^{{O}}}})"
                t = f"u_{sm}^O = 1/(1 + exp(-z_{sm}^O))"
            elif out_name == "multiclass":
                m = (f"u_{{{sm}}}^{{O}} = e^{{z_{{{sm}}}^{{O}}}}"
                     r" / \sum_\ell e^{z_{i\ell}^{O}}")
                t = f"u_{sm}^O = softmax(z_i^O)_{j + 1}"
            else:
                m = f"u_{{{sm}}}^{{O}} = z_{{{sm}}}^{{O}}"
                t = f"u_{sm}^O = z_{sm}^O"
            rows.append(TraceRow(key, m, t, tr.u_O[:, j].astype(float)))
    if out_name == "binary":
        rows.append(TraceRow("y_hat", r"\hat{y}_i = \mathbb{1}\{z_i^{O} \geq 0\}",
                             "y_hat_i = 1{z_i^O >= 0}", tr.y_hat.astype(float)))
    elif out_name == "multiclass":
        # the rows above count the classes k = 1..K as the notes do (z_{i1}^O ...), y_hat
        # counts them 0..K-1 as shallownet does: the label says so, in both forms
        rows.append(TraceRow("y_hat", r"\hat{y}_i = \arg\max_k z_{ik}^{O} - 1",
                             "y_hat_i = argmax_k z_ik^O - 1 (0-based)",
                             tr.y_hat.astype(float)))
    else:
        yh = np.asarray(tr.y_hat, dtype=float).reshape(N, -1)
        for j in range(yh.shape[1]):
            key = "y_hat" if yh.shape[1] == 1 else f"y_hat{j + 1}"
            sm = "i" if yh.shape[1] == 1 else f"i{j + 1}"
            rows.append(TraceRow(key, f"\\hat{{y}}_{{{sm}}} = z_{{{sm}}}^{{O}}",
                                 f"y_hat_{sm} = z_{sm}^O", yh[:, j]))
    if y is not None:
        yv = np.asarray(y, dtype=object)
        if out_name == "regression" and yv.ndim == 2 and yv.shape[1] > 1:
            for j in range(yv.shape[1]):
                rows.append(TraceRow(f"y{j + 1}", f"y_{{i{j + 1}}}", f"y_i{j + 1}",
                                     _float_targets(yv[:, j], N)))
        else:
            values = _float_targets(y, N)
            given = values[~np.isnan(values)]
            # class labels are checked as the loss checks them: 0/1 for (3), 0..K-1 for (5)
            # (the notes' 1..K are named), so the row never sits beside y_hat in another count
            if out_name == "multiclass" and given.size:
                net.output.encode_targets(given, n_classes=net.N_o)
            elif out_name == "binary" and given.size:
                net.output.encode_targets(given)
            rows.append(TraceRow("y", "y_i", "y_i", values))
    return TraceTable(rows=rows, columns=columns, title=title)


def print_trace(net: Network, X, y=None, *, console=None, **kwargs) -> TraceTable:
    """Print :func:`trace` as a rich table on the terminal and return it."""
    from rich.console import Console

    table = trace(net, X, y, **kwargs)
    (console or Console()).print(table.to_rich())
    return table


# ---------------------------------------------------------------------------- 1-D threshold
@dataclass(frozen=True)
class Interval:
    """A piece of the real line with the network's (constant) values on it.

    ``lo``/``hi`` are :class:`~fractions.Fraction` or ``-math.inf``/``math.inf``;
    ``lo == hi`` (both closed) is a single point. ``z_O`` is a Fraction (a tuple of them for
    N_o > 1), or None on a piece merged by y_hat where z_O is not constant; ``y_hat`` is an int
    (binary, multiclass) or equals ``z_O`` (regression).
    """

    lo: Fraction | float
    hi: Fraction | float
    lo_closed: bool
    hi_closed: bool
    z_O: Fraction | tuple | None
    y_hat: object

    def __contains__(self, x) -> bool:
        x = _exact(x)
        above = x > self.lo or (self.lo_closed and x == self.lo)
        below = x < self.hi or (self.hi_closed and x == self.hi)
        return bool(above and below)

    def text(self, var: str = "x") -> str:
        lo, hi = self.lo, self.hi
        if lo == -math.inf and hi == math.inf:
            return f"all {var}"
        if lo == hi:
            return f"{var} = {format_number(lo)}"
        if lo == -math.inf:
            return f"{var} {'<=' if self.hi_closed else '<'} {format_number(hi)}"
        if hi == math.inf:
            return f"{var} {'>=' if self.lo_closed else '>'} {format_number(lo)}"
        return (f"{var} in {'[' if self.lo_closed else '('}{format_number(lo)}, "
                f"{format_number(hi)}{']' if self.hi_closed else ')'}")


def _value_text(v) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(format_number(c) for c in v) + ")"
    return format_number(v)


@dataclass
class Piecewise:
    """The exact description of a 1-D threshold network, from :func:`describe_piecewise`.

    Attributes
    ----------
    breakpoints : list of Fraction
        The distinct x = -b_j/W_j of the units with W_j != 0, sorted.
    units : list of str
        Each hidden unit, e.g. ``"u_1^H = 1 for x >= 1, 0 otherwise"``.
    intervals : list of Interval
        The real line cut where z_O changes, with z_O and y_hat on each piece.
    y_hat_intervals : list of Interval
        The same line cut only where y_hat changes (adjacent pieces with equal y_hat merged).
    """

    variable: str
    breakpoints: list[Fraction]
    units: list[str]
    intervals: list[Interval]
    y_hat_intervals: list[Interval]
    n_outputs: int = 1
    output: str = "binary"
    _atoms: list[Interval] = field(default_factory=list, repr=False)

    def z_O_at(self, x):
        """z_O at x, exactly (Fraction, or a tuple for N_o > 1)."""
        for piece in self.intervals:
            if x in piece:
                return piece.z_O
        raise ValueError(f"x = {x!r} lies in no interval")  # pragma: no cover

    def y_hat_at(self, x):
        """y_hat at x, exactly."""
        for piece in self.y_hat_intervals:
            if x in piece:
                return piece.y_hat
        raise ValueError(f"x = {x!r} lies in no interval")  # pragma: no cover

    @property
    def z_O_text(self) -> str:
        """e.g. ``"z_O = 0.5 for x < 1; -0.5 for x in [1, 3); 1.5 for x >= 3"``."""
        return "z_O = " + _pieces_text(self.intervals, "z_O", self.variable)

    @property
    def y_hat_text(self) -> str:
        """e.g. ``"y_hat = 1 for x in [2, 4), 0 otherwise"``."""
        return "y_hat = " + _pieces_text(self.y_hat_intervals, "y_hat", self.variable,
                                         otherwise=True)

    @property
    def text(self) -> str:
        return "\n".join([*self.units, self.z_O_text, self.y_hat_text])

    def __str__(self) -> str:
        return self.text


def _pieces_text(pieces: list[Interval], attr: str, var: str, otherwise: bool = False) -> str:
    values = [getattr(p, attr) for p in pieces]
    if len(pieces) == 1:
        return f"{_value_text(values[0])} for all {var}"
    distinct = list(dict.fromkeys(values))
    if otherwise and len(distinct) == 2:
        # name the value that covers fewer pieces (on a tie the larger one, y_hat = 1);
        # the other is "otherwise"
        counts = [values.count(v) for v in distinct]
        if counts[0] != counts[1]:
            shown = distinct[0] if counts[0] < counts[1] else distinct[1]
        else:
            shown = max(distinct)
        rest = distinct[1] if shown == distinct[0] else distinct[0]
        where = " or ".join(p.text(var) for p in pieces if getattr(p, attr) == shown)
        return f"{_value_text(shown)} for {where}, {_value_text(rest)} otherwise"
    return "; ".join(f"{_value_text(getattr(p, attr))} for {p.text(var)}" for p in pieces)


def _unit_text(j: int, w: Fraction, b: Fraction, var: str) -> str:
    name = f"u_{j + 1}^H"
    if w == 0:
        return f"{name} = {1 if b >= 0 else 0} for all {var}"
    t = -b / w
    cond = f"{var} >= {format_number(t)}" if w > 0 else f"{var} <= {format_number(t)}"
    return f"{name} = 1 for {cond}, 0 otherwise"


def describe_piecewise(net: Network, *, variable: str = "x") -> Piecewise:
    """The exact piecewise description of z_O and y_hat for a 1-D threshold network.

    With one input (N_i = 1) and the threshold activation (2), hidden unit j computes
    u_j^H = 1{W_j x + b_j >= 0}: for W_j > 0 it is on for x >= -b_j/W_j (closed left end), for
    W_j < 0 it is on for x <= -b_j/W_j (closed right end), and for W_j = 0 it is constant
    (1 when b_j >= 0). So z_O = W_O u^H + b_O (8) is constant between the breakpoints
    -b_j/W_j, and may take a third value *at* a breakpoint where units of both signs meet.
    This function cuts the line at every breakpoint, evaluates z_O exactly (Fractions) on each
    open interval and at each breakpoint, and merges neighbours with equal values.

    Parameters
    ----------
    net : Network
        N_i = 1, ``activation="threshold"``; any output type (binary: y_hat by (4);
        multiclass: (6), 0-based; regression: y_hat = z_O (7)).
    variable : str
        The name of the input in the text, default ``"x"``.

    Returns
    -------
    Piecewise
        ``.intervals`` (merged by z_O), ``.y_hat_intervals`` (merged by y_hat), ``.z_O_text``,
        ``.y_hat_text`` and per-unit ``.units``. Problem 2's network gives
        ``"y_hat = 1 for x in [2, 4), 0 otherwise"``.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a shallownet.Network, got {type(net).__name__}")
    if net.N_i != 1:
        raise ValueError(f"describe_piecewise needs one input (N_i = 1), the network has "
                         f"N_i = {net.N_i}; use describe_regions for more inputs")
    if net.activation.name != "threshold":
        raise ValueError(f"describe_piecewise needs the threshold activation (2), the network "
                         f"uses {net.activation.name!r}; its z_O is not piecewise constant")
    W = [_exact(w) for w in net.W_H[:, 0]]
    b = [_exact(v) for v in net.b_H]
    WO = [[_exact(w) for w in row] for row in net.W_O]
    bO = [_exact(v) for v in net.b_O]
    out = net.output.name

    def value_at(x: Fraction):
        u = [1 if (w * x + bj) >= 0 else 0 for w, bj in zip(W, b, strict=True)]
        z = tuple(sum((wk * uk for wk, uk in zip(row, u, strict=True)), Fraction(0)) + bk
                  for row, bk in zip(WO, bO, strict=True))
        if out == "binary":
            yh = 1 if z[0] >= 0 else 0
        elif out == "multiclass":
            yh = max(range(len(z)), key=lambda k: (z[k], -k))  # first maximum, as argmax
        else:
            yh = z if len(z) > 1 else z[0]
        return (z if len(z) > 1 else z[0]), yh

    bps = sorted({-bj / w for w, bj in zip(W, b, strict=True) if w != 0})
    # atoms: the open gaps and the breakpoints themselves
    atoms: list[Interval] = []
    edges = [-math.inf, *bps, math.inf]
    for k in range(len(edges) - 1):
        lo, hi = edges[k], edges[k + 1]
        if lo == -math.inf and hi == math.inf:
            probe = Fraction(0)
        elif lo == -math.inf:
            probe = hi - 1
        elif hi == math.inf:
            probe = lo + 1
        else:
            probe = (lo + hi) / 2
        atoms.append(Interval(lo, hi, False, False, *value_at(probe)))
        if hi != math.inf:
            atoms.append(Interval(hi, hi, True, True, *value_at(hi)))

    def merge(key) -> list[Interval]:
        merged: list[Interval] = []
        for a in atoms:
            if merged and key(merged[-1]) == key(a):
                m = merged[-1]
                merged[-1] = Interval(m.lo, a.hi, m.lo_closed, a.hi_closed, m.z_O, m.y_hat)
            else:
                merged.append(a)
        return merged

    by_z = merge(lambda p: p.z_O)
    by_y = [Interval(p.lo, p.hi, p.lo_closed, p.hi_closed,
                     p.z_O if out == "regression" else None, p.y_hat)
            for p in merge(lambda p: p.y_hat)]
    # a merged piece whose z_O is not constant keeps z_O = None (regression: z_O = y_hat)
    units = [_unit_text(j, w, bj, variable) for j, (w, bj) in enumerate(zip(W, b, strict=True))]
    return Piecewise(variable=variable, breakpoints=bps, units=units, intervals=by_z,
                     y_hat_intervals=by_y, n_outputs=net.N_o, output=out, _atoms=atoms)


# ---------------------------------------------------------------------------- regions
@dataclass
class Regions:
    """Where each threshold unit fires and where y_hat = 1, from :func:`describe_regions`.

    Attributes
    ----------
    units : list of str
        ``"u_j^H = 1 where <half-space>"`` for each hidden unit.
    half_spaces : list of str
        The inequality ``W_j x + b_j >= 0`` of each unit, written out (``"x_1 + x_2 >= 1"``).
    patterns : list of tuple of int
        The activation patterns u^H (feasible ones) for which y_hat = 1.
    y_hat_text : str
        ``"y_hat = 1 where x_1 >= 0, x_2 >= 0, x_1 + x_2 < 1; 0 elsewhere"``.
    """

    units: list[str]
    half_spaces: list[str]
    patterns: list[tuple[int, ...]]
    conditions: list[list[str]]
    y_hat_text: str

    @property
    def text(self) -> str:
        return "\n".join([*self.units, self.y_hat_text])

    def __str__(self) -> str:
        return self.text


def _inequality(w, b, symbols, on: bool) -> str:
    """``w.x + b >= 0`` (``on``) or ``< 0`` written with the constant moved right."""
    w = [_exact(c) for c in w]
    b = _exact(b)
    # make the leading coefficient positive by flipping the inequality if needed
    lead = next((c for c in w if c != 0), None)
    if lead is None:
        return "always" if (b >= 0) == on else "never"
    flip = lead < 0
    if flip:
        w, b = [-c for c in w], -b
    lhs = linear_text(w, 0, symbols)
    # on: w.x + b >= 0 (flipped: <= 0); off: < 0 (flipped: > 0)
    op = {(True, False): ">=", (True, True): "<=", (False, False): "<", (False, True): ">"}
    return f"{lhs} {op[(on, flip)]} {format_number(-b)}"


def _pattern_feasible(net: Network, pattern) -> bool:
    """Is there an x with 1{W_j x + b_j >= 0} = pattern_j for every j? (a small LP)"""
    from scipy.optimize import linprog

    W, b = net.W_H.astype(float), net.b_H.astype(float)
    on = np.array(pattern, bool)
    # variables (x, t): maximise t subject to W_on x + b_on >= 0, W_off x + b_off + t <= 0
    n = W.shape[1]
    A = np.vstack([np.hstack([-W[on], np.zeros((on.sum(), 1))]),
                   np.hstack([W[~on], np.ones(((~on).sum(), 1))])])
    ub = np.concatenate([b[on], -b[~on]])
    res = linprog(c=np.r_[np.zeros(n), -1.0], A_ub=A, b_ub=ub,
                  bounds=[(None, None)] * n + [(None, 1.0)], method="highs")
    if res.status != 0:
        return False
    return bool((~on).sum() == 0 or -res.fun > 1e-12)


def describe_regions(net: Network, *, max_units: int = 12) -> Regions:
    """Where each hidden unit fires and where y_hat = 1, for a threshold network with a
    binary output and any number of inputs (section 1, Problem 3).

    Unit j fires (u_j^H = 1) on the closed half-space W_j x + b_j >= 0 (2). z_O depends on x
    only through the pattern u^H in {0, 1}^N_h, so y_hat = 1 exactly on the union of the cells
    whose pattern gives z_O >= 0 (4). Patterns whose cell is empty are dropped (a small linear
    program decides).
    """
    if net.activation.name != "threshold" or net.output.name != "binary":
        raise ValueError("describe_regions needs activation='threshold' and output='binary' "
                         f"(Problem 3); got {net.activation.name!r} / {net.output.name!r}")
    if net.N_h > max_units:
        raise ValueError(f"N_h = {net.N_h} gives 2^{net.N_h} patterns; raise max_units to "
                         "enumerate them anyway")
    symbols = [f"x_{k + 1}" for k in range(net.N_i)] if net.N_i > 1 else ["x"]
    half = [_inequality(net.W_H[j], net.b_H[j], symbols, True) for j in range(net.N_h)]
    units = [f"u_{j + 1}^H = 1 where {half[j]}" for j in range(net.N_h)]
    WO = [_exact(w) for w in net.W_O[0]]
    bO = _exact(net.b_O[0])
    patterns, conditions = [], []
    for pattern in itertools.product((0, 1), repeat=net.N_h):
        z = sum((w * u for w, u in zip(WO, pattern, strict=True)), Fraction(0)) + bO
        if z >= 0 and _pattern_feasible(net, pattern):
            patterns.append(pattern)
            conditions.append([_inequality(net.W_H[j], net.b_H[j], symbols, bool(u))
                               for j, u in enumerate(pattern)])
    if not patterns:
        text = "y_hat = 0 everywhere"
    else:
        where = " or ".join("(" + ", ".join(c) + ")" for c in conditions)
        if len(patterns) == 1:
            where = where[1:-1]
        text = f"y_hat = 1 where {where}; 0 elsewhere"
    return Regions(units=units, half_spaces=half, patterns=patterns, conditions=conditions,
                   y_hat_text=text)

"""One table of hyper-parameter ranges, checked in one place.

The idea is scikit-learn's ``_parameter_constraints``, written here for shallownet: each
hyper-parameter that the estimators, ``shallownet.train`` and the train workflow accept has one
entry in :data:`CONSTRAINTS` saying what values it may take, and :func:`check_params` checks a
dict of them against the table and raises one ``ValueError`` that names the parameter, the
allowed values and the value given. Callers that spell the parameters differently (the command
line's ``--test-size``) pass their own spelling for the message.

The table is data, so documentation and tests can read it: ``CONSTRAINTS["batch_size"]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

__all__ = ["CONSTRAINTS", "Interval", "Options", "check_params", "check_random_state",
           "draw_seed"]


@dataclass(frozen=True)
class Interval:
    """A number in ``[low, high]`` (``open`` names the ends that are excluded).

    ``integer=True`` admits only integers (not bools); otherwise any finite real (not bool).
    """

    low: float = -math.inf
    high: float = math.inf
    open: str = ""   # "", "low", "high" or "both"
    integer: bool = False

    def accepts(self, value) -> bool:
        kind = Integral if self.integer else Real
        if not isinstance(value, kind) or isinstance(value, bool | np.bool_):
            return False
        if not math.isfinite(value):
            return False
        above = value > self.low if self.open in ("low", "both") else value >= self.low
        below = value < self.high if self.open in ("high", "both") else value <= self.high
        return above and below

    def describe(self) -> str:
        if self.integer and self.low == 1 and self.high == math.inf:
            return "a positive integer"
        if self.integer and self.low == 0 and self.high == math.inf:
            return "a non-negative integer"
        if self.integer and self.low == self.high and not self.open:
            return f"{self.low:g}"
        lo = "(" if self.open in ("low", "both") else "["
        hi = ")" if self.open in ("high", "both") or self.high == math.inf else "]"
        high = "inf" if self.high == math.inf else f"{self.high:g}"
        what = "an integer" if self.integer else "a number"
        return f"{what} in {lo}{self.low:g}, {high}{hi}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of strings (compared without case)."""

    values: tuple[str, ...]

    def accepts(self, value) -> bool:
        return isinstance(value, str) and value.lower() in self.values

    def describe(self) -> str:
        return f"one of {list(self.values)}"


class _NoneOK:
    def accepts(self, value) -> bool:
        return value is None

    def describe(self) -> str:
        return "None"


class _RandomState:
    def accepts(self, value) -> bool:
        if isinstance(value, np.random.RandomState | np.random.Generator):
            return True
        return isinstance(value, Integral) and not isinstance(value, bool) \
            and 0 <= value < 2**32

    def describe(self) -> str:
        return ("an integer in [0, 2**32), a numpy.random.RandomState or a "
                "numpy.random.Generator")


class _Bool:
    def accepts(self, value) -> bool:
        return isinstance(value, bool | np.bool_)

    def describe(self) -> str:
        return "True or False"


class _ClassWeight:
    def accepts(self, value) -> bool:
        if isinstance(value, str):
            return value == "balanced"
        return isinstance(value, Mapping) and all(
            isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
            for v in value.values())

    def describe(self) -> str:
        return "'balanced' or a dict {label: non-negative weight}"


NONE = _NoneOK()
RANDOM_STATE = _RandomState()
BOOL = _Bool()
POSITIVE_INT = Interval(1, integer=True)
NON_NEGATIVE = Interval(0)
FRACTION = Interval(0, 1, open="both")

#: What each hyper-parameter may be: a value is valid when one entry of its list accepts it.
CONSTRAINTS: dict[str, list] = {
    "hidden_units": [POSITIVE_INT],
    "optimizer": [Options(("sgd", "momentum", "adam", "lbfgs"))],
    "learning_rate": [NONE, Interval(0, open="low")],
    "momentum": [Interval(0, 1, open="high")],
    "nesterov": [BOOL],
    "batch_size": [POSITIVE_INT],
    "epochs": [POSITIVE_INT],
    "l2": [NON_NEGATIVE],
    "early_stopping": [BOOL],
    "validation_fraction": [FRACTION],
    "patience": [POSITIVE_INT],
    "min_delta": [NON_NEGATIVE],
    "shuffle": [BOOL],
    "random_state": [NONE, RANDOM_STATE],
    "warm_start": [BOOL],
    "verbose": [BOOL, Interval(0, integer=True)],
    "n_threads": [NONE, Interval(-1, -1, integer=True), POSITIVE_INT],
    # the train workflow's own
    "test_size": [Interval(0, 1, open="high")],
    "scale": [BOOL],
    "class_weight": [NONE, _ClassWeight()],
}


def check_params(params: Mapping, *, spelling: Mapping[str, str] | Callable[[str], str]
                 | None = None) -> None:
    """Check each of ``params`` that has an entry in :data:`CONSTRAINTS`.

    Parameters
    ----------
    params : mapping of name -> value
        Names without an entry are not checked here (``activation``, ``dtype``, ``callbacks``
        have checks of their own where they are resolved).
    spelling : mapping or callable, optional
        How to name a parameter in the message (e.g. ``{"test_size": "--test-size"}``).

    Raises
    ------
    ValueError
        ``"<name> must be <allowed>, got <value>"`` for the first invalid value.
    """
    for name, value in params.items():
        rules = CONSTRAINTS.get(name)
        if rules is None or any(rule.accepts(value) for rule in rules):
            continue
        shown = name
        if callable(spelling):
            shown = spelling(name)
        elif spelling is not None:
            shown = spelling.get(name, name)
        allowed = " or ".join(rule.describe() for rule in rules)
        raise ValueError(f"{shown} must be {allowed}, got {value!r}")


def check_random_state(random_state) -> np.random.Generator:
    """A ``numpy.random.Generator`` from ``random_state`` (None, int, RandomState, Generator).

    As in scikit-learn: None draws fresh entropy; an int gives the same stream every time; a
    ``Generator`` is used (and advanced) as is; a ``RandomState`` is advanced to seed a new
    generator, so successive fits with one ``RandomState`` differ, as in scikit-learn.
    """
    check_params({"random_state": random_state})
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**32, size=4, dtype=np.uint64))
    return np.random.default_rng(None if random_state is None else int(random_state))


def draw_seed() -> int:
    """A fresh seed in [0, 2**32) from the operating system's entropy, to record and reuse."""
    return int(np.random.SeedSequence().generate_state(1)[0])


# ---------------------------------------------------------------------------- missing values
# (the estimators' label and column checks, and the Dask back end's checks on the workers)
def _is_missing(value) -> bool:
    """None, NaN, or pandas' NA or NaT: a missing label or value (pandas need not be
    installed: its two markers are known by their types)."""
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    kind = type(value)
    return kind.__name__ in ("NAType", "NaTType") and kind.__module__.startswith("pandas")


def _first_missing(values: np.ndarray):
    """(how many, the position of the first, the first) of the missing entries of an object
    array (None, NaN, pd.NA, pd.NaT), or None when every entry is there."""
    flat = values.ravel()
    if all(issubclass(kind, str | int | np.integer | np.bool_) for kind in set(map(type, flat))):
        return None  # (strings or whole numbers, the usual labels: one quick pass)
    missing = np.fromiter(map(_is_missing, flat), bool, flat.size)
    if not missing.any():
        return None
    k = int(np.argmax(missing))
    where = tuple(int(i) for i in np.unravel_index(k, values.shape))
    return int(missing.sum()), where, flat[k]


def _missing_text(value) -> str:
    """A missing value as a message shows it: None, NaN, <NA> or NaT."""
    if value is None:
        return "None"
    return "NaN" if isinstance(value, float | np.floating) else str(value)

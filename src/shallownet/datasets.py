"""The data layer's former name: ``shallownet.datasets`` is :mod:`shallownet.data`."""

from __future__ import annotations

from .data import *  # noqa: F403
from .data import __all__  # noqa: F401

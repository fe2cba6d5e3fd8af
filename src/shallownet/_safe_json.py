"""JSON from untrusted files: sized up before it is parsed, and parsed strictly.

``json.loads`` spends time and memory in proportion to what a document *contains*: a 95 MB
list of 32 million empty lists costs gigabytes, a document nested 100,000 deep raises
``RecursionError``. :func:`loads` first measures the document's skeleton (its structure with
every string emptied) with linear-time C routines (one regular expression, ``bytes.count``,
``bytes.translate``), refuses it when it is larger, deeper or has more entries than allowed,
and only then parses it, refusing duplicate object keys, ``NaN``/``Infinity`` and numbers that
do not fit a 64-bit integer or a finite float.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np

__all__ = ["JSONLimitError", "loads"]

# A JSON string, or an unterminated one running to the end: every '"' starts a match that ends
# at its closing quote (or at the end), so the scan is linear even for hostile input.
_STRING = re.compile(rb'"[^"\\]*+(?:\\(?:.|\Z)[^"\\]*+)*+(?:"|\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1  # int64 and uint64 both fit


class JSONLimitError(ValueError):
    """The document is larger, deeper or has more entries than allowed, or is not strict JSON."""


def _skeleton(raw: bytes) -> tuple[int, bytes]:
    """(entries, brackets): an upper bound on the number of values (one per comma, one per
    container, one more) and the document's brackets in order, strings ignored."""
    skeleton = _STRING.sub(b'""', raw)
    brackets = skeleton.translate(None, _NOT_BRACKETS)
    return skeleton.count(b",") + len(brackets) // 2 + 1, brackets


def _depth(brackets: bytes) -> int:
    """The deepest nesting of arrays and objects."""
    if not brackets:
        return 0
    b = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((b == ord("[")) | (b == ord("{")), np.int8(1), np.int8(-1))
    return int(np.cumsum(steps, dtype=np.int32).max())


def loads(raw: bytes | str, *, max_bytes: int, max_depth: int, max_entries: int,
          what: str = "the document"):
    """Parse ``raw`` as strict JSON within the given limits; raises :class:`JSONLimitError`.

    Checked before parsing: size in bytes, nesting depth, number of entries. While parsing:
    no repeated key in any object, no ``NaN``/``Infinity``, integers within
    [-2**63, 2**64 - 1], floats finite (``1e400`` is refused rather than read as inf).
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > max_bytes:
        raise JSONLimitError(f"{what} has {len(raw):,} bytes, more than the {max_bytes:,} allowed")
    entries, brackets = _skeleton(raw)
    if entries > max_entries:
        raise JSONLimitError(f"{what} has about {entries:,} entries, more than the "
                             f"{max_entries:,} allowed")
    depth = _depth(brackets)
    if depth > max_depth:
        raise JSONLimitError(f"{what} nests {depth} levels deep, more than the {max_depth} "
                             "allowed")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONLimitError(f"{what} is not UTF-8 text ({exc})") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant,
                          parse_int=_int, parse_float=_float)
    except RecursionError:  # cannot happen within max_depth; kept as a last guard
        raise JSONLimitError(f"{what} nests too deeply") from None
    except JSONLimitError:
        raise
    except ValueError as exc:
        raise JSONLimitError(f"{what} is not valid JSON ({exc})") from None


def _unique_keys(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise JSONLimitError(f"the key {twice!r} appears twice in one object")
    return out


def _no_constant(name: str):
    raise JSONLimitError(f"{name} is not a JSON number")


def _int(text: str) -> int:
    # More than 20 digits cannot fit; refusing them first also avoids int()'s digit limit.
    if len(text.lstrip("-")) > 20 or not _INT_MIN <= (value := int(text)) <= _INT_MAX:
        raise JSONLimitError(f"the integer {text[:30]}{'...' if len(text) > 30 else ''} does "
                             "not fit in 64 bits")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONLimitError(f"the number {text[:30]} is too large for a float")
    return value

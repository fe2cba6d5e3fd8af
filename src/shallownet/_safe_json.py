"""JSON from untrusted files: sized up before it is parsed, and parsed strictly.

``json.loads`` spends time and memory in proportion to what a document *contains*: a 95 MB
list of 32 million empty lists costs gigabytes, a document nested 100,000 deep raises
``RecursionError``. :func:`loads` first measures the document's skeleton (its structure with
the strings taken out) in linear time and bounded memory (``bytes.replace``, numpy over 4 MiB
blocks, ``bytes.count``, ``bytes.translate``), refuses it when it is larger, deeper or has more
entries or keys than allowed, and only then parses it, refusing duplicate object keys,
``NaN``/``Infinity`` and numbers that do not fit a 64-bit integer or a finite float.
"""

from __future__ import annotations

import json
import re

import numpy as np

__all__ = ["JSONLimitError", "loads"]

_BLOCK = 1 << 22  # bytes measured at a time
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# Numbers with more than 20 digits (beyond 64 bits), exponents of 3 or more digits.
_LONG_NUMBER = re.compile(rb"\d{21,}")
_EXPONENT = re.compile(rb"[eE][+]?0*(\d{3,})")


class JSONLimitError(ValueError):
    """The document is larger, deeper or has more entries than allowed, or is not strict JSON."""


def _skeleton(raw: bytes) -> tuple[bytes, int, bytes]:
    """(skeleton, entries, brackets): the document without its strings, an upper bound on the
    number of values (one per comma, one per container, one more) and the brackets.

    Escapes go first (``\\\\`` pairs, then ``\\"``), so that every quote left opens or closes
    a string; then, block by block (bounded memory), the characters after an odd number of
    quotes are dropped.
    """
    text = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    pieces, inside = [], 0
    for start in range(0, len(text), _BLOCK):
        block = np.frombuffer(text, np.uint8, count=min(_BLOCK, len(text) - start),
                              offset=start)
        quote = block == ord('"')
        parity = (np.cumsum(quote, dtype=np.uint8) + inside) & 1
        pieces.append(block[(parity == 0) & ~quote].tobytes())
        inside = int(parity[-1])
    skeleton = b"".join(pieces)
    brackets = skeleton.translate(None, _NOT_BRACKETS)
    return skeleton, skeleton.count(b",") + len(brackets) // 2 + 1, brackets


def _depth(brackets: bytes) -> int:
    """The deepest nesting of arrays and objects."""
    if not brackets:
        return 0
    b = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((b == ord("[")) | (b == ord("{")), np.int8(1), np.int8(-1))
    return int(np.cumsum(steps, dtype=np.int32).max())


def loads(raw: bytes | str, *, max_bytes: int, max_depth: int, max_entries: int,
          max_keys: int | None = None, what: str = "the document"):
    """Parse ``raw`` as strict JSON within the given limits; raises :class:`JSONLimitError`.

    Checked before parsing: size in bytes, nesting depth, number of entries and of object
    keys, no number of more than 20 digits (no integer beyond 64 bits, no ``10**400``) and no
    exponent beyond a float's (``1e400`` is refused rather than read as inf). While parsing:
    no repeated key in any object, no ``NaN``/``Infinity``.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > max_bytes:
        raise JSONLimitError(f"{what} has {len(raw):,} bytes, more than the {max_bytes:,} allowed")
    skeleton, entries, brackets = _skeleton(raw)
    if entries > max_entries:
        raise JSONLimitError(f"{what} has about {entries:,} entries, more than the "
                             f"{max_entries:,} allowed")
    keys = skeleton.count(b":")
    if max_keys is not None and keys > max_keys:
        raise JSONLimitError(f"{what} has {keys:,} object keys, more than the {max_keys:,} "
                             "allowed")
    long = _LONG_NUMBER.search(skeleton)
    if long:
        raise JSONLimitError(f"the number {long.group()[:30].decode()}... has more than 20 "
                             "digits (it does not fit in 64 bits)")
    for exponent in _EXPONENT.findall(skeleton):
        if int(exponent) > 308:
            raise JSONLimitError(f"a number with exponent {int(exponent)} is too large for a "
                                 "float")
    depth = _depth(brackets)
    if depth > max_depth:
        raise JSONLimitError(f"{what} nests {depth} levels deep, more than the {max_depth} "
                             "allowed")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONLimitError(f"{what} is not UTF-8 text ({exc})") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
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

"""Tie-breaking of the exact sharing methods: every optimum is the lexicographically smallest.

Among optimal assignments the exact methods return the *lexicographically
smallest* one: environment 0 gets the smallest candidate index that any
optimal assignment gives it, then environment 1, and so on. For coupled slots
the per-environment tuples ``(a_1[e], a_2[e], ...)`` are compared in turn,
environment 0 first. Partitions are compared by their restricted growth
string (the block label of each environment, blocks numbered by smallest
member): an environment joins the earliest block that costs nothing extra.
Ties are equalities of the floating-point sums the DP computes, so the rule is
exact for integer-valued costs; for real-valued costs it holds up to rounding.
``branch-and-bound`` returns a deterministic optimum that is not guaranteed
to be the lexicographically smallest.

The dynamic programs carry, with every state, the integer key of its
smallest optimal assignment (one digit per environment, packed into int64
words by :func:`_key_weights`), so ties are broken while they run and the
final key is the answer (:func:`_decode_keys`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

_KEYMAX = np.iinfo(np.int64).max


def _key_weights(n: int, base: int) -> list[np.ndarray]:
    """Weights that turn a digit vector (digits < base) into int64 words.

    Word w holds consecutive positions; position 0 is the most significant
    digit of word 0, so comparing the words in turn compares the vectors
    lexicographically.
    """
    per_word = 1
    while base ** (per_word + 1) < (1 << 62):
        per_word += 1
    words = []
    for start in range(0, n, per_word):
        stop = min(n, start + per_word)
        w = np.zeros(n, dtype=np.int64)
        w[start:stop] = [base ** (stop - 1 - e) for e in range(start, stop)]
        words.append(w)
    return words


def _decode_keys(keys: Sequence[np.ndarray], weights: Sequence[np.ndarray], base: int) -> np.ndarray:
    n = len(weights[0])
    out = np.zeros(np.shape(keys[0]) + (n,), dtype=np.int64)
    for key, w in zip(keys, weights):
        for e in np.flatnonzero(w):
            out[..., e] = (key // w[e]) % base
    return out


def _lex_argmin(vals: np.ndarray, keys: Callable[[], list[np.ndarray]], axis: int) -> np.ndarray:
    """Index of the smallest ``(vals, key_0, key_1, ...)`` along ``axis``.

    ``keys`` is only evaluated when some values tie.
    """
    sel = vals == vals.min(axis=axis, keepdims=True)
    if np.count_nonzero(sel) * vals.shape[axis] > sel.size:  # some values tie
        for key in keys():
            masked = np.where(sel, key, _KEYMAX)
            sel = masked == masked.min(axis=axis, keepdims=True)
    return sel.argmax(axis=axis)


def _lex_min_first_axis(
    vals: np.ndarray, keys: Callable[[], list[np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """Minimum of ``vals`` over axis 0 and the index of the smallest ``(vals, keys...)``."""
    best = vals.min(axis=0)
    sel = vals == best
    if np.count_nonzero(sel) > best.size:  # some values tie: compare the keys
        for key in keys():
            masked = np.where(sel, key, _KEYMAX)
            sel = masked == masked.min(axis=0)
    return best, sel.argmax(axis=0)


def _lex_less(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> np.ndarray:
    less = np.zeros(np.shape(a[0]), dtype=bool)
    equal = np.ones(np.shape(a[0]), dtype=bool)
    for x, y in zip(a, b):
        less |= equal & (x < y)
        equal &= x == y
    return less

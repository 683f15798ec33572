"""Sets of environments as bit masks (environment e is bit ``1 << e``): sums over every subset, masks by size.

>>> _subset_sums(np.array([1.0, 2.0, 4.0])).tolist()
[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
>>> [(p, masks.tolist()) for p, masks, _ in _masks_by_size(2)]
[(1, [1, 2]), (2, [3])]
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def _subset_sums(x: np.ndarray) -> np.ndarray:
    """``out[..., mask] = sum(x[..., e] for e in mask)`` over the last axis."""
    n = x.shape[-1]
    out = np.zeros(x.shape[:-1] + (1 << n,), dtype=x.dtype)
    for e in range(n):
        out[..., 1 << e : 2 << e] = out[..., : 1 << e] + x[..., e : e + 1]
    return out


def _masks_by_size(n: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """For p = 1..n: ``p``, the masks of n bits with p bits set (C,), and each mask's set bits, lowest first (C, p)."""
    every = np.arange(1 << n, dtype=np.int64)
    sizes = np.bitwise_count(every)
    for p in range(1, n + 1):
        masks = every[sizes == p]
        bits = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)
        yield p, masks, np.argsort(~bits, axis=1, kind="stable")[:, :p]

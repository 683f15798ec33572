"""Equal-width bins over a real variable's pooled range, each a whole number of recording cells.

A real variable's histogram (:mod:`kdsl.mechanisms.regression`) and a free
table over a real parent (``K ~ table(Y)`` with ``Y`` real,
:mod:`kdsl.mechanisms.tables`) both cut the variable's range into B equal
bins. The range is the pooled [lowest, highest] value over all environments,
C recording cells of width ``step``; each bin is w = ceil(C / B) cells, so no
bin is finer than the recorded resolution, and the code chooses B from
:func:`candidates` (paying for it with an Elias gamma code, a prefix code over
every B >= 1). A decoder that knows the variable's values (a parent is decoded
before its child) knows the range, so a table over a parent's bins sends only B.

>>> candidates(cells=6, rows=100)
[1, 2, 3, 4, 5, 6]
>>> candidates(cells=1000, rows=30, dims=2)[-1]   # B**2 configurations at most 30
5
"""

from __future__ import annotations

import math

import numpy as np

from kdsl.data.bind import BoundModel
from kdsl.language.model import Variable

__all__ = ["MAX_BINS", "candidates", "value_range", "bin_codes"]

#: The most bins a histogram or a table over a real parent tries.
MAX_BINS = 512


def candidates(cells: float, rows: int, dims: int = 1) -> list[int]:
    """The numbers of bins the code tries: a geometric grid from 1 to min(cells, rows, MAX_BINS), and with
    ``dims`` real parents sharing one B, at most ``rows`` joint bins (B**dims <= rows)."""
    top = int(max(1, min(cells, rows, MAX_BINS)))
    out = sorted({max(1, min(top, int(round(1.25 ** i)))) for i in range(64)})
    return [b for b in out if b <= top and (dims == 1 or b ** dims <= max(rows, 1))]


def value_range(bound: BoundModel, var: Variable) -> tuple[float, float]:
    """The pooled lowest value of ``var`` and the number of recording cells its range spans (inf: too many
    cells for a float, so no bins describe it)."""
    pooled = np.concatenate([env.columns[var.name] for env in bound.environments]).astype(float)
    lo, hi = float(pooled.min()), float(pooled.max())
    span = hi / var.step - lo / var.step
    return lo, (math.floor(span + 0.5) + 1.0 if math.isfinite(span) else math.inf)


def bin_codes(bound: BoundModel, var: Variable, bins: int) -> tuple[list[np.ndarray], float, float]:
    """Per environment each row's bin (0..bins-1) among ``bins`` equal bins over the pooled range.

    Returns ``(codes per environment, width in cells, cells in the range)``.

    >>> import kdsl
    >>> b = kdsl.load("var Y real step 0.5\\nenv a from a\\nhypothesis h {\\n Y ~ normal\\n}",
    ...               data={"a": {"Y": [0.0, 0.5, 1.0, 2.5]}})
    >>> codes, width, cells = bin_codes(b, b.model.variables["Y"], 3)
    >>> codes[0].tolist(), width, cells
    ([0, 0, 1, 2], 2.0, 6.0)
    """
    lo, cells = value_range(bound, var)
    width = float(math.ceil(cells / bins))
    out = []
    for env in bound.environments:
        position = np.floor((env.columns[var.name].astype(float) / var.step - lo / var.step) + 0.5)
        out.append(np.clip(np.floor(position / width), 0, bins - 1).astype(np.int64))
    return out, width, cells

"""Free and invariant tables: count tables and the cost of one shared table.

A free table for a child with K values given parents with J joint
configurations is scored from per-environment count tables ``counts[e, j, x]``;
an invariant table (``table / SYMMETRY``) uses the orbits of the parent
configurations under the symmetry instead of the configurations themselves.
Counts for every subset of environments come from one pass over subsets, so
rows are never re-read per candidate grouping.

>>> from kdsl.codes import get_code
>>> counts = np.array([[[3, 1]], [[0, 4]]])          # two environments, no parents, K = 2
>>> data, param, rows = group_costs(subset_counts(counts), get_code("bic"))
>>> [round(float(x), 3) for x in data[1:]]           # masks {e0}, {e1}, {e0, e1}
[3.245, 0.0, 7.635]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from kdsl.data.bind import BoundModel
from kdsl.language.model import Symmetry, Variable
from kdsl.mechanisms.bins import bin_codes

if TYPE_CHECKING:
    from kdsl.codes.base import Code

__all__ = ["orbit_index", "count_tables", "subset_counts", "group_costs", "quantized", "quantized_data_bits",
           "mle_data_bits"]


def orbit_index(var: Variable, symmetry: Symmetry | None) -> tuple[np.ndarray, int]:
    """Orbit id of each value code of ``var`` under ``symmetry``, and the number of orbits.

    The orbits are the symmetry kind's (:mod:`kdsl.mechanisms.symmetries`).
    Without a symmetry (or one acting on another variable) each value is its
    own orbit.

    >>> from kdsl.errors import Span
    >>> at = Span(1, 1, 1, 14, 0, 13)
    >>> v = Variable("X", "int", 0, 4, span=at)
    >>> orbit_index(v, Symmetry("m", ("X",), "reflect", at))
    (array([0, 1, 2, 1, 0]), 3)
    """
    if symmetry is None or var.name not in symmetry.variables:
        return np.arange(var.size), var.size
    return symmetry.rule.orbits(var.size)


def count_tables(
    bound: BoundModel, child: Variable, parents: list[Variable], symmetry: Symmetry | None = None, bins: int = 0,
) -> np.ndarray:
    """``counts[e, j, x]``: rows of environment e with parent configuration (orbit) j and child code x.

    Without a symmetry or a real parent the table is a view of the joint
    counts of the child and its parents (:meth:`BoundModel.joint_counts`),
    which every ordering of the same variables shares: X given Y and Y given X
    cost one count. With a symmetry, the parents' orbit ids join the index
    instead of their codes; a real parent joins it by its bin among ``bins``
    equal bins over its range (:func:`kdsl.mechanisms.bins.bin_codes`).

    >>> from kdsl.api import load
    >>> bound = load("var A in 0..1\\nvar B in 0..2\\nenv a from a", data={"a": {"A": [0, 1, 1], "B": [2, 0, 2]}})
    >>> A, B = bound.model.variables.values()
    >>> count_tables(bound, A, [B])[0].tolist()        # rows: B = 0, 1, 2; columns: A = 0, 1
    [[0.0, 1.0], [0.0, 0.0], [1.0, 1.0]]
    """
    k = child.size
    n_env = len(bound.environments)
    real = any(var.is_real for var in parents)
    if not real and (symmetry is None or not any(var.name in symmetry.variables for var in parents)):
        names = [var.name for var in (*parents, child)]
        order = {name: i for i, name in enumerate(bound.model.variables)}
        ordered = tuple(sorted(names, key=order.get))
        joint = bound.joint_counts(ordered)
        table = joint.transpose(0, *(1 + ordered.index(name) for name in names))
        return table.reshape(n_env, -1, k).astype(np.float64)
    if real and bins < 1:
        raise ValueError("a table over a real parent needs its number of bins")
    index, j_total = bound.environment_index(), 1
    for var in parents:
        if var.is_real:
            index, j_total = index * bins + np.concatenate(bin_codes(bound, var, bins)[0]), j_total * bins
        elif symmetry is None or var.name not in symmetry.variables:
            index, j_total = index * var.size + bound.codes(var.name), j_total * var.size
        else:
            orbit, count = orbit_index(var, symmetry)
            index, j_total = index * count + orbit[bound.codes(var.name)], j_total * count
    pooled = np.bincount(index * k + bound.codes(child.name), minlength=n_env * j_total * k)
    return pooled.reshape(n_env, j_total, k).astype(np.float64)


def subset_counts(counts: np.ndarray) -> np.ndarray:
    """Counts pooled over every subset of environments: ``out[mask] = sum of counts[e] for e in mask``.

    ``out[0]`` is all zeros. Size ``2**N`` along the first axis.
    """
    n_env = counts.shape[0]
    if not (isinstance(counts, np.ndarray) and counts.dtype == np.float64):
        out = np.zeros((1 << n_env, *counts.shape[1:]), dtype=np.float64)
        for e in range(n_env):
            bit = 1 << e
            out[bit: 2 * bit] = out[:bit] + counts[e]
        return out
    out = np.empty((1 << n_env, *counts.shape[1:]), dtype=np.float64)
    out[0] = 0.0
    for e in range(n_env):
        bit = 1 << e
        np.add(out[:bit], counts[e], out=out[bit: 2 * bit])
    return out


def quantized(counts: np.ndarray, precision: int) -> np.ndarray:
    """The paper's stored table: maximum-likelihood probabilities quantized to
    ``precision`` bits with no entry 0, renormalized per parent configuration.

    A configuration never seen is stored as the uniform distribution.

    >>> quantized(np.array([[3.0, 1.0, 0.0]]), 2)
    array([[0.6, 0.2, 0.2]])
    """
    k = counts.shape[-1]
    totals = counts.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(totals > 0, counts / np.where(totals > 0, totals, 1), 1.0 / k)
    weights = np.maximum(1.0, np.rint(p * 2.0**precision))
    return weights / weights.sum(-1, keepdims=True)


#: Counts, weights and their sums below this are integers that float64 adds exactly in any order.
_EXACT_INT = float(2**53)


def _quantized_data_bits(pooled: np.ndarray, precision: int, rows: np.ndarray) -> np.ndarray | None:
    """``_data_bits(pooled, quantized(pooled, precision))`` for counts that are whole numbers, else None.

    Bit for bit the same numbers, with fewer and cheaper numpy calls (the
    per-configuration steps run on ``(K, G, J)`` slices rather than
    broadcasting over a short last axis): every sum of counts or of weights
    is of whole numbers below 2**53, so exact in any order; every other step
    is the same IEEE operation on the same numbers; ``log2`` sees a C-ordered
    ``(G, J, K)`` array as before. With K >= 2 every stored probability is
    below 1, so ``count * log2 p`` is -0.0 exactly where the count is 0, and
    a group with rows has a nonzero sum, whose negation equals the sum of the
    negated terms.
    """
    g, j, k = pooled.shape if pooled.ndim == 3 else (0, 0, 0)
    if k < 2 or pooled.dtype != np.float64 or not pooled.size or precision != int(precision) or precision < 0 \
            or k * 2.0**precision >= _EXACT_INT:
        return None
    with np.errstate(invalid="ignore"):
        if not (rows.max() < _EXACT_INT and pooled.min() >= 0.0 and (pooled == np.rint(pooled)).all()):
            return None
    cols = np.ascontiguousarray(pooled.transpose(2, 0, 1)).reshape(k, g * j)
    totals = cols[0] + cols[1]
    for x in range(2, k):
        totals += cols[x]
    # a configuration never seen has only zero counts: 0 / 1 = 0 gives weight 1 for every value and
    # probability w / (K w) = 1 / K, the same correctly rounded number as the uniform table's
    np.maximum(totals, 1.0, out=totals)
    p = cols / totals
    np.multiply(p, 2.0**precision, out=p)
    np.rint(p, out=p)
    np.maximum(1.0, p, out=p)
    weight_sum = p[0] + p[1]
    for x in range(2, k):
        weight_sum += p[x]
    probs = np.empty((g, j, k))
    np.divide(p, weight_sum, out=probs.reshape(g * j, k).T)
    logs = np.log2(probs)
    np.multiply(pooled, logs, out=logs)
    return np.negative(logs.reshape(g, -1).sum(-1))


def _data_bits(counts: np.ndarray, probs: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(counts > 0, -counts * np.log2(np.where(probs > 0, probs, 1.0)), 0.0)
    return terms.reshape(counts.shape[0], -1).sum(-1)


def quantized_data_bits(pooled: np.ndarray, precision: int, rows: np.ndarray) -> np.ndarray:
    """Data bits of each pooled count table ``pooled[g, j, x]`` under its :func:`quantized` table.

    >>> quantized_data_bits(np.array([[[3.0, 1.0]]]), 2, np.array([4.0])).round(3).tolist()
    [3.245]
    """
    data = _quantized_data_bits(pooled, precision, rows) if isinstance(pooled, np.ndarray) else None
    return _data_bits(pooled, quantized(pooled, precision)) if data is None else data


def mle_data_bits(counts: np.ndarray) -> np.ndarray:
    """Data bits of each count table ``counts[g, j, x]`` under its maximum-likelihood table.

    >>> mle_data_bits(np.array([[[2.0, 2.0]], [[4.0, 0.0]]])).tolist()
    [4.0, 0.0]
    """
    totals = counts.sum(-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(counts > 0, counts / np.where(totals > 0, totals, 1), 1.0)
    return _data_bits(counts, p)


def group_costs(pooled: np.ndarray, code: Code) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cost of storing one table for each pooled count table, as ``code`` prices it.

    Parameters
    ----------
    pooled:
        ``pooled[g, j, x]`` counts of each candidate group g (e.g. every subset).
    code:
        The code (:meth:`~kdsl.codes.base.Code.table_data_bits` and
        :meth:`~kdsl.codes.base.Code.table_parameter_bits`).

    Returns
    -------
    data_bits, parameter_bits, rows:
        Arrays over g. Groups with no rows get ``inf`` data bits.
    """
    rows = pooled.reshape(pooled.shape[0], -1).sum(-1)
    data = np.where(rows > 0, code.table_data_bits(pooled, rows), np.inf)
    return data, code.table_parameter_bits(pooled, rows), rows

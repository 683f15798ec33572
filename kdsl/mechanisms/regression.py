"""Free mechanisms for real variables: regressions and histograms, priced under every code.

A real variable's free mechanisms are to it what ``table`` is to a discrete
one: they need no template, fit any parent set, and a search tries them for
every allowed parent set. Each kind is registered once, in :data:`KINDS`:

* ``linear`` -- ``Y ~ normal(b0 + sum_i b_i X_i, sigma)``. A real or numeric
  discrete parent enters by its value, a labelled parent by indicator columns.
* ``poly`` -- a polynomial in each parent up to degree D (``poly(D, X, ...)``,
  D from 1 to :data:`MAX_DEGREE`, default 3); the code picks the degree
  1..D and pays ``log2 D`` bits for it.
* ``normal`` -- a root's fitted mean and sd (``linear`` without parents).
* ``histogram`` -- a root's equal-width histogram over its range; the code
  picks the number of bins, each bin a whole number of recording cells.
* ``noise histogram`` after ``linear(...)`` or ``poly(...)`` -- the same
  regression, its residuals coded by such a histogram instead of a Gaussian:
  each residual in whole cells from its prediction's cell (so the Kraft sum
  over the child's cells stays 1), for non-Gaussian and heavy-tailed noise.

Data bits are each value's cell probability at the variable's ``step``
(density x step), so they stay comparable with discrete variables. The
fitted noise scale is floored at one cell, so an exact fit or a constant
column has a finite length. A group of environments that shares one fit
shares its coefficients and noise, grouped exactly as tables are
(:mod:`kdsl.sharing.partitions`).

Parameter bits per fitted regression with ``r`` coefficients (the rank of
its design, intercept included) on ``n`` rows:

* ``bic``: ``(r + 1)/2 * log2 n`` (:func:`kdsl.codes.formulas.bic_table_bits` of r + 1); not a code.
* ``paper`` and ``direct``: every coefficient and the noise scale as a
  self-delimiting float (:func:`number_bits`): an Elias gamma code for the
  binary exponent, a sign bit and the declared precision's mantissa; the
  data bits are then computed with the quantised values. Coefficients are in
  the child's cells per unit of each standardised parent, so they do not
  depend on the units (a parent is standardised by its own data's mid-range
  and half-range, which a decoder knows once the parent is decoded).
* ``nml``: the normalised maximum likelihood of Gaussian regression over a
  bounded region (:func:`nml_complexity_bits`), whose two bounds are sent
  first as Elias-coded powers of two (docs/regression.md derives it).

Every length is scale invariant: multiplying a variable and its ``step`` by
the same factor changes no length (tested).

>>> import kdsl
>>> r = kdsl.solve('''
... var X real step 0.1
... var Y real step 0.1
... simulate env a n 200 seed 1 {
...     X ~ normal(0, 1)
...     Y ~ normal(2 * X, 0.5)
... }
... hypothesis causal {
...     X ~ normal
...     Y ~ linear(X)
... }
... code bic
... ''')
>>> r.programs[0].mechanisms["Y"].rhs
'linear(X)'
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kdsl import sharing
from kdsl._lazy import lazy_module
from kdsl.data.bind import BoundModel
from kdsl.language.model import Template, Variable
from kdsl.mechanisms import bins as bins_
from kdsl.mechanisms import tables

if TYPE_CHECKING:
    from kdsl.codes.base import Code

sp = lazy_module("sympy")

__all__ = ["KINDS", "MAX_DEGREE", "DEFAULT_DEGREE", "RegressionKind", "free_templates", "regression_profile",
           "gaussian_data_bits", "nml_complexity_bits", "LeastSquares", "least_squares_noise", "quantised_fit_bits",
           "nml_fit_bits", "elias_gamma_bits", "number_bits",
           "quantize", "histogram_bin_counts", "histogram_range"]

#: The highest polynomial degree ``poly(D, ...)`` accepts, and the default D.
MAX_DEGREE = 9
DEFAULT_DEGREE = 3
#: Environments beyond this are grouped greedily (a heuristic), as for tables.
PARTITION_EXACT_MAX = 14

_LN2 = math.log(2.0)


@dataclass(frozen=True)
class RegressionKind:
    """One free mechanism for a real child: its name, whether it takes parents, what it says."""

    name: str
    parents: bool  # takes parents (False: roots only)
    summary: str


#: Every free mechanism of a real variable, the one table of them.
KINDS: dict[str, RegressionKind] = {
    "linear": RegressionKind("linear", True, "Gaussian linear regression on the parents (intercept, one sd)"),
    "poly": RegressionKind("poly", True, "Gaussian polynomial regression, degree per parent up to D (default 3)"),
    "normal": RegressionKind("normal", False, "a root's fitted mean and sd"),
    "histogram": RegressionKind("histogram", False, "a root's equal-width histogram; bins chosen by the code"),
}


# ---------------------------------------------------------------------- formulas (each written once)
n_rows, rss, s2, step, r_rank, z_int, prec = sp.symbols("n RSS sigma2 step r z n_mant", positive=True)
log2_bound, log2_tau0 = sp.symbols("log2R log2tau0", real=True)


def gaussian_data_formula() -> sp.Expr:
    """Data bits of n values given residual sum of squares RSS and noise variance sigma2, at cell width step."""
    return n_rows / 2 * sp.log(2 * sp.pi * s2, 2) + rss / (2 * s2 * sp.log(2)) - n_rows * sp.log(step, 2)


def elias_gamma_formula() -> sp.Expr:
    """Length of the Elias gamma code of a positive integer z (a complete prefix code)."""
    return 2 * sp.floor(sp.log(z_int, 2)) + 1


def nml_complexity_formula() -> sp.Expr:
    """log2 of the Gaussian-regression NML normaliser over {R-hat <= R, tau-hat >= tau0} (units of one cell).

    r coefficients, n rows, m = n - r: the normaliser C of the fits with
    noise at least tau0, plus an upper bound A on the mass of those below it
    (coded at tau0), floored at one (a sum of cell probabilities of maximum
    likelihood is at least one); derived in docs/regression.md.
    """
    m_ = n_rows - r_rank
    ln_vol = (r_rank / 2) * sp.log(sp.pi) - sp.loggamma(r_rank / 2 + 1) + (r_rank / 2) * (
        sp.log(n_rows) + log2_bound * sp.log(2))
    ln_c = (-(r_rank / 2) * sp.log(2 * sp.pi) + ln_vol + sp.log(2 / r_rank) - (r_rank / 2) * log2_tau0 * sp.log(2)
            + (m_ / 2) * sp.log(n_rows) - n_rows / 2 - (m_ / 2) * sp.log(2) - sp.loggamma(m_ / 2))
    ln_a = -(r_rank / 2) * (sp.log(2 * sp.pi) + log2_tau0 * sp.log(2)) + ln_vol
    return sp.Max(0, sp.log(sp.exp(ln_c) + sp.exp(ln_a)) / sp.log(2))


def gaussian_data_bits(n: np.ndarray, rss_: np.ndarray, log2_var: np.ndarray, log2_step: np.ndarray) -> np.ndarray:
    """:func:`gaussian_data_formula` in numpy (tested equal), with the variance and step given as log2.

    Working in logs keeps a variance of (1e-302)^2 cells' width representable.

    >>> round(float(gaussian_data_bits(np.array(10.0), np.array(10.0), np.array(0.0), np.array(0.0))), 4)
    20.471
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isinf(rss_), np.inf, np.exp2(np.log2(rss_) - log2_var))  # inf: beyond any float
    return n / 2 * (np.log2(2 * np.pi) + log2_var) + ratio / (2 * _LN2) - n * log2_step


def elias_gamma_bits(z: np.ndarray) -> np.ndarray:
    """:func:`elias_gamma_formula` in numpy (z >= 1, may be a huge float).

    >>> elias_gamma_bits(np.array([1, 2, 3, 4])).tolist()
    [1.0, 3.0, 3.0, 5.0]
    """
    return 2 * np.floor(np.log2(np.asarray(z, dtype=float))) + 1


def nml_complexity_bits(n: np.ndarray, r: np.ndarray, log2_r: np.ndarray, log2_t0: np.ndarray) -> np.ndarray:
    """:func:`nml_complexity_formula` in numpy.

    Infinite where n <= r (no noise degree of freedom).

    >>> float(nml_complexity_bits(np.array(3.0), np.array(3.0), np.array(0.0), np.array(0.0)))
    inf
    """
    from scipy.special import gammaln

    n, r = np.asarray(n, float), np.asarray(r, float)
    m_ = n - r
    ok = m_ >= 1
    m_safe = np.where(ok, m_, 1.0)
    ln_vol = (r / 2) * np.log(np.pi) - gammaln(r / 2 + 1) + (r / 2) * (np.log(n) + log2_r * _LN2)
    ln_c = (-(r / 2) * np.log(2 * np.pi) + ln_vol + np.log(2 / r) - (r / 2) * log2_t0 * _LN2
            + (m_safe / 2) * np.log(n) - n / 2 - (m_safe / 2) * _LN2 - gammaln(m_safe / 2))
    # fits whose noise lies below tau0 are coded at tau0: their mass is at most this (docs/regression.md)
    ln_below = -(r / 2) * (np.log(2 * np.pi) + log2_t0 * _LN2) + ln_vol
    return np.where(ok, np.maximum(np.logaddexp(ln_c, ln_below) / _LN2, 0.0), np.inf)


def _zigzag(e: np.ndarray) -> np.ndarray:
    """0, -1, 1, -2, 2, ... -> 0, 1, 2, 3, 4, ... (integers as floats)."""
    return np.where(e >= 0, 2 * e, -2 * e - 1)


def number_bits(log2_abs: np.ndarray, precision: int, signed: bool = True) -> np.ndarray:
    """Bits of a real number as a self-delimiting float: Elias gamma of its binary exponent, sign, mantissa.

    ``log2_abs`` is log2 |v| (``-inf`` for 0, which costs the one bit of the
    exponent code's first word). A signed number's exponent e is zig-zag coded
    (z = zigzag(e) + 1, 0 meaning zero); an unsigned one is at least 1 and
    codes e >= 0 directly. The Kraft sum is 1 (:func:`kraft_sum_numbers`).

    >>> number_bits(np.array([0.0, 1.0, -np.inf]), 8).tolist()
    [12.0, 14.0, 1.0]
    """
    log2_abs = np.asarray(log2_abs, dtype=float)
    zero = np.isneginf(log2_abs)
    e = np.floor(np.where(zero, 0.0, log2_abs))
    if not signed:
        return elias_gamma_bits(e + 1) + precision
    z = np.where(zero, 0.0, _zigzag(e) + 1)
    return elias_gamma_bits(z + 1) + np.where(zero, 0.0, 1 + precision)


def kraft_sum_numbers(precision: int, max_exponent: int = 60, signed: bool = True) -> float:
    """Kraft sum of :func:`number_bits` over every representable value with |exponent| <= max_exponent.

    Tends to 1 as ``max_exponent`` grows (each exponent's mantissas and signs sum to its codeword's weight).

    >>> 0.999 < kraft_sum_numbers(8, 5000) <= 1.0
    True
    """
    es = np.arange(-max_exponent, max_exponent + 1, dtype=float) if signed else np.arange(0, max_exponent + 1.0)
    per_value = number_bits(es, precision, signed)
    values_per_exponent = (2.0 if signed else 1.0) * 2.0 ** precision
    total = float(np.sum(values_per_exponent * 2.0 ** -per_value))
    if signed:
        total += 2.0 ** -float(number_bits(np.array(-np.inf), precision)[()])
    return total


def quantize(log2_abs: np.ndarray, precision: int) -> np.ndarray:
    """The factor by which rounding |v| to ``precision`` mantissa bits multiplies v (1 for v = 0).

    >>> float(quantize(np.log2(np.array(1.0 + 2 ** -10)), 8))
    0.9990243902439024
    """
    log2_abs = np.asarray(log2_abs, dtype=float)
    finite = np.isfinite(log2_abs)
    frac = np.where(finite, log2_abs - np.floor(np.where(finite, log2_abs, 0.0)), 0.0)
    mant = 2.0 ** frac  # in [1, 2)
    rounded = np.round(mant * 2.0 ** precision) / 2.0 ** precision
    return np.where(finite, rounded / mant, 1.0)


# ---------------------------------------------------------------------- design
def _standardise(column: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """Map a column by the pooled data's mid-range and half-range (1 if constant), without overflow."""
    lo, hi = float(pooled.min()), float(pooled.max())
    mid = lo / 2 + hi / 2
    half = hi / 2 - lo / 2
    return (column - mid) / (half if half > 0 else 1.0)


def _design(bound: BoundModel, parents: tuple[str, ...], degree: int) -> list[np.ndarray]:
    """Per environment the design matrix: an intercept, then each parent's columns."""
    keys = _design_keys(bound, parents, degree)
    return [np.column_stack([_columns(bound, key)[e] for key in keys]) for e in range(len(bound.environments))]


def _design_keys(bound: BoundModel, parents: tuple[str, ...], degree: int) -> list[tuple]:
    """The column groups of a design: the intercept, then each parent's (its powers up to ``degree``, or the
    indicators of a labelled parent's values)."""
    labels = {p: bound.model.variables[p].kind == "labels" for p in parents}
    return [("1",), *(("x", p, 1 if labels[p] else degree) for p in parents)]


def _columns(bound: BoundModel, key: tuple) -> list[np.ndarray]:
    """Per environment the columns of one group: ``("1",)`` the intercept, ``("x", parent, degree)`` a parent's,
    ``("y", child)`` the child's values on its [-1, 1] scale."""
    if key[0] == "1":
        return [np.ones((env.rows, 1)) for env in bound.environments]
    if key[0] == "y":
        return [y[:, None] for y in _child(bound, bound.model.variables[key[1]]).y]
    _, p, degree = key
    var: Variable = bound.model.variables[p]
    pooled = np.concatenate([env.columns[p].astype(float) for env in bound.environments])
    out = []
    for env in bound.environments:
        x = env.columns[p]
        if var.kind == "labels":
            cols = [(x == value).astype(float) for value in range(1, var.size)]
        else:
            z = _standardise(x.astype(float), pooled)
            cols = [z ** power for power in range(1, degree + 1)]
        out.append(np.column_stack(cols) if cols else np.zeros((env.rows, 0)))
    return out


def _width(bound: BoundModel, key: tuple) -> int:
    """How many columns :func:`_columns` makes for ``key``."""
    if key[0] != "x":
        return 1
    var = bound.model.variables[key[1]]
    return var.size - 1 if var.kind == "labels" else key[2]


def _cross(bound: BoundModel, a: tuple, b: tuple) -> np.ndarray:
    """``X_a' X_b`` of two column groups in every environment, ``[environment, column of a, column of b]``.

    Computed once per pair and kept with the bound data, so every parent set's gram matrix is made of the
    same numbers whichever path (one set, or a batch of them) assembles it. Only these products are kept
    (a few numbers per pair), not the columns, so what is kept does not grow with the rows.
    """
    if b < a:
        return _cross(bound, b, a).transpose(0, 2, 1)
    cache = bound._joined
    if ("regression cross", a, b) not in cache:
        xs = _columns(bound, a)
        ys = xs if a == b else _columns(bound, b)
        cache[("regression cross", a, b)] = np.stack([x.T @ x if a == b else x.T @ y for x, y in zip(xs, ys)])
    return cache[("regression cross", a, b)]


def _moments(bound: BoundModel, keys: list[tuple], child: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per environment the gram matrix of the column groups ``keys`` in order, their products with the child,
    and the child's sum of squares."""
    y = ("y", child)
    gram = np.concatenate([np.concatenate([_cross(bound, a, b) for b in keys], axis=2) for a in keys], axis=1)
    xty = np.concatenate([_cross(bound, a, y)[:, :, 0] for a in keys], axis=1)
    return gram, xty, _cross(bound, y, y)[:, 0, 0]


@dataclass(frozen=True)
class _ChildScale:
    """The child's values mapped into [-1, 1] (``y``), the cell width in those units (log2), and the shift t."""

    y: list[np.ndarray]
    log2_step: float
    shift: float  # mid-range / half-range: y_original = half * (y + shift)


def _child(bound: BoundModel, child: Variable) -> _ChildScale:
    key = ("regression child", child.name)
    if key not in bound._joined:  # the pooled mid-range and half-range (a cell if constant)
        pooled = np.concatenate([env.columns[child.name] for env in bound.environments]).astype(float)
        lo, hi = float(pooled.min()), float(pooled.max())
        half = hi / 2 - lo / 2
        bound._joined[key] = (lo / 2 + hi / 2, half if half > 0 else child.step)
    mid, half = bound._joined[key]
    ys = [(env.columns[child.name].astype(float) - mid) / half for env in bound.environments]
    return _ChildScale(ys, math.log2(child.step) - math.log2(half), mid / half)


# ---------------------------------------------------------------------- fits
@dataclass(frozen=True)
class _Fits:
    """Data and parameter bits, and rows, of one fit for each group of environments (arrays over groups)."""

    data: np.ndarray
    param: np.ndarray
    rows: np.ndarray
    grouping: sharing.PartitionProfile | None = None  # every subset's fits: their best grouping, found in a batch


@dataclass(frozen=True)
class LeastSquares:
    """Least-squares fits of groups of environments (arrays over the groups with rows), before a code prices them.

    ``gram`` and ``xty`` are the groups' pooled sufficient statistics, ``beta``
    the fitted coefficients, ``rank`` the rank of each design and ``residual``
    the residual sum of squares; ``scale`` maps the child into [-1, 1].
    """

    gram: np.ndarray
    xty: np.ndarray
    rows: np.ndarray
    beta: np.ndarray
    rank: np.ndarray
    residual: np.ndarray
    scale: _ChildScale


def _fit_groups(gram: np.ndarray, xty: np.ndarray, yty: np.ndarray, rows: np.ndarray, scale: _ChildScale,
                code: Code) -> _Fits:
    """Fit one regression per group from pooled sufficient statistics (groups along the first axis)."""
    g = len(rows)
    data, param = np.full(g, np.inf), np.full(g, np.inf)
    live = rows > 0
    if not live.any():
        return _Fits(data, param, rows)
    res, log2_var, par = code.regression_fit_bits(_least_squares(gram[live], xty[live], yty[live], rows[live], scale))
    data[live] = gaussian_data_bits(rows[live], res, log2_var, scale.log2_step)
    param[live] = par
    return _Fits(data, param, rows)


def _least_squares(s: np.ndarray, b: np.ndarray, c: np.ndarray, n: np.ndarray, scale: _ChildScale) -> LeastSquares:
    """The least-squares fit of each group (rows > 0) from its gram matrix, X'y and y'y (rank-deficient: pseudo-inverse)."""
    evals, evecs = np.linalg.eigh(s)
    tol = evals.max(-1, keepdims=True) * s.shape[-1] * 1e-12
    keep = evals > tol
    inv = np.where(keep, 1.0 / np.where(keep, evals, 1.0), 0.0)
    beta = _matvec(evecs, inv * _matvec(evecs.swapaxes(-1, -2), b))
    rank = keep.sum(-1).astype(float)
    res = np.maximum(c - _dot(beta, b), 0.0)  # the least-squares residual
    return LeastSquares(s, b, n, beta, rank, res, scale)


def _matvec(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``a @ v`` for stacks of matrices ``[g, i, j]`` and vectors ``[g, j]``, summed in order of j.

    Every step is elementwise, so each row's numbers are the same whatever
    rows are beside it: a batch of parent sets gives the lengths of each alone
    (numpy's einsum may sum in another order for another batch size).
    """
    out = a[..., 0] * v[..., None, 0]
    for j in range(1, v.shape[-1]):
        out = out + a[..., j] * v[..., None, j]
    return out


def _dot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Row-wise dot products of ``[g, i]`` stacks, summed in order of i (elementwise, as :func:`_matvec`)."""
    return _row_sum(u * v)


def _row_sum(a: np.ndarray) -> np.ndarray:
    """Sums along the last axis, in order (elementwise, as :func:`_matvec`)."""
    out = a[..., 0]
    for i in range(1, a.shape[-1]):
        out = out + a[..., i]
    return out


def _pool(a: np.ndarray, members: list[int]) -> np.ndarray:
    """``a[members]`` summed over the first axis (environments), in order, elementwise."""
    out = a[members[0]]
    for e in members[1:]:
        out = out + a[e]
    return out


def _noise_log2_var(res: np.ndarray, rows: np.ndarray, log2_step: float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.maximum(np.log2(res / rows), 2 * log2_step)  # the noise scale is at least one cell


def least_squares_noise(fit: LeastSquares) -> tuple[np.ndarray, np.ndarray]:
    """The residual sum of squares of ``fit`` and log2 of its noise variance, floored at one cell."""
    return fit.residual, _noise_log2_var(fit.residual, fit.rows, fit.scale.log2_step)


def quantised_fit_bits(fit: LeastSquares, precision: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Residual, log2 noise variance and parameter bits with every coefficient and the noise scale sent as a
    self-delimiting float of ``precision`` mantissa bits (:func:`number_bits`): the data are coded with the
    rounded values."""
    log2_step = fit.scale.log2_step
    rounded, coefficient_bits = quantised_coefficients(fit, precision)
    delta = rounded - fit.beta
    with np.errstate(over="ignore", invalid="ignore"):  # RSS(b) = RSS(b-hat) + (b - b-hat)' S (b - b-hat)
        extra = _dot(delta, _matvec(fit.gram, delta))
    res = fit.residual + np.where(np.isnan(extra), np.inf, np.maximum(extra, 0.0))
    log2_var = _noise_log2_var(res, fit.rows, log2_step)
    log2_var = log2_var + 2 * np.log2(quantize(log2_var / 2 - log2_step, precision))
    par = coefficient_bits + number_bits(log2_var / 2 - log2_step, precision, signed=False)
    return res, log2_var, par


def quantised_coefficients(fit: LeastSquares, precision: int) -> tuple[np.ndarray, np.ndarray]:
    """Every coefficient rounded to ``precision`` mantissa bits in cells, and the bits of sending them all as
    self-delimiting floats (:func:`number_bits`)."""
    rounded = _quantised_beta(fit.beta, fit.scale, precision)
    return rounded, _row_sum(number_bits(_coefficient_log2_cells(rounded, fit.scale), precision))


def nml_fit_bits(fit: LeastSquares) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Residual, log2 noise variance and the Gaussian-regression NML parameter bits (:func:`nml_complexity_bits`)."""
    log2_step = fit.scale.log2_step
    res, log2_var = least_squares_noise(fit)
    with np.errstate(over="ignore", invalid="ignore"):
        fitted_ss = _dot(fit.beta, _matvec(fit.gram, fit.beta))
    # the bounds, powers of two in cells^2: R at least the fitted values' mean square, tau0 at most the noise
    log2_r = np.ceil(np.maximum(_log2_mean_square(fitted_ss, fit.xty[:, 0], fit.rows, fit.scale.shift)
                                - 2 * log2_step, 0.0))
    log2_t0 = np.floor(np.maximum(log2_var - 2 * log2_step, 0.0))
    par = nml_complexity_bits(fit.rows, fit.rank, log2_r, log2_t0) + elias_gamma_bits(log2_r + 1) + elias_gamma_bits(
        log2_t0 + 1)
    return res, log2_var, par


def _log2_mean_square(fitted_ss: np.ndarray, total: np.ndarray, n: np.ndarray, shift: float) -> np.ndarray:
    """log2 of the mean square of the fitted values in original position, (ŷ + shift)², without overflow."""
    with np.errstate(over="ignore", invalid="ignore"):
        if abs(shift) <= 1.0:
            inner = (fitted_ss + 2 * shift * total + n * shift * shift) / n
            scale = 0.0
        else:
            inner = fitted_ss / shift / shift / n + 2 * total / (n * shift) + 1.0
            scale = 2 * math.log2(abs(shift))
    return np.log2(np.maximum(np.nan_to_num(inner, nan=np.inf), 1e-300)) + scale


def _coefficient_log2_cells(beta: np.ndarray, scale: _ChildScale) -> np.ndarray:
    """log2 |coefficient| in the child's cells (the intercept in original position, not centred)."""
    coded = beta.copy()
    coded[:, 0] = coded[:, 0] + scale.shift
    with np.errstate(divide="ignore"):
        return np.log2(np.abs(coded)) - scale.log2_step


def _quantised_beta(beta: np.ndarray, scale: _ChildScale, precision: int) -> np.ndarray:
    """Round every coefficient, as coded in cells, to ``precision`` mantissa bits."""
    factor = quantize(_coefficient_log2_cells(beta, scale), precision)
    out = beta * factor
    out[:, 0] = (beta[:, 0] + scale.shift) * factor[:, 0] - scale.shift
    return out


@dataclass(frozen=True)
class _Sufficient:
    """One regression's designs per environment and their sufficient statistics (arrays over environments)."""

    scale: _ChildScale
    designs: list[np.ndarray]
    gram: np.ndarray
    xty: np.ndarray
    yty: np.ndarray
    rows: np.ndarray


def _sufficient(bound: BoundModel, template: Template, degree: int) -> _Sufficient:
    scale = _child(bound, bound.model.variables[template.child])
    gram, xty, yty = _moments(bound, _design_keys(bound, template.parents, degree), template.child)
    return _Sufficient(scale, _design(bound, template.parents, degree), gram, xty, yty,
                       np.array([float(len(y)) for y in scale.y]))


# ---------------------------------------------------------------------- Gaussian fits, many parent sets at once
#: Numbers in the stacked gram matrices fitted in one numpy pass (bounds a batch's temporaries to tens of MB).
_BATCH_NUMBERS = 1 << 21


@dataclass(frozen=True)
class _Regression:
    """One Gaussian regression: per environment its gram matrix, X'y and y'y, and the fits sharing needs first
    (``pooled``: every environment in one fit; ``every``: every subset of environments; None: on demand)."""

    gram: np.ndarray
    xty: np.ndarray
    yty: np.ndarray
    rows: np.ndarray
    scale: _ChildScale
    code: Code
    pooled: _Fits | None
    every: _Fits | None

    def block(self, members: list[int]) -> _Fits:
        """The fit of the environments ``members`` pooled."""
        if self.pooled is not None and members == list(range(len(self.rows))):
            return _copy(self.pooled)
        return _fit_groups(_pool(self.gram, members)[None], _pool(self.xty, members)[None],
                           _pool(self.yty, members)[None], _pool(self.rows, members)[None], self.scale, self.code)

    def subsets(self) -> _Fits:
        """The fits of every subset of environments (index: the subset's bit mask)."""
        if self.every is not None:
            return _copy(self.every)
        return _fit_groups(tables.subset_counts(self.gram), tables.subset_counts(self.xty),
                           tables.subset_counts(self.yty), tables.subset_counts(self.rows), self.scale, self.code)


def _copy(fits: _Fits) -> _Fits:
    return _Fits(fits.data.copy(), fits.param.copy(), fits.rows.copy(), fits.grouping)


def _groupings(every: _Fits, m: int, g: int) -> list[sharing.PartitionProfile]:
    """The best grouping of the environments for each of ``m`` regressions from its fits of every subset (``g``
    of them, the empty one excluded as :func:`_share` excludes it), all in one pass."""
    data, param = every.data.reshape(m, g).copy(), every.param.reshape(m, g).copy()
    data[:, 0] = param[:, 0] = math.inf
    return sharing.best_partitions_by_k(data + param)


def _first_fits(n_env: int, blocks: tuple[tuple[int, ...], ...], fixed: bool) -> str:
    """Which fits :func:`_share_blocks` asks for whatever the data: ``pooled`` (one fit of every environment),
    ``subsets`` (every subset of environments, for the exact grouping; ``grouped``: and that grouping, when
    every environment is a block of its own) or ``""`` (greedy: block by block)."""
    if fixed or len(blocks) == 1:
        return "pooled"
    if n_env > PARTITION_EXACT_MAX:
        return ""
    return "grouped" if len(blocks) == n_env else "subsets"


def _gaussian_fits(bound: BoundModel, requests: list[tuple[str, tuple[str, ...], int]], code: Code,
                   first: str) -> list[_Regression]:
    """The regression of each ``(child, parents, degree)``; those of one child and number of columns fitted together.

    Every gram matrix is a sub-matrix of the cross products :func:`_cross` keeps, and every step of a fit is
    elementwise or per matrix, so each regression's numbers are those of fitting it alone.
    """
    n_env = len(bound.environments)
    everyone = list(range(n_env))
    rows = np.array([float(env.rows) for env in bound.environments])
    keys_of = [_design_keys(bound, parents, degree) for _, parents, degree in requests]
    width_of = {k: _width(bound, k) for keys in keys_of for k in keys}
    together: dict[tuple[str, int], list[int]] = {}
    for i, (child, _, _) in enumerate(requests):
        together.setdefault((child, sum(width_of[k] for k in keys_of[i])), []).append(i)
    out: list[_Regression | None] = [None] * len(requests)
    for (child, width), members in together.items():
        union = list(dict.fromkeys(k for i in members for k in keys_of[i]))
        at = dict(zip(union, np.cumsum([0] + [width_of[k] for k in union]).tolist()))
        gram_all, xty_all, yty = _moments(bound, union, child)
        scale = _child(bound, bound.model.variables[child])
        per_batch = max(1, _BATCH_NUMBERS // (width * width * (1 << n_env if first == "subsets" else n_env)))
        for start in range(0, len(members), per_batch):
            part = members[start: start + per_batch]
            index = np.array([[at[k] + c for k in keys_of[i] for c in range(width_of[k])] for i in part])
            gram, xty = gram_all[:, index[:, :, None], index[:, None, :]], xty_all[:, index]  # [env, set, ...]
            pooled = every = None
            m = len(part)
            if first == "pooled":
                pooled = _fit_groups(_pool(gram, everyone), _pool(xty, everyone),
                                     np.full(m, _pool(yty, everyone)), np.full(m, _pool(rows, everyone)), scale, code)
            elif first in ("subsets", "grouped"):
                g = 1 << n_env
                every = _fit_groups(tables.subset_counts(gram).swapaxes(0, 1).reshape(m * g, width, width),
                                    tables.subset_counts(xty).swapaxes(0, 1).reshape(m * g, width),
                                    np.tile(tables.subset_counts(yty), m), np.tile(tables.subset_counts(rows), m),
                                    scale, code)
                groupings = [None] * m if first == "subsets" else _groupings(every, m, g)
            for j, i in enumerate(part):
                out[i] = _Regression(
                    gram[:, j], xty[:, j], yty, rows, scale, code,
                    None if pooled is None else _Fits(pooled.data[j: j + 1], pooled.param[j: j + 1],
                                                      pooled.rows[j: j + 1]),
                    None if every is None else _Fits(*(a.reshape(m, g)[j] for a in (every.data, every.param,
                                                                                    every.rows)), groupings[j]))
    return out


# ---------------------------------------------------------------------- histogram
#: The pooled lowest value and the cells of a real variable's range (:func:`kdsl.mechanisms.bins.value_range`).
histogram_range = bins_.value_range


def histogram_bin_counts(bound: BoundModel, child: Variable, bins: int) -> tuple[np.ndarray, float, float]:
    """Per environment the counts of ``bins`` equal bins over the pooled range, each ``width`` cells wide.

    Returns ``(counts[e, 1, bins], width in cells, cells in the range)``.
    """
    codes, width, cells = bins_.bin_codes(bound, child, bins)
    counts = np.zeros((len(bound.environments), 1, bins))
    for e, index in enumerate(codes):
        counts[e, 0] = np.bincount(index, minlength=bins)
    return counts, width, cells


def _range_bits(bound: BoundModel, child: Variable, cells: float) -> float:
    """Bits of the histogram's range: its lowest cell (zig-zag Elias gamma) and its number of cells."""
    lo = min(float(env.columns[child.name].min()) for env in bound.environments)
    return float(range_bits(np.array(float(math.floor(lo / child.step + 0.5))), np.array(cells)))


def range_bits(lowest: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Bits of a range of whole cells: its lowest cell (zig-zag Elias gamma) and its number of cells (Elias gamma).

    >>> range_bits(np.array([0.0, -3.0]), np.array([1.0, 7.0])).tolist()
    [2.0, 10.0]
    """
    return elias_gamma_bits(_zigzag(lowest) + 1) + elias_gamma_bits(cells)


def _histogram_fits(bound: BoundModel, template: Template, code: Code,
                    bins: int) -> tuple[Callable[[list[int]], _Fits], Callable[[], _Fits], float]:
    child = bound.model.variables[template.child]
    counts, width, cells = histogram_bin_counts(bound, child, bins)
    extra = _range_bits(bound, child, cells) + float(elias_gamma_bits(np.array(bins)))

    def costs(pooled: np.ndarray) -> _Fits:
        data, param, rows = tables.group_costs(pooled, code)
        return _Fits(data + rows * math.log2(width), param, rows)

    return (lambda members: costs(counts[members].sum(0)[None])), (lambda: costs(tables.subset_counts(counts))), extra


# ---------------------------------------------------------------------- histogram noise
#: The models of a regression's residuals: ``Y ~ linear(X) noise histogram`` (default ``normal``).
NOISES = ("normal", "histogram")
#: Mantissa bits of each coefficient of a histogram-noise regression under ``nml``, which has no closed-form NML
#: for it: the coefficients are sent as self-delimiting floats (:func:`quantised_coefficients`), docs/regression.md.
NML_COEFFICIENT_PRECISION = 8

#: Residuals spanning this many cells or more are not whole numbers in a float: no finite length.
_EXACT_CELLS = 2.0 ** 52
b_sym, w_sym = sp.symbols("B w", positive=True, integer=True)
count_sym = sp.IndexedBase("c")
j_sym = sp.Symbol("j", integer=True)


def histogram_noise_data_formula() -> sp.Expr:
    """Data bits of n values whose residuals, in whole cells from the prediction's cell, fall c_j into each of
    B bins of w cells: the bin at its maximum-likelihood probability c_j / n, then the cell within it."""
    return sp.Sum(count_sym[j_sym] * sp.log(n_rows / count_sym[j_sym], 2), (j_sym, 1, b_sym)) + n_rows * sp.log(w_sym, 2)


def residual_cells(y: np.ndarray, fitted: np.ndarray, log2_step: float) -> np.ndarray:
    """Each value's recording cell minus its prediction's cell (whole cells; ``y`` and ``fitted`` on the child's
    [-1, 1] scale, whose lowest value -1 is a cell's centre). Given the prediction, a residual cell names one
    value cell and each value cell has one residual cell, so a code over residual cells is one over value cells.

    >>> residual_cells(np.array([-1.0, 0.0, 1.0]), np.array([-0.9, 0.3, 0.6]), -2.0).tolist()
    [0.0, -1.0, 2.0]
    """
    per_cell = 2.0 ** -log2_step
    with np.errstate(over="ignore", invalid="ignore"):
        return np.floor((y + 1.0) * per_cell + 0.5) - np.floor((fitted + 1.0) * per_cell + 0.5)


@dataclass(frozen=True)
class _Residuals:
    """Residuals of a regression fitted per group of environments (the groups along the columns).

    ``cells[e][:, g]`` are environment e's residual cells under group g's fit, used where ``member[e, g]``;
    per group its lowest residual cell, the cells its residuals span, its coefficients' bits (inf: the group
    has no rows or residuals no float counts exactly) and its rows.
    """

    cells: list[np.ndarray]
    member: np.ndarray
    lowest: np.ndarray
    span: np.ndarray
    coefficient_bits: np.ndarray
    rows: np.ndarray

    def group_cells(self, g: int) -> np.ndarray:
        """The residual cells of group ``g``, environment after environment."""
        return np.concatenate([q[:, g] for q, used in zip(self.cells, self.member[:, g]) if used])

    def fits(self, bins: int, code: Code) -> _Fits:
        """Each group's bits with ``bins`` equal bins of ceil(span / bins) cells over its residual range."""
        n_groups = len(self.rows)
        live = np.isfinite(self.coefficient_bits)
        width = np.ceil(self.span / bins)
        offset = np.arange(n_groups) * bins
        counts = np.zeros(n_groups * bins)
        for q, member in zip(self.cells, self.member):  # one bincount per environment, over every group using it
            use = member & live
            if q.shape[0] and use.any():
                index = ((q[:, use] - self.lowest[use]) // width[use]).astype(np.int64) + offset[use]
                counts += np.bincount(index.ravel(), minlength=n_groups * bins)
        data, param, rows = tables.group_costs(counts.reshape(n_groups, 1, bins), code)
        with np.errstate(invalid="ignore"):
            data = np.where(live, data + rows * np.log2(np.where(live, width, 1.0)), np.inf)
        return _Fits(data, np.where(live, param + self.coefficient_bits + range_bits(self.lowest, self.span), np.inf),
                     self.rows)


def _residuals(stats: _Sufficient, groups: list[list[int]], code: Code) -> _Residuals:
    """Fit each group (its pooled least squares, the coefficients as ``code`` sends them) and take every
    environment's residual cells under every group's fit at once."""
    n_env, n_groups = len(stats.rows), len(groups)
    member = np.zeros((n_env, n_groups), bool)
    for g, members in enumerate(groups):
        member[members, g] = True
    rows = np.array([stats.rows[members].sum() for members in groups])
    live = np.flatnonzero(rows > 0)
    beta = np.zeros((n_groups, stats.gram.shape[-1]))
    bits = np.full(n_groups, np.inf)
    if len(live):
        fit = _least_squares(np.stack([stats.gram[groups[g]].sum(0) for g in live]),
                             np.stack([stats.xty[groups[g]].sum(0) for g in live]),
                             np.array([stats.yty[groups[g]].sum() for g in live]), rows[live], stats.scale)
        beta[live], bits[live] = code.regression_coefficient_bits(fit)
    with np.errstate(over="ignore", invalid="ignore"):
        cells = [residual_cells(y[:, None], x @ beta.T, stats.scale.log2_step)
                 for x, y in zip(stats.designs, stats.scale.y)]
        low = np.array([q.min(0, initial=np.inf) for q in cells])
        high = np.array([q.max(0, initial=-np.inf) for q in cells])
        lowest = np.where(member, low, np.inf).min(0)
        highest = np.where(member, high, -np.inf).max(0)
        exact = (np.abs(lowest) < _EXACT_CELLS) & (np.abs(highest) < _EXACT_CELLS)  # False where NaN
    bits = np.where(exact, bits, np.inf)
    return _Residuals(cells, member, np.where(exact, lowest, 0.0), np.where(exact, highest - lowest + 1, 1.0), bits,
                      rows)


def _shortest_bins(pooled: _Residuals, candidates: list[int], code: Code) -> tuple[float, int]:
    """The number of bins, among ``candidates``, shortest for the one group of ``pooled`` with maximum-likelihood
    bins (the choice only: the chosen B is then priced exactly as ``code`` prices it), and those bits."""
    if not math.isfinite(pooled.coefficient_bits[0]):
        return math.inf, candidates[0]
    cells = pooled.group_cells(0)
    ordered = np.sort(cells - pooled.lowest[0])
    n = float(len(ordered))
    bins = np.array(candidates)
    width = np.ceil(float(pooled.span[0]) / bins)
    starts = np.concatenate([[0], np.cumsum(bins + 1)[:-1]])  # every candidate's bin edges, one after another
    edges = np.arange(int(np.sum(bins + 1))) - np.repeat(starts, bins + 1)
    below = np.searchsorted(ordered, edges * np.repeat(width, bins + 1), side="left")
    counts = np.diff(below)
    counts[starts[1:] - 1] = 0  # the step from one candidate's last edge to the next one's first
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(counts > 0, counts * np.log2(n / np.maximum(counts, 1)), 0.0)
    data = np.add.reduceat(terms, starts) + n * np.log2(width)
    model = np.array([_table_parameter_bits(code, int(b), n) for b in bins]) + elias_gamma_bits(bins)
    i = int(np.argmin(data + model))
    return float(data[i] + model[i]), int(bins[i])


@functools.lru_cache(maxsize=4096)
def _table_parameter_bits(code: Code, bins: int, rows: float) -> float:
    """What ``code`` charges for one table of ``bins`` values over ``rows`` rows (here: the counts all in one bin)."""
    pooled = np.zeros((1, 1, bins))
    pooled[0, 0, 0] = rows
    return float(code.table_parameter_bits(pooled, np.array([rows]))[0])


def _histogram_noise_regressions(bound: BoundModel, template: Template, code: Code):
    """(choice bits, block fit, all-subset fits, label) of a regression whose residuals a histogram codes.

    The degree and the number of bins B, one B for every group of environments, are those shortest on the fit
    of all environments pooled; the environments are then grouped with them. Any choice is a valid code once
    paid for (B costs its Elias gamma code, the degree log2 D and the search's choice with the variants'
    choice bits); choosing on the pooled fit saves trying every (degree, B) with every grouping.
    """
    variants = _gaussian_variants(bound, template)
    extra = variants[0][0]
    fits = [(_sufficient(bound, template, degree), what) for _, degree, what in variants]
    n_env = len(fits[0][0].rows)
    _, cells = histogram_range(bound, bound.model.variables[template.child])
    if not math.isfinite(cells):
        return  # no variant: the residuals' range has no finite number of cells
    everyone = list(range(n_env))
    candidates = bins_.candidates(cells, int(fits[0][0].rows.sum()))
    chosen = None
    for stats, what in fits:
        pooled = _residuals(stats, [everyone], code)
        bits, bins = _shortest_bins(pooled, candidates, code)
        if chosen is None or bits < chosen[0]:
            chosen = (bits, stats, what, bins, pooled)
    _, stats, what, bins, pooled = chosen
    blocks: dict[tuple[int, ...], _Residuals] = {tuple(everyone): pooled}
    every: list[_Residuals] = []

    def block(members: list[int]) -> _Fits:
        key = tuple(members)
        if key not in blocks:
            blocks[key] = _residuals(stats, [list(key)], code)
        return blocks[key].fits(bins, code)

    def subsets() -> _Fits:
        if not every:
            every.append(_residuals(stats, [[e for e in everyone if m >> e & 1] for m in range(1 << n_env)], code))
        return every[0].fits(bins, code)

    yield extra + float(elias_gamma_bits(np.array(bins))), block, subsets, ", ".join(filter(None, (what, f"{bins} bins")))


# ---------------------------------------------------------------------- sharing across environments
@dataclass(frozen=True)
class SharedFits:
    """For every k: the groups of environments, and per group data bits, parameter bits and rows."""

    best: dict[int, tuple[list[list[int]], list[float], list[float], list[float]]]
    least_data: dict[int, float]
    exact: bool
    method: str


def _share(n_env: int, block: Callable[[list[int]], _Fits], subsets: Callable[[], _Fits], fixed: bool,
           with_min_data: bool = True) -> SharedFits:
    """Group the environments into shared fits, exactly (subset DP) up to PARTITION_EXACT_MAX, else greedily.

    Without ``with_min_data`` the least data bits per k are those of the shortest grouping (an upper bound).
    """
    if fixed or n_env == 1:
        f = block(list(range(n_env)))
        return SharedFits({1: ([list(range(n_env))], [f.data[0]], [f.param[0]], [f.rows[0]])},
                          {1: float(f.data[0])}, True, "fixed" if fixed else "one environment")
    if n_env <= PARTITION_EXACT_MAX:
        f = subsets()
        f.data[0] = f.param[0] = math.inf
        total = f.grouping if f.grouping is not None else sharing.best_partition_by_k(f.data + f.param)
        least = sharing.best_partition_by_k(f.data).bits if with_min_data else None
        best = {}
        for k in range(1, n_env + 1):
            parts = total.partitions[k]
            if parts is not None:
                masks = [sum(1 << e for e in g) for g in parts]
                best[k] = ([list(g) for g in parts], [float(f.data[m]) for m in masks],
                           [float(f.param[m]) for m in masks], [float(f.rows[m]) for m in masks])
        least_data = {k: float(least[k]) if least is not None else sum(best[k][1]) for k in best}
        return SharedFits(best, least_data, True, "exact partition DP")

    def cost(members, data_only=False):
        f = block(list(members))
        return float(f.data[0]) + (0.0 if data_only else float(f.param[0]))

    total = sharing.greedy_partition_by_k(lambda g: cost(g), n_env)
    least = sharing.greedy_partition_by_k(lambda g: cost(g, True), n_env) if with_min_data else total
    best = {}
    for k in range(1, n_env + 1):
        parts = total.partitions[k]
        if parts is not None:
            fits = [block(list(g)) for g in parts]
            best[k] = ([list(g) for g in parts], [float(f.data[0]) for f in fits], [float(f.param[0]) for f in fits],
                       [float(f.rows[0]) for f in fits])
    return SharedFits(best, {k: float(least.bits[k]) for k in best}, False, "greedy merging (heuristic)")


def _share_blocks(blocks: tuple[tuple[int, ...], ...], block: Callable[[list[int]], _Fits],
                  subsets: Callable[[], _Fits], fixed: bool, with_min_data: bool = True) -> SharedFits:
    """:func:`_share` over blocks of environments that must share one fit (declared targets), groups as environments."""
    n_env = sum(len(b) for b in blocks)
    if len(blocks) == n_env:
        return _share(n_env, block, subsets, fixed, with_min_data)

    def members(group) -> list[int]:
        return sorted(e for b in group for e in blocks[b])

    masks = np.array([sum(1 << e for b in range(len(blocks)) if m >> b & 1 for e in blocks[b])
                      for m in range(1 << len(blocks))]) if len(blocks) <= PARTITION_EXACT_MAX else None

    def block_subsets() -> _Fits:
        if n_env <= PARTITION_EXACT_MAX:  # every subset of environments at once, then the unions of blocks
            f = subsets()
            return _Fits(f.data[masks], f.param[masks], f.rows[masks])
        fits = [block(members([b for b in range(len(blocks)) if m >> b & 1])) if m else None for m in range(len(masks))]
        return _Fits(*(np.array([np.inf if f is None else float(getattr(f, name)[0]) for f in fits])
                       for name in ("data", "param", "rows")))

    shared = _share(len(blocks), lambda group: block(members(group)), block_subsets, fixed, with_min_data)
    best = {k: ([members(g) for g in groups], *rest) for k, (groups, *rest) in shared.best.items()}
    return SharedFits(best, shared.least_data, shared.exact, shared.method)


def _gaussian_variants(bound: BoundModel, template: Template) -> list[tuple[float, int, str]]:
    """(choice bits, degree, label) of every regression the code may choose for ``template``: its degree and,
    where a search chose it among others, which free mechanism it is."""
    choice = math.log2(template.choices)
    if template.family != "poly":
        return [(choice, 1, "")]
    numeric = any(bound.model.variables[p].kind != "labels" for p in template.parents)
    return [(math.log2(template.degree) + choice, degree, f"degree {degree}")
            for degree in (range(1, template.degree + 1) if numeric else (1,))]


def _histogram_variants(bound: BoundModel, template: Template, code: Code):
    """(choice bits, block fit, all-subset fits, label) of a root's histogram for every number of bins."""
    child = bound.model.variables[template.child]
    rows = sum(env.rows for env in bound.environments)
    _, cells = histogram_range(bound, child)
    if not math.isfinite(cells):
        return  # no variant: the mechanism has no finite length
    for bins in bins_.candidates(cells, rows):
        block, subsets, extra = _histogram_fits(bound, template, code, bins)
        yield extra + math.log2(template.choices), block, subsets, f"{bins} bins"


def regression_profile(bound: BoundModel, template: Template, code: Code, fixed: bool,
                       grouping: Callable[[int, int], float], weight: int, with_min_data: bool = True,
                       blocks: tuple[tuple[int, ...], ...] | None = None):
    """Every k's shortest realisation of a free real mechanism: ``{k: (data, grouping, parameter+choice bits,
    groups, labels)}``, the least data bits per k, exactness and the method.

    ``grouping(N, k)`` gives the grouping bits; ``weight`` how they enter (2 under paper). ``blocks`` are
    the environments that must share one fit (declared targets, :func:`kdsl.lengths.score.environment_blocks`;
    default: every environment alone); the grouping is chosen, and paid for, over the blocks.
    :func:`regression_profiles` of one template.
    """
    return regression_profiles(bound, [template], code, fixed, grouping, weight, with_min_data, blocks)[0]


def regression_profiles(bound: BoundModel, templates: list[Template], code: Code, fixed: bool,
                        grouping: Callable[[int, int], float], weight: int, with_min_data: bool = True,
                        blocks: tuple[tuple[int, ...], ...] | None = None) -> list[tuple]:
    """:func:`regression_profile` of each template (of one child, or of children with the same ``blocks``).

    The Gaussian regressions of all templates are fitted together (:func:`_gaussian_fits`), a numpy pass per
    child and number of columns instead of one per parent set; each template's profile is the same, bit for
    bit, as alone (tested).
    """
    n_env = len(bound.environments)
    blocks = tuple((e,) for e in range(n_env)) if blocks is None else blocks
    grouping = functools.lru_cache(maxsize=None)(grouping)
    gaussian = [[] if t.family == "histogram" or t.noise == "histogram" else _gaussian_variants(bound, t)
                for t in templates]
    fits = iter(_gaussian_fits(bound, [(t.child, t.parents, degree) for t, variants in zip(templates, gaussian)
                                       for _, degree, _ in variants], code, _first_fits(n_env, blocks, fixed)))
    out = []
    for template, variants in zip(templates, gaussian):
        if template.family == "histogram":
            chosen = _histogram_variants(bound, template, code)
        elif template.noise == "histogram":
            chosen = _histogram_noise_regressions(bound, template, code)
        else:
            chosen = [(extra, fit.block, fit.subsets, what) for (extra, _, what), fit in zip(variants, fits)]
        out.append(_profile(chosen, n_env, blocks, fixed, grouping, weight, with_min_data))
    return out


def _profile(variants, n_env: int, blocks: tuple[tuple[int, ...], ...], fixed: bool,
             grouping: Callable[[int, int], float], weight: int, with_min_data: bool):
    """:func:`regression_profile` from its variants' (choice bits, block fit, all-subset fits, label)."""
    best: dict[int, tuple] = {}
    least: dict[int, float] = {}
    exact, method = True, ""
    for extra, block, subsets, what in variants:
        shared = _share_blocks(blocks, block, subsets, fixed, with_min_data)
        exact = exact and shared.exact
        method = shared.method
        for k, (groups, data, param, _) in shared.best.items():
            sel = grouping(len(blocks), k)
            total = sum(data) + weight * sel + sum(param) + extra
            if k not in best or total < best[k][0]:
                labels = [""] * n_env
                for i, g in enumerate(groups):
                    for e in g:
                        labels[e] = f"fit {i + 1}" + (f" ({what})" if what else "")
                best[k] = (total, float(sum(data)), sel, float(sum(param)) + extra, tuple(tuple(g) for g in groups),
                           tuple(labels))
            least[k] = min(least.get(k, math.inf), shared.least_data[k])
    if not best:  # no finite length: nml with no more rows than coefficients, or a range of too many cells
        everyone = tuple(range(n_env))
        best[1] = (math.inf, math.inf, grouping(len(blocks), 1), math.inf, (everyone,), ("fit 1",) * n_env)
        least[1] = math.inf
    return {k: v[1:] for k, v in best.items()}, least, exact, method


def free_templates(model, var: str, parents: tuple[str, ...], classes: tuple[str, ...], span) -> list[Template]:
    """The free mechanisms a search tries for real ``var`` with ``parents``, narrowed to ``classes`` (written at
    ``span``, the search block). With ``histogram`` among ``classes``, each regression is tried with Gaussian and
    with histogram noise. Each pays log2 of how many there are for the choice among them (``choices``).

    >>> from kdsl.language.check import check
    >>> from kdsl.language.syntax import parse
    >>> m = check(parse("var X real\\nvar Y real"))
    >>> [(t.describe(), t.choices) for t in free_templates(m, "Y", (), ("linear", "poly", "histogram"), None)]
    [('normal', 2), ('histogram', 2)]
    >>> len(free_templates(m, "Y", ("X",), ("linear", "poly", "histogram"), None))
    4
    """
    out = []
    if not parents:
        if "linear" in classes or "normal" in classes or "poly" in classes:
            out.append(Template(None, var, (), "regression", family="normal", span=span))
        if "histogram" in classes:
            out.append(Template(None, var, (), "regression", family="histogram", span=span))
    else:
        for noise in NOISES if "histogram" in classes else ("normal",):
            if "linear" in classes:
                out.append(Template(None, var, parents, "regression", family="linear", span=span, noise=noise))
            if "poly" in classes and any(model.variables[p].kind != "labels" for p in parents):
                out.append(Template(None, var, parents, "regression", family="poly", degree=DEFAULT_DEGREE,
                                    span=span, noise=noise))
    return [dataclasses.replace(t, choices=len(out)) for t in out]

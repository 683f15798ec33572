"""The code-length calculus: every length a sympy formula first, then a number.

Each function below returns a :mod:`sympy` expression in the symbols of this
module (or in whatever expressions or integers the caller passes instead), so
that a notebook can show the formula as LaTeX next to its value.
:func:`evaluate` and :func:`lambdify_bits` turn a formula into numbers *in log
space*: binomials, factorials and Stirling numbers are never formed as
integers or floats when they sit under a logarithm, so ``N = 1000, k = 500``
does not overflow.

Which lengths are codes
-----------------------
* :func:`direct_selection_bits` (``N log2 M``) is a prefix code for a selection
  (its Kraft sum is exactly 1).
* :func:`compressed_selection_bits` (the paper's ``l``) is **not** a prefix
  code on its own: naming ``k`` with ``log2 k`` bits makes its Kraft sum equal
  to the harmonic number ``H_min(N, M)`` (> 1 as soon as two candidates can be
  used).
* :func:`paper_wrap` of it (``2 l + 1``) is a prefix code (Kraft sum < 1).
* :func:`prefix_selection_bits` names ``k`` with ``log2 min(N, M)`` bits
  instead, a prefix code (Kraft sum exactly 1); ``nml`` uses it.
  :func:`kraft_sum_selection` checks all four.

Conventions
-----------
* ``log2`` of a count that is zero means "impossible" and evaluates to
  ``+inf``: ``k > N``, ``k > M``, ``k = 0`` (also for ``N = 0``: a slot-free
  template must simply add no selection bits), ``p > d - 1``.
* ``log2 1 = 0``; so ``k = 1`` costs no bits for naming ``k``.

>>> float(evaluate(compressed_selection_bits(), {N: 1000, M: 2000, k: 500})) > 0
True
>>> print(compressed_selection_bits())
log2(k) + log2(S(N, k)) + log2(binomial(M, k)) + log2(factorial(k))
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import sympy as sp
from scipy.special import gammaln, lambertw, logsumexp, xlogy
from sympy.codegen.cfunctions import log2 as _sympy_log2

__all__ = [
    "N",
    "M",
    "k",
    "n",
    "rows",
    "F",
    "d",
    "p",
    "m",
    "Log2",
    "Stirling2",
    "direct_selection_bits",
    "compressed_selection_bits",
    "paper_wrap",
    "prefix_selection_bits",
    "grouping_bits",
    "paper_table_bits",
    "bic_table_bits",
    "structure_bits",
    "reference_bits",
    "nml_table_bits",
    "log2_multinomial_complexity",
    "evaluate",
    "lambdify_bits",
    "log2_stirling2",
    "log2_binomial",
    "kraft_sum_selection",
]

_LN2 = math.log(2.0)

#: The symbols of the code lengths (all positive integers).
N, M, k, n, rows, F, d, p = sp.symbols("N M k n rows F d p", positive=True, integer=True)
#: The number of variables a permute symmetry acts on.
m = sp.Symbol("m", positive=True, integer=True)
_N, _M, _k = N, M, k  # aliases: the functions below take parameters named N, M, k

# ---------------------------------------------------------------------------
# symbolic building blocks
# ---------------------------------------------------------------------------


class Log2(_sympy_log2):
    """Base-2 logarithm that prints as ``log2(x)`` and ``\\log_{2}`` in LaTeX.

    The logarithm of zero is ``oo``: in a code-length formula it is the log
    of an empty count, i.e. an impossible choice with an infinitely long code.

    Examples
    --------
    >>> Log2(8), Log2(0), Log2(1)
    (3, oo, 0)
    >>> sp.latex(Log2(M))
    '\\\\log_{2}{\\\\left(M \\\\right)}'
    """

    @classmethod
    def eval(cls, arg: sp.Expr) -> sp.Expr | None:
        if arg.is_zero:
            return sp.oo
        return super().eval(arg)

    def _sympystr(self, printer: sp.printing.str.StrPrinter) -> str:
        return f"log2({printer.doprint(self.args[0])})"

    def _latex(self, printer: sp.printing.latex.LatexPrinter, exp: str | None = None) -> str:
        power = f"^{{{exp}}}" if exp is not None else ""
        return rf"\log_{{2}}{power}{{\left({printer.doprint(self.args[0])} \right)}}"


class Stirling2(sp.Function):
    """Stirling number of the second kind ``S(N, k)``, kept symbolic.

    ``S(N, k)`` counts the partitions of ``N`` labelled items into ``k``
    non-empty unlabelled blocks. With integer arguments (``N <= 1000``) it
    evaluates to the exact integer; beyond that it stays symbolic so that it
    is never expanded into a huge integer by accident (:func:`evaluate`
    computes its logarithm directly). Negative arguments give 0; for a
    positive integer ``N``, ``S(N, 1) = S(N, N) = 1`` and ``S(N, 0) = 0``.

    Examples
    --------
    >>> Stirling2(10, 2), Stirling2(4, 5), Stirling2(0, 0)
    (511, 0, 1)
    >>> print(Stirling2(N, k))
    S(N, k)
    >>> Stirling2(N, 1)
    1
    >>> sp.latex(Stirling2(N, k))
    '\\\\left\\\\{ {N \\\\atop k} \\\\right\\\\}'
    """

    nargs = 2

    @classmethod
    def eval(cls, n_: sp.Expr, k_: sp.Expr) -> sp.Expr | None:
        if n_.is_Integer and k_.is_Integer:
            ni, ki = int(n_), int(k_)
            if ni < 0 or ki < 0:
                return sp.S.Zero
            if ni <= _STIRLING_EVAL_MAX:
                return sp.Integer(_stirling2_int(ni, ki))
            return None
        if n_.is_positive and n_.is_integer:  # S(N, 1) = S(N, N) = 1 and S(N, 0) = 0 for N >= 1
            if k_ == 1 or k_ == n_:
                return sp.S.One
            if k_.is_zero:
                return sp.S.Zero
        return None

    def _eval_is_integer(self) -> bool | None:
        return True if all(a.is_integer for a in self.args) else None

    def _eval_is_nonnegative(self) -> bool | None:
        return True if all(a.is_integer for a in self.args) else None

    def _sympystr(self, printer: sp.printing.str.StrPrinter) -> str:
        return f"S({printer.doprint(self.args[0])}, {printer.doprint(self.args[1])})"

    def _latex(self, printer: sp.printing.latex.LatexPrinter, exp: str | None = None) -> str:
        top, bottom = (printer.doprint(a) for a in self.args)
        tex = rf"\left\{{ {{{top} \atop {bottom}}} \right\}}"
        return f"{tex}^{{{exp}}}" if exp is not None else tex


_STIRLING_EVAL_MAX = 1000


def _as_expr(value: object, name: str) -> sp.Expr:
    """Turn an int / float / sympy expression into a sympy expression (never parse text)."""
    if isinstance(value, sp.Basic):
        return value  # type: ignore[return-value]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number or a sympy expression, not {value!r}")
    if isinstance(value, numbers.Integral):
        return sp.Integer(int(value))
    as_float = float(value)
    if as_float.is_integer():
        return sp.Integer(int(as_float))
    return sp.Float(as_float)


# ---------------------------------------------------------------------------
# the code lengths
# ---------------------------------------------------------------------------


def direct_selection_bits(N: sp.Expr | int = N, M: sp.Expr | int = M) -> sp.Expr:  # noqa: N803
    """Direct selection (the paper's Strategy 1): each of N slots names one of M candidates.

    Parameters
    ----------
    N : sympy expression or int
        Number of environments (slots).
    M : sympy expression or int
        Codebook size.

    Returns
    -------
    sympy.Expr
        ``N log2 M``. A prefix code: its Kraft sum over all ``M**N`` selections is 1.

    Examples
    --------
    >>> direct_selection_bits()
    N*log2(M)
    >>> direct_selection_bits(10, 16)
    40
    """
    return _as_expr(N, "N") * Log2(_as_expr(M, "M"))


def compressed_selection_bits(
    N: sp.Expr | int = N,  # noqa: N803 - the paper's names
    M: sp.Expr | int = M,  # noqa: N803
    k: sp.Expr | int = k,
) -> sp.Expr:
    """Compressed selection (the paper's Strategy 2, Prop. 17): name k, the used set, the surjection.

    Parameters
    ----------
    N : sympy expression or int
        Number of environments (slots).
    M : sympy expression or int
        Codebook size.
    k : sympy expression or int
        Number of distinct candidates used (every one of them by some slot).

    Returns
    -------
    sympy.Expr
        ``log2 C(M,k) + log2 S(N,k) + log2 k! + log2 k``. Not a prefix code by itself
        (see :func:`kraft_sum_selection`); :func:`paper_wrap` makes it one.

    Examples
    --------
    >>> compressed_selection_bits(10, 18, 2)
    2 + log2(153) + log2(511)
    >>> round(float(evaluate(compressed_selection_bits(), {N: 10, M: 18, k: 2})), 6)
    18.254567
    >>> compressed_selection_bits(10, 18, 11)  # S(10, 11) = 0: impossible
    oo
    """
    n_env, m_cand, k_used = _as_expr(N, "N"), _as_expr(M, "M"), _as_expr(k, "k")
    return (
        Log2(sp.binomial(m_cand, k_used))
        + Log2(Stirling2(n_env, k_used))
        + Log2(sp.factorial(k_used))
        + Log2(k_used)
    )


def prefix_selection_bits(
    N: sp.Expr | int = N,  # noqa: N803
    M: sp.Expr | int = M,  # noqa: N803
    k: sp.Expr | int = k,
) -> sp.Expr:
    """Selection as a prefix code: k uniform over ``1..min(N, M)``, then the used set and the surjection.

    The parameters are those of :func:`compressed_selection_bits`. Returns
    ``log2 min(N, M) + log2 C(M,k) + log2 S(N,k) + log2 k!``: for each k the
    ``C(M,k) k! S(N,k)`` selections using k candidates share its code
    uniformly, so the Kraft sum over all ``M**N`` selections is exactly 1.

    Examples
    --------
    >>> prefix_selection_bits(10, 18, 2)
    1 + log2(10) + log2(153) + log2(511)
    >>> round(float(evaluate(prefix_selection_bits(), {N: 10, M: 18, k: 2})), 6)
    20.576495
    """
    n_env, m_cand, k_used = _as_expr(N, "N"), _as_expr(M, "M"), _as_expr(k, "k")
    return (
        Log2(sp.Min(n_env, m_cand))
        + Log2(sp.binomial(m_cand, k_used))
        + Log2(Stirling2(n_env, k_used))
        + Log2(sp.factorial(k_used))
    )


def paper_wrap(l: sp.Expr | int) -> sp.Expr:  # noqa: E741 - the paper's name
    """The paper's self-delimiting model cost ``2 l + 1`` for a selection of cost ``l``.

    Parameters
    ----------
    l : sympy expression or int
        A selection cost in bits, e.g. :func:`compressed_selection_bits`.

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> paper_wrap(compressed_selection_bits(10, 18, 1))
    1 + 2*log2(18)
    """
    return 2 * _as_expr(l, "l") + 1


def grouping_bits(N: sp.Expr | int = N, k: sp.Expr | int = k) -> sp.Expr:  # noqa: N803
    """Bits to say how N environments share k free tables: ``log2 N + log2 S(N, k)``.

    Parameters
    ----------
    N : sympy expression or int
        Number of environments.
    k : sympy expression or int
        Number of distinct tables (groups), ``1 <= k <= N``.

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> grouping_bits()
    log2(N) + log2(S(N, k))
    >>> grouping_bits(4, 2)
    2 + log2(7)
    """
    n_env, k_used = _as_expr(N, "N"), _as_expr(k, "k")
    return Log2(n_env) + Log2(Stirling2(n_env, k_used))


def paper_table_bits(F: sp.Expr | int = F, n: sp.Expr | int = n) -> sp.Expr:  # noqa: N803
    """The paper's free-table code: ``(2n + 4)`` bits per free entry at precision n.

    Parameters
    ----------
    F : sympy expression or int
        Number of free entries, ``(K - 1) * K_pa`` for a child with K values.
    n : sympy expression or int
        Precision in bits (kdsl's default is 8).

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> paper_table_bits()
    F*(2*n + 4)
    >>> paper_table_bits(3, 8)
    60
    """
    return (2 * _as_expr(n, "n") + 4) * _as_expr(F, "F")


def bic_table_bits(F: sp.Expr | int = F, rows: sp.Expr | int = rows) -> sp.Expr:  # noqa: N803
    """BIC-style parameter cost: ``F/2 * log2(rows)`` (``rows >= 1``).

    Parameters
    ----------
    F : sympy expression or int
        Number of free parameters.
    rows : sympy expression or int
        Number of rows the table is fitted on.

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> bic_table_bits()
    F*log2(rows)/2
    >>> bic_table_bits(3, 1024)
    15
    """
    return _as_expr(F, "F") / 2 * Log2(_as_expr(rows, "rows"))


def structure_bits(d: sp.Expr | int = d, p: sp.Expr | int = p) -> sp.Expr:
    """Bits for one variable's parent set: ``log2 d + log2 C(d - 1, p)``.

    Name the number of parents (d choices, 0..d-1), then which ones.

    Parameters
    ----------
    d : sympy expression or int
        Number of variables.
    p : sympy expression or int
        Number of parents of this variable.

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> structure_bits()
    log2(d) + log2(binomial(d - 1, p))
    >>> structure_bits(4, 0)
    2
    """
    de, pe = _as_expr(d, "d"), _as_expr(p, "p")
    return Log2(de) + Log2(sp.binomial(de - 1, pe))


def reference_bits(m: sp.Expr | int = m) -> sp.Expr:
    """Bits for a variable that reuses another's stored table: ``log2 m!``.

    A permute symmetry on m variables is the group of their m! orderings; a
    variable that reuses the stored table names the group element that
    carries the table onto it: the table is stored once, and every other
    variable pays only this reference.

    Parameters
    ----------
    m : sympy expression or int
        Number of variables the symmetry acts on.

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> reference_bits()
    log2(factorial(m))
    >>> reference_bits(2)
    1
    """
    return Log2(sp.factorial(_as_expr(m, "m")))


# ---------------------------------------------------------------------------
# normalized maximum likelihood
# ---------------------------------------------------------------------------

_BINARY_SUM_MAX = 10_000


def _check_count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(float(value))
        else:
            raise ValueError(f"{name} must be an integer, not {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, not {value}")
    return value


@functools.lru_cache(maxsize=4096)
def _ln_binary_complexity(rows_: int) -> float:
    """Natural log of C(2, rows): exact sum in log space, Szpankowski's expansion beyond 10^4."""
    if rows_ <= 0:
        return 0.0
    if rows_ <= _BINARY_SUM_MAX:
        h = np.arange(rows_ + 1, dtype=float)
        rest = rows_ - h
        terms = (
            gammaln(rows_ + 1.0)
            - gammaln(h + 1.0)
            - gammaln(rest + 1.0)
            + xlogy(h, h / rows_)
            + xlogy(rest, rest / rows_)
        )
        return float(logsumexp(terms))
    # sqrt(pi n / 2) + 2/3 + sqrt(2 pi)/(24 sqrt n) - 4/(135 n) + sqrt(2 pi)/(576 n^{3/2}) + O(n^-2);
    # at n > 10^4 the omitted terms are below 1e-12 relative.
    r = float(rows_)
    s2pi = math.sqrt(2.0 * math.pi)
    value = (
        math.sqrt(math.pi * r / 2.0)
        + 2.0 / 3.0
        + s2pi / (24.0 * math.sqrt(r))
        - 4.0 / (135.0 * r)
        + s2pi / (576.0 * r**1.5)
    )
    return math.log(value)


@functools.lru_cache(maxsize=4096)
def _ln_multinomial_complexity(values: int, rows_: int) -> float:
    if values == 1 or rows_ == 0:
        return 0.0
    previous, current = 0.0, _ln_binary_complexity(rows_)  # C(1, n), C(2, n)
    ln_rows = math.log(rows_)
    for j in range(1, values - 1):  # C(j + 2) = C(j + 1) + n / j * C(j)
        previous, current = current, float(np.logaddexp(current, ln_rows - math.log(j) + previous))
    return current


def log2_multinomial_complexity(K: int, rows: int) -> float:  # noqa: N803
    """log2 of the multinomial NML parametric complexity ``C(K, rows)``.

    ``C(K, n) = sum over count vectors (h_1..h_K) summing to n of
    n! / (h_1! ... h_K!) * prod (h_j / n)^h_j``, computed with the
    Kontkanen–Myllymäki recurrence ``C(1, n) = 1``,
    ``C(K + 2, n) = C(K + 1, n) + n / K * C(K, n)`` in log space. ``C(2, n)`` is
    summed in log space for ``n <= 10^4`` and taken from Szpankowski's
    asymptotic expansion beyond (relative error below 1e-12).

    Parameters
    ----------
    K : int
        Number of values of the variable (``>= 1``).
    rows : int
        Number of rows (``>= 0``; 0 rows give complexity 1, i.e. 0 bits).

    Returns
    -------
    float
        ``log2 C(K, rows)`` in bits.

    Examples
    --------
    >>> log2_multinomial_complexity(2, 1)  # C(2, 1) = 2
    1.0
    >>> round(log2_multinomial_complexity(3, 2), 12)  # C(3, 2) = C(2, 2) + 2 = 4.5
    2.169925001442
    >>> math.isfinite(log2_multinomial_complexity(5, 10**7))
    True
    """
    values = _check_count(K, "K", 1)
    rows_ = _check_count(rows, "rows", 0)
    return _ln_multinomial_complexity(values, rows_) / _LN2


def nml_table_bits(K: int, counts_rows: int | Iterable[int] | np.ndarray) -> float | np.ndarray:  # noqa: N803
    """NML parametric complexity of a table, in bits (factorized NML).

    Parameters
    ----------
    K : int
        Number of values of the child variable.
    counts_rows : int, iterable of int, or array of int
        Rows of the data the multinomial is fitted on; along the last axis,
        the rows of each parent configuration, whose bits are summed.

    Returns
    -------
    float or numpy.ndarray
        ``sum_j log2 C(K, rows_j)`` (an array over the leading axes of a 2-d or larger ``counts_rows``).

    Examples
    --------
    >>> nml_table_bits(2, 1)
    1.0
    >>> nml_table_bits(2, [1, 1, 0])
    2.0
    >>> nml_table_bits(2, np.array([[1, 1], [2, 0]])).round(4).tolist()  # C(2, 2) = 2.5
    [2.0, 1.3219]
    """
    rows_ = np.asarray(counts_rows, dtype=float)
    if not np.all(rows_ == np.rint(rows_)):
        raise ValueError(f"rows must be whole numbers, not {counts_rows!r}")
    values, inverse = np.unique(rows_.astype(np.int64), return_inverse=True)
    lookup = np.array([log2_multinomial_complexity(K, int(v)) for v in values])
    bits = lookup[inverse].reshape(rows_.shape)
    return float(bits) if bits.ndim == 0 else (float(bits.sum()) if bits.ndim == 1 else bits.sum(-1))


# ---------------------------------------------------------------------------
# numbers in log space
# ---------------------------------------------------------------------------


def _stirling2_int(n_: int, k_: int) -> int:
    """Exact S(n, k) by the alternating sum ``sum_j (-1)^j C(k, j) (k - j)^n / k!``."""
    if k_ > n_ or k_ < 0:
        return 0
    if k_ == 0:
        return 1 if n_ == 0 else 0
    if k_ == 1 or k_ == n_:
        return 1
    total = 0
    choose = 1
    for j in range(k_ + 1):
        term = choose * (k_ - j) ** n_
        total += -term if j % 2 else term
        choose = choose * (k_ - j) // (j + 1)
    return total // math.factorial(k_)


_STIRLING_EXACT_MAX = 300
_STIRLING_ROW_MAX = 3000


@functools.lru_cache(maxsize=16)
def _ln_stirling2_row(n_: int) -> np.ndarray:
    """ln S(n, j) for j = 0..n by the triangular recurrence S(m, j) = j S(m-1, j) + S(m-1, j-1)."""
    row = np.array([0.0])  # ln S(0, 0)
    with np.errstate(divide="ignore"):
        for m in range(1, n_ + 1):
            new = np.full(m + 1, -np.inf)
            j = np.arange(1, m)
            new[1:m] = np.logaddexp(np.log(j) + row[1:m], row[0 : m - 1])
            new[m] = 0.0  # S(m, m) = 1
            row = new
    return row


def _temme_root(n_: int, k_: int) -> tuple[float, float, float]:
    """Solve G e^{-G} = v e^{-v} (v = n/k > 1) for 0 < G < 1; return (1 - G, v - G, ln G) stably."""
    eps = (n_ - k_) / k_  # v - 1
    v = n_ / k_
    if eps < 1e-4:  # series of delta = 1 - G in eps = v - 1 (error ~ eps^4)
        delta = eps - 2.0 * eps**2 / 3.0 + 4.0 * eps**3 / 9.0
        return delta, eps + delta, math.log1p(-delta)
    g0 = 0.0 if v > 700.0 else float(-lambertw(-v * math.exp(-v), 0).real)
    if g0 < 0.5:  # Newton in u = ln G on u - e^u = ln v - v
        target = math.log(v) - v
        u = math.log(g0) if g0 > 0.0 else target
        for _ in range(4):
            u -= (u - math.exp(u) - target) / (1.0 - math.exp(u))
        g = math.exp(u)
        return 1.0 - g, v - g, u
    # Newton in delta = 1 - G on log1p(-delta) + delta = log1p(eps) - eps (accurate near G = 1)
    delta = 1.0 - g0
    target = math.log1p(eps) - eps
    for _ in range(4):
        delta -= (math.log1p(-delta) + delta - target) / (-delta / (1.0 - delta))
    return delta, eps + delta, math.log1p(-delta)


def _ln_stirling2_temme(n_: int, k_: int) -> float:
    """Temme's uniform asymptotic estimate of ln S(n, k), 1 < k < n (relative error about 0.05/n)."""
    one_minus_g, v_minus_g, ln_g = _temme_root(n_, k_)
    j = n_ - k_
    return (
        0.5 * math.log(j)
        - 0.5 * math.log(n_ * one_minus_g)
        + j * (math.log(j) - 1.0)
        - k_ * ln_g
        - j * math.log(v_minus_g)
        + _ln_binomial_scalar(n_, k_)
    )


def _ln_binomial_scalar(a: float, b: float) -> float:
    if b < 0 or b > a:
        return math.inf
    return math.lgamma(a + 1.0) - math.lgamma(b + 1.0) - math.lgamma(a - b + 1.0)


@functools.lru_cache(maxsize=65536)
def _ln_stirling2(n_: int, k_: int) -> float:
    """ln S(n, k); +inf (log of an empty count, i.e. impossible) when S(n, k) = 0."""
    if n_ < 0 or k_ < 0 or k_ > n_ or (k_ == 0 and n_ > 0):
        return math.inf
    if k_ == n_ or k_ == 1:
        return 0.0
    if k_ == 2:  # 2^(n-1) - 1
        return (n_ - 1) * _LN2 + math.log1p(-(2.0 ** (1 - n_)))
    if k_ == n_ - 1:
        return math.log(n_ * (n_ - 1) // 2)
    if n_ <= _STIRLING_EXACT_MAX:
        return math.log(_stirling2_int(n_, k_))
    if n_ <= _STIRLING_ROW_MAX:
        return float(_ln_stirling2_row(n_)[k_])
    return _ln_stirling2_temme(n_, k_)


def _as_int(value: float, what: str) -> int:
    if not float(value).is_integer():
        raise ValueError(f"{what} needs integer arguments, got {value!r}")
    return int(value)


def log2_stirling2(N: int, k: int) -> float:  # noqa: N803
    """log2 of the Stirling number of the second kind S(N, k), without forming it.

    Exact (Python integers) for ``N <= 300``; a log-space triangular recurrence
    for ``N <= 3000``; Temme's uniform asymptotic estimate beyond (error below
    1e-4 bits there). ``S(N, k) = 0`` (``k > N``, or ``k = 0 < N``) gives ``+inf``.

    Parameters
    ----------
    N, k : int
        Number of items and of non-empty blocks.

    Returns
    -------
    float

    Examples
    --------
    >>> log2_stirling2(10, 2) == math.log2(511)
    True
    >>> log2_stirling2(3, 5)
    inf
    >>> round(log2_stirling2(1000, 500), 3)
    5069.513
    """
    return _ln_stirling2(_as_int(N, "log2_stirling2"), _as_int(k, "log2_stirling2")) / _LN2


def log2_binomial(a: float | np.ndarray, b: float | np.ndarray) -> float | np.ndarray:
    """log2 C(a, b) by log-gamma, vectorized; ``+inf`` when ``b < 0`` or ``b > a``.

    Parameters
    ----------
    a, b : float or array_like
        Broadcastable arguments.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> round(float(log2_binomial(18, 2)), 12) == round(math.log2(153), 12)
    True
    >>> log2_binomial(3, 4)
    inf
    >>> log2_binomial(np.array([4, 4]), np.array([2, 5])).tolist()
    [2.584962500721156, inf]
    """
    out = _np_log2_binomial(a, b)
    return float(out) if np.ndim(out) == 0 else out


# numeric implementations of the log-space functions used by the lambdified code (all base 2)


def _np_log2(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0.0, np.inf, np.log2(x))


def _np_ln_binomial(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    valid = (b >= 0) & (b <= a)
    with np.errstate(invalid="ignore"):
        value = gammaln(a + 1.0) - gammaln(b + 1.0) - gammaln(a - b + 1.0)
    return np.where(valid, value, np.inf)


def _np_log2_binomial(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _np_ln_binomial(a, b) / _LN2


def _np_log2_gamma(x: np.ndarray) -> np.ndarray:
    return gammaln(np.asarray(x, dtype=float)) / _LN2


def _np_log2_stirling2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    out = np.empty(a.shape, dtype=float)
    for index in np.ndindex(a.shape):
        out[index] = _ln_stirling2(_as_int(a[index], "Stirling2"), _as_int(b[index], "Stirling2"))
    return out / _LN2


class _kdsl_log2(sp.Function):  # noqa: N801 - the printed name is the namespace key
    """log2(x), with log2(0) = +inf (an impossible choice)."""


class _kdsl_log2binom(sp.Function):  # noqa: N801
    """log2 C(a, b), +inf outside 0 <= b <= a."""


class _kdsl_log2gamma(sp.Function):  # noqa: N801
    """log2 Gamma(x)."""


class _kdsl_log2stirling2(sp.Function):  # noqa: N801
    """log2 S(a, b), +inf where S(a, b) = 0."""


_NAMESPACE = {
    "_kdsl_log2": _np_log2,
    "_kdsl_log2binom": _np_log2_binomial,
    "_kdsl_log2gamma": _np_log2_gamma,
    "_kdsl_log2stirling2": _np_log2_stirling2,
}

_COUNTS = (sp.binomial, sp.factorial, Stirling2)


def _nonnegative(x: sp.Expr) -> bool:
    return isinstance(x, _COUNTS) or x.is_nonnegative is True


def _float_log2(v: float | int) -> sp.Expr:
    if v > 0:
        return sp.Float(math.log2(v))
    return sp.oo if v == 0 else sp.nan


def _log2_of(x: sp.Expr) -> sp.Expr:
    """An expression whose value is log2(value of x), never forming x when x is a count."""
    if x.is_Integer:
        return _float_log2(int(x))
    if x.is_Rational:
        return _log2_of(sp.Integer(x.p)) - _log2_of(sp.Integer(x.q))
    if x.is_Float:
        return _float_log2(float(x))
    if x in (sp.oo, sp.zoo):
        return sp.oo
    if isinstance(x, sp.binomial):
        return _kdsl_log2binom(*(_log_space(a) for a in x.args))
    if isinstance(x, sp.factorial):
        return _kdsl_log2gamma(_log_space(x.args[0]) + 1)
    if isinstance(x, sp.gamma):
        return _kdsl_log2gamma(_log_space(x.args[0]))
    if isinstance(x, Stirling2):
        return _kdsl_log2stirling2(*(_log_space(a) for a in x.args))
    if isinstance(x, sp.exp):
        return _log_space(x.args[0]) / sp.Float(_LN2)
    if x.is_Mul and all(_nonnegative(f) for f in x.args):
        return sp.Add(*(_log2_of(f) for f in x.args))
    if x.is_Pow and _nonnegative(x.base):
        return _log_space(x.exp) * _log2_of(x.base)
    return _kdsl_log2(_log_space(x))


def _log_space(x: sp.Basic) -> sp.Basic:
    """Rewrite ``x`` so that lambdify evaluates every count under a log in log space."""
    if isinstance(x, sp.log):
        return _log2_of(x.args[0]) * sp.Float(_LN2)
    if isinstance(x, _sympy_log2):
        return _log2_of(x.args[0])
    if isinstance(x, _COUNTS):
        return sp.Integer(2) ** _log2_of(x)
    if x is sp.zoo:
        return sp.oo
    if x.is_Integer and abs(int(x)) > 2**53:
        return sp.Float(int(x))
    if not x.args:
        return x
    return x.func(*(_log_space(a) for a in x.args))


def _symbol_tuple(symbols: sp.Symbol | Sequence[sp.Symbol]) -> tuple[sp.Symbol, ...]:
    if isinstance(symbols, sp.Symbol):
        return (symbols,)
    out = tuple(symbols)
    for s in out:
        if not isinstance(s, sp.Symbol):
            raise TypeError(f"expected sympy symbols, got {s!r}")
    return out


@functools.lru_cache(maxsize=1024)
def _compiled(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> Callable[..., object]:
    missing = expr.free_symbols - set(symbols)
    if missing:
        names = ", ".join(sorted(str(s) for s in missing))
        raise ValueError(f"no value given for symbol(s) {names}")
    return sp.lambdify(symbols, _log_space(expr), modules=[_NAMESPACE, "numpy"], dummify=True)


def lambdify_bits(expr: sp.Expr, symbols: sp.Symbol | Sequence[sp.Symbol]) -> Callable[..., np.ndarray]:
    """Compile a code length into a vectorized numpy function of the given symbols.

    Binomials, factorials, Gamma and Stirling numbers under a logarithm are
    evaluated as log-gamma / log-Stirling values, so large arguments stay
    finite. Symbol names never become Python identifiers (dummy symbols are
    used). Compiled functions are cached per ``(expr, symbols)``.

    Parameters
    ----------
    expr : sympy.Expr
        A code length in bits.
    symbols : sympy.Symbol or sequence of sympy.Symbol
        The arguments of the returned function, in order; they must cover
        every free symbol of ``expr``.

    Returns
    -------
    callable
        ``f(*values)`` with array_like values (broadcast together), returning
        a float numpy array of bits (a numpy scalar for scalar inputs).

    Examples
    --------
    >>> f = lambdify_bits(compressed_selection_bits(), (N, M, k))
    >>> f(10, 18, np.array([1, 2, 11])).round(4).tolist()
    [4.1699, 18.2546, inf]
    >>> float(lambdify_bits(direct_selection_bits(), [N, M])(1000, 2**20))
    20000.0
    """
    expr = _as_expr(expr, "expr")
    symbols_ = _symbol_tuple(symbols)
    fn = _compiled(expr, symbols_)

    def bits(*values: object) -> np.ndarray:
        if len(values) != len(symbols_):
            raise ValueError(f"expected {len(symbols_)} values, got {len(values)}")
        arrays = [np.asarray(v, dtype=float) for v in values]
        shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = np.asarray(fn(*arrays), dtype=float)
        return np.array(np.broadcast_to(out, shape))[()]

    bits.__doc__ = f"Bits of {expr} as a function of {', '.join(str(s) for s in symbols_)}."
    return bits


def evaluate(expr: sp.Expr, values: dict[sp.Symbol, float] | None = None) -> float:
    """Numeric value of a code length, in log space for every count under a log.

    Parameters
    ----------
    expr : sympy.Expr
        A code length in bits.
    values : dict mapping sympy.Symbol to float
        A value for every free symbol of ``expr`` (extra entries are ignored).

    Returns
    -------
    float
        The value; ``inf`` when a count under a log is zero (an impossible choice).

    Examples
    --------
    >>> math.isclose(evaluate(direct_selection_bits(), {N: 10, M: 18}), 10 * math.log2(18))
    True
    >>> round(evaluate(compressed_selection_bits(), {N: 1000, M: 2000, k: 500}), 3)
    10462.787
    >>> evaluate(grouping_bits(), {N: 3, k: 4})
    inf
    """
    expr = _as_expr(expr, "expr")
    values = dict(values or {})
    symbols_ = tuple(sorted(expr.free_symbols, key=sp.default_sort_key))
    missing = [s for s in symbols_ if s not in values]
    if missing:
        raise ValueError(f"no value given for symbol(s) {', '.join(str(s) for s in missing)}")
    return float(lambdify_bits(expr, symbols_)(*(values[s] for s in symbols_)))


# ---------------------------------------------------------------------------
# Kraft sums
# ---------------------------------------------------------------------------

_SELECTION_CODES = ("direct", "compressed", "paper", "prefix")


def kraft_sum_selection(N: int, M: int, code: str) -> float:  # noqa: N803
    """Kraft sum ``sum_alpha 2^-L(alpha)`` over all ``M**N`` selections alpha.

    A selection maps each of N environments to one of M candidates; it uses
    ``k`` distinct candidates, and exactly ``C(M, k) k! S(N, k)`` selections use
    ``k``, so the sum is grouped by ``k`` (in log space).

    Parameters
    ----------
    N : int
        Number of environments (``>= 1``).
    M : int
        Codebook size (``>= 1``).
    code : {"direct", "compressed", "paper", "prefix"}
        ``N log2 M``; the paper's ``l``; ``2 l + 1``; or :func:`prefix_selection_bits`.

    Returns
    -------
    float
        Exactly 1 for ``direct`` and ``prefix``; the harmonic number
        ``H_min(N, M)`` for ``compressed`` (not a prefix code); below 1 for ``paper``.

    Examples
    --------
    >>> round(kraft_sum_selection(3, 4, "direct"), 12)
    1.0
    >>> round(kraft_sum_selection(2, 2, "compressed"), 12)  # 1 + 1/2: l alone is no prefix code
    1.5
    >>> kraft_sum_selection(2, 2, "paper") <= 1
    True
    >>> round(kraft_sum_selection(5, 3, "prefix"), 12)
    1.0
    """
    n_env = _check_count(N, "N", 1)
    m_cand = _check_count(M, "M", 1)
    if code not in _SELECTION_CODES:
        raise ValueError(f"code must be one of {_SELECTION_CODES}, not {code!r}")
    ks = np.arange(1, min(n_env, m_cand) + 1, dtype=float)
    log2_count = _np_log2_binomial(m_cand, ks) + _np_log2_gamma(ks + 1.0) + _np_log2_stirling2(n_env, ks)
    if code == "direct":
        length = lambdify_bits(direct_selection_bits(), (_N, _M))(n_env, m_cand) + 0.0 * ks
    elif code == "prefix":
        length = lambdify_bits(prefix_selection_bits(), (_N, _M, _k))(n_env, m_cand, ks)
    else:
        length = lambdify_bits(compressed_selection_bits(), (_N, _M, _k))(n_env, m_cand, ks)
        if code == "paper":
            length = 2.0 * length + 1.0
    return math.fsum(np.exp2(log2_count - length).tolist())

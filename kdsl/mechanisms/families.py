"""Distribution families of the kdsl language: exact log-probabilities and sampling.

Every family is evaluated on the domain of the variable it describes
(:class:`Domain`).  On a finite integer domain ``lo..hi`` the mass a family
puts outside the domain is moved to the nearest end, and ``normal`` is
discretized into unit cells centred on the integers (the two ends taking the
tails).  On a ``real`` domain a value stands for its cell of width ``step``.

All probabilities are returned as base-2 logarithms (``-inf`` for an
impossible value) and are computed in log space, so that far tails stay finite
whenever the logarithm is representable.

>>> d = Domain(0, 3)
>>> np.exp2(log2_prob("poisson", [2.0], d.values(), d)).round(4)
array([0.1353, 0.2707, 0.2707, 0.3233])
>>> float(np.exp2(log2_prob("poisson", [2.0], d.values(), d)).sum())
1.0
>>> log2_prob("bernoulli", [np.array([[0.25], [0.5]])], np.array([[0, 1, 1]]), Domain(0, 1))
array([[-0.4150375, -2.       , -2.       ],
       [-1.       , -1.       , -1.       ]])
>>> sample("geometric", [0.5], Domain(0, 2), np.random.default_rng(1), size=6)
array([1, 2, 0, 2, 0, 0])

``table`` (a free conditional probability table) is not a parametric family
and is handled elsewhere; it is not in :data:`FAMILIES`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from kdsl._lazy import lazy_module

special = lazy_module("scipy.special")

__all__ = [
    "FAMILIES",
    "Domain",
    "FamilyDomainError",
    "FamilyParameterError",
    "FamilySpec",
    "check_family",
    "log2_prob",
    "sample",
]

_LN2 = math.log(2.0)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF = math.sqrt(0.5)
_SUM_TOLERANCE = 1e-9
_INT_TOLERANCE = 1e-9
# Below this natural log, a tail computed as log(cdf) may have lost precision
# (denormals) or underflowed; it is then recomputed by explicit summation.
_TAIL_REFINE_BELOW = -700.0
_TAIL_TERMS = 512
# Cells narrower than this (in standard deviations) use a series expansion.
_NARROW_CELL = 2e-2


# --------------------------------------------------------------------------
# Domains
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """The set of values a variable can take.

    A finite integer domain ``lo..hi`` (inclusive; labels and ``bits(m)`` are
    coded ``0..K-1``), or a ``real`` domain (``lo = hi = None``) whose values
    stand for cells of width ``step`` (default 0.01).

    >>> Domain(-3, 3).size, Domain(-3, 3).values()
    (7, array([-3, -2, -1,  0,  1,  2,  3]))
    >>> Domain.real(), Domain.real().is_real, Domain.real().size
    (Domain(lo=None, hi=None, step=0.01), True, None)
    >>> Domain.bits(2) == Domain(0, 3)
    True
    """

    lo: int | None = None
    hi: int | None = None
    step: float | None = None

    def __post_init__(self) -> None:
        if self.lo is None and self.hi is None:
            step = 0.01 if self.step is None else float(self.step)
            if not (math.isfinite(step) and step > 0):
                raise ValueError(f"the step of a real domain must be > 0 (got {_fmt(step)})")
            object.__setattr__(self, "step", step)
            return
        if self.lo is None or self.hi is None:
            raise ValueError("a finite domain needs both lo and hi")
        if self.step is not None:
            raise ValueError("a finite integer domain has no step")
        lo, hi = _as_int(self.lo, "lo"), _as_int(self.hi, "hi")
        if lo > hi:
            raise ValueError(f"empty domain {lo}..{hi}")
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)

    @classmethod
    def integers(cls, lo: int, hi: int) -> Domain:
        """The integers ``lo..hi`` inclusive."""
        return cls(lo, hi)

    @classmethod
    def labels(cls, count: int) -> Domain:
        """``count`` labels coded ``0..count-1``."""
        return cls(0, count - 1)

    @classmethod
    def bits(cls, m: int) -> Domain:
        """``m``-bit strings coded ``0..2**m-1``."""
        if m < 1:
            raise ValueError(f"bits(m) needs m >= 1 (got {m})")
        return cls(0, 2**m - 1)

    @classmethod
    def real(cls, step: float = 0.01) -> Domain:
        """A continuous domain at resolution ``step``."""
        return cls(None, None, step)

    @property
    def is_real(self) -> bool:
        return self.lo is None

    @property
    def size(self) -> int | None:
        """Number of values of a finite domain; ``None`` for a real one."""
        if self.is_real:
            return None
        return self.hi - self.lo + 1

    def values(self) -> np.ndarray:
        """All values of a finite domain, in order (int64)."""
        if self.is_real:
            raise ValueError("a real domain has no finite list of values")
        return np.arange(self.lo, self.hi + 1, dtype=np.int64)

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Elementwise: is ``x`` a value of this domain?  (Any finite number for a real domain.)"""
        x = np.asarray(x, dtype=float)
        if self.is_real:
            return np.isfinite(x)
        return (x >= self.lo) & (x <= self.hi) & (x == np.floor(x))


def _as_int(v: object, what: str) -> int:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return int(v)
    raise ValueError(f"domain {what} must be an integer (got {v!r})")


def _step_decimals(step: float) -> int | None:
    """Decimal places of ``step`` if it is a short decimal (0.01 -> 2), else None."""
    for d in range(16):
        if abs(round(step, d) - step) <= 1e-12 * step:
            return d
    return None


# --------------------------------------------------------------------------
# Family table and errors
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilySpec:
    """What the language knows about a family.

    ``arity`` is the number of arguments, or ``None`` for ``categorical``
    (one probability per domain value).  ``integer_args`` are the indices of
    arguments that must be integers.  ``real_ok`` says whether the family may
    describe a ``real`` variable.
    """

    name: str
    arity: int | None
    arg_names: tuple[str, ...]
    integer_args: frozenset[int]
    real_ok: bool
    description: str

    def arg_name(self, index: int) -> str:
        """Name of argument ``index`` (``p0, p1, ...`` for categorical)."""
        if self.arity is None:
            return f"p{index}"
        return self.arg_names[index]

    def arity_on(self, domain: Domain) -> int:
        """Number of arguments this family takes on ``domain``."""
        if self.arity is not None:
            return self.arity
        if domain.is_real:
            raise FamilyDomainError(f"{self.name} needs a finite domain")
        return domain.size


def _spec(name, arg_names, description, *, integer_args=(), real_ok=False, variadic=False) -> FamilySpec:
    return FamilySpec(
        name=name,
        arity=None if variadic else len(arg_names),
        arg_names=tuple(arg_names),
        integer_args=frozenset(integer_args),
        real_ok=real_ok,
        description=description,
    )


FAMILIES: dict[str, FamilySpec] = {
    s.name: s
    for s in [
        _spec("bernoulli", ["p"], "1 with probability p, else 0; 0 <= p <= 1"),
        _spec(
            "categorical",
            [],
            "the i-th value of the domain with probability p_i; one p per value, summing to 1",
            variadic=True,
        ),
        _spec(
            "binomial",
            ["trials", "p"],
            "successes in `trials` independent trials of probability p; trials a non-negative integer",
            integer_args=[0],
        ),
        _spec("poisson", ["rate"], "Poisson count with mean rate > 0"),
        _spec("geometric", ["p"], "failures before the first success, 0 < p <= 1"),
        _spec(
            "normal",
            ["mean", "sd"],
            "Gaussian, sd > 0; discretized to unit cells on an integer domain, step cells on a real one",
            real_ok=True,
        ),
        _spec("uniform", [], "every value of a finite domain equally likely"),
    ]
}


class FamilyParameterError(ValueError):
    """A family argument is invalid or makes the family degenerate.

    ``arg_index`` is the 0-based index of the offending argument, or ``None``
    when no single argument is to blame (a wrong number of arguments, or
    categorical probabilities that do not sum to 1).
    """

    def __init__(self, message: str, arg_index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.arg_index = arg_index


class FamilyDomainError(ValueError):
    """The family cannot describe a variable with this domain."""


def _fmt(v: float) -> str:
    v = float(v)
    if math.isfinite(v) and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return repr(v)


def _lookup(family: str) -> FamilySpec:
    try:
        return FAMILIES[family]
    except KeyError:
        known = ", ".join(FAMILIES)
        raise ValueError(f"unknown family {family!r} (known: {known})") from None


def _check_domain(spec: FamilySpec, domain: Domain) -> None:
    if domain.is_real and not spec.real_ok:
        if spec.name == "uniform":
            why = "uniform needs a finite domain (it has no density on a real variable)"
        else:
            why = f"{spec.name} is an integer family and cannot describe a real variable"
        raise FamilyDomainError(why)


# Each rule: (predicate on a float array, requirement text).  The predicate is
# False for NaN, so NaN is always reported.
def _unit_closed(a: np.ndarray) -> np.ndarray:
    return (a >= 0.0) & (a <= 1.0)


def _unit_open_closed(a: np.ndarray) -> np.ndarray:
    return (a > 0.0) & (a <= 1.0)


def _positive(a: np.ndarray) -> np.ndarray:
    return np.isfinite(a) & (a > 0.0)


def _finite(a: np.ndarray) -> np.ndarray:
    return np.isfinite(a)


def _count(a: np.ndarray) -> np.ndarray:
    r = np.round(a)
    close = np.abs(a - r) <= _INT_TOLERANCE * np.maximum(1.0, np.abs(a))
    return np.isfinite(a) & close & (r >= 0)


_RULES: dict[str, list[tuple[Callable[[np.ndarray], np.ndarray], str]]] = {
    "bernoulli": [(_unit_closed, "must be in [0, 1]")],
    "binomial": [(_count, "must be a non-negative integer"), (_unit_closed, "must be in [0, 1]")],
    "poisson": [(_positive, "must be > 0")],
    "geometric": [(_unit_open_closed, "must be in (0, 1]")],
    "normal": [(_finite, "must be finite"), (_positive, "must be > 0")],
    "uniform": [],
}


def check_family(family: str, args: Sequence[np.ndarray | float], domain: Domain) -> list[np.ndarray]:
    """Validate ``family(*args)`` on ``domain``; return the arguments as float arrays.

    Raises :class:`FamilyDomainError` if the family cannot describe a variable
    with this domain, and :class:`FamilyParameterError` for a wrong number of
    arguments or an invalid value anywhere in the argument arrays (the first
    offending value of the first offending argument is reported).
    Integer arguments are returned rounded.

    >>> try:
    ...     check_family("normal", [0.0, np.array([1.0, -1.0])], Domain.real())
    ... except FamilyParameterError as e:
    ...     print(e, e.arg_index)
    sd must be > 0 (got -1) 1
    >>> try:
    ...     check_family("categorical", [0.5, 0.4, 0.2], Domain(0, 2))
    ... except FamilyParameterError as e:
    ...     print(e, e.arg_index)
    categorical probabilities must sum to 1 (got 1.1) None
    """
    spec = _lookup(family)
    _check_domain(spec, domain)
    want = spec.arity_on(domain)
    args = list(args)
    if len(args) != want:
        if spec.arity is None:
            need = f"{want} probabilities, one per value of the domain {domain.lo}..{domain.hi}"
        elif want == 0:
            need = "no arguments"
        else:
            need = f"{want} argument{'s' if want != 1 else ''} ({', '.join(spec.arg_names)})"
        raise FamilyParameterError(
            f"{family} takes {need} (got {len(args)})",
            arg_index=want if len(args) > want else None,
        )
    arrays = [np.asarray(a, dtype=float) for a in args]
    rules = [(_unit_closed, "must be in [0, 1]")] * want if spec.arity is None else _RULES[family]
    for i, (arr, (ok_fn, requirement)) in enumerate(zip(arrays, rules, strict=True)):
        ok = ok_fn(arr)
        if not np.all(ok):
            bad = arr.ravel()[int(np.argmax(~np.ravel(ok)))]
            if not np.isfinite(bad) and ok_fn in (_positive, _count):
                requirement = "must be finite"
            raise FamilyParameterError(f"{spec.arg_name(i)} {requirement} (got {_fmt(bad)})", arg_index=i)
        if i in spec.integer_args:
            arrays[i] = np.round(arr)
    if spec.arity is None:
        total = sum(arrays[1:], start=arrays[0])
        off = np.abs(total - 1.0) > _SUM_TOLERANCE
        if np.any(off):
            bad = np.ravel(total)[int(np.argmax(np.ravel(off)))]
            raise FamilyParameterError(f"categorical probabilities must sum to 1 (got {bad:.12g})", None)
    return arrays


# --------------------------------------------------------------------------
# Log-space helpers
# --------------------------------------------------------------------------


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """log(1 - exp(x)) for x <= 0, accurate near 0 and far below it."""
    x = np.asarray(x, dtype=float)
    near = x > -_LN2
    return np.where(
        near, np.log(-np.expm1(np.where(near, x, -1.0))), np.log1p(-np.exp(np.where(near, -1.0, x)))
    )


def _log_cell(c: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Natural log of Phi(c + w/2) - Phi(c - w/2), for finite c and finite w > 0.

    The cell is mirrored to the lower side (c <= 0), where the lower tail is
    accurate.  Narrow cells use the series
    phi(c) w [1 + He2(c) w^2/24 + He4(c) w^4/1920 + He6(c) w^6/322560]; cells wholly below 0 use
    scaled complementary error functions, so that the difference of the two
    log-CDFs is computed without cancellation even thousands of sd away.
    """
    c, w = np.broadcast_arrays(-np.abs(np.asarray(c, dtype=float)), np.asarray(w, dtype=float))
    out = np.full(c.shape, np.nan)
    a = c - 0.5 * w
    b = c + 0.5 * w
    narrow = (w <= _NARROW_CELL) & (-c * w <= _NARROW_CELL)
    below = ~narrow & (b <= 0.0)
    across = ~narrow & ~below

    cn, wn = c[narrow], w[narrow]
    u, v = (cn * wn) ** 2, wn * wn  # c^2 w^2 and w^2
    series = (
        (u - v) / 24.0
        + (u * u - 6.0 * u * v + 3.0 * v * v) / 1920.0
        + (u * u * u - 15.0 * u * u * v + 45.0 * u * v * v - 15.0 * v * v * v) / 322560.0
    )
    out[narrow] = -0.5 * cn * cn - _HALF_LOG_2PI + np.log(wn) + np.log1p(series)

    ab, bb, cb, wb = a[below], b[below], c[below], w[below]
    # log Phi(b) - log Phi(a) = (a^2 - b^2)/2 + log erfcx(-b/sqrt2) - log erfcx(-a/sqrt2), (a^2-b^2)/2 = -c w
    delta = -cb * wb + np.log(special.erfcx(-bb * _SQRT_HALF)) - np.log(special.erfcx(-ab * _SQRT_HALF))
    out[below] = special.log_ndtr(bb) + _log1mexp(-delta)

    la, lb = special.log_ndtr(a[across]), special.log_ndtr(b[across])
    out[across] = lb + _log1mexp(la - lb)
    return out


# --------------------------------------------------------------------------
# Integer families
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Discrete:
    logpmf: Callable[..., np.ndarray]
    logcdf: Callable[..., np.ndarray]  # log P(X <= k)
    logsf: Callable[..., np.ndarray]  # log P(X > k)


def _scipy(distribution: str, method: str, shift: int = 0) -> Callable[..., np.ndarray]:
    """``scipy.stats.<distribution>.<method>``, looked up at the first call.

    scipy.stats takes about 0.4 s to import; a spec without these families
    (``kdsl check``, tables only) never pays for it.
    """

    def call(k, *params):
        from scipy import stats

        return getattr(getattr(stats, distribution), method)(k + shift if shift else k, *params)

    return call


def _discrete(distribution: str, shift: int = 0) -> _Discrete:
    return _Discrete(*(_scipy(distribution, m, shift) for m in ("logpmf", "logcdf", "logsf")))


_DISCRETE: dict[str, _Discrete] = {
    "bernoulli": _discrete("bernoulli"),
    "binomial": _discrete("binom"),
    "poisson": _discrete("poisson"),
    # scipy's geom counts trials (support 1, 2, ...); ours counts failures.
    "geometric": _discrete("geom", shift=1),
}


def _refine_tail(value: np.ndarray, fam: _Discrete, k: int, direction: int, params: list[np.ndarray]):
    """Recompute far-tail log masses (log P(X <= k) for direction -1, log P(X >= k)
    for +1) that scipy's log(cdf) may have underflowed, by summing the pmf.

    The pmfs here are log-concave, so away from the mode the ratio of
    successive terms only shrinks: ``_TAIL_TERMS`` terms plus a geometric
    bound with the last ratio give the tail to high relative accuracy.
    """
    value = np.array(value, dtype=float)
    need = ~(value > _TAIL_REFINE_BELOW)
    if not np.any(need):
        return value
    sub = [np.broadcast_to(p, value.shape)[need][:, None] for p in params]
    ks = (k + direction * np.arange(_TAIL_TERMS, dtype=float))[None, :]
    terms = np.asarray(fam.logpmf(ks, *sub), dtype=float)
    head = special.logsumexp(terms, axis=1)
    last, prev = terms[:, -1], terms[:, -2]
    log_ratio = last - prev
    shrinking = log_ratio < 0.0
    rest = np.where(shrinking, last + log_ratio - _log1mexp(np.where(shrinking, log_ratio, -1.0)), -np.inf)
    usable = shrinking | (last == -np.inf)
    value[need] = np.where(usable, np.logaddexp(head, rest), value[need])
    return value


def _ln_discrete(family: str, params: list[np.ndarray], x: np.ndarray, domain: Domain) -> np.ndarray:
    fam = _DISCRETE[family]
    lo, hi = domain.lo, domain.hi
    inside = domain.contains(x)
    if lo == hi:
        return np.where(inside, 0.0, -np.inf)
    xs = np.where(inside, x, lo)
    out = np.asarray(fam.logpmf(xs, *params), dtype=float)
    lower = _refine_tail(fam.logcdf(lo, *params), fam, lo, -1, params)
    upper = _refine_tail(fam.logsf(hi - 1, *params), fam, hi, +1, params)
    out = np.where(x == lo, lower, out)
    out = np.where(x == hi, upper, out)
    return np.where(inside, out, -np.inf)


def _ln_categorical(params: list[np.ndarray], x: np.ndarray, domain: Domain) -> np.ndarray:
    out = np.asarray(-np.inf)
    for i, p in enumerate(params):
        out = np.where(x == domain.lo + i, np.log(p), out)
    return out


def _ln_uniform(params: list[np.ndarray], x: np.ndarray, domain: Domain) -> np.ndarray:
    return np.where(domain.contains(x), -math.log(domain.size), -np.inf)


def _ln_normal(params: list[np.ndarray], x: np.ndarray, domain: Domain) -> np.ndarray:
    mean, sd = params
    if domain.is_real:
        ok = np.isfinite(x)
        xs = np.where(ok, x, 0.0)
        out = _log_cell((xs - mean) / sd, domain.step / sd)
        return np.where(ok, out, -np.inf)
    lo, hi = domain.lo, domain.hi
    inside = domain.contains(x)
    if lo == hi:
        return np.where(inside, 0.0, -np.inf)
    xs = np.where(inside, x, lo)
    out = _log_cell((xs - mean) / sd, 1.0 / sd)
    lower = special.log_ndtr((lo + 0.5 - mean) / sd)
    upper = special.log_ndtr((mean - (hi - 0.5)) / sd)
    out = np.where(x == lo, lower, out)
    out = np.where(x == hi, upper, out)
    return np.where(inside, out, -np.inf)


def log2_prob(
    family: str, args: Sequence[np.ndarray | float], x: np.ndarray, domain: Domain
) -> np.ndarray:
    """Base-2 log-probability of ``x`` under ``family(*args)`` on ``domain``.

    ``args`` and ``x`` broadcast against each other (e.g. args of shape
    ``(C, 1)`` for C candidate parameters and x of shape ``(1, R)``); the
    result has the broadcast shape, ``-inf`` where the value is impossible
    (outside the domain, or outside the family's support).

    >>> d = Domain(0, 5)
    >>> log2_prob("bernoulli", [0.5], np.array([0, 1, 3]), d)
    array([ -1.,  -1., -inf])
    >>> float(log2_prob("normal", [0.0, 1e-6], 0.5, Domain.real()))  # 500000 sd away
    -176748176217.152
    """
    spec = _lookup(family)
    params = check_family(family, args, domain)
    x = np.asarray(x, dtype=float)
    shape = np.broadcast_shapes(x.shape, *(p.shape for p in params))
    with np.errstate(all="ignore"):
        if spec.name in _DISCRETE:
            ln = _ln_discrete(spec.name, params, x, domain)
        elif spec.name == "categorical":
            ln = _ln_categorical(params, x, domain)
        elif spec.name == "uniform":
            ln = _ln_uniform(params, x, domain)
        else:
            ln = _ln_normal(params, x, domain)
        out = np.asarray(ln, dtype=float) / _LN2
    return np.array(np.broadcast_to(out, shape), dtype=float)


# --------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------


def sample(
    family: str,
    args: Sequence[np.ndarray | float],
    domain: Domain,
    rng: np.random.Generator,
    size: int | None = None,
) -> np.ndarray:
    """Draw values of ``family(*args)`` on ``domain``, consistently with :func:`log2_prob`.

    With ``size``, the result has shape ``(size,)`` and each argument is a
    scalar or an array of length ``size`` (per-row parameters); without it the
    result has the broadcast shape of the arguments.  Finite domains give
    int64 values in ``lo..hi`` (integer families clipped to the ends,
    ``normal`` rounded to the nearest integer then clipped); a real domain
    gives multiples of ``step``.

    >>> rng = np.random.default_rng(0)
    >>> sample("normal", [np.array([0.0, 10.0, 20.0]), 1.0], Domain(0, 12), rng, size=3)
    array([ 0, 10, 12])
    >>> sample("normal", [3.0, 0.5], Domain.real(0.01), np.random.default_rng(5), size=3)
    array([2.6 , 2.34, 2.88])
    """
    spec = _lookup(family)
    params = check_family(family, args, domain)
    if size is None:
        shape = np.broadcast_shapes(*(p.shape for p in params)) if params else ()
    else:
        shape = (int(size),)
    try:
        params = [np.broadcast_to(p, shape) for p in params]
    except ValueError:
        got = [p.shape for p in params]
        raise ValueError(f"arguments of shapes {got} do not broadcast to {shape}") from None

    name = spec.name
    if name == "normal":
        draw = rng.normal(params[0], params[1], size=shape)
        if domain.is_real:
            step = domain.step
            draw = np.round(draw / step) * step
            decimals = _step_decimals(step)
            if decimals is not None:
                draw = np.round(draw, decimals)
            return np.asarray(draw, dtype=float)
        return np.clip(np.rint(draw), domain.lo, domain.hi).astype(np.int64)

    if name == "uniform":
        return np.asarray(rng.integers(domain.lo, domain.hi + 1, size=shape), dtype=np.int64)
    if name == "categorical":
        cum = np.cumsum(np.stack(params, axis=-1), axis=-1)
        cum = cum / cum[..., -1:]
        u = rng.random(shape)
        index = np.minimum(np.sum(cum <= u[..., None], axis=-1), len(params) - 1)
        return (domain.lo + index).astype(np.int64)
    if name == "bernoulli":
        draw = rng.random(shape) < params[0]
    elif name == "binomial":
        draw = rng.binomial(params[0].astype(np.int64), params[1], size=shape)
    elif name == "poisson":
        draw = rng.poisson(params[0], size=shape)
    else:  # geometric: numpy counts trials, we count failures
        draw = rng.geometric(params[0], size=shape) - 1
    return np.clip(np.asarray(draw, dtype=np.int64), domain.lo, domain.hi)

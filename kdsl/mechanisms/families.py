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

Each family is one entry of :data:`FAMILIES`, a :class:`Family` subclass
holding its parameter rules, domain rule, log-probability and sampler; every
dispatch looks the name up there, so an unregistered name is an error, never
a default.  To add a family, subclass :class:`Family` and call
:func:`register_family` (docs/architecture.md).

``table`` (a free conditional probability table) is not a parametric family
and is handled elsewhere; it is not in :data:`FAMILIES`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from kdsl._lazy import lazy_module
from kdsl._registry import Registry

special = lazy_module("scipy.special")

__all__ = [
    "FAMILIES",
    "Domain",
    "FamilyDomainError",
    "FamilyParameterError",
    "Family",
    "Rule",
    "UnknownFamilyError",
    "check_family",
    "get_family",
    "log2_prob",
    "register_family",
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
# Errors and parameter rules
# --------------------------------------------------------------------------


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


class UnknownFamilyError(ValueError):
    """A name that is not in :data:`FAMILIES` reached a family dispatch (a bug: the checker admits only registered names)."""


def _fmt(v: float) -> str:
    v = float(v)
    if math.isfinite(v) and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return repr(v)


@dataclass(frozen=True)
class Rule:
    """What one argument must satisfy: ``ok`` is elementwise True where it does
    (False for NaN, so NaN is always reported), ``requirement`` completes
    "<argument name> ..." in the error message."""

    ok: Callable[[np.ndarray], np.ndarray]
    requirement: str
    finite: bool = False  # ``ok`` is False for infinities too: report them as "must be finite"


UNIT = Rule(lambda a: (a >= 0.0) & (a <= 1.0), "must be in [0, 1]")
UNIT_OPEN_CLOSED = Rule(lambda a: (a > 0.0) & (a <= 1.0), "must be in (0, 1]")
POSITIVE = Rule(lambda a: np.isfinite(a) & (a > 0.0), "must be > 0", finite=True)
FINITE = Rule(np.isfinite, "must be finite")


def _is_count(a: np.ndarray) -> np.ndarray:
    r = np.round(a)
    close = np.abs(a - r) <= _INT_TOLERANCE * np.maximum(1.0, np.abs(a))
    return np.isfinite(a) & close & (r >= 0)


COUNT = Rule(_is_count, "must be a non-negative integer", finite=True)


# --------------------------------------------------------------------------
# The family table: one entry per family
# --------------------------------------------------------------------------


class Family(ABC):
    """One distribution family: an entry of :data:`FAMILIES`.

    A family is a subclass setting the class attributes below and defining
    :meth:`ln_prob` and :meth:`draw`; an instance is registered with
    :func:`register_family`.  The language's checker, the scorer and the
    simulator read everything about a family from its entry:

    ``arg_names`` and ``rules`` (one :class:`Rule` per argument) are its
    parameters; ``variadic`` families instead take one probability per value
    of a finite domain.  ``integer_args`` are the indices of arguments
    rounded to integers.  ``real_ok`` says whether it may describe a ``real``
    variable, and ``finite_reason`` why not when it may not.

    >>> FAMILIES["normal"].arity, FAMILIES["normal"].arg_names, FAMILIES["uniform"].arity
    (2, ('mean', 'sd'), 0)
    >>> FAMILIES["poisson"].domain_refusal(Domain.real())
    'it is an integer family'
    """

    name: str = ""
    arg_names: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    integer_args: frozenset[int] = frozenset()
    variadic: bool = False
    real_ok: bool = False
    finite_reason: str = "it is an integer family"
    description: str = ""

    @property
    def arity(self) -> int | None:
        """Number of arguments, or ``None`` for a variadic family (one per domain value)."""
        return None if self.variadic else len(self.arg_names)

    def arg_name(self, index: int) -> str:
        """Name of argument ``index`` (``p0, p1, ...`` for a variadic family)."""
        return f"p{index}" if self.variadic else self.arg_names[index]

    def arity_on(self, domain: Domain) -> int:
        """Number of arguments this family takes on ``domain``."""
        if not self.variadic:
            return len(self.arg_names)
        if domain.is_real:
            raise FamilyDomainError(f"{self.name} needs a finite domain")
        return domain.size

    def domain_refusal(self, domain: Domain) -> str | None:
        """Why this family cannot describe a variable with ``domain``, or ``None`` if it can."""
        return self.finite_reason if domain.is_real and not self.real_ok else None

    def rules_for(self, count: int) -> tuple[Rule, ...]:
        """The rules of ``count`` arguments (every probability of a variadic family is in [0, 1])."""
        return (UNIT,) * count if self.variadic else self.rules

    def check_together(self, arrays: list[np.ndarray]) -> None:
        """A condition on the arguments together (each already valid alone); raise :class:`FamilyParameterError`.

        None by default: most families' arguments are independent.
        """
        return None

    @abstractmethod
    def ln_prob(self, params: list[np.ndarray], x: np.ndarray, domain: Domain) -> np.ndarray:
        """Natural log-probability of ``x`` (valid ``params``, broadcasting), ``-inf`` where impossible."""

    @abstractmethod
    def draw(self, params: list[np.ndarray], shape: tuple[int, ...], domain: Domain,
             rng: np.random.Generator) -> np.ndarray:
        """Values of ``domain`` drawn consistently with :meth:`ln_prob` (params broadcast to ``shape``)."""


#: The registered families by name; :func:`register_family` adds one.
FAMILIES: Registry[Family] = Registry("family", UnknownFamilyError)


def register_family(family: Family, *, replace: bool = False) -> Family:
    """Add ``family`` to :data:`FAMILIES` (an error if its name is taken, unless ``replace``).

    >>> class Twin(type(FAMILIES["poisson"])):
    ...     name = "poisson"
    >>> register_family(Twin())
    Traceback (most recent call last):
    ...
    ValueError: a family named 'poisson' is already registered (replace=True replaces it)
    """
    if not family.name or not family.description:
        raise ValueError("a family needs a name and a description")
    if not family.variadic and len(family.rules) != len(family.arg_names):
        raise ValueError(f"family {family.name} has {len(family.arg_names)} arguments but {len(family.rules)} rules")
    return FAMILIES.add(family.name, family, replace)


def get_family(name: str) -> Family:
    """The registered family ``name``; :class:`UnknownFamilyError` for any other name.

    >>> try:
    ...     get_family("gamma")
    ... except UnknownFamilyError as e:
    ...     print(e)
    unknown family 'gamma' (registered: bernoulli, categorical, binomial, poisson, geometric, normal, uniform)
    """
    return FAMILIES.entry(name)


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
    fam = get_family(family)
    refusal = fam.domain_refusal(domain)
    if refusal is not None:
        raise FamilyDomainError(f"{family} cannot describe a real variable: {refusal}")
    want = fam.arity_on(domain)
    args = list(args)
    if len(args) != want:
        if fam.variadic:
            need = f"{want} probabilities, one per value of the domain {domain.lo}..{domain.hi}"
        elif want == 0:
            need = "no arguments"
        else:
            need = f"{want} argument{'s' if want != 1 else ''} ({', '.join(fam.arg_names)})"
        raise FamilyParameterError(
            f"{family} takes {need} (got {len(args)})",
            arg_index=want if len(args) > want else None,
        )
    arrays = [np.asarray(a, dtype=float) for a in args]
    for i, (arr, rule) in enumerate(zip(arrays, fam.rules_for(want), strict=True)):
        ok = rule.ok(arr)
        if not np.all(ok):
            bad = arr.ravel()[int(np.argmax(~np.ravel(ok)))]
            requirement = "must be finite" if rule.finite and not np.isfinite(bad) else rule.requirement
            raise FamilyParameterError(f"{fam.arg_name(i)} {requirement} (got {_fmt(bad)})", arg_index=i)
        if i in fam.integer_args:
            arrays[i] = np.round(arr)
    fam.check_together(arrays)
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
# The built-in families
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




class _ScipyCount(Family):
    """An integer family computed by scipy.stats; the mass beyond either end of the domain goes to that end."""

    scipy: _Discrete

    def ln_prob(self, params: list[np.ndarray], x: np.ndarray, domain: Domain) -> np.ndarray:
        fam = self.scipy
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

    def draw(self, params, shape, domain, rng):
        return np.clip(np.asarray(self.draw_unclipped(params, shape, rng), dtype=np.int64), domain.lo, domain.hi)

    @abstractmethod
    def draw_unclipped(self, params: list[np.ndarray], shape: tuple[int, ...], rng: np.random.Generator):
        """Integers from the family on its whole support (clipped to the domain by :meth:`draw`)."""


class Bernoulli(_ScipyCount):
    name, arg_names, rules = "bernoulli", ("p",), (UNIT,)
    description = "1 with probability p, else 0; 0 <= p <= 1"
    scipy = _discrete("bernoulli")

    def draw_unclipped(self, params, shape, rng):
        return rng.random(shape) < params[0]


class Binomial(_ScipyCount):
    name, arg_names, rules = "binomial", ("trials", "p"), (COUNT, UNIT)
    integer_args = frozenset({0})
    description = "successes in `trials` independent trials of probability p; trials a non-negative integer"
    scipy = _discrete("binom")

    def draw_unclipped(self, params, shape, rng):
        return rng.binomial(params[0].astype(np.int64), params[1], size=shape)


class Poisson(_ScipyCount):
    name, arg_names, rules = "poisson", ("rate",), (POSITIVE,)
    description = "Poisson count with mean rate > 0"
    scipy = _discrete("poisson")

    def draw_unclipped(self, params, shape, rng):
        return rng.poisson(params[0], size=shape)


class Geometric(_ScipyCount):
    name, arg_names, rules = "geometric", ("p",), (UNIT_OPEN_CLOSED,)
    description = "failures before the first success, 0 < p <= 1"
    scipy = _discrete("geom", shift=1)  # scipy's geom counts trials (support 1, 2, ...); ours counts failures

    def draw_unclipped(self, params, shape, rng):
        return rng.geometric(params[0], size=shape) - 1


class Categorical(Family):
    name, variadic = "categorical", True
    finite_reason = "it needs a finite domain (one probability per value)"
    description = "the i-th value of the domain with probability p_i; one p per value, summing to 1"

    def check_together(self, arrays):
        total = sum(arrays[1:], start=arrays[0])
        off = np.abs(total - 1.0) > _SUM_TOLERANCE
        if np.any(off):
            bad = np.ravel(total)[int(np.argmax(np.ravel(off)))]
            raise FamilyParameterError(f"categorical probabilities must sum to 1 (got {bad:.12g})", None)

    def ln_prob(self, params, x, domain):
        out = np.asarray(-np.inf)
        for i, p in enumerate(params):
            out = np.where(x == domain.lo + i, np.log(p), out)
        return out

    def draw(self, params, shape, domain, rng):
        cum = np.cumsum(np.stack(params, axis=-1), axis=-1)
        cum = cum / cum[..., -1:]
        u = rng.random(shape)
        index = np.minimum(np.sum(cum <= u[..., None], axis=-1), len(params) - 1)
        return (domain.lo + index).astype(np.int64)


class Normal(Family):
    name, arg_names, rules = "normal", ("mean", "sd"), (FINITE, POSITIVE)
    real_ok = True
    description = "Gaussian, sd > 0; discretized to unit cells on an integer domain, step cells on a real one"

    def ln_prob(self, params, x, domain):
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

    def draw(self, params, shape, domain, rng):
        draw = rng.normal(params[0], params[1], size=shape)
        if domain.is_real:
            step = domain.step
            draw = np.round(draw / step) * step
            decimals = _step_decimals(step)
            if decimals is not None:
                draw = np.round(draw, decimals)
            return np.asarray(draw, dtype=float)
        return np.clip(np.rint(draw), domain.lo, domain.hi).astype(np.int64)


class Uniform(Family):
    name = "uniform"
    finite_reason = "it needs a finite domain (it has no density on a real variable)"
    description = "every value of a finite domain equally likely"

    def ln_prob(self, params, x, domain):
        return np.where(domain.contains(x), -math.log(domain.size), -np.inf)

    def draw(self, params, shape, domain, rng):
        return np.asarray(rng.integers(domain.lo, domain.hi + 1, size=shape), dtype=np.int64)


for _family in (Bernoulli, Categorical, Binomial, Poisson, Geometric, Normal, Uniform):
    register_family(_family())


# --------------------------------------------------------------------------
# Evaluation and sampling, dispatched through the table
# --------------------------------------------------------------------------


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
    params = check_family(family, args, domain)
    x = np.asarray(x, dtype=float)
    shape = np.broadcast_shapes(x.shape, *(p.shape for p in params))
    with np.errstate(all="ignore"):
        out = np.asarray(get_family(family).ln_prob(params, x, domain), dtype=float) / _LN2
    return np.array(np.broadcast_to(out, shape), dtype=float)


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
    return get_family(family).draw(params, shape, domain, rng)

"""Which environments share which mechanism: exact combinatorial optimisation.

Data costs are computed elsewhere; this module only decides *sharing*. Given
the bits each environment's data costs under each candidate mechanism, it
finds, for every number k of distinct mechanisms, the cheapest way to let the
N environments share k of them:

* :func:`best_selection_by_k` -- one parameter slot with a codebook of M
  candidates; every environment names one candidate and exactly k distinct
  candidates are used (an exactly-k "k-median" problem).
* :func:`best_coupled_selection` -- several coupled slots (``normal(a*X,
  sqrt(v))`` with ``a`` and ``v`` from their own codebooks); k is counted per
  slot.
* :func:`best_partition_by_k` -- free tables: any set of environments can
  share one table whose cost is given per subset; the optimum over set
  partitions into exactly k blocks.
* :func:`greedy_partition_by_k` -- an agglomerative *heuristic* for
  partitions too large for the exact dynamic programme.
* :func:`best_selection_sorted` -- the single-crossing dynamic programme over
  environments sorted by a statistic; exact when the cost matrix is Monge in
  that order (checked and reported), a heuristic otherwise.

Methods and where they are exact
--------------------------------
``subset-dp``
    Backward dynamic programme over candidates c = M-1..0 and subsets of
    environments: ``h_c[mask, j]`` is the cheapest way to give the
    environments in ``mask`` exactly j distinct candidates from ``c..M-1``.
    Every candidate either owns nothing or a nonempty block of ``mask``.
    O(M * k * 3**N) work, vectorised per popcount class. Exact.
``used-set-dp``
    Dynamic programme over environments whose state is the *set of
    candidates used so far* (one bit per candidate and slot). O(N * prod(M) *
    2**sum(M)) work; exact for any N when the codebooks are small.
``branch-and-bound``
    For large N and M: for a fixed candidate set S the exactly-|S| optimum is
    ``sum_e min_{c in S} cost[e, c]`` plus a surjectivity correction, a
    rectangular assignment problem of one representative environment per
    candidate (``scipy.optimize.linear_sum_assignment``). All C(M, k) sets
    are bounded in vectorised batches by the first term; only sets whose
    bound beats the incumbent and whose per-environment minima do not
    already use every candidate are solved. Exact; refused beyond a budget.
``enumerate-dp``
    Coupled slots for few environments: all assignments of every slot but the
    last are enumerated in numpy batches and the last slot is solved by the
    batched ``subset-dp``. Exact.
``subset-partition-dp``
    Set partitions by a DP over subsets with the lowest environment's block
    chosen first: O(N * 3**N / 2). Exact.

Tie-breaking
------------
Among optimal assignments the exact methods return the *lexicographically
smallest* one: environment 0 gets the smallest candidate index that any
optimal assignment gives it, then environment 1, and so on. For coupled slots
the per-environment tuples ``(a_1[e], a_2[e], ...)`` are compared in turn,
environment 0 first. Partitions are compared by their restricted growth
string (the block label of each environment, blocks numbered by smallest
member): an environment joins the earliest block that costs nothing extra.
Ties are equalities of the floating-point sums the DP computes, so the rule is
exact for integer-valued costs; for real-valued costs it holds up to rounding.
``branch-and-bound`` and ``sorted-dp`` return a deterministic optimum that is
not guaranteed to be the lexicographically smallest.

Costs may contain ``+inf`` (impossible); ``nan`` and ``-inf`` are refused.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from kdsl._lazy import lazy_module
from kdsl.errors import BudgetError, KdslError

optimize = lazy_module("scipy.optimize")

__all__ = [
    "SelectionProfile",
    "CoupledProfile",
    "PartitionProfile",
    "best_selection_by_k",
    "best_selection_sorted",
    "best_coupled_selection",
    "best_partition_by_k",
    "least_partition_bits",
    "greedy_partition_by_k",
    "METHODS",
]

#: What each method label of a mechanism's sharing means, in words (``kdsl explain`` prints these).
METHODS = {
    "no slots": "the mechanism has no parameters to choose: nothing is shared or selected",
    "fixed": "one mechanism for every environment (written `fixed`): no choice across environments",
    "subset-dp": "exact: a dynamic program over subsets of environments finds, for every k, the best "
                 "assignment of environments to exactly k candidates",
    "used-set-dp": "exact: a dynamic program over environments that tracks which candidates are used so far",
    "branch-and-bound": "exact: bounds every candidate set and solves only those that can beat the best so far",
    "enumerate-dp": "exact: enumerates the choices of every slot but the last, and solves the last by subset-dp",
    "sorted-dp": "a dynamic program over environments sorted by a statistic (exact only when checked Monge)",
    "exact partition DP": "exact: a dynamic program over subsets finds, for every k, the best grouping of the "
                          "environments into k groups that each share one table (or fit)",
    "greedy merging (heuristic)": "a heuristic: too many environments for the exact grouping, so groups are "
                                  "merged greedily; the grouping may not be the shortest",
}

_KEYMAX = np.iinfo(np.int64).max
_MAX_STATE_FLOATS = 1 << 24  # memory cap for stored DP tables (128 MiB of float64)
_CHUNK_ELEMENTS = 1 << 21  # working-set size of one vectorised batch


# ----------------------------------------------------------------------------- results


def _freeze_arrays(obj: object, **dtypes: type) -> None:
    """Store each named field of a frozen dataclass as a read-only array of the given dtype."""
    for name, dtype in dtypes.items():
        object.__setattr__(obj, name, _frozen(np.asarray(getattr(obj, name), dtype=dtype)))


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr = np.ascontiguousarray(arr)
    arr.flags.writeable = False
    return arr


def _bits_list(bits: np.ndarray) -> list:
    return [None if not np.isfinite(b) else float(b) for b in np.ravel(bits)]


@dataclass(frozen=True, eq=False)
class SelectionProfile:
    """Best exactly-k selection for every k.

    Attributes
    ----------
    bits:
        Shape ``(kmax + 1,)``, ``kmax = min(N, M)``. ``bits[k]`` is the minimum
        total cost using exactly k distinct candidates; ``bits[0]`` and every
        infeasible k are ``inf``.
    assignment:
        Shape ``(kmax + 1, N)``, int. ``assignment[k, e]`` is the candidate of
        environment e in the optimum for k; ``-1`` where ``bits[k]`` is inf.
    method:
        Which algorithm produced it (see the module docstring).
    exact:
        Whether ``bits`` are proven optimal.
    """

    bits: np.ndarray
    assignment: np.ndarray
    method: str
    exact: bool

    def __post_init__(self) -> None:
        _freeze_arrays(self, bits=float, assignment=np.int64)

    @property
    def kmax(self) -> int:
        """Largest k considered, ``min(N, M)``."""
        return len(self.bits) - 1

    def to_dict(self) -> dict:
        """Plain data: ``bits`` (``None`` for inf) and assignments as lists."""
        return {
            "bits": _bits_list(self.bits),
            "assignment": self.assignment.tolist(),
            "method": self.method,
            "exact": self.exact,
        }


@dataclass(frozen=True, eq=False)
class CoupledProfile:
    """Best joint selection for coupled slots, for every per-slot count.

    Attributes
    ----------
    bits:
        Shape ``(kmax_1 + 1, ..., kmax_S + 1)`` with ``kmax_i = min(N, M_i)``;
        ``bits[k_1, ..., k_S]`` is the minimum total cost when slot i uses
        exactly ``k_i`` distinct values. ``inf`` where impossible (any
        ``k_i = 0`` included).
    assignment:
        Shape ``bits.shape + (S, N)``, int: ``assignment[k_1, ..., k_S, i, e]``
        is slot i's candidate for environment e; ``-1`` where infeasible.
    method, exact:
        As in :class:`SelectionProfile`.
    """

    bits: np.ndarray
    assignment: np.ndarray
    method: str
    exact: bool

    def __post_init__(self) -> None:
        _freeze_arrays(self, bits=float, assignment=np.int64)

    def to_dict(self) -> dict:
        """Plain data: nested lists, ``None`` for inf."""
        return {
            "shape": list(self.bits.shape),
            "bits": np.where(np.isfinite(self.bits), self.bits, np.nan).tolist(),
            "assignment": self.assignment.tolist(),
            "method": self.method,
            "exact": self.exact,
        }


@dataclass(frozen=True, eq=False)
class PartitionProfile:
    """Best set partition of the environments into exactly k blocks, every k.

    Attributes
    ----------
    bits:
        Shape ``(N + 1,)``; ``bits[k]`` is the minimum summed block cost over
        partitions into k blocks (``bits[0] = inf``).
    partitions:
        ``partitions[k]`` is the partition as a list of blocks, each a sorted
        list of environment indices, blocks ordered by smallest member;
        ``None`` for k = 0 or where ``bits[k]`` is inf.
    labels:
        Shape ``(N + 1, N)``: block label of each environment (restricted
        growth string), ``-1`` where infeasible.
    method, exact:
        As in :class:`SelectionProfile`.
    """

    bits: np.ndarray
    partitions: tuple
    labels: np.ndarray
    method: str
    exact: bool

    def __post_init__(self) -> None:
        _freeze_arrays(self, bits=float, labels=np.int64)
        object.__setattr__(self, "partitions", tuple(self.partitions))

    def to_dict(self) -> dict:
        """Plain data."""
        return {
            "bits": _bits_list(self.bits),
            "partitions": list(self.partitions),
            "method": self.method,
            "exact": self.exact,
        }


# ----------------------------------------------------------------------------- helpers


def _as_costs(cost: object, name: str, min_ndim: int, max_ndim: int | None = None) -> np.ndarray:
    try:
        arr = np.array(cost, dtype=float)
    except (TypeError, ValueError) as exc:
        raise KdslError(f"{name} must be an array of numbers ({exc})") from None
    if arr.ndim < min_ndim or (max_ndim is not None and arr.ndim > max_ndim):
        want = f"{min_ndim}" if max_ndim == min_ndim else f"at least {min_ndim}"
        raise KdslError(f"{name} must have {want} dimensions, got shape {arr.shape}")
    if 0 in arr.shape:
        raise KdslError(f"{name} is empty (shape {arr.shape}); need at least one environment and candidate")
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum()
    if total == total and total != -math.inf:  # no NaN and no -inf (either would make the sum NaN or -inf)
        return arr
    if np.isnan(arr).any():
        raise KdslError(f"{name} contains NaN")
    if np.isneginf(arr).any():
        raise KdslError(f"{name} contains -inf; costs are bits, use +inf for 'impossible'")
    return arr


def _subset_sums(x: np.ndarray) -> np.ndarray:
    """``out[..., mask] = sum(x[..., e] for e in mask)`` over the last axis."""
    n = x.shape[-1]
    out = np.zeros(x.shape[:-1] + (1 << n,), dtype=x.dtype)
    for e in range(n):
        out[..., 1 << e : 2 << e] = out[..., : 1 << e] + x[..., e : e + 1]
    return out


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


@lru_cache(maxsize=4)
def _selection_tables(n: int) -> tuple:
    """Per popcount p: masks (C,), their nonempty subsets (2**p - 1, C), rests (same shape)."""
    allm = np.arange(1 << n, dtype=np.int64)
    pc = np.bitwise_count(allm)
    out: list = [None]
    for p in range(1, n + 1):
        masks = allm[pc == p]
        bits = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)
        pos = np.argsort(~bits, axis=1, kind="stable")[:, :p]
        t = np.arange(1, 1 << p, dtype=np.int64)
        subs = np.zeros((len(masks), len(t)), dtype=np.int64)
        for q in range(p):
            subs |= ((t[None, :] >> q) & 1) << pos[:, q : q + 1]
        subs = np.ascontiguousarray(subs.T)
        out.append((masks, subs, masks[None, :] ^ subs))
    return tuple(out)


@lru_cache(maxsize=4)
def _partition_tables(n: int) -> tuple:
    """Per popcount p: masks (C,), subsets containing the lowest bit (C, 2**(p-1)), rests."""
    allm = np.arange(1 << n, dtype=np.int64)
    pc = np.bitwise_count(allm)
    out: list = [None]
    for p in range(1, n + 1):
        masks = allm[pc == p]
        bits = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)
        pos = np.argsort(~bits, axis=1, kind="stable")[:, :p]
        t = np.arange(1 << (p - 1), dtype=np.int64)
        subs = np.ones((len(masks), len(t)), dtype=np.int64) << pos[:, :1]
        for q in range(1, p):
            subs |= ((t[None, :] >> (q - 1)) & 1) << pos[:, q : q + 1]
        out.append((masks, subs, masks[:, None] ^ subs))
    return tuple(out)


# ----------------------------------------------------------------------------- selection: subset DP


def _subset_dp_size(n: int, m: int) -> tuple[float, float]:
    """(operations, largest working array) of the subset DP.

    The operation count is weighted (x3) to be comparable with
    :func:`_used_set_size`: the subset DP gathers, the used-set DP streams.
    """
    kmax = min(n, m)
    return 3.0 * m * kmax * 3.0**n, 3.0**n * kmax


def _subset_selection_dp(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched exactly-k selection. ``cost`` (B, N, M) -> bits (B, k+1), assignment (B, k+1, N).

    Every DP state also carries the integer key of its lexicographically
    smallest optimal assignment (digit ``a[e] + 1`` per environment in the
    state's mask, 0 elsewhere), so ties are broken while the DP runs and no
    back-pointers are needed: the final key *is* the answer.
    """
    nb, n, m = cost.shape
    kmax = min(n, m)
    nmask = 1 << n
    full = nmask - 1
    base = m + 1
    weights = _key_weights(n, base)
    wsub = [_subset_sums(w) for w in weights]
    block = _subset_sums(np.ascontiguousarray(cost.transpose(2, 0, 1)))  # (M, B, 2**n)
    block = np.ascontiguousarray(block.transpose(0, 2, 1))  # (M, 2**n, B)
    tables = _selection_tables(n)
    # state layout (mask, B, j); the alternatives axis comes first in `vals`
    h = np.full((nmask, nb, kmax + 1), np.inf)
    h[0, :, 0] = 0.0
    keys = [np.zeros((nmask, nb, kmax + 1), dtype=np.int64) for _ in weights]
    bi = np.arange(nb)[None, :, None]
    for c in range(m - 1, -1, -1):
        jcap = min(kmax, m - c)
        hn = h.copy()
        kn = [k.copy() for k in keys]
        bc = block[c]
        for p in range(1, n + 1):
            jm = min(jcap, p)
            masks, subs, rests = tables[p]
            # vals[sub_i, mask_i, b, j-1]: candidate c owns `sub`, the rest uses j-1 others
            vals = h[:, :, :jm][rests] + bc[subs][..., None]

            def alt_keys(rests=rests, subs=subs, jm=jm, c=c, keys=keys) -> list[np.ndarray]:
                return [
                    k[:, :, :jm][rests] + (c + 1) * ws[subs][..., None, None] for k, ws in zip(keys, wsub)
                ]

            best, i = _lex_min_first_axis(vals, alt_keys)  # (C, B, jm)
            sub = subs[i, np.arange(len(masks))[:, None, None]]
            rest = masks[:, None, None] ^ sub
            ji = np.arange(jm)[None, None, :]
            best_keys = [k[rest, bi, ji] + (c + 1) * ws[sub] for k, ws in zip(keys, wsub)]
            old = h[masks, :, 1 : jm + 1]
            old_keys = [k[masks, :, 1 : jm + 1] for k in keys]
            take = (best < old) | ((best == old) & _lex_less(best_keys, old_keys))
            hn[masks, :, 1 : jm + 1] = np.where(take, best, old)
            for kk, bk, ok in zip(kn, best_keys, old_keys):
                kk[masks, :, 1 : jm + 1] = np.where(take, bk, ok)
        h, keys = hn, kn
    bits = h[full]
    assignment = _decode_keys([k[full] for k in keys], weights, base) - 1
    assignment[~np.isfinite(bits)] = -1
    return bits, assignment


# ----------------------------------------------------------------------------- used-set DP (any slots)


def _used_set_size(n: int, ms: Sequence[int]) -> tuple[float, float]:
    s = len(ms)
    nstate = 2.0 ** sum(ms)
    return n * float(np.prod(ms)) * nstate / 2.0**s * (2.0**s + 2), (n + 1) * nstate


def _used_set_dp(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact DP over environments with state = used candidates per slot.

    ``cost`` has shape (N, M_1, ..., M_S). Returns bits of shape
    ``(kmax_1 + 1, ..., kmax_S + 1)`` and assignments ``bits.shape + (S, N)``.
    """
    n = cost.shape[0]
    ms = cost.shape[1:]
    s = len(ms)
    offs = [int(x) for x in np.concatenate(([0], np.cumsum(ms)[:-1]))]
    nbits = int(sum(ms))
    nstate = 1 << nbits
    flat = cost.reshape(n, -1)
    tuples = np.array(list(itertools.product(*(range(mi) for mi in ms))), dtype=np.int64).reshape(-1, s)
    removals = [r for size in range(1, s + 1) for r in itertools.combinations(range(s), size)]
    # g[e, P]: cheapest assignment of environments e..N-1 whose used set is exactly P
    g = np.full((n + 1, nstate), np.inf)
    g[n, 0] = 0.0
    cube = (2,) * nbits  # axis a <-> bit nbits - 1 - a
    for e in range(n - 1, -1, -1):
        gv = g[e + 1].reshape(cube)
        ge = g[e].reshape(cube)
        for ti, t in enumerate(tuples):
            cst = flat[e, ti]
            if not np.isfinite(cst):
                continue
            axes = [nbits - 1 - (offs[i] + int(t[i])) for i in range(s)]
            idx = [slice(None)] * nbits
            for a in axes:
                idx[a] = 1
            best = gv[(*idx, Ellipsis)].copy()  # Ellipsis keeps 0-d results arrays
            for r in removals:
                ridx = list(idx)
                for i in r:
                    ridx[axes[i]] = 0
                np.minimum(best, gv[(*ridx, Ellipsis)], out=best)
            best += cst
            target = ge[(*idx, Ellipsis)]
            np.minimum(target, best, out=target)

    kmaxs = [min(n, mi) for mi in ms]
    shape = tuple(k + 1 for k in kmaxs)
    states = np.arange(nstate, dtype=np.int64)
    counts = np.stack([np.bitwise_count((states >> o) & ((1 << mi) - 1)) for o, mi in zip(offs, ms)])
    ok = np.isfinite(g[0]) & np.all(counts <= np.array(kmaxs)[:, None], axis=0)
    group = np.full(nstate, -1, dtype=np.int64)
    group[ok] = np.ravel_multi_index(tuple(counts[:, ok].astype(np.int64)), shape)
    bits = np.full(int(np.prod(shape)), np.inf)
    np.minimum.at(bits, group[ok], g[0][ok])

    tuple_bits = np.zeros(len(tuples), dtype=np.int64)
    for i in range(s):
        tuple_bits |= np.left_shift(1, offs[i] + tuples[:, i])
    rem = np.zeros((len(tuples), 1 << s), dtype=np.int64)
    for r in range(1 << s):
        for i in range(s):
            if r >> i & 1:
                rem[:, r] ^= np.left_shift(1, offs[i] + tuples[:, i])
    assignment = np.full((len(bits), s, n), -1, dtype=np.int64)
    for fk in np.flatnonzero(np.isfinite(bits)):
        live = states[(group == fk) & (g[0] == bits[fk])]
        for e in range(n):
            contains = (live[:, None] & tuple_bits[None, :]) == tuple_bits[None, :]
            nxt = live[:, None, None] ^ rem[None, :, :]
            attained = flat[e][None, :, None] + g[e + 1][nxt] == g[e][live][:, None, None]
            valid = contains[:, :, None] & attained
            t = int(valid.any(axis=(0, 2)).argmax())
            assignment[fk, :, e] = tuples[t]
            live = np.unique(nxt[:, t, :][valid[:, t, :]])
    return bits.reshape(shape), assignment.reshape(shape + (s, n))


# ----------------------------------------------------------------------------- branch and bound


def _combinations(m: int, k: int) -> np.ndarray:
    """All k-subsets of range(m) as rows, in lexicographic order (vectorised)."""
    combos = np.arange(m - k + 1, dtype=np.int64)[:, None]
    for i in range(1, k):
        last = combos[:, -1]
        counts = (m - k + i) - last
        start = np.repeat(last + 1, counts)
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        combos = np.column_stack([np.repeat(combos, counts, axis=0), start + within])
    return combos


def _surjective_assignment(cost: np.ndarray, cand: np.ndarray) -> np.ndarray | None:
    """Cheapest assignment onto exactly the candidates ``cand`` (all used), or None."""
    sub = cost[:, cand]
    low = sub.min(axis=1)
    if not np.isfinite(low).all():
        return None
    extra = (sub - low[:, None]).T  # (k, N) >= 0
    fin = np.isfinite(extra)
    big = (float(extra[fin].max()) + 1.0) * (len(cand) + 1)
    rows, cols = optimize.linear_sum_assignment(np.where(fin, extra, big))
    if not fin[rows, cols].all():
        return None
    assign = cand[sub.argmin(axis=1)]
    assign[cols] = cand[rows]
    return assign


def _bnb_selection(cost: np.ndarray, max_sets: int) -> tuple[np.ndarray, np.ndarray]:
    n, m = cost.shape
    kmax = min(n, m)
    env = np.arange(n)
    by_cand = np.ascontiguousarray(cost.T)
    bits = np.full(kmax + 1, np.inf)
    assignment = np.full((kmax + 1, n), -1, dtype=np.int64)
    for k in range(1, kmax + 1):
        combos = _combinations(m, k)
        lower = np.empty(len(combos))
        covers = np.empty(len(combos), dtype=bool)
        step = max(1, _CHUNK_ELEMENTS // n)
        for start in range(0, len(combos), step):
            sets = combos[start : start + step]
            low = by_cand[sets[:, 0]]  # (b, N): running minimum over the set's candidates
            arg = np.zeros(low.shape, dtype=np.int64)
            for q in range(1, k):
                col = by_cand[sets[:, q]]
                better = col < low
                low = np.where(better, col, low)
                arg[better] = q
            lower[start : start + len(sets)] = low.sum(axis=1)
            used = np.bitwise_or.reduce(np.left_shift(1, arg), axis=1)
            covers[start : start + len(sets)] = used == (1 << k) - 1
        finite = np.isfinite(lower)
        best, best_assign = np.inf, None
        easy = np.flatnonzero(finite & covers)
        if len(easy):
            i = easy[np.argmin(lower[easy])]
            best = lower[i]
            best_assign = combos[i][cost[:, combos[i]].argmin(axis=1)]
        hard = np.flatnonzero(finite & ~covers & (lower < best))
        hard = hard[np.argsort(lower[hard], kind="stable")]
        for i in hard:
            if lower[i] >= best:
                break
            cand = _surjective_assignment(cost, combos[i])
            if cand is None:
                continue
            value = cost[env, cand].sum()
            if value < best:
                best, best_assign = value, cand
        if best_assign is not None:
            bits[k] = cost[env, best_assign].sum()
            assignment[k] = best_assign
    return bits, assignment


# ----------------------------------------------------------------------------- public: selection


def best_selection_by_k(
    cost: np.ndarray,
    *,
    method: str = "auto",
    budget: float = 5e8,
    max_sets: int = 2_000_000,
) -> SelectionProfile:
    """Cheapest assignment of environments to candidates using exactly k candidates, every k.

    Parameters
    ----------
    cost:
        Shape ``(N, M)``: ``cost[e, c]`` is the data bits of environment e
        under candidate c; ``+inf`` marks an impossible pairing.
    method:
        ``"auto"``, ``"subset-dp"``, ``"used-set-dp"`` or ``"branch-and-bound"``.
        ``"auto"`` takes the cheaper DP by a calibrated operation estimate
        (the subset DP for the paper's N = 10, M = 18; the used-set DP once
        3**N outgrows 2**M) and falls back to branch and bound.
    budget:
        Largest estimated number of array operations for the DP methods.
    max_sets:
        Largest number of candidate sets ``sum_k C(M, k)`` branch and bound
        may bound.

    Returns
    -------
    SelectionProfile
        ``bits[k]`` and ``assignment[k]`` for k = 0..min(N, M); exact.

    Raises
    ------
    BudgetError
        When no exact method fits the budget; the message gives the sizes.

    Notes
    -----
    Ties go to the lexicographically smallest assignment vector (see the
    module docstring); ``branch-and-bound`` only guarantees determinism.

    Examples
    --------
    >>> cost = np.array([[1.0, 5.0, 9.0],
    ...                  [2.0, 4.0, 9.0],
    ...                  [8.0, 7.0, 1.0]])
    >>> prof = best_selection_by_k(cost)
    >>> prof.bits.tolist()
    [inf, 11.0, 4.0, 6.0]
    >>> prof.assignment.tolist()
    [[-1, -1, -1], [0, 0, 0], [0, 0, 2], [0, 1, 2]]
    >>> prof.exact
    True
    """
    arr = _as_costs(cost, "cost", 2, 2)
    n, m = arr.shape
    methods = ("auto", "subset-dp", "used-set-dp", "branch-and-bound")
    if method not in methods:
        raise KdslError(f"unknown selection method {method!r}; choose one of {', '.join(methods)}")
    sub_ops, sub_mem = _subset_dp_size(n, m) if n <= 30 else (math.inf, math.inf)
    used_ops, used_mem = _used_set_size(n, [m]) if m <= 60 else (math.inf, math.inf)
    sub_ok = sub_ops <= budget and sub_mem <= _MAX_STATE_FLOATS
    used_ok = used_ops <= budget and used_mem <= _MAX_STATE_FLOATS
    n_sets = sum(math.comb(m, k) for k in range(1, min(n, m) + 1))
    sets_ok = n_sets <= max_sets
    if method == "auto":
        if sub_ok and (not used_ok or sub_ops <= used_ops):
            method = "subset-dp"
        elif used_ok:
            method = "used-set-dp"
        elif sets_ok:
            method = "branch-and-bound"
        else:
            raise BudgetError(
                f"exact selection for N={n} environments and M={m} candidates is too large: "
                f"subset DP ~{sub_ops:.3g} operations (M*k*3^N), used-set DP ~{used_ops:.3g} "
                f"(N*M*2^M), branch and bound {n_sets:.3g} candidate sets (sum_k C(M,k)); "
                f"budget {budget:.3g} operations, {max_sets} sets"
            )
    elif method == "subset-dp" and not sub_ok:
        raise BudgetError(f"subset DP for N={n}, M={m} needs ~{sub_ops:.3g} operations (budget {budget:.3g})")
    elif method == "used-set-dp" and not used_ok:
        raise BudgetError(
            f"used-set DP for N={n}, M={m} needs ~{used_ops:.3g} operations (budget {budget:.3g})"
        )
    elif method == "branch-and-bound" and not sets_ok:
        raise BudgetError(
            f"branch and bound for M={m} would bound {n_sets:.3g} candidate sets (max {max_sets})"
        )

    if method == "subset-dp":
        bits, assign = _subset_selection_dp(arr[None])
        bits, assign = bits[0], assign[0]
    elif method == "used-set-dp":
        bits, assign = _used_set_dp(arr)
        assign = assign[:, 0, :]
    else:
        bits, assign = _bnb_selection(arr, max_sets)
    return SelectionProfile(bits=bits, assignment=assign, method=method, exact=True)


def _monge_in_order(a: np.ndarray, tol: float, max_pairs: float = 2e7) -> bool:
    """Whether ``a[e, c] + a[e', c'] <= a[e, c'] + a[e', c]`` for all e < e', c < c'."""
    n, m = a.shape
    if n < 2 or m < 2:
        return True
    if np.isfinite(a).all():
        d = a[:-1, :-1] + a[1:, 1:] - a[:-1, 1:] - a[1:, :-1]
        return bool((d <= tol).all())
    if (n * m) ** 2 > max_pairs:
        return False
    for e in range(n - 1):  # one row at a time keeps memory at n*m*m
        lhs = a[e][None, :, None] + a[e + 1 :][:, None, :]  # [e', c, c'] = a[e,c] + a[e',c']
        rhs = a[e][None, None, :] + a[e + 1 :][:, :, None]  # a[e,c'] + a[e',c]
        upper = np.triu(np.ones((m, m), dtype=bool), 1)[None]
        bad = upper & np.isfinite(rhs) & ~(lhs <= rhs + tol)
        if bad.any():
            return False
    return True


def best_selection_sorted(
    cost: np.ndarray, order: Sequence[int] | None = None, *, tol: float = 1e-9
) -> SelectionProfile:
    """Exactly-k selection by a DP over environments sorted by one statistic.

    Environments are visited in ``order``; the DP only considers *monotone*
    assignments (later environments take candidates with equal or larger
    index), which it optimises exactly in O(N * M * k). The result is the
    global optimum whenever the cost matrix, rows in ``order`` and candidates
    in index order, is Monge: ``cost[e,c] + cost[e',c'] <= cost[e,c'] +
    cost[e',c]`` for e before e' and c < c' (single crossing: swapping an
    out-of-order pair never costs more and keeps the set of used candidates).
    This holds for one-parameter exponential families with candidates sorted
    by the parameter and environments sorted by the sufficient statistic. The
    condition is checked (up to ``tol`` times the largest finite cost) and
    reported as ``exact``; when it fails the result is a feasible upper
    bound, and with violations up to the tolerance it can exceed the optimum
    by at most about ``N**2 * tol * scale``.

    Parameters
    ----------
    cost:
        Shape ``(N, M)``, candidates sorted by their parameter.
    order:
        Permutation of the environments (e.g. ``np.argsort(statistic)``);
        identity when omitted.
    tol:
        Relative tolerance of the Monge check.

    Raises
    ------
    BudgetError
        When the ``N * M * k`` back-pointers would exceed 1e8.

    Examples
    --------
    >>> theta = np.array([0.2, 0.5, 0.8])
    >>> heads = np.array([9, 1, 6])          # successes out of 10 per environment
    >>> cost = -(heads[:, None] * np.log2(theta) + (10 - heads[:, None]) * np.log2(1 - theta))
    >>> prof = best_selection_sorted(cost, np.argsort(heads))
    >>> prof.exact, prof.assignment[2].tolist()
    (True, [2, 0, 2])
    >>> bool(np.allclose(prof.bits, best_selection_by_k(cost).bits))
    True
    """
    arr = _as_costs(cost, "cost", 2, 2)
    n, m = arr.shape
    if order is None:
        perm = np.arange(n)
    else:
        perm = np.asarray(order)
        if perm.shape != (n,) or not np.array_equal(np.sort(perm), np.arange(n)):
            raise KdslError(f"order must be a permutation of the {n} environments")
    a = arr[perm]
    kmax = min(n, m)
    if float(n) * m * (kmax + 1) > 1e8:
        raise BudgetError(
            f"sorted DP for N={n}, M={m} would store {float(n) * m * (kmax + 1):.3g} back-pointers"
        )
    finite = a[np.isfinite(a)]
    scale = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
    exact = _monge_in_order(a, tol * scale)

    f = np.full((m, kmax + 1), np.inf)
    f[:, 1] = a[0]
    back = np.full((n, m, kmax + 1), -1, dtype=np.int32)
    rows = np.arange(m)[:, None]
    inf_row = np.full((1, kmax + 1), np.inf)
    for i in range(1, n):
        prefix = np.minimum.accumulate(f, axis=0)
        before = np.vstack([inf_row, prefix[:-1]])  # min over c' < c
        improved = f < before
        first = np.maximum.accumulate(np.where(improved, rows, 0), axis=0)
        arg_before = np.vstack([np.zeros((1, kmax + 1), dtype=np.int64), first[:-1]])
        come = before[:, :-1]
        stay = f[:, 1:]
        switch = come <= stay
        new = np.full_like(f, np.inf)
        new[:, 1:] = a[i][:, None] + np.minimum(stay, come)
        back[i, :, 1:] = np.where(switch, arg_before[:, :-1], -1)
        f = new
    bits = np.full(kmax + 1, np.inf)
    assignment = np.full((kmax + 1, n), -1, dtype=np.int64)
    for k in range(1, kmax + 1):
        c = int(np.argmin(f[:, k]))
        if not np.isfinite(f[c, k]):
            continue
        bits[k] = f[c, k]
        j = k
        for i in range(n - 1, 0, -1):
            assignment[k, perm[i]] = c
            b = int(back[i, c, j])
            if b >= 0:
                c, j = b, j - 1
        assignment[k, perm[0]] = c
    return SelectionProfile(bits=bits, assignment=assignment, method="sorted-dp", exact=exact)


# ----------------------------------------------------------------------------- public: coupled slots


def _distinct_per_row(x: np.ndarray) -> np.ndarray:
    srt = np.sort(x, axis=-1)
    return 1 + (np.diff(srt, axis=-1) != 0).sum(axis=-1)


def _enumerated_coupled(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Enumerate all-but-last slots, solve the last slot by the batched subset DP."""
    n = cost.shape[0]
    ms = cost.shape[1:]
    s = len(ms)
    n_prefix = int(np.prod(ms[:-1]))
    m_last = ms[-1]
    c3 = cost.reshape(n, n_prefix, m_last)
    kmaxs = [min(n, mi) for mi in ms]
    shape = tuple(k + 1 for k in kmaxs)
    total = n_prefix**n
    best_val = np.full(int(np.prod(shape)), np.inf)
    best_asg = np.full((len(best_val), s, n), -1, dtype=np.int64)
    _, per_item = _subset_dp_size(n, m_last)
    chunk = max(1, int(_CHUNK_ELEMENTS // per_item))
    powers = n_prefix ** np.arange(n - 1, -1, -1, dtype=np.int64)
    env = np.arange(n)[None, :]
    for start in range(0, total, chunk):
        idx = np.arange(start, min(total, start + chunk), dtype=np.int64)
        r = (idx[:, None] // powers[None, :]) % n_prefix  # env 0 most significant: lexicographic order
        vals, last = _subset_selection_dp(c3[env, r])
        if s > 1:
            prefix = np.stack(np.unravel_index(r, ms[:-1]), axis=1)  # (B, s-1, N)
        else:
            prefix = np.zeros((len(r), 0, n), dtype=np.int64)
        counts = _distinct_per_row(prefix)  # (B, s-1)
        bb, kk = np.nonzero(np.isfinite(vals))
        if not len(bb):
            continue
        kvec = np.column_stack([counts[bb], kk])
        groups = np.ravel_multi_index(tuple(kvec.T), shape)
        asg = np.concatenate([prefix[bb], last[bb, kk][:, None, :]], axis=1)
        keep = np.isfinite(best_val)
        groups = np.concatenate([np.flatnonzero(keep), groups])
        values = np.concatenate([best_val[keep], vals[bb, kk]])
        asg = np.concatenate([best_asg[keep], asg])
        inter = asg.transpose(0, 2, 1).reshape(len(asg), n * s)  # (a1[0], a2[0], a1[1], ...)
        order = np.lexsort(tuple(inter.T[::-1]) + (values, groups))
        g_sorted = groups[order]
        first = order[np.r_[True, g_sorted[1:] != g_sorted[:-1]]]
        best_val[groups[first]] = values[first]
        best_asg[groups[first]] = asg[first]
    return best_val.reshape(shape), best_asg.reshape(shape + (s, n))


def best_coupled_selection(
    cost: np.ndarray,
    *,
    method: str = "auto",
    budget: float = 5e8,
    max_assignments: int = 2_000_000,
) -> CoupledProfile:
    """Exact joint selection for coupled parameter slots, every per-slot count.

    Each environment picks one value per slot (e.g. one ``(a, v)`` pair for
    ``normal(a*X, sqrt(v))``); ``k_i`` counts the distinct values slot i uses.

    Parameters
    ----------
    cost:
        Shape ``(N, M_1, ..., M_S)``, S >= 1: ``cost[e, c_1, ..., c_S]`` is the
        data bits of environment e with that combination; ``+inf`` allowed.
    method:
        ``"auto"``, ``"used-set-dp"`` (state: the used values of every slot;
        any N, small codebooks) or ``"enumerate-dp"`` (all
        ``prod(M_1..M_{S-1}) ** N`` assignments of the first slots, the last by
        the subset DP; few environments).
    budget:
        Largest estimated number of array operations.
    max_assignments:
        Largest number of enumerated assignments for ``"enumerate-dp"``.

    Returns
    -------
    CoupledProfile
        ``bits[k_1, ..., k_S]`` and ``assignment[k_1, ..., k_S]`` (shape
        ``(S, N)``); both methods are exact and break ties identically
        (lexicographically smallest sequence of per-environment tuples).

    Raises
    ------
    BudgetError
        When neither method fits; the message gives the sizes.

    Examples
    --------
    >>> cost = np.zeros((2, 2, 2))
    >>> cost[0, 1, :] = 1.0     # environment 0 prefers a = 0
    >>> cost[1, 0, :] = 1.0     # environment 1 prefers a = 1
    >>> cost[:, :, 1] += 0.5    # everybody prefers v = 0
    >>> prof = best_coupled_selection(cost)
    >>> prof.bits.tolist()
    [[inf, inf, inf], [inf, 1.0, 1.5], [inf, 0.0, 0.5]]
    >>> prof.assignment[2, 1].tolist()   # k_a = 2, k_v = 1: rows are slots a and v
    [[0, 1], [0, 0]]
    """
    arr = _as_costs(cost, "cost", 2)
    n = arr.shape[0]
    ms = [int(x) for x in arr.shape[1:]]
    methods = ("auto", "used-set-dp", "enumerate-dp")
    if method not in methods:
        raise KdslError(f"unknown coupled method {method!r}; choose one of {', '.join(methods)}")
    if sum(ms) <= 60:
        used_ops, used_mem = _used_set_size(n, ms)
    else:
        used_ops = used_mem = math.inf
    used_ok = used_ops <= budget and used_mem <= _MAX_STATE_FLOATS
    n_prefix = float(np.prod(ms[:-1]))
    n_assign = n_prefix**n
    inner_ops, inner_mem = _subset_dp_size(n, ms[-1]) if n <= 30 else (math.inf, math.inf)
    enum_ops = n_assign * inner_ops
    enum_ok = n_assign <= max_assignments and enum_ops <= budget and inner_mem <= _MAX_STATE_FLOATS
    if method == "auto":
        if used_ok and (not enum_ok or used_ops <= enum_ops):
            method = "used-set-dp"
        elif enum_ok:
            method = "enumerate-dp"
        else:
            raise BudgetError(
                f"exact coupled selection for N={n} environments and slot sizes {ms} is too large: "
                f"used-set DP ~{used_ops:.3g} operations (N*prod(M)*2^sum(M)); enumeration "
                f"{n_assign:.3g} assignments (prod(M[:-1])^N, max {max_assignments}) of ~{inner_ops:.3g} "
                f"operations each; budget {budget:.3g} operations"
            )
    elif method == "used-set-dp" and not used_ok:
        raise BudgetError(
            f"used-set DP for N={n}, slot sizes {ms} needs ~{used_ops:.3g} operations and "
            f"{used_mem:.3g} stored values (budget {budget:.3g}, {_MAX_STATE_FLOATS})"
        )
    elif method == "enumerate-dp" and not enum_ok:
        raise BudgetError(
            f"enumeration for N={n}, slot sizes {ms} covers {n_assign:.3g} assignments "
            f"(max {max_assignments}), ~{enum_ops:.3g} operations (budget {budget:.3g})"
        )
    if method == "used-set-dp":
        bits, assign = _used_set_dp(arr)
    else:
        bits, assign = _enumerated_coupled(arr)
    return CoupledProfile(bits=bits, assignment=assign, method=method, exact=True)


# ----------------------------------------------------------------------------- public: partitions


def _labels_to_blocks(labels: np.ndarray, k: int) -> list[list[int]]:
    return [np.flatnonzero(labels == b).tolist() for b in range(k)]


#: Up to this many environments, partitions are enumerated outright (Bell(8) = 4140).
PARTITION_ENUMERATE_MAX = 8


@functools.cache
def _all_partitions(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every set partition of n items, in lexicographic order of restricted growth strings.

    Returns ``(labels, block_masks, k)``: labels ``(P, n)``, the bitmask of each
    block ``(P, n)`` (0 where a partition has fewer blocks), blocks per partition.
    """
    strings: list[list[int]] = [[0]]
    for _ in range(n - 1):
        strings = [s + [b] for s in strings for b in range(max(s) + 2)]
    labels = np.array(strings, dtype=np.int64)
    masks = np.zeros((len(strings), n), dtype=np.int64)
    for j in range(n):
        np.add.at(masks, (np.arange(len(strings)), labels[:, j]), 1 << j)
    return labels, masks, labels.max(axis=1) + 1


@functools.cache
def _partition_plan(n: int) -> tuple:
    """Every set partition of n items grouped by their number of blocks k, for :func:`_enumerated_partitions`.

    Returns ``(index, spans, labels, blocks)``: ``index`` ``(P, n)`` into the
    block costs with one zero-cost pad ``2**n`` where a partition has fewer
    blocks, rows ordered by k and, within one k, by restricted growth string
    (a stable sort of :func:`_all_partitions`); ``spans[k] = (start, stop)``
    of k's rows (``None`` when there are none); ``labels`` ``(P + 1, n)`` in
    the same row order plus a last row of -1; ``blocks``, each partition's
    blocks as tuples, in the same row order.
    """
    labels, masks, counts = _all_partitions(n)
    order = np.argsort(counts, kind="stable")
    index = np.where(masks > 0, masks, 1 << n)[order]
    sorted_labels = _frozen(np.vstack([labels[order], np.full((1, n), -1, dtype=np.int64)]))
    index = _frozen(index)
    ks = counts[order]
    spans: list = [None] * (n + 1)
    for k in range(1, n + 1):
        rows = np.flatnonzero(ks == k)
        if rows.size:
            spans[k] = (int(rows[0]), int(rows[-1]) + 1)
    blocks = tuple(
        tuple(tuple(int(e) for e in np.flatnonzero(row == b)) for b in range(int(k)))
        for row, k in zip(sorted_labels[:-1], ks)
    )
    return index, tuple(spans), sorted_labels, blocks


#: Up to this many set partitions the per-k minimum is taken in Python rather than numpy.
_PYTHON_ARGMIN_MAX = 64


def _enumerated_partitions(arr: np.ndarray, n: int) -> PartitionProfile:
    index, spans, labels, blocks = _partition_plan(n)
    padded = np.append(arr, 0.0)  # mask 0 (an absent block) costs nothing
    totals = padded[index].sum(axis=1)  # row by row the same (P, n) reduction as in lexicographic order
    values = totals.tolist() if len(totals) <= _PYTHON_ARGMIN_MAX else None
    if values is None or not all(v == v for v in values):  # Python's min and numpy's argmin differ on NaN
        values = None
    bits = [math.inf] * (n + 1)
    partitions: list = [None] * (n + 1)
    rows = [len(index)] * (n + 1)  # the last row of `labels` is all -1
    for k in range(1, n + 1):
        span = spans[k]
        if span is None:
            continue
        start, stop = span
        # the first minimum within k's rows: the smallest growth string
        if values is not None:
            best = min(range(start, stop), key=values.__getitem__)
            value = values[best]
        else:
            best = start + int(np.argmin(totals[start:stop]))
            value = float(totals[best])
        if math.isfinite(value):
            bits[k] = value
            partitions[k] = [list(b) for b in blocks[best]]
            rows[k] = best
    return PartitionProfile(bits=np.array(bits), partitions=tuple(partitions), labels=labels.take(rows, axis=0),
                            method="enumerated-partitions", exact=True)


def least_partition_bits(block_cost: np.ndarray) -> np.ndarray:
    """``best_partition_by_k(block_cost).bits`` without the partitions: the least cost for every k.

    For N up to :data:`PARTITION_ENUMERATE_MAX` one vectorised pass over the
    enumerated partitions (each partition's blocks added in the same order
    as there); beyond, the partition DP. A search needs only these numbers
    for the thousands of parent sets it ranks.

    Examples
    --------
    >>> sizes = np.array([bin(m).count("1") for m in range(8)])
    >>> cost = 10.0 + 3.0 * sizes
    >>> cost[[5, 6, 7]] += 8.0
    >>> least_partition_bits(cost).tolist()
    [inf, 27.0, 29.0, 39.0]
    """
    arr = np.asarray(block_cost, dtype=float)
    n = int(round(math.log2(len(arr)))) if len(arr) > 1 else 0
    if n < 1 or n > PARTITION_ENUMERATE_MAX or len(arr) != 1 << n or not np.isfinite(arr[1:]).any() \
            or np.isnan(arr).any() or np.isneginf(arr).any():
        return best_partition_by_k(block_cost).bits
    index, spans, _, _ = _partition_plan(n)
    totals = np.append(arr, 0.0)[index].sum(axis=1)
    bits = np.full(n + 1, np.inf)
    for k in range(1, n + 1):
        if spans[k] is not None:
            bits[k] = totals[spans[k][0]: spans[k][1]].min()
    return bits


def best_partition_by_k(block_cost: np.ndarray, *, budget: float = 5e7, method: str = "auto") -> PartitionProfile:
    """Cheapest partition of the environments into exactly k shared tables, every k.

    Parameters
    ----------
    block_cost:
        Length ``2**N``: ``block_cost[mask]`` is the cost of one table shared by
        the environments whose bits are set in ``mask`` (environment e is bit
        ``1 << e``); entry 0 is ignored. ``+inf`` forbids a block.
    budget:
        Largest estimated number of operations (about ``N * 3**N / 2``); the
        default admits N up to 14.
    method:
        ``enumerate`` (every set partition, vectorised; N <= 8), ``dp`` (the
        subset DP), or ``auto`` (enumeration up to
        :data:`PARTITION_ENUMERATE_MAX`, else the DP). Both are exact and
        break ties the same way.

    Returns
    -------
    PartitionProfile
        Exact ``bits[k]`` and partitions for k = 1..N. Ties go to the
        partition with the lexicographically smallest restricted growth string.

    Raises
    ------
    BudgetError
        For too many environments; use :func:`greedy_partition_by_k`.

    Examples
    --------
    >>> # environments 0 and 1 agree; 2 is different: pooling costs extra
    >>> sizes = np.array([bin(m).count("1") for m in range(8)])
    >>> cost = 10.0 + 3.0 * sizes
    >>> cost[[5, 6, 7]] += 8.0         # any block holding 2 with 0 or 1
    >>> prof = best_partition_by_k(cost)
    >>> prof.bits.tolist()
    [inf, 27.0, 29.0, 39.0]
    >>> prof.partitions[2]
    [[0, 1], [2]]
    """
    arr = _as_costs(block_cost, "block_cost", 1, 1)
    n = int(round(math.log2(len(arr)))) if len(arr) > 1 else 0
    if n < 1 or len(arr) != 1 << n:
        raise KdslError(f"block_cost must have length 2**N for N >= 1 environments, got {len(arr)}")
    if method not in ("auto", "dp", "enumerate"):
        raise ValueError(f"unknown method {method!r}")
    if method == "enumerate" or (method == "auto" and n <= PARTITION_ENUMERATE_MAX):
        if n > PARTITION_ENUMERATE_MAX:
            raise BudgetError(f"enumerating the set partitions of N={n} environments is too many; use method='dp'")
        return _enumerated_partitions(arr, n)
    ops = n * 3.0**n / 2
    if ops > budget:
        raise BudgetError(
            f"exact partition DP over N={n} environments needs ~{ops:.3g} operations (N*3^N/2), "
            f"budget {budget:.3g}; use greedy_partition_by_k (a heuristic)"
        )
    full = (1 << n) - 1
    base = n + 1
    weights = _key_weights(n, base)
    wmask = [_subset_sums(w) for w in weights]
    tables = _partition_tables(n)
    f_prev = np.full(1 << n, np.inf)
    f_prev[0] = 0.0
    k_prev = [np.zeros(1 << n, dtype=np.int64) for _ in weights]
    bits = np.full(n + 1, np.inf)
    labels = np.full((n + 1, n), -1, dtype=np.int64)
    partitions: list = [None] * (n + 1)
    for j in range(1, n + 1):
        f = np.full(1 << n, np.inf)
        keys = [np.zeros(1 << n, dtype=np.int64) for _ in weights]
        for p in range(j, n + 1):
            masks, subs, rests = tables[p]
            vals = arr[subs] + f_prev[rests]
            # the new block takes label 0 and the rest shifts by one, so alternatives
            # compare exactly as the keys of their continuations do
            i = _lex_argmin(vals, lambda rests=rests, k_prev=k_prev: [k[rests] for k in k_prev], axis=1)
            ci = np.arange(len(masks))
            rest = rests[ci, i]
            f[masks] = vals[ci, i]
            for key, kp, wm in zip(keys, k_prev, wmask):
                key[masks] = kp[rest] + wm[masks]
        if np.isfinite(f[full]):
            bits[j] = f[full]
            labels[j] = _decode_keys([k[full] for k in keys], weights, base) - 1
            partitions[j] = _labels_to_blocks(labels[j], j)
        f_prev, k_prev = f, keys
    return PartitionProfile(
        bits=bits, partitions=tuple(partitions), labels=labels, method="subset-partition-dp", exact=True
    )


def greedy_partition_by_k(
    block_cost: Callable[[list[int]], float] | np.ndarray,
    n_envs: int | None = None,
) -> PartitionProfile:
    """Agglomerative partitions for every k -- a heuristic, not exact.

    Starts from singletons (k = N) and repeatedly merges the two blocks whose
    union raises the total cost least, recording the partition at every k.
    The results for k = N and k = 1 are exact (only one partition each); in
    between they are upper bounds on :func:`best_partition_by_k`. It needs
    ``O(N**2)`` evaluations of ``block_cost``.

    Parameters
    ----------
    block_cost:
        A callable taking a sorted list of environment indices and returning
        the cost of one table shared by them, or an array indexed by bitmask
        as in :func:`best_partition_by_k`.
    n_envs:
        Number of environments; required with a callable.

    Notes
    -----
    Ties go to the pair of blocks that comes first when blocks are ordered by
    their smallest member. An increase of the form ``inf - inf`` counts as
    ``+inf``.

    Examples
    --------
    >>> def cost(block):
    ...     spread = max(block) - min(block)
    ...     return 10.0 + 2.0 * len(block) + 3.0 * spread**2
    >>> prof = greedy_partition_by_k(cost, n_envs=4)
    >>> prof.partitions[2], prof.exact
    ([[0, 1], [2, 3]], False)
    """
    if callable(block_cost):
        if n_envs is None or int(n_envs) < 1:
            raise KdslError("greedy_partition_by_k needs n_envs >= 1 with a callable block_cost")
        n = int(n_envs)
        fn = block_cost
    else:
        arr = _as_costs(block_cost, "block_cost", 1, 1)
        n = int(round(math.log2(len(arr)))) if len(arr) > 1 else 0
        if n < 1 or len(arr) != 1 << n:
            raise KdslError(f"block_cost must have length 2**N for N >= 1 environments, got {len(arr)}")
        if n_envs is not None and int(n_envs) != n:
            raise KdslError(f"n_envs={n_envs} does not match block_cost of length 2**{n}")

        def fn(block: list[int]) -> float:
            return float(arr[sum(1 << e for e in block)])

    def evaluate(block: list[int]) -> float:
        value = float(fn(block))
        if math.isnan(value) or value == -math.inf:
            raise KdslError(f"block_cost({block}) returned {value}")
        return value

    blocks = [[e] for e in range(n)]
    own = np.array([evaluate(b) for b in blocks])
    merged = np.full((n, n), np.inf)
    for i, j in itertools.combinations(range(n), 2):
        merged[i, j] = evaluate(blocks[i] + blocks[j])
    bits = np.full(n + 1, np.inf)
    labels = np.full((n + 1, n), -1, dtype=np.int64)
    partitions: list = [None] * (n + 1)

    def record() -> None:
        k = len(blocks)
        bits[k] = own.sum()
        if np.isfinite(bits[k]):
            for b, block in enumerate(blocks):
                labels[k, block] = b
            partitions[k] = [list(b) for b in blocks]

    record()
    while len(blocks) > 1:
        nb = len(blocks)
        with np.errstate(invalid="ignore"):
            inc = merged - own[:, None] - own[None, :]
        inc[np.isnan(inc) | ~np.triu(np.ones((nb, nb), dtype=bool), 1)] = np.inf
        flat = int(np.argmin(inc))
        if not np.isfinite(inc.flat[flat]) and inc.flat[flat] > 0:
            flat = 1  # nothing finite: merge the first two blocks (order-preserving)
        i, j = divmod(flat, nb)
        blocks[i] = sorted(blocks[i] + blocks[j])
        own[i] = merged[i, j]
        del blocks[j]
        own = np.delete(own, j)
        merged = np.delete(np.delete(merged, j, axis=0), j, axis=1)
        for x in range(len(blocks)):
            if x != i:
                lo, hi = min(x, i), max(x, i)
                merged[lo, hi] = evaluate(sorted(blocks[lo] + blocks[hi]))
        record()
    return PartitionProfile(
        bits=bits, partitions=tuple(partitions), labels=labels, method="greedy-agglomerative", exact=False
    )

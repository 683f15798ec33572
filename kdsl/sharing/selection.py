"""Sharing of template slots: environments select candidates from codebooks, exactly k distinct per slot.

* :func:`best_selection_by_k` -- one parameter slot with a codebook of M
  candidates; every environment names one candidate and exactly k distinct
  candidates are used (an exactly-k "k-median" problem).
* :func:`best_coupled_selection` -- several coupled slots (``normal(a*X,
  sqrt(v))`` with ``a`` and ``v`` from their own codebooks); k is counted per
  slot.

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

Ties: :mod:`kdsl.sharing.ties`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from kdsl._lazy import lazy_module
from kdsl.errors import BudgetError, KdslError
from kdsl.sharing.profiles import CoupledProfile, SelectionProfile, _as_costs
from kdsl.sharing.subsets import _masks_by_size, _subset_sums
from kdsl.sharing.ties import _decode_keys, _key_weights, _lex_less, _lex_min_first_axis

optimize = lazy_module("scipy.optimize")

__all__ = ["best_selection_by_k", "best_coupled_selection"]


_MAX_STATE_FLOATS = 1 << 24  # memory cap for stored DP tables (128 MiB of float64)
_CHUNK_ELEMENTS = 1 << 21  # working-set size of one vectorised batch


@lru_cache(maxsize=4)
def _selection_tables(n: int) -> tuple:
    """Per popcount p: masks (C,), their nonempty subsets (2**p - 1, C), rests (same shape)."""
    out: list = [None]
    for p, masks, pos in _masks_by_size(n):
        t = np.arange(1, 1 << p, dtype=np.int64)
        subs = np.zeros((len(masks), len(t)), dtype=np.int64)
        for q in range(p):
            subs |= ((t[None, :] >> q) & 1) << pos[:, q : q + 1]
        subs = np.ascontiguousarray(subs.T)
        out.append((masks, subs, masks[None, :] ^ subs))
    return tuple(out)


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


def _bnb_selection(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
        bits, assign = _bnb_selection(arr)
    return SelectionProfile(bits=bits, assignment=assign, method=method, exact=True)


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

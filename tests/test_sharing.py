"""Exactness of kdsl.sharing (selection, partitions) against brute force, tie-breaking, budgets."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kdsl.errors import BudgetError, KdslError
from kdsl.sharing import (
    best_coupled_selection,
    best_partition_by_k,
    best_partitions_by_k,
    best_selection_by_k,
    greedy_partition_by_k,
    least_partition_bits,
)

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SELECTION_METHODS = ["subset-dp", "used-set-dp", "branch-and-bound"]
LEX_METHODS = ["subset-dp", "used-set-dp"]


# ----------------------------------------------------------------------------- brute force


def brute_selection(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every map env -> candidate in lexicographic order; keep the first minimum per k."""
    n, m = cost.shape
    kmax = min(n, m)
    bits = np.full(kmax + 1, np.inf)
    best = np.full((kmax + 1, n), -1)
    for a in itertools.product(range(m), repeat=n):
        total = sum(cost[e, c] for e, c in enumerate(a))
        k = len(set(a))
        if total < bits[k]:
            bits[k] = total
            best[k] = a
    return bits, best


def brute_coupled(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = cost.shape[0]
    sizes = cost.shape[1:]
    shape = tuple(min(n, m) + 1 for m in sizes)
    bits = np.full(shape, np.inf)
    best = np.full(shape + (len(sizes), n), -1)
    choices = list(itertools.product(*(range(m) for m in sizes)))
    for picks in itertools.product(choices, repeat=n):  # lexicographic in (env 0 tuple, env 1 tuple, ...)
        total = sum(cost[(e, *t)] for e, t in enumerate(picks))
        per_slot = np.array(picks).T
        k = tuple(len(set(row)) for row in per_slot)
        if total < bits[k]:
            bits[k] = total
            best[k] = per_slot
    return bits, best


def restricted_growth_strings(n: int):
    """All set partitions of range(n) as label vectors, in lexicographic order."""

    def grow(prefix: list[int], top: int):
        if len(prefix) == n:
            yield list(prefix)
            return
        for label in range(top + 2):
            yield from grow(prefix + [label], max(top, label))

    yield from grow([0], 0)


def brute_partition(block_cost: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    bits = np.full(n + 1, np.inf)
    labels = np.full((n + 1, n), -1)
    for rgs in restricted_growth_strings(n):
        k = max(rgs) + 1
        masks = [sum(1 << e for e in range(n) if rgs[e] == b) for b in range(k)]
        total = sum(block_cost[mask] for mask in masks)
        if total < bits[k]:
            bits[k] = total
            labels[k] = rgs
    return bits, labels


def check_selection_assignment(cost: np.ndarray, bits: np.ndarray, assignment: np.ndarray) -> None:
    n = cost.shape[0]
    for k in range(len(bits)):
        if np.isfinite(bits[k]):
            a = assignment[k]
            assert len(set(a.tolist())) == k
            assert math.isclose(cost[np.arange(n), a].sum(), bits[k], rel_tol=1e-9, abs_tol=1e-9)
        else:
            assert (assignment[k] == -1).all()


# ----------------------------------------------------------------------------- strategies


@st.composite
def int_costs(draw, max_n: int = 5, max_m: int = 4, inf_share: float = 0.25):
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(1, max_m))
    values = draw(st.lists(st.integers(0, 5), min_size=n * m, max_size=n * m))
    holes = draw(st.lists(st.floats(0, 1), min_size=n * m, max_size=n * m))
    cost = np.array(values, dtype=float).reshape(n, m)
    cost[np.array(holes).reshape(n, m) < inf_share] = np.inf
    return cost


@st.composite
def real_costs(draw, max_n: int = 5, max_m: int = 4):
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(1, max_m))
    values = draw(
        st.lists(st.floats(0, 100, allow_nan=False, allow_infinity=False), min_size=n * m, max_size=n * m)
    )
    return np.array(values).reshape(n, m)


# ----------------------------------------------------------------------------- selection


@SETTINGS
@given(int_costs())
def test_selection_matches_brute_force_with_ties_and_inf(cost):
    bits, lexmin = brute_selection(cost)
    for method in SELECTION_METHODS:
        prof = best_selection_by_k(cost, method=method)
        assert prof.exact and prof.method == method
        assert prof.bits.shape == (min(cost.shape) + 1,)
        assert prof.assignment.shape == (min(cost.shape) + 1, cost.shape[0])
        np.testing.assert_array_equal(prof.bits, bits)  # integer costs: exact arithmetic
        check_selection_assignment(cost, prof.bits, prof.assignment)
        if method in LEX_METHODS:  # documented tie-break: lexicographically smallest assignment
            np.testing.assert_array_equal(prof.assignment, lexmin)


@SETTINGS
@given(real_costs())
def test_selection_matches_brute_force_real_costs(cost):
    bits, _ = brute_selection(cost)
    for method in SELECTION_METHODS:
        prof = best_selection_by_k(cost, method=method)
        np.testing.assert_allclose(prof.bits, bits, rtol=1e-12)
        check_selection_assignment(cost, prof.bits, prof.assignment)


def test_selection_docstring_example_and_auto():
    cost = np.array([[1.0, 5.0, 9.0], [2.0, 4.0, 9.0], [8.0, 7.0, 1.0]])
    prof = best_selection_by_k(cost)
    assert prof.bits.tolist() == [math.inf, 11.0, 4.0, 6.0]
    assert prof.assignment.tolist() == [[-1, -1, -1], [0, 0, 0], [0, 0, 2], [0, 1, 2]]
    assert prof.kmax == 3


@pytest.mark.parametrize("shape", [(2, 5), (5, 2), (1, 3), (3, 1)])
def test_infeasible_k_beyond_n_or_m(shape):
    cost = np.arange(np.prod(shape), dtype=float).reshape(shape)
    for method in SELECTION_METHODS:
        prof = best_selection_by_k(cost, method=method)
        assert len(prof.bits) == min(shape) + 1  # k > min(N, M) is never listed
        assert prof.bits[0] == np.inf and (prof.assignment[0] == -1).all()
        assert np.isfinite(prof.bits[1:]).all()


def test_all_inf_and_partly_impossible():
    for method in SELECTION_METHODS:
        prof = best_selection_by_k(np.full((3, 4), np.inf), method=method)
        assert np.isinf(prof.bits).all() and (prof.assignment == -1).all()
        # environment 0 can only use candidate 2: k = 3 needs the others on 0 and 1
        cost = np.array([[np.inf, np.inf, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, np.inf]])
        prof = best_selection_by_k(cost, method=method)
        assert prof.bits.tolist() == [math.inf, math.inf, 3.0, 3.0]
        assert prof.assignment[1].tolist() == [-1, -1, -1]
        # a row of inf makes every k impossible
        cost[1] = np.inf
        prof = best_selection_by_k(cost, method=method)
        assert np.isinf(prof.bits).all() and (prof.assignment == -1).all()


def test_tie_break_prefers_smallest_candidate_index():
    zero = np.zeros((4, 3))
    for method in LEX_METHODS:
        prof = best_selection_by_k(zero, method=method)
        assert prof.assignment.tolist() == [[-1] * 4, [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 2]]
    # duplicated candidates: the smaller index of each duplicate pair wins
    base = np.array([[1.0, 9.0], [9.0, 1.0], [1.0, 9.0]])
    cost = np.repeat(base, 2, axis=1)  # columns 0,1 equal; 2,3 equal
    for method in SELECTION_METHODS:
        prof = best_selection_by_k(cost, method=method)
        assert prof.assignment[2].tolist() == [0, 2, 0]


def test_deterministic_repeat():
    rng = np.random.default_rng(5)
    cost = rng.integers(0, 3, size=(7, 6)).astype(float)
    for method in SELECTION_METHODS:
        a = best_selection_by_k(cost, method=method)
        b = best_selection_by_k(cost.copy(), method=method)
        np.testing.assert_array_equal(a.bits, b.bits)
        np.testing.assert_array_equal(a.assignment, b.assignment)


def test_methods_agree_on_larger_instances():
    rng = np.random.default_rng(11)
    cost = rng.integers(0, 6, size=(9, 7)).astype(float)
    cost[rng.random(cost.shape) < 0.1] = np.inf
    sub = best_selection_by_k(cost, method="subset-dp")
    used = best_selection_by_k(cost, method="used-set-dp")
    bnb = best_selection_by_k(cost, method="branch-and-bound")
    np.testing.assert_array_equal(sub.bits, used.bits)
    np.testing.assert_array_equal(sub.assignment, used.assignment)
    np.testing.assert_array_equal(sub.bits, bnb.bits)
    check_selection_assignment(cost, bnb.bits, bnb.assignment)
    # many environments: used-set DP against branch and bound
    cost = rng.gamma(2.0, 10.0, size=(40, 9))
    used = best_selection_by_k(cost, method="used-set-dp")
    bnb = best_selection_by_k(cost, method="branch-and-bound")
    np.testing.assert_allclose(used.bits, bnb.bits, rtol=1e-12)
    check_selection_assignment(cost, bnb.bits, bnb.assignment)


def test_g1_sized_selection():
    rng = np.random.default_rng(0)
    thetas = np.arange(1, 19) * 0.05
    counts = rng.poisson(20 * rng.choice(thetas, size=10)[:, None], size=(10, 10))
    # unclipped Poisson log-likelihood up to a constant per environment
    cost = -(counts.sum(1)[:, None] * np.log2(20 * thetas) - 10 * 20 * thetas / np.log(2))
    prof = best_selection_by_k(cost)
    assert prof.method == "subset-dp" and prof.exact
    check_selection_assignment(cost, prof.bits, prof.assignment)
    assert prof.bits[2] < prof.bits[1]



def test_selection_budget_and_validation():
    with pytest.raises(BudgetError, match="N=200 environments and M=40"):
        best_selection_by_k(np.zeros((200, 40)))
    with pytest.raises(BudgetError, match="subset DP"):
        best_selection_by_k(np.zeros((20, 5)), method="subset-dp")
    with pytest.raises(KdslError, match="NaN"):
        best_selection_by_k(np.array([[1.0, np.nan]]))
    with pytest.raises(KdslError, match="-inf"):
        best_selection_by_k(np.array([[1.0, -np.inf]]))
    with pytest.raises(KdslError, match="dimensions"):
        best_selection_by_k(np.zeros(3))
    with pytest.raises(KdslError, match="empty"):
        best_selection_by_k(np.zeros((0, 3)))
    with pytest.raises(KdslError, match="unknown"):
        best_selection_by_k(np.zeros((2, 2)), method="magic")


def test_profile_is_read_only():
    prof = best_selection_by_k(np.ones((2, 2)))
    with pytest.raises(ValueError):
        prof.bits[1] = 0.0
    with pytest.raises(AttributeError):
        prof.method = "other"  # type: ignore[misc]


# ----------------------------------------------------------------------------- coupled slots


@st.composite
def coupled_costs(draw):
    n = draw(st.integers(1, 3))
    m1 = draw(st.integers(1, 3))
    m2 = draw(st.integers(1, 3))
    size = n * m1 * m2
    values = draw(st.lists(st.integers(0, 4), min_size=size, max_size=size))
    holes = draw(st.lists(st.floats(0, 1), min_size=size, max_size=size))
    cost = np.array(values, dtype=float).reshape(n, m1, m2)
    cost[np.array(holes).reshape(cost.shape) < 0.2] = np.inf
    return cost


@SETTINGS
@given(coupled_costs())
def test_coupled_matches_brute_force(cost):
    bits, lexmin = brute_coupled(cost)
    for method in ["used-set-dp", "enumerate-dp"]:
        prof = best_coupled_selection(cost, method=method)
        assert prof.exact
        np.testing.assert_array_equal(prof.bits, bits)
        np.testing.assert_array_equal(prof.assignment, lexmin)


def test_coupled_assignment_achieves_bits_and_counts():
    rng = np.random.default_rng(3)
    cost = rng.gamma(2.0, 5.0, size=(4, 3, 4))
    cost[rng.random(cost.shape) < 0.15] = np.inf
    a = best_coupled_selection(cost, method="used-set-dp")
    b = best_coupled_selection(cost, method="enumerate-dp")
    np.testing.assert_allclose(a.bits, b.bits, rtol=1e-12)
    env = np.arange(4)
    for k in np.ndindex(a.bits.shape):
        asg = a.assignment[k]
        if np.isfinite(a.bits[k]):
            assert tuple(len(set(row)) for row in asg.tolist()) == k
            assert math.isclose(cost[env, asg[0], asg[1]].sum(), a.bits[k], rel_tol=1e-12)
        else:
            assert (asg == -1).all()


def test_coupled_three_slots_and_one_slot():
    rng = np.random.default_rng(4)
    cost = rng.integers(0, 4, size=(3, 2, 2, 3)).astype(float)
    bits, lexmin = brute_coupled(cost)
    for method in ["used-set-dp", "enumerate-dp"]:
        prof = best_coupled_selection(cost, method=method)
        np.testing.assert_array_equal(prof.bits, bits)
        np.testing.assert_array_equal(prof.assignment, lexmin)
    single = rng.integers(0, 4, size=(4, 3)).astype(float)
    for method in ["used-set-dp", "enumerate-dp"]:
        prof = best_coupled_selection(single, method=method)
        sel = best_selection_by_k(single)
        np.testing.assert_array_equal(prof.bits, sel.bits)
        np.testing.assert_array_equal(prof.assignment[:, 0, :], sel.assignment)


def test_coupled_g2_sized():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, 10))
    y = 2.0 * x + rng.normal(size=(5, 10))
    a = np.linspace(0.5, 3.0, 8)
    v = np.linspace(1.0, 30.0, 8)
    resid = y[:, None, None, :] - a[None, :, None, None] * x[:, None, None, :]
    var = v[None, None, :, None]
    cost = (0.5 * np.log(2 * np.pi * var) + resid**2 / (2 * var)).sum(-1) / np.log(2)
    prof = best_coupled_selection(cost)
    assert prof.method == "used-set-dp"
    assert prof.bits.shape == (6, 6)
    assert np.isfinite(prof.bits[1:, 1:]).all()
    env = np.arange(5)
    for k1, k2 in itertools.product(range(1, 6), repeat=2):
        asg = prof.assignment[k1, k2]
        assert (len(set(asg[0])), len(set(asg[1]))) == (k1, k2)
        assert math.isclose(cost[env, asg[0], asg[1]].sum(), prof.bits[k1, k2], rel_tol=1e-12)


def test_coupled_budget():
    with pytest.raises(BudgetError, match="slot sizes"):
        best_coupled_selection(np.zeros((12, 20, 20)))
    with pytest.raises(BudgetError, match="assignments"):
        best_coupled_selection(np.zeros((12, 4, 4)), method="enumerate-dp")


# ----------------------------------------------------------------------------- partitions


@st.composite
def block_costs(draw):
    n = draw(st.integers(1, 6))
    size = 1 << n
    values = draw(st.lists(st.integers(0, 6), min_size=size, max_size=size))
    holes = draw(st.lists(st.floats(0, 1), min_size=size, max_size=size))
    cost = np.array(values, dtype=float)
    cost[np.array(holes) < 0.15] = np.inf
    return n, cost


@SETTINGS
@given(block_costs())
def test_partition_matches_brute_force(case):
    n, cost = case
    bits, labels = brute_partition(cost, n)
    prof = best_partition_by_k(cost)
    assert prof.exact
    np.testing.assert_array_equal(prof.bits, bits)
    np.testing.assert_array_equal(prof.labels, labels)  # documented tie-break: smallest RGS
    for k in range(n + 1):
        part = prof.partitions[k]
        if not np.isfinite(bits[k]):
            assert part is None
            continue
        assert len(part) == k
        assert sorted(e for block in part for e in block) == list(range(n))
        assert [b[0] for b in part] == sorted(b[0] for b in part)
        assert all(block == sorted(block) for block in part)
        total = sum(cost[sum(1 << e for e in block)] for block in part)
        assert total == bits[k]


def test_partition_example_and_budget():
    sizes = np.array([bin(m).count("1") for m in range(8)])
    cost = 10.0 + 3.0 * sizes
    cost[[5, 6, 7]] += 8.0
    prof = best_partition_by_k(cost)
    assert prof.partitions[1] == [[0, 1, 2]]
    assert prof.partitions[2] == [[0, 1], [2]]
    assert prof.partitions[3] == [[0], [1], [2]]
    with pytest.raises(BudgetError, match="N=16"):
        best_partition_by_k(np.zeros(1 << 16))
    with pytest.raises(KdslError, match="2\\*\\*N"):
        best_partition_by_k(np.zeros(6))


def pooled_table_costs(rng: np.random.Generator, n: int, cells: int = 4, rows: int = 30) -> np.ndarray:
    """Block cost of a shared multinomial table: pooled NLL (bits) plus a per-table charge."""
    probs = rng.dirichlet(np.ones(cells), size=max(1, n // 2))
    counts = np.stack([rng.multinomial(rows, probs[rng.integers(len(probs))]) for _ in range(n)])
    masks = np.arange(1 << n)
    member = ((masks[:, None] >> np.arange(n)) & 1).astype(float)
    pooled = member @ counts
    total = pooled.sum(1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        nll = -np.nansum(np.where(pooled > 0, pooled * np.log2(pooled / total), 0.0), axis=1)
    return nll + (cells - 1) * 0.5 * np.log2(np.maximum(total[:, 0], 2)) + 8.0


def test_greedy_is_an_upper_bound_on_the_exact_dp():
    rng = np.random.default_rng(7)
    gaps = []
    for trial in range(12):
        n = 6 + trial % 3
        cost = pooled_table_costs(rng, n) if trial % 2 else rng.gamma(2.0, 10.0, size=1 << n)
        exact = best_partition_by_k(cost)
        greedy = greedy_partition_by_k(lambda block, cost=cost: cost[sum(1 << e for e in block)], n_envs=n)
        assert not greedy.exact and greedy.method == "greedy-agglomerative"
        gap = greedy.bits[1:] - exact.bits[1:]
        assert np.all(gap >= -1e-9)
        assert abs(gap[0]) < 1e-9 and abs(gap[-1]) < 1e-9  # k = 1 and k = N are forced
        gaps.append(gap)
        from_array = greedy_partition_by_k(cost)
        np.testing.assert_array_equal(from_array.bits, greedy.bits)
    assert np.isfinite(np.concatenate(gaps)).all()


def test_greedy_partitions_are_well_formed():
    prof = greedy_partition_by_k(lambda b: 10.0 + 2.0 * len(b) + 3.0 * (max(b) - min(b)) ** 2, n_envs=5)
    for k in range(1, 6):
        part = prof.partitions[k]
        assert len(part) == k
        assert sorted(e for block in part for e in block) == list(range(5))
        assert [b[0] for b in part] == sorted(b[0] for b in part)
        assert (prof.labels[k][part[0]] == 0).all()
    with pytest.raises(KdslError):
        greedy_partition_by_k(lambda b: 1.0)
    with pytest.raises(KdslError, match="nan"):
        greedy_partition_by_k(lambda b: float("nan"), n_envs=2)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 7), st.integers(0, 2**32 - 1))
def test_enumerated_partitions_equal_the_subset_dp_including_ties(n, seed):
    rng = np.random.default_rng(seed)
    cost = rng.integers(0, 5, size=1 << n).astype(float)  # small integers: many exact ties
    cost[rng.random(1 << n) < 0.1] = np.inf
    dp = best_partition_by_k(cost, method="dp")
    enum = best_partition_by_k(cost, method="enumerate")
    assert np.array_equal(dp.bits, enum.bits)
    assert dp.partitions == enum.partitions
    assert np.array_equal(dp.labels, enum.labels)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 10), st.integers(0, 2**32 - 1), st.booleans())
def test_least_partition_bits_are_the_profiles_bits(n, seed, integers):
    rng = np.random.default_rng(seed)
    cost = rng.integers(0, 5, size=1 << n).astype(float) if integers else rng.random(1 << n) * 100
    cost[rng.random(1 << n) < 0.1] = np.inf
    cost[0] = np.inf
    want = best_partition_by_k(cost).bits
    got = least_partition_bits(cost)
    assert got.shape == want.shape
    assert np.array_equal(np.isinf(got), np.isinf(want))
    assert np.allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=0, atol=1e-9)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 9), st.integers(1, 6), st.integers(0, 2**32 - 1), st.booleans())
def test_partitions_of_many_rows_at_once_are_each_rows_alone(n, rows, seed, integers):
    """best_partitions_by_k gives every row best_partition_by_k's profile, bit for bit: ties (small integers)
    broken alike, impossible blocks, rows with no finite partition, and beyond 8 environments the DP."""
    rng = np.random.default_rng(seed)
    shape = (rows, 1 << n)
    cost = rng.integers(0, 5, size=shape).astype(float) if integers else rng.random(shape) * 100
    cost[rng.random(shape) < 0.1] = np.inf
    cost[0, 1:] = np.inf  # a row no partition can realise
    for got, row in zip(best_partitions_by_k(cost), cost):
        want = best_partition_by_k(row)
        assert got.bits.tobytes() == want.bits.tobytes()
        assert got.partitions == want.partitions and np.array_equal(got.labels, want.labels)
        assert (got.method, got.exact) == (want.method, want.exact)


def test_partitions_of_many_rows_reject_nan_as_alone():
    cost = np.zeros((2, 4))
    cost[1, 2] = np.nan
    with pytest.raises(KdslError, match="NaN"):
        best_partitions_by_k(cost)

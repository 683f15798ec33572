"""kdsl.mechanisms.tables directly: orbits, count tables, pooling over subsets, quantized tables, group costs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import kdsl
from kdsl.codes import get_code
from kdsl.errors import Span
from kdsl.language.model import Symmetry, Variable
from kdsl.mechanisms.tables import (
    _data_bits,
    count_tables,
    group_costs,
    mle_data_bits,
    orbit_index,
    quantized,
    quantized_data_bits,
    subset_counts,
)

COUNTS = arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(2, 4)),
                elements=st.integers(0, 40).map(float))


def test_orbits_of_each_symmetry_kind():
    x = Variable("X", "int", 0, 5, span=Span(1, 1, 1, 14, 0, 13))
    assert orbit_index(x, None)[1] == 6
    reflect, n_reflect = orbit_index(x, Symmetry("m", ("X",), "reflect", None))
    assert n_reflect == 3 and reflect.tolist() == [0, 1, 2, 2, 1, 0]
    cyclic, n_cyclic = orbit_index(x, Symmetry("c", ("X",), "cyclic", None))
    assert n_cyclic == 1 and set(cyclic.tolist()) == {0}
    assert orbit_index(x, Symmetry("m", ("Y",), "reflect", None))[1] == 6  # acts on another variable


def test_count_tables_count_every_row_once_and_pool_orbits():
    data = {"a": {"P": [0, 1, 2, 2, 0], "C": [1, 0, 1, 1, 0]}, "b": {"P": [2, 2, 1], "C": [0, 1, 1]}}
    bound = kdsl.load("var P in 0..2\nvar C in 0..1\nsymmetry m on P = reflect\nenv a from a\nenv b from b",
                      data=data)
    p, c = bound.model.variables["P"], bound.model.variables["C"]
    plain = count_tables(bound, c, [p])
    assert plain.shape == (2, 3, 2)
    assert plain.sum(axis=(1, 2)).tolist() == [5.0, 3.0]
    assert plain[0, 2].tolist() == [0.0, 2.0]  # environment a, P = 2: C = 1 twice
    pooled = count_tables(bound, c, [p], bound.model.symmetries["m"])
    assert pooled.shape == (2, 2, 2)  # P = 0 and P = 2 are one orbit
    assert pooled[:, 0].tolist() == (plain[:, 0] + plain[:, 2]).tolist()
    assert pooled[:, 1].tolist() == plain[:, 1].tolist()


@settings(max_examples=50, deadline=None)
@given(COUNTS)
def test_subset_counts_sum_the_members_of_each_subset(counts):
    out = subset_counts(counts)
    for mask in range(1 << len(counts)):
        members = [e for e in range(len(counts)) if mask >> e & 1]
        np.testing.assert_array_equal(out[mask], counts[members].sum(0))
    np.testing.assert_array_equal(subset_counts(counts.astype(np.int64)), out)  # the general path agrees


@settings(max_examples=50, deadline=None)
@given(COUNTS, st.integers(0, 12))
def test_quantized_tables_are_distributions_and_the_fast_data_bits_equal_the_formula(counts, precision):
    probs = quantized(counts, precision)
    assert (probs > 0).all()
    np.testing.assert_allclose(probs.sum(-1), 1.0)
    rows = counts.reshape(len(counts), -1).sum(-1)
    assert quantized_data_bits(counts, precision, rows).tolist() == _data_bits(counts, probs).tolist()
    # no table codes the counts in fewer bits than their maximum-likelihood table
    assert (mle_data_bits(counts) <= _data_bits(counts, probs) + 1e-9).all()


def test_an_unseen_configuration_is_stored_uniform():
    assert quantized(np.array([[0.0, 0.0, 0.0, 0.0]]), 8).tolist() == [[0.25] * 4]


@pytest.mark.parametrize("name", ["paper", "direct", "bic", "nml"])
def test_group_costs_under_every_code(name):
    counts = np.array([[[3.0, 1.0], [0.0, 2.0]], [[0.0, 0.0], [0.0, 0.0]], [[5.0, 5.0], [1.0, 9.0]]])
    data, param, rows = group_costs(counts, get_code(name))
    assert rows.tolist() == [6.0, 0.0, 20.0]
    assert math.isinf(data[1])  # a group with no rows stores nothing
    assert np.isfinite(data[[0, 2]]).all() and (data[[0, 2]] > 0).all()
    assert (param[[0, 2]] >= 0).all()
    if name == "bic":
        assert data[[0, 2]].tolist() == mle_data_bits(counts[[0, 2]]).tolist()
        assert param[2] == pytest.approx(0.5 * 2 * math.log2(20))

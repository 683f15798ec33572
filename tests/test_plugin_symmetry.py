"""Adding a symmetry kind in one file (docs/architecture.md, "How to add a symmetry kind"), followed end to end.

A test-only kind ``parity`` (value codes of one parity form one orbit) is
defined and registered here and nowhere else.  A spec declares it, uses it in a
hypothesis and lists it in a search; the invariant table it gives is scored
exactly like a table over a parity column, and the search (whose pruning bound
reads the kind's orbit count) finds the program that uses it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kdsl
from kdsl.lengths.score import mechanism_profile
from kdsl.mechanisms import symmetries
from kdsl.mechanisms.symmetries import Invariance, register_symmetry_kind


class Parity(Invariance):
    name = "parity"
    description = "value codes of one parity are one orbit"

    def orbits(self, size):
        codes = np.arange(size)
        return codes % 2, min(size, 2)


@pytest.fixture
def parity():
    register_symmetry_kind(Parity())
    yield
    del symmetries.SYMMETRY_KINDS["parity"]


def frame(n: int = 600, seed: int = 2) -> pd.DataFrame:
    """X uniform on 0..5, P = X mod 2, Y a coin whose bias depends on X's parity only."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, n)
    y = (rng.random(n) < np.where(x % 2 == 1, 0.85, 0.2)).astype(int)
    return pd.DataFrame({"X": x, "P": x % 2, "Y": y})


SPEC = """
var X in 0..5
var P in 0..1
var Y in 0..1
env lab from lab_frame
symmetry par on X = parity
hypothesis by_parity {
    X ~ table
    P ~ table(X)
    Y ~ table(X) / par
}
hypothesis by_column {
    X ~ table
    P ~ table(X)
    Y ~ table(P)
}
"""


def test_invariant_table_is_a_table_over_the_orbits(parity):
    bound = kdsl.load(SPEC, data={"lab_frame": frame()})
    y_par, y_col = (mechanism_profile(bound, bound.model.hypotheses[h].mechanism("Y")) for h in ("by_parity", "by_column"))
    assert set(y_par.best) == set(y_col.best) == {1}
    par, col = y_par.best[1], y_col.best[1]
    assert (par.data_bits, par.table_bits) == pytest.approx((col.data_bits, col.table_bits), rel=1e-12)
    assert y_par.structure_bits == y_col.structure_bits


def test_search_uses_the_registered_kind(parity):
    spec = SPEC.split("hypothesis")[0].replace("var P in 0..1\n", "") + "search {\n    graphs max_parents 1\n    symmetries par\n}\n"
    data = {"lab_frame": frame().drop(columns="P")}
    result = kdsl.solve(spec, data=data)
    best = result.programs[0]
    assert [tuple(e) for e in best.edges] == [("X", "Y")]
    assert [(s["var"], s["symmetry"]) for s in best.symmetries] == [("Y", "par")]
    # the searched program's length is the length of the same program written as a hypothesis
    written = spec.split("search")[0] + "hypothesis h {\n    X ~ table\n    Y ~ table(X) / par\n}\n"
    assert kdsl.solve(written, data=data).programs[0].total_bits == pytest.approx(best.total_bits, rel=1e-12)


def test_kind_checks_are_located(parity):
    bad = SPEC.replace("symmetry par on X = parity", "symmetry par on {X, Y} = parity")
    with pytest.raises(kdsl.SpecError) as info:
        kdsl.load(bad, data={"lab_frame": frame()})
    assert "6:26: parity acts on one variable; write `symmetry par on X = parity`" in str(info.value)


def test_unregistered_kind_is_a_located_error_with_a_suggestion():
    with pytest.raises(kdsl.SpecError) as info:
        kdsl.load(SPEC, data={"lab_frame": frame()})
    assert "6:21: unknown symmetry kind 'parity'; use reflect, cyclic or permute" in str(info.value)
    with pytest.raises(kdsl.SpecError, match="did you mean 'reflect'"):
        kdsl.load(SPEC.replace("= parity", "= reflekt"), data={"lab_frame": frame()})
    with pytest.raises(symmetries.UnknownSymmetryKindError, match="unknown symmetry kind 'parity'"):
        symmetries.get_symmetry_kind("parity")


def test_an_incomplete_kind_cannot_be_made():
    class NoOrbits(Invariance):
        name, description = "blank", "an invariance that forgot its orbits"

    with pytest.raises(TypeError, match="abstract"):
        NoOrbits()

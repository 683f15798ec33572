"""Adding a family in one file (docs/architecture.md, "How to add a family"), followed end to end.

A test-only family ``zipf(s)`` is defined and registered here and nowhere else;
a spec then simulates with it, uses it in a template with a codebook, and is
checked, solved and scored; the checker's parameter and domain errors come
from the family's own rules.  Also: an unregistered name reaching a dispatch
is an error, never a default branch.
"""

from __future__ import annotations

import numpy as np
import pytest

import kdsl
from kdsl.language.check import check
from kdsl.lengths.score import template_costs
from kdsl.mechanisms import families
from kdsl.mechanisms.families import POSITIVE, Domain, Family, log2_prob, register_family, sample


class Zipf(Family):
    """Value ``lo + k`` with probability proportional to ``(k + 1) ** -s`` on a finite domain."""

    name, arg_names, rules = "zipf", ("s",), (POSITIVE,)
    description = "value lo + k with probability proportional to (k + 1)^-s; s > 0, finite domains"
    finite_reason = "it needs a finite domain (its mass is normalized over the values)"

    @staticmethod
    def log_weights(s: np.ndarray, domain: Domain) -> np.ndarray:
        """Natural-log masses of every value (last axis) for each s."""
        w = -np.asarray(s, dtype=float)[..., None] * np.log(np.arange(1, domain.size + 1))
        return w - np.logaddexp.reduce(w, axis=-1, keepdims=True)

    def ln_prob(self, params, x, domain):
        table = self.log_weights(params[0], domain)
        inside = domain.contains(x)
        shape = np.broadcast_shapes(table.shape[:-1], inside.shape)
        k = np.broadcast_to(np.where(inside, x - domain.lo, 0).astype(np.int64), shape)[..., None]
        picked = np.take_along_axis(np.broadcast_to(table, (*shape, domain.size)), k, axis=-1)[..., 0]
        return np.where(inside, picked, -np.inf)

    def draw(self, params, shape, domain, rng):
        cum = np.cumsum(np.exp(self.log_weights(params[0], domain)), axis=-1)
        index = np.minimum(np.sum(cum <= rng.random(shape)[..., None], axis=-1), domain.size - 1)
        return (domain.lo + index).astype(np.int64)


@pytest.fixture
def zipf():
    register_family(Zipf())
    yield
    del families.FAMILIES["zipf"]


def check_text(text: str):
    return check(kdsl.parse(text))


SPEC = """
var X in 0..5
var Y in 0..3
simulate envs e1..e2 n 300 seed 3 {
    X ~ zipf(0.5 + env)
    Y ~ binomial(3, 0.2 + 0.1 * X)
}
mechanism heavy(X) = zipf(s) where s in grid(0.25, 2, 8)
hypothesis zipf_x {
    X ~ heavy
    Y ~ table(X)
}
hypothesis table_x {
    X ~ table
    Y ~ table(X)
}
"""


def test_registered_family_is_exact(zipf):
    d = Domain(2, 7)
    p = np.exp2(log2_prob("zipf", [1.0], d.values(), d))
    want = 1 / np.arange(1, 7)
    np.testing.assert_allclose(p, want / want.sum(), rtol=1e-12)
    grid = log2_prob("zipf", [np.array([[0.5], [2.0]])], d.values()[None, :], d)
    assert grid.shape == (2, 6) and np.allclose(np.exp2(grid).sum(axis=1), 1.0)
    draws = sample("zipf", [2.0], d, np.random.default_rng(0), size=4000)
    freq = np.bincount(draws - d.lo, minlength=6) / 4000
    assert np.abs(freq - np.exp2(log2_prob("zipf", [2.0], d.values(), d))).max() < 0.03


def test_spec_uses_registered_family_end_to_end(zipf):
    bound = kdsl.load(SPEC)
    heavy = bound.model.templates["heavy"]
    # the scorer's cost of every (environment, candidate) is the family's exact code length
    costs = template_costs(bound, heavy)
    for e, env in enumerate(bound.environments):
        x = env.columns["X"]
        want = [-float(log2_prob("zipf", [s], x, Domain(0, 5)).sum()) for s in heavy.slots[0].values]
        np.testing.assert_allclose(costs[e], want, rtol=1e-12)
    # the solver finds that X's mechanism changed between the environments (s = 0.5 + env)
    result = kdsl.solve(SPEC)
    assert result.best == "zipf_x"
    best = next(p for p in result.programs if p.name == "zipf_x")
    assert best.total_bits < next(p for p in result.programs if p.name == "table_x").total_bits
    assert best.shifts == {"X": [["e1"], ["e2"]], "Y": [["e1", "e2"]]}  # X's s changed, Y's table did not


def test_checker_reads_the_family_rules(zipf):
    bad = SPEC.replace("grid(0.25, 2, 8)", "grid(-1, 2, 4)")
    with pytest.raises(kdsl.KdslError, match=r"invalid parameter of zipf: s must be > 0 \(got -1\) when s = -1"):
        check_text(bad)
    real = "var R real\nhypothesis h {\n    R ~ zipf(1)\n}\n"
    with pytest.raises(kdsl.KdslError) as info:
        check_text(real)
    assert "3:9: zipf cannot describe R, which is real: it needs a finite domain" in str(info.value)
    arity = SPEC.replace("zipf(s) where", "zipf(s, 1) where")
    with pytest.raises(kdsl.KdslError, match=r"zipf\(\) takes 1 argument, got 2"):
        check_text(arity)


def test_unregistered_family_never_reaches_a_default():
    d = Domain(0, 3)
    with pytest.raises(families.UnknownFamilyError, match="unknown family 'zipf'"):
        log2_prob("zipf", [1.0], d.values(), d)
    with pytest.raises(families.UnknownFamilyError, match="unknown family 'zipf'"):
        sample("zipf", [1.0], d, np.random.default_rng(0), size=3)
    with pytest.raises(kdsl.KdslError, match="unknown family 'zipf'"):
        check_text(SPEC)


def test_registering_twice_is_an_error(zipf):
    with pytest.raises(ValueError, match="already registered"):
        register_family(Zipf())
    class NoRules(Zipf):
        rules = ()
    with pytest.raises(ValueError, match="1 arguments but 0 rules"):
        register_family(NoRules(), replace=True)


def test_an_incomplete_family_cannot_be_made():
    class NoDraw(Family):
        name, arg_names, rules, description = "nodraw", ("s",), (POSITIVE,), "a family that forgot its sampler"

        def ln_prob(self, params, x, domain):
            return np.zeros(np.shape(x))

    with pytest.raises(TypeError, match="abstract"):
        NoDraw()

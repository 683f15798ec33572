"""The mechanism kinds a spec may name are found from one place (kdsl/mechanisms/kinds.py), and no kind falls
into a default branch of the scorer."""

from __future__ import annotations

import dataclasses

import pytest

import kdsl
from kdsl.lengths.score import mechanism_profile
from kdsl.mechanisms import regression
from kdsl.mechanisms.families import FAMILIES
from kdsl.mechanisms.kinds import free_kinds, mechanism_names


def test_every_family_and_free_kind_is_named_once():
    names = mechanism_names()
    assert len(names) == len(set(names))
    assert set(names) == {*FAMILIES, "table", *regression.KINDS}
    kinds = free_kinds()
    assert not kinds["table"].real and all(kinds[k].real for k in regression.KINDS)
    assert [kinds[k].parents for k in regression.KINDS] == [k.parents for k in regression.KINDS.values()]


def test_a_misspelt_free_real_mechanism_is_suggested():
    spec = "var X real\nvar Y real\nhypothesis h {\n    X ~ normal\n    Y ~ linaer(X)\n}\n"
    with pytest.raises(kdsl.SpecError) as info:
        kdsl.load(spec)
    text = str(info.value)
    assert "5:9: unknown template or family 'linaer'; did you mean 'linear'?" in text
    assert "free: table (discrete), linear, poly, normal, histogram (real)" in text


def test_the_scorer_refuses_a_kind_it_has_no_length_for():
    bound = kdsl.load("var X in 0..1\nsimulate env a n 5 seed 1 {\n    X ~ uniform()\n}\nhypothesis h {\n    X ~ table\n}\n")
    mech = bound.model.hypotheses["h"].mechanism("X")
    assert mechanism_profile(bound, mech).best  # a table is scored
    odd = dataclasses.replace(mech, template=dataclasses.replace(mech.template, kind="spline"))
    with pytest.raises(ValueError, match="no length for a mechanism of kind 'spline'"):
        mechanism_profile(bound, odd)

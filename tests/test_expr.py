"""kdsl.language.expr directly: expressions to sympy trees (constants folded, errors located) and to numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from kdsl.errors import SpecError
from kdsl.language.expr import Scope, constant_value, names_in, numeric, to_sympy
from kdsl.language.syntax import parse


def expression(text: str):
    """The syntax tree of the expression ``text`` (as the value of a `let`)."""
    return parse(f"let a = {text}").decls[0].value


def located(node, message):
    return SpecError(message, line=node.span.line, column=node.span.column)


def test_constants_fold_to_exact_numbers():
    assert to_sympy(expression("2 * 3 + 1"), Scope()) == sympy.Integer(7)
    assert to_sympy(expression("1 / 4"), Scope()) == sympy.Float(0.25)
    assert to_sympy(expression("-2 ** 2"), Scope()) in (sympy.Integer(-4), sympy.Integer(4))
    assert constant_value(to_sympy(expression("sqrt(9) + exp(0)"), Scope())) == 4.0


def test_names_resolve_to_symbols_constants_lists_and_env():
    x = sympy.Dummy("x")
    scope = Scope(symbols={"X": x}, constants={"c": 2.5, "rates": (0.1, 0.2, 0.3)}, env=2)
    built = to_sympy(expression("c * X + rates[env]"), scope)
    assert built.free_symbols == {x}
    assert float(built.subs(x, 2)) == pytest.approx(5.3)
    assert names_in(expression("c * X + rates[env]"))[0].id == "c"


@pytest.mark.parametrize(("text", "scope", "message"), [
    ("Z + 1", Scope(), "unknown name 'Z'"),
    ("1 / 0", Scope(), "division by zero"),
    ("10 ** 400", Scope(), "too large"),
    ("rates", Scope(constants={"rates": (1.0, 2.0)}), "is a list of 2 values"),
    ("rates[5]", Scope(constants={"rates": (1.0, 2.0)}), "index 5 is out of range"),
    ("rates[0.5]", Scope(constants={"rates": (1.0, 2.0)}), "must be a whole number"),
    ("c[0]", Scope(constants={"c": 1.0}), "only a `let` list can be indexed"),
    ("foo(1)", Scope(), "unknown function 'foo'"),
    ("log()", Scope(), "takes"),
])
def test_bad_expressions_raise_located_errors(text, scope, message):
    scope.error = located
    with pytest.raises(SpecError) as err:
        to_sympy(expression(text), scope)
    assert message in err.value.message
    assert err.value.line == 1 and err.value.column >= 9  # inside the expression, after `let a = `


def test_env_out_of_range_names_the_block_size():
    scope = Scope(constants={"rates": (1.0, 2.0)}, env=3, env_count=4, error=located)
    with pytest.raises(SpecError, match=r"rates\[env\] is out of range: rates has 2 values but the block simulates 4"):
        to_sympy(expression("rates[env]"), scope)


def test_numeric_is_vectorised_and_never_raises_on_invalid_values():
    x = sympy.Dummy("x")
    fn = numeric(sympy.sqrt(x) + sympy.log(x, 2), [x])
    out = fn(np.array([4.0, 1.0, -1.0, 0.0]))
    assert out[0] == pytest.approx(4.0) and out[1] == pytest.approx(1.0)
    assert math.isnan(out[2])  # complex: not a real parameter
    assert out[3] == -math.inf
    assert out.dtype == float


def test_a_user_name_is_never_python():
    # a name that is Python code stays a symbol name; nothing is evaluated
    hostile = "__import__"
    x = sympy.Dummy(hostile)
    built = to_sympy(expression(f"{hostile} * 2"), Scope(symbols={hostile: x}))
    assert built == 2 * x
    assert numeric(built, [x])(np.array([1.5])).tolist() == [3.0]

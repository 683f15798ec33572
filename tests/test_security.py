"""Nothing a spec says is executed: attempts to smuggle Python are rejected or inert."""

from __future__ import annotations

import builtins
import hashlib
from pathlib import Path

import numpy as np
import pytest

import kdsl
from kdsl.language.check import check
from kdsl.language.expr import Scope, numeric, to_sympy

SMUGGLED = [
    ('let a = __import__("os")', "expected"),                 # strings appear only as file paths
    ("let a = os.system(1)", "unexpected character '.'"),    # no attribute access in the grammar
    ("let a = eval(1)", "unknown function 'eval'"),          # calls only to the fixed list
    ("let a = exec(1)", "unknown function 'exec'"),
    ("let a = __import__(1)", "unknown function '__import__'"),
    ("let a = [x for x in y]", "expected"),
    ("let a = lambda: 1", "expected"),
    ("var X in 0..1\nhypothesis h {\n    X ~ bernoulli(__builtins__)\n}", "unknown name '__builtins__'"),
    ("var X in 0..1\nhypothesis h {\n    X ~ getattr(X, 1)\n}", "unknown template or family 'getattr'"),
    ("let a = 1; import os", "unexpected character ';'"),
]


@pytest.mark.parametrize("text, message", SMUGGLED)
def test_python_in_a_spec_is_rejected(text, message, monkeypatch):
    def refuse(*args, **kwargs):  # pragma: no cover - reaching this is the failure
        raise AssertionError("user text reached eval/exec/__import__")

    for name in ("eval", "exec"):
        monkeypatch.setattr(builtins, name, refuse)
    with pytest.raises(kdsl.KdslError) as err:
        check(kdsl.parse(text, "evil.kdsl"))
    assert message in str(err.value)
    assert str(err.value).startswith("evil.kdsl:")


def test_hostile_names_never_become_python_identifiers():
    # a variable may be called like a Python builtin; in generated code it is a dummy
    spec = kdsl.parse("mechanism m(__import__) = normal(__class__, 1) where __class__ in {0, 1}")
    call = spec.decls[0].rhs
    scope = Scope(symbols={"__class__": __import__("sympy").Dummy("__class__")})
    expr = to_sympy(call.args[0], scope)
    fn = numeric(expr, list(scope.symbols.values()))
    assert float(fn(np.array(3.0))) == 3.0
    import inspect

    source = inspect.getsource(fn.__closure__[0].cell_contents) if fn.__closure__ else ""
    assert "__class__" not in source


def test_input_data_are_not_changed_by_loading_and_solving(tmp_path):
    pandas = pytest.importorskip("pandas")
    csv = tmp_path / "a.csv"
    csv.write_text("X,Y\n0,1\n1,1\n1,0\n2,2\n")
    before = hashlib.sha256(csv.read_bytes()).hexdigest()
    frame = pandas.DataFrame({"X": [0, 1, 2, 2], "Y": [1.0, 0.0, 2.0, 2.0]})
    copy = frame.copy(deep=True)
    spec = tmp_path / "s.kdsl"
    spec.write_text('var X in 0..2\nvar Y in 0..2\nenv a from "a.csv"\nenv b from frame\n'
                    "hypothesis h {\n    X ~ table\n    Y ~ table(X)\n}\n")
    kdsl.solve(spec, data={"frame": frame})
    assert hashlib.sha256(csv.read_bytes()).hexdigest() == before
    pandas.testing.assert_frame_equal(frame, copy)


def test_no_pickle_eval_exec_or_sympify_in_the_package():
    """Read the package's own source as syntax trees: no call can execute text."""
    import ast

    builtins_that_run_text = {"eval", "exec", "compile", "__import__"}  # called bare
    parsers_of_text = {"sympify", "parse_expr", "literal_eval"}  # called bare or as an attribute
    found = []
    for path in Path(kdsl.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
                found += [(path.name, node.lineno, n) for n in names if n and n.split(".")[0] in ("pickle", "marshal", "dill")]
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id in builtins_that_run_text | parsers_of_text:
                    found.append((path.name, node.lineno, func.id))
                if isinstance(func, ast.Attribute) and func.attr in parsers_of_text:
                    found.append((path.name, node.lineno, func.attr))
    assert found == []

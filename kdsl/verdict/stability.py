"""Would the verdict survive another sample, or another code?

:func:`stability` solves the spec again on ``runs`` subsamples (each
environment keeps a random ``fraction`` of its rows, drawn without
replacement from a generator seeded by ``(seed, run)``, so a seed reproduces
every subsample; :func:`kdsl.data.bind.subsample`), and once on the full data under every built-in code. It
reports how often each edge (either direction), each orientation and each
inferred target (a variable whose mechanism differs across environments)
appears in the best program over the subsamples, and each code's verdict.

>>> import kdsl
>>> bound = kdsl.load('''
... model garden
... var rain in 0..1
... search { }
... var wet in 0..2
... simulate env garden n 200 seed 1 {
...     rain ~ bernoulli(0.3)
...     wet ~ binomial(2, 0.1 + 0.8 * rain)
... }
... ''')
>>> out = stability(bound, runs=4, seed=7)
>>> out["runs"], out["edges"]["rain - wet"], sorted(out["codes"])
(4, 1.0, ['bic', 'direct', 'nml', 'paper'])
>>> stability(bound, runs=4, seed=7) == out  # the seed reproduces it
True
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from kdsl.codes import BUILTIN_CODES, get_code
from kdsl.codes.base import Code
from kdsl.data.bind import BoundModel, subsample
from kdsl.errors import KdslError

__all__ = ["stability", "DEFAULT_FRACTION"]

#: The share of each environment's rows a subsample keeps.
DEFAULT_FRACTION = 0.5


def _features(result) -> tuple[set[str], set[str], set[str]]:
    """The best program's edges (unordered), orientations and shifted variables."""
    if result.best is None:
        return set(), set(), set()
    best = result.program(result.best)
    edges = {" - ".join(sorted((a, b))) for a, b in best.edges}
    orientations = {f"{a} -> {b}" for a, b in best.edges}
    targets = {v for v, groups in best.shifts.items() if len(groups) > 1}
    return edges, orientations, targets


def _switched(current: Code, other: Code) -> Code:
    """``other``, keeping the options of ``current`` it also takes (so ``paper(precision = 12)`` stays at 12)."""
    return other.with_options(**{k: v for k, v in current.options().items() if k in other.option_defaults})


def _frequencies(counts: Counter, runs: int) -> dict[str, float]:
    return {name: count / runs for name, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def stability(bound: BoundModel, runs: int, seed: int = 0, fraction: float = DEFAULT_FRACTION) -> dict[str, Any]:
    """The verdict over ``runs`` seeded subsamples and under every built-in code (see the module doc).

    Returns plain data (the ``stability`` object of the JSON): ``runs``,
    ``seed``, ``fraction``, the frequencies ``edges`` (``"A - B"``),
    ``orientations`` (``"A -> B"``) and ``targets``, ``best`` (how often each
    program name wins), and ``codes``: per code, the best program and causes
    on the full data (or the error that code gives).
    """
    from kdsl.verdict.solver import solve_bound

    if runs < 1:
        raise ValueError(f"stability needs at least 1 run, got {runs}")
    if not 0 < fraction < 1:
        raise ValueError(f"the subsample fraction must be between 0 and 1, got {fraction}")
    counts: dict[str, Counter] = {"edges": Counter(), "orientations": Counter(), "targets": Counter(),
                                  "best": Counter()}
    for run in range(runs):
        result = solve_bound(subsample(bound, fraction=fraction, seed=(seed, run)), margins=False, stability=0)
        for kind, found in zip(("edges", "orientations", "targets"), _features(result)):
            counts[kind].update(found)
        counts["best"][result.best or "(none)"] += 1
    codes: dict[str, dict[str, Any]] = {}
    model = bound.model
    for code in BUILTIN_CODES:
        other = BoundModel(replace(model, code=_switched(model.code, get_code(code))), bound.environments)
        try:
            result = solve_bound(other, margins=False, stability=0)
        except KdslError as err:
            codes[code] = {"best": None, "causes": [], "error": err.message}
            continue
        codes[code] = {"best": result.best, "causes": [list(c) for c in result.causes],
                       "edges": [list(e) for e in result.program(result.best).edges] if result.best else []}
    return {"runs": runs, "seed": seed, "fraction": fraction,
            **{kind: _frequencies(c, runs) for kind, c in counts.items()}, "codes": codes}

"""What a chosen mechanism stores, and what each environment's rows cost under it.

A program's length says how many bits each variable's data cost over all
environments (``Choice.data_bits``). Here the same bits are split by
environment, and a table mechanism's stored tables are given per environment
(the table of the group it belongs to), for reports (the widgets' chart, the
JSON) and for :meth:`kdsl.verdict.result.ProgramResult.to_pgmpy`. Nothing here
is on the scoring path: it runs for the programs a result reports.

* :func:`environment_data_bits` -- each environment's data bits (they add up
  to the choice's data bits, up to float rounding); None for a free
  mechanism of a real variable, whose fit is not kept.
* :func:`environment_tables` -- for a table (free, invariant, or reused
  through a symmetry), each environment's conditional table
  ``table[p1, ..., pn, x]`` over its parents' values, as the code stores it.
"""

from __future__ import annotations

import math

import numpy as np

from kdsl.data.bind import BoundModel
from kdsl.lengths.score import Choice, MechanismProfile, _slot_label, template_costs
from kdsl.mechanisms import tables

__all__ = ["environment_data_bits", "environment_tables", "TABLE_KINDS"]

#: Template kinds whose mechanism is a stored conditional table.
TABLE_KINDS = ("table", "invariant", "reuse")


def _group_of(choice: Choice, n_env: int) -> list[int]:
    out = [0] * n_env
    for g, members in enumerate(choice.groups):
        for e in members:
            out[e] = g
    return out


def _counts(bound: BoundModel, mp: MechanismProfile, choice: Choice) -> tuple[np.ndarray, np.ndarray]:
    """This variable's counts ``[e, j, x]`` and the counts its stored tables are fitted to (a reuse class's pooled;
    over the chosen bins of real parents)."""
    model = bound.model
    template = mp.template
    parents = [model.variables[p] for p in template.parents]
    symmetry = model.symmetries[template.symmetry] if template.kind == "invariant" else None
    mine = tables.count_tables(bound, model.variables[mp.var], parents, symmetry, choice.bins)
    if not mp.shares:
        return mine, mine
    joint = np.sum([tables.count_tables(bound, model.variables[v], parents) for v in mp.shares], axis=0)
    return mine, joint


def _stored(bound: BoundModel, pooled: np.ndarray) -> np.ndarray:
    """The table ``[j, x]`` the code stores for pooled counts; a parent configuration never seen is uniform."""
    table = bound.model.code.table_probabilities(pooled[None])[0]
    table[table.sum(-1) == 0] = 1.0 / table.shape[-1]
    return table


def _group_tables(bound: BoundModel, mp: MechanismProfile, choice: Choice) -> tuple[np.ndarray, list[np.ndarray]]:
    """This variable's counts, and the stored table ``[j, x]`` of each group of environments."""
    mine, fitted = _counts(bound, mp, choice)
    return mine, [_stored(bound, fitted[list(g)].sum(0)) for g in choice.groups]


def environment_data_bits(bound: BoundModel, mp: MechanismProfile, choice: Choice,
                          costs: dict | None = None) -> tuple[float, ...] | None:
    """Each environment's data bits under the mechanism its group uses (None for a free real mechanism, and for a
    table over a real parent whose range no bins describe).

    ``costs`` caches :func:`~kdsl.lengths.score.template_costs` by template across calls.
    """
    n_env = len(bound.environments)
    kind = mp.template.kind
    if kind in TABLE_KINDS and choice.bins == 0 and any(bound.model.variables[p].is_real for p in mp.template.parents):
        return None  # a table over a real parent that no bins describe: no finite length (choice.impossible)
    if kind in TABLE_KINDS:
        mine, stored = _group_tables(bound, mp, choice)
        group = _group_of(choice, n_env)
        out = []
        for e in range(n_env):
            seen = mine[e] > 0
            with np.errstate(divide="ignore"):
                out.append(float(-np.sum(mine[e][seen] * np.log2(stored[group[e]][seen]))))
        return tuple(out)
    if kind != "family":
        return None
    template = mp.template
    cost = costs.get(template) if costs is not None else None
    if cost is None:
        cost = template_costs(bound, template)
        if costs is not None:
            costs[template] = cost
    if not template.slots:
        return tuple(float(c) for c in cost)
    index = {_slot_label(template, i): i for i in np.ndindex(*(s.size for s in template.slots))}
    return tuple(float(cost[(e, *index[label])]) if label in index else math.inf
                 for e, label in enumerate(choice.labels))


def environment_tables(bound: BoundModel, mp: MechanismProfile, choice: Choice) -> tuple[np.ndarray, ...] | None:
    """Each environment's conditional table ``[p1, ..., pn, x]`` (parents in the template's order), or None.

    None unless the mechanism is a table (:data:`TABLE_KINDS`) over discrete parents (a table over a real
    parent's bins has no row per parent value). An invariant
    table is stored over the orbits of its parents' configurations; here it
    is spread back over every configuration.
    """
    template = mp.template
    model = bound.model
    if template.kind not in TABLE_KINDS or any(model.variables[p].is_real for p in template.parents):
        return None
    _, stored = _group_tables(bound, mp, choice)
    parents = [model.variables[p] for p in template.parents]
    sizes = [p.size for p in parents]
    configuration = np.zeros(sizes, dtype=np.int64)  # each parent configuration's row j of the stored table
    symmetry = model.symmetries[template.symmetry] if template.kind == "invariant" else None
    for axis, var in enumerate(parents):
        orbit, count = tables.orbit_index(var, symmetry)
        shape = [1] * len(parents)
        shape[axis] = var.size
        configuration = configuration * count + orbit.reshape(shape)
    group = _group_of(choice, len(bound.environments))
    spread = [table[configuration] for table in stored]
    return tuple(spread[group[e]] for e in range(len(bound.environments)))

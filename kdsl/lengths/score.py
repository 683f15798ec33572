"""Compile lengths: each mechanism's cost for every number k of distinct
mechanisms it uses, and a program's profile over the total k.

A program's length is model bits + data bits (docs/language.md, "Code"); every
number below that a code decides comes from the model's code object
(:class:`kdsl.codes.base.Code`). Under the built-in codes:

* a template's slots (``where`` parameters) choose a candidate per
  environment; ``paper`` and ``bic`` count the compressed selection
  ``l = log C(M,k) + log S(N,k) + log k! + log k`` per slot, ``nml`` its
  prefix-code form ``log min(N,M) + log C(M,k) + log S(N,k) + log k!``,
  ``direct`` counts ``N log M``; a fixed slot costs ``log M`` under every code;
* free and invariant tables group the environments: ``log N + log S(N,k)``
  for the grouping, plus each distinct table's parameter bits by the code;
* structure: ``log d + log C(d-1, |parents|)`` per variable except under ``bic``;
* under ``paper`` the selection and grouping bits ``l`` of the whole program
  enter as ``2 l + 1``.

Everything a program adds up is additive over variables, so the shortest
program with exactly k distinct mechanisms is a min-plus convolution of the
per-variable profiles.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from kdsl import sharing
from kdsl.codes import formulas as codes
from kdsl.codes.base import Code
from kdsl.data.bind import BoundModel
from kdsl.errors import BudgetError, ModelError
from kdsl.language.expr import numeric
from kdsl.language.model import Hypothesis, Mechanism, Model, Template
from kdsl.mechanisms import bins, regression, tables
from kdsl.mechanisms.families import FamilyParameterError, log2_prob

__all__ = ["Choice", "MechanismProfile", "ProgramProfile", "ProgramTerms", "Term", "TERM_KINDS", "mechanism_profile",
           "length_breakdown", "program_profile", "program_terms", "regression_profiles", "reuse_profiles"]

#: Rows x candidates evaluated in one numpy call when building cost matrices.
_CHUNK = 1 << 22
#: Up to this many environments, free tables are grouped by the exact subset DP.
PARTITION_EXACT_MAX = 14
#: ... as long as the pooled count tables of all subsets stay below this many numbers.
PARTITION_EXACT_CELLS = 50_000_000


def _grouping_bits(code: Code, n_env: int, k: int) -> float:
    return code.bits("grouping_bits", n_env, k)


@dataclass(frozen=True)
class Choice:
    """One way to realise a mechanism across the environments.

    ``k`` distinct mechanisms (summed over a template's slots; the number of
    distinct tables for a table), the bits it costs, and for each environment
    which stored mechanism it uses.
    """

    k: int
    data_bits: float
    selection_bits: float  # l: selection or grouping, before the paper's 2 l + 1
    table_bits: float  # parameter bits of the stored tables (0 for templates)
    groups: tuple[tuple[int, ...], ...]  # environment indices sharing one mechanism
    labels: tuple[str, ...]  # per environment, what it uses, e.g. "t=0.1"
    slot_k: tuple[int, ...] = ()
    impossible: str | None = None  # why the data are impossible (inf data bits)
    reference_bits: float = 0.0  # a variable reusing another's stored table names the group element
    blocks: int | None = None  # blocks of environments chosen over, when declared targets merge some (else N)
    bins_bits: float = 0.0  # of table_bits: a table's number of bins over its real parents (Elias gamma)
    bins: int = 0  # a table over real parents: the number of bins of each (kdsl.mechanisms.bins)

    def local_bits(self, weight: int) -> float:
        return self.data_bits + weight * self.selection_bits + self.table_bits + self.reference_bits


@dataclass(frozen=True)
class MechanismProfile:
    """A mechanism's best choice for every k it can use."""

    var: str
    mechanism: Mechanism
    structure_bits: float
    best: dict[int, Choice]  # shortest (by local bits) for each k
    min_data: dict[int, float] | None  # least data bits for each k (None when not computed)
    exact: bool = True
    method: str = ""
    shares: tuple[str, ...] = ()  # a reuse class: its variables, the one storing the table first
    symmetry_size: int = 0  # a reuse class: how many variables its permute symmetry acts on (m)

    @property
    def stores(self) -> bool:
        """Whether this variable's bits include the stored table (False when it reuses another's)."""
        return not self.shares or self.shares[0] == self.var

    @property
    def template(self) -> Template:
        return self.mechanism.template


@dataclass(frozen=True)
class ProgramProfile:
    """A program's shortest realisation for every total k."""

    hypothesis: Hypothesis
    code: Code
    mechanisms: tuple[MechanismProfile, ...]
    by_k: dict[int, tuple[float, tuple[Choice, ...]]]  # k -> (total bits, one choice per mechanism)
    min_data: dict[int, float]
    constant_bits: float  # the paper's +1 and the structure bits
    exact: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)

    def best_k(self) -> int | None:
        finite = [(total, k) for k, (total, _) in self.by_k.items() if math.isfinite(total)]
        if not finite:
            return None
        return min(finite)[1]


# ---------------------------------------------------------------------- declared targets
def environment_blocks(bound: BoundModel, variables: tuple[str, ...]) -> tuple[tuple[int, ...], ...]:
    """The blocks of environments whose mechanisms for ``variables`` may differ, ordered by first member.

    For a variable V, the environments with a ``targets`` line that does not
    name V share V's mechanism: they form one block. Every other environment
    is a block of its own. For several variables (a reuse class, which
    groups the environments once for all its members), the blocks of each
    are joined.

    >>> import kdsl
    >>> bound = kdsl.load('''
    ... var A in 0..1
    ... var B in 0..1
    ... simulate envs e0, e1, e2, e3 n 5 seed 1 {
    ...     A ~ bernoulli(0.5)
    ...     B ~ bernoulli(0.5)
    ... }
    ... search {
    ...     targets e0: none
    ...     targets e2: A
    ...     targets e3: B
    ... }
    ... ''')
    >>> environment_blocks(bound, ("A",)), environment_blocks(bound, ("B",)), environment_blocks(bound, ("A", "B"))
    (((0, 3), (1,), (2,)), ((0, 2), (1,), (3,)), ((0, 2, 3), (1,)))
    """
    names = bound.names
    block = list(range(len(names)))  # union-find over environment indices

    def root(e: int) -> int:
        while block[e] != e:
            e = block[e]
        return e

    search = bound.model.search
    declared = {t.env: set(t.variables) for t in search.targets} if search is not None else {}
    for var in variables:
        shared = [e for e, name in enumerate(names) if name in declared and var not in declared[name]]
        for e in shared[1:]:
            block[root(e)] = root(shared[0])
    members: dict[int, list[int]] = {}
    for e in range(len(names)):
        members.setdefault(root(e), []).append(e)
    return tuple(sorted(tuple(m) for m in members.values()))


def _blocks_count(blocks: tuple[tuple[int, ...], ...], n_env: int) -> int | None:
    """What :attr:`Choice.blocks` records: the number of blocks when targets merge environments, else None."""
    return None if len(blocks) == n_env else len(blocks)


def _merge_rows(array: np.ndarray, blocks: tuple[tuple[int, ...], ...]) -> np.ndarray:
    """Per block, the sum of its environments' rows of ``array`` (the array itself when no block merges)."""
    if len(blocks) == len(array):
        return array
    return np.stack([array[list(b)].sum(0) for b in blocks])


def _expand(groups: list[list[int]], blocks: tuple[tuple[int, ...], ...]) -> list[list[int]]:
    """Groups of blocks as groups of the environments in them."""
    return [sorted(e for b in group for e in blocks[b]) for group in groups]


# ---------------------------------------------------------------------- templates
def _candidate_mesh(template: Template) -> list[np.ndarray]:
    if not template.slots:
        return []
    grids = np.meshgrid(*[np.asarray(s.values, dtype=float) for s in template.slots], indexing="ij")
    return [g.ravel() for g in grids]


def _unique_rows(columns: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    stacked = np.column_stack([c.astype(np.float64) for c in columns])
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(np.float64)


def _locate(model: Model, template: Template, index: int | None, env: str, err: Exception) -> ModelError:
    spans = template.arg_spans
    span = spans[index] if index is not None and index < len(spans) else template.span
    return model.source.error(f"in environment '{env}': invalid parameter of {template.family}: {err}", span,
                              kind=ModelError)


def template_costs(bound: BoundModel, template: Template) -> np.ndarray:
    """Data bits of ``template.child`` in each environment under each candidate.

    Shape ``(N, M1, ..., Ms)`` for a template with s slots (``(N,)`` for none).
    Rows are grouped into distinct (child, parents) tuples with counts, so the
    work grows with distinct rows, not rows.
    """
    model = bound.model
    child = model.variables[template.child]
    mesh = _candidate_mesh(template)
    n_cand = len(mesh[0]) if mesh else 1
    symbols = [*template.parent_symbols, *(s.symbol for s in template.slots)]
    fns = [numeric(a, symbols) for a in template.args]
    out = np.empty((len(bound.environments), n_cand))
    for e, env in enumerate(bound.environments):
        cols, counts = _unique_rows([env.columns[template.child], *(env.columns[p] for p in template.parents)])
        x, parents = cols[0], cols[1:]
        step = max(1, _CHUNK // max(len(x), 1))
        for start in range(0, n_cand, step):
            stop = min(n_cand, start + step)
            values = [*(p[None, :] for p in parents), *(m[start:stop, None] for m in mesh)]
            args = [f(*values) for f in fns]
            try:
                lp = log2_prob(template.family, args, x[None, :], child.domain)
            except FamilyParameterError as err:
                raise _locate(model, template, err.arg_index, env.name, err) from None
            with np.errstate(invalid="ignore"):
                out[e, start:stop] = -(lp * counts[None, :]).sum(-1)
    return out.reshape((len(bound.environments), *(s.size for s in template.slots)))


def _impossible_row(bound: BoundModel, template: Template, env_index: int) -> str:
    """Name the first row of an environment that no candidate can produce."""
    model = bound.model
    env = bound.environments[env_index]
    child = model.variables[template.child]
    mesh = _candidate_mesh(template)
    symbols = [*template.parent_symbols, *(s.symbol for s in template.slots)]
    parents = [env.columns[p].astype(float) for p in template.parents]
    values = [*(p[None, :] for p in parents), *(m[:, None] for m in mesh)]
    args = [numeric(a, symbols)(*values) for a in template.args]
    x = env.columns[template.child].astype(float)
    best = log2_prob(template.family, args, x[None, :], child.domain).max(0)
    bad = np.flatnonzero(~np.isfinite(best))
    if not bad.size:
        return f"environment '{env.name}' has no finite length under {template.describe()}"
    i = int(bad[0])
    shown = ", ".join(f"{v}={model.variables[v].value_name(env.columns[v][i])}" for v in (template.child, *template.parents))
    return (f"row {i + 1} of environment '{env.name}' ({shown}) is impossible under every candidate of "
            f"{template.name or template.describe()}")


def _slot_label(template: Template, index: tuple[int, ...]) -> str:
    return ", ".join(f"{s.name}={s.values[i]:g}" for s, i in zip(template.slots, index))


def _groups_of(assignment: list[tuple]) -> tuple[tuple[int, ...], ...]:
    groups: dict[tuple, list[int]] = {}
    for e, key in enumerate(assignment):
        groups.setdefault(key, []).append(e)
    return tuple(tuple(g) for g in sorted(groups.values()))


def _slot_selection_bits(code: Code, n_env: int, size: int, k: int, fixed: bool) -> float:
    if fixed:
        return code.bits("fixed_slot_bits", size)
    return code.bits("slot_selection_bits", n_env, size, k)


def _template_profile(bound: BoundModel, mech: Mechanism, code: Code) -> tuple[dict, dict, bool, str]:
    template = mech.template
    n_env = len(bound.environments)
    weight = code.selection_weight
    cost = template_costs(bound, template)
    if not template.slots:
        data = float(cost.sum())
        reason = None
        if not math.isfinite(data):
            reason = _impossible_row(bound, template, int(np.flatnonzero(~np.isfinite(cost))[0]))
        choice = Choice(0, data, 0.0, 0.0, (tuple(range(n_env)),), ("",) * n_env, impossible=reason)
        return {0: choice}, {0: data}, True, "no slots"
    sizes = [s.size for s in template.slots]
    if mech.fixed:
        pooled = cost.reshape(n_env, -1).sum(0)
        c = int(np.argmin(pooled))
        index = np.unravel_index(c, sizes)
        data = float(pooled[c])
        sel = sum(_slot_selection_bits(code, n_env, m, 1, True) for m in sizes)
        reason = None
        if not math.isfinite(data):
            reason = _impossible_row(bound, template, int(np.flatnonzero(~np.isfinite(cost.reshape(n_env, -1)[:, c]))[0]))
        label = _slot_label(template, tuple(index))
        k = len(sizes)
        choice = Choice(k, data, sel, 0.0, (tuple(range(n_env)),), (label,) * n_env, (1,) * k, impossible=reason)
        return {k: choice}, {k: data}, True, "fixed"

    try:
        return _shared_template_profile(bound, mech, code, cost, sizes, weight)
    except BudgetError as err:
        model = bound.model
        raise model.source.error(
            f"choosing which environments share {template.name or template.describe()}'s candidates: {err.message}",
            template.span, kind=BudgetError, hint="use fewer candidates or environments, or `fixed`",
        ) from None


def _shared_template_profile(bound: BoundModel, mech: Mechanism, code: Code, cost: np.ndarray, sizes: list[int],
                             weight: int) -> tuple[dict, dict, bool, str]:
    """Each k's best selection, made over the blocks of environments the declared targets leave free to differ."""
    template = mech.template
    n_env = len(bound.environments)
    blocks = environment_blocks(bound, (mech.var,))
    block_of = [b for e in range(n_env) for b, members in enumerate(blocks) if e in members]
    merged = _merge_rows(cost, blocks)
    if len(sizes) == 1:
        prof = sharing.best_selection_by_k(merged)
        per_k = {}
        for k in range(1, len(prof.bits)):
            if not math.isfinite(prof.bits[k]):
                continue
            per_k[(k,)] = (float(prof.bits[k]), [(int(prof.assignment[k][b]),) for b in block_of])
        exact, method = prof.exact, prof.method
    else:
        prof = sharing.best_coupled_selection(merged)
        per_k = {}
        for ks in np.ndindex(*prof.bits.shape):
            bits = prof.bits[ks]
            if math.isfinite(bits):
                assign = prof.assignment[ks]  # (slots, blocks)
                per_k[tuple(int(x) for x in ks)] = (float(bits), [tuple(int(i) for i in assign[:, b])
                                                                  for b in block_of])
        exact, method = prof.exact, prof.method
    best: dict[int, Choice] = {}
    min_data: dict[int, float] = {}
    for ks, (data, assign) in per_k.items():
        sel = sum(_slot_selection_bits(code, len(blocks), m, kk, False) for m, kk in zip(sizes, ks))
        total_k = sum(ks)
        labels = tuple(_slot_label(template, a) for a in assign)
        choice = Choice(total_k, data, sel, 0.0, _groups_of(assign), labels, tuple(ks),
                        blocks=_blocks_count(blocks, n_env))
        if total_k not in best or choice.local_bits(weight) < best[total_k].local_bits(weight):
            best[total_k] = choice
        min_data[total_k] = min(min_data.get(total_k, math.inf), data)
    if not best:
        per_env = cost.reshape(n_env, -1).min(1)
        bad = int(np.flatnonzero(~np.isfinite(per_env))[0]) if (~np.isfinite(per_env)).any() else 0
        reason = _impossible_row(bound, template, bad)
        choice = Choice(1, math.inf, 0.0, 0.0, (tuple(range(n_env)),), ("",) * n_env, impossible=reason)
        best, min_data = {len(sizes): choice}, {len(sizes): math.inf}
    return best, min_data, exact, method


# ---------------------------------------------------------------------- tables
@dataclass(frozen=True)
class _TableSharing:
    """How environments share free tables, for every k: the shortest grouping, and the least data bits.

    ``best[k]`` holds the groups and, per group, its data bits, parameter
    bits and rows; ``least_data[k]`` the groups with the least data bits
    (None where they are those of ``best``, as under ``paper`` and ``direct``).
    """

    best: dict[int, tuple[list[list[int]], list[float], list[float], list[float]]]
    least_data: dict[int, tuple[list[list[int]], float]] | None
    exact: bool
    method: str


def _subset_costs(counts: np.ndarray, code: Code) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Data bits, parameter bits and rows of one table for every subset of environments (the empty one inf)."""
    data, param, rows = tables.group_costs(tables.subset_counts(counts), code)
    data[0] = param[0] = math.inf
    return data, param, rows


def _table_sharing(counts: np.ndarray, code: Code, fixed: bool, with_min_data: bool) -> _TableSharing:
    """Group the environments of ``counts[e, j, x]`` into shared tables, for every number of tables."""
    n_env = counts.shape[0]
    if fixed:
        pooled = counts.sum(0, keepdims=True)
        data, param, rows = tables.group_costs(pooled, code)
        return _TableSharing({1: ([list(range(n_env))], [data[0]], [param[0]], [rows[0]])}, None, True, "fixed")
    constant_param = not code.table_parameters_vary or not with_min_data
    if n_env <= PARTITION_EXACT_MAX and (1 << n_env) * counts[0].size <= PARTITION_EXACT_CELLS:
        data, param, rows = _subset_costs(counts, code)
        total_prof = sharing.best_partition_by_k(data + param)
        # the least data bits per k (for the profile); the same partition when parameter bits do not vary by group
        data_prof = None if constant_param else sharing.best_partition_by_k(data)
        best, least = {}, None if data_prof is None else {}
        for k in range(1, n_env + 1):
            parts = total_prof.partitions[k]
            if parts is None:
                continue
            masks = [sum(1 << e for e in g) for g in parts]
            best[k] = ([list(g) for g in parts], [data[m] for m in masks], [param[m] for m in masks],
                       [rows[m] for m in masks])
            if least is not None:
                least[k] = ([list(g) for g in data_prof.partitions[k]], float(data_prof.bits[k]))
        return _TableSharing(best, least, True, "exact partition DP")

    def block_costs(members) -> tuple[float, float]:
        d, p, _ = tables.group_costs(counts[list(members)].sum(0, keepdims=True), code)
        return float(d[0]), float(p[0])

    total_prof = sharing.greedy_partition_by_k(lambda g: sum(block_costs(g)), n_envs=n_env)
    data_prof = None if constant_param else sharing.greedy_partition_by_k(lambda g: block_costs(g)[0], n_envs=n_env)
    best, least = {}, None if data_prof is None else {}
    for k in range(1, n_env + 1):
        parts = total_prof.partitions[k]
        if parts is None:
            continue
        pooled = np.stack([counts[list(g)].sum(0) for g in parts])
        d, p, r = tables.group_costs(pooled, code)
        best[k] = ([list(g) for g in parts], list(d), list(p), list(r))
        if least is not None:
            least[k] = ([list(g) for g in data_prof.partitions[k]], float(data_prof.bits[k]))
    return _TableSharing(best, least, False, "greedy merging (heuristic)")


def _block_table_sharing(counts: np.ndarray, blocks: tuple[tuple[int, ...], ...], code: Code, fixed: bool,
                         with_min_data: bool) -> _TableSharing:
    """:func:`_table_sharing` over blocks of environments (each block's counts pooled), groups given as environments."""
    if len(blocks) == len(counts):
        return _table_sharing(counts, code, fixed, with_min_data)
    shared = _table_sharing(_merge_rows(counts, blocks), code, fixed, with_min_data)
    best = {k: (_expand(groups, blocks), *rest) for k, (groups, *rest) in shared.best.items()}
    least = None if shared.least_data is None else {k: (_expand(groups, blocks), bits)
                                                    for k, (groups, bits) in shared.least_data.items()}
    return _TableSharing(best, least, shared.exact, shared.method)


def _table_labels(groups: list[list[int]], n_env: int, what: str = "") -> tuple[str, ...]:
    labels = [""] * n_env
    for g, members in enumerate(groups):
        for e in members:
            labels[e] = f"table {g + 1}" + (f" ({what})" if what else "")
    return tuple(labels)


def _table_variants(bound: BoundModel, template: Template) -> list[tuple[float, np.ndarray, int]]:
    """(choice bits, counts[e, j, x], bins) for every table the code may choose: one (bins 0), or with real parents
    one per number of bins (:mod:`kdsl.mechanisms.bins`), paying the Elias gamma code of the number of bins.

    Empty when a real parent's range spans more cells than a float holds (no bins describe it).
    """
    model = bound.model
    child = model.variables[template.child]
    parents = [model.variables[p] for p in template.parents]
    symmetry = model.symmetries[template.symmetry] if template.kind == "invariant" else None
    real = [p for p in parents if p.is_real]
    if not real:
        return [(0.0, tables.count_tables(bound, child, parents, symmetry), 0)]
    cells = min(bins.value_range(bound, p)[1] for p in real)
    if not math.isfinite(cells):
        return []
    rows = sum(env.rows for env in bound.environments)
    return [(float(regression.elias_gamma_bits(np.array(b))), tables.count_tables(bound, child, parents, symmetry, b),
             b) for b in bins.candidates(cells, rows, len(real))]


def _table_profile(bound: BoundModel, mech: Mechanism, code: Code,
                   with_min_data: bool = True) -> tuple[dict, dict, bool, str]:
    n_env = len(bound.environments)
    blocks = environment_blocks(bound, (mech.var,))
    best, min_data, exact, method = {}, {}, True, ""
    weight = code.selection_weight
    for extra, counts, n_bins in _table_variants(bound, mech.template):
        shared = _block_table_sharing(counts, blocks, code, mech.fixed, with_min_data)
        exact, method = exact and shared.exact, shared.method
        for k, (groups, data, param, _) in shared.best.items():
            choice = Choice(k, float(sum(data)), _grouping_bits(code, len(blocks), k), float(sum(param)) + extra,
                            tuple(tuple(g) for g in groups),
                            _table_labels(groups, n_env, f"{n_bins} bins" if n_bins else ""),
                            blocks=_blocks_count(blocks, n_env),
                            bins_bits=extra, bins=n_bins)
            if k not in best or choice.local_bits(weight) < best[k].local_bits(weight):
                best[k] = choice
            least = choice.data_bits if shared.least_data is None else shared.least_data[k][1]
            min_data[k] = min(min_data.get(k, math.inf), least)
    if not best:
        everyone = tuple(range(n_env))
        best[1] = Choice(1, math.inf, _grouping_bits(code, len(blocks), 1), math.inf, (everyone,),
                         ("table 1",) * n_env, impossible=f"{mech.template.describe()} for {mech.var} has no finite "
                         "length: a real parent's range spans more recording cells than a float holds")
        min_data[1] = math.inf
    return best, min_data, exact, method


def _noise_text(template: Template) -> str:
    """What the data bits of a regression with histogram noise are (``explain``)."""
    if template.kind != "regression" or template.noise != "histogram":
        return ""
    return (": each residual, in whole cells from its prediction's cell, as its bin of the residual histogram and "
            "its cell in the bin (regression.histogram_noise_data_formula)")


def _regression_profile(bound: BoundModel, mech: Mechanism, code: Code,
                        with_min_data: bool) -> tuple[dict, dict | None, bool, str]:
    """A free mechanism of a real variable (:mod:`kdsl.mechanisms.regression`), as choices per k (no least data bits
    without ``with_min_data``)."""
    return _regression_choices(bound, [mech], code, with_min_data)[0]


def _regression_choices(bound: BoundModel, mechs: list[Mechanism], code: Code,
                        with_min_data: bool) -> list[tuple[dict, dict | None, bool, str]]:
    """:func:`_regression_profile` of free mechanisms of one variable with one fixedness, fitted together."""
    var, fixed = mechs[0].var, mechs[0].fixed
    blocks = environment_blocks(bound, (var,))
    n_blocks = _blocks_count(blocks, len(bound.environments))
    out = []
    for mech, (rows, least, exact, method) in zip(mechs, regression.regression_profiles(
            bound, [m.template for m in mechs], code, fixed, functools.partial(_grouping_bits, code),
            code.selection_weight, with_min_data, blocks)):
        best = {}
        for k, (data, sel, param, groups, labels) in rows.items():
            reason = None if math.isfinite(data + param) else (
                f"{mech.template.describe()} for {var} has no finite length under `code {code.name}`: " + (
                    "its residuals span more recording cells than a float counts exactly" if mech.template.noise ==
                    "histogram" else "a group of environments has no more rows than coefficients"))
            best[k] = Choice(k, data if reason is None else math.inf, sel, param, groups, labels,
                             impossible=reason, blocks=n_blocks)
        out.append((best, least if with_min_data else None, exact, method))
    return out


def regression_profiles(bound: BoundModel, mechs: list[Mechanism], with_min_data: bool = False) -> list[MechanismProfile]:
    """:func:`mechanism_profile` of many free mechanisms of real variables, their regressions fitted together
    (those of one variable and fixedness in one :func:`kdsl.mechanisms.regression.regression_profiles`); each
    profile is the same, bit for bit, as alone.

    >>> import kdsl
    >>> from kdsl.language.model import Template
    >>> bound = kdsl.load("var X real step 0.1\\nvar Y real step 0.1\\nvar Z real step 0.1\\nenv e from e",
    ...                   data={"e": {"X": [0.1, 0.5, 0.2, 0.9], "Y": [1.0, 1.3, 0.2, 0.4], "Z": [0.0, 0.1, 0.3, 0.3]}})
    >>> at = bound.model.variables["Y"].span
    >>> mechs = [Mechanism("Y", Template(None, "Y", p, "regression", family="linear", span=at), False, at)
    ...          for p in [("X",), ("Z",), ("X", "Z")]]
    >>> [p.best for p in regression_profiles(bound, mechs)] == [mechanism_profile(bound, m, False).best for m in mechs]
    True
    """
    model = bound.model
    code = model.code
    out: list[MechanismProfile | None] = [None] * len(mechs)
    together: dict[tuple[str, bool], list[int]] = {}
    for i, mech in enumerate(mechs):
        together.setdefault((mech.var, mech.fixed), []).append(i)
    structure: dict[int, float] = {}
    for members in together.values():
        for i, (best, min_data, exact, method) in zip(members, _regression_choices(
                bound, [mechs[i] for i in members], code, with_min_data)):
            p = len(mechs[i].parents)
            if p not in structure:
                structure[p] = code.bits("structure_bits", len(model.variables), p)
            out[i] = MechanismProfile(mechs[i].var, mechs[i], structure[p], best, min_data, exact, method)
    return out


def table_local_bits(bound: BoundModel, mech: Mechanism) -> float:
    """A free or invariant table's shortest local bits over every k, plus its structure bits.

    The number a search ranks parent sets by: the least
    ``Choice.local_bits`` of :func:`mechanism_profile` plus its structure
    bits, up to float rounding (with up to 8 environments the groups' bits
    are added in another order), without building the choices: a search
    scores thousands of parent sets and reports few, whose lengths then
    come from their profiles. :func:`table_local_bits_many` of one table.
    """
    return table_local_bits_many(bound, [mech])[0]


#: Tables scored together in one batch of :func:`table_local_bits_many` (bounds its temporaries to a few MB).
_BATCH = 256


def _binned_table_local_bits(bound: BoundModel, mech: Mechanism) -> float:
    """:func:`table_local_bits` of a table over real parents' bins: the least over every number of bins."""
    model = bound.model
    code = model.code
    blocks = environment_blocks(bound, (mech.var,))
    n_free = len(blocks)
    weight = code.selection_weight
    best = math.inf
    for extra, counts, _ in _table_variants(bound, mech.template):
        counts = _merge_rows(counts, blocks)
        if not mech.fixed and n_free <= sharing.PARTITION_ENUMERATE_MAX:
            data, param, _ = _subset_costs(counts, code)
            by_k = sharing.least_partition_bits(data + param)
            bits = min(float(by_k[k]) + weight * _grouping_bits(code, n_free, k) for k in range(1, n_free + 1))
        else:
            shared = _table_sharing(counts, code, mech.fixed, with_min_data=False)
            bits = min(float(sum(data)) + weight * _grouping_bits(code, n_free, k) + float(sum(param))
                       for k, (_, data, param, _) in shared.best.items())
        best = min(best, bits + extra)
    return best + code.bits("structure_bits", len(model.variables), len(mech.template.parents))


def table_local_bits_many(bound: BoundModel, mechs: list[Mechanism]) -> list[float]:
    """:func:`table_local_bits` of many tables; those of equal shape share each numpy pass.

    Each table's numbers are the same as alone: every step is elementwise or
    a reduction along a table's own axis, whatever the tables beside it.

    >>> import kdsl
    >>> from kdsl.language.model import Template
    >>> bound = kdsl.load("var A in 0..1\\nvar B in 0..1\\nenvs from f by e",
    ...                   data={"f": {"e": [0, 0, 1, 1], "A": [0, 1, 1, 1], "B": [1, 1, 0, 1]}})
    >>> at = bound.model.variables["A"].span
    >>> mechs = [Mechanism(v, Template(None, v, p, "table", span=at), False, at) for v, p in [("A", ()), ("B", ("A",))]]
    >>> table_local_bits_many(bound, mechs) == [table_local_bits_many(bound, [m])[0] for m in mechs]
    True
    """
    model = bound.model
    code = model.code
    weight = code.selection_weight
    out: list[float] = [math.nan] * len(mechs)
    batches: dict[tuple, list[tuple[int, np.ndarray]]] = {}
    blocks_of: dict[str, tuple[tuple[int, ...], ...]] = {}
    for i, mech in enumerate(mechs):
        template = mech.template
        parents = [model.variables[p] for p in template.parents]
        if any(p.is_real for p in parents):
            out[i] = _binned_table_local_bits(bound, mech)
            continue
        symmetry = model.symmetries[template.symmetry] if template.kind == "invariant" else None
        blocks = blocks_of.get(mech.var) or blocks_of.setdefault(mech.var, environment_blocks(bound, (mech.var,)))
        counts = _merge_rows(tables.count_tables(bound, model.variables[template.child], parents, symmetry), blocks)
        structure = code.bits("structure_bits", len(model.variables), len(template.parents))
        if mech.fixed or len(blocks) > sharing.PARTITION_ENUMERATE_MAX:
            shared = _table_sharing(counts, code, mech.fixed, with_min_data=False)
            out[i] = min(float(sum(data)) + weight * _grouping_bits(code, len(blocks), k) + float(sum(param))
                         for k, (_, data, param, _) in shared.best.items()) + structure
        else:
            batches.setdefault((counts.shape, structure), []).append((i, counts))
    for ((n_free, j, k_values), structure), members in batches.items():
        grouping = np.array([weight * _grouping_bits(code, n_free, k) for k in range(1, n_free + 1)])
        for start in range(0, len(members), _BATCH):
            part = members[start: start + _BATCH]
            stacked = np.stack([counts for _, counts in part], axis=1)  # [environment block, table, j, x]
            data, param, _ = tables.group_costs(tables.subset_counts(stacked).reshape(-1, j, k_values), code)
            cost = (data + param).reshape(1 << n_free, len(part)).T  # [table, subset of blocks]
            cost[:, 0] = math.inf
            best = (sharing.least_partition_bits(cost)[:, 1:] + grouping).min(axis=1) + structure
            for (i, _), bits in zip(part, best.tolist()):
                out[i] = bits
    return out


def _member_data_bits(member: np.ndarray, joint: np.ndarray, groups: list[list[int]], code: Code) -> float:
    """Data bits of one member of a reuse class under the tables fitted to the whole class's counts."""
    total = 0.0
    for g in groups:
        probs = code.table_probabilities(joint[g].sum(0)[None])[0]
        counted = member[g].sum(0)
        with np.errstate(divide="ignore"):
            total -= float(np.sum(counted[counted > 0] * np.log2(probs[counted > 0])))
    return total


def reuse_profiles(bound: BoundModel, mechanisms: list[Mechanism], with_min_data: bool = True) -> list[MechanismProfile]:
    """Profiles of the variables of one reuse class (``X ~ table(P) / S`` with a permute S), in the given order.

    The class stores one table per group of environments, fitted to the
    members' pooled counts; the first member in the symmetry's order pays
    for the grouping and the stored tables, every other member
    ``log2 m!`` reference bits (:func:`kdsl.codes.formulas.reference_bits`), and each
    member its own data bits and structure bits.
    """
    model = bound.model
    code = model.code
    symmetry = model.symmetries[mechanisms[0].template.symmetry]
    members = sorted(mechanisms, key=lambda m: symmetry.variables.index(m.var))
    owner = members[0]
    parents = [model.variables[p] for p in owner.parents]
    n_env = len(bound.environments)
    counts = {m.var: tables.count_tables(bound, model.variables[m.var], parents) for m in members}
    joint = np.sum(list(counts.values()), axis=0)
    blocks = environment_blocks(bound, tuple(m.var for m in members))
    shared = _block_table_sharing(joint, blocks, code, owner.fixed, with_min_data)
    reference = code.bits("reference_bits", len(symmetry.variables))
    structure = code.bits("structure_bits", len(model.variables), len(owner.parents))
    order = tuple(m.var for m in members)
    out = []
    for mech in mechanisms:
        stores = mech.var == owner.var
        best, min_data = {}, {}
        for k, (groups, data, param, _) in shared.best.items():
            mine = _member_data_bits(counts[mech.var], joint, groups, code)
            if not math.isfinite(float(sum(data))):
                mine = math.inf if stores else 0.0
            best[k] = Choice(k, mine, _grouping_bits(code, len(blocks), k) if stores else 0.0,
                             float(sum(param)) if stores else 0.0, tuple(tuple(g) for g in groups),
                             _table_labels(groups, n_env),
                             reference_bits=0.0 if stores else reference, blocks=_blocks_count(blocks, n_env))
            if shared.least_data is None:
                min_data[k] = best[k].data_bits
            else:
                min_data[k] = _member_data_bits(counts[mech.var], joint, shared.least_data[k][0], code)
        if not with_min_data and code.table_parameters_vary:
            min_data = None
        out.append(MechanismProfile(mech.var, mech, structure, best, min_data, shared.exact, shared.method, order,
                                    len(symmetry.variables)))
    return out


# ---------------------------------------------------------------------- programs
def mechanism_profile(bound: BoundModel, mech: Mechanism, with_min_data: bool = True) -> MechanismProfile:
    """Every k's best realisation of one mechanism of a hypothesis.

    ``with_min_data=False`` skips what only the reported profile needs (the
    least data bits for each k where they differ from the shortest choice's):
    a search's local scores do not use it. ``min_data`` is then None.
    """
    model = bound.model
    code = model.code
    structure = code.bits("structure_bits", len(model.variables), len(mech.parents))
    if mech.template.kind == "reuse":
        raise ValueError(f"{mech.var} reuses a table through '{mech.template.symmetry}': score its class with reuse_profiles")
    if mech.template.kind == "family":
        best, min_data, exact, method = _template_profile(bound, mech, code)
    elif mech.template.kind == "regression":
        best, min_data, exact, method = _regression_profile(bound, mech, code, with_min_data)
    elif mech.template.kind in ("table", "invariant"):
        best, min_data, exact, method = _table_profile(bound, mech, code, with_min_data)
        if not with_min_data and code.table_parameters_vary:
            min_data = None
    else:
        raise ValueError(f"{mech.var}: no length for a mechanism of kind {mech.template.kind!r}")
    return MechanismProfile(mech.var, mech, structure, best, min_data, exact, method)


def _convolve(profiles: list[dict[int, float]]) -> dict[int, tuple[float, tuple[int, ...]]]:
    """Min-plus convolution: for each total k, the least sum and the ks achieving it."""
    acc: dict[int, tuple[float, tuple[int, ...]]] = {0: (0.0, ())}
    for prof in profiles:
        nxt: dict[int, tuple[float, tuple[int, ...]]] = {}
        for k0, (v0, ks) in acc.items():
            for k1, v1 in prof.items():
                total = v0 + v1
                key = k0 + k1
                if key not in nxt or total < nxt[key][0]:
                    nxt[key] = (total, (*ks, k1))
        acc = nxt
    return acc


def reuse_key(mechanisms: list[Mechanism]) -> tuple:
    """The cache key of a reuse class: its symmetry, variables, parents and fixedness."""
    first = mechanisms[0]
    return ("reuse", first.template.symmetry, tuple(sorted(m.var for m in mechanisms)),
            tuple(sorted(first.parents)), first.fixed)


def _unit_profiles(bound: BoundModel, hypothesis: Hypothesis, cache: dict | None) -> tuple[list, list[list[int]]]:
    """Each mechanism's profile, and the units whose k move together (one variable, or one reuse class)."""
    profiles: list[MechanismProfile | None] = [None] * len(hypothesis.mechanisms)
    units: list[list[int]] = []
    classes: dict[str, list[int]] = {}
    for i, mech in enumerate(hypothesis.mechanisms):
        if mech.template.kind == "reuse":
            if mech.template.symmetry not in classes:
                classes[mech.template.symmetry] = []
                units.append(classes[mech.template.symmetry])
            classes[mech.template.symmetry].append(i)
            continue
        units.append([i])
        key = (mech.var, mech.template, mech.fixed)
        if cache is not None and key in cache and cache[key].min_data is not None:
            profiles[i] = cache[key]
            continue
        profiles[i] = mechanism_profile(bound, mech)
        if cache is not None:
            cache[key] = profiles[i]
    for indices in classes.values():
        members = [hypothesis.mechanisms[i] for i in indices]
        key = reuse_key(members)
        cached = cache.get(key) if cache is not None else None
        if cached is None or any(p.min_data is None for p in cached.values()):
            cached = {p.var: p for p in reuse_profiles(bound, members)}
            if cache is not None:
                cache[key] = cached
        for i in indices:
            profiles[i] = cached[hypothesis.mechanisms[i].var]
    return profiles, units


def program_profile(bound: BoundModel, hypothesis: Hypothesis,
                    cache: dict | None = None) -> ProgramProfile:
    """The program of ``hypothesis``: its shortest realisation for every total k.

    The variables of a reuse class share one k (their stored tables), so
    they enter the convolution together.
    """
    code = bound.model.code
    weight = code.selection_weight
    mechs, units = _unit_profiles(bound, hypothesis, cache)
    constant = code.constant_bits + sum(m.structure_bits for m in mechs)
    unit_totals = [{k: sum(mechs[i].best[k].local_bits(weight) for i in unit) for k in mechs[unit[0]].best}
                   for unit in units]
    unit_data = [{k: sum(mechs[i].min_data[k] for i in unit) for k in mechs[unit[0]].min_data} for unit in units]
    totals = _convolve(unit_totals)
    data_min = _convolve(unit_data)
    by_k = {}
    for k, (total, ks) in sorted(totals.items()):
        per_mech: list[Choice | None] = [None] * len(mechs)
        for unit, kk in zip(units, ks):
            for i in unit:
                per_mech[i] = mechs[i].best[kk]
        by_k[k] = (total + constant, tuple(per_mech))
    return ProgramProfile(
        hypothesis, code, tuple(mechs), by_k, {k: v for k, (v, _) in data_min.items()}, constant,
        exact=all(m.exact for m in mechs),
    )


# ---------------------------------------------------------------------- formulas
@dataclass(frozen=True)
class Term:
    """One additive term of a program's length.

    ``owner`` is the variable the term belongs to (None for the program's
    own terms, such as the +1 of the paper's ``2 l + 1``); ``part`` is
    ``"data"`` or ``"model"``; ``kind`` names what the bits pay for (a key of
    :data:`TERM_KINDS`).
    """

    owner: str | None
    part: str
    kind: str
    expr: sp.Expr


#: What each kind of term pays for, in words.
TERM_KINDS = {
    "data": "the data: -log2 of the probability of the variable's values in every environment, given its mechanisms",
    "selection": ("which candidate of a slot each environment uses (the compressed selection l, 2 l under paper;"
                  " under nml its prefix form, naming k among 1..min(N, M))"),
    "direct selection": "which candidate of a slot each environment uses, named directly with log2 M bits each",
    "fixed selection": "the one candidate of a `fixed` slot, shared by every environment: log2 M (doubled under paper)",
    "grouping": "which environments share which table (log2 N + log2 S(N, k); doubled under paper)",
    "tables": "the numbers in the stored tables (the parameter cost of the code)",
    "bins": "a table's number of bins over its real parents (Elias gamma code of the number; docs/regression.md)",
    "fits": "the fitted regressions or histograms of a real variable: coefficients, noise, degree, bins and range",
    "reference": "which permutation maps the stored table of a reuse class onto this variable (log2 m!)",
    "structure": "the parent set: how many parents (log2 d), then which (log2 C(d-1, p))",
    "prefix": ("the program's own bits in how the code sends the selection bits (Code.wrap_selection): under paper"
               " the +1 of 2 l + 1, which makes the selection code self-delimiting"),
}


@dataclass(frozen=True)
class ProgramTerms:
    """A program's length as terms, the value of every symbol, and what each symbol means."""

    terms: tuple[Term, ...]
    values: dict[sp.Symbol, float]
    meanings: dict[sp.Symbol, str]

    @property
    def expr(self) -> sp.Expr:
        return sp.Add(*(t.expr for t in self.terms))


def _slot_symbols(profile: ProgramProfile) -> dict[tuple[str, str], str]:
    """The subscript of each (variable, slot): the slot's name, or ``X.t`` when two variables' slots share a name."""
    seen: dict[str, int] = {}
    for mp in profile.mechanisms:
        if mp.template.kind == "family":
            for slot in mp.template.slots:
                seen[slot.name] = seen.get(slot.name, 0) + 1
    return {(mp.var, s.name): (s.name if seen[s.name] == 1 else f"{mp.var}.{s.name}")
            for mp in profile.mechanisms if mp.template.kind == "family" for s in mp.template.slots}


def _environments_symbol(symbol, var: str, n_env: int, blocks: int | None) -> sp.Symbol:
    """``N`` (the environments), or ``N_X`` when declared targets leave X's mechanism fewer blocks to differ over."""
    if blocks is None:
        return symbol(codes.N, n_env, "number of environments")
    return symbol(f"N_{{{var}}}", blocks, f"blocks of environments whose mechanism for {var} may differ (the "
                                          f"environments whose declared targets exclude {var} count as one)")


def program_terms(profile: ProgramProfile, k: int, n_env: int) -> ProgramTerms:
    """The terms of a program's length at total ``k``, the numbers to substitute and the symbols' meanings.

    Symbols: ``D_X`` (data bits of X), ``N`` (environments), per slot its
    codebook size ``M_t`` and distinct candidates ``k_t``; per stored table
    its number of tables ``k_X`` and free entries ``F_X`` (``paper``,
    ``direct``; ``n`` the precision) or parameter bits ``P_X`` (``bic``,
    ``nml``); ``d`` and ``p_X`` for the structure; ``m_S`` for a reuse class.
    """
    code = profile.code
    _, choices = profile.by_k[k]
    values: dict[sp.Symbol, float] = {}
    meanings: dict[sp.Symbol, str] = {}
    terms: list[Term] = []

    def symbol(name: str | sp.Symbol, value: float, meaning: str) -> sp.Symbol:
        s = name if isinstance(name, sp.Symbol) else sp.Symbol(name)
        values[s], meanings[s] = value, meaning
        return s

    def selection(var: str, kind: str, expr: sp.Expr) -> None:
        # the paper wraps the program's selection bits l as 2 l + 1: each variable's share is wrap(l) - wrap(0)
        wrapped = code.wrap_selection(expr) - code.wrap_selection(0)
        terms.append(Term(var, "model", kind, wrapped))

    slot_names = _slot_symbols(profile)
    d = len(profile.mechanisms)
    for mp, choice in zip(profile.mechanisms, choices):
        var = mp.var
        template = mp.template
        terms.append(Term(var, "data", "data", symbol(f"D_{{{var}}}", choice.data_bits,
                                                      f"data bits of {var} (all environments)" + _noise_text(template))))
        if template.kind == "family":
            for slot, kk in zip(template.slots, choice.slot_k):
                name = slot_names[(var, slot.name)]
                msym = symbol(f"M_{{{name}}}", slot.size, f"candidates in the codebook of slot {slot.name} of {var}")
                if mp.mechanism.fixed:
                    selection(var, "fixed selection", code.fixed_slot_bits(msym))
                    continue
                ksym = symbol(f"k_{{{name}}}", kk, f"distinct candidates of slot {slot.name} the environments use")
                n_sym = _environments_symbol(symbol, var, n_env, choice.blocks)
                selection(var, code.selection_kind, code.slot_selection_bits(n_sym, msym, ksym))
        elif template.kind == "regression":
            n_sym = _environments_symbol(symbol, var, n_env, choice.blocks)
            ksym = symbol(f"k_{{{var}}}", choice.k, f"distinct fits of {var} (groups of environments sharing one)")
            selection(var, "grouping", code.grouping_bits(n_sym, ksym))
            psym = symbol(f"P_{{{var}}}", choice.table_bits, f"parameter bits of {var}'s fits and the choices they "
                          f"make ({code.regression_parameter_text}; docs/regression.md)")
            terms.append(Term(var, "model", "fits", psym))
        elif not mp.stores:
            msym = symbol(f"m_{{{template.symmetry}}}", mp.symmetry_size,
                          f"variables the permute symmetry {template.symmetry} acts on")
            terms.append(Term(var, "model", "reference", code.reference_bits(msym)))
        else:
            n_sym = _environments_symbol(symbol, var, n_env, choice.blocks)
            ksym = symbol(f"k_{{{var}}}", choice.k, f"distinct tables of {var} (groups of environments sharing one)")
            selection(var, "grouping", code.grouping_bits(n_sym, ksym))
            if choice.bins_bits:
                bsym = symbol(f"B_{{{var}}}", choice.bins_bits, f"bits naming the number of bins of {var}'s table "
                              "over its real parents")
                terms.append(Term(var, "model", "bins", bsym))
            stored = choice.table_bits - choice.bins_bits
            terms.append(Term(var, "model", "tables", code.table_term(symbol, var, ksym, stored, choice.k)))
        if code.structure_bits(codes.d, codes.p) != 0:
            dsym = symbol(codes.d, d, "number of variables")
            psym = symbol(f"p_{{{var}}}", len(mp.mechanism.parents), f"number of parents of {var}")
            terms.append(Term(var, "model", "structure", code.structure_bits(dsym, psym)))
    if code.wrap_selection(0) != 0:
        terms.append(Term(None, "model", "prefix", code.wrap_selection(0)))
    return ProgramTerms(tuple(terms), values, meanings)


def program_formula(profile: ProgramProfile, k: int, n_env: int) -> tuple[sp.Expr, dict]:
    """The symbolic length of a program at total ``k`` and the numbers to substitute (the sum of :func:`program_terms`)."""
    terms = program_terms(profile, k, n_env)
    return terms.expr, terms.values


def length_breakdown(profile: ProgramProfile, k: int, n_env: int) -> dict:
    """A program's length at total ``k`` as plain data: every symbol, every term in bits, and totals per variable.

    The one breakdown ``kdsl explain`` (text and ``--json``) and the HTML
    length views render. Keys: ``symbols`` (symbol, LaTeX, meaning, value),
    ``terms`` (owner, part, kind, what it pays for, formula, LaTeX, bits),
    ``variables`` (per variable its model, data and total bits and how its
    sharing was found), ``program`` (the terms of no variable) and
    ``total_bits``; the variables' totals plus the program row add up to
    the total.
    """
    terms = program_terms(profile, k, n_env)
    _, choices = profile.by_k[k]
    rows = [{"owner": t.owner, "part": t.part, "kind": t.kind, "what": TERM_KINDS[t.kind], "formula": str(t.expr),
             "latex": sp.latex(t.expr), "bits": float(codes.evaluate(t.expr, terms.values))} for t in terms.terms]

    def totals(owner: str | None) -> dict:
        model = math.fsum(r["bits"] for r in rows if r["owner"] == owner and r["part"] == "model")
        data = math.fsum(r["bits"] for r in rows if r["owner"] == owner and r["part"] == "data")
        return {"model_bits": model, "data_bits": data, "total_bits": model + data}

    variables = [{"variable": mp.var, **totals(mp.var), "distinct": choice.k, "method": mp.method,
                  "method_meaning": sharing.METHODS.get(mp.method, mp.method)}
                 for mp, choice in zip(profile.mechanisms, choices)]
    symbols = [{"symbol": str(s), "latex": sp.latex(s), "meaning": terms.meanings[s], "value": float(v)}
               for s, v in sorted(terms.values.items(), key=lambda sv: str(sv[0]))]
    program = totals(None)
    total = math.fsum([*(v["total_bits"] for v in variables), program["total_bits"]])
    return {"total_bits": total, "symbols": symbols, "terms": rows, "variables": variables, "program": program}

"""Semantic checks: a syntax tree becomes a :class:`~kdsl.language.model.Model`.

Every check raises a :class:`~kdsl.errors.SpecError` located at the node at
fault. The checks run in one pass over the declarations (which may come in
any order) after all names have been collected.

>>> from kdsl.language.syntax import parse
>>> model = check(parse('''
... var X in 0..3
... var Y in 0..3
... hypothesis h {
...     X ~ table
...     Y ~ table(X)
... }
... '''))
>>> model.hypotheses["h"].edges
[('X', 'Y')]
>>> check(parse('''
... var X in 0..3
... hypothesis h {
...     X ~ table(Z)
... }
... ''', filename="m.kdsl"))
Traceback (most recent call last):
...
kdsl.errors.SpecError: m.kdsl:4:15: unknown variable 'Z'
        X ~ table(Z)
                  ^
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from kdsl._lazy import lazy_module
from kdsl.codes import DEFAULT_CODE, Code, code_names, get_code
from kdsl.errors import SpecError
from kdsl.language import ast
from kdsl.language.expr import Scope, constant_value, names_in, numeric, to_sympy
from kdsl.language.model import (
    SEARCH_METHODS,
    EnvSource,
    Hypothesis,
    Mechanism,
    Model,
    SearchSpec,
    SimulationLine,
    Slot,
    Symmetry,
    TargetsLine,
    Template,
    Variable,
)
from kdsl.mechanisms.families import FAMILIES, FamilyParameterError, log2_prob
from kdsl.mechanisms.kinds import free_kinds, known_mechanisms, mechanism_names
from kdsl.mechanisms.symmetries import SYMMETRY_KINDS, kind_names

sympy = lazy_module("sympy")
regression = lazy_module("kdsl.mechanisms.regression")  # its formulas are sympy's

__all__ = ["check"]

#: At most this many stability subsamples (each one a whole solve).
MAX_STABILITY_RUNS = 1000
#: Search lines that state background knowledge.
_KNOWLEDGE = ("forbid", "require", "tiers", "targets")
_GLOBAL_KINDS = {
    ast.VarDecl: "a variable",
    ast.LetDecl: "a constant",
    ast.MechanismDecl: "a template",
    ast.SymmetryDecl: "a symmetry",
    ast.HypothesisDecl: "a hypothesis",
}
#: Largest number of (parent value x candidate) combinations evaluated at check time.
_CHECK_GRID_LIMIT = 200_000
#: Largest domain of a discrete variable, and largest codebook of a slot.
MAX_DOMAIN = 1 << 24
MAX_CODEBOOK = 100_000


def find_cycle(children: dict[str, list[str]]) -> list[tuple[str, str]] | None:
    """The first directed cycle met by a depth-first walk (nodes and edges in the order given), as its edges.

    >>> find_cycle({"A": ["B"], "B": ["C"], "C": ["A"], "D": []})
    [('A', 'B'), ('B', 'C'), ('C', 'A')]
    >>> find_cycle({"A": ["B"], "B": []}) is None
    True
    """
    done: set[str] = set()
    for root in children:
        if root in done:
            continue
        path: list[str] = [root]
        on_path = {root}
        todo = [iter(children[root])]
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                todo.pop()
                node = path.pop()
                on_path.discard(node)
                done.add(node)
                continue
            if nxt in on_path:
                start = path.index(nxt)
                loop = path[start:]
                return list(zip(loop, loop[1:] + [nxt]))
            if nxt not in done:
                path.append(nxt)
                on_path.add(nxt)
                todo.append(iter(children[nxt]))
    return None


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class _Checker:
    def __init__(self, spec: ast.Spec, base_dir: str | None):
        self.spec = spec
        self.base_dir = base_dir
        self.globals: dict[str, ast.Node] = {}
        self.variables: dict[str, Variable] = {}
        self.constants: dict[str, float | tuple[float, ...]] = {}
        self.symmetries: dict[str, Symmetry] = {}
        self.templates: dict[str, Template] = {}
        self.hypotheses: dict[str, Hypothesis] = {}

    # ------------------------------------------------------------ errors
    def error(self, node: ast.Node | ast.Span, message: str, hint: str | None = None) -> SpecError:
        return self.spec.source.error(message, node, hint=hint)

    def of(self, kind):
        return [d for d in self.spec.decls if isinstance(d, kind)]

    # ------------------------------------------------------------ the pass
    def run(self) -> Model:
        self.collect_names()
        name = self.model_name()
        self.check_constants()
        for decl in self.of(ast.VarDecl):
            self.variables[decl.name.name] = self.variable(decl)
        for decl in self.of(ast.SymmetryDecl):
            self.symmetries[decl.name.name] = self.symmetry(decl)
        warnings = []
        for decl in self.of(ast.MechanismDecl):
            self.templates[decl.name.name] = template = self.template(decl)
            warnings += self.ignored_parent_warnings(decl, template)
        for decl in self.of(ast.HypothesisDecl):
            self.hypotheses[decl.name.name] = self.hypothesis(decl)
        sources = self.environment_sources()
        code = self.code()
        search = self.search()
        warnings += self.idle_targets_warnings(search)
        return Model(
            name=name,
            source=self.spec.source,
            variables=self.variables,
            constants=self.constants,
            sources=tuple(sources),
            templates=self.templates,
            symmetries=self.symmetries,
            hypotheses=self.hypotheses,
            code=code,
            search=search,
            base_dir=self.base_dir,
            spec=self.spec,
            warnings=tuple(warnings),
        )

    def ignored_parent_warnings(self, decl: ast.MechanismDecl, template: Template) -> list[SpecError]:
        """A located warning for each parent a template declares but its expression does not use."""
        from kdsl.verdict.margins import ignored_parents

        ignored = ignored_parents(template)
        return [self.error(ident, f"parent '{ident.name}' is not used in the expression of template "
                                  f"'{template.name}': it is not a cause of {template.child}",
                           hint="remove it, or use it in the expression")
                for ident in decl.parents if ident.name in ignored]

    def idle_targets_warnings(self, search: SearchSpec | None) -> list[SpecError]:
        """A located warning when the ``targets`` lines can change nothing.

        Environments share a variable's mechanism only when at least two of those with a ``targets`` line
        leave it out (an environment without one stays free), so with a single ``targets`` line, or lines
        that name every variable but in one environment, the declared targets have no effect.
        """
        if search is None or not search.targets:
            return []
        if any(sum(v not in t.variables for t in search.targets) >= 2 for v in self.variables):
            return []
        only = len(search.targets) == 1
        what = ("this is the only `targets` line, so it changes" if only else
                "no variable is left out by two environments' `targets` lines, so they change")
        return [self.error(search.targets[0].span,
                           f"{what} nothing: environments share a variable's mechanism only when at least two of "
                           "those with a `targets` line leave the variable out (environments without one stay free)",
                           hint="declare the targets of another environment too, e.g. `targets base: none` for an "
                                "observational one")]

    def collect_names(self) -> None:
        for decl in self.spec.decls:
            kind = _GLOBAL_KINDS.get(type(decl))
            if kind is None:
                continue
            name = decl.name
            if name.name in self.globals:
                first = self.globals[name.name]
                first_kind = _GLOBAL_KINDS[type(first)]
                raise self.error(
                    name, f"'{name.name}' is already declared as {first_kind} at line {first.span.line}"
                )
            self.globals[name.name] = decl

    def model_name(self) -> str:
        decls = self.of(ast.ModelDecl)
        if len(decls) > 1:
            raise self.error(decls[1], f"the model is already named at line {decls[0].span.line}")
        if decls:
            return decls[0].name.name
        filename = self.spec.source.filename
        if not filename.startswith("<"):
            return Path(filename).stem
        return "model"

    # ------------------------------------------------------------ constants
    def check_constants(self) -> None:
        lets = {d.name.name: d for d in self.of(ast.LetDecl)}
        state: dict[str, str] = {}

        def scope_for(decl) -> Scope:
            return Scope(constants=self.constants, error=self.error, where=f"in the value of '{decl.name.name}'")

        def resolve(name: str, user: ast.Node) -> None:
            if state.get(name) == "done":
                return
            if state.get(name) == "busy":
                raise self.error(user, f"constant '{name}' is defined in terms of itself")
            decl = lets[name]
            state[name] = "busy"
            items = decl.value.items if isinstance(decl.value, ast.ListValue) else (decl.value,)
            for item in items:
                for ref in names_in(item):
                    if ref.id in lets:
                        resolve(ref.id, ref)
                    elif ref.id in self.globals:
                        raise self.error(ref, f"a constant may only use numbers and other constants, not '{ref.id}'")
            values = []
            for item in items:
                value = constant_value(to_sympy(item, scope_for(decl)))
                if value is None or not np.isfinite(value):
                    raise self.error(item, "this value is not a finite number")
                values.append(value)
            if isinstance(decl.value, ast.ListValue):
                if not values:
                    raise self.error(decl.value, "a list constant needs at least one value")
                self.constants[name] = tuple(values)
            else:
                self.constants[name] = values[0]
            state[name] = "done"

        for name, decl in lets.items():
            resolve(name, decl.name)

    # ------------------------------------------------------------ variables
    def variable(self, decl: ast.VarDecl) -> Variable:
        name, dom = decl.name.name, decl.domain
        if isinstance(dom, ast.IntRange):
            if dom.lo > dom.hi:
                raise self.error(dom, f"the range {dom.lo}..{dom.hi} is empty: the first bound must not exceed the second")
            if max(abs(dom.lo), abs(dom.hi)) > 10**15:
                raise self.error(dom, f"the bounds of {dom.lo}..{dom.hi} are too large (at most 1e15 in magnitude)")
            if dom.hi - dom.lo + 1 > MAX_DOMAIN:
                raise self.error(dom, f"the range {dom.lo}..{dom.hi} has {dom.hi - dom.lo + 1:,} values; kdsl handles "
                                 f"discrete domains of at most {MAX_DOMAIN:,} values", hint="declare it `real` instead")
            return Variable(name, "int", dom.lo, dom.hi, span=decl.span)
        if isinstance(dom, ast.LabelSet):
            seen: dict[str, ast.Ident] = {}
            for label in dom.labels:
                if label.name in seen:
                    raise self.error(label, f"label '{label.name}' appears twice in the domain of {name}")
                seen[label.name] = label
            labels = tuple(seen)
            return Variable(name, "labels", 0, len(labels) - 1, labels=labels, span=decl.span)
        if isinstance(dom, ast.BitsDomain):
            if dom.bits < 1:
                raise self.error(dom, f"bits({dom.bits}) has no values: the number of bits must be at least 1")
            if 1 << dom.bits > MAX_DOMAIN if dom.bits < 64 else True:
                raise self.error(dom, f"bits({dom.bits}) is too wide: at most {MAX_DOMAIN.bit_length() - 1} bits are supported")
            return Variable(name, "bits", 0, 2**dom.bits - 1, span=decl.span)
        step = 0.01
        if dom.step is not None:
            step = dom.step.value
            if not step > 0 or not np.isfinite(step):
                raise self.error(dom.step, f"the resolution must be a positive number, got {dom.step.text}")
            if not 1e-12 <= step <= 1e12:
                raise self.error(dom.step, f"the resolution {dom.step.text} is outside the supported range 1e-12 .. 1e12")
        return Variable(name, "real", None, None, step=step, span=decl.span, step_auto=dom.auto or dom.step is None)

    def variable_named(self, ident: ast.Ident, role: str = "variable") -> Variable:
        if ident.name in self.variables:
            return self.variables[ident.name]
        other = self.globals.get(ident.name)
        if other is not None:
            raise self.error(ident, f"'{ident.name}' is {_GLOBAL_KINDS[type(other)]}, not a {role}")
        raise self.error(ident, f"unknown {role} '{ident.name}'{_suggest(ident.name, self.variables)}")

    # ------------------------------------------------------------ symmetries
    def symmetry(self, decl: ast.SymmetryDecl) -> Symmetry:
        kind = decl.kind.name
        if kind not in SYMMETRY_KINDS:
            raise self.error(
                decl.kind, f"unknown symmetry kind '{kind}'; use {kind_names()}{_suggest(kind, SYMMETRY_KINDS)}"
            )
        variables = [self.variable_named(v) for v in decl.on]
        seen = set()
        for ident in decl.on:
            if ident.name in seen:
                raise self.error(ident, f"'{ident.name}' is named twice")
            seen.add(ident.name)
        problem = SYMMETRY_KINDS[kind].problem(decl.name.name, variables)
        if problem is not None:
            index, message = problem
            raise self.error(decl.kind if index is None else decl.on[index], message)
        return Symmetry(decl.name.name, tuple(v.name for v in variables), kind, decl.span)

    def symmetry_for_table(self, ident: ast.Ident, parents: tuple[str, ...], child: str,
                           in_hypothesis: bool = False) -> Symmetry:
        """The symmetry of ``table(...) / NAME``: an invariance, or (in a hypothesis) a reuse."""
        if ident.name not in self.symmetries:
            other = self.globals.get(ident.name)
            if other is not None:
                raise self.error(ident, f"'{ident.name}' is {_GLOBAL_KINDS[type(other)]}, not a symmetry")
            raise self.error(ident, f"unknown symmetry '{ident.name}'{_suggest(ident.name, self.symmetries)}")
        sym = self.symmetries[ident.name]
        if sym.rule.reuses:
            acting = ", ".join(sym.variables)
            if not in_hypothesis:
                raise self.error(
                    ident, f"'{sym.name}' is a {sym.kind} symmetry: it lets several of {acting} reuse one table, which "
                    f"is written in a hypothesis (`{sym.variables[0]} ~ table(...) / {sym.name}` on each of them), "
                    "not in a template",
                )
            if child not in sym.variables:
                raise self.error(
                    ident, f"'{sym.name}' is a {sym.kind} symmetry on {acting}; {child} is not one of them, so it "
                    f"cannot reuse their table (an invariant table needs {kind_names(reuses=False)})",
                )
            return sym
        acted = sym.variables[0]
        if acted not in parents:
            shown = ", ".join(parents) if parents else "none"
            raise self.error(
                ident, f"symmetry '{sym.name}' acts on {acted}, which is not a parent of {child} (parents: {shown})"
            )
        return sym

    # ------------------------------------------------------------ families
    def family_call(
        self, call: ast.Call, child: Variable, scope: Scope, parents_allowed: set[str] | None
    ) -> tuple[str, tuple[sympy.Expr, ...]]:
        family = call.func.name
        if family not in FAMILIES:
            if family in self.templates or isinstance(self.globals.get(family), ast.MechanismDecl):
                raise self.error(call.func, f"'{family}' is a template; here a family is expected")
            simulating = parents_allowed is None
            if simulating and family in free_kinds():
                raise self.error(call.func, f"'{family}' is a free mechanism, fitted to data; a simulation draws "
                                            "from a distribution family", hint="families: " + ", ".join(FAMILIES))
            known = [*FAMILIES] if simulating else [*FAMILIES, "table"]
            raise self.error(call.func, f"unknown family '{family}'{_suggest(family, known)}",
                             hint="families: " + ", ".join(known))
        fam = FAMILIES[family]
        refusal = fam.domain_refusal(child.domain)
        if refusal is not None:
            raise self.error(call.func, f"{family} cannot describe {child.name}, which is real: {refusal}")
        expected = fam.arity_on(child.domain)
        if len(call.args) != expected:
            what = f"{expected} argument{'s' if expected != 1 else ''}"
            if fam.variadic:
                what += f" (one probability per value of {child.name})"
            raise self.error(call, f"{family}() takes {what}, got {len(call.args)}")
        args = []
        for arg in call.args:
            for ref in names_in(arg):
                if parents_allowed is not None and ref.id in self.variables and ref.id not in parents_allowed:
                    if ref.id == child.name:
                        raise self.error(ref, f"{child.name} cannot depend on itself")
                    raise self.error(ref, f"'{ref.id}' is not a parent here; declare it as a parent of {child.name}")
            args.append(to_sympy(arg, scope))
        return family, tuple(args)

    def check_parameters(self, template: Template, call: ast.Call) -> None:
        """Evaluate parameters over every candidate and finite parent value;
        an invalid one is an error at the argument."""
        symbols: list[sympy.Symbol] = []
        grids: list[np.ndarray] = []
        for name, sym in zip(template.parents, template.parent_symbols):
            var = self.variables[name]
            if var.is_real:
                return  # checked against the data when lengths are computed
            symbols.append(sym)
            grids.append(var.values().astype(float))
        for slot in template.slots:
            symbols.append(slot.symbol)
            grids.append(np.asarray(slot.values, dtype=float))
        total = int(np.prod([len(g) for g in grids])) if grids else 1
        if total > _CHECK_GRID_LIMIT:
            return
        mesh = [m.ravel() for m in np.meshgrid(*grids, indexing="ij")] if grids else []
        values = [numeric(a, symbols)(*mesh) * np.ones(max(total, 1)) for a in template.args]
        child = self.variables[template.child]
        x = child.values()[:1] if child.is_discrete else np.zeros(1)
        try:
            log2_prob(template.family, [v[:, None] for v in values], x[None, :], child.domain)
        except FamilyParameterError as err:
            i = err.arg_index if err.arg_index is not None else 0
            arg = call.args[min(i, len(call.args) - 1)] if call.args else call
            where = self.offending_point(template, values, mesh, symbols, x, child)
            message = f"invalid parameter of {template.family}: {err}{where}"
            if "nan" in str(err):
                message += " (the expression has no real value there)"
            raise self.error(arg, message) from None

    def offending_point(self, template: Template, values, mesh, symbols, x, child) -> str:
        """' when t = 0' : the first candidate / parent values giving an invalid parameter."""
        names = {s: s.name for s in template.parent_symbols}
        names.update({s.symbol: s.name for s in template.slots})
        count = len(values[0]) if values else 0
        for j in range(count):
            try:
                log2_prob(template.family, [v[j: j + 1, None] for v in values], x[None, :], child.domain)
            except FamilyParameterError:
                if not symbols:
                    return ""
                shown = ", ".join(f"{names[s]} = {m[j]:g}" for s, m in zip(symbols, mesh))
                return f" when {shown}"
        return ""

    # ------------------------------------------------------------ templates
    def template(self, decl: ast.MechanismDecl) -> Template:
        name = decl.name.name
        child = self.variable_named(decl.child)
        parents: list[str] = []
        for ident in decl.parents:
            var = self.variable_named(ident)
            if var.name == child.name:
                raise self.error(ident, f"{child.name} cannot be its own parent")
            if var.name in parents:
                raise self.error(ident, f"parent '{var.name}' is named twice")
            parents.append(var.name)
        rhs = decl.rhs
        if isinstance(rhs, (ast.BareRhs, ast.InvariantRhs)):
            head = rhs.name if isinstance(rhs, ast.BareRhs) else rhs.table
            if head.name != "table":
                if head.name in FAMILIES:
                    raise self.error(head, f"call the family: write {head.name}(...)")
                raise self.error(head, f"expected a family call or `table`, found '{head.name}'")
            if decl.codebooks:
                raise self.error(decl.codebooks[0], "a table has no parameters; remove the `where` clause")
            self.require_discrete(child, decl.child, parents, decl.parents, binned=isinstance(rhs, ast.BareRhs))
            if isinstance(rhs, ast.InvariantRhs):
                sym = self.symmetry_for_table(rhs.symmetry, tuple(parents), child.name)
                return Template(name, child.name, tuple(parents), "invariant", symmetry=sym.name, span=decl.span)
            return Template(name, child.name, tuple(parents), "table", span=decl.span)

        slots = self.codebooks(decl, child, parents)
        parent_symbols = {p: sympy.Dummy(p) for p in parents}
        symbols = dict(parent_symbols)
        symbols.update({s.name: s.symbol for s in slots})
        scope = Scope(symbols=symbols, constants=self.constants, error=self.error,
                      where=f"in template '{name}' (parents: {', '.join(parents) or 'none'})")
        for ref in (r for a in rhs.args for r in names_in(a)):
            if ref.id not in symbols and ref.id not in self.constants and ref.id in self.variables:
                if ref.id == child.name:
                    raise self.error(ref, f"{child.name} cannot depend on itself")
                raise self.error(
                    ref, f"'{ref.id}' is not a parent of {child.name} in template '{name}'",
                    hint=f"declare it: mechanism {name}({child.name} | {', '.join([*parents, ref.id])})",
                )
            if ref.id not in symbols and ref.id not in self.constants:
                raise self.error(ref, f"unknown name '{ref.id}' in template '{name}'",
                                 hint=f"a parameter is declared with `where {ref.id} in grid(lo, hi, count)`")
        family, args = self.family_call(rhs, child, scope, set(parents))
        used = set().union(*(a.free_symbols for a in args)) if args else set()
        for slot in slots:
            if slot.symbol not in used:
                raise self.error(slot.span, f"parameter '{slot.name}' is not used in the template's expression")
        template = Template(
            name, child.name, tuple(parents), "family", family=family, args=args,
            arg_spans=tuple(a.span for a in rhs.args), parent_symbols=tuple(parent_symbols[p] for p in parents),
            slots=tuple(slots), span=decl.span,
        )
        self.check_parameters(template, rhs)
        return template

    def require_discrete(self, child: Variable, child_ident, parents, parent_idents, binned: bool = False) -> None:
        """A table's child is discrete; its parents too, unless ``binned`` (a free table, over a real parent's bins)."""
        if child.is_real:
            raise self.error(child_ident, f"a table needs a discrete variable; {child.name} is real")
        for p, ident in zip(parents, parent_idents):
            if self.variables[p].is_real and not binned:
                raise self.error(ident, f"a table shared or made invariant through a symmetry needs discrete "
                                        f"parents; {p} is real", hint=f"a free `table({', '.join(parents)})` "
                                        "takes a real parent by its bins")

    def codebooks(self, decl: ast.MechanismDecl, child: Variable, parents: list[str]) -> list[Slot]:
        slots: list[Slot] = []
        for book in decl.codebooks:
            pname = book.name.name
            if any(s.name == pname for s in slots):
                raise self.error(book.name, f"parameter '{pname}' is declared twice")
            if pname in self.variables or pname in self.constants:
                kind = "variable" if pname in self.variables else "constant"
                raise self.error(book.name, f"'{pname}' is a {kind}; give the parameter another name")
            if isinstance(book.values, ast.Grid):
                grid = book.values
                if grid.count < 1:
                    raise self.error(grid, f"grid({grid.lo.text}, {grid.hi.text}, {grid.count}) is empty: count must be at least 1")
                if grid.lo.value == grid.hi.value:
                    raise self.error(grid, f"grid({grid.lo.text}, {grid.hi.text}, {grid.count}) has equal ends: lo must be below hi")
                if not grid.lo.value < grid.hi.value:
                    raise self.error(grid, f"grid({grid.lo.text}, {grid.hi.text}, {grid.count}) is inverted: lo must be below hi")
                if grid.count > MAX_CODEBOOK:
                    raise self.error(grid, f"a codebook of {grid.count:,} candidates is too large (at most {MAX_CODEBOOK:,})")
                for end in (grid.lo, grid.hi):
                    if not abs(end.value) <= 1e15:
                        raise self.error(end, f"the number {end.text} is too large (at most 1e15 in magnitude)")
                values = tuple(float(v) for v in np.linspace(grid.lo.value, grid.hi.value, grid.count)) \
                    if grid.count > 1 else (grid.lo.value,)
            else:
                seen: dict[float, ast.Number] = {}
                for num in book.values.values:
                    if not abs(num.value) <= 1e15:
                        raise self.error(num, f"the number {num.text} is too large (at most 1e15 in magnitude)")
                    if num.value in seen:
                        raise self.error(num, f"value {num.text} appears twice in the codebook of '{pname}'")
                    seen[num.value] = num
                values = tuple(seen)
            slots.append(Slot(pname, sympy.Dummy(pname), values, book.span))
        return slots

    # ------------------------------------------------------------ hypotheses
    def hypothesis(self, decl: ast.HypothesisDecl) -> Hypothesis:
        mechanisms: list[Mechanism] = []
        seen: dict[str, ast.Assignment] = {}
        for line in decl.assignments:
            var = self.variable_named(line.var)
            if var.name in seen:
                raise self.error(
                    line.var, f"{var.name} already has a mechanism at line {seen[var.name].span.line} in hypothesis '{decl.name.name}'"
                )
            seen[var.name] = line
            template = self.mechanism(line, var, decl.name.name)
            if line.noise is not None:
                template = self.noise_model(template, line.noise, var)
            mechanisms.append(Mechanism(var.name, template, line.fixed, line.span))
        missing = [v for v in self.variables if v not in seen]
        if missing:
            raise self.error(
                decl.name, f"hypothesis '{decl.name.name}' gives no mechanism for {', '.join(missing)}",
                hint="every variable gets exactly one line, e.g. `" + missing[0]
                     + (" ~ normal`" if self.variables[missing[0]].is_real else " ~ table`"),
            )
        self.reuse_classes(decl, mechanisms, seen)
        children: dict[str, list[str]] = {v: [] for v in seen}
        for m in mechanisms:
            for p in m.parents:
                children[p].append(m.var)
        cycle = find_cycle(children)
        if cycle:
            path = " -> ".join([u for u, _ in cycle] + [cycle[0][0]])
            line = seen[cycle[-1][1]]
            raise self.error(line, f"the parents in hypothesis '{decl.name.name}' form a cycle: {path}")
        return Hypothesis(decl.name.name, tuple(mechanisms), decl.span)

    def reuse_classes(self, decl: ast.HypothesisDecl, mechanisms: list[Mechanism],
                      lines: dict[str, ast.Assignment]) -> None:
        """Lines ``X ~ table(P) / S`` with a permute S share one table: at least two, same parents, same fixedness."""
        by_symmetry: dict[str, list[Mechanism]] = {}
        for mech in mechanisms:
            if mech.template.kind == "reuse":
                by_symmetry.setdefault(mech.template.symmetry, []).append(mech)
        for name, members in by_symmetry.items():
            first = members[0]
            where = lines[first.var].rhs.symmetry
            if len(members) < 2:
                others = [v for v in self.symmetries[name].variables if v != first.var]
                raise self.error(
                    where, f"only {first.var} reuses '{name}' in hypothesis '{decl.name.name}': reuse needs at least "
                    f"two variables sharing one table",
                    hint=f"write `{others[0]} ~ {first.template.describe()}` too, or `{first.var} ~ "
                         f"{Template(None, first.var, first.parents, 'table', span=first.span).describe()}` for a table of its own",
                )
            names = {m.var for m in members}
            for mech in members:
                inside = [p for p in mech.parents if p in names]
                if inside:
                    raise self.error(
                        lines[mech.var].rhs.symmetry, f"{mech.var} and {inside[0]} share one table through '{name}', "
                        f"so {inside[0]} cannot be a parent of {mech.var}",
                        hint=f"give {mech.var} a table of its own: `{mech.var} ~ "
                             f"{Template(None, mech.var, mech.parents, 'table', span=mech.span).describe()}`",
                    )
            for mech in members[1:]:
                line = lines[mech.var]
                if set(mech.parents) != set(first.parents):
                    shown = ", ".join(first.parents) or "none"
                    raise self.error(
                        line.rhs.symmetry, f"{mech.var} reuses {first.var}'s table through '{name}', so it needs the "
                        f"same parents ({shown}); it has {', '.join(mech.parents) or 'none'}",
                        hint=f"a program reuses one table per permute symmetry; for a second shared table, declare "
                             f"another symmetry (`symmetry {name}2 on {{...}} = permute`) and write "
                             f"`{mech.var} ~ {Template(None, mech.var, mech.parents, 'table', span=mech.span).describe()} / {name}2`",
                    )
                if mech.fixed != first.fixed:
                    raise self.error(
                        line.var, f"{mech.var} and {first.var} share one table through '{name}', so both or neither "
                        "must be `fixed`",
                    )

    def table_parents(self, call: ast.Call) -> list[ast.Ident]:
        return self.table_parents_of(list(call.args), "table")

    def mechanism(self, line: ast.Assignment, var: Variable, hyp: str) -> Template:
        rhs = line.rhs
        if isinstance(rhs, ast.InvariantRef):
            base = rhs.base
            head = base.name if isinstance(base, ast.RefRhs) else base.func
            if head.name != "table":
                sym = self.symmetries.get(rhs.symmetry.name)
                if sym is not None and sym.rule.reuses:
                    raise self.error(head, f"only a free table can be reused through '{sym.name}': write "
                                           f"`{var.name} ~ table(...) / {sym.name}` with the parents inside table(...)")
                raise self.error(head, f"only a free table can be made invariant: write `{var.name} ~ table(...) / "
                                       f"{rhs.symmetry.name}` with the parents inside table(...)")
            idents = self.table_parents(base) if isinstance(base, ast.Call) else []
            parents = self.parent_names(idents, var)
            self.require_discrete(var, line.var, parents, idents)
            sym = self.symmetry_for_table(rhs.symmetry, tuple(parents), var.name, in_hypothesis=True)
            kind = "reuse" if sym.rule.reuses else "invariant"
            return Template(None, var.name, tuple(parents), kind, symmetry=sym.name, span=line.span)
        if isinstance(rhs, ast.RefRhs):
            name = rhs.name
            if name.name == "table":
                self.require_discrete(var, line.var, [], [])
                return Template(None, var.name, (), "table", span=line.span)
            if name.name in self.templates:
                return self.use_template(name, var, None)
            if name.name in regression.KINDS and (var.is_real or name.name not in FAMILIES):
                return self.free_real(name, var, None, line)
            if name.name in FAMILIES:
                raise self.error(name, f"call the family: write {name.name}(...)")
            self.unknown_mechanism(name)
        call = rhs
        head = call.func
        if head.name == "table":
            idents = self.table_parents(call)
            parents = self.parent_names(idents, var)
            self.require_discrete(var, line.var, parents, idents, binned=True)
            return Template(None, var.name, tuple(parents), "table", span=line.span)
        if head.name in self.templates:
            return self.use_template(head, var, call)
        if head.name in regression.KINDS and head.name not in FAMILIES:
            return self.free_real(head, var, call, line)
        if head.name not in FAMILIES and not isinstance(self.globals.get(head.name), ast.MechanismDecl):
            self.unknown_mechanism(head)
        parents = []
        for ref in (r for a in call.args for r in names_in(a)):
            if ref.id in self.variables and ref.id not in parents:
                if ref.id == var.name:
                    raise self.error(ref, f"{var.name} cannot depend on itself")
                parents.append(ref.id)
            elif ref.id not in self.variables and ref.id not in self.constants:
                raise self.error(ref, f"unknown name '{ref.id}'{_suggest(ref.id, [*self.variables, *self.constants])}")
        symbols = {p: sympy.Dummy(p) for p in parents}
        scope = Scope(symbols=symbols, constants=self.constants, error=self.error, where=f"in hypothesis '{hyp}'")
        family, args = self.family_call(call, var, scope, set(parents))
        template = Template(None, var.name, tuple(parents), "family", family=family, args=args,
                            arg_spans=tuple(a.span for a in call.args),
                            parent_symbols=tuple(symbols[p] for p in parents), span=line.span)
        self.check_parameters(template, call)
        return template

    def free_real(self, head: ast.Ident, var: Variable, call: ast.Call | None, line: ast.Assignment) -> Template:
        """``linear(P...)``, ``poly(P...)``, ``poly(D, P...)``, ``normal``, ``histogram``: a free real mechanism."""
        kind = head.name
        if not var.is_real:
            raise self.error(head, f"{kind} describes a real variable; {var.name} is discrete",
                             hint=f"use a free table: `{var.name} ~ table(...)`")
        args = list(call.args) if call is not None else []
        degree = 0
        if kind == "poly":
            degree = regression.DEFAULT_DEGREE
            if args and isinstance(args[0], ast.Number):
                num = args.pop(0)
                if not (float(num.value).is_integer() and 1 <= num.value <= regression.MAX_DEGREE):
                    raise self.error(num, f"the degree of poly must be a whole number from 1 to {regression.MAX_DEGREE}, "
                                          f"got {num.text}")
                degree = int(num.value)
        if not regression.KINDS[kind].parents and args:
            raise self.error(args[0], f"{kind} has no parents: write `{var.name} ~ {kind}`",
                             hint=f"for a mechanism with parents use `{var.name} ~ linear(...)` or `poly(...)`")
        if kind == "poly" and not args:
            raise self.error(call or head, f"poly needs at least one parent, e.g. `{var.name} ~ poly(X)`",
                             hint=f"a root's free mechanisms are `{var.name} ~ normal` and `histogram`")
        parents = self.parent_names(self.table_parents_of(args, kind), var)
        family = "normal" if kind == "linear" and not parents else kind
        return Template(None, var.name, tuple(parents), "regression", family=family, span=line.span, degree=degree)

    def noise_model(self, template: Template, noise: ast.Ident, var: Variable) -> Template:
        """``Y ~ linear(X) noise histogram``: the model of a free regression's residuals."""
        if noise.name not in regression.NOISES:
            raise self.error(noise, f"unknown noise model '{noise.name}'{_suggest(noise.name, regression.NOISES)}",
                             hint="noise models: " + ", ".join(regression.NOISES))
        if template.kind == "regression" and not template.parents:
            raise self.error(noise, f"a noise model follows a regression with parents; {var.name} ~ "
                                    f"{template.describe()} has none",
                             hint=f"a root's free mechanisms are `{var.name} ~ normal` and `{var.name} ~ histogram`")
        if template.kind != "regression":
            hint = (f"write a free regression, e.g. `{var.name} ~ linear(...) noise {noise.name}`" if var.is_real
                    else f"{var.name} is discrete: its table gives each value's probability, with no noise model")
            raise self.error(noise, f"a noise model follows a free regression (linear or poly), not "
                                    f"{template.describe()}", hint=hint)
        return dataclasses.replace(template, noise=noise.name)

    def table_parents_of(self, args: list, kind: str) -> list[ast.Ident]:
        idents = []
        for arg in args:
            if not isinstance(arg, ast.Name):
                raise self.error(arg, f"the arguments of {kind}(...) are parent variables")
            idents.append(ast.Ident(arg.span, arg.id))
        return idents

    def unknown_mechanism(self, name: ast.Ident):
        other = self.globals.get(name.name)
        if other is not None:
            raise self.error(name, f"'{name.name}' is {_GLOBAL_KINDS[type(other)]}, not a template")
        known = [*self.templates, *mechanism_names()]
        declared = ", ".join(self.templates) or "none"
        raise self.error(name, f"unknown template or family '{name.name}'{_suggest(name.name, known)}",
                         hint=f"templates declared: {declared}; {known_mechanisms()}")

    def parent_names(self, idents: list[ast.Ident], var: Variable) -> list[str]:
        parents = []
        for ident in idents:
            parent = self.variable_named(ident)
            if parent.name == var.name:
                raise self.error(ident, f"{var.name} cannot be its own parent")
            if parent.name in parents:
                raise self.error(ident, f"parent '{parent.name}' is named twice")
            parents.append(parent.name)
        return parents

    def use_template(self, name: ast.Ident, var: Variable, call: ast.Call | None) -> Template:
        template = self.templates[name.name]
        if template.child != var.name:
            raise self.error(name, f"template '{name.name}' describes {template.child}, not {var.name}")
        if call is not None:
            idents = self.table_parents(call)
            given = self.parent_names(idents, var)
            if set(given) != set(template.parents):
                declared = ", ".join(template.parents) or "none"
                raise self.error(
                    call, f"template '{name.name}' has parents ({declared}); "
                    f"here it is given ({', '.join(given) or 'none'})"
                )
        return template

    # ------------------------------------------------------------ environments
    def environment_sources(self) -> list[EnvSource]:
        names: dict[str, ast.Node] = {}

        def claim(ident: ast.Ident | ast.Span, name: str) -> None:
            if name in names:
                raise self.error(ident, f"environment '{name}' is already declared at line {names[name].span.line}")
            names[name] = ident if isinstance(ident, ast.Node) else ast.Ident(ident, name)

        sources: list[EnvSource] = []
        for decl in self.spec.decls:
            if isinstance(decl, ast.EnvDecl):
                claim(decl.name, decl.name.name)
                sources.append(self.source(decl.source, decl.span, names=(decl.name.name,)))
            elif isinstance(decl, ast.EnvsDecl):
                sources.append(self.source(decl.source, decl.span, by=decl.by.name))
            elif isinstance(decl, ast.SimulateDecl):
                env_names = self.simulated_names(decl.targets)
                for ident, name in env_names:
                    claim(ident, name)
                sources.append(self.simulation(decl, tuple(n for _, n in env_names)))
        return sources

    def source(self, src, span, names=(), by=None) -> EnvSource:
        if isinstance(src, ast.FileSource):
            if not src.path:
                raise self.error(src, "the file path is empty")
            kind = "split-file" if by else "file"
            return EnvSource(kind, span, names=names, path=src.path, by=by, source_span=src.span)
        kind = "split-data" if by else "data"
        return EnvSource(kind, span, names=names, data_name=src.name.name, by=by, source_span=src.span)

    def simulated_names(self, targets) -> list[tuple[ast.Ident, str]]:
        if isinstance(targets, ast.SimSingle):
            return [(targets.name, targets.name.name)]
        if isinstance(targets, ast.SimList):
            return [(i, i.name) for i in targets.names]
        first, last = targets.first, targets.last
        m1 = re.fullmatch(r"(.*?)(\d+)", first.name)
        m2 = re.fullmatch(r"(.*?)(\d+)", last.name)
        names_span = first.span.to(last.span)
        if not m1 or not m2 or m1.group(1) != m2.group(1):
            raise self.error(
                names_span, f"a range of environments needs names like e0..e9 (same prefix, numbered); got {first.name}..{last.name}"
            )
        lo, hi = int(m1.group(2)), int(m2.group(2))
        if lo > hi:
            raise self.error(names_span, f"the range {first.name}..{last.name} is empty")
        if hi - lo >= 100_000:
            raise self.error(names_span, f"the range {first.name}..{last.name} names {hi - lo + 1} environments; at most 100000")
        width = len(m1.group(2)) if m1.group(2).startswith("0") and len(m1.group(2)) > 1 else 0
        span = targets.span
        return [(ast.Ident(span, f"{m1.group(1)}{i:0{width}d}"), f"{m1.group(1)}{i:0{width}d}") for i in range(lo, hi + 1)]

    def simulation(self, decl: ast.SimulateDecl, env_names: tuple[str, ...]) -> EnvSource:
        if decl.n < 1:
            raise self.error(decl, "a simulation needs n of at least 1 row per environment")
        if decl.n > 10_000_000:
            raise self.error(decl, f"n {decl.n} is too large: at most 10000000 rows per environment")
        done: dict[str, ast.SimLine] = {}
        lines = []
        for line in decl.lines:
            var = self.variable_named(line.var)
            if var.name in done:
                raise self.error(line.var, f"{var.name} is already simulated at line {done[var.name].span.line}")
            for ref in (r for a in line.call.args for r in names_in(a)):
                if ref.id in self.variables and ref.id not in done:
                    if ref.id == var.name:
                        raise self.error(ref, f"{var.name} cannot depend on itself")
                    raise self.error(
                        ref, f"'{ref.id}' is used before it is simulated; write the lines in causal order"
                    )
                if ref.id not in self.variables and ref.id not in self.constants and ref.id != "env":
                    raise self.error(ref, f"unknown name '{ref.id}'{_suggest(ref.id, [*self.variables, *self.constants])}")
            parents = tuple((p, sympy.Dummy(p)) for p in done)
            per_env = []
            for index in range(len(env_names)):
                scope = Scope(symbols=dict(parents), constants=self.constants, env=index,
                              env_count=len(env_names), error=self.error, where="in this simulation")
                family, args = self.family_call(line.call, var, scope, None)
                per_env.append(args)
                if index == 0 or any(a.free_symbols or a not in per_env[0] for a in args):
                    self.check_simulation_parameters(line, var, family, args, parents, done, env_names[index])
            done[var.name] = line
            lines.append(SimulationLine(var.name, line.call.func.name, tuple(per_env), parents,
                                        tuple(a.span for a in line.call.args), line.span))
        missing = [v for v in self.variables if v not in done]
        if missing:
            raise self.error(decl, f"this simulation does not give {', '.join(missing)}",
                             hint=f"add a line such as `{missing[0]} ~ uniform()`")
        return EnvSource("simulate", decl.span, names=env_names, rows=decl.n, seed=decl.seed, lines=tuple(lines),
                         source_span=decl.targets.span)

    def check_simulation_parameters(self, line, var, family, args, parents, done, env_name) -> None:
        template = Template(None, var.name, tuple(p for p, _ in parents), "family", family=family, args=args,
                            parent_symbols=tuple(s for _, s in parents), span=line.span)
        try:
            self.check_parameters(template, line.call)
        except SpecError as err:
            if len(line.call.args) and "env" in {n.id for a in line.call.args for n in names_in(a)}:
                err.message = f"in environment '{env_name}': {err.message}"
                err.args = (err.message,)
            raise

    # ------------------------------------------------------------ code and search
    def code(self) -> Code:
        """The code of the ``code`` line, from the registry (:func:`kdsl.codes.get_code`), with its options."""
        decls = self.of(ast.CodeDecl)
        if len(decls) > 1:
            raise self.error(decls[1], f"the code is already chosen at line {decls[0].span.line}; keep one `code` line")
        if not decls:
            return get_code(DEFAULT_CODE)
        decl = decls[0]
        name = decl.name.name
        if name not in code_names():
            raise self.error(decl.name, f"unknown code '{name}'; use {', '.join(code_names())}"
                                        f"{_suggest(name, code_names())}")
        code = get_code(name)
        values: dict[str, object] = {}
        for option in decl.options:
            oname = option.name.name
            if oname in values:
                raise self.error(option.name, f"option '{oname}' is given twice")
            if oname not in code.option_defaults:
                raise self.error(option.name, code.unknown_option_message(oname))
            try:
                values[oname] = code.read_option(oname, option.value.value, option.value.text)
            except ValueError as err:
                raise self.error(option.value, str(err)) from None
        return code.with_options(**values) if values else code

    def search(self) -> SearchSpec | None:
        decls = self.of(ast.SearchDecl)
        if len(decls) > 1:
            raise self.error(decls[1], f"a search is already declared at line {decls[0].span.line}")
        if not decls:
            return None
        decl = decls[0]
        values: dict = {}
        seen: dict[str, ast.SearchOption] = {}
        for opt in decl.options:
            key = "shifts" if opt.kind == "fixed" else opt.kind
            if opt.kind in _KNOWLEDGE:
                continue  # read together below, once max_parents is known
            if key in seen:
                hint = ("list every symmetry on one line, e.g. `symmetries a, b`" if key == "symmetries" else
                        "keep one of them" if key == "shifts" else f"keep one `{opt.kind}` line")
                raise self.error(opt, f"'{opt.kind}' conflicts with line {seen[key].span.line} of this search",
                                 hint=hint)
            seen[key] = opt
            if opt.kind == "graphs":
                values["max_parents"] = opt.value
            elif opt.kind == "fixed":
                values["shifts"] = False
            elif opt.kind == "top":
                if opt.value < 1:
                    raise self.error(opt, "top needs at least 1 program")
                values["top"] = opt.value
            elif opt.kind == "stability":
                runs, seed = opt.value
                if not 1 <= runs <= MAX_STABILITY_RUNS:
                    raise self.error(opt, f"stability takes 1 to {MAX_STABILITY_RUNS} subsamples",
                                     hint="write e.g. `stability 20`")
                values["stability"] = runs
                values["stability_seed"] = 0 if seed is None else seed
            elif opt.kind == "time_limit":
                if not opt.value > 0:
                    raise self.error(opt, "the time limit must be positive (seconds)")
                values["time_limit"] = float(opt.value)
            elif opt.kind == "method":
                name = opt.value.name
                if name not in SEARCH_METHODS:
                    raise self.error(opt.value, f"unknown search method '{name}'; use {', '.join(SEARCH_METHODS)}"
                                                f"{_suggest(name, SEARCH_METHODS)}")
                values["method"] = name
                values["method_span"] = opt.span
            elif opt.kind == "symmetries":
                listed: set[str] = set()
                for ident in opt.value:
                    if ident.name not in self.symmetries:
                        other = self.globals.get(ident.name)
                        if other is not None:
                            raise self.error(ident, f"'{ident.name}' is {_GLOBAL_KINDS[type(other)]}, not a symmetry")
                        raise self.error(ident, f"unknown symmetry '{ident.name}'{_suggest(ident.name, self.symmetries)}")
                    if ident.name in listed:
                        raise self.error(ident, f"symmetry '{ident.name}' is listed twice")
                    listed.add(ident.name)
                values["symmetries"] = tuple(i.name for i in opt.value)
            elif opt.kind == "classes":
                values["classes"] = self.classes(opt.value)
        values.update(self.knowledge([o for o in decl.options if o.kind in _KNOWLEDGE], values.get("max_parents")))
        return SearchSpec(span=decl.span, **values)

    def classes(self, idents: tuple[ast.Ident, ...]) -> tuple[str, ...]:
        """The free mechanisms of real variables a search may use (`classes linear, poly, histogram`)."""
        listed: list[str] = []
        for ident in idents:
            if ident.name not in regression.KINDS:
                raise self.error(ident, f"unknown class '{ident.name}'{_suggest(ident.name, regression.KINDS)}",
                                 hint="classes: " + ", ".join(regression.KINDS))
            if ident.name in listed:
                raise self.error(ident, f"class '{ident.name}' is listed twice")
            listed.append(ident.name)
        return tuple(listed)

    # ------------------------------------------------------------ background knowledge
    def knowledge(self, options: list[ast.SearchOption], max_parents: int | None) -> dict:
        """``forbid``, ``require``, ``tiers`` and ``targets`` lines, checked against each other."""
        forbid: dict[tuple[str, str], ast.EdgeRef] = {}
        require: dict[tuple[str, str], ast.EdgeRef] = {}
        tier_of: dict[str, int] = {}
        tiers_line: ast.SearchOption | None = None
        targets: dict[str, ast.Targets] = {}
        for opt in options:
            if opt.kind in ("forbid", "require"):
                for edge in opt.value:
                    key = self.edge(edge)
                    (forbid if opt.kind == "forbid" else require).setdefault(key, edge)
            elif opt.kind == "tiers":
                if tiers_line is not None:
                    raise self.error(opt, f"'tiers' conflicts with line {tiers_line.span.line} of this search",
                                     hint="write every tier on one `tiers` line")
                tiers_line = opt
                for i, tier in enumerate(opt.value):
                    for ident in tier:
                        self.variable_named(ident)
                        if ident.name in tier_of:
                            raise self.error(ident, f"{ident.name} is already in tier {tier_of[ident.name] + 1}; "
                                                    "a variable belongs to one tier")
                        tier_of[ident.name] = i
            else:
                line = opt.value
                if line.env.name in targets:
                    raise self.error(line.env, f"the targets of environment '{line.env.name}' are already declared "
                                               f"at line {targets[line.env.name].span.line}")
                seen: set[str] = set()
                for ident in line.variables:
                    self.variable_named(ident)
                    if ident.name in seen:
                        raise self.error(ident, f"'{ident.name}' is named twice")
                    seen.add(ident.name)
                targets[line.env.name] = line
        self.required_consistent(require, forbid, tier_of, max_parents)
        tiers = tuple(tuple(i.name for i in tier) for tier in tiers_line.value) if tiers_line else ()
        return {
            "forbid": tuple(forbid), "require": tuple(require), "tiers": tiers,
            "targets": tuple(TargetsLine(t.env.name, tuple(i.name for i in t.variables), t.env.span)
                             for t in targets.values()),
        }

    def edge(self, edge: ast.EdgeRef) -> tuple[str, str]:
        parent, child = self.variable_named(edge.parent).name, self.variable_named(edge.child).name
        if parent == child:
            raise self.error(edge, f"{parent} -> {child} is a self-edge; a variable is never its own parent")
        return parent, child

    def required_consistent(self, require: dict, forbid: dict, tier_of: dict[str, int], max_parents: int | None) -> None:
        """Every required edge is allowed by the other knowledge, and together they form a DAG within max_parents."""
        children: dict[str, list[str]] = {}
        count: dict[str, int] = {}
        for (parent, child), edge in require.items():
            if (parent, child) in forbid:
                raise self.error(edge, f"{parent} -> {child} is both required and forbidden "
                                       f"(forbidden at line {forbid[parent, child].span.line})")
            if parent in tier_of and child in tier_of and tier_of[parent] > tier_of[child]:
                raise self.error(edge, f"{parent} -> {child} is required, but the tiers put {parent} (tier "
                                       f"{tier_of[parent] + 1}) after {child} (tier {tier_of[child] + 1})")
            children.setdefault(parent, []).append(child)
            children.setdefault(child, [])
            cycle = find_cycle(children)
            if cycle is not None:
                shown = " -> ".join([*(u for u, _ in cycle), cycle[0][0]])
                raise self.error(edge, f"the required edges form a cycle: {shown}")
            count[child] = count.get(child, 0) + 1
            if max_parents is not None and count[child] > max_parents:
                raise self.error(edge, f"{child} is required to have {count[child]} parents, more than "
                                       f"max_parents {max_parents}", hint="raise `graphs max_parents` or require fewer")


def check(spec: ast.Spec, base_dir: str | None = None) -> Model:
    """Check a parsed spec and build its :class:`~kdsl.language.model.Model`.

    ``base_dir`` is where relative data paths are resolved (the spec file's
    folder; the working directory for spec text).
    """
    return _Checker(spec, base_dir).run()


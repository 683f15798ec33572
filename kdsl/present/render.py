"""Text rendering of results, at the edge (``kdsl solve`` and ``kdsl explain``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from kdsl.errors import KdslError
from kdsl.lengths.score import TERM_KINDS
from kdsl.sharing.profiles import METHODS
from kdsl.verdict.result import EdgeMargin, ProgramResult, Reading, Result, finite_or_none

__all__ = ["solve_text", "dot_text", "explain_text", "explain_json", "explained_programs", "Verdict", "verdict",
           "reading_text", "ORIENTATION_WORDS"]

#: How each source of an edge's direction is shown.
ORIENTATION_WORDS = {
    "equivalence class": "forced by the equivalence class",
    "shifts": "decided by shifts",
    "parameters": "parameter bits only (!)",
    "untested": "reversal not considered",
    "ignored": "parent unused: not a cause",
}
@dataclass(frozen=True)
class Verdict:
    """What a result concludes, as plain data for every renderer (text, HTML)."""

    best: str | None
    best_bits: float | None
    best_k: int | None
    ties: tuple[str, ...]  # more than one name when the best programs tie
    causes: tuple[tuple[str, str], ...]
    search_method: str | None
    search_proven: bool | None
    symmetries: tuple[str, ...] = ()  # what the best program's symmetries do, one phrase each
    search_gap: float | None = None  # bits between the best program and the search's proven lower bound
    search_why: str | None = None  # why the search used its method
    search_scored: int | None = None  # (variable, parent set) pairs scored
    search_candidates: int | None = None  # of those, kept after exact pruning (None: no pruning ran)
    deltas: tuple[float | None, ...] = ()  # per program, in the result's order: bits longer than the best
    same_as: tuple[str | None, ...] = ()  # per program: the earlier program it repeats
    runner_up: str | None = None  # the first program after the best (and its ties) that repeats none
    runner_up_reading: Reading | None = None
    edges: tuple[EdgeMargin, ...] = ()
    margin_basis: str | None = None
    parameter_only: tuple[tuple[str, str], ...] = ()  # causes whose direction only parameter bits decide
    stability: dict | None = None


def symmetry_phrases(program: ProgramResult) -> tuple[str, ...]:
    """One phrase per symmetry a program uses: an invariant table, or a table several variables reuse."""
    out: list[str] = []
    for var, mech in program.mechanisms.items():
        reuse = mech.get("reuse")
        if reuse and reuse["stored_by"] == var:
            others = [v for v in reuse["shared_by"] if v != var]
            out.append(f"{', '.join(others)} reuse{'s' if len(others) == 1 else ''} {var}'s table through "
                       f"{reuse['symmetry']}")
    for sym in program.symmetries:
        if sym.get("use") == "invariance":
            out.append(f"{sym['var']}'s table is invariant under {sym['symmetry']}")
    return tuple(out)


def verdict(result: Result) -> Verdict:
    """The verdict of ``result``: best program, ties, causes and the search's state."""
    best = result.program(result.best) if result.best is not None else None
    search = result.search or {}
    return Verdict(
        best=best.name if best else None,
        best_bits=best.total_bits if best else None,
        best_k=best.k if best else None,
        ties=tuple(result.ties) if len(result.ties) > 1 else (),
        causes=tuple(result.causes),
        search_method=search.get("method") if result.search is not None else None,
        search_proven=search.get("proven") if result.search is not None else None,
        symmetries=symmetry_phrases(best) if best else (),
        search_gap=search.get("gap"),
        search_why=search.get("why"),
        search_scored=search.get("local_scores"),
        search_candidates=search.get("candidates"),
        deltas=tuple(result.delta_bits(p) for p in result.programs),
        same_as=tuple(p.same_as for p in result.programs),
        runner_up=_runner_up(result),
        runner_up_reading=result.runner_up,
        edges=result.edges_margin,
        margin_basis=result.margin_basis,
        parameter_only=tuple((m.parent, m.child) for m in result.edges_margin
                             if m.orientation == "parameters" and (m.parent, m.child) in result.causes),
        stability=result.stability,
    )


def search_state(proven: bool | None, gap: float | None = None) -> str:
    """``proven optimal``, or not, with the gap to the lower bound where one is known.

    >>> search_state(False, 12.5)
    'best so far, NOT proven optimal: at most 12.5 bits above the optimum'
    """
    if proven:
        return "proven optimal"
    return "best so far, NOT proven optimal" + ("" if gap is None else f": at most {gap:.6g} bits above the optimum")


def _runner_up(result: Result) -> str | None:
    distinct = [p for p in result.programs if p.finite and p.same_as is None and p.name not in result.ties]
    return distinct[0].name if distinct and result.best is not None else None


def reading_text(r: Reading) -> str:
    """A margin's reading in words: its bits, strength, and level or why it has none.

    >>> from kdsl.verdict.margins import reading
    >>> reading_text(reading(3.0, "nml"))
    '3.00 bits, weak: favoured at level 2^-3.0 = 0.125 (no-hypercompression)'
    >>> reading_text(reading(25.0, "bic"))
    '25.00 bits, clear; no probability reading: bic is not a code length'
    """
    if r.bits is None:
        return "no alternative was considered"
    if r.strength is None:
        return f"{_bits(r.bits)} bits ({r.why_no_level})"
    if r.strength == "tie":
        return f"a tie ({r.why_no_level})"
    if r.level is not None:
        return f"{r.bits:.2f} bits, {r.strength}: favoured at level 2^-{r.bits:.1f} = {r.level:.3g} (no-hypercompression)"
    return f"{r.bits:.2f} bits, {r.strength}; no probability reading: {r.why_no_level}"


def _cause_text(v: Verdict, arrow: str = "->") -> str:
    shown = [f"{a} {arrow} {b}" + (" (direction from parameter bits only)" if (a, b) in v.parameter_only else "")
             for a, b in v.causes]
    return ", ".join(shown) or "no causal relation"


def _opt(x: float | None) -> str:
    return "-" if x is None else _bits(x)


def margin_rows(v: Verdict) -> list[tuple[str, ...]]:
    """The edge-margin table: a header, then one row per edge of the best program."""
    rows = [("edge", "remove", "reverse", "margin", "strength", "orientation")]
    for m in v.edges:
        rows.append((f"{m.parent}->{m.child}", _opt(m.remove_bits), _opt(m.reverse_bits), _opt(m.margin),
                     m.reading.strength or "-", ORIENTATION_WORDS[m.orientation]))
    return rows


def stability_rows(stability: dict) -> list[tuple[str, ...]]:
    """The stability table: a header, then each edge, orientation and target with its frequency."""
    rows = [("what", "", "frequency")]
    for kind in ("edges", "orientations", "targets"):
        for name, freq in stability[kind].items():
            rows.append((kind[:-1], name, f"{freq:.2f}"))
    return rows


def _ruled_table(rows: list[tuple[str, ...]], left: set[int]) -> list[str]:
    """Rows of text in aligned columns (``left`` ones left-aligned), the header ruled off."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for i, row in enumerate(rows):
        out.append("  ".join(c.ljust(w) if j in left else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths)))
                   .rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def _bits(x: float | None) -> str:
    return "inf" if x is None or not math.isfinite(x) else f"{x:.2f}"


def _edges(p: ProgramResult) -> str:
    return ", ".join(f"{a}->{b}" for a, b in p.edges) or "(none)"


def _sharing(p: ProgramResult) -> str:
    parts = []
    for var, groups in p.shifts.items():
        if len(groups) > 1:
            parts.append(f"{var}: " + " | ".join(",".join(g) for g in groups))
    return "; ".join(parts) or "all environments share every mechanism"


def solve_text(result: Result) -> str:
    """The ranked table that ``kdsl solve`` prints, the verdict, and how decisive it is."""
    v = verdict(result)
    rows = [("program", "total", "\u0394 best", "model", "data", "k", "edges", "shared mechanisms")]
    for p, delta, same in zip(result.programs, v.deltas, v.same_as):
        name = p.name if same is None else f"{p.name} = {same}"
        shown = "-" if delta is None else ("0" if p.name == v.best else f"+{delta:.2f}")
        rows.append((name, _bits(p.total_bits), shown, _bits(p.model_bits), _bits(p.data_bits),
                     "-" if p.k is None else str(p.k), _edges(p), _sharing(p)))
    n_env, n_rows = len(result.environments), sum(e["rows"] for e in result.environments)
    lines = [f"model {result.model}, code {result.code}, "
             f"{n_env} environment{'s' if n_env != 1 else ''}, {n_rows} row{'s' if n_rows != 1 else ''}"]
    lines += _ruled_table(rows, {0, 6, 7})
    if v.best is None:
        lines.append("no program has a finite length")
    else:
        if v.ties:
            lines.append(f"tie between {', '.join(v.ties)} (within 1e-9 bits + 1e-12 of the length)")
        lines.append(f"best: {v.best} ({_bits(v.best_bits)} bits, k = {v.best_k})")
        if v.runner_up is not None and v.runner_up_reading is not None:
            lines.append(f"margin over {v.runner_up}: {reading_text(v.runner_up_reading)}")
        lines.append(f"algorithmic causes: {_cause_text(v)}")
        if v.symmetries:
            lines.append(f"symmetries: {'; '.join(v.symmetries)}")
        if v.edges:
            lines.append(f"edge margins (bits to the shortest program without the edge, or with it reversed; "
                         f"against {v.margin_basis}):")
            lines += ["  " + line for line in _ruled_table(margin_rows(v), {0, 4, 5})]
            lines += [f"  {m.parent}->{m.child}: {m.why}" for m in v.edges if m.orientation in ("shifts", "parameters")]
        if v.stability:
            lines += stability_lines(v.stability)
    for p in result.programs:
        if p.reason:
            lines.append(f"{p.name}: infinite length: {p.reason}")
    if v.search_method is not None:
        lines.append(f"search: {v.search_method} ({search_state(v.search_proven, v.search_gap)})")
        if v.search_why:
            lines.append(f"method chosen: {v.search_why}")
        if v.search_candidates is not None and v.search_scored is not None:
            lines.append(f"parent sets: {v.search_scored:,} scored, {v.search_candidates:,} kept by exact pruning")
    for note in result.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def stability_lines(stability: dict) -> list[str]:
    """The stability block of ``kdsl solve``: frequencies over subsamples, and the verdict under every code."""
    lines = [f"stability over {stability['runs']} subsamples of {stability['fraction']:g} of each environment "
             f"(seed {stability['seed']}):"]
    lines += ["  " + line for line in _ruled_table(stability_rows(stability), {0, 1})]
    for code, row in stability["codes"].items():
        causes = ", ".join(f"{a} -> {b}" for a, b in row["causes"]) or "no causal relation"
        lines.append(f"  under {code}: best {row['best']}, causes {causes}")
    return lines
def _dot_id(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_text(result: Result) -> str:
    """The best program's graph as Graphviz text; a variable whose mechanism changes is boxed, with its groups.

    >>> from kdsl.verdict.result import ProgramResult, Result
    >>> p = ProgramResult("h", 3.0, 1.0, 2.0, 2, (("X", "Y"),), {"X": {}, "Y": {}},
    ...                   {"X": [["a"], ["b"]], "Y": [["a", "b"]]}, (), (), "", "", {})
    >>> print(dot_text(Result("m", "nml", (), (p,), "h", ("h",), (("X", "Y"),))))
    digraph "m" {
      label="m: program h, 3.00 bits (code nml)";
      "X" [shape=box, label="X\\na | b"];
      "Y";
      "X" -> "Y";
    }
    """
    lines = [f"digraph {_dot_id(result.model)} {{"]
    if result.best is None:
        lines.append('  label="no program has a finite length";')
        return "\n".join([*lines, "}"])
    best = result.program(result.best)
    title = f"{result.model}: program {best.name}, {_bits(best.total_bits)} bits (code {result.code})"
    lines.append(f"  label={_dot_id(title)};")
    for var in best.mechanisms:
        groups = best.shifts.get(var, [])
        if len(groups) > 1:
            shown = " | ".join(",".join(g) for g in groups)
            label = _dot_id(f"{var}\n{shown}").replace("\n", "\\n")
            lines.append(f"  {_dot_id(var)} [shape=box, label={label}];")
        else:
            lines.append(f"  {_dot_id(var)};")
    lines += [f"  {_dot_id(a)} -> {_dot_id(b)};" for a, b in best.edges]
    return "\n".join([*lines, "}"])


def explained_programs(result: Result, names: list[str] | None = None) -> list[ProgramResult]:
    """The programs ``kdsl explain`` shows: ``names`` in that order, or the best and the runner-up.

    Raises :class:`~kdsl.errors.KdslError` naming the programs when a name is not one of them.
    """
    if not names:
        return list(result.programs[:2])
    known = [p.name for p in result.programs]
    for name in names:
        if name not in known:
            raise KdslError(f"no program named {name!r}; the programs are: {', '.join(known)}")
    return [result.program(name) for name in names]


def explain_json(result: Result, names: list[str] | None = None) -> dict:
    """What ``kdsl explain --json`` prints: the code, and per program its length, formula and breakdown."""
    return {"model": result.model, "code": result.code,
            "programs": [{"name": p.name, "total_bits": finite_or_none(p.total_bits),
                          "model_bits": finite_or_none(p.model_bits), "data_bits": finite_or_none(p.data_bits),
                          "k": p.k, "formula": p.formula, "formula_text": p.formula_text, "reason": p.reason,
                          "breakdown": p.breakdown} for p in explained_programs(result, names)],
            "term_kinds": dict(TERM_KINDS)}


def _table(rows: list[tuple[str, ...]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.rjust(w) if j in right else c.ljust(w) for j, (c, w) in enumerate(zip(r, widths))).rstrip()
            for r in rows]


def _bar(bits: float, most: float, width: int = 30) -> str:
    return "#" * max(1 if bits > 0 else 0, round(width * bits / most)) if most > 0 else ""


def _breakdown_text(p: ProgramResult) -> list[str]:
    b = p.breakdown
    out = ["  legend (each symbol, its value in this program, what it is):"]
    out += _table([(s["symbol"], "=", f"{s['value']:.6g}", s["meaning"]) for s in b["symbols"]], {2})
    out.append("  terms in bits (model terms say what the program stores; data terms what the data cost under it):")
    rows = [("variable", "part", "pays for", "bits", "formula")]
    rows += [(t["owner"] or "(program)", t["part"], t["kind"], _bits(t["bits"]), t["formula"]) for t in b["terms"]]
    out += _table(rows, {3})
    out.append("  per variable (model + data = total):")
    most = max([v["total_bits"] for v in b["variables"]] + [b["program"]["total_bits"]])
    rows = [(v["variable"], _bits(v["model_bits"]), "+", _bits(v["data_bits"]), "=", _bits(v["total_bits"]),
             _bar(v["total_bits"], most)) for v in b["variables"]]
    rows.append(("(program)", _bits(b["program"]["model_bits"]), "+", _bits(b["program"]["data_bits"]), "=",
                 _bits(b["program"]["total_bits"]), _bar(b["program"]["total_bits"], most)))
    rows.append(("total", _bits(p.model_bits), "+", _bits(p.data_bits), "=", _bits(b["total_bits"]), ""))
    out += _table(rows, {1, 3, 5})
    return out


def _mechanism_lines(p: ProgramResult) -> list[str]:
    out = ["  how each variable's mechanisms are shared across environments [how the sharing was found]:"]
    for var, mech in p.mechanisms.items():
        by_env = mech["by_environment"]
        shown = ", ".join(f"{e}: {lab}" for e, lab in by_env.items() if lab) or "(no parameters)"
        reuse = mech.get("reuse")
        if reuse and reuse["stored_by"] != var:
            shown += f"  (reuses {reuse['stored_by']}'s tables through {reuse['symmetry']})"
        out.append(f"  {var} ~ {mech['template']}  distinct {mech['distinct']}  [{mech['method']}]  {shown}")
    return out


def explain_text(result: Result, names: list[str] | None = None) -> str:
    """What ``kdsl explain`` prints for the programs ``names`` (default: the best and the runner-up).

    Per program: its total, the formula (once: a program whose formula was
    already shown refers to it), the LaTeX, a legend of every symbol with
    its value, every term in bits, the model and data bits per variable plus
    the program's own terms (they add up to the total), how each variable's
    mechanisms are shared, and the shortest length for each k. At the end:
    what each kind of term pays for and what each method label means.
    """
    out = [f"code {result.code}; lengths in bits"]
    shown: dict[str, str] = {}
    kinds: set[str] = set()
    methods: list[str] = []
    for p in explained_programs(result, names):
        k = "" if p.k is None else f", k = {p.k}"
        out.append("")
        out.append(f"program {p.name}: {_bits(p.total_bits)} bits "
                   f"(model {_bits(p.model_bits)} + data {_bits(p.data_bits)}){k}")
        if p.reason:
            out.append(f"  infinite: {p.reason}")
            continue
        if p.formula_text in shown:
            out.append(f"  length = the formula of program {shown[p.formula_text]}, with this program's values")
        else:
            shown[p.formula_text] = p.name
            out.append(f"  length = {p.formula_text}")
            out.append(f"  LaTeX:  {p.formula}")
        if p.breakdown:
            out += _breakdown_text(p)
            kinds |= {t["kind"] for t in p.breakdown["terms"]}
        out += _mechanism_lines(p)
        for mech in p.mechanisms.values():
            if mech["method"] not in methods:
                methods.append(mech["method"])
        table = ", ".join(f"k={r['k']}: {_bits(r['total_bits'])}" for r in p.profile)
        out.append(f"  shortest length with exactly k distinct mechanisms: {table}")
    if kinds:
        out.append("")
        out.append("what each kind of term pays for:")
        out += _table([(kind, TERM_KINDS[kind]) for kind in TERM_KINDS if kind in kinds], set())
    if methods:
        out.append("")
        out.append("how the sharing was found (the labels in brackets):")
        out += _table([(f"[{m}]", METHODS.get(m, "")) for m in methods], set())
    return "\n".join(out)

"""Text rendering of results, at the edge (``kdsl solve`` and ``kdsl explain``)."""

from __future__ import annotations

from kdsl.errors import KdslError
from kdsl.lengths.score import TERM_KINDS
from kdsl.present import format as fmt
from kdsl.sharing.profiles import METHODS
from kdsl.verdict.result import ProgramResult, Result, finite_or_none

__all__ = ["solve_text", "stability_lines", "dot_text", "explain_text", "explain_json", "explained_programs",
           "latex_text"]


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


def solve_text(result: Result) -> str:
    """The ranked table that ``kdsl solve`` prints, the fmt.verdict, and how decisive it is."""
    v = fmt.verdict(result)
    rows = [("program", "total", "\u0394 best", "model", "data", "k", "edges", "shared mechanisms")]
    for p, delta, same in zip(result.programs, v.deltas, v.same_as):
        name = p.name if same is None else f"{p.name} = {same}"
        rows.append((name, fmt.bits_text(p.total_bits), fmt.delta_text(delta, p.name == v.best), fmt.bits_text(p.model_bits),
                     fmt.bits_text(p.data_bits), "-" if p.k is None else str(p.k), fmt.edges_text(p.edges), fmt.sharing_text(p)))
    n_env, n_rows = len(result.environments), sum(e["rows"] for e in result.environments)
    lines = [f"model {result.model}, code {result.code}, "
             f"{n_env} environment{'s' if n_env != 1 else ''}, {n_rows} row{'s' if n_rows != 1 else ''}"]
    lines += _ruled_table(rows, {0, 6, 7})
    lines += [sentence for _, sentence in fmt.headline(v)]
    if v.best is not None:
        if v.edges:
            lines.append(f"edge margins (bits to the shortest program without the edge, or with it reversed; "
                         f"against {v.margin_basis}):")
            lines += ["  " + line for line in _ruled_table(fmt.margin_rows(v), {0, 4, 5})]
            lines += [f"  {m.parent}->{m.child}: {m.why}" for m in v.edges
                      if m.orientation in ("shifts", "fit", "implied", "parameters", "knowledge")]
        if v.stability:
            lines += stability_lines(v.stability)
    for p in result.programs:
        if p.reason:
            lines.append(f"{p.name}: infinite length: {p.reason}")
    if v.search_method is not None:
        lines.append(f"search: {v.search_method} ({fmt.search_state(v.search_proven, v.search_gap)})")
        if v.search_why:
            lines.append(f"method chosen: {v.search_why}")
        if v.search_candidates is not None and v.search_scored is not None:
            lines.append(f"parent sets: {v.search_scored:,} scored, {v.search_candidates:,} kept by exact pruning")
    for note in result.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def stability_lines(stability: dict) -> list[str]:
    """The stability block of ``kdsl solve``: frequencies over subsamples, and the fmt.verdict under every code."""
    lines = [f"stability over {stability['runs']} subsamples of {stability['fraction']:g} of each environment "
             f"(seed {stability['seed']}):"]
    lines += ["  " + line for line in _ruled_table(fmt.stability_rows(stability), {0, 1})]
    lines += [f"  under {code}: best {best}, causes {causes}" for code, best, causes in fmt.stability_causes(stability)]
    return lines
def _dot_id(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_text(result: Result) -> str:
    """The best program's graph as Graphviz text; a variable whose mechanism changes is boxed, with its groups.

    >>> from kdsl.verdict.result import MechanismResult, ProgramResult, Result
    >>> x = MechanismResult("table", "table", (), False, 2, 1.0, {"a": "table 1", "b": "table 2"}, "exact partition DP")
    >>> y = MechanismResult("table(X)", "table(X)", ("X",), False, 1, 1.0, {"a": "table 1", "b": "table 1"}, "exact partition DP")
    >>> p = ProgramResult("h", 3.0, 1.0, 2.0, 3, (("X", "Y"),), {"X": x, "Y": y},
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
    title = f"{result.model}: program {best.name}, {fmt.bits_text(best.total_bits)} bits (code {result.code})"
    lines.append(f"  label={_dot_id(title)};")
    for var in best.mechanisms:
        groups = best.shifts.get(var, [])
        if len(groups) > 1:
            label = _dot_id(f"{var}\n{fmt.groups_text(groups)}").replace("\n", "\\n")
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
    rows += [(t["owner"] or "(program)", t["part"], t["kind"], fmt.bits_text(t["bits"]), t["formula"]) for t in b["terms"]]
    out += _table(rows, {3})
    out.append("  per variable (model + data = total):")
    most = max([v["total_bits"] for v in b["variables"]] + [b["program"]["total_bits"]])
    rows = [(v["variable"], fmt.bits_text(v["model_bits"]), "+", fmt.bits_text(v["data_bits"]), "=", fmt.bits_text(v["total_bits"]),
             _bar(v["total_bits"], most)) for v in b["variables"]]
    rows.append(("(program)", fmt.bits_text(b["program"]["model_bits"]), "+", fmt.bits_text(b["program"]["data_bits"]), "=",
                 fmt.bits_text(b["program"]["total_bits"]), _bar(b["program"]["total_bits"], most)))
    rows.append(("total", fmt.bits_text(p.model_bits), "+", fmt.bits_text(p.data_bits), "=", fmt.bits_text(b["total_bits"]), ""))
    out += _table(rows, {1, 3, 5})
    return out


def _mechanism_lines(p: ProgramResult) -> list[str]:
    out = ["  how each variable's mechanisms are shared across environments [how the sharing was found]:"]
    for var, mech in p.mechanisms.items():
        shown = ", ".join(f"{e}: {lab}" for e, lab in mech.by_environment.items() if lab) or "(no parameters)"
        if mech.reuse is not None and mech.reuse.stored_by != var:
            shown += f"  (reuses {mech.reuse.stored_by}'s tables through {mech.reuse.symmetry})"
        out.append(f"  {var} ~ {mech.template}  distinct {mech.distinct}  [{mech.method}]  {shown}")
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
        out.append(f"program {p.name}: {fmt.bits_text(p.total_bits)} bits "
                   f"(model {fmt.bits_text(p.model_bits)} + data {fmt.bits_text(p.data_bits)}){k}")
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
            if mech.method not in methods:
                methods.append(mech.method)
        table = ", ".join(f"k={r['k']}: {fmt.bits_text(r['total_bits'])}" for r in p.profile)
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


def _latex_escape(text: str) -> str:
    r"""Text for LaTeX's ``\text{...}``.

    >>> _latex_escape("a_b & {c}")
    'a\\_b \\& \\{c\\}'
    """
    out = text.replace("\\", "\\textbackslash ")
    for ch in "_&%$#{}":
        out = out.replace(ch, "\\" + ch)
    return out.replace("^", "\\^{}").replace("~", "\\~{}")


def latex_text(result: Result, names: list[str] | None = None, values: bool = False) -> str:
    r"""The programs' lengths as a LaTeX ``align*`` block: each symbolic length, then its value in bits.

    ``names``: the programs shown, in that order (default: every program,
    shortest first). ``values``: under each length, a line giving every
    symbol's value (what ``kdsl explain --format latex`` shows). An infinite
    length shows why, as text. A ``%`` comment names the model and the code.

    >>> from kdsl.verdict.result import ProgramResult, Result
    >>> p = ProgramResult("h_1", 3.0, 1.0, 2.0, 1, (), {}, {}, (), (), r"\log_{2} N", "log2(N)", {})
    >>> print(latex_text(Result("m", "nml", (), (p,), "h_1", ("h_1",), ())))
    % kdsl: model m, code nml; lengths in bits
    \begin{align*}
    L_{\text{h\_1}} &= \log_{2} N = 3.00
    \end{align*}
    """
    programs = result.programs if names is None else [result.program(n) for n in names]
    rows = []
    for p in programs:
        head = f"L_{{\\text{{{_latex_escape(p.name)}}}}} &= "
        if not p.formula:
            rows.append(head + f"\\infty \\quad \\text{{({_latex_escape(p.reason or 'no finite length')})}}")
        else:
            rows.append(head + f"{p.formula} = {fmt.bits_text(p.total_bits)}")
            if values and p.formula_values:
                shown = ",\\ ".join(f"{sym} = {fmt.latex_number(v)}" for sym, v in p.formula_values.items())
                rows.append(f"&\\quad \\text{{with }} {shown}")
    lines = [f"% kdsl: model {result.model}, code {result.code}; lengths in bits", "\\begin{align*}",
             " \\\\\n".join(rows), "\\end{align*}"]
    return "\n".join(line for line in lines if line)

"""How kdsl shows a result, in one place: numbers, edges, groups, the verdict's words, the palette.

Every renderer takes its wording from here -- the text of ``kdsl solve`` and
``kdsl explain`` (:mod:`kdsl.present.render`), the static HTML
(:mod:`kdsl.present.html`), the notebook widgets
(:mod:`kdsl.present.widgets`) and ``kdsl check``'s summary -- so a result
reads the same in a terminal, a notebook and a browser. Nothing here builds
markup: text renderers use the strings as they are, HTML renderers escape
them.

>>> bits_text(2.5), bits_text(float("inf")), bits_text(None, infinity=INFINITY_HTML)
('2.50', 'inf', '∞')
>>> edges_text([("X", "Y"), ("Y", "Z")]), edges_text([], ARROW_HTML)
('X->Y, Y->Z', '(none)')
>>> groups_text([["a", "b"], ["c"]])
'a,b | c'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kdsl.verdict.result import EdgeMargin, ProgramResult, Reading, Result

__all__ = [
    "ARROW", "ARROW_HTML", "INFINITY_HTML", "TIE_WORDS", "ALL_SHARED", "COLORS", "PALETTE", "FONT", "MONO", "ORIENTATION_WORDS",
    "CAUSE_REMARKS",
    "bits_text", "optional_bits", "delta_text", "latex_number", "edges_text", "groups_text", "changed_variables",
    "sharing_text", "causes_text", "headline", "Verdict", "verdict", "symmetry_phrases", "search_state", "reading_text",
    "margin_rows", "stability_rows", "stability_causes", "summary_text",
]

#: The arrow of an edge in plain text and in HTML.
ARROW, ARROW_HTML = "->", "\u2192"
#: An infinite length in HTML (plain text says ``inf``).
INFINITY_HTML = "\u221e"
#: What a tie means, in the words every renderer uses.
TIE_WORDS = "within 1e-9 bits + 1e-12 of the length"

#: The palette of the HTML and the widgets.
COLORS = {
    "model": "#4c78a8",  # model bits
    "data": "#9ecae9",  # data bits
    "best": "#fff3c4",  # best row
    "changed_fill": "#fdd0a2",
    "changed_stroke": "#d94801",
    "node_fill": "#f0f0f0",
    "node_stroke": "#555555",
    "edge": "#444444",
    "text": "#222222",
    "muted": "#666666",
}
#: Colours of groups of environments and of variables (matplotlib's tab10, then tab10 lightened).
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
)
#: CSS font stacks of the HTML and the widgets.
FONT = "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif"
MONO = "font-family:SFMono-Regular,Menlo,Consolas,monospace"

#: How each source of an edge's direction is shown.
ORIENTATION_WORDS = {
    "equivalence class": "forced by the equivalence class",
    "shifts": "decided by shifts",
    "fit": "decided by the fit",
    "implied": "implied by oriented edges",
    "parameters": "parameter bits only (!)",
    "knowledge": "fixed by knowledge",
    "untested": "reversal not considered",
    "ignored": "parent unused: not a cause",
}
#: The remark after a cause whose direction the data do not establish, by the edge's orientation.
CAUSE_REMARKS = {
    "parameters": "direction from parameter bits only",
    "untested": "direction not tested",
    "knowledge": "direction fixed by knowledge",
}


# ---------------------------------------------------------------------- numbers
def bits_text(x: float | None, infinity: str = "inf") -> str:
    """A length in bits, two decimals; ``infinity`` for None, inf or NaN."""
    return infinity if x is None or not math.isfinite(x) else f"{x:.2f}"


def optional_bits(x: float | None) -> str:
    """A length in bits, or ``-`` where there is none (a margin with no alternative).

    >>> optional_bits(None), optional_bits(3.0)
    ('-', '3.00')
    """
    return "-" if x is None else bits_text(x)


def delta_text(delta: float | None, is_best: bool, missing: str = "-") -> str:
    """The bits a program is longer than the best: ``0`` for the best, ``missing`` for an infinite one.

    >>> delta_text(1.234, False), delta_text(0.0, True), delta_text(None, False)
    ('+1.23', '0', '-')
    """
    if is_best:
        return "0"
    return missing if delta is None else f"+{delta:.2f}"


def latex_number(x: float) -> str:
    r"""A number for LaTeX: integers as they are, else four significant digits (two decimals from 10^4).

    >>> latex_number(3.0), latex_number(0.123456), latex_number(12345.678), latex_number(float("inf"))
    ('3', '0.1235', '12345.68', '\\infty')
    """
    if not math.isfinite(x):
        return r"\infty"
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.4g}" if abs(x) < 1e4 else f"{x:.2f}"


# ---------------------------------------------------------------------- a program's parts
def edges_text(edges: Iterable[tuple[str, str]], arrow: str = ARROW, empty: str = "(none)") -> str:
    """Edges as ``A->B, ...`` (``empty`` when there are none)."""
    return ", ".join(f"{a}{arrow}{b}" for a, b in edges) or empty


def groups_text(groups: Sequence[Sequence[str]], sep: str = ",") -> str:
    """Groups of environments that share one mechanism: ``a,b | c``."""
    return " | ".join(sep.join(g) for g in groups)


def changed_variables(program: ProgramResult) -> dict[str, list[list[str]]]:
    """Variables whose environments fall into more than one shift group.

    >>> p = ProgramResult("p", 1.0, 0.5, 0.5, 1, (), {}, {"X": [["a"], ["b"]], "Y": [["a", "b"]]}, (), (), "", "", {})
    >>> changed_variables(p)
    {'X': [['a'], ['b']]}
    """
    return {var: groups for var, groups in program.shifts.items() if len(groups) > 1}


#: What a program that shares every mechanism says instead of its groups.
ALL_SHARED = "all environments share every mechanism"


def sharing_text(program: ProgramResult) -> str:
    """Each changed variable's groups, ``X: a | b,c; ...``, or that every mechanism is shared."""
    parts = [f"{var}: {groups_text(groups)}" for var, groups in changed_variables(program).items()]
    return "; ".join(parts) or ALL_SHARED


# ---------------------------------------------------------------------- the verdict
@dataclass(frozen=True)
class Verdict:
    """What a result concludes, as plain data for every renderer (text, HTML, widgets)."""

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
    cause_remarks: tuple[tuple[str, str, str], ...] = ()  # (parent, child, remark): causes whose direction the
    # data do not establish (parameter bits only, not tested, fixed by knowledge)
    stability: dict | None = None


def symmetry_phrases(program: ProgramResult) -> tuple[str, ...]:
    """One phrase per symmetry a program uses: an invariant table, or a table several variables reuse."""
    out: list[str] = []
    for var, mech in program.mechanisms.items():
        reuse = mech.reuse
        if reuse is not None and reuse.stored_by == var:
            others = [v for v in reuse.shared_by if v != var]
            out.append(f"{', '.join(others)} reuse{'s' if len(others) == 1 else ''} {var}'s table through "
                       f"{reuse.symmetry}")
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
        cause_remarks=tuple((m.parent, m.child, CAUSE_REMARKS[m.orientation]) for m in result.edges_margin
                            if m.orientation in CAUSE_REMARKS and (m.parent, m.child) in result.causes),
        stability=result.stability,
    )


def _runner_up(result: Result) -> str | None:
    distinct = [p for p in result.programs if p.finite and p.same_as is None and p.name not in result.ties]
    return distinct[0].name if distinct and result.best is not None else None


def search_state(proven: bool | None, gap: float | None = None) -> str:
    """``proven optimal``, or not, with the gap to the lower bound where one is known.

    >>> search_state(False, 12.5)
    'best so far, NOT proven optimal: at most 12.5 bits above the optimum'
    """
    if proven:
        return "proven optimal"
    return "best so far, NOT proven optimal" + ("" if gap is None else f": at most {gap:.6g} bits above the optimum")


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
        return f"{bits_text(r.bits)} bits ({r.why_no_level})"
    if r.strength == "tie":
        return f"a tie ({r.why_no_level})"
    if r.level is not None:
        return f"{r.bits:.2f} bits, {r.strength}: favoured at level 2^-{r.bits:.1f} = {r.level:.3g} (no-hypercompression)"
    return f"{r.bits:.2f} bits, {r.strength}; no probability reading: {r.why_no_level}"


def causes_text(v: Verdict, arrow: str = ARROW) -> str:
    """The verdict's causes, ``A -> B, ...``, marking those whose direction the data do not establish."""
    remarks = {(a, b): remark for a, b, remark in v.cause_remarks}
    shown = [f"{a} {arrow} {b}" + (f" ({remarks[a, b]})" if (a, b) in remarks else "")
             for a, b in v.causes]
    return ", ".join(shown) or "no causal relation"


def headline(v: Verdict, arrow: str = ARROW) -> list[tuple[str, str]]:
    """The verdict's sentences, each with what it says: ``tie``, ``best``, ``runner-up``, ``causes``, ``symmetries``.

    Text prints them as lines; HTML as one element each (``kdsl-KIND``).
    A result with no finite program has the one sentence ``none``.
    """
    if v.best is None:
        return [("none", "no program has a finite length")]
    out = []
    if v.ties:
        out.append(("tie", f"tie between {', '.join(v.ties)} ({TIE_WORDS})"))
    out.append(("best", f"best: {v.best} ({bits_text(v.best_bits)} bits, k = {v.best_k})"))
    if v.runner_up is not None and v.runner_up_reading is not None:
        out.append(("runner-up", f"margin over {v.runner_up}: {reading_text(v.runner_up_reading)}"))
    out.append(("causes", f"algorithmic causes: {causes_text(v, arrow)}"))
    if v.symmetries:
        out.append(("symmetries", f"symmetries: {'; '.join(v.symmetries)}"))
    return out


def margin_rows(v: Verdict) -> list[tuple[str, ...]]:
    """The edge-margin table: a header, then one row per edge of the best program."""
    rows = [("edge", "remove", "reverse", "margin", "strength", "orientation")]
    for m in v.edges:
        rows.append((f"{m.parent}->{m.child}", optional_bits(m.remove_bits), optional_bits(m.reverse_bits),
                     optional_bits(m.margin), m.reading.strength or "-", ORIENTATION_WORDS[m.orientation]))
    return rows


def stability_rows(stability: dict) -> list[tuple[str, ...]]:
    """The stability table: a header, then each edge, orientation and target with its frequency."""
    rows = [("what", "which", "frequency")]
    for kind in ("edges", "orientations", "targets"):
        for name, freq in stability[kind].items():
            rows.append((kind[:-1], name, f"{freq:.2f}"))
    return rows


def stability_causes(stability: dict, arrow: str = ARROW) -> list[tuple[str, str, str]]:
    """Per code of a stability run: the code, its best program and its causes in words."""
    return [(code, row["best"], ", ".join(f"{a} {arrow} {b}" for a, b in row["causes"]) or "no causal relation")
            for code, row in stability["codes"].items()]


# ---------------------------------------------------------------------- kdsl check
def summary_text(summary: dict) -> str:
    """The text that ``kdsl check`` (and ``%%kdsl --check``) prints for a valid spec's summary."""
    precision = f", precision {summary['precision']}" if summary.get("precision") else ""
    out = [f"model {summary['model']}: ok (code {summary['code']}{precision})"]
    variables = summary["variables"]
    out.append(f"variables ({len(variables)}):")
    width = max((len(v["name"]) for v in variables), default=1)
    for v in variables:
        size = f"{v['size']} values" if v["size"] is not None else "continuous"
        out.append(f"  {v['name']:<{width}}  {v['domain']}  ({size})")
    envs = summary["environments"]
    total = sum(e["rows"] for e in envs)
    out.append(f"environments ({len(envs)}, {total} rows):")
    width = max((len(e["name"]) for e in envs), default=1)
    for e in envs:
        out.append(f"  {e['name']:<{width}}  {e['rows']:>6} rows  {e['origin']}")
    if summary["templates"]:
        out.append(f"templates ({len(summary['templates'])}):")
        for t in summary["templates"]:
            head = f"{t['name']}({t['child']}" + (" | " + ", ".join(t["parents"]) if t["parents"] else "") + ")"
            slots = ", ".join(f"{k}: {n} candidates" for k, n in t["slots"].items())
            out.append(f"  {head} = {t['rhs']}" + (f"   where {slots}" if slots else ""))
    if summary["symmetries"]:
        out.append(f"symmetries ({len(summary['symmetries'])}):")
        for s in summary["symmetries"]:
            out.append(f"  {s['name']} on {', '.join(s['on'])} = {s['kind']}")
    if summary["hypotheses"]:
        out.append(f"hypotheses ({len(summary['hypotheses'])}):")
        for h in summary["hypotheses"]:
            edges = ", ".join(f"{a} -> {b}" for a, b in h["edges"]) or "no edges"
            out.append(f"  {h['name']}: {edges}")
    if summary["search"] is not None:
        mp = summary["search"]["max_parents"]
        top = summary["search"]["top"]
        out.append(f"search: every DAG{'' if mp is None else f' with at most {mp} parent' + ('s' if mp != 1 else '')}"
                   + ("" if top is None else f", top {top}")
                   + ("" if summary["search"].get("method") is None else f", method {summary['search']['method']}"))
    return "\n".join(out)

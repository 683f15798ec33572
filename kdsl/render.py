"""Text rendering of results, at the edge (``kdsl solve`` and ``kdsl explain``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .result import ProgramResult, Result

__all__ = ["solve_text", "explain_text", "Verdict", "verdict"]


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
    )


def search_state(proven: bool | None) -> str:
    return "proven optimal" if proven else "best so far, NOT proven optimal"


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
    """The ranked table that ``kdsl solve`` prints."""
    rows = [("program", "total", "model", "data", "k", "edges", "shared mechanisms")]
    for p in result.programs:
        rows.append((p.name, _bits(p.total_bits), _bits(p.model_bits), _bits(p.data_bits),
                     "-" if p.k is None else str(p.k), _edges(p), _sharing(p)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    n_env, n_rows = len(result.environments), sum(e["rows"] for e in result.environments)
    lines = [f"model {result.model}, code {result.code}, "
             f"{n_env} environment{'s' if n_env != 1 else ''}, {n_rows} row{'s' if n_rows != 1 else ''}"]
    for i, row in enumerate(rows):
        cells = [c.ljust(w) if j == 0 or j == 5 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells) + "  " + row[-1])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len(row[-1]))
    v = verdict(result)
    if v.best is None:
        lines.append("no program has a finite length")
    else:
        if v.ties:
            lines.append(f"tie between {', '.join(v.ties)} (within 1e-9 bits)")
        lines.append(f"best: {v.best} ({_bits(v.best_bits)} bits, k = {v.best_k})")
        causes = ", ".join(f"{a} -> {b}" for a, b in v.causes) or "no causal relation"
        lines.append(f"algorithmic causes: {causes}")
        if v.symmetries:
            lines.append(f"symmetries: {'; '.join(v.symmetries)}")
    for p in result.programs:
        if p.reason:
            lines.append(f"{p.name}: infinite length: {p.reason}")
    if v.search_method is not None:
        lines.append(f"search: {v.search_method} ({search_state(v.search_proven)})")
    for note in result.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def explain_text(result: Result) -> str:
    """Each program's symbolic length, its LaTeX and the numbers substituted."""
    out = []
    for p in result.programs:
        k = "" if p.k is None else f", k = {p.k}"
        out.append(f"program {p.name}: {_bits(p.total_bits)} bits "
                   f"(model {_bits(p.model_bits)} + data {_bits(p.data_bits)}){k}")
        if p.reason:
            out.append(f"  infinite: {p.reason}")
            continue
        out.append(f"  length = {p.formula_text}")
        out.append(f"  LaTeX:  {p.formula}")
        values = ", ".join(f"{k} = {v:.6g}" for k, v in sorted(p.formula_values.items()))
        out.append(f"  where  {values}")
        for var, mech in p.mechanisms.items():
            by_env = mech["by_environment"]
            shown = ", ".join(f"{e}: {lab}" for e, lab in by_env.items() if lab) or "(no parameters)"
            reuse = mech.get("reuse")
            if reuse and reuse["stored_by"] != var:
                shown += f"  (reuses {reuse['stored_by']}'s tables through {reuse['symmetry']})"
            out.append(f"  {var} ~ {mech['template']}  distinct {mech['distinct']}  [{mech['method']}]  {shown}")
        table = ", ".join(f"k={r['k']}: {_bits(r['total_bits'])}" for r in p.profile)
        out.append(f"  profile (shortest with exactly k): {table}")
        out.append("")
    return "\n".join(out).rstrip()

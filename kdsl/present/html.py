"""HTML rendering of results for notebooks: plain strings, no notebook packages.

Everything here builds text with :func:`html.escape` on every name that came
from a user (variables, programs, environments, file names), so the output is
safe to hand to a browser. Layout uses networkx (a core dependency); the graph
is drawn as inline SVG by hand (boxes, paths, arrowhead polygons, no
``<marker>`` ids, no scripts, no ``<style>`` element: only inline styles, so
several results on one page never clash and sanitizers keep the drawing).

Building blocks (also for the notebook widgets):

* :func:`result_html` -- the whole result: ranked table, bits bars, verdict,
  the best program's graph and its formula.
* :func:`ranking_html`, :func:`bits_bar_html`, :func:`program_svg`,
  :func:`formula_html` -- the parts.
* :func:`mimebundle` -- what ``Result._repr_mimebundle_`` returns.

>>> from kdsl.verdict.result import ProgramResult, Result
>>> p = ProgramResult("a<b", 3.0, 1.0, 2.0, 1, (("X", "Y"),), {}, {"X": [["e0"], ["e1"]]}, (), (), "x^2", "x**2", {})
>>> r = Result("m", "paper", ({"name": "e0", "rows": 5},), (p,), "a<b", ("a<b",), (("X", "Y"),))
>>> "a&lt;b" in result_html(r) and "a<b" not in result_html(r)
True
>>> sorted(mimebundle(r))
['application/json', 'text/html', 'text/plain']
"""

from __future__ import annotations

import math
import warnings
from html import escape
from typing import Any

from kdsl._lazy import lazy_module
from kdsl.present.format import (
    ALL_SHARED,
    ARROW_HTML,
    COLORS,
    FONT,
    INFINITY_HTML,
    MONO,
    Verdict,
    bits_text,
    changed_variables,
    delta_text,
    edges_text,
    groups_text,
    headline,
    margin_rows,
    search_state,
    stability_causes,
    stability_rows,
    verdict,
)
from kdsl.verdict.result import ProgramResult, Result

nx = lazy_module("networkx")

__all__ = [
    "result_html",
    "ranking_html",
    "bits_bar_html",
    "program_svg",
    "formula_html",
    "breakdown_html",
    "graph_layout",
    "mimebundle",
    "margins_html",
    "stability_html",
    "esc",
    "explain_html",
    "edges_label",
    "table_html",
]

def esc(value: Any) -> str:
    """Escape for text and for double- or single-quoted attributes."""
    return escape(str(value), quote=True)


def _bits(x: float | None) -> str:
    return bits_text(x, INFINITY_HTML)


def _num(x: float) -> str:
    """A coordinate for SVG."""
    return f"{x:.1f}"


# ---------------------------------------------------------------------- facts
def _variables(program: ProgramResult) -> list[str]:
    """The program's variables, in declaration order where known."""
    out: list[str] = []
    for name in list(program.mechanisms) + list(program.shifts) + [v for e in program.edges for v in e]:
        if name not in out:
            out.append(name)
    return out


def edges_label(p: ProgramResult) -> str:
    """A program's edges as the HTML shows them: ``A → B, ...`` (unescaped)."""
    return edges_text(p.edges, f" {ARROW_HTML} ")


# ---------------------------------------------------------------------- table
def bits_bar_html(program: ProgramResult, scale: float, width: int = 160) -> str:
    """A horizontal bar: model bits (dark) then data bits (light).

    ``scale`` is the number of bits that fills ``width`` pixels (use the
    longest finite total of the table so bars compare).

    >>> p = ProgramResult("p", 10.0, 2.5, 7.5, 1, (), {}, {}, (), (), "", "", {})
    >>> 'width:40px' in bits_bar_html(p, 10.0)
    True
    """
    if not program.finite or scale <= 0 or not math.isfinite(program.model_bits) or not math.isfinite(program.data_bits):
        return f'<span style="color:{COLORS["muted"]}">no finite length</span>'
    total_px = max(1.0, width * program.total_bits / scale)
    share = program.model_bits / program.total_bits if program.total_bits > 0 else 0.0
    model_px = round(total_px * min(max(share, 0.0), 1.0))
    data_px = max(0, round(total_px) - model_px)
    title = f"model {_bits(program.model_bits)} bits + data {_bits(program.data_bits)} bits"
    return (
        f'<div class="kdsl-bar" title="{esc(title)}" style="display:flex;height:10px;width:{width}px">'
        f'<div class="kdsl-bar-model" style="width:{model_px}px;background:{COLORS["model"]}"></div>'
        f'<div class="kdsl-bar-data" style="width:{data_px}px;background:{COLORS["data"]}"></div>'
        "</div>"
    )


def _sharing_html(p: ProgramResult) -> str:
    changed = changed_variables(p)
    if not changed:
        return f'<span style="color:{COLORS["muted"]}">{ALL_SHARED}</span>'
    return "<br>".join(f"<b>{esc(var)}</b>: {esc(groups_text(groups, ', '))}" for var, groups in changed.items())


def ranking_html(result: Result) -> str:
    """The ranked table of programs (shortest first), best row highlighted."""
    finite = [p.total_bits for p in result.programs if p.finite]
    scale = max(finite) if finite else 0.0
    best = result.program(result.best) if result.best is not None else None
    ties = set(result.ties) if len(result.ties) > 1 else set()
    th = f'style="text-align:{{}};padding:2px 8px;border-bottom:1px solid {COLORS["muted"]}"'
    heads = [("#", "right"), ("program", "left"), ("total", "right"), ("\u0394 best", "right"), ("model", "right"),
             ("data", "right"), ("bits: model + data", "left"), ("k", "right"), ("edges", "left"),
             ("shared mechanisms", "left")]
    out = ['<table class="kdsl-ranking" style="border-collapse:collapse;font-size:12px;margin:4px 0">', "<thead><tr>"]
    out += [f"<th {th.format(align)}>{esc(h)}</th>" for h, align in heads]
    out.append("</tr></thead><tbody>")
    td = 'style="text-align:{};padding:2px 8px;vertical-align:top"'
    for rank, p in enumerate(result.programs, 1):
        is_best = best is not None and p.name == best.name
        classes = ["kdsl-program"] + (["kdsl-best"] if is_best else []) + (["kdsl-tie"] if p.name in ties else [])
        style = f' style="background:{COLORS["best"]};color:#000;font-weight:600"' if is_best or p.name in ties else ""
        delta = delta_text(result.delta_bits(p), p is best, "\u2013")
        badge = ""
        if is_best:
            badge = " \u2605"
        if p.name in ties:
            badge += ' <span title="tie {TIE_WORDS}" style="font-weight:400">(tie)</span>'
        if p.same_as is not None:
            badge += f' <span title="the very same program" style="font-weight:400">= <code>{esc(p.same_as)}</code></span>'
        cells = [
            (str(rank), "right"),
            (f"<code>{esc(p.name)}</code>{badge}", "left"),
            (_bits(p.total_bits), "right"),
            (delta, "right"),
            (_bits(p.model_bits), "right"),
            (_bits(p.data_bits), "right"),
            (bits_bar_html(p, scale), "left"),
            ("\u2013" if p.k is None else str(p.k), "right"),
            (esc(edges_label(p)), "left"),
            (_sharing_html(p), "left"),
        ]
        out.append(f'<tr class="{" ".join(classes)}" data-program="{esc(p.name)}"{style}>')
        out += [f"<td {td.format(align)}>{cell}</td>" for cell, align in cells]
        out.append("</tr>")
        if p.reason:
            out.append(f'<tr class="kdsl-reason"><td></td><td colspan="{len(heads) - 1}" style="padding:0 8px 4px;'
                       f'color:{COLORS["muted"]}">infinite length: {esc(p.reason)}</td></tr>')
    out.append("</tbody></table>")
    legend = (f'<div style="font-size:11px;color:{COLORS["muted"]}">bars: '
              f'<span style="display:inline-block;width:10px;height:10px;background:{COLORS["model"]}"></span> model bits '
              f'<span style="display:inline-block;width:10px;height:10px;background:{COLORS["data"]}"></span> data bits'
              " (lengths to scale; \u0394 best is the extra length over the best program)</div>")
    return "".join(out) + legend


def table_html(rows: list[tuple[str, ...]], left: set[int], css: str) -> str:
    """A small table from rows of text (the first row is the header)."""
    th = f'style="padding:1px 8px;border-bottom:1px solid {COLORS["muted"]};text-align:{{}}"'
    td = 'style="padding:1px 8px;text-align:{}"'
    out = [f'<table class="{css}" style="border-collapse:collapse;font-size:12px;margin:2px 0 4px 12px"><tr>']
    out += [f"<th {th.format('left' if j in left else 'right')}>{esc(c)}</th>" for j, c in enumerate(rows[0])]
    out.append("</tr>")
    for row in rows[1:]:
        out.append("<tr>" + "".join(f"<td {td.format('left' if j in left else 'right')}>{esc(c)}</td>"
                                    for j, c in enumerate(row)) + "</tr>")
    return "".join(out) + "</table>"


def _verdict_html(result: Result) -> str:
    out = []
    v = verdict(result)
    for kind, sentence in headline(v, ARROW_HTML):
        shown = f"<b>{esc(sentence)}</b>" if kind in ("none", "best", "tie") else esc(sentence)
        out.append(f'<div class="kdsl-verdict-{kind}">{shown}</div>')
    if v.best is not None:
        out.append(margins_html(v))
        if v.stability:
            out.append(stability_html(v.stability))
    if v.search_method is not None:
        out.append(f"<div>search: {esc(v.search_method)} ({search_state(v.search_proven, v.search_gap)})</div>")
    if result.notes:
        out.append('<ul class="kdsl-notes" style="margin:4px 0;padding-left:20px">')
        out += [f"<li>note: {esc(n)}</li>" for n in result.notes]
        out.append("</ul>")
    return f'<div class="kdsl-verdict" style="margin:4px 0">{"".join(out)}</div>'


def margins_html(v: Verdict) -> str:
    """The edge-margin table of a verdict, and why each direction that is not forced holds."""
    if not v.edges:
        return ""
    out = [f"<div>edge margins (bits; against {esc(v.margin_basis)}):</div>",
           table_html(margin_rows(v), {0, 4, 5}, "kdsl-margins")]
    out += [f'<div style="margin-left:12px;font-size:12px">{esc(m.parent)} {ARROW_HTML} {esc(m.child)}: {esc(m.why)}</div>'
            for m in v.edges if m.orientation in ("shifts", "fit", "implied", "parameters")]
    return "".join(out)


def stability_html(stability: dict) -> str:
    """The stability frequencies (over subsamples) and the verdict under every code, as a small table."""
    fraction = f"{stability['fraction']:g}"
    head = (f"<div>stability over {esc(stability['runs'])} subsamples of {esc(fraction)} "
            f"of each environment (seed {esc(stability['seed'])}):</div>")
    codes = [f'<div style="margin-left:12px;font-size:12px">under <code>{esc(code)}</code>: best '
             f"<code>{esc(best)}</code>, causes {esc(causes)}</div>"
             for code, best, causes in stability_causes(stability, ARROW_HTML)]
    table = table_html(stability_rows(stability), {0, 1}, "kdsl-stability-table")
    return f'<div class="kdsl-stability">{head}{table}{"".join(codes)}</div>'


# ---------------------------------------------------------------------- formula
def formula_html(program: ProgramResult) -> str:
    """The program's length as display LaTeX (``$$...$$``, typeset by
    Jupyter's MathJax), with the plain-text formula and the numbers
    substituted in a collapsible block."""
    if not program.formula:
        reason = f": {program.reason}" if program.reason else ""
        return f'<div class="kdsl-formula" style="color:{COLORS["muted"]}">no formula (infinite length{esc(reason)})</div>'
    values = ", ".join(f"{k} = {v:.6g}" for k, v in sorted(program.formula_values.items()))
    return (
        f'<div class="kdsl-formula" style="overflow-x:auto">$$L = {esc(program.formula)}$$</div>'
        f'<details style="font-size:12px"><summary>formula as text, and the numbers</summary>'
        f'<pre style="white-space:pre-wrap;{MONO}">length = {esc(program.formula_text)}\nwhere  {esc(values)}\n'
        f"       = {_bits(program.total_bits)} bits (model {_bits(program.model_bits)} + data {_bits(program.data_bits)})"
        "</pre></details>"
        f'<details style="font-size:12px"><summary>term by term: bits per variable, each term, the legend</summary>'
        f"{breakdown_html(program)}</details>"
    )


# ---------------------------------------------------------------------- breakdown
_CELL = "padding:1px 8px;border-bottom:1px solid #eee"


def _rows(cells: list[list[str]], right: set[int], head: list[str]) -> str:
    th = "".join(f'<th style="{_CELL};text-align:{"right" if j in right else "left"}">{h}</th>' for j, h in enumerate(head))
    body = "".join("<tr>" + "".join(f'<td style="{_CELL};text-align:{"right" if j in right else "left"}">{c}</td>'
                                    for j, c in enumerate(row)) + "</tr>" for row in cells)
    return (f'<table style="border-collapse:collapse;font-size:12px;margin:4px 0"><thead><tr>{th}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _stacked_bar(model: float, data: float, most: float, width: int = 260) -> str:
    def part(bits: float, color: str, what: str) -> str:
        px = 0 if most <= 0 else max(1 if bits > 0 else 0, round(width * bits / most))
        return (f'<span title="{what} {_bits(bits)} bits" style="display:inline-block;height:11px;width:{px}px;'
                f'background:{color}"></span>')
    return f'<span style="white-space:nowrap">{part(model, COLORS["model"], "model")}{part(data, COLORS["data"], "data")}</span>'


def breakdown_html(program: ProgramResult) -> str:
    """A program's :func:`kdsl.lengths.score.length_breakdown` as HTML: per-variable bars, each term in bits, the legend.

    The same data ``kdsl explain`` prints: model and data bits per variable
    plus the program's own row (they add up to the total), every term with
    what it pays for, and every symbol's meaning and value.
    """
    b = program.breakdown
    if not b:
        return ""
    rows = [(v["variable"], v["model_bits"], v["data_bits"], v["total_bits"], f'[{v["method"]}] {v["method_meaning"]}')
            for v in b["variables"]]
    rows.append(("(program)", b["program"]["model_bits"], b["program"]["data_bits"], b["program"]["total_bits"],
                 "terms of no variable"))
    most = max(r[3] for r in rows)
    per_var = [[f"<code>{esc(name)}</code>", _bits(model), _bits(data), f"<b>{_bits(total)}</b>",
                _stacked_bar(model, data, most), f'<span style="color:{COLORS["muted"]}">{esc(how)}</span>']
               for name, model, data, total, how in rows]
    per_var.append(["total", _bits(program.model_bits), _bits(program.data_bits), f"<b>{_bits(b['total_bits'])}</b>",
                    "", ""])
    terms = [[esc(t["owner"] or "(program)"), esc(t["part"]), f'<span title="{esc(t["what"])}">{esc(t["kind"])}</span>',
              _bits(t["bits"]), f"<code>{esc(t['formula'])}</code>"] for t in b["terms"]]
    legend = [[f"<code>{esc(s['symbol'])}</code>", f"{s['value']:.6g}", esc(s["meaning"])] for s in b["symbols"]]
    return (
        '<div class="kdsl-breakdown">'
        f'<div style="font-size:12px">bits per variable (<span style="color:{COLORS["model"]}">&#9632;</span> model, '
        f'<span style="color:{COLORS["data"]}">&#9632;</span> data; with the program row they add up to the total)</div>'
        + _rows(per_var, {1, 2, 3}, ["variable", "model", "data", "total", "", "how its sharing was found"])
        + '<div style="font-size:12px">every term in bits (hover a kind for what it pays for)</div>'
        + _rows(terms, {3}, ["variable", "part", "pays for", "bits", "formula"])
        + '<div style="font-size:12px">legend: every symbol of the formula</div>'
        + _rows(legend, {1}, ["symbol", "value", "meaning"])
        + "</div>"
    )


# ---------------------------------------------------------------------- graph
def graph_layout(variables: list[str], edges) -> list[list[str]]:
    """Columns of the drawing: the DAG's topological generations (networkx),
    each ordered to keep edges short (a barycenter sweep); declaration order
    breaks ties. A graph with a cycle falls back to one column.

    >>> graph_layout(["Y", "X", "Z"], [("X", "Y"), ("Y", "Z"), ("X", "Z")])
    [['X'], ['Y'], ['Z']]
    """
    g = nx.DiGraph()
    g.add_nodes_from(variables)
    g.add_edges_from(edges)
    order = {v: i for i, v in enumerate(g.nodes)}
    if not nx.is_directed_acyclic_graph(g):
        return [list(g.nodes)]
    layers = [sorted(gen, key=order.__getitem__) for gen in nx.topological_generations(g)]
    pos: dict[str, float] = {}
    for layer in layers:
        if pos:
            def key(v, layer=layer):
                preds = [pos[u] for u in g.predecessors(v) if u in pos]
                return (sum(preds) / len(preds) if preds else math.inf, order[v])

            layer.sort(key=key)
        for i, v in enumerate(layer):
            pos[v] = i - (len(layer) - 1) / 2
    return layers


def _text_width(text: str, size: float) -> float:
    return len(text) * size * 0.62


def _box_exit(cx: float, cy: float, hw: float, hh: float, dx: float, dy: float) -> tuple[float, float]:
    """Where the ray from a box's centre in direction (dx, dy) leaves the box."""
    t = min(hw / abs(dx) if dx else math.inf, hh / abs(dy) if dy else math.inf)
    return cx + t * dx, cy + t * dy


def program_svg(result: Result, name: str | None = None) -> str:
    """The program's graph as inline SVG (the best program when ``name`` is None).

    Variables whose environments fall into more than one shift group (a
    changed mechanism, an inferred intervention target) are filled orange
    and say how many mechanisms they need; variables described with a
    symmetry have a dashed border. Every edge is a ``<g class="kdsl-edge">``
    holding its path and a hand-drawn arrowhead polygon.
    """
    if name is None:
        if result.best is None:
            raise ValueError("the result has no best program; name one")
        name = result.best
    p = result.program(name)
    variables = _variables(p)
    changed = changed_variables(p)
    symmetric = {s.get("var"): s.get("symmetry") for s in p.symmetries}
    font, small = 13.0, 10.0
    node_h, row_gap, col_gap, margin = 42.0, 22.0, 70.0, 14.0

    labels: dict[str, str] = {}
    for v in variables:
        subs = []
        if v in changed:
            subs.append(f"{len(changed[v])} mechanisms")
        if symmetric.get(v):
            subs.append(f"/ {symmetric[v]}")
        labels[v] = ", ".join(subs)
    width = {v: max(56.0, _text_width(v, font) + 22, _text_width(labels[v], small) + 16) for v in variables}

    layers = graph_layout(variables, p.edges)
    tallest = max((len(layer) for layer in layers), default=0)
    height_nodes = tallest * node_h + max(tallest - 1, 0) * row_gap
    centers: dict[str, tuple[float, float]] = {}
    x = margin
    for layer in layers:
        col_w = max(width[v] for v in layer)
        top = margin + (height_nodes - (len(layer) * node_h + (len(layer) - 1) * row_gap)) / 2
        for i, v in enumerate(layer):
            centers[v] = (x + col_w / 2, top + i * (node_h + row_gap) + node_h / 2)
        x += col_w + col_gap
    graph_w = x - col_gap + margin if layers else 2 * margin
    column_of = {v: i for i, layer in enumerate(layers) for v in layer}
    middle = margin + height_nodes / 2

    parts: list[str] = []
    top_y, bottom_y = margin, margin + height_nodes  # extent of the drawing, curves included
    # edges first, so nodes sit on top of them
    for index, (a, b) in enumerate(p.edges):
        if a not in centers or b not in centers:
            continue
        (ax, ay), (bx, by) = centers[a], centers[b]
        span = abs(column_of[b] - column_of[a])
        ctrl = None
        if span != 1 or ax == bx:
            length = math.hypot(bx - ax, by - ay) or 1.0
            nx_, ny_ = -(by - ay) / length, (bx - ax) / length
            bend = min(70.0, 0.18 * length + 18)
            mx, my = (ax + bx) / 2, (ay + by) / 2
            one, other = (mx + nx_ * bend, my + ny_ * bend), (mx - nx_ * bend, my - ny_ * bend)
            # bend away from the middle row, where the columns' other nodes sit (alternate when level)
            gap = abs(one[1] - middle) - abs(other[1] - middle)
            ctrl = one if gap > 1e-6 or (abs(gap) <= 1e-6 and index % 2 == 0) else other
            apex = 0.25 * ay + 0.5 * ctrl[1] + 0.25 * by
            top_y, bottom_y = min(top_y, apex - 4), max(bottom_y, apex + 4)
        sx, sy = ctrl or (bx, by)
        ex, ey = ctrl or (ax, ay)
        start = _box_exit(ax, ay, width[a] / 2 + 2, node_h / 2 + 2, sx - ax, sy - ay)
        end = _box_exit(bx, by, width[b] / 2 + 2, node_h / 2 + 2, ex - bx, ey - by)
        ux, uy = end[0] - ex, end[1] - ey
        norm = math.hypot(ux, uy) or 1.0
        ux, uy = ux / norm, uy / norm
        head, half = 9.0, 4.5
        base = (end[0] - ux * head, end[1] - uy * head)
        if ctrl is None:
            d = f"M{_num(start[0])},{_num(start[1])} L{_num(base[0])},{_num(base[1])}"
        else:
            d = f"M{_num(start[0])},{_num(start[1])} Q{_num(ctrl[0])},{_num(ctrl[1])} {_num(base[0])},{_num(base[1])}"
        tip = f"{_num(end[0])},{_num(end[1])}"
        left = f"{_num(base[0] - uy * half)},{_num(base[1] + ux * half)}"
        right = f"{_num(base[0] + uy * half)},{_num(base[1] - ux * half)}"
        parts.append(
            f'<g class="kdsl-edge" data-source="{esc(a)}" data-target="{esc(b)}"><title>{esc(a)} {ARROW_HTML} {esc(b)}</title>'
            f'<path d="{d}" fill="none" stroke="{COLORS["edge"]}" stroke-width="1.5"/>'
            f'<polygon class="kdsl-arrowhead" points="{tip} {left} {right}" fill="{COLORS["edge"]}"/></g>'
        )
    for v in variables:
        cx, cy = centers[v]
        w = width[v]
        is_changed = v in changed
        fill = COLORS["changed_fill"] if is_changed else COLORS["node_fill"]
        stroke = COLORS["changed_stroke"] if is_changed else COLORS["node_stroke"]
        dash = ' stroke-dasharray="5,3"' if symmetric.get(v) else ""
        classes = "kdsl-node" + (" kdsl-changed" if is_changed else "") + (" kdsl-symmetric" if symmetric.get(v) else "")
        mech = p.mechanisms.get(v)
        tip = f"{v} ~ {mech.template if mech is not None else '?'}"
        if is_changed:
            tip += f"; environments in {len(changed[v])} groups: {groups_text(changed[v], ', ')}"
        elif v in p.shifts:
            tip += "; one mechanism in every environment"
        if symmetric.get(v):
            tip += f"; symmetry {symmetric[v]}"
        name_y = cy + (-2 if labels[v] else 4.5)
        parts.append(
            f'<g class="{classes}" data-variable="{esc(v)}"><title>{esc(tip)}</title>'
            f'<rect x="{_num(cx - w / 2)}" y="{_num(cy - node_h / 2)}" width="{_num(w)}" height="{_num(node_h)}" rx="8" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{2.5 if is_changed else 1.2}"{dash}/>'
            f'<text x="{_num(cx)}" y="{_num(name_y)}" text-anchor="middle" font-size="{font:g}" fill="{COLORS["text"]}" '
            f'font-weight="600">{esc(v)}</text>'
        )
        if labels[v]:
            parts.append(f'<text x="{_num(cx)}" y="{_num(cy + 13)}" text-anchor="middle" font-size="{small:g}" '
                         f'fill="{COLORS["text"]}">{esc(labels[v])}</text>')
        parts.append("</g>")

    # legend
    items = [
        ("changed", "changed mechanism: its environments fall into more than one shift group"),
        ("plain", "one mechanism shared by every environment"),
    ]
    if symmetric:
        items.append(("symmetric", "dashed: described with a symmetry (an invariant table, or a reused one)"))
    shift = margin - top_y  # curves that bulge above the nodes push the drawing down
    legend_y = bottom_y + shift + 18
    legend = [f'<g class="kdsl-legend" font-size="11" fill="{COLORS["text"]}">']
    for i, (kind, text) in enumerate(items):
        y = legend_y + i * 17
        fill = COLORS["changed_fill"] if kind == "changed" else COLORS["node_fill"]
        stroke = COLORS["changed_stroke"] if kind == "changed" else COLORS["node_stroke"]
        dash = ' stroke-dasharray="3,2"' if kind == "symmetric" else ""
        legend.append(f'<rect x="{_num(margin)}" y="{_num(y - 9)}" width="16" height="11" rx="3" fill="{fill}" '
                      f'stroke="{stroke}" stroke-width="{2 if kind == "changed" else 1}"{dash}/>'
                      f'<text x="{_num(margin + 22)}" y="{_num(y)}">{esc(text)}</text>')
    legend.append("</g>")
    total_w = max(graph_w, margin + 22 + max(_text_width(t, 11) for _, t in items) + margin)
    total_h = legend_y + (len(items) - 1) * 17 + margin
    label = f"graph of program {name}: " + (edges_label(p) if p.edges else "no edges")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kdsl-graph" data-program="{esc(name)}" width="{_num(total_w)}" '
        f'height="{_num(total_h)}" viewBox="0 0 {_num(total_w)} {_num(total_h)}" role="img" aria-label="{esc(label)}" '
        f'style="{FONT};max-width:100%;height:auto">'
        f"<title>{esc(label)}</title>"
        f'<rect x="0" y="0" width="{_num(total_w)}" height="{_num(total_h)}" rx="6" fill="#ffffff"/>'
        + (f'<g transform="translate(0,{_num(shift)})">' if shift > 0 else "<g>") + "".join(parts) + "</g>"
        + "".join(legend) + "</svg>"
    )


# ---------------------------------------------------------------------- explain
def explain_html(result: Result, names=None) -> str:
    """What ``kdsl explain --format html`` prints: per program (default: the best and the runner-up) its
    length, its formula, and the breakdown term by term (:func:`formula_html`)."""
    from kdsl.present.render import explained_programs

    out = [f'<div class="kdsl-explain" style="{FONT};font-size:13px;line-height:1.4">'
           f"<div>code <code>{esc(result.code)}</code>; lengths in bits</div>"]
    for p in explained_programs(result, names):
        k = "" if p.k is None else f", k = {p.k}"
        out.append(f'<div class="kdsl-explained" data-program="{esc(p.name)}" style="margin-top:6px"><div>program '
                   f"<b><code>{esc(p.name)}</code></b>: {_bits(p.total_bits)} bits (model {_bits(p.model_bits)} + data "
                   f"{_bits(p.data_bits)}){k}</div>{formula_html(p)}</div>")
    return "".join(out) + "</div>"


# ---------------------------------------------------------------------- whole
def _header_html(result: Result) -> str:
    rows = sum(int(e.get("rows", 0)) for e in result.environments)
    envs = ", ".join(f"{e.get('name')} ({e.get('rows')})" for e in result.environments)
    return (
        f'<div class="kdsl-header"><b>kdsl</b> model <code>{esc(result.model)}</code>, code <code>{esc(result.code)}</code>, '
        f"{len(result.environments)} environments, {rows} rows"
        f'<details style="font-size:12px;display:inline-block;margin-left:8px"><summary>environments</summary>'
        f"{esc(envs)}</details></div>"
    )


def result_html(result: Result) -> str:
    """The whole result as one HTML fragment (no scripts, inline styles only)."""
    out = [f'<div class="kdsl-result" style="{FONT};font-size:13px;line-height:1.4">', _header_html(result),
           ranking_html(result), _verdict_html(result)]
    if result.best is not None:
        best = result.program(result.best)
        out.append(f'<div class="kdsl-best-program" style="margin-top:6px"><div>graph of <code>{esc(best.name)}</code>'
                   " (changed mechanisms marked)</div>")
        out.append(program_svg(result, best.name))
        out.append(f"<div>length of <code>{esc(best.name)}</code> (bits):</div>")
        out.append(formula_html(best))
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


def mimebundle(result: Result, include=None, exclude=None) -> dict[str, Any]:
    """``{"text/plain", "text/html", "application/json"}`` for a result.

    ``text/plain`` is always there; if the HTML cannot be built the bundle
    still renders as text (with a warning). ``include`` / ``exclude`` filter
    the MIME types as IPython asks.
    """
    from kdsl.present.formats import get_format

    bundle: dict[str, Any] = {"text/plain": get_format("text").solve(result)}
    try:
        bundle["text/html"] = get_format("html").solve(result)
    except Exception as err:  # pragma: no cover - a bug must not hide the text rendering
        warnings.warn(f"kdsl: could not render the result as HTML ({type(err).__name__}: {err})", stacklevel=2)
    bundle["application/json"] = result.to_dict()
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include or k == "text/plain"}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude or k == "text/plain"}
    return bundle

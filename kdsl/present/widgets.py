"""Interactive views of a :class:`~kdsl.verdict.result.Result` (ipywidgets).

This module is part of the optional notebook extra; ``import kdsl`` never
imports it. :class:`ResultView` is an ``ipywidgets.Tab`` with five tabs:

``ranking``
    the programs, sortable by total, model or data bits, k or name; picking
    one sets ``view.selected``;
``bits``
    stacked bars of model bits and data bits (split by variable) for every
    program, the selected one outlined, and the selected program's data bits
    by environment when the result records them;
``graph``
    the selected program's DAG (:func:`kdsl.present.html.program_svg`) and each
    variable's groups of environments that share a mechanism;
``shifts``
    the shift map: variables by environments, coloured by the stored
    mechanism each environment uses;
``length``
    the symbolic length (LaTeX, typeset by ``HTMLMath``) and its numbers.

Changing ``view.selected`` (by the ranking or from Python) updates the other
tabs.

>>> import kdsl
>>> view = ResultView(kdsl.solve("examples/two_regimes.kdsl"))  # doctest: +SKIP
>>> view.selected, view.titles  # doctest: +SKIP
('forward', ('ranking', 'bits', 'graph', 'shifts', 'length'))
"""

from __future__ import annotations

import io
import math

try:
    import ipywidgets as widgets
    import traitlets
except ImportError as err:  # pragma: no cover - exercised without the extra
    raise ImportError("kdsl's widgets need the notebook extra: pip install 'kdsl[notebook]'") from err

from kdsl.present.format import (
    ARROW_HTML,
    COLORS,
    FONT,
    INFINITY_HTML,
    PALETTE,
    bits_text,
    delta_text,
    edges_text,
    latex_number,
    verdict,
)
from kdsl.present.html import breakdown_html, edges_label, esc, margins_html, program_svg, stability_html
from kdsl.verdict.result import ProgramResult, Result

__all__ = ["ResultView", "TAB_TITLES", "SORT_KEYS", "bits_png", "shift_map_html", "ranking_html", "length_html", "graph_html"]

#: The tabs of a :class:`ResultView`, in order.
TAB_TITLES = ("ranking", "bits", "graph", "shifts", "length")

#: Sort keys of the ranking: label -> ProgramResult attribute.
SORT_KEYS = {"total": "total_bits", "model": "model_bits", "data": "data_bits", "k": "k", "name": "name"}

_FONT = f"{FONT};font-size:13px"


def _bits(x: float | None) -> str:
    return bits_text(x, INFINITY_HTML)


def _sort_value(p: ProgramResult, key: str):
    value = getattr(p, SORT_KEYS[key])
    if key == "name":
        return (0, value)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return (1, 0.0)
    return (0, value)


def sorted_programs(result: Result, key: str = "total") -> list[ProgramResult]:
    """The programs ordered by a :data:`SORT_KEYS` key (infinite lengths last; stable otherwise)."""
    return sorted(result.programs, key=lambda p: _sort_value(p, key))


def per_environment_data_bits(program: ProgramResult) -> dict[str, dict[str, float]] | None:
    """``{var: {env: bits}}`` if every mechanism records its data bits by environment, else ``None``.

    The solver splits each mechanism's data bits by environment
    (``MechanismResult.data_bits_by_environment``) where its data bits are
    a sum over rows; the chart shows the split when every variable has one.
    """
    out = {}
    for var, mech in program.mechanisms.items():
        if mech.data_bits_by_environment is None:
            return None
        out[var] = dict(mech.data_bits_by_environment)
    return out or None


# ----------------------------------------------------------------------------- HTML pieces
def ranking_html(result: Result, key: str = "total", selected: str | None = None) -> str:
    """The ranking as an HTML table; the selected program's row is highlighted."""
    head = "".join(f"<th style='padding:2px 8px'>{h}</th>"
                   for h in ("#", "program", "total bits", "\u0394 best", "model bits", "data bits", "k", "edges"))
    rows = []
    for p in sorted_programs(result, key):
        style = "background:#fff3c4;font-weight:bold" if p.name == selected else ""
        marks = " ★" if p.name == result.best else (" =" if p.name in result.ties else "")
        rank = next(i for i, q in enumerate(result.programs, 1) if q.name == p.name)
        if p.same_as is not None:
            marks += f" = {esc(p.same_as)}"
        cells = (rank, esc(p.name) + marks, _bits(p.total_bits), delta_text(result.delta_bits(p), p.name == result.best, "–"),
                 _bits(p.model_bits), _bits(p.data_bits), "–" if p.k is None else p.k, esc(edges_label(p)))
        tds = "".join(f"<td style='padding:2px 8px;text-align:{'left' if j in (1, 7) else 'right'}'>{c}</td>"
                      for j, c in enumerate(cells))
        rows.append(f"<tr class='kdsl-program' data-program='{esc(p.name)}' style='{style}'>{tds}</tr>")
    causes = edges_text(result.causes, f" {ARROW_HTML} ", "none")
    envs = ", ".join(f"{esc(e['name'])} ({e['rows']})" for e in result.environments)
    notes = "".join(f"<li>{esc(n)}</li>" for n in result.notes)
    summary = (f"<div><b>model</b> {esc(result.model)} &nbsp; <b>code</b> {esc(result.code)} &nbsp; "
               f"<b>best</b> {esc(result.best)} &nbsp; <b>algorithmic causes</b> {esc(causes)}</div>"
               f"<div><b>environments</b> (rows): {envs}</div>")
    if result.ties and len(result.ties) > 1:
        summary += f"<div><b>ties</b>: {esc(', '.join(result.ties))}</div>"
    table = (f"<table class='kdsl-ranking' style='border-collapse:collapse'><thead><tr>{head}</tr></thead>"
             f"<tbody>{''.join(rows)}</tbody></table>")
    return (f"<div class='kdsl-view' style=\"{_FONT}\">{summary}{table}{_verdict_tables(result)}"
            f"{f'<ul>{notes}</ul>' if notes else ''}</div>")


def _verdict_tables(result: Result) -> str:
    """The edge margins and, when computed, the stability frequencies (kdsl.present.html's tables)."""
    v = verdict(result)
    return margins_html(v) + (stability_html(v.stability) if v.stability else "")


def _groups(program: ProgramResult, var: str, envs: list[str]) -> dict[str, int]:
    """Environment -> group index (0-based) for one variable's mechanism."""
    out = {}
    for i, group in enumerate(program.shifts.get(var, [])):
        for env in group:
            out[env] = i
    for env in envs:
        out.setdefault(env, -1)
    return out


def shift_map_html(result: Result, name: str) -> str:
    """Variables by environments; a cell's colour and number name the stored mechanism it uses."""
    program = result.program(name)
    envs = [e["name"] for e in result.environments]
    head = ("<th style='padding:2px 6px;text-align:left'>variable</th><th style='padding:2px 6px' "
            "title='distinct stored mechanisms'>stored</th><th style='padding:2px 6px' title='distinct candidates used (k)'>k</th>")
    head += "".join(
        f"<th style='padding:2px 6px'>{esc(e)}</th>" for e in envs)
    rows = []
    for var, mech in program.mechanisms.items():
        groups = _groups(program, var, envs)
        cells = []
        for env in envs:
            g = groups[env]
            colour = PALETTE[g % len(PALETTE)] if g >= 0 else "#ffffff"
            label = esc(mech.by_environment.get(env, ""))
            cells.append(f"<td class='kdsl-shift' data-group='{g + 1}' title='{label}' "
                         f"style='background:{colour};color:#fff;text-align:center;padding:2px 6px;"
                         f"border:1px solid #fff'>{g + 1 if g >= 0 else '–'}</td>")
        template = esc(mech.template)
        rows.append(f"<tr><td style='padding:2px 6px'><b>{esc(var)}</b> <small>{template}</small></td>"
                    f"<td style='text-align:center'>{len(program.shifts.get(var, [])) or ''}</td>"
                    f"<td style='text-align:center'>{mech.distinct}</td>"
                    f"{''.join(cells)}</tr>")
    return (f"<div class='kdsl-view' style=\"{_FONT}\"><div><b>{esc(name)}</b>: which stored mechanism each environment uses "
            "(same number and colour = one shared mechanism)</div>"
            f"<table class='kdsl-shift-map' style='border-collapse:collapse'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def graph_html(result: Result, name: str) -> str:
    """The selected program's DAG (changed mechanisms marked) and its shift groups per variable."""
    program = result.program(name)
    svg = program_svg(result, name)
    items = []
    for var, groups in program.shifts.items():
        parts = " | ".join("{" + ", ".join(esc(e) for e in g) + "}" for g in groups)
        shifted = "shifts" if len(groups) > 1 else "invariant"
        items.append(f"<li><b>{esc(var)}</b> ({shifted}, {len(groups)} stored): {parts}</li>")
    sym = "".join(f"<li>{esc(s.get('var'))}: symmetry {esc(s.get('symmetry'))}</li>" for s in program.symmetries)
    return (f"<div class='kdsl-view kdsl-graph' style=\"{_FONT}\"><div><b>{esc(name)}</b>: {esc(edges_label(program))}</div>{svg}"
            f"<ul>{''.join(items)}{sym}</ul></div>")


def length_html(result: Result, name: str) -> str:
    """The symbolic length as display LaTeX, the value of each symbol, the total, and the breakdown
    (:func:`kdsl.present.html.breakdown_html`: bits per variable, each term, the legend)."""
    p = result.program(name)
    if not p.formula:
        reason = esc(p.reason or "no finite length")
        return f"<div class='kdsl-view' style=\"{_FONT}\"><b>{esc(name)}</b>: no finite length ({reason})</div>"
    values = ",\\quad ".join(f"{sym} = {latex_number(v)}" for sym, v in p.formula_values.items())
    return (f"<div class='kdsl-view kdsl-length' style=\"{_FONT}\">"
            f"<div><b>{esc(name)}</b> (code {esc(result.code)}, k = {p.k})</div>"
            f"<div>$$L = {p.formula}$$</div>"
            f"<div>with $${values}$$</div>"
            f"<div>$$L = \\underbrace{{{p.model_bits:.2f}}}_{{\\text{{model}}}} + "
            f"\\underbrace{{{p.data_bits:.2f}}}_{{\\text{{data}}}} = {p.total_bits:.2f}\\ \\text{{bits}}$$</div>"
            f"{breakdown_html(p)}"
            f"<details><summary>plain text</summary><pre>{esc(p.formula_text)}</pre></details></div>")


# ----------------------------------------------------------------------------- the bar chart
def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def bits_png(result: Result, selected: str | None = None) -> tuple[bytes, str]:
    """PNG bytes of the bit chart and a sentence saying what it shows.

    Left: every program's model bits and its data bits split by variable
    (each mechanism's ``data_bits``), stacked; the selected program outlined.
    Right, when the result records data bits per environment: the selected
    program's data bits in each environment, stacked by variable.
    """
    finite = [p for p in result.programs if p.finite]
    selected_p = result.program(selected) if selected else None
    per_env = per_environment_data_bits(selected_p) if selected_p is not None and selected_p.finite else None
    fig = _figure(9.5 if per_env else 6.5, max(2.4, 0.45 * len(finite) + 1.4))
    axes = fig.subplots(1, 2) if per_env else [fig.subplots(1, 1)]
    ax = axes[0]
    variables: list[str] = []
    for p in finite:
        for var in p.mechanisms:
            if var not in variables:
                variables.append(var)
    colour = {var: PALETTE[1 + i % (len(PALETTE) - 1)] for i, var in enumerate(variables)}
    names = [p.name for p in finite][::-1]  # best on top
    for y, name in enumerate(names):
        p = result.program(name)
        edge = "black" if name == selected else "none"
        ax.barh(y, p.model_bits, color=COLORS["model"], edgecolor=edge, linewidth=2)
        left = p.model_bits
        split = {var: m.data_bits for var, m in p.mechanisms.items()}
        if all(isinstance(b, (int, float)) and math.isfinite(b) for b in split.values()) and split:
            for var, b in split.items():
                ax.barh(y, b, left=left, color=colour[var], edgecolor=edge, linewidth=2)
                left += b
        else:
            ax.barh(y, p.data_bits, left=left, color="#999999", edgecolor=edge, linewidth=2)
    from matplotlib.patches import Patch

    handles = [Patch(color=COLORS["model"], label="model bits")] + [Patch(color=colour[v], label=f"data bits: {v}") for v in variables]
    ax.set_yticks(range(len(names)), [f"▶ {n}" if n == selected else n for n in names])
    ax.set_xlabel("bits")
    ax.set_title(f"{result.model}: model + data bits per program")
    ax.legend(handles=handles, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.18),
              ncol=min(4, len(handles)), frameon=False)
    if per_env:
        ax2 = axes[1]
        envs = [e["name"] for e in result.environments]
        bottom = [0.0] * len(envs)
        for var, by_env in per_env.items():
            vals = [by_env.get(e, 0.0) for e in envs]
            ax2.bar(range(len(envs)), vals, bottom=bottom, color=colour.get(var, "#999999"), label=f"data: {var}")
            bottom = [b + v for b, v in zip(bottom, vals)]
        ax2.set_xticks(range(len(envs)), envs, rotation=45 if len(envs) > 6 else 0)
        ax2.set_ylabel("data bits")
        ax2.set_title(f"{selected_p.name}: data bits per environment (model {selected_p.model_bits:.1f} bits, shared)")
        ax2.legend(fontsize="small")
        note = (f"Bars: every program's model bits and data bits (by variable); right: {selected_p.name}'s data bits in "
                "each environment, stacked by variable.")
    else:
        note = ("Bars: every program's model bits and data bits, the data bits split by variable (each mechanism's "
                "data bits, summed over environments). This result does not record data bits per environment, "
                "so no per-environment split is shown.")
    if len(finite) < len(result.programs):
        note += f" {len(result.programs) - len(finite)} program(s) with infinite length are not drawn."
    return _png(fig), note


def _png_width(png: bytes) -> int:
    """The pixel width in a PNG's header (so the Image widget shows the chart at its own size)."""
    return int.from_bytes(png[16:20], "big") if png[:8] == b"\x89PNG\r\n\x1a\n" else 640


# ----------------------------------------------------------------------------- the widget
class ResultView(widgets.Tab):
    """A notebook view of a :class:`~kdsl.verdict.result.Result`: ranking, bits, graph, shifts, length.

    Parameters
    ----------
    result:
        What :func:`kdsl.solve` returned.
    selected:
        The program shown first (default: the best one, else the first).

    ``view.selected`` (a traitlet) names the program the graph, shift and
    length tabs show; set it, or pick a program in the ranking.
    """

    selected = traitlets.Unicode(None, allow_none=True)
    sort_key = traitlets.Unicode("total")

    def __init__(self, result: Result, selected: str | None = None, **kwargs):
        if not isinstance(result, Result):
            raise TypeError(f"ResultView needs a kdsl Result, not {type(result).__name__}")
        self.result = result
        names = [p.name for p in result.programs]
        first = selected if selected is not None else (result.best or (names[0] if names else None))
        if first is not None and first not in names:
            raise KeyError(f"no program named {first!r}; the programs are {', '.join(names)}")

        self.sort_buttons = widgets.ToggleButtons(options=list(SORT_KEYS), value="total", description="sort by",
                                                  style={"button_width": "70px"})
        self.program_select = widgets.Select(options=self._options("total"), value=first,
                                             rows=min(8, max(2, len(names))), description="program",
                                             layout=widgets.Layout(width="460px"))
        self.ranking = widgets.HTML()
        self.bits_image = widgets.Image(format="png")
        self.bits_note = widgets.HTML()
        self.graph = widgets.HTML()
        self.shift_map = widgets.HTML()
        self.length = widgets.HTMLMath()
        children = [
            widgets.VBox([self.sort_buttons, self.program_select, self.ranking]),
            widgets.VBox([self.bits_image, self.bits_note]),
            self.graph,
            self.shift_map,
            self.length,
        ]
        super().__init__(children=children, **kwargs)
        self.titles = TAB_TITLES
        self.add_class("kdsl-result-view")
        self.sort_buttons.observe(self._on_sort, names="value")
        self.program_select.observe(self._on_pick, names="value")
        self.observe(self._on_selected, names="selected")
        self.selected = first
        if first is None:
            self._refresh()

    # ---------------------------------------------------------------- plumbing
    def _options(self, key: str) -> list[tuple[str, str]]:
        out = []
        for p in sorted_programs(self.result, key):
            k = "–" if p.k is None else p.k
            out.append((f"{p.name}  —  {_bits(p.total_bits)} bits, k = {k}", p.name))
        return out

    def _on_sort(self, change) -> None:
        self.sort_key = change["new"]
        current = self.selected
        self.program_select.options = self._options(self.sort_key)
        self.program_select.value = current
        self.ranking.value = ranking_html(self.result, self.sort_key, self.selected)

    def _on_pick(self, change) -> None:
        if change["new"] is not None and change["new"] != self.selected:
            self.selected = change["new"]

    @traitlets.validate("selected")
    def _valid_selected(self, proposal):
        name = proposal["value"]
        names = [p.name for p in self.result.programs]
        if name is not None and name not in names:
            raise traitlets.TraitError(f"no program named {name!r}; the programs are {', '.join(names)}")
        return name

    def _on_selected(self, change) -> None:
        name = change["new"]
        if self.program_select.value != name:
            self.program_select.value = name
        self._refresh()

    def _refresh(self) -> None:
        name = self.selected
        self.ranking.value = ranking_html(self.result, self.sort_key, name)
        if not self.result.programs or name is None:
            empty = "<i>no programs</i>"
            self.graph.value = self.shift_map.value = self.length.value = empty
            self.bits_note.value = empty
            return
        png, note = bits_png(self.result, name)
        self.bits_image.value = png
        self.bits_image.width = str(_png_width(png))
        self.bits_note.value = f"<div style=\"{_FONT}\"><small>{esc(note)}</small></div>"
        self.graph.value = graph_html(self.result, name)
        self.shift_map.value = shift_map_html(self.result, name)
        self.length.value = length_html(self.result, name)

    def select(self, name: str) -> ResultView:
        """Show program ``name`` (same as setting ``view.selected``); returns the view."""
        self.selected = name
        return self

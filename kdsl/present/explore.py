"""``kdsl.explore(spec)``: sliders over a spec, re-solved as they move.

Every spec that loads and has something to score (a hypothesis or a
search) can be explored; otherwise :func:`explore` raises the located
:class:`~kdsl.errors.KdslError` that loading or solving it would.

* A spec with ``simulate`` blocks gets sliders for the samples per
  environment (each block's ``n``) and the number of environments (the
  ``e0..eK`` range of each ranged block).
* A spec whose environments are all data (CSV files, DataFrames) gets a
  slider for the rows per environment and one for a seed: each
  environment is subsampled without replacement (:func:`kdsl.data.bind.subsample`;
  an environment with fewer rows keeps all of them).
* Both get the table precision (``code paper(precision = n)``) and the
  code (paper, direct, bic, nml).

Moving a control rewrites the spec *text* at the positions the parser
recorded (:func:`rewrite_spec`; nothing is evaluated), loads and solves it
again, and adds a row to a history that shows how the best program's k and
its algorithmic direction (``result.causes``) move.

A solve runs in a background thread, so the notebook stays responsive: the
progress bar follows the solver's progress callback, and **Stop** interrupts
a search at its next progress report (a flag the callback checks), keeping
the last finished result on show. The solver reports progress only while it
searches; scoring hypotheses alone can be stopped between loading and
solving, not during the (short) scoring itself. Moving a slider while a solve
runs stops it the same way and solves the newest settings.

>>> text = '''
... var X in 0..1
... simulate envs e0..e3 n 10 seed 0 {
...     X ~ bernoulli(0.5)
... }
... hypothesis h {
...     X ~ table
... }
... '''
>>> print(rewrite_spec(text, n=25, environments=6, code="paper", precision=10))
<BLANKLINE>
var X in 0..1
simulate envs e0..e5 n 25 seed 0 {
    X ~ bernoulli(0.5)
}
hypothesis h {
    X ~ table
}
code paper(precision = 10)
<BLANKLINE>
"""

from __future__ import annotations

import html
import math
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any

try:
    import ipywidgets as widgets
except ImportError as err:  # pragma: no cover - exercised without the extra
    raise ImportError("kdsl's widgets need the notebook extra: pip install 'kdsl[notebook]'") from err

from kdsl.api import load, read_source
from kdsl.codes import DEFAULT_CODE, code_names, get_code
from kdsl.codes.quantized import QuantizedTablesCode
from kdsl.data.bind import subsample
from kdsl.errors import KdslError
from kdsl.language import ast
from kdsl.language.syntax import parse
from kdsl.present.format import ARROW_HTML, bits_text, edges_text
from kdsl.present.widgets import _figure, _png, _png_width, ranking_html
from kdsl.verdict.result import Result
from kdsl.verdict.solver import check_scorable, solve_bound

__all__ = ["explore", "Explorer", "rewrite_spec", "spec_settings"]


_DEFAULT_PRECISION = QuantizedTablesCode.precision


def _takes_precision(code: str) -> bool:
    """Whether the code named ``code`` takes a ``precision`` option."""
    return "precision" in get_code(code).option_defaults


class _StopRequestedError(Exception):
    """Raised inside the solver's progress callback when Stop was pressed."""


# ----------------------------------------------------------------------------- spec text surgery
def _offsets(text: str) -> list[int]:
    starts, pos = [], 0
    for line in text.split("\n"):
        starts.append(pos)
        pos += len(line) + 1
    return starts


def _at(starts: list[int], line: int, column: int) -> int:
    return starts[line - 1] + column - 1


def _walk(node):
    """Every syntax node under ``node`` (depth first)."""
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from _walk(item)
    elif is_dataclass(node) and isinstance(node, ast.Node):
        yield node
        for f in fields(node):
            yield from _walk(getattr(node, f.name))


def _range_parts(targets: ast.SimRange) -> tuple[str, int, int, int] | None:
    m1 = re.fullmatch(r"(.*?)(\d+)", targets.first.name)
    m2 = re.fullmatch(r"(.*?)(\d+)", targets.last.name)
    if not m1 or not m2 or m1.group(1) != m2.group(1):
        return None
    width = len(m1.group(2)) if m1.group(2).startswith("0") and len(m1.group(2)) > 1 else 0
    return m1.group(1), int(m1.group(2)), int(m2.group(2)), width


def spec_settings(text: str, filename: str | None = None) -> dict[str, Any]:
    """What the sliders start from: ``n`` (None without a ``simulate`` block), ``environments`` (None without a range),
    ``max_environments`` (the shortest ``let`` list a simulation indexes by ``env``),
    ``precision`` and ``code``.

    >>> spec_settings('''
    ... let p = [0.1, 0.5, 0.9]
    ... var X in 0..1
    ... simulate envs e1..e2 n 7 seed 0 {
    ...     X ~ bernoulli(p[env])
    ... }
    ... ''')
    {'n': 7, 'environments': 2, 'max_environments': 3, 'precision': 8, 'code': 'nml', 'simulations': 1}
    """
    spec = parse(text, filename or "<explore>")
    sims = [d for d in spec.decls if isinstance(d, ast.SimulateDecl)]
    lists = {d.name.name: len(d.value.items) for d in spec.decls
             if isinstance(d, ast.LetDecl) and isinstance(d.value, ast.ListValue)}
    envs = None
    limit = None
    for sim in sims:
        if isinstance(sim.targets, ast.SimRange) and (parts := _range_parts(sim.targets)):
            envs = envs if envs is not None else parts[2] - parts[1] + 1
            for node in _walk(sim.lines):
                if (isinstance(node, ast.Index) and node.target.name in lists
                        and any(isinstance(x, ast.Name) and x.id == "env" for x in _walk(node.index))):
                    limit = min(limit, lists[node.target.name]) if limit is not None else lists[node.target.name]
    code, precision = DEFAULT_CODE, _DEFAULT_PRECISION
    for decl in spec.decls:
        if isinstance(decl, ast.CodeDecl):
            code = decl.name.name
            for opt in decl.options:
                if opt.name.name == "precision":
                    precision = int(opt.value.value)
    return {"n": sims[0].n if sims else None, "environments": envs, "max_environments": limit, "precision": precision, "code": code,
            "simulations": len(sims)}


def rewrite_spec(text: str, *, n: int | None = None, environments: int | None = None, precision: int | None = None,
                 code: str | None = None, filename: str | None = None) -> str:
    """The spec ``text`` with its settings replaced at the spans the parser recorded.

    ``n``: every simulate block's samples per environment; ``environments``:
    the count of every ranged block ``envs e0..eK`` (keeping its first name);
    ``code`` and ``precision``: the ``code`` line (added at the end when the
    spec has none; precision is written only for a code taking it). ``None`` leaves
    a setting as written. Nothing in the text is evaluated.
    """
    spec = parse(text, filename or "<explore>")
    starts = _offsets(text)
    edits: list[tuple[int, int, str]] = []
    for decl in spec.decls:
        if isinstance(decl, ast.SimulateDecl):
            after = _at(starts, decl.targets.span.end_line, decl.targets.span.end_column)
            if n is not None:
                m = re.compile(r"\s*n\s+(\d+)").match(text, after)
                if m is None:  # pragma: no cover - the grammar puts `n INT` right after the targets
                    raise ValueError("cannot find the simulate block's `n`")
                edits.append((m.start(1), m.end(1), str(int(n))))
            if environments is not None and isinstance(decl.targets, ast.SimRange):
                parts = _range_parts(decl.targets)
                if parts is not None:
                    prefix, lo, _, width = parts
                    last = decl.targets.last.span
                    edits.append((_at(starts, last.line, last.column), _at(starts, last.end_line, last.end_column),
                                  f"{prefix}{lo + max(1, int(environments)) - 1:0{width}d}"))
    if code is not None or precision is not None:
        decls = [d for d in spec.decls if isinstance(d, ast.CodeDecl)]
        current = spec_settings(text, filename)
        name = code if code is not None else current["code"]
        prec = precision if precision is not None else current["precision"]
        line = get_code(name).with_options(**({"precision": int(prec)} if _takes_precision(name) else {})).source()
        if decls:
            s = decls[0].span
            edits.append((_at(starts, s.line, s.column), _at(starts, s.end_line, s.end_column), line))
        else:
            edits.append((len(text), len(text), ("" if text.endswith("\n") or not text else "\n") + line + "\n"))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


# ----------------------------------------------------------------------------- the widget
def _causes_text(causes) -> str:
    return edges_text(causes, f" {ARROW_HTML} ", "none")


class Explorer(widgets.VBox):
    """The widget :func:`explore` returns. ``update()`` re-solves with the sliders' values.

    Attributes: ``result`` (the last finished :class:`~kdsl.verdict.result.Result`),
    ``history`` (one dict per finished solve), ``text`` (the spec text last
    solved), ``status`` (a Label), the controls ``n_slider``,
    ``seed_slider`` (data specs), ``env_slider``, ``precision_slider``, ``code_buttons``, ``stop_button``
    and ``progress``.
    """

    def __init__(self, spec, data: Mapping[str, Any] | None = None, *, background: bool = True,
                 filename: str | None = None, max_n: int | None = None):
        text, name, _ = read_source(spec, filename)
        self.original_text = text
        self.filename = name
        self.data = data
        self.background = background
        self.result: Result | None = None
        self.history: list[dict[str, Any]] = []
        self.text = text
        self.error: str | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._wanted: dict[str, Any] | None = None
        self._requested: dict[str, Any] | None = None  # the settings of the last solve asked for, until it fails
        self._thread: threading.Thread | None = None
        start = spec_settings(text, name)
        self.start_settings = start
        bound = load(text, data=data, filename=name)  # a spec that cannot be explored raises here, located
        check_scorable(bound.model)
        #: True when the spec simulates its data (n and environments rewrite the spec); else rows are subsampled
        self.simulated = start["simulations"] > 0
        slider = {"continuous_update": False, "style": {"description_width": "150px"}, "layout": widgets.Layout(width="520px")}
        if self.simulated:
            n = start["n"]
            self.n_slider = widgets.IntSlider(value=n, min=1, max=max_n or max(400, 4 * n), description="samples per env",
                                              **slider)
        else:
            most = max(e.rows for e in bound.environments)
            self.n_slider = widgets.IntSlider(value=most, min=1, max=most, description="rows per env (subsample)",
                                              **slider)
        self.seed_slider = widgets.IntSlider(value=0, min=0, max=99, description="subsample seed",
                                             disabled=self.simulated, **slider)
        envs = start["environments"]
        limit = start["max_environments"]
        self.env_slider = widgets.IntSlider(
            value=envs or 1, min=1, max=limit if limit is not None else max(2 * (envs or 1), 10),
            description="environments", disabled=envs is None, **slider)
        self.precision_slider = widgets.IntSlider(value=start["precision"], min=1, max=24, description="precision (paper)",
                                                  disabled=not _takes_precision(start["code"]), **slider)
        self.code_buttons = widgets.ToggleButtons(options=list(code_names()), value=start["code"],
                                                  tooltips=[get_code(name).description for name in code_names()],
                                                  description="code", style={"description_width": "150px", "button_width": "70px"})
        self.stop_button = widgets.Button(description="Stop", button_style="warning", disabled=True,
                                          tooltip="interrupt the solve; keep the last finished result")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="idle", bar_style="info",
                                            style={"description_width": "150px"})
        self.status = widgets.Label(value="")
        self.history_html = widgets.HTML()
        self.k_plot = widgets.Image(format="png")
        self.ranking = widgets.HTML()
        for control in (self.n_slider, self.seed_slider, self.env_slider, self.precision_slider, self.code_buttons):
            control.observe(self.update, names="value")
        self.code_buttons.observe(self._on_code, names="value")
        self.stop_button.on_click(lambda _button: self.stop())
        super().__init__(children=[
            widgets.HTML(f"<b>kdsl.explore</b>: {html.escape(name)}"),
            self.n_slider, *([self.env_slider] if self.simulated else [self.seed_slider]), self.precision_slider,
            self.code_buttons,
            widgets.HBox([self.progress, self.stop_button]), self.status,
            widgets.HBox([self.history_html, self.k_plot]), self.ranking,
        ])
        self.add_class("kdsl-explore")
        self.update()

    # ---------------------------------------------------------------- settings
    def settings(self) -> dict[str, Any]:
        """The controls' current values."""
        code = self.code_buttons.value
        return {"n": self.n_slider.value, "seed": None if self.simulated else self.seed_slider.value,
                "environments": None if self.env_slider.disabled else self.env_slider.value,
                "code": code, "precision": self.precision_slider.value if _takes_precision(code) else None}

    def spec_text(self, settings: Mapping[str, Any] | None = None) -> str:
        """The spec text for ``settings`` (default: the controls' values)."""
        s = dict(settings or self.settings())
        return rewrite_spec(self.original_text, n=s.get("n") if self.simulated else None, environments=s.get("environments"),
                            precision=s.get("precision"), code=s.get("code"), filename=self.filename)

    def _on_code(self, change) -> None:
        self.precision_slider.disabled = not _takes_precision(change["new"])

    # ---------------------------------------------------------------- running
    def update(self, change=None) -> None:
        """Re-solve with the controls' values (in the background thread when ``background``).

        Nothing happens when the last solve asked for (finished or running) had these values and was
        neither stopped nor failed: moving a slider already re-solves, so a later ``update()`` adds no
        second, identical row to the history.
        """
        wanted = self.settings()
        if wanted == self._requested:
            return
        self._requested = wanted
        if not self.background:
            self._stop.clear()
            self._solve(wanted)
            return
        with self._lock:
            self._wanted = wanted
            if self._thread is not None and self._thread.is_alive():
                self._stop.set()  # supersede the running solve; the worker picks up the new settings
                return
            self._thread = threading.Thread(target=self._worker, name="kdsl-explore", daemon=True)
            self._thread.start()

    def _worker(self) -> None:
        while True:
            with self._lock:
                wanted, self._wanted = self._wanted, None
                if wanted is None:
                    return
                self._stop.clear()
            self._solve(wanted)

    def wait(self, timeout: float | None = None) -> Explorer:
        """Block until the background solve (if any) is done; returns the explorer."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self

    def stop(self) -> None:
        """Interrupt the running solve at its next progress report; the last finished result stays."""
        with self._lock:
            self._wanted = None
        self._stop.set()

    def _progress(self, stage: str, done: int, total: int) -> None:
        if self._stop.is_set():
            raise _StopRequestedError()
        self.progress.max = max(1, int(total))
        self.progress.value = max(0, min(int(done), int(total)))
        self.progress.description = str(stage)[:24]

    def _solve(self, settings: dict[str, Any]) -> None:
        self.stop_button.disabled = False
        self.progress.bar_style = "info"
        self.progress.value, self.progress.max, self.progress.description = 0, 1, "loading"
        shown = ", ".join(f"{k} {v}" for k, v in settings.items() if v is not None)
        self.status.value = f"solving ({shown}) …"
        t0 = time.perf_counter()
        try:
            text = self.spec_text(settings)
            bound = load(text, data=self.data, filename=self.filename)
            if not self.simulated:
                bound = subsample(bound, settings["n"], settings["seed"])
            if self._stop.is_set():
                raise _StopRequestedError()
            self.progress.description = "solving"
            result = solve_bound(bound, progress=self._progress)
        except _StopRequestedError:
            self._unrequest(settings)
            self.progress.bar_style = "warning"
            self.progress.description = "stopped"
            kept = "no result yet"
            if self.result is not None:
                kept = f"showing the last finished result ({self.result.best}, k = {self._best_k(self.result)})"
            self.status.value = f"stopped ({shown}); {kept}"
            return
        except KdslError as err:
            self._unrequest(settings)
            self._failed(shown, str(err))
            return
        except Exception as err:  # in the background thread nobody else would see it
            if not self.background:
                raise
            import traceback

            self._unrequest(settings)
            self._failed(shown, f"{type(err).__name__}: {err}\n{traceback.format_exc()}")
            return
        finally:
            self.stop_button.disabled = True
        seconds = time.perf_counter() - t0
        self.error = None
        self.text = text
        self.result = result
        best = result.program(result.best) if result.best else None
        self.history.append({**settings, "best": result.best, "k": best.k if best else None,
                             "causes": [list(c) for c in result.causes], "total_bits": best.total_bits if best else math.inf,
                             "seconds": seconds})
        self.progress.max, self.progress.value = 1, 1
        self.progress.bar_style = "success"
        self.progress.description = "done"
        self.status.value = (f"best {result.best} with k = {self._best_k(result)}, direction {_causes_text(result.causes)}, "
                             f"{bits_text(best.total_bits)} bits ({seconds:.1f} s)" if best else "no finite program")
        self._render()

    def _unrequest(self, settings: dict[str, Any]) -> None:
        """A solve of ``settings`` was stopped or failed: ``update()`` with them solves again."""
        with self._lock:
            if self._requested == settings:
                self._requested = None

    def _failed(self, shown: str, message: str) -> None:
        self.error = message
        self.progress.bar_style = "danger"
        self.progress.description = "error"
        self.status.value = f"error ({shown}): {message.splitlines()[0]}"

    @staticmethod
    def _best_k(result: Result | None):
        if result is None or result.best is None:
            return None
        return result.program(result.best).k

    # ---------------------------------------------------------------- display
    def _render(self) -> None:
        head = "".join(f"<th style='padding:1px 6px'>{h}</th>" for h in
                       ("run", "n", "seed", "envs", "code", "precision", "best", "k", "direction", "bits"))
        rows, previous = [], None
        for i, h in enumerate(self.history, 1):
            direction = _causes_text(h["causes"])
            moved_k = previous is not None and previous["k"] != h["k"]
            moved_d = previous is not None and previous["causes"] != h["causes"]
            direction = html.escape(direction)
            seed = "" if h["seed"] is None else h["seed"]
            cells = [i, h["n"], seed, h["environments"] or "", h["code"], h["precision"] or "",
                     html.escape(str(h["best"])),
                     f"<b>{h['k']}</b>" if moved_k else h["k"], f"<b>{direction}</b>" if moved_d else direction,
                     f"{h['total_bits']:.1f}"]
            rows.append("<tr>" + "".join(f"<td style='padding:1px 6px;text-align:right'>{c}</td>" for c in cells) + "</tr>")
            previous = h
        self.history_html.value = (f"<table class='kdsl-explore-history' style='border-collapse:collapse'>"
                                   f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows[-12:])}</tbody></table>"
                                   "<small>bold: k or direction moved since the previous run</small>")
        if self.result is not None:
            self.ranking.value = ranking_html(self.result, "total", self.result.best)
        self.k_plot.value = png = self._k_png()
        self.k_plot.width = str(_png_width(png))

    def _k_png(self) -> bytes:
        fig = _figure(3.6, 2.4)
        ax = fig.subplots()
        runs = list(range(1, len(self.history) + 1))
        ks = [h["k"] if h["k"] is not None else float("nan") for h in self.history]
        directions = [_causes_text(h["causes"]) for h in self.history]
        ax.plot(runs, ks, "-", color="#999999", zorder=1)
        kinds = sorted(set(directions))
        for j, d in enumerate(kinds):
            xs = [r for r, dd in zip(runs, directions) if dd == d]
            ys = [k for k, dd in zip(ks, directions) if dd == d]
            ax.scatter(xs, ys, zorder=2, label=d[:30], color=("#4c78a8", "#e45756", "#54a24b", "#f58518")[j % 4])
        ax.set_xlabel("run")
        ax.set_ylabel("k of the best program")
        ax.legend(fontsize="x-small", title="direction", title_fontsize="x-small")
        ax.set_xticks(runs[-12:] if len(runs) <= 12 else runs[:: max(1, len(runs) // 8)])
        return _png(fig)


def explore(spec, data: Mapping[str, Any] | None = None, *, background: bool = True, filename: str | None = None,
            max_n: int | None = None) -> Explorer:
    """Sliders over a spec (a path or spec text) and its ``data``; see the module's docstring.

    Raises the located :class:`~kdsl.errors.KdslError` of a spec that cannot
    be explored (it does not load, or has no hypothesis and no search).

    ``background=False`` solves in the calling thread (no Stop while it
    runs; useful in scripts and tests). ``explorer.update()`` re-solves with
    the sliders' current values.
    """
    return Explorer(spec, data, background=background, filename=filename, max_n=max_n)


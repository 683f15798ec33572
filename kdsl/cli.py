"""The ``kdsl`` command line.

``kdsl check FILE`` validates a spec and its data. Every error in a spec or
its data exits with status 2 and a located message, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .errors import KdslError

__all__ = ["main"]

EXIT_OK = 0
EXIT_SPEC = 2
EXIT_INTERNAL = 70


def _data_option(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=FILE.csv, got {text!r}")
    return name, path


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"the time limit must be a positive number of seconds, got {text!r}")
    return value


def _load(args):
    from .api import load

    data = dict(args.data or [])
    bound = load(_spec_path(args.file), data=data)
    used = {s.data_name for s in bound.model.sources if s.data_name}
    unused = sorted(set(data) - used)
    if unused:
        names = ", ".join(sorted(used)) or "none"
        raise KdslError(f"--data {unused[0]}=... is not used: no `env ... from {unused[0]}` in the spec "
                        f"(names it uses: {names})", file=args.file)
    return bound


def _spec_path(path: str):
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        raise KdslError("no such spec file", file=path)
    if p.is_dir():
        raise KdslError("this is a folder, not a spec file", file=path)
    return p


def format_summary(summary: dict) -> str:
    """The text that ``kdsl check`` prints for a valid spec."""
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
                   + ("" if top is None else f", top {top}"))
    return "\n".join(out)


def cmd_check(args) -> int:
    bound = _load(args)
    summary = bound.summary()
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_summary(summary))
    return EXIT_OK


class ProgressBar:
    """A one-line progress bar on stderr, for long searches."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.stream.isatty() and not os.environ.get("KDSL_PROGRESS"):
            return
        width = 30
        filled = int(width * done / total) if total else width
        self.stream.write(f"\r{stage:<14} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _solve(args):
    from .solver import solve_bound

    bar = ProgressBar()
    try:
        return solve_bound(_load(args), progress=bar, time_limit=getattr(args, "time_limit", None))
    finally:
        bar.close()


def cmd_solve(args) -> int:
    from .render import solve_text

    result = _solve(args)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        print(solve_text(result))
    return EXIT_OK


def cmd_explain(args) -> int:
    from .render import explain_json, explain_text, explained_programs

    result = _solve(args)
    try:
        explained_programs(result, args.program)
    except KdslError as err:
        raise KdslError(err.message, file=args.file) from None
    if args.json:
        print(json.dumps(explain_json(result, args.program), indent=2, allow_nan=False))
    else:
        print(explain_text(result, args.program))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kdsl", description="Find causal and symmetric structure by compression."
    )
    parser.add_argument("--version", action="version", version=f"kdsl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def spec_command(name: str, help_text: str, func: Callable):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("file", metavar="FILE", help="the .kdsl spec")
        p.add_argument("--data", action="append", type=_data_option, metavar="NAME=FILE.csv",
                       help="supply the data named NAME in the spec from a CSV file (repeatable)")
        p.set_defaults(func=func)
        return p

    p = spec_command("check", "validate a spec and its data and summarise them", cmd_check)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p = spec_command("solve", "score every hypothesis and rank the programs, shortest first", cmd_solve)
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--time-limit", type=_seconds, metavar="SECONDS",
                   help="stop a search after this long and report the best program so far (marked not proven)")
    p = spec_command("explain", "show a program's length: formula, legend of symbols, every term in bits, "
                                "bits per variable", cmd_explain)
    p.add_argument("--program", action="append", metavar="NAME",
                   help="explain this program (repeatable; default: the best and the runner-up)")
    p.add_argument("--json", action="store_true", help="print the same breakdown as JSON")
    p.add_argument("--time-limit", type=_seconds, metavar="SECONDS", help="as for solve")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_SPEC
    try:
        return args.func(args)
    except KdslError as err:
        print(str(err), file=sys.stderr)
        return EXIT_SPEC
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # pragma: no cover - e.g. `kdsl solve ... | head`
        return EXIT_OK
    except Exception as err:  # pragma: no cover - a bug in kdsl, not in the spec
        if os.environ.get("KDSL_DEBUG"):
            raise
        print(f"kdsl: internal error: {type(err).__name__}: {err}\n"
              "This is a bug in kdsl; run again with KDSL_DEBUG=1 for details and please report it.",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

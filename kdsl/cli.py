"""The ``kdsl`` command line.

``kdsl check FILE`` validates a spec and its data. Every error in a spec or
its data exits with status 2 and a located message, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Callable, Sequence

from kdsl import __version__
from kdsl.errors import KdslError

__all__ = ["main"]

EXIT_OK = 0
EXIT_SPEC = 2
EXIT_INTERNAL = 70


def _data_option(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=FILE.csv, got {text!r}")
    return name, path


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a number of workers (1 or more), got {text!r}")
    return int(text)


#: ``--scheduler``: a Dask scheduler's address, ``tcp://HOST:PORT`` (or ``tls://``), or ``HOST:PORT``.
_ADDRESS = re.compile(r"(?:(?:tcp|tls)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})")


def _address(text: str) -> str:
    match = _ADDRESS.fullmatch(text.strip())
    if match is None or not 0 < int(match.group(1)) < 65536:
        dashboard = " (http:// is the dashboard's address)" if text.startswith("http") else ""
        raise argparse.ArgumentTypeError(
            f"expected a Dask scheduler address tcp://HOST:PORT (or HOST:PORT), e.g. tcp://127.0.0.1:8786, "
            f"got {text!r}{dashboard}")
    return text.strip()


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"the time limit must be a positive number of seconds, got {text!r}")
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _runs(text: str) -> int:
    value = _whole(text)
    from kdsl.language.check import MAX_STABILITY_RUNS

    if not 1 <= value <= MAX_STABILITY_RUNS:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_STABILITY_RUNS}, got {text!r}")
    return value


def _load(args, file: str):
    from kdsl.api import load

    data = dict(args.data or [])
    bound = load(_spec_path(file), data=data)
    used = {s.data_name for s in bound.model.sources if s.data_name}
    _check_data_used(data, used, file)
    return bound


def _check_data_used(data: dict, used: set[str], where: str) -> None:
    unused = sorted(set(data) - used)
    if unused:
        names = ", ".join(sorted(used)) or "none"
        raise KdslError(f"--data {unused[0]}=... is not used: no `env ... from {unused[0]}` in the spec "
                        f"(names it uses: {names})", file=where)


def _spec_path(path: str):
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        raise KdslError("no such spec file", file=path)
    if p.is_dir():
        raise KdslError("this is a folder, not a spec file", file=path)
    return p


def cmd_check(args) -> int:
    bound = _load(args, args.file)
    for warning in bound.model.warnings:
        text = str(warning).split("\n", 1)
        print("\n".join([f"{text[0].replace(': ', ': warning: ', 1)}", *text[1:]]), file=sys.stderr)
    summary = bound.summary()
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        from kdsl.present.format import summary_text

        print(summary_text(summary))
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


def _solve(args, file: str, client=None, formulas: bool = True):
    from kdsl.verdict.solver import solve_bound

    bound = _load(args, file)
    seed, runs, spec = getattr(args, "seed", None), getattr(args, "stability", None), bound.model.search
    if seed is not None and runs is None and not (spec is not None and spec.stability):
        raise KdslError("--seed is the seed of the stability subsamples: give --stability N too (or a `stability N` "
                        "line in the search block)", file="<command line>")
    bar = ProgressBar()
    try:
        return solve_bound(bound, progress=bar, time_limit=getattr(args, "time_limit", None), client=client,
                           stability=getattr(args, "stability", None), seed=getattr(args, "seed", None),
                           formulas=formulas)
    finally:
        bar.close()


@contextlib.contextmanager
def _cluster(args):
    """The Dask client the flags ask for (``--workers N``: a local cluster; ``--scheduler ADDRESS``), or None."""
    workers, address = getattr(args, "workers", None), getattr(args, "scheduler", None)
    if workers is None and address is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        flag = "--workers" if workers is not None else "--scheduler"
        raise KdslError(f"{flag} needs Dask: pip install 'kdsl[dask]'", file="<command line>") from None
    if workers is not None:
        from kdsl.distributed import local_cluster

        with local_cluster(workers) as client:
            yield client
        return
    try:
        client = Client(address, timeout="20s")
    except (OSError, ValueError) as err:
        raise KdslError(f"cannot reach the Dask scheduler at {address}: {err}", file="<command line>") from None
    with client:
        yield client


def _sweep_jobs(args) -> list:
    """One job per spec file, with the --data entries that spec names; a spec that cannot be read is its error."""
    from kdsl.api import read_source
    from kdsl.distributed import Job
    from kdsl.language.check import check
    from kdsl.language.syntax import parse

    data = dict(args.data or [])
    jobs: list = []
    used: set[str] = set()
    for file in args.file:
        try:
            text, name, base = read_source(_spec_path(file))
            names = {s.data_name for s in check(parse(text, name), base_dir=base).sources if s.data_name}
        except KdslError as err:
            jobs.append(err)
            continue
        used |= names
        jobs.append(Job(file, {k: v for k, v in data.items() if k in names}, time_limit=args.time_limit))
    _check_data_used(data, used, "<command line>")
    return jobs


def _solve_many(args, client) -> list:
    from kdsl.distributed import solve_many

    jobs = _sweep_jobs(args)
    runnable = [job for job in jobs if not isinstance(job, KdslError)]
    bar = ProgressBar()
    try:
        solved = iter(solve_many(runnable, client=client, progress=bar))
    finally:
        bar.close()
    return [job if isinstance(job, KdslError) else next(solved) for job in jobs]


def _chosen_format(args):
    """The output format ``--json`` or ``--format`` asks for (text by default); both at once must agree."""
    from kdsl.present.formats import get_format

    if args.json and args.format not in (None, "json"):
        raise KdslError(f"--json is --format json: give one of --json and --format {args.format}", file="<command line>")
    return get_format("json" if args.json else args.format or "text")


def cmd_solve(args) -> int:
    if len(args.file) > 1 and (args.stability is not None or args.seed is not None):
        flag = "--stability" if args.stability is not None else "--seed"
        raise KdslError(f"{flag} works on one spec at a time, not a sweep", file="<command line>")
    fmt = _chosen_format(args)
    with _cluster(args) as client:
        if len(args.file) == 1:
            try:
                result = _solve(args, args.file[0], client, formulas=fmt.formulas)
            except KdslError as err:
                if fmt.name == "json":  # the error as JSON on stdout too, as a sweep reports it
                    print(json.dumps({"file": args.file[0], "error": err.to_dict()}, indent=2))
                raise
            print(fmt.solve(result))
            return EXIT_OK
        results = _solve_many(args, client)
    failed = [r for r in results if isinstance(r, Exception)]
    if fmt.sweep is not None:
        print(fmt.sweep(list(zip(args.file, results))))
    else:
        for file, result in zip(args.file, results):
            print(fmt.comment.format(f"== {file} =="), flush=True)
            if isinstance(result, Exception):
                print(str(result) if isinstance(result, KdslError) else _internal(result), file=sys.stderr, flush=True)
            else:
                print(fmt.solve(result), flush=True)
    if any(not isinstance(r, KdslError) for r in failed):
        return EXIT_INTERNAL
    return EXIT_SPEC if failed else EXIT_OK


def _internal(err: BaseException) -> str:
    return (f"kdsl: internal error: {type(err).__name__}: {err}\n"
            "This is a bug in kdsl; run again with KDSL_DEBUG=1 for details and please report it.")


def cmd_explain(args) -> int:
    from kdsl.present.render import explained_programs

    fmt = _chosen_format(args)
    result = _solve(args, args.file)
    try:
        explained_programs(result, args.program)
    except KdslError as err:
        raise KdslError(err.message, file=args.file) from None
    print(fmt.explain(result, args.program))
    return EXIT_OK


def _format_help(explain: bool) -> str:
    from kdsl.present.formats import format_names, get_format

    return "; ".join(f"{name}: {get_format(name).help}" for name in format_names(explain))


def build_parser() -> argparse.ArgumentParser:
    from kdsl.present.formats import format_names

    parser = argparse.ArgumentParser(
        prog="kdsl", description="Find causal and symmetric structure by compression."
    )
    parser.add_argument("--version", action="version", version=f"kdsl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def spec_command(name: str, help_text: str, func: Callable, many: bool = False):
        p = sub.add_parser(name, help=help_text, description=help_text)
        if many:
            p.add_argument("file", metavar="FILE", nargs="+", help="the .kdsl spec (several: a sweep, solved in order)")
        else:
            p.add_argument("file", metavar="FILE", help="the .kdsl spec")
        p.add_argument("--data", action="append", type=_data_option, metavar="NAME=FILE.csv",
                       help="supply the data named NAME in the spec from a CSV file (repeatable)")
        p.set_defaults(func=func)
        return p

    p = spec_command("check", "validate a spec and its data and summarise them", cmd_check)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p = spec_command("solve", "score every hypothesis and rank the programs, shortest first", cmd_solve, many=True)
    p.add_argument("--json", action="store_true",
                   help="print the result as one JSON object (several specs: a JSON array, in the order given)")
    p.add_argument("--format", choices=format_names(), default=None, help=_format_help(False))
    p.add_argument("--time-limit", type=_seconds, metavar="SECONDS",
                   help="stop a search after this long and report the best program so far (marked not proven)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_count, metavar="N",
                       help="run on a local Dask cluster of N worker processes: several specs are solved side by side, "
                            "one spec's search scores its parent sets there (needs kdsl[dask])")
    where.add_argument("--scheduler", type=_address, metavar="ADDRESS",
                       help="as --workers, on the existing Dask cluster at ADDRESS (e.g. tcp://host:8786)")
    p.add_argument("--stability", type=_runs, metavar="N",
                   help="also solve N seeded subsamples (half of each environment) and under every code, and "
                        "report how often each edge, orientation and target recurs")
    p.add_argument("--seed", type=_whole, metavar="S", help="the seed of the --stability subsamples (default 0)")
    p = spec_command("explain", "show a program's length: formula, legend of symbols, every term in bits, "
                                "bits per variable", cmd_explain)
    p.add_argument("--program", action="append", metavar="NAME",
                   help="explain this program (repeatable; default: the best and the runner-up)")
    p.add_argument("--json", action="store_true", help="print the same breakdown as JSON (as --format json)")
    p.add_argument("--format", choices=format_names(explain=True), default=None, help=_format_help(True))
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
        print(_internal(err), file=sys.stderr)
        return EXIT_INTERNAL


def run() -> None:  # pragma: no cover - the console script; tests call main()
    """The ``kdsl`` console script: :func:`main`, then exit at once, after flushing the output.

    ``os._exit`` skips the interpreter's teardown (freeing every module and
    object, a tenth of a second and more after a search); nothing is left to
    write once both streams are flushed.
    """
    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # e.g. `kdsl solve ... | head`
        pass
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    run()

"""Regenerate the generated tables of bench/RESULTS.md: every benchmark's output, each with date, load and machine.

    PYTHONPATH=. python bench/run_all.py                          # every benchmark (tens of minutes)
    PYTHONPATH=. python bench/run_all.py --only loading counting  # some of them

Each benchmark runs as its own process; its printed report (machine, command,
table with load averages) replaces the block between the markers
``<!-- run_all: NAME -->`` and ``<!-- /run_all: NAME -->`` in RESULTS.md
(added at the end when missing), under a line naming the UTC date, the load
average before and after, and the machine. ``--old`` is the checkout of
commit fbfbe71 the before/after benchmarks compare with
(``git worktree add /tmp/kdsl-fbfbe71 fbfbe71``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import subprocess
import sys

from _common import ROOT, cores, cpu_model, ram_gib

RESULTS = ROOT / "bench" / "RESULTS.md"

#: name -> (title, arguments after the script name; "{old}" is the older checkout)
BENCHMARKS: dict[str, tuple[str, list[str]]] = {
    "solve_process": ("`kdsl solve` as a whole process, 20 variables, before and after issue #12",
                      ["solve_process.py", "--old", "{old}"]),
    "startup": ("`kdsl check` start-up against a bare numpy import", ["startup.py", "--old", "{old}"]),
    "dp_memory": ("Exact dynamic program: time, traced peak and estimate, up to 24 variables",
                  ["dp_memory.py", "--vars", "16", "20", "22", "24"]),
    "loading": ("Loading 1,000,000 CSV rows against pandas.read_csv", ["loading.py"]),
    "counting": ("Counting 460 tables against the count before issue #12", ["counting.py"]),
    "scaling": ("Exact search scaling, 20 variables, in-process", ["scaling.py"]),
    "g1_sweep": ("G.1 sweep: exact sharing against the reference approach", ["g1_sweep.py"]),
    "exhaustive_vs_pgmpy": ("Exact search against pgmpy's ExhaustiveSearch", ["exhaustive_vs_pgmpy.py"]),
    "vs_causallearn_exact": ("kdsl against causal-learn's exact search (not like for like: see section (c))",
                             ["vs_causallearn_exact.py"]),
    "greedy_gap": ("The greedy heuristic's gap to the exact optimum", ["greedy_gap.py"]),
}


def stamp() -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"{now}; load average {os.getloadavg()[0]:.2f}; {cores()} cores, {cpu_model()}, "
            f"{ram_gib():.1f} GiB RAM")


def replace_block(text: str, name: str, block: str) -> str:
    start, end = f"<!-- run_all: {name} -->", f"<!-- /run_all: {name} -->"
    new = f"{start}\n{block.rstrip()}\n{end}"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: new, text)
    return text.rstrip() + "\n\n" + new + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    ap.add_argument("--old", default="/tmp/kdsl-fbfbe71", help="checkout of commit fbfbe71")
    args = ap.parse_args(argv)
    text = RESULTS.read_text(encoding="utf-8")
    for name in args.only or list(BENCHMARKS):
        title, script_args = BENCHMARKS[name]
        before = stamp()
        command = [sys.executable, str(ROOT / "bench" / script_args[0]), *(a.format(old=args.old) for a in script_args[1:])]
        run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if run.returncode != 0:
            print(f"{name} failed:\n{run.stderr}", file=sys.stderr)
            return 1
        block = (f"### {title}\n\nRun {before} (at start); load average at the end "
                 f"{os.getloadavg()[0]:.2f}. `python bench/run_all.py --only {name}`\n\n```\n"
                 + "\n".join(line for line in run.stdout.splitlines() if not line.startswith("|")) + "\n```\n\n"
                 + "\n".join(line for line in run.stdout.splitlines() if line.startswith("|")))
        text = replace_block(text, name, block)
        RESULTS.write_text(text, encoding="utf-8")
        print(f"{name}: done")
    return 0


if __name__ == "__main__":
    sys.exit(main())

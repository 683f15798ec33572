"""Benchmark: ``kdsl solve`` as a whole process, this checkout against an older commit, runs alternating.

    git worktree add /tmp/kdsl-fbfbe71 fbfbe71                          # once: the code before issue #12
    PYTHONPATH=. python bench/solve_process.py --old /tmp/kdsl-fbfbe71  # ~2 min

20 variables with 3 values, 5 environments x 2000 rows written to one CSV
file (``envs from "data.csv" by env``), ``search { graphs max_parents 2;
top 1 }`` and ``code paper`` in the spec. Each run is
``python -m kdsl.cli solve spec.kdsl`` (the text report; then, in a second
row, with ``--json``) with its own PYTHONPATH, run in the data's folder so
that ``python -m`` cannot pick up the checkout it is started from (checked:
each side's ``kdsl.__file__`` is printed), from process start to exit
(start-up, parsing, loading, scoring, the exact search, reporting and
interpreter teardown); runs alternate between the two
checkouts, ``--repeat`` times each. Both must report the same best program
(bits and edges).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, command_line, discrete_spec, machine, markdown_table, median, process_env, random_network_data


def write_case(folder: Path, d: int, envs: int, rows: int, seed: int) -> Path:
    names, _, frames = random_network_data(d, 3, 2, envs, rows, 2, seed)
    lines = [",".join(["env", *names])]
    for e, frame in enumerate(frames):
        for i in range(rows):
            lines.append(",".join([f"e{e}", *(str(int(frame[n][i])) for n in names)]))
    (folder / "data.csv").write_text("\n".join(lines) + "\n")
    spec = discrete_spec(names, 3, envs, 2, 1, "paper").splitlines()
    spec = [line for line in spec if not line.startswith("env ")]
    spec.insert(len(names), 'envs from "data.csv" by env')
    path = folder / "spec.kdsl"
    path.write_text("\n".join(spec) + "\n")
    return path


def imported_from(checkout: Path, folder: Path) -> Path:
    """Where the child processes import kdsl from: ``python -m`` puts the working folder first on the path, so
    they run in ``folder`` (outside both checkouts) and only PYTHONPATH decides."""
    done = subprocess.run([sys.executable, "-c", "import kdsl; print(kdsl.__file__)"], cwd=folder,
                          env=process_env(checkout), capture_output=True, text=True, check=True)
    return Path(done.stdout.strip()).resolve()


def run(checkout: Path, spec: Path, output: str) -> tuple[float, dict | None]:
    """One whole ``kdsl solve`` process: its wall time, and with ``--json`` the best program (bits and edges)."""
    args = [sys.executable, "-m", "kdsl.cli", "solve", spec.name] + (["--json"] if output == "json" else [])
    start = time.perf_counter()
    done = subprocess.run(args, cwd=spec.parent, env=process_env(checkout), capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    if output != "json":
        return wall, None
    best = json.loads(done.stdout)["programs"][0]
    return wall, {"bits": round(best["total_bits"], 6), "edges": sorted(map(tuple, best["edges"]))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True, help="a checkout of the older commit")
    ap.add_argument("--vars", type=int, default=20)
    ap.add_argument("--envs", type=int, default=5)
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print("kdsl solve as a whole process: this checkout against an older one, alternating")
    print(machine(["numpy", "scipy", "sympy", "lark"]))
    print(f"command: {command_line()}")
    for checkout in (ROOT, args.old):
        compileall.compile_dir(checkout / "kdsl", quiet=1)  # byte code, as an installed package has it
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        spec = write_case(Path(folder), args.vars, args.envs, args.rows, 0)
        for name, checkout in (("old", args.old), ("new", ROOT)):
            source = imported_from(checkout, Path(folder))
            assert source.is_relative_to(checkout.resolve()), (name, source)
            print(f"{name}: kdsl imported from {source}")
        answers = {name: run(checkout, spec, "json")[1] for name, checkout in (("old", args.old), ("new", ROOT))}
        assert answers["new"] == answers["old"], answers
        print(f"same best program: {answers['new']['bits']} bits, {len(answers['new']['edges'])} edges")
        for output in ("text", "json"):
            times: dict[str, list[float]] = {"new": [], "old": []}
            loads = []
            for _ in range(args.repeat):
                for name, checkout in (("old", args.old), ("new", ROOT)):
                    times[name].append(run(checkout, spec, output)[0])
                    loads.append(os.getloadavg()[0])
            new, old = median(times["new"]), median(times["old"])
            rows.append([args.vars, f"{args.envs} x {args.rows}", "kdsl solve" + (" --json" if output == "json" else ""),
                         f"{old:.2f}", f"{new:.2f}", f"{old / new:.1f}x", f"{min(loads):.2f}-{max(loads):.2f}"])
    print(markdown_table(["variables", "environments x rows", "command", "old (s)", "new (s)", "speed-up",
                          "load average (min-max)"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

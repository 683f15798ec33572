"""Benchmark: what trying histogram noise costs a search over real variables, this checkout against an older one.

    mkdir /tmp/kdsl-gauss && git archive 9e98c38 | tar -x -C /tmp/kdsl-gauss   # once: before searches tried it
    PYTHONPATH=. python bench/noise_cost.py --old /tmp/kdsl-gauss

Two cases, each a fresh process with its own PYTHONPATH (the kdsl it imports
is checked), runs alternating between the checkouts, ``--repeat`` times each:

* pairs: the kdsl search of ``bench/real_pairs.py`` on its 60 pairs of 400
  rows (``classes poly, histogram``, ``code nml``), total seconds of
  ``kdsl.solve``;
* network: the kdsl search of ``bench/real_accuracy.py`` (12 variables, 4
  environments x 500 rows, linear, ``code nml``, default classes), seeds 0
  and 1, total seconds of ``kdsl.solve``.

The data generators are this checkout's bench scripts in both processes; only
kdsl differs. The older checkout codes every regression's residuals as
Gaussian; this one also tries histogram noise wherever ``classes`` lists
``histogram`` (the default).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, machine, markdown_table, median, process_env, ratio_row

BENCH = Path(__file__).resolve().parent


def child(case: str) -> None:
    """In the timed process: run the case's kdsl searches, print the seconds and where kdsl came from."""
    sys.path.insert(0, os.environ["PYTHONPATH"])  # the checkout under test before the one _common put first
    import kdsl

    sys.path.insert(1, str(BENCH))
    seconds = 0.0
    if case == "pairs":
        import real_pairs

        seed = 0
        for shape in real_pairs.SHAPES:
            for law in real_pairs.NOISES:
                for recording in real_pairs.RECORDINGS:
                    seed += 1
                    cols, step, _ = real_pairs.pair(shape, law, recording, 400, seed)
                    start = time.perf_counter()
                    real_pairs.run_kdsl(cols, step)
                    seconds += time.perf_counter() - start
    else:
        import real_accuracy

        for seed in (0, 1):
            data, _, _ = real_accuracy.simulate(12, 4, 500, seed, False)
            start = time.perf_counter()
            real_accuracy.run_kdsl(data, [f"X{i}" for i in range(12)], "nml")
            seconds += time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "kdsl": kdsl.__file__}))


def run(checkout: Path, case: str) -> float:
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", case], cwd="/",
                          env=process_env(checkout), capture_output=True, text=True, check=True)
    out = json.loads(done.stdout)
    assert Path(out["kdsl"]).resolve().is_relative_to(checkout.resolve()), out["kdsl"]
    return out["seconds"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, help="a checkout of the older code")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--child", choices=("pairs", "network"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    print("kdsl searches over real variables: Gaussian noise only (old) against also histogram noise (new)")
    print(machine(["numpy", "scipy"]))
    print(f"command: python bench/noise_cost.py {' '.join(sys.argv[1:])}")
    rows = []
    for case, what in (("pairs", "60 cause-effect pairs, 400 rows"), ("network", "12 variables, 4 x 500 rows, 2 seeds")):
        times: dict[str, list[float]] = {"old": [], "new": []}
        loads = []
        for _ in range(args.repeat):
            for name, checkout in (("old", args.old), ("new", ROOT)):
                times[name].append(run(checkout, case))
                loads.append(os.getloadavg()[0])
        old, new = median(times["old"]), median(times["new"])
        rows.append([what, f"{old:.2f}", f"{new:.2f}", f"{new / old:.1f}x", f"{min(loads):.2f}-{max(loads):.2f}"])
        print(ratio_row(rows[-1]), flush=True)
    print(markdown_table(["searches", "Gaussian noise only (s)", "also histogram noise (s)", "slow-down",
                          "load average (min-max)"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: scoring every real parent set (``local_scores``), this checkout against an older one, runs alternating.

    mkdir /tmp/kdsl-old && git archive c77ca16 | tar -x -C /tmp/kdsl-old    # once: the code before the batch fits
    PYTHONPATH=. python bench/real_scoring.py --old /tmp/kdsl-old

The data of ``bench/real_vs_causallearn.py`` (a random linear-Gaussian DAG,
1000 rows, two decimals, centred), ``code bic``, ``classes linear``,
``graphs max_parents 3``; with ``--envs N`` the rows are split into N
environments (``shifts``: the exact grouping of environments per parent set).
Each run is a fresh process with its own PYTHONPATH (the kdsl it imports is
printed), timing ``local_scores`` only (after loading the data); runs
alternate between the two checkouts, ``--repeat`` times each. Both must keep
the same parent sets with the same bits (to 1e-9 relative: the new code sums
the gram matrices in another order).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, machine, markdown_table, median, process_env, ratio_row


def child(d: int, envs: int, seed: int) -> None:
    """In the timed process: load, score, print the time and every kept parent set's bits as JSON."""
    sys.path.insert(0, os.environ["PYTHONPATH"])  # the checkout under test before the one _common put first
    from real_vs_causallearn import linear_data

    import kdsl
    from kdsl.search.local import local_scores

    names, _, x = linear_data(d, 1000, seed)
    env = [f"e{i * envs // len(x)}" for i in range(len(x))]
    spec = "\n".join([*(f"var {v} real step 0.01" for v in names), "envs from d by E",
                      "search {\n graphs max_parents 3\n classes linear\n}", "code bic"])
    bound = kdsl.load(spec, data={"d": {"E": env, **{v: x[:, i] for i, v in enumerate(names)}}})
    start = time.perf_counter()
    local = local_scores(bound, bound.model.search)
    seconds = time.perf_counter() - start
    bits = {f"{v} {m}": e[0] for v, row in enumerate(local.entries) for m, e in row.items()}
    print(json.dumps({"seconds": seconds, "bits": bits, "kdsl": kdsl.__file__}))


def run(checkout: Path, d: int, envs: int, seed: int) -> dict:
    args = [sys.executable, str(Path(__file__).resolve()), "--child", "--vars", str(d), "--envs", str(envs),
            "--seed", str(seed)]
    done = subprocess.run(args, cwd="/", env=process_env(checkout), capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def same_bits(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=1e-9) for k in a)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, help="a checkout of the older code")
    ap.add_argument("--vars", type=int, nargs="+", default=[12, 20])
    ap.add_argument("--envs", type=int, nargs="+", default=[1])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.vars[0], args.envs[0], args.seed)
        return 0
    print("local_scores over real variables: this checkout against an older one, alternating")
    print(machine(["numpy", "scipy"]))
    print(f"command: python bench/real_scoring.py {' '.join(sys.argv[1:])}")
    rows = []
    for d in args.vars:
        for envs in args.envs:
            times: dict[str, list[float]] = {"new": [], "old": []}
            loads, answers = [], {}
            for _ in range(args.repeat):
                for name, checkout in (("old", args.old), ("new", ROOT)):
                    out = run(checkout, d, envs, args.seed)
                    assert Path(out["kdsl"]).resolve().is_relative_to(checkout.resolve()), (name, out["kdsl"])
                    times[name].append(out["seconds"])
                    answers[name] = out["bits"]
                    loads.append(os.getloadavg()[0])
            assert same_bits(answers["old"], answers["new"]), "the two checkouts keep different local scores"
            old, new = median(times["old"]), median(times["new"])
            rows.append([d, envs, len(answers["new"]), f"{old:.2f}", f"{new:.2f}", f"{old / new:.1f}x",
                         f"{min(loads):.2f}-{max(loads):.2f}"])
            print(ratio_row(rows[-1]), flush=True)
    print(markdown_table(["variables", "environments", "parent sets kept", "old (s)", "new (s)", "speed-up",
                          "load average (min-max)"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

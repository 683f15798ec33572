"""How often background knowledge fixes an orientation: examples/knowledge.kdsl with and without its knowledge.

    PYTHONPATH=. python bench/knowledge_orientation.py            # 100, 200, 400 rows x seeds 1-5

For each size and seed the example's simulation is redrawn and searched three
times: without knowledge, with only its `targets` lines, and with only its
`tiers` line. Printed: the edges search-1 gets wrong (missing plus extra, a
reversed edge counts 2) and whether the verdict's causes are the true graph.
Correctness, not speed: no timing, so the load average does not matter.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import kdsl

ROOT = Path(__file__).resolve().parent.parent
TRUTH = {("season", "rain"), ("season", "sprinkler"), ("rain", "wet"), ("sprinkler", "wet")}
VARIANTS = {
    "none": lambda text: re.sub(r"    (tiers|targets) [^\n]*\n", "", text),
    "targets": lambda text: re.sub(r"    tiers [^\n]*\n", "", text),
    "tiers": lambda text: re.sub(r"    targets [^\n]*\n", "", text),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100, 200, 400])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    text = (ROOT / "examples" / "knowledge.kdsl").read_text(encoding="utf-8")
    right = {name: 0 for name in VARIANTS}
    runs = 0
    print("rows seed  " + "  ".join(f"{name:>12}" for name in VARIANTS))
    for rows in args.rows:
        for seed in range(1, args.seeds + 1):
            spec = re.sub(r"n 400 seed 1", f"n {rows} seed {seed}", text)
            cells = []
            for name, variant in VARIANTS.items():
                result = kdsl.solve(variant(spec))
                wrong = len(set(result.program("search-1").edges) ^ TRUTH)
                true = set(result.causes) == TRUTH
                right[name] += true
                cells.append(f"{wrong} wrong{' ok' if true else '   '}")
            runs += 1
            print(f"{rows:>4} {seed:>4}  " + "  ".join(f"{c:>12}" for c in cells), flush=True)
    print("true graph: " + ", ".join(f"{name} {right[name]}/{runs}" for name in VARIANTS))


if __name__ == "__main__":
    main()
